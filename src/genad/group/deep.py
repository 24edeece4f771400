"""Deep generative group anomaly detection (Chalapathy, Toth & Chawla, ECML-PKDD 2018).

The paper trains an adversarial autoencoder (AAE) or a variational autoencoder (VAE) on the
*points* of the training groups, then scores a group from its points' latent codes (and
reconstructions). Two point models are defined here with the shared building blocks
(:mod:`genad.nn.backbones`) and the one training loop (:func:`genad.nn.training.train`):

* :class:`PointAAE` -- encoder ``z = E(x)``, decoder ``x' = D(z)``, latent discriminator ``C(z)``.
  Three alternating steps per mini-batch (Makhzani et al. 2016):
  reconstruction ``||x - D(E(x))||^2`` (encoder + decoder);
  discriminator ``-log C(z_prior) - log(1 - C(E(x)))`` with ``z_prior ~ N(0, I)``;
  generator ``-log C(E(x))`` (encoder only).
* :class:`PointVAE` -- ``q(z|x) = N(mu(x), diag sigma^2(x))``, loss
  ``0.5 ||x - D(z)||^2 + KL(q(z|x) || N(0, I))`` with ``z = mu + sigma * eps`` (Kingma & Welling 2014).

:class:`GroupAAE` and :class:`GroupVAE` fit one of them and score a group ``G`` with latent
codes ``Z_G = {E(x) : x in G}`` (the VAE uses ``mu(x)``) by ``score=``:

* ``"paper"`` -- the paper's score: Euclidean distance from the group's mean code
  ``mean(Z_G)`` to the mean of the training groups' mean codes;
* ``"mahalanobis"`` -- Mahalanobis distance of ``mean(Z_G)`` to the training groups' mean codes
  (their mean and ridge-regularised covariance);
* ``"knn"`` -- mean Euclidean distance of ``mean(Z_G)`` to the ``n_neighbors`` nearest training
  mean codes;
* ``"mmd"`` -- mean ``MMD(Z_G, Z_T)`` to the ``n_neighbors`` nearest training groups ``T``
  (Gaussian kernel on codes, bandwidth ``bandwidth_scale`` x the median pairwise distance
  between training codes; :mod:`genad.group.kernels`):
  compares whole distributions of codes, so it sees groups whose points are each normal but
  whose mixture or shape is not;
* ``"reconstruction"`` -- mean reconstruction error ``||x - D(E(x))||^2`` over the group.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from ..detectors.deep import DeepDetector
from ..nn.backbones import encoder_decoder, mlp
from ..nn.training import Step
from .base import GroupDetector, group_means
from .kernels import group_self_kernel, median_bandwidth, mmd2

__all__ = ["PointAAE", "PointVAE", "GroupAAE", "GroupVAE", "SCORES"]

SCORES = ("paper", "mahalanobis", "knn", "mmd", "reconstruction")
DEFAULT_HIDDEN = (64, 32)


# ----------------------------------------------------------------------------- point models
class _PointModel(DeepDetector):
    """Shared parameters of the point models; scaling is done by the group detector."""

    calibration_fraction: ClassVar[float] = 0.0  # the group detector holds out whole groups

    def __init__(self, hidden=None, latent_dim=None, epochs=30, batch_size=128, lr=1e-3, optimizer="adam",
                 weight_decay=0.0, validation_fraction=0.0, patience=None, preprocessing=None, device="auto",
                 random_state=None, verbose=0, callbacks=None):
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.preprocessing = preprocessing
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    def _latent(self) -> int:
        # default: as many codes as features (at least 2, at most 32); group data are usually
        # low-dimensional and the prior, not a bottleneck, shapes the latent space
        return int(self.latent_dim or min(max(2, self.input_shape_[0]), 32))

    def _hidden(self) -> list[int]:
        return list(DEFAULT_HIDDEN if self.hidden is None else self.hidden)

    def _codes(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise TypeError

    def _reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder_(self._codes(x))

    def _score_batch(self, x):
        return ((self._reconstruct(x) - x) ** 2).mean(dim=1)

    def embed(self, X: np.ndarray) -> np.ndarray:
        """Latent codes of already-scaled points ``X`` (the VAE gives the posterior means)."""
        return self._forward_batched(self._codes, np.asarray(X, dtype=np.float32)).astype(np.float64)


class PointAAE(_PointModel):
    """Adversarial autoencoder on points with a standard normal latent prior (see module docstring)."""

    _fast_params: ClassVar[dict] = {"epochs": 2, "hidden": [16, 8]}

    def _build_networks(self):
        k = self._latent()
        self.encoder_, self.decoder_ = encoder_decoder(self.input_shape_, self._hidden(), k, arch="mlp")
        self.discriminator_ = mlp([k, *self._hidden(), 1], activation="leaky_relu")

    def _codes(self, x):
        return self.encoder_(x)

    def _steps(self):
        ones = lambda t: torch.ones(len(t), 1, device=t.device)  # noqa: E731
        zeros = lambda t: torch.zeros(len(t), 1, device=t.device)  # noqa: E731

        def reconstruction(x):  # ||x - D(E(x))||^2
            return ((self.decoder_(self.encoder_(x)) - x) ** 2).sum(dim=1).mean()

        def discriminator(x):  # -log C(z_prior) - log(1 - C(E(x)))
            z_fake = self.encoder_(x).detach()
            z_real = torch.randn_like(z_fake)
            real, fake = self.discriminator_(z_real), self.discriminator_(z_fake)
            return F.binary_cross_entropy_with_logits(real, ones(real)) + F.binary_cross_entropy_with_logits(
                fake, zeros(fake))

        def generator(x):  # -log C(E(x)): the encoder learns to match the prior
            fake = self.discriminator_(self.encoder_(x))
            return F.binary_cross_entropy_with_logits(fake, ones(fake))

        return [
            Step("reconstruction", [self.encoder_, self.decoder_], reconstruction),
            Step("discriminator", [self.discriminator_], discriminator),
            Step("generator", [self.encoder_], generator),
        ]

    def _validation_loss(self):
        return lambda x: ((self.decoder_(self.encoder_(x)) - x) ** 2).sum(dim=1).mean()


class PointVAE(_PointModel):
    """Variational autoencoder on points (see module docstring); ``beta`` weights the KL term."""

    _fast_params: ClassVar[dict] = {"epochs": 2, "hidden": [16, 8]}

    def __init__(self, hidden=None, latent_dim=None, epochs=30, batch_size=128, lr=1e-3, optimizer="adam",
                 weight_decay=0.0, validation_fraction=0.0, patience=None, preprocessing=None, device="auto",
                 random_state=None, verbose=0, callbacks=None, beta=1.0):
        super().__init__(hidden, latent_dim, epochs, batch_size, lr, optimizer, weight_decay, validation_fraction,
                         patience, preprocessing, device, random_state, verbose, callbacks)
        self.beta = beta

    def _build_networks(self):
        k = self._latent()
        self.encoder_, self.decoder_ = encoder_decoder(self.input_shape_, self._hidden(), k, arch="mlp",
                                                       encoder_out=2 * k)

    def _codes(self, x):
        return self.encoder_(x)[:, : self._latent()]

    def _steps(self):
        k = self._latent()

        def elbo(x):
            h = self.encoder_(x)
            mu, logvar = h[:, :k], h[:, k:].clamp(-10.0, 10.0)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)  # reparameterisation
            rec = 0.5 * ((self.decoder_(z) - x) ** 2).sum(dim=1).mean()
            kl = 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(dim=1).mean()  # KL(q || N(0, I))
            return {"loss": rec + float(self.beta) * kl, "reconstruction": rec, "kl": kl}

        return [Step("elbo", [self.encoder_, self.decoder_], elbo)]


# ----------------------------------------------------------------------------- group detectors
class _DeepGroup(GroupDetector):
    _point_model: ClassVar[type] = PointAAE
    _dtype = np.float32

    def __init__(self, score="mmd", n_neighbors=5, bandwidth_scale=0.25, hidden=None, latent_dim=None, epochs=30,
                 batch_size=128, lr=1e-3, optimizer="adam", weight_decay=0.0, validation_fraction=0.0,
                 patience=None, preprocessing="standard", device="auto", contamination=None, random_state=None,
                 verbose=0, callbacks=None):
        self.score = score
        self.n_neighbors = n_neighbors
        self.bandwidth_scale = bandwidth_scale
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.preprocessing = preprocessing
        self.device = device
        self.contamination = contamination
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    _model_keys = ("hidden", "latent_dim", "epochs", "batch_size", "lr", "optimizer", "weight_decay",
                   "validation_fraction", "patience", "device", "random_state", "verbose", "callbacks")

    def _point_model_params(self) -> dict:
        return {k: getattr(self, k) for k in self._model_keys}

    def _check_score(self, score):
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}; got {score!r}.")
        k = self.n_neighbors
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"n_neighbors must be a positive integer; got {k!r}.")

    def _fit_groups(self, X, offsets):
        self._check_score(self.score)
        self.model_ = self._point_model(**self._point_model_params()).fit(X)
        self.history_ = self.model_.history_
        Z = self.model_.embed(X)
        # references for every score, so that score_groups(..., score=s) works for all of them
        self.ref_means_ = group_means(Z, offsets)
        self.ref_center_ = self.ref_means_.mean(axis=0)
        k = Z.shape[1]
        C = np.cov(self.ref_means_.T).reshape(k, k) if len(self.ref_means_) > 1 else np.eye(k)
        C = C + (1e-6 + 1e-3 * np.trace(C) / k) * np.eye(k)  # ridge: few groups, near-singular covariance
        self.ref_precision_ = np.linalg.inv(C)
        self.ref_codes_ = Z
        self.ref_offsets_ = np.asarray(offsets, dtype=np.int64)
        if not float(self.bandwidth_scale) > 0:
            raise ValueError(f"bandwidth_scale must be positive; got {self.bandwidth_scale!r}.")
        self.bandwidth_ = float(self.bandwidth_scale) * median_bandwidth(Z, random_state=self._seed())
        self.ref_self_kernel_ = group_self_kernel(Z, self.ref_offsets_, self.bandwidth_)

    def _nearest_mean(self, D: np.ndarray, exclude_self: bool) -> np.ndarray:
        if exclude_self:
            D = D.copy()
            np.fill_diagonal(D, np.inf)
        k = min(int(self.n_neighbors), D.shape[1] - int(exclude_self))
        return np.sort(D, axis=1)[:, :max(k, 1)].mean(axis=1)

    def _latent_scores(self, X, offsets, score, training=False) -> np.ndarray:
        self._check_score(score)
        if score == "reconstruction":
            err = self.model_._score(np.asarray(X, dtype=np.float32))
            return np.add.reduceat(err, offsets[:-1]) / np.diff(offsets)
        Z = self.model_.embed(X)
        M = group_means(Z, offsets)
        if score == "paper":
            return np.linalg.norm(M - self.ref_center_, axis=1)
        if score == "mahalanobis":
            d = M - self.ref_center_
            return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", d, self.ref_precision_, d), 0.0))
        if score == "knn":
            D = np.sqrt(((M[:, None, :] - self.ref_means_[None, :, :]) ** 2).sum(-1))
            return self._nearest_mean(D, training)
        D = np.sqrt(mmd2(Z, offsets, self.ref_codes_, self.ref_offsets_, self.bandwidth_,
                         self2=self.ref_self_kernel_))
        return self._nearest_mean(D, training)

    def _score_groups(self, X, offsets):
        return self._latent_scores(X, offsets, self.score)

    def _score_training_groups(self, X, offsets):
        return self._latent_scores(X, offsets, self.score, training=True)

    def score_groups(self, X, groups=None, score=None) -> np.ndarray:
        """Group scores under any of :data:`SCORES` (default: ``self.score``) from one fitted model.

        ``decision_function`` and the threshold use ``self.score``; this lets you compare the
        scores without refitting.
        """
        pts, offsets, _ = self._input(X, groups, fitting=False)
        return self._latent_scores(self.scaler_.transform(pts), offsets, score or self.score)

    def transform(self, X, groups=None) -> np.ndarray:
        """Mean latent code of each group, ``(n_groups, latent_dim)``, in ``np.unique(groups)`` order."""
        pts, offsets, _ = self._input(X, groups, fitting=False)
        return group_means(self.model_.embed(self.scaler_.transform(pts)), offsets)


class GroupAAE(_DeepGroup):
    """Group anomaly detection with an adversarial autoencoder on the points (see module docstring).

    Parameters
    ----------
    score : {"mmd", "paper", "mahalanobis", "knn", "reconstruction"}
        How a group's latent codes become its score (module docstring). Default "mmd" (the
        best on our benchmarks, benchmarks/group/README.md).
    n_neighbors : int
        Training groups averaged over by "knn" and "mmd".
    bandwidth_scale : float
        Kernel width for "mmd" as a multiple of the median pairwise distance between the
        training codes (the plain median heuristic is 1.0; 0.25 was chosen on a separate seed,
        benchmarks/group/README.md).
    hidden, latent_dim, epochs, batch_size, lr, optimizer, weight_decay, validation_fraction,
    patience, device, random_state, verbose, callbacks :
        The shared deep-detector arguments, passed to :class:`PointAAE`. ``hidden`` defaults to
        (64, 32) and ``latent_dim`` to the number of features (between 2 and 32).
    preprocessing, contamination : as for every group detector.

    Attributes
    ----------
    model_ : PointAAE, history_ : training history, ref_means_ : training groups' mean codes,
    bandwidth_ : kernel bandwidth on codes, plus those of :class:`GroupDetector`.

    Examples
    --------
    >>> from genad.datasets import load
    >>> from genad.group import GroupAAE
    >>> ds = load("synthetic-groups", kind="distribution", random_state=0)
    >>> det = GroupAAE(random_state=0).fit(ds.X_train, groups=ds.groups_train)
    >>> scores = det.decision_function(ds.X_test, groups=ds.groups_test)   # one per group
    """

    _point_model = PointAAE
    _fast_params: ClassVar[dict] = {"epochs": 2, "hidden": [16, 8]}


class GroupVAE(_DeepGroup):
    """Group anomaly detection with a variational autoencoder on the points.

    Same parameters as :class:`GroupAAE`, plus ``beta`` (weight of the KL term); codes are the
    posterior means ``mu(x)``.
    """

    _point_model = PointVAE
    _fast_params: ClassVar[dict] = {"epochs": 2, "hidden": [16, 8]}
    _model_keys = _DeepGroup._model_keys + ("beta",)

    def __init__(self, score="mmd", n_neighbors=5, bandwidth_scale=0.25, hidden=None, latent_dim=None, epochs=30,
                 batch_size=128, lr=1e-3, optimizer="adam", weight_decay=0.0, validation_fraction=0.0,
                 patience=None, preprocessing="standard", device="auto", contamination=None, random_state=None,
                 verbose=0, callbacks=None, beta=1.0):
        super().__init__(score, n_neighbors, bandwidth_scale, hidden, latent_dim, epochs, batch_size, lr, optimizer,
                         weight_decay, validation_fraction, patience, preprocessing, device, contamination,
                         random_state, verbose, callbacks)
        self.beta = beta


from ..bench.registry import register  # noqa: E402

for _cls in (GroupAAE, GroupVAE):
    register(_cls.__name__, (lambda c: lambda ds, seed: c(random_state=seed))(_cls),
             suites=["sdss-groups", "synthetic-groups"], kind="group")
