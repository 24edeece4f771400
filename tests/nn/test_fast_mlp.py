"""The hand-written MLP forward/backward (genad.nn.fast_mlp): gradients equal autograd's, trim,
dropout masks, packed training, and the rule for when it is used."""

import logging

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from genad.nn import training as T
from genad.nn.backbones import mlp
from genad.nn.fast_mlp import mlp_mse_grad_fn
from test_training import _ae, _data, _step, _weights


def test_penalty_works_with_grad_fn():
    X = _data()
    res = {}
    for fast in (False, True):
        enc, dec = _ae()
        st = _step(enc, dec, grad_fn=mlp_mse_grad_fn([enc, dec]) if fast else None)
        T.train(st, X, modules=[enc, dec], epochs=3, batch_size=32, lr=0.01, penalty="l2",
                penalty_weight=0.01, generator=torch.Generator().manual_seed(0))
        res[fast] = _weights(enc, dec)
    assert torch.allclose(res[False], res[True], atol=1e-5)


def test_grad_fn_gives_same_training_as_autograd():
    X = _data()
    out = {}
    for fast in (False, True):
        enc, dec = _ae(act="tanh")
        st = _step(enc, dec, grad_fn=mlp_mse_grad_fn([enc, dec]) if fast else None)
        h = T.train(st, X, modules=[enc, dec], epochs=4, batch_size=32, lr=0.01,
                    generator=torch.Generator().manual_seed(0))
        out[fast] = (_weights(enc, dec), h["loss"])
        # packed parameters get their own storage back after training
        assert all(p.grad is None or not fast for p in enc.parameters())
    assert torch.allclose(out[False][0], out[True][0], atol=1e-5)
    np.testing.assert_allclose(out[False][1], out[True][1], rtol=1e-4)


def test_grad_fn_gradients_match_autograd_exactly():
    for act in ("relu", "tanh", "sigmoid", "leaky_relu"):
        enc, dec = _ae(act=act)
        x = _data(n=40)
        fn = mlp_mse_grad_fn([enc, dec])
        loss = fn(x)
        g_fast = [p.grad.clone() for m in (enc, dec) for p in m.parameters()]
        for m in (enc, dec):
            m.zero_grad(set_to_none=True)
        ref = F.mse_loss(dec(enc(x)), x)
        ref.backward()
        assert float(loss) == pytest.approx(ref.item(), rel=1e-6)
        for a, p in zip(g_fast, [p for m in (enc, dec) for p in m.parameters()]):
            torch.testing.assert_close(a, p.grad, rtol=1e-5, atol=1e-7)
    assert mlp_mse_grad_fn([mlp([4, 3, 2], "elu"), mlp([2, 3, 4], "elu")]) is None  # unsupported -> autograd


def test_grad_fn_follows_the_weights_when_they_are_packed_and_updated():
    # the step keeps views of the transposed weights; packing moves the weights' storage
    from genad.nn.fast_mlp import pack_parameters

    enc, dec = _ae()
    x = _data(n=40)
    fn = mlp_mse_grad_fn([enc, dec])
    fn(x)
    params = [p for m in (enc, dec) for p in m.parameters()]
    flat = pack_parameters(params)
    with torch.no_grad():
        flat.mul_(0.5)  # an update in place, as the optimizer makes
    loss = fn(x)
    g_fast = flat.grad.clone()
    ref_enc, ref_dec = _ae()
    with torch.no_grad():
        for a, b in zip([p for m in (ref_enc, ref_dec) for p in m.parameters()], params):
            a.copy_(b)
    ref = F.mse_loss(ref_dec(ref_enc(x)), x)
    ref.backward()
    assert float(loss) == pytest.approx(ref.item(), rel=1e-6)
    torch.testing.assert_close(g_fast, torch.cat([p.grad.reshape(-1) for m in (ref_enc, ref_dec)
                                                  for p in m.parameters()]), rtol=1e-5, atol=1e-7)


