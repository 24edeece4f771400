"""Pieces shared by the GAN detectors (ADGAN, AnoGAN, BiGAN, GANomaly).

* :class:`_GANDetector` -- the shared hyper-parameter handling: output activation chosen from the
  data range (tanh for data in [-1, 1]), "auto" preprocessing (none for images, which the
  loaders already put in [-1, 1]; standard scaling for rows), the divergence warning;
* :func:`generator_net` / :class:`Critic` -- generator and discriminator built from
  :mod:`genad.nn.backbones` (DCGAN convolutions for images, MLPs for rows); the critic exposes
  its last hidden layer (``features``) for feature-matching losses;
* :func:`gradient_penalty` -- WGAN-GP (Gulrajani et al. 2017);
* :func:`latent_search` -- the batched latent (and generator) search of ADGAN and AnoGAN: every
  test point gets ``n_seeds`` latent starting points and, optionally, its own copy of the
  generator's parameters; a hand-written Adam step updates all of them at once.
"""

from __future__ import annotations

import math
import warnings
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap

from ..nn import backbones as B
from .deep import DeepDetector

__all__ = ["_GANDetector", "Critic", "generator_net", "gradient_penalty", "latent_search", "adam_update"]

#: an epoch loss above this magnitude means the adversarial game blew up
DIVERGENCE_LIMIT = 1e4


class _GANDetector(DeepDetector):
    """Shared behaviour of the GAN detectors (not exported)."""

    _SEARCH_ROWS = 4096  # (test points x seeds) searched together: bounds memory
    _CPU_CONV_SEARCH_ROWS = 256

    # -------------------------------------------------------------- input handling
    def _preprocessing(self):
        p = getattr(self, "preprocessing", "auto")
        if p == "auto":
            return None if len(self.input_shape_) == 3 else "standard"
        return p

    def _fit(self, X: np.ndarray) -> None:
        oa = getattr(self, "out_activation", "auto")
        if oa == "auto":
            oa = "tanh" if (X.size and X.min() >= -1.0 and X.max() <= 1.0) else None
        elif oa not in (None, "tanh", "sigmoid"):
            raise ValueError(f'out_activation must be "auto", "tanh", "sigmoid" or None; got {oa!r}.')
        self.out_activation_ = oa
        super()._fit(X)

    def _arch(self) -> str:
        return "conv" if len(self.input_shape_) == 3 else "mlp"

    def _check_input(self, X: np.ndarray) -> None:
        super()._check_input(X)
        if X.ndim == 3:
            raise ValueError(
                f"{type(self).__name__} takes rows (n, d) or images (n, c, h, w); got sequences of shape "
                f"{X.shape}. Flatten them with X.reshape(len(X), -1)."
            )

    def _hidden(self) -> list[int]:
        h = getattr(self, "hidden", None)
        if h is None:
            return B.default_hidden(int(np.prod(self.input_shape_)))
        return [int(h)] if isinstance(h, (int, np.integer)) else [int(v) for v in h]

    def _latent_dim(self) -> int:
        k = getattr(self, "latent_dim", None)
        if k is None:
            return 100 if self._arch() == "conv" else B.default_latent_dim(int(np.prod(self.input_shape_)))
        if int(k) < 1:
            raise ValueError(f"latent_dim must be a positive integer; got {k!r}.")
        return int(k)

    def _adam_kwargs(self) -> dict:
        """GAN-friendly Adam momentum (beta1 = 0.5, DCGAN / WGAN-GP) when the optimizer is Adam."""
        return {"betas": (0.5, 0.9)} if (self.optimizer or "adam").lower() == "adam" else {}

    # -------------------------------------------------------------- scoring by search
    def _search_rows(self, dev: torch.device) -> int:
        """(test points x seeds) per search chunk. On a CPU, convolutional generators run
        fastest in small chunks (vmap turns per-point weights into grouped convolutions, slow on
        CPUs: see benchmarks/gan/README.md); elsewhere large chunks."""
        if dev.type == "cpu" and len(self.input_shape_) == 3:
            return min(self._SEARCH_ROWS, self._CPU_CONV_SEARCH_ROWS)
        return self._SEARCH_ROWS

    def _search_score(self, X: np.ndarray) -> np.ndarray:
        """Score ``X`` in chunks of test points with gradients enabled (for latent searches)."""
        dev = self._to_device()
        for m in self._modules():
            m.eval()
        step = search_chunks(len(X), getattr(self, "n_seeds", 1), self._search_rows(dev))
        out = []
        with torch.inference_mode(False):
            for i in range(0, len(X), step):
                xb = torch.as_tensor(X[i : i + step], device=dev)
                out.append(self._score_batch(xb).detach().double().cpu())
        return torch.cat(out).numpy()

    # -------------------------------------------------------------- divergence
    def _after_training(self, X):
        warn_if_diverged(self.history_, type(self).__name__, self.lr)


