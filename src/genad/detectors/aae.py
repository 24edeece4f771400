"""Adversarial autoencoder (Makhzani et al. 2016).

An autoencoder whose codes are pushed towards a prior ``p(z) = N(0, I)`` by a GAN played in the
latent space: a discriminator ``D`` tells codes ``z = E(x)`` of training points from draws of the
prior, and the encoder learns to fool it. Each mini-batch runs three steps in turn (the paper's
"reconstruction phase" and "regularisation phase")::

    1. reconstruction   min_{E,G}  1/d || x - G(E(x)) ||^2
    2. discriminator    min_D  -log D(z') - log(1 - D(E(x)))            z' ~ N(0, I)
    3. generator        min_E  -log D(E(x))

Scores (higher = more anomalous):

* ``"reconstruction"`` -- mean squared reconstruction error;
* ``"latent"`` -- negative prior log-density of the code, ``1/2 ||E(x)||^2 + k/2 log 2 pi``;
* ``"both"`` -- the sum of the two, each standardised by its mean and standard deviation on
  the training rows.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .._deprecation import take_renamed
from ..nn import backbones as B
from ..nn.training import Step
from .autoencoder import _ReconstructionModel, squared_error, trimmed_mean
from .deep import LAYER_SIZES, NON_NEGATIVE, POSITIVE

__all__ = ["AdversarialAutoEncoder"]


class AdversarialAutoEncoder(_ReconstructionModel):
    """Adversarial autoencoder anomaly detector with a N(0, I) latent prior.

    Parameters
    ----------
    score_type : {"reconstruction", "latent", "both"}
        What the anomaly score measures (see the module docstring).
        ``score=`` (its former name) still works, with a FutureWarning, until the next release.
    discriminator_hidden : list of int or None
        Hidden sizes of the latent discriminator (None: ``[64, 64]``, or ``[16, 16]`` for codes
        of at most 4 dimensions).
    adversarial_lr : float or None
        Learning rate of the discriminator and generator steps (None: ``lr``).
    adversarial_weight : float
        Weight of the generator (regularisation) loss.
    trim : "auto" or float in [0, 0.5)
        Trimmed loss for contaminated training data: the rows with the largest reconstruction
        errors are left out of the reconstruction loss (the adversarial steps use every row);
        ``"auto"`` (default) estimates their share during training, a number fixes it per
        batch (0 trains on every row); see :class:`genad.AutoEncoder`. On ECG5000 with 30%
        abnormal training beats (tuning seeds 10, 11): 0.971 with ``"auto"``.
    hidden, latent_dim, activation, output_activation, arch, dropout, epochs, batch_size, lr, optimizer,
    weight_decay, penalty, penalty_weight, validation_fraction, patience, clip_grad_norm,
    preprocessing, device, random_state, verbose, callbacks, contamination :
        as in :class:`genad.AutoEncoder`.

    Attributes
    ----------
    encoder_, decoder_, discriminator_ : torch modules
    score_stats_ : ndarray (4,)
        Mean and standard deviation of the reconstruction and latent terms on the training rows
        (used by ``score_type="both"``).
    history_ : per-epoch ``reconstruction_loss``, ``discriminator_loss``, ``generator_loss``,
        ``loss`` (their sum) and ``val_loss`` (reconstruction).
    """

    _fast_params = {"epochs": 3, "batch_size": 64, "patience": None}
    _SCORES = ("reconstruction", "latent", "both")
    _renamed_parameters = {"score": "score_type"}
    _parameter_constraints = {
        **_ReconstructionModel._parameter_constraints,
        "score_type": "no_validation",  # checked with its choices when the networks are built
        "discriminator_hidden": LAYER_SIZES,
        "adversarial_lr": [None, POSITIVE],
        "adversarial_weight": [NON_NEGATIVE],
    }

    def __init__(
        self,
        hidden=None,
        latent_dim=None,
        activation="relu",
        output_activation=None,
        arch="auto",
        score_type="reconstruction",
        discriminator_hidden=None,
        adversarial_lr=None,
        adversarial_weight=1.0,
        dropout=0.0,
        trim="auto",
        epochs=50,
        batch_size=128,
        lr=1e-3,
        optimizer="adam",
        weight_decay=0.0,
        penalty=None,
        penalty_weight=1e-4,
        validation_fraction=0.1,
        patience=5,
        clip_grad_norm=None,
        preprocessing="standard",
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        contamination=None,
        *,
        score=None,
    ):
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.activation = activation
        self.output_activation = output_activation
        self.arch = arch
        self.score_type = score_type
        self.discriminator_hidden = discriminator_hidden
        self.adversarial_lr = adversarial_lr
        self.adversarial_weight = adversarial_weight
        self.dropout = dropout
        self.trim = trim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.penalty = penalty
        self.penalty_weight = penalty_weight
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.clip_grad_norm = clip_grad_norm
        self.preprocessing = preprocessing
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.contamination = contamination
        take_renamed(self, score=score)  # the old name of score_type, for one release

    # ------------------------------------------------------------ networks
    def _build_networks(self) -> None:
        if self.score_type not in self._SCORES:
            raise ValueError(f"score_type must be one of {self._SCORES}; got {self.score_type!r}.")
        k = self._latent_dim()
        self.encoder_, self.decoder_ = self._backbone()
        dh = self.discriminator_hidden
        if dh is None:
            dh = [16, 16] if k <= 4 else [64, 64]
        dh = self._layer_sizes(dh, "discriminator_hidden")
        self.discriminator_ = B.mlp([k, *dh, 1], activation="leaky_relu")

    # ------------------------------------------------------------ training
    def _steps(self):
        enc, dec, disc = self.encoder_, self.decoder_, self.discriminator_
        w = float(self.adversarial_weight)
        trim = self._trim()

        def reconstruction(x):
            return trimmed_mean(squared_error(x, dec(enc(x))), trim)

        def discriminator(x):
            with torch.no_grad():
                z_fake = enc(x)
            z_prior = torch.randn_like(z_fake)
            real, fake = disc(z_prior), disc(z_fake)
            return F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + \
                F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))

        def generator(x):
            d = disc(enc(x))
            return w * F.binary_cross_entropy_with_logits(d, torch.ones_like(d))

        alr = self.adversarial_lr
        return [
            Step("reconstruction", [enc, dec], reconstruction),
            Step("discriminator", [disc], discriminator, lr=alr, penalize=False),
            Step("generator", [enc], generator, lr=alr, penalize=False),
        ]

    def _validation_loss(self):
        enc, dec, trim = self.encoder_, self.decoder_, self._validation_trim()
        return lambda x: trimmed_mean(squared_error(x, dec(enc(x))), trim)

    def _after_training(self, X):
        super()._after_training(X)
        self.score_stats_ = np.array([0.0, 1.0, 0.0, 1.0])
        terms = self._forward_batched(self._terms, X.detach().cpu().numpy())
        mean, std = terms.mean(axis=0), terms.std(axis=0)
        std = np.where(std > 1e-12, std, 1.0)
        self.score_stats_ = np.array([mean[0], std[0], mean[1], std[1]], dtype=np.float64)

    # ------------------------------------------------------------ scoring
    def _terms(self, x):
        z = self.encoder_(x)
        rec = squared_error(x, self.decoder_(z))
        # -log N(z; 0, I) = 1/2 ||z||^2 + k/2 log(2 pi)
        lat = 0.5 * z.pow(2).sum(dim=1) + 0.5 * z.shape[1] * math.log(2 * math.pi)
        return torch.stack([rec, lat], dim=1)

    def _score_batch(self, x):
        t = self._terms(x)
        if self.score_type == "reconstruction":
            return t[:, 0]
        if self.score_type == "latent":
            return t[:, 1]
        m = torch.as_tensor(self.score_stats_, dtype=t.dtype, device=t.device)
        return (t[:, 0] - m[0]) / m[1] + (t[:, 1] - m[2]) / m[3]
