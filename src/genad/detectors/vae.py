"""Variational autoencoder (Kingma & Welling 2014) for anomaly detection (An & Cho 2015).

The encoder gives a Gaussian posterior ``q(z|x) = N(mu(x), diag(exp(logvar(x))))``; a code is
drawn with the reparameterisation ``z = mu + exp(logvar / 2) * eps``, ``eps ~ N(0, I)``; the
decoder gives the mean ``mu_x(z)`` of a Gaussian likelihood ``p(x|z) = N(mu_x(z), diag(s^2))``
whose per-feature variance ``s^2`` is learned with the network. Training maximises the
evidence lower bound (with ``beta`` weighting the KL term, Higgins et al. 2017)::

    -ELBO(x) = E_q[ -log p(x|z) ] + beta * KL( q(z|x) || N(0, I) )
    -log p(x|z) = 1/2 sum_j [ (x_j - mu_x,j(z))^2 / s_j^2 + log s_j^2 + log 2 pi ]
    KL = -1/2 sum_k ( 1 + logvar_k - mu_k^2 - exp(logvar_k) )

Scores (higher = more anomalous), each averaged over ``n_samples`` codes drawn from q(z|x):

* ``"reconstruction"`` -- mean squared error ``1/d ||x - mu_x(z)||^2``;
* ``"probability"`` -- the negative reconstruction log-likelihood ``-log p(x|z)`` (An & Cho's
  reconstruction probability, with the learned variance; An & Cho let the decoder output the
  variance per point, genad learns one variance per feature, which trains more stably);
* ``"elbo"`` -- ``-log p(x|z) + beta * KL``.

Scoring uses ``n_samples`` fixed noise vectors ``eps_1..eps_L`` drawn once from ``random_state``
and shared by every row (``z_l = mu(x) + sigma(x) * eps_l``), so a row's score is a deterministic
function of the row alone: the same in any batch, in any order, after saving and loading.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._deprecation import take_renamed
from ..nn.training import Step
from .autoencoder import _ReconstructionModel, squared_error, trimmed_mean
from .deep import NON_NEGATIVE, POSITIVE_INT

__all__ = ["VAE"]

_LOG_2PI = math.log(2 * math.pi)


class GaussianNoise(nn.Module):
    """The learned per-feature log-variance ``log s^2`` of the decoder's Gaussian likelihood."""

    def __init__(self, sample_shape, init: float = 0.0):
        super().__init__()
        self.log_var = nn.Parameter(torch.full(tuple(int(v) for v in sample_shape), float(init)))

    def forward(self):
        # keep s^2 within [e^-10, e^10] so a feature the decoder fits exactly cannot blow up
        return self.log_var.clamp(-10.0, 10.0)


