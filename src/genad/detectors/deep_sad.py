"""Deep SAD: Deep SVDD that also learns from a few labelled normal and anomalous points
(Ruff et al., ICLR 2020, "Deep Semi-Supervised Anomaly Detection").

Besides n unlabelled points ``x_1..x_n`` there are m labelled ones ``(x~_j, y~_j)`` with
``y~ = +1`` for a known normal and ``y~ = -1`` for a known anomaly. Unlabelled points are pulled
towards the fixed centre ``c`` as in one-class Deep SVDD; labelled normals are pulled in too,
labelled anomalies are pushed out by penalising the inverse of their distance (eq. 3)::

    min_W  1/(n+m) sum_i || phi(x_i; W) - c ||^2
         + eta/(n+m) sum_j ( || phi(x~_j; W) - c ||^2 )^{y~_j}
         + lambda/2 sum_l || W^l ||_F^2

``eta`` weighs the labelled terms (eta > 1 puts more weight on them). The score is the squared
distance to ``c`` (as Deep SVDD). genad's labels follow scikit-learn's convention (1 known
anomaly, 0 known normal, -1 unlabelled): y = 1 maps to y~ = -1, y = 0 to y~ = +1.

The network is bias-free with the centre fixed from an initial pass over the unlabelled and
labelled normal rows, as Deep SVDD requires against collapse (:mod:`genad.detectors.deep_svdd`).
"""

from __future__ import annotations

from numbers import Real

import torch
from sklearn.utils._param_validation import Interval

from ..nn.training import Step
from .deep_svdd import _Hypersphere

__all__ = ["DeepSAD"]

#: keeps (distance + eps)^-1 finite for an anomaly mapped onto c
EPS = 1e-6


class DeepSAD(_Hypersphere):
    """Deep Semi-supervised Anomaly Detection: weakly supervised, needs some labelled anomalies.

    ``fit(X, y)`` with ``y`` one label per row: 1 = known anomaly, 0 = known normal,
    -1 = unlabelled (``fit(X)`` without labels is an error: use :class:`genad.DeepSVDD`).

    Parameters
    ----------
    eta : float
        Weight of the labelled terms in the loss (eta in eq. 3; 1 = the paper's default).
    hidden : list of int or None
        Hidden sizes of the MLP (rows) or LSTM units (sequences); None: the authors' tabular
        networks, ``[32, 16]`` below 64 features and ``[128, 64]`` from 64 on, ``[32]`` LSTM
        units for sequences; ignored for images (DCGAN-style convolutions).
    latent_dim : int or None
        Size of the representation ``phi(x)``; None: 8 below 64 input values, 32 from 64 on.
    activation : str
        Hidden activation (leaky ReLU: no bounded constant part, as Deep SVDD requires).
    arch : {"auto", "mlp", "lstm", "conv"}
        Backbone; "auto" picks it from the input rank.
    pretrain_epochs : int or "auto"
        Epochs of autoencoder pretraining before the centre is fixed (the papers' initialisation:
        ``phi`` and a mirrored bias-free decoder minimise the reconstruction error; 0: start from
        random weights; "auto": as :class:`DeepSVDD`, 10 on rows, 0 on images and sequences).
    epochs, batch_size, lr, optimizer : training settings (see :func:`genad.nn.training.train`).
    weight_decay : float
        lambda in eq. 3 (the paper uses 1e-6).
    validation_fraction : float
        Share of the training rows held out for early stopping (0: train every epoch, the
        paper's schedule).
    patience : int or None
    preprocessing : {"standard", "minmax", None}
    device : "auto", "cpu", "cuda", ...
    random_state : int or None
    verbose : int
    callbacks : list of :class:`genad.nn.training.Callback` or callables ``f(info)``
    contamination : float or None
        If given, the threshold flags this share of the training rows.

    Attributes
    ----------
    network_ : torch module, the bias-free ``phi``
    center_ : ndarray (latent_dim,), the fixed centre ``c``
    history_, decision_scores_, threshold_, calibration_scores_ : see :class:`genad.base.Detector`

    Examples
    --------
    >>> import numpy as np
    >>> from genad import DeepSAD
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(300, 6)), rng.normal(size=(5, 6)) + 4])
    >>> y = np.r_[np.full(300, -1), np.ones(5)]            # five known anomalies, the rest unlabelled
    >>> det = DeepSAD(epochs=10, random_state=0).fit(X, y)
    >>> s = det.decision_function([[0.0] * 6, [4.0] * 6])
    >>> bool(s[1] > s[0])
    True
    """

    _learns_from_labels = True
    _fast_params = {"epochs": 3, "pretrain_epochs": 1, "batch_size": 64}
    _parameter_constraints = {**_Hypersphere._parameter_constraints, "eta": [Interval(Real, 0, None, closed="neither")]}

    def __init__(
        self,
        eta=1.0,
        hidden=None,
        latent_dim=None,
        activation="leaky_relu",
        arch="auto",
        pretrain_epochs=0,
        epochs=50,
        batch_size=128,
        lr=1e-3,
        optimizer="adam",
        weight_decay=0.0,
        validation_fraction=0.0,
        patience=None,
        preprocessing="standard",
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        contamination=None,
    ):
        self.eta = eta
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.activation = activation
        self.arch = arch
        self.pretrain_epochs = pretrain_epochs
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
        self.contamination = contamination

    def _before_training(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self._pretrain(X[y != 1])
        self._set_center(X[y != 1])  # c from the unlabelled and known normal rows

    def _steps(self):
        eta = float(self.eta)

        def loss(batch):
            x, y = batch
            dist = self._distance(x)
            y_sad = torch.where(y == 1, -1.0, torch.where(y == 0, 1.0, 0.0)).to(dist.dtype)  # y~ in {-1, +1}, 0 unlabelled
            # eq. 3: unlabelled ||phi(x) - c||^2; labelled eta * (||phi(x~) - c||^2)^{y~}
            terms = torch.where(y_sad == 0, dist, eta * (dist + EPS) ** y_sad)
            return terms.mean()

        return [Step("deep_sad", [self.network_], loss)]

    def _score_batch(self, x):
        return self._distance(x)  # ||phi(x) - c||^2