def warn_if_diverged(history: dict, name: str, lr) -> bool:
    """Warn (RuntimeWarning) when an adversarial loss exploded during training."""
    for key, vals in history.items():
        if not key.endswith("_loss") or not vals:
            continue
        v = np.asarray(vals, dtype=float)
        if np.nanmax(np.abs(v)) > DIVERGENCE_LIMIT:
            warnings.warn(
                f"{name} training diverged: {key} reached {np.nanmax(np.abs(v)):.3g} (limit {DIVERGENCE_LIMIT:g}); "
                f"the scores are unreliable. Lower the learning rate (lr={lr}), scale the input, or "
                "train the discriminator more steps per generator step.",
                RuntimeWarning,
                stacklevel=4,
            )
            return True
    return False


# ------------------------------------------------------------------ networks
def generator_net(sample_shape, hidden, latent_dim, out_activation=None, base_channels=32, batchnorm=True):
    """Generator ``z -> x``: DCGAN transposed convolutions for images, an MLP for rows."""
    if len(sample_shape) == 3:
        return B.ConvDecoder(sample_shape, latent_dim, base_channels, out_activation=out_activation,
                             batchnorm=batchnorm)
    d = int(sample_shape[0])
    return B.mlp([latent_dim, *list(hidden)[::-1], d], "relu", out_activation=out_activation)


def encoder_net(sample_shape, hidden, out_dim, base_channels=32):
    """Encoder ``x -> R^out_dim``: DCGAN strided convolutions for images, an MLP for rows."""
    if len(sample_shape) == 3:
        return B.ConvEncoder(sample_shape, out_dim, base_channels)
    return B.mlp([int(sample_shape[0]), *hidden, out_dim], "leaky_relu")


