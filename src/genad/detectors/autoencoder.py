"""Autoencoder: score by how badly a network trained on normal data reconstructs a point.

An encoder ``f`` squeezes ``x`` through a narrow code ``z = f(x)`` and a decoder ``g`` maps it
back, trained to minimise the mean squared reconstruction error on normal data
(Hinton & Salakhutdinov 2006; for anomaly detection Sakurada & Yairi 2014)::

    L(x) = 1/d * || x - g(f(x)) ||^2                     (training loss and anomaly score)

Points unlike the training data are reconstructed badly, so the error is the anomaly score.
``denoising > 0`` trains on corrupted inputs ``x + sigma * eps`` (Vincent et al. 2008) while
the target stays the clean ``x``. The backbone follows the input: an MLP for rows, LSTMs for
``(n, t, d)`` sequences, DCGAN-style convolutions for ``(n, c, h, w)`` images.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from ..nn import backbones as B
from ..nn import fast_mlp
from ..nn.losses import AdaptiveTrim, mixture_cut, trimmed_mean
from ..nn.training import Callback, Step
from .deep import NON_NEGATIVE, DeepDetector

__all__ = ["AutoEncoder"]


def check_trim(trim) -> float:
    t = float(trim or 0.0)
    if not 0.0 <= t < 0.5:
        raise ValueError(f"trim must be \"auto\" or in [0, 0.5) (the share of each batch's worst-fitting rows "
                         f"left out of the loss; a little above the expected contamination); got {trim!r}.")
    return t


#: training rows (at most) whose losses set the cut of ``trim="auto"`` after each epoch
TRIM_SAMPLE_ROWS = 8192


class _TrimUpdate(Callback):
    """Re-estimates the cut of an :class:`~genad.nn.losses.AdaptiveTrim` after each epoch from
    the per-row losses of a fixed sample of the training rows."""

    def __init__(self, rule: AdaptiveTrim, row_losses, sample: torch.Tensor, modules):
        self.rule, self.row_losses, self.sample, self.modules = rule, row_losses, sample, modules

    def on_epoch_end(self, info):
        if info["epoch"] >= self.rule.warmup_epochs:
            self.rule.update(_eval_rows(self.row_losses, self.sample, self.modules))


def _eval_rows(row_losses, X: torch.Tensor, modules, batch_size: int = 4096) -> np.ndarray:
    """Per-row losses of ``X`` in eval mode without gradients (modules left in their mode)."""
    was = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        with torch.no_grad():
            return torch.cat([row_losses(X[i : i + batch_size]).float().cpu()
                              for i in range(0, len(X), batch_size)]).numpy()
    finally:
        for m, w in zip(modules, was):
            m.train(w)


def squared_error(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """Per-row mean squared error over every feature (time steps, pixels, channels)."""
    return (x - x_hat).pow(2).reshape(x.shape[0], -1).mean(dim=1)


def x_is_rows(sample_shape) -> bool:
    return len(tuple(sample_shape)) == 1


class _ReconstructionModel(DeepDetector):
    """What the reconstruction detectors share: the backbone choice, code sizes and the
    ``encode`` / ``reconstruct`` / ``feature_errors`` helpers (not a public class)."""

    _parameter_constraints = {
        **DeepDetector._parameter_constraints,
        "activation": [StrOptions(set(B.ACTIVATIONS))],
        "arch": [StrOptions({"auto", "mlp", "lstm", "conv"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "trim": [None, Interval(Real, 0, 0.5, closed="left"), StrOptions({"auto"})],
    }

    def _default_hidden(self):
        return None  # the backbone's default for the architecture (see ``hidden``)

    def _backbone(self, encoder_out: int | None = None):
        return B.encoder_decoder(
            self.input_shape_,
            self._hidden(),
            self._latent_dim(),
            arch=self.arch,
            encoder_out=encoder_out,
            activation=self.activation,
            out_activation=self.output_activation,
            batchnorm=bool(self._setting("batchnorm")),
            dropout=float(self._setting("dropout") or 0.0),
        )

    # ------------------------------------------------------------ trimmed loss
    def _row_losses(self, x: torch.Tensor) -> torch.Tensor:
        """Per-row training loss of a batch (what ``trim`` ranks rows by)."""
        return squared_error(x, self._reconstruct_tensor(x))

    def _trim(self):
        """The trim of this fit's loss: a number, or the :class:`AdaptiveTrim` of ``"auto"``."""
        if self.trim == "auto":
            return self._trim_rule
        return check_trim(self.trim)

    def _validation_trim(self) -> float:
        """Trim of the validation loss: the same number, or 0.5 with ``"auto"`` (a fixed rule, so
        that validation losses of epochs with different cuts stay comparable)."""
        return 0.5 if self.trim == "auto" else check_trim(self.trim)

    def _before_training(self, X):
        super()._before_training(X)
        self._trim_rule = AdaptiveTrim() if self.trim == "auto" else None
        n = len(X)
        if n > TRIM_SAMPLE_ROWS:
            gen = torch.Generator().manual_seed(self._seed())
            X = X[torch.randperm(n, generator=gen)[:TRIM_SAMPLE_ROWS].to(X.device)]
        self._trim_sample = X

    def _training_callbacks(self):
        rule = self._trim_rule
        if rule is None:
            return []
        return [_TrimUpdate(rule, self._row_losses, self._trim_sample, self._modules())]

    def _after_training(self, X):
        super()._after_training(X)
        # the share of training rows in the upper component of the final model's losses (the rule
        # of trim="auto", whatever the trim of this fit)
        losses = _eval_rows(self._row_losses, self._trim_sample, self._modules())
        self.contamination_estimate_ = mixture_cut(losses.astype(np.float64))[1]
        self._trim_rule = self._trim_sample = None

    # ------------------------------------------------------------ model pieces
    def _encode_tensor(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder_(x)

    def _reconstruct_tensor(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder_(self._encode_tensor(x))

    # ------------------------------------------------------------ public helpers
    def _scaled(self, X) -> np.ndarray:
        return self._transform(self._validate(X, fitting=False))

    def encode(self, X) -> np.ndarray:
        """Latent codes ``(n, latent_dim)`` of ``X`` (the mean code for a VAE)."""
        return self._forward_batched(self._encode_tensor, self._scaled(X))

    def reconstruct(self, X) -> np.ndarray:
        """Reconstructions of ``X`` in the input's units (same shape as ``X``)."""
        rec = self._forward_batched(self._reconstruct_tensor, self._scaled(X))
        return self.scaler_.inverse_transform(rec)

    def feature_errors(self, X) -> np.ndarray:
        """Squared reconstruction error of every feature, in the scaled space the model was
        trained in (same shape as ``X``): which features make a point anomalous."""
        Xs = self._scaled(X)
        rec = self._forward_batched(self._reconstruct_tensor, Xs)
        return (Xs - rec) ** 2


class AutoEncoder(_ReconstructionModel):
    """Reconstruction-error autoencoder (optionally denoising).

    Parameters
    ----------
    hidden : list of int or None
        Encoder hidden sizes (the decoder mirrors them). None: from the input width
        (:func:`genad.nn.backbones.default_hidden`) for rows, ``[32]`` LSTM units for sequences;
        ignored for images (the conv backbone's width is ``base_channels``).
    latent_dim : int or None
        Code size; None: about a quarter of the input width, between 2 and 32. (Sizes read off
        the spectrum of the training rows -- the components above the mean variance, or those
        explaining 80% or 90% of it -- scored no better on ADBench tuning splits and ECG5000,
        benchmarks/adbench.)
    activation : str
        Hidden activation ("relu", "tanh", "elu", "leaky_relu", "sigmoid", "gelu", "selu").
    output_activation : str or None
        Activation of the reconstruction (None = linear; "sigmoid" suits min-max scaled data).
    arch : {"auto", "mlp", "lstm", "conv"}
        Backbone; "auto" picks it from the input rank.
    denoising : float
        Standard deviation of the Gaussian noise added to training inputs (0 = plain autoencoder).
    dropout : float
        Dropout after each hidden layer of the MLP backbone.
    trim : "auto" or float in [0, 0.5)
        Trimmed loss for contaminated training data: rows that fit worst are left out of the
        loss (and of the validation loss), so anomalies mixed into the training data are not
        learned. Scores are unaffected (full errors). ``"auto"`` (default) estimates the share
        from the data during training (:class:`genad.nn.losses.AdaptiveTrim`): the worse half
        of each batch is left out for two warm-up epochs, then after every epoch a
        two-component Gaussian mixture on the log reconstruction errors of the training rows
        decides which rows sit in the upper component (none when one component fits better,
        BIC); those stay out of the next epoch's loss (at most half the rows). A number
        leaves that share of each batch's worst rows out (0 trains on every row); it must
        exceed the contamination. On ECG5000 with a share f of abnormal training beats
        (tuning seeds 10 and 11, benchmarks/ecg5000): ``"auto"`` 0.969 / 0.967 / 0.968 /
        0.968 at f = 0 / 10 / 20 / 30%, the fixed 0.2 0.971 / 0.964 / (0.604 on the
        reported seeds at 20%) / 0.478; neither can tell the halves apart at 50%.
        Published protocols with clean training data (FF12, Anomagram) are run with ``trim=0``.
    epochs, batch_size, lr, optimizer, weight_decay : training settings (see
        :func:`genad.nn.training.train`); ``optimizer`` is one of adam, adamax, adadelta,
        rmsprop, momentum, sgd.
    penalty : {None, "l1", "l2", "l1l2"}, penalty_weight : float
        Weight penalty added to the loss.
    validation_fraction : float
        Share of the training rows held out for the validation loss that drives early stopping
        (the best epoch's weights are restored).
    patience : int or None
        Epochs without improvement before stopping; None trains every epoch.
    clip_grad_norm : float or None
    preprocessing : {"standard", "minmax", None}
    device : "auto", "cpu", "cuda", ...
    random_state : int or None
    verbose : int
        1 shows a progress bar.
    callbacks : list of :class:`genad.nn.training.Callback` or callables ``f(info)``
    contamination : float or None
        If given, the threshold flags this share of the training rows.

    Attributes
    ----------
    encoder_, decoder_ : torch modules
    history_ : dict of per-epoch lists (``loss``, ``val_loss``, ``epoch_time``, ``best_epoch``)
    contamination_estimate_ : float
        Share of the training rows (a sample of at most 8192) in the upper component of the
        final model's errors (the rule of ``trim="auto"``; 0 when one component fits better),
        whatever ``trim`` was.
    decision_scores_, threshold_, calibration_scores_ : see :class:`genad.base.Detector`

    Examples
    --------
    >>> import numpy as np
    >>> from genad import AutoEncoder
    >>> rng = np.random.default_rng(0)
    >>> X_train = rng.normal(size=(200, 6))
    >>> det = AutoEncoder(epochs=5, random_state=0).fit(X_train)
    >>> s = det.decision_function([[0.0] * 6, [8.0] * 6])   # reconstruction error per row
    >>> bool(s[1] > s[0]), det.predict([[8.0] * 6])
    (True, array([1]))
    """

    _fast_params = {"epochs": 3, "batch_size": 64, "patience": None}
    _parameter_constraints = {**_ReconstructionModel._parameter_constraints, "denoising": [None, NON_NEGATIVE]}
    #: opt in to :mod:`genad.nn.fast_mlp` (the same loss and gradients, hand-written, for plain
    #: MLP autoencoders on the CPU; anything else is differentiated by autograd)
    _fast_backward = True

    def __init__(
        self,
        hidden=None,
        latent_dim=None,
        activation="relu",
        output_activation=None,
        arch="auto",
        denoising=0.0,
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
    ):
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.activation = activation
        self.output_activation = output_activation
        self.arch = arch
        self.denoising = denoising
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

    def _build_networks(self) -> None:
        self.encoder_, self.decoder_ = self._backbone()

    def _steps(self):
        sigma = float(self.denoising or 0.0)
        if sigma < 0:
            raise ValueError(f"denoising must be >= 0 (a noise standard deviation); got {self.denoising!r}.")
        trim = self._trim()
        enc, dec = self.encoder_, self.decoder_

        def loss(x):
            x_in = x + sigma * torch.randn_like(x) if sigma > 0 else x
            # L = 1/(n d) sum || x - g(f(x~)) ||^2   (over the kept rows when trimmed)
            return trimmed_mean(squared_error(x, dec(enc(x_in))), trim)

        grad_fn = None  # the same loss and gradients, written by hand for plain MLPs on the CPU
        if self._fast_backward and x_is_rows(self.input_shape_):
            grad_fn = fast_mlp.mlp_mse_grad_fn([enc, dec], noise=sigma, trim=trim)
        return [Step("reconstruction", [enc, dec], loss, grad_fn=grad_fn)]

    def _validation_loss(self):
        # built per fit and not kept: fitted state holds no local functions (it pickles)
        trim = self._validation_trim()
        enc, dec = self.encoder_, self.decoder_

        def val_loss(x):
            return trimmed_mean(squared_error(x, dec(enc(x))), trim)

        return val_loss

    def _score_batch(self, x):
        return squared_error(x, self.decoder_(self.encoder_(x)))