def test_trimmed_grad_fn_matches_autograd_of_the_trimmed_loss():
    from genad.detectors.autoencoder import squared_error
    from genad.nn.losses import kept_rows, trimmed_mean

    enc, dec = _ae(act="relu")
    x = _data(n=40)
    x[:5] += 6.0  # five far rows: a 0.2 trim must leave them out of the loss
    fn = mlp_mse_grad_fn([enc, dec], trim=0.2)
    loss = fn(x)
    g_fast = [p.grad.clone() for m in (enc, dec) for p in m.parameters()]
    for m in (enc, dec):
        m.zero_grad(set_to_none=True)
    rows = squared_error(x, dec(enc(x)))
    ref = trimmed_mean(rows, 0.2)
    ref.backward()
    assert kept_rows(40, 0.2) == 32
    assert float(loss) == pytest.approx(ref.item(), rel=1e-6)
    assert float(loss) < rows.mean().item()  # the far rows are out
    for a, p in zip(g_fast, [p for m in (enc, dec) for p in m.parameters()]):
        torch.testing.assert_close(a, p.grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("acts", [("relu", "tanh"), ("leaky_relu", "sigmoid")])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_grad_fn_with_dropout_matches_autograd_with_the_same_masks(acts, dtype):
    torch.manual_seed(0)
    enc, dec = mlp([6, 5, 3], acts[0], dropout=0.3), mlp([3, 5, 6], acts[1], dropout=0.3)
    enc, dec = enc.to(dtype), dec.to(dtype)
    x = _data(n=400).to(dtype)
    fn = mlp_mse_grad_fn([enc, dec])
    assert fn is not None  # dropout stays on the hand-written path
    fn(x)  # a first step, so the masks checked below are not the first ones drawn
    loss = fn(x)
    masks = [m for m in fn.last_masks if m is not None]
    assert len(masks) == 2 and all(m.dtype == dtype for m in masks)
    kept = torch.cat([m.flatten() for m in masks])
    assert torch.isclose(kept, torch.tensor(0.0, dtype=dtype)).logical_or(
        torch.isclose(kept, torch.tensor(1 / 0.7, dtype=dtype))).all()
    assert abs(float((kept == 0).to(dtype).mean()) - 0.3) < 0.05
    g_fast = [p.grad.clone() for m in (enc, dec) for p in m.parameters()]
    # the same network written with autograd and the same masks
    l1, l2 = enc[0], enc[3]
    l3, l4 = dec[0], dec[3]
    for m in (enc, dec):
        m.zero_grad(set_to_none=True)
    h = enc[1](l1(x)) * masks[0]
    h = l2(h)
    h = dec[1](l3(h)) * masks[1]
    ref = F.mse_loss(l4(h), x)
    ref.backward()
    assert float(loss) == pytest.approx(ref.item(), rel=1e-6)
    for a, p in zip(g_fast, [p for m in (enc, dec) for p in m.parameters()]):
        torch.testing.assert_close(a, p.grad, rtol=1e-5, atol=1e-7)


def test_dropout_masks_are_seeded_unbiased_and_fresh_every_step():
    def masks_of(seed, steps, n=128):
        torch.manual_seed(seed)
        enc, dec = mlp([6, 40, 3], "relu", dropout=0.2), mlp([3, 40, 6], "relu", dropout=0.2)
        fn = mlp_mse_grad_fn([enc, dec])
        x = _data(n=n)
        out = []
        for _ in range(steps):
            fn(x)
            out.append(torch.cat([m for m in fn.last_masks if m is not None], 1).clone())
        return out

    a, b, c = masks_of(0, 120), masks_of(0, 120), masks_of(1, 3)
    # torch's seed fixes the masks; every step (also across the blocks drawn at once) gets new ones
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a[0], c[0])
    assert not any(torch.equal(a[i], a[i + 1]) for i in range(len(a) - 1))
    allm = torch.stack(a).double()
    assert abs(float((allm == 0).double().mean()) - 0.2) < 0.003  # 120 x 128 x 80 units
    # inverted dropout: kept units are scaled by 1 / (1 - p)
    values = allm.unique()
    assert len(values) == 2 and values[0] == 0 and float(values[1]) == pytest.approx(1 / 0.8)
    # a last batch of another size works and has its own masks
    assert masks_of(0, 2, n=37)[1].shape == (37, 80)


def test_autoencoder_with_dropout_is_reproducible():
    X = _data(n=300).numpy()
    from genad import AutoEncoder

    def scores(seed):
        return AutoEncoder(hidden=[8], latent_dim=3, dropout=0.2, epochs=3, batch_size=32, trim=0.0,
                           random_state=seed).fit(X).decision_function(X)

    a, b, c = scores(0), scores(0), scores(1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_falls_back_to_autograd_and_says_why(caplog):
    with caplog.at_level(logging.DEBUG, logger="genad.nn.fast_mlp"):
        assert mlp_mse_grad_fn([mlp([4, 3, 2], "elu"), mlp([2, 3, 4], "elu")]) is None
        assert "ELU" in caplog.text
        caplog.clear()
        with torch.device("meta"):  # any device but the CPU, where it was measured
            enc, dec = mlp([4, 3, 2]), mlp([2, 3, 4])
        assert mlp_mse_grad_fn([enc, dec]) is None
        assert "meta" in caplog.text and "CPU" in caplog.text
        caplog.clear()
        assert mlp_mse_grad_fn([mlp([4, 3, 2], dropout=0.1), mlp([2, 3, 4], dropout=0.2)]) is None
        assert "dropout rates" in caplog.text
        caplog.clear()
        assert mlp_mse_grad_fn([mlp([4, 3, 2], batchnorm=True), mlp([2, 3, 4])]) is None
        assert "BatchNorm1d" in caplog.text


def test_adaptive_trim_grad_fn_matches_autograd():
    import numpy as np

    from genad.detectors.autoencoder import squared_error
    from genad.nn.losses import AdaptiveTrim, trimmed_mean

    enc, dec = _ae(act="relu")
    x = _data(n=40)
    x[:5] += 6.0
    rule = AdaptiveTrim()
    rows = squared_error(x, dec(enc(x))).detach()
    rule.cut, rule.estimate = float(np.quantile(rows.numpy(), 0.8)), 0.2  # a cut as after an update
    loss = mlp_mse_grad_fn([enc, dec], trim=rule)(x)
    g_fast = [p.grad.clone() for m in (enc, dec) for p in m.parameters()]
    for m in (enc, dec):
        m.zero_grad(set_to_none=True)
    ref = trimmed_mean(squared_error(x, dec(enc(x))), rule)
    ref.backward()
    assert float(loss) == pytest.approx(ref.item(), rel=1e-5)
    assert float(loss) < rows.mean().item()
    for a, p in zip(g_fast, [p for m in (enc, dec) for p in m.parameters()]):
        torch.testing.assert_close(a, p.grad, rtol=1e-4, atol=1e-6)
