"""Network building blocks shared by the deep detectors (no detector logic here).

* :func:`mlp` and the MLP encoder/decoder pair built from a ``hidden`` list (decoder mirrored);
* DCGAN-style convolutional encoder/decoder for ``(c, h, w)`` images (8x8, 28x28, 32x32, 64x64
  and any size that halves down to at most 7x7 pixels);
* LSTM encoder/decoder for ``(t, d)`` sequences;
* :func:`encoder_decoder` picks one of the three from the sample shape (``arch="auto"``);
  :func:`encoder` the encoder alone (one-class and scoring networks), optionally bias-free
  (:func:`bias_free`).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

__all__ = [
    "mlp",
    "default_hidden",
    "default_latent_dim",
    "resolve_arch",
    "ConvEncoder",
    "ConvDecoder",
    "LSTMEncoder",
    "LSTMDecoder",
    "encoder_decoder",
    "encoder",
    "bias_free",
    "ACTIVATIONS",
]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "selu": nn.SELU,
}


def _act(name: str | None) -> nn.Module:
    if name is None:
        return nn.Identity()
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}.")
    return ACTIVATIONS[name]()


def mlp(
    sizes: Sequence[int],
    activation: str = "relu",
    out_activation: str | None = None,
    batchnorm: bool = False,
    dropout: float = 0.0,
) -> nn.Sequential:
    """Fully connected stack ``sizes[0] -> ... -> sizes[-1]``; no activation after the last layer
    unless ``out_activation`` is given."""
    sizes = [int(s) for s in sizes]
    if any(s < 1 for s in sizes):
        raise ValueError(f"layer sizes must be positive integers; got {sizes}.")
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        last = i == len(sizes) - 2
        if not last:
            if batchnorm:
                layers.append(nn.BatchNorm1d(sizes[i + 1]))
            layers.append(_act(activation))
            if dropout:
                layers.append(nn.Dropout(dropout))
    if out_activation is not None:
        layers.append(_act(out_activation))
    return nn.Sequential(*layers)


def default_hidden(n_features: int) -> list[int]:
    """Hidden sizes that work out of the box for tabular data of any width.

    Two layers shrinking from about half the input width (at least 8, at most 256).
    """
    h1 = int(min(256, max(8, 2 ** round(math.log2(max(n_features, 2))) // 2)))
    h2 = max(4, h1 // 2)
    return [h1, h2]


def default_latent_dim(n_features: int) -> int:
    """Bottleneck width: about a quarter of the input width, between 2 and 32."""
    return int(min(32, max(2, round(n_features / 4))))


def resolve_arch(arch: str, sample_shape: Sequence[int]) -> str:
    """``"auto"`` -> "mlp" for rows, "lstm" for ``(t, d)`` sequences, "conv" for ``(c, h, w)``."""
    if arch not in ("auto", "mlp", "conv", "lstm"):
        raise ValueError(f'arch must be "auto", "mlp", "conv" or "lstm"; got {arch!r}.')
    nd = len(sample_shape)
    if arch == "auto":
        return {1: "mlp", 2: "lstm", 3: "conv"}[nd]
    if arch == "conv" and nd != 3:
        raise ValueError(f"arch='conv' needs images of shape (n, c, h, w); got samples of shape {tuple(sample_shape)}.")
    if arch == "lstm" and nd != 2:
        raise ValueError(f"arch='lstm' needs sequences of shape (n, t, d); got samples of shape {tuple(sample_shape)}.")
    return arch


class Flatten(nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class Unflatten(nn.Module):
    def __init__(self, shape: Sequence[int]):
        super().__init__()
        self.shape = tuple(int(s) for s in shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


def _conv_plan(h: int, w: int, max_halvings: int = 4) -> list[tuple[int, int]]:
    """Spatial sizes visited by stride-2 convolutions: halve while both sides are even and > 7."""
    sizes = [(h, w)]
    while len(sizes) <= max_halvings and h % 2 == 0 and w % 2 == 0 and min(h, w) > 7:
        h, w = h // 2, w // 2
        sizes.append((h, w))
    if len(sizes) == 1 and h % 2 == 0 and w % 2 == 0 and min(h, w) >= 4:  # 8x8 -> 4x4, 4x4 -> 2x2
        sizes.append((h // 2, w // 2))
    return sizes


class ConvEncoder(nn.Module):
    """DCGAN discriminator-style encoder: 4x4 stride-2 convolutions, BatchNorm, LeakyReLU(0.2),
    channels doubling from ``base_channels``; then a linear layer to ``out_dim``."""

    def __init__(self, sample_shape: Sequence[int], out_dim: int, base_channels: int = 32, batchnorm: bool = True):
        super().__init__()
        c, h, w = (int(v) for v in sample_shape)
        plan = _conv_plan(h, w)
        layers: list[nn.Module] = []
        ch = c
        for i in range(len(plan) - 1):
            out = base_channels * 2**i
            layers.append(nn.Conv2d(ch, out, 4, 2, 1, bias=not (batchnorm and i > 0)))
            if batchnorm and i > 0:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.LeakyReLU(0.2))
            ch = out
        self.features = nn.Sequential(*layers)
        self.out_shape = (ch, *plan[-1])
        self.head = nn.Sequential(Flatten(), nn.Linear(ch * plan[-1][0] * plan[-1][1], int(out_dim)))

    def forward(self, x):
        return self.head(self.features(x))


class ConvDecoder(nn.Module):
    """DCGAN generator-style decoder: linear to a small feature map, then 4x4 stride-2 transposed
    convolutions with BatchNorm and ReLU up to ``(c, h, w)``."""

    def __init__(self, sample_shape: Sequence[int], in_dim: int, base_channels: int = 32,
                 out_activation: str | None = None, batchnorm: bool = True):
        super().__init__()
        c, h, w = (int(v) for v in sample_shape)
        plan = _conv_plan(h, w)[::-1]
        n_up = len(plan) - 1
        ch = base_channels * 2 ** max(n_up - 1, 0)
        self.head = nn.Sequential(nn.Linear(int(in_dim), ch * plan[0][0] * plan[0][1]), Unflatten((ch, *plan[0])), nn.ReLU())
        layers: list[nn.Module] = []
        for i in range(n_up):
            last = i == n_up - 1
            out = c if last else ch // 2
            layers.append(nn.ConvTranspose2d(ch, out, 4, 2, 1, bias=last or not batchnorm))
            if not last:
                if batchnorm:
                    layers.append(nn.BatchNorm2d(out))
                layers.append(nn.ReLU())
            ch = out
        if n_up == 0:
            layers.append(nn.Conv2d(ch, c, 3, 1, 1))
        if out_activation is not None:
            layers.append(_act(out_activation))
        self.features = nn.Sequential(*layers)

    def forward(self, z):
        return self.features(self.head(z))


class LSTMEncoder(nn.Module):
    """Stacked LSTM over ``(n, t, d)``; the last hidden state(s) go through a linear layer to
    ``out_dim``."""

    def __init__(self, n_inputs: int, hidden: Sequence[int], out_dim: int, bidirectional: bool = False):
        super().__init__()
        hidden = list(hidden) or [32]
        self.layers = nn.ModuleList()
        d = int(n_inputs)
        dirs = 2 if bidirectional else 1
        for hsz in hidden:
            self.layers.append(nn.LSTM(d, int(hsz), batch_first=True, bidirectional=bidirectional))
            d = int(hsz) * dirs
        self.head = nn.Linear(d, int(out_dim))

    def forward(self, x):
        h = x
        for lstm in self.layers:
            h, (hn, _) = lstm(h)
        last = torch.cat([hn[-2], hn[-1]], dim=-1) if self.layers[-1].bidirectional else hn[-1]
        return self.head(last)


class LSTMDecoder(nn.Module):
    """Decode a code into a ``(t, d)`` sequence: the code is repeated at every time step and run
    through stacked LSTMs, then a linear read-out (one batched pass, no step-by-step loop)."""

    def __init__(self, in_dim: int, hidden: Sequence[int], seq_len: int, n_outputs: int):
        super().__init__()
        self.seq_len = int(seq_len)
        self.layers = nn.ModuleList()
        d = int(in_dim)
        for hsz in list(hidden) or [32]:
            self.layers.append(nn.LSTM(d, int(hsz), batch_first=True))
            d = int(hsz)
        self.out = nn.Linear(d, int(n_outputs))

    def forward(self, z):
        h = z.unsqueeze(1).expand(-1, self.seq_len, -1)
        for lstm in self.layers:
            h, _ = lstm(h)
        return self.out(h)


def encoder_decoder(
    sample_shape: Sequence[int],
    hidden: Sequence[int] | None,
    latent_dim: int,
    *,
    arch: str = "auto",
    encoder_out: int | None = None,
    activation: str = "relu",
    out_activation: str | None = None,
    base_channels: int = 32,
    batchnorm: bool = False,
    dropout: float = 0.0,
    bidirectional: bool = False,
) -> tuple[nn.Module, nn.Module]:
    """Encoder ``x -> R^{encoder_out}`` (default ``latent_dim``) and decoder ``R^{latent_dim} -> x``.

    ``hidden`` lists the encoder's hidden sizes (MLP units, LSTM units); the decoder mirrors it.
    For images, ``hidden`` is ignored and ``base_channels`` sets the width.
    """
    arch = resolve_arch(arch, sample_shape)
    enc_out = int(encoder_out or latent_dim)
    latent_dim = int(latent_dim)
    if arch == "mlp":
        d = int(sample_shape[0])
        hidden = list(default_hidden(d) if hidden is None else hidden)
        enc = mlp([d, *hidden, enc_out], activation, batchnorm=batchnorm, dropout=dropout)
        dec = mlp([latent_dim, *hidden[::-1], d], activation, out_activation=out_activation,
                  batchnorm=batchnorm, dropout=dropout)
        return enc, dec
    if arch == "conv":
        return (
            ConvEncoder(sample_shape, enc_out, base_channels),
            ConvDecoder(sample_shape, latent_dim, base_channels, out_activation=out_activation),
        )
    t, d = (int(v) for v in sample_shape)
    hidden = list([32] if hidden is None else hidden)
    return (
        LSTMEncoder(d, hidden, enc_out, bidirectional=bidirectional),
        LSTMDecoder(latent_dim, hidden[::-1], t, d),
    )


def encoder(
    sample_shape: Sequence[int],
    hidden: Sequence[int] | None,
    out_dim: int,
    *,
    arch: str = "auto",
    activation: str = "relu",
    base_channels: int = 32,
    batchnorm: bool = False,
    dropout: float = 0.0,
    bias: bool = True,
) -> nn.Module:
    """A network ``x -> R^{out_dim}`` picked by the sample shape (``arch="auto"``): an MLP over
    ``[d, *hidden, out_dim]`` for rows, :class:`LSTMEncoder` for ``(t, d)`` sequences,
    :class:`ConvEncoder` for ``(c, h, w)`` images (``hidden`` ignored). ``bias=False`` returns it
    bias-free (:func:`bias_free`)."""
    arch = resolve_arch(arch, sample_shape)
    if arch == "mlp":
        d = int(sample_shape[0])
        hidden = list(default_hidden(d) if hidden is None else hidden)
        net = mlp([d, *hidden, int(out_dim)], activation, batchnorm=batchnorm, dropout=dropout)
    elif arch == "conv":
        net = ConvEncoder(sample_shape, int(out_dim), base_channels)
    else:
        t, d = (int(v) for v in sample_shape)
        net = LSTMEncoder(d, list([32] if hidden is None else hidden), int(out_dim))
    return net if bias else bias_free(net)


def bias_free(net: nn.Module) -> nn.Module:
    """``net`` with every bias term removed, in place: linear and convolution layers lose their
    bias, batch normalisation its affine shift and scale (it keeps normalising), LSTMs are rebuilt
    without biases. A bias-free network cannot map every input to one constant point by its
    biases alone, the trivial solution one-class objectives must rule out (Ruff et al. 2018,
    Proposition 2)."""
    for name, m in list(net.named_modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.Conv1d, nn.ConvTranspose2d)) and m.bias is not None:
            m.register_parameter("bias", None)
        elif isinstance(m, nn.modules.batchnorm._BatchNorm) and m.affine:
            m.affine = False
            m.register_parameter("weight", None)
            m.register_parameter("bias", None)
        elif isinstance(m, nn.LSTM) and m.bias:
            parent = net.get_submodule(name.rpartition(".")[0]) if "." in name else net
            new = nn.LSTM(m.input_size, m.hidden_size, m.num_layers, bias=False, batch_first=m.batch_first,
                          bidirectional=m.bidirectional)
            key = name.rpartition(".")[2]
            if isinstance(parent, (nn.ModuleList, nn.Sequential)):
                parent[int(key)] = new
            else:
                setattr(parent, key, new)
    return net
