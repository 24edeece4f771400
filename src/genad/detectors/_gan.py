"""Pieces shared by the GAN detectors (ADGAN, AnoGAN, BiGAN, GANomaly).

* :class:`_GANDetector` -- the shared hyper-parameter handling: output activation chosen from the
  data range (tanh for data in [-1, 1]), "auto" preprocessing (none for images, which the
  loaders already put in [-1, 1]; standard scaling for rows), the divergence warning, and
  scoring in chunks for the latent search (:mod:`genad.nn.latent_search`) of ADGAN and AnoGAN;
* :func:`generator_net` / :class:`Critic` -- generator and discriminator built from
  :mod:`genad.nn.backbones` (DCGAN convolutions for images, MLPs for rows); the critic exposes
  its last hidden layer (``features``) for feature-matching losses;
* :func:`gradient_penalty` -- WGAN-GP (Gulrajani et al. 2017).
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral

import numpy as np
import torch
from torch import nn
from sklearn.utils._param_validation import Interval, StrOptions

from ..nn import backbones as B
from ..nn.latent_search import search_chunks
from .deep import POSITIVE_INT, DeepDetector

__all__ = ["_GANDetector", "Critic", "generator_net", "gradient_penalty"]

#: an epoch loss above this magnitude means the adversarial game blew up
DIVERGENCE_LIMIT = 1e4
#: fewest training rows a GAN detector accepts (below it no generator learns a distribution)
MIN_ROWS = 10


class _GANDetector(DeepDetector):
    """Shared behaviour of the GAN detectors (not exported)."""

    _SEARCH_ROWS = 4096  # (test points x seeds) searched together: bounds memory
    _CPU_CONV_SEARCH_ROWS = 256

    _parameter_constraints = {
        **DeepDetector._parameter_constraints,
        "output_activation": [None, StrOptions({"auto", "tanh", "sigmoid"})],
        "base_channels": [POSITIVE_INT],
        "min_steps": [None, Interval(Integral, 0, None, closed="left")],
    }
    _renamed_parameters = {"out_activation": "output_activation"}
    _min_hidden_layers = 1

    # -------------------------------------------------------------- input handling
    def _auto_preprocessing(self):
        return None if len(self.input_shape_) == 3 else "standard"

    def _fit(self, X: np.ndarray) -> None:
        oa = self._setting("output_activation")
        if oa == "auto":
            oa = "tanh" if (X.size and X.min() >= -1.0 and X.max() <= 1.0) else None
        elif oa not in (None, "tanh", "sigmoid"):
            raise ValueError(f'output_activation must be "auto", "tanh", "sigmoid" or None; got {oa!r}.')
        self.output_activation_ = oa
        super()._fit(X)

    @property
    def out_activation_(self):
        """Former name of ``output_activation_`` (model files saved before the rename)."""
        return self.output_activation_

    @out_activation_.setter
    def out_activation_(self, value):
        self.output_activation_ = value

    def _n_epochs(self, n_rows: int) -> int:
        """``epochs``, raised on small data sets until training runs ``min_steps`` mini-batch
        iterations (an adversarial game of ~90 images at batch 64 gets 2 updates per epoch:
        far too few for the generator to learn anything, whatever the epochs)."""
        epochs = int(self.epochs)
        if not self.min_steps:
            return epochs
        per_epoch = math.ceil(n_rows / int(self.batch_size))
        return max(epochs, math.ceil(int(self.min_steps) / per_epoch))

    def _arch(self) -> str:
        return "conv" if len(self.input_shape_) == 3 else "mlp"

    def _check_input(self, X: np.ndarray) -> None:
        super()._check_input(X)
        if len(X) < MIN_ROWS:
            raise ValueError(
                f"{type(self).__name__} needs at least {MIN_ROWS} training rows to train its adversarial "
                f"networks; got {len(X)}. Pass more normal data, or use a detector that works on a "
                "handful of rows (genad.KDE, genad.PCA, genad.KNN)."
            )
        if X.ndim == 3:
            raise ValueError(
                f"{type(self).__name__} takes rows (n, d) or images (n, c, h, w); got sequences of shape "
                f"{X.shape}. Flatten them with X.reshape(len(X), -1)."
            )

    def _default_latent_dim(self) -> int:
        """100 for images (DCGAN), but at most a quarter of the pixels (at least 16): a code as
        wide as a tiny image (8x8 digits) lets the generator reproduce anomalies as well; rows:
        about a quarter of the width, between 2 and 32."""
        if self._arch() == "conv":
            return int(min(100, max(16, np.prod(self.input_shape_) // 4)))
        return super()._default_latent_dim()

    def _adam_kwargs(self) -> dict:
        """GAN-friendly Adam momentum (beta1 = 0.5, DCGAN / WGAN-GP) when the optimizer is Adam."""
        return {"betas": (0.5, 0.9)} if (self.optimizer or "adam").lower() == "adam" else {}

    # -------------------------------------------------------------- scoring by search
    def _search_rows(self, dev: torch.device) -> int:
        """(test points x seeds) per search chunk. On a CPU, convolutional generators run
        fastest in chunks whose activations stay in cache (4 points x 64 seeds; a 64-point chunk
        of the MNIST generator moves ~1 GB per step and is memory-bound: see
        benchmarks/gan/README.md); elsewhere large chunks."""
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
        warn_if_diverged(self.history_, type(self).__name__, self._lr())


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


def log_normal(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) over the last axis."""
    return -0.5 * z.pow(2).sum(-1) - 0.5 * z.shape[-1] * math.log(2 * math.pi)