class Critic(nn.Module):
    """Discriminator / critic with a readable feature layer.

    ``features(x)`` is the last hidden layer (DCGAN strided convolutions without BatchNorm for
    images -- WGAN-GP penalises per-sample gradients, which BatchNorm would couple -- or an MLP
    with LeakyReLU for rows); ``forward(x)`` a linear read-out of it. With ``z_dim`` > 0 the
    critic judges pairs ``(x, z)`` (BiGAN): x-features and a z-embedding are joined by one more
    hidden layer, which is then the feature layer.
    """

    def __init__(self, sample_shape, hidden, base_channels=32, batchnorm=False, z_dim=0, joint=None,
                 dropout=0.0, out_dim=1):
        super().__init__()
        sample_shape = tuple(int(v) for v in sample_shape)
        if len(sample_shape) == 3:
            enc = B.ConvEncoder(sample_shape, 1, base_channels, batchnorm=batchnorm)
            self.body = nn.Sequential(enc.features, B.Flatten())
            feat = int(np.prod(enc.out_shape))
        else:
            hidden = list(hidden)
            self.body = B.mlp([sample_shape[0], *hidden], "leaky_relu", out_activation="leaky_relu",
                              dropout=dropout)
            feat = hidden[-1]
        self.z_dim = int(z_dim)
        if self.z_dim:
            zh = joint or max(16, min(512, feat))
            self.z_body = B.mlp([self.z_dim, zh], out_activation="leaky_relu", dropout=dropout)
            self.joint = B.mlp([feat + zh, zh], out_activation="leaky_relu", dropout=dropout)
            feat = zh
        self.head = nn.Linear(feat, out_dim)

    def features(self, x, z=None):
        h = self.body(x)
        if self.z_dim:
            h = self.joint(torch.cat([h, self.z_body(z)], dim=1))
        return h

    def forward(self, x, z=None):
        return self.head(self.features(x, z))


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP: ``E[(||grad_x D(x_hat)||_2 - 1)^2]`` at random interpolates ``x_hat`` of real and
    fake samples (Gulrajani et al. 2017, eq. 3)."""
    eps = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device, dtype=real.dtype)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = critic(x_hat)
    (g,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()


# ------------------------------------------------------------------ latent search
def adam_update(params, grads, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    """One Adam step (Kingma & Ba 2015) on lists of tensors, in place, all points at once."""
    b1, b2 = betas
    c1, c2 = 1 - b1**t, 1 - b2**t
    for p, g, mi, vi in zip(params, grads, m, v):
        mi.mul_(b1).add_(g, alpha=1 - b1)
        vi.mul_(b2).addcmul_(g, g, value=1 - b2)
        p.sub_(lr * (mi / c1) / ((vi / c2).sqrt_().add_(eps)))


def latent_search(
    generator: nn.Module,
    x: torch.Tensor,
    seeds: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    steps: int,
    lr: float,
    generator_lr: float = 0.0,
    adapt_generator: bool = False,
    impl: str = "auto",
):
    """Search the latent space (and per-point generator copies) for each row of ``x``.

    Every test point ``i`` starts from the same ``S`` latent seeds ``seeds`` (S, k) and, when
    ``adapt_generator``, from a fresh copy ``theta_i`` of the generator's parameters. Each of
    ``steps`` Adam steps minimises ``loss_fn(G_theta_i(z_is), x_i, z_is)`` over ``z_is``
    (rate ``lr``) and ``theta_i`` (rate ``generator_lr``). The per-point losses are independent,
    so the gradient of their sum gives every point's own gradient; the per-point generators run
    as one batched call (``torch.func.vmap`` over ``functional_call``: batched matmuls for MLPs,
    grouped convolutions for conv nets). No loop over test points.

    Returns ``(loss, z, x_hat)``: the final per-(point, seed) loss (P, S), latents (P, S, k) and
    generated samples (P, S, *shape).

    ``impl="bmm"`` runs the per-point generators of the MLP/DCGAN backbones as batched matrix
    products (``torch.bmm``; transposed convolutions as ``bmm`` + ``F.fold``); ``impl="vmap"``
    uses ``vmap(functional_call)`` (grouped convolutions); ``"auto"`` picks bmm for MLP
    generators (faster than vmap on a CPU) and vmap for convolutional ones (where bmm + fold
    was slower on a CPU).
    """
    P, (S, k) = x.shape[0], seeds.shape
    params = {n: p.detach() for n, p in generator.named_parameters()}
    buffers = {n: b.detach() for n, b in generator.named_buffers()}
    z = seeds.to(x).unsqueeze(0).expand(P, S, k).clone()

    if adapt_generator:
        theta = {n: p.unsqueeze(0).expand(P, *p.shape).clone() for n, p in params.items()}
        if impl not in ("auto", "bmm", "vmap"):
            raise ValueError(f'impl must be "auto", "bmm" or "vmap"; got {impl!r}.')
        layers = _layer_sequence(generator) if impl != "vmap" else None
        if impl == "auto" and layers is not None and any(isinstance(m, nn.ConvTranspose2d) for _, m in layers):
            layers = None  # on a CPU vmap's grouped convolutions beat bmm + fold here
        if layers is not None:  # batched matmuls (+ fold for transposed convolutions)

            def gen(th, zz):
                return _per_point_forward(layers, th, buffers, zz)
        else:

            def one(th, zp):  # one test point: its parameter copy, its S latents
                return functional_call(generator, (th, buffers), (zp,))

            batched = vmap(one, in_dims=(0, 0))

            def gen(th, zz):
                return batched(th, zz)
    else:
        theta = {}

        def gen(th, zz):
            out = functional_call(generator, (params, buffers), (zz.reshape(P * S, k),))
            return out.reshape(P, S, *out.shape[1:])

    names = list(theta)
    leaves = [z] + [theta[n] for n in names]
    m = [torch.zeros_like(t) for t in leaves]
    v = [torch.zeros_like(t) for t in leaves]
    for t in range(1, int(steps) + 1):
        with torch.enable_grad():
            req = [leaf.detach().requires_grad_(True) for leaf in leaves]
            th = dict(zip(names, req[1:]))
            loss = loss_fn(gen(th, req[0]), x, req[0])
            grads = torch.autograd.grad(loss.sum(), req)
        with torch.no_grad():
            adam_update(leaves[:1], grads[:1], m[:1], v[:1], t, lr)
            if names:
                adam_update(leaves[1:], grads[1:], m[1:], v[1:], t, generator_lr)
    with torch.no_grad():
        th = dict(zip(names, leaves[1:]))
        x_hat = gen(th, leaves[0])
        loss = loss_fn(x_hat, x, leaves[0])
    return loss, leaves[0], x_hat


_ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.ELU, nn.GELU, nn.SELU)


def _layer_sequence(module: nn.Module, prefix: str = ""):
    """``[(name, layer)]`` in execution order for the backbones' generators, or None when the
    module holds a layer the batched per-point forward does not know (then vmap is used)."""
    if isinstance(module, B.ConvDecoder):
        parts = [("head", module.head), ("features", module.features)]
    elif isinstance(module, nn.Sequential):
        parts = list(module.named_children())
    elif isinstance(module, (nn.Linear, nn.ConvTranspose2d, nn.BatchNorm2d, nn.BatchNorm1d, B.Unflatten,
                             *_ELEMENTWISE)):
        if isinstance(module, nn.ConvTranspose2d) and (module.groups != 1 or any(module.output_padding)):
            return None
        return [(prefix, module)]
    else:
        return None
    out = []
    for name, child in parts:
        seq = _layer_sequence(child, f"{prefix}.{name}" if prefix else name)
        if seq is None:
            return None
        out.extend(seq)
    return out


def _per_point_forward(layers, theta: dict, buffers: dict, z: torch.Tensor) -> torch.Tensor:
    """Run P generator copies (parameters ``theta[name]`` of shape (P, ...)) on their own S
    latents ``z`` (P, S, k) with batched matrix products; returns (P, S, *sample_shape)."""
    P, S = z.shape[:2]
    h = z
    for name, m in layers:
        pre = f"{name}." if name else ""
        if isinstance(m, nn.Linear):  # h (P, S, in) @ W_p^T + b_p
            W = theta[pre + "weight"]
            b = theta.get(pre + "bias")
            h = torch.bmm(h, W.transpose(1, 2)) if b is None else torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2))
        elif isinstance(m, B.Unflatten):
            h = h.reshape(P, S, *m.shape)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):  # eval mode: running statistics
            if m.training:
                raise RuntimeError("the per-point search needs the generator in eval mode")
            extra = (1,) * (h.dim() - 3)
            mean = buffers[pre + "running_mean"].view(1, 1, -1, *extra)
            var = buffers[pre + "running_var"].view(1, 1, -1, *extra)
            h = (h - mean) / torch.sqrt(var + m.eps)
            if m.affine:
                h = h * theta[pre + "weight"].view(P, 1, -1, *extra) + theta[pre + "bias"].view(P, 1, -1, *extra)
        elif isinstance(m, nn.ConvTranspose2d):
            # out[co, y, x] = sum_{ci, ky, kx} in[ci, iy, ix] W[ci, co, ky, kx], y = iy*s - p + ky*d:
            # one bmm per point gives every (co, ky, kx) contribution; F.fold adds them in place.
            W = theta[pre + "weight"]  # (P, Cin, Cout, kh, kw)
            _, cin, cout, kh, kw = W.shape
            H, Wd = h.shape[-2:]
            x = h.permute(0, 1, 3, 4, 2).reshape(P, S * H * Wd, cin)
            cols = torch.bmm(x, W.reshape(P, cin, cout * kh * kw))
            cols = cols.reshape(P * S, H * Wd, cout * kh * kw).transpose(1, 2)
            (sh, sw), (ph, pw), (dh, dw) = m.stride, m.padding, m.dilation
            Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + 1
            Wo = (Wd - 1) * sw - 2 * pw + dw * (kw - 1) + 1
            out = F.fold(cols, (Ho, Wo), (kh, kw), dilation=(dh, dw), padding=(ph, pw), stride=(sh, sw))
            h = out.reshape(P, S, cout, Ho, Wo)
            b = theta.get(pre + "bias")
            if b is not None:
                h = h + b.view(P, 1, cout, 1, 1)
        else:  # stateless elementwise activation
            h = m(h)
    return h


def search_chunks(n: int, n_seeds: int, rows: int) -> int:
    """Test points per search chunk so that points x seeds stays near ``rows``."""
    return max(1, int(rows) // max(1, int(n_seeds)))


def draw_seeds(n_seeds: int, latent_dim: int, seed: int) -> np.ndarray:
    """The latent starting points shared by all test points (deterministic given ``seed``)."""
    g = torch.Generator().manual_seed(int(seed) + 7919)
    return torch.randn(int(n_seeds), int(latent_dim), generator=g).numpy().astype(np.float32)


def check_positive_int(name: str, value) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def log_normal(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) over the last axis."""
    return -0.5 * z.pow(2).sum(-1) - 0.5 * z.shape[-1] * math.log(2 * math.pi)
