"""Backbone shapes: MLP, DCGAN-style conv for several image sizes, LSTM for sequences."""

import pytest
import torch

from genad.nn import backbones as B


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (3, 64, 64), (1, 20, 20)])
def test_conv_encoder_decoder_shapes(shape):
    enc, dec = B.encoder_decoder(shape, None, 16)
    x = torch.randn(3, *shape)
    z = enc(x)
    assert z.shape == (3, 16)
    assert dec(z).shape == (3, *shape)


def test_conv_encoder_out_dim():
    enc, dec = B.encoder_decoder((1, 28, 28), None, 8, encoder_out=16)
    assert enc(torch.randn(2, 1, 28, 28)).shape == (2, 16)
    assert dec(torch.randn(2, 8)).shape == (2, 1, 28, 28)


@pytest.mark.parametrize("t,d", [(140, 1), (20, 3), (1, 5)])
def test_lstm_shapes(t, d):
    enc, dec = B.encoder_decoder((t, d), [16, 8], 4)
    x = torch.randn(5, t, d)
    assert enc(x).shape == (5, 4)
    assert dec(enc(x)).shape == (5, t, d)


def test_lstm_bidirectional():
    enc, _ = B.encoder_decoder((10, 2), [8], 3, bidirectional=True)
    assert enc(torch.randn(4, 10, 2)).shape == (4, 3)


def test_mlp_shapes_and_mirroring():
    enc, dec = B.encoder_decoder((18,), [15, 7], 2)
    lin = [m.out_features for m in list(enc) + list(dec) if isinstance(m, torch.nn.Linear)]
    assert lin == [15, 7, 2, 7, 15, 18]
    assert dec(enc(torch.randn(4, 18))).shape == (4, 18)


@pytest.mark.parametrize("d", [1, 2, 5, 18, 140, 784, 5000])
def test_defaults_for_any_width(d):
    h = B.default_hidden(d)
    k = B.default_latent_dim(d)
    assert len(h) == 2 and all(v >= 4 for v in h) and h[0] <= 256
    assert 2 <= k <= 32
    enc, dec = B.encoder_decoder((d,), None, k)
    assert dec(enc(torch.randn(3, d))).shape == (3, d)


def test_arch_errors():
    with pytest.raises(ValueError, match="arch='conv' needs images"):
        B.encoder_decoder((10,), None, 2, arch="conv")
    with pytest.raises(ValueError, match="arch must be"):
        B.resolve_arch("transformer", (10,))
    with pytest.raises(ValueError, match="unknown activation"):
        B.mlp([3, 2, 1], activation="swishy")