class VAE(_ReconstructionModel):
    """Variational autoencoder anomaly detector.

    Parameters
    ----------
    score_type : {"reconstruction", "probability", "elbo"}
        What the anomaly score measures (see the module docstring).
        ``score=`` (its former name) still works, with a FutureWarning, until the next release.
    beta : float
        Weight of the KL term (1 = the standard VAE).
    n_samples : int
        Codes drawn per point when scoring.
    trim : "auto" or float in [0, 0.5)
        Trimmed loss for contaminated training data: the rows with the largest negative ELBO
        are left out of the loss; ``"auto"`` (default) estimates their share during training,
        a number fixes it per batch (0 trains on every row); see :class:`genad.AutoEncoder`.
        Rows are ranked by the part of the negative ELBO that differs between rows (the
        learned noise variance's constant left out). On ECG5000 with 30% abnormal training
        beats (tuning seeds 10, 11): 0.969 with ``"auto"``, 0.535 with ``trim=0.2``.
    hidden, latent_dim, activation, output_activation, arch, dropout, epochs, batch_size, lr, optimizer,
    weight_decay, penalty, penalty_weight, validation_fraction, patience, clip_grad_norm,
    preprocessing, device, random_state, verbose, callbacks, contamination :
        as in :class:`genad.AutoEncoder`.

    Attributes
    ----------
    encoder_ : module giving ``2 * latent_dim`` outputs (mean and log-variance of q(z|x))
    decoder_ : module giving the likelihood mean
    noise_ : :class:`GaussianNoise` holding the learned per-feature log-variance
    history_ : per-epoch ``loss`` (-ELBO per point), ``nll``, ``kl``, ``val_loss``
    """

    _fast_params = {"epochs": 3, "batch_size": 64, "patience": None, "n_samples": 2}
    _SCORES = ("reconstruction", "probability", "elbo")
    _renamed_parameters = {"score": "score_type"}
    _parameter_constraints = {
        **_ReconstructionModel._parameter_constraints,
        "score_type": "no_validation",  # checked with its choices when the networks are built
        "beta": [NON_NEGATIVE],
        "n_samples": [POSITIVE_INT],
    }

    def __init__(
        self,
        hidden=None,
        latent_dim=None,
        activation="relu",
        output_activation=None,
        arch="auto",
        score_type="reconstruction",
        beta=1.0,
        n_samples=10,
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
        self.beta = beta
        self.n_samples = n_samples
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
        if not float(self.beta) >= 0:
            raise ValueError(f"beta must be >= 0; got {self.beta!r}.")
        if int(self.n_samples) < 1:
            raise ValueError(f"n_samples must be at least 1; got {self.n_samples!r}.")
        k = self._latent_dim()
        self.encoder_, self.decoder_ = self._backbone(encoder_out=2 * k)
        self.noise_ = GaussianNoise(self.input_shape_)

    def _posterior(self, x):
        mu, logvar = self.encoder_(x).chunk(2, dim=1)
        return mu, logvar.clamp(-20.0, 20.0)

    def _encode_tensor(self, x):
        return self._posterior(x)[0]

    def _nll(self, x, x_mean):
        """-log p(x|z) per row, summed over features."""
        log_var = self.noise_()
        t = (x - x_mean).pow(2) * torch.exp(-log_var) + log_var + _LOG_2PI
        return 0.5 * t.reshape(x.shape[0], -1).sum(dim=1)

    @staticmethod
    def _kl(mu, logvar):
        # KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum (1 + log sigma^2 - mu^2 - sigma^2)
        return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)

    # ------------------------------------------------------------ training
    def _elbo_terms(self, x, eps=None):
        mu, logvar = self._posterior(x)
        eps = torch.randn_like(mu) if eps is None else eps
        z = mu + torch.exp(0.5 * logvar) * eps  # reparameterisation
        x_mean = self.decoder_(z)
        return self._nll(x, x_mean), self._kl(mu, logvar)

    def _steps(self):
        beta = float(self.beta)
        trim = self._trim()

        def loss(x):
            nll, kl = self._elbo_terms(x)
            # the trim ranks rows by the part of -ELBO that differs between rows (>= 0)
            const = self._nll_constant()
            total = trimmed_mean(nll - const + beta * kl, trim) + const
            return {"loss": total, "nll": nll.mean(), "kl": kl.mean()}

        return [Step("elbo", [self.encoder_, self.decoder_, self.noise_], loss)]

    def _validation_loss(self):
        beta, trim = float(self.beta), self._validation_trim()

        def val_loss(x):
            nll, kl = self._elbo_terms(x)
            const = self._nll_constant()
            return trimmed_mean(nll - const + beta * kl, trim) + const

        return val_loss

    def _nll_constant(self) -> torch.Tensor:
        """The part of ``-log p(x|z)`` that is the same for every row: 1/2 sum (log s^2 + log 2 pi)."""
        log_var = self.noise_()
        return 0.5 * (log_var.sum() + log_var.numel() * _LOG_2PI)

    def _row_losses(self, x):
        # -ELBO per row at the posterior mean (no sampling noise), less the constant part: what
        # the trim ranks rows by (positive, so the cut of trim="auto" can work on log-losses)
        nll, kl = self._elbo_terms(x, eps=torch.zeros(x.shape[0], self._latent_dim(), device=x.device, dtype=x.dtype))
        return nll - self._nll_constant() + float(self.beta) * kl

    # ------------------------------------------------------------ scoring
    def _score_noise(self, k: int, dtype, device) -> torch.Tensor:
        """The ``(n_samples, k)`` noise shared by every scored row (a function of the seed only)."""
        gen = torch.Generator().manual_seed(self._seed())
        return torch.randn((int(self.n_samples), k), generator=gen, dtype=torch.float32).to(device=device, dtype=dtype)

    def _score_batch(self, x):
        mu, logvar = self._posterior(x)
        std = torch.exp(0.5 * logvar)
        L = int(self.n_samples)
        noise = self._score_noise(mu.shape[1], mu.dtype, x.device)
        total = torch.zeros(x.shape[0], device=x.device)
        for eps in noise:
            x_mean = self.decoder_(mu + std * eps)
            if self.score_type == "reconstruction":
                total += squared_error(x, x_mean)
            else:
                total += self._nll(x, x_mean)
        s = total / L
        if self.score_type == "elbo":
            s = s + float(self.beta) * self._kl(mu, logvar)
        return s
