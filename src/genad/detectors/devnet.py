"""DevNet: deviation networks learn anomaly scores end to end from a few labelled anomalies
(Pang, Shen & van den Hengel, KDD 2019).

A scoring network ``phi(x; W)`` maps an input to one real number. A Gaussian prior stands in for
the scores of normal data: ``l`` reference scores ``r_1..r_l ~ N(mu, sigma^2)`` (mu = 0,
sigma = 1, l = 5000), drawn afresh for every mini-batch, give the reference mean ``mu_R`` and
standard deviation ``sigma_R``. The deviation of a point's score from them (eq. 1)::

    dev(x) = ( phi(x; W) - mu_R ) / sigma_R

is pulled to zero for normal points and pushed beyond a margin ``a`` for labelled anomalies by
the contrastive deviation loss (eq. 2)::

    L(phi(x; W), mu_R, sigma_R) = (1 - y) |dev(x)| + y max(0, a - dev(x))

with ``y = 1`` for a labelled anomaly and ``y = 0`` for every other point (unlabelled data are
treated as normal: anomalies among them are rare). ``a = 5`` makes a labelled anomaly's score a
Z-score far in the prior's upper tail. Every mini-batch is half labelled anomalies, half other
rows, both drawn with replacement, and an epoch is ``batches_per_epoch`` such batches whatever the
size of the data (the paper and the authors' code: 20 batches of 512 for 50 epochs; RMSprop with
Keras' rho 0.9 and gradient-norm clipping at 1, l2 regularisation 0.01). The anomaly score is
``phi(x)`` (a deviation from the prior's mean in units of its spread).

The network follows the input: an MLP (one hidden layer of 20 units by default) for rows,
DCGAN-style convolutions for ``(n, c, h, w)`` images, an LSTM for ``(n, t, d)`` sequences.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..nn import backbones as B
from ..nn.training import Step, _penalty
from .deep import POSITIVE, POSITIVE_INT, DeepDetector

__all__ = ["DevNet"]


def balanced_sampler(anomalies: torch.Tensor, others: torch.Tensor, batch_size: int, n_batches: int):
    """``sampler(generator)`` for :func:`genad.nn.training.train`: ``n_batches`` mini-batches of
    ``batch_size`` rows, each with ``batch_size // 2`` rows drawn from ``anomalies`` and the rest
    from ``others`` (index tensors; both drawn with replacement; every row from ``anomalies``
    when ``others`` is empty)."""
    if not len(anomalies):
        raise ValueError("DevNet: no labelled anomaly is left to train on (the validation split took "
                         "them all); lower validation_fraction or label more anomalies.")
    k = batch_size // 2 if len(others) else batch_size

    def order(generator=None):
        a = anomalies[torch.randint(len(anomalies), (n_batches, k), generator=generator)]
        o = others[torch.randint(max(len(others), 1), (n_batches, batch_size - k), generator=generator)] \
            if len(others) else anomalies[:0].reshape(n_batches, 0)
        return torch.cat([o, a], dim=1).reshape(-1)

    return order


class DevNet(DeepDetector):
    """Deviation network: weakly supervised, needs some labelled anomalies.

    ``fit(X, y)`` with ``y`` one label per row: 1 = known anomaly, 0 = known normal,
    -1 = unlabelled (both of the latter are the ``y = 0`` side of the deviation loss);
    ``fit(X)`` without labels is an error.

    Parameters
    ----------
    margin : float
        ``a`` in eq. 2: the deviation labelled anomalies are pushed beyond (a Z-score; 5).
    n_reference : int
        ``l``: reference scores drawn from the prior for every mini-batch (5000).
    batches_per_epoch : int
        Mini-batches per epoch, each half labelled anomalies and half other rows drawn with
        replacement (20, the paper's schedule), whatever the number of rows.
    hidden : list of int or None
        Hidden sizes of the MLP (rows) or LSTM units (sequences); None: ``[20]`` for rows (the
        paper's network), ``[32]`` for sequences; ignored for images (DCGAN-style convolutions).
    latent_dim : None
        Not used (the network outputs one score); kept for the shared argument names.
    activation : str
        Hidden activation (the paper: ReLU).
    arch : {"auto", "mlp", "lstm", "conv"}
        Backbone; "auto" picks it from the input rank.
    epochs, batch_size, lr : training settings (the paper: 50 epochs of 512 rows, lr 1e-3).
    optimizer : str
        "rmsprop" by default, the paper's optimizer (any of adam, adamax, adadelta, rmsprop,
        momentum, sgd).
    weight_decay : float
    penalty : {None, "l1", "l2", "l1l2"}, penalty_weight : float
        Weight penalty on the hidden layers' weights added to the loss (the paper: l2 with weight
        0.01; the score layer is not penalised, as in the authors' code).
    validation_fraction : float
        Share of the training rows held out for early stopping (0: every epoch is trained).
    patience : int or None
    preprocessing : {"standard", "minmax", None}
        Feature scaling; "minmax" (default): every feature in [0, 1] on the training rows, as the
        inputs of the paper's and ADBench's experiments (chosen over "standard" on tuning seeds of
        the ADBench semi-supervised protocol, see benchmarks/adbench_semi).
    device : "auto", "cpu", "cuda", ...
    random_state : int or None
    verbose : int
    callbacks : list of :class:`genad.nn.training.Callback` or callables ``f(info)``
    contamination : float or None
        If given, the threshold flags this share of the training rows.

    Attributes
    ----------
    network_ : torch module, the scoring network ``phi``
    history_, decision_scores_, threshold_, calibration_scores_ : see :class:`genad.base.Detector`

    Examples
    --------
    >>> import numpy as np
    >>> from genad import DevNet
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(300, 6)), rng.normal(size=(5, 6)) + 4])
    >>> y = np.r_[np.full(300, -1), np.ones(5)]            # five known anomalies, the rest unlabelled
    >>> det = DevNet(epochs=5, random_state=0).fit(X, y)
    >>> s = det.decision_function([[0.0] * 6, [4.0] * 6])
    >>> bool(s[1] > s[0])
    True
    """

    _learns_from_labels = True
    _fast_params = {"epochs": 5, "batch_size": 64}
    #: the authors' gradient clipping (Keras ``clipnorm=1``)
    _fixed_settings = {**DeepDetector._fixed_settings, "clip_grad_norm": 1.0}
    _parameter_constraints = {
        **DeepDetector._parameter_constraints,
        "margin": [POSITIVE],
        "n_reference": [Interval(Integral, 2, None, closed="left")],
        "batches_per_epoch": [POSITIVE_INT],
        "latent_dim": [None],
        "activation": [StrOptions(set(B.ACTIVATIONS))],
        "arch": [StrOptions({"auto", "mlp", "lstm", "conv"})],
    }

    def __init__(
        self,
        margin=5.0,
        n_reference=5000,
        batches_per_epoch=20,
        hidden=None,
        latent_dim=None,
        activation="relu",
        arch="auto",
        epochs=50,
        batch_size=512,
        lr=1e-3,
        optimizer="rmsprop",
        weight_decay=0.0,
        penalty="l2",
        penalty_weight=0.01,
        validation_fraction=0.0,
        patience=None,
        preprocessing="minmax",
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        contamination=None,
    ):
        self.margin = margin
        self.n_reference = n_reference
        self.batches_per_epoch = batches_per_epoch
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.activation = activation
        self.arch = arch
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.penalty = penalty
        self.penalty_weight = penalty_weight
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.preprocessing = preprocessing
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.contamination = contamination

    def _default_hidden(self):
        return [20] if len(self.input_shape_) == 1 else None

    def _build_networks(self) -> None:
        # phi(x; W) -> one score
        self.network_ = B.encoder(self.input_shape_, self._hidden(), 1, arch=self.arch, activation=self.activation)

    def _batch_sampler(self, data):
        # the authors' sampler: every mini-batch is half unlabelled / known normal rows, half
        # labelled anomalies, both drawn with replacement; batches_per_epoch batches per epoch
        y = data[1].cpu()
        anomalies, others = torch.nonzero(y == 1).squeeze(1), torch.nonzero(y != 1).squeeze(1)
        return balanced_sampler(anomalies, others, int(self.batch_size), int(self.batches_per_epoch))

    def _steps(self):
        a, n_ref = float(self.margin), int(self.n_reference)
        net = self.network_
        # the weight penalty on the hidden layers' weights only, as the authors' code (the linear
        # score layer is not regularised)
        out = [m for m in net.modules() if isinstance(m, torch.nn.Linear)][-1].weight
        hidden = [p for p in net.parameters() if p.dim() > 1 and p is not out]
        penalty, weight = self.penalty, float(self.penalty_weight)

        def loss(batch):
            x, y = batch
            score = net(x).squeeze(1)
            r = torch.randn(n_ref, device=score.device, dtype=score.dtype)  # r_1..r_l ~ N(0, 1)
            dev = (score - r.mean()) / r.std()  # eq. 1: (phi(x) - mu_R) / sigma_R
            y = (y == 1).to(score.dtype)  # labelled anomaly: 1; unlabelled or known normal: 0
            # eq. 2: (1 - y) |dev(x)| + y max(0, a - dev(x))
            loss = ((1 - y) * dev.abs() + y * torch.clamp(a - dev, min=0)).mean()
            pen = _penalty(hidden, penalty, weight)
            return loss if pen is None else loss + pen

        # the authors' Keras RMSprop: rho 0.9, epsilon 1e-7 (torch's defaults are 0.99, 1e-8)
        kw = {"alpha": 0.9, "eps": 1e-7} if str(self.optimizer).lower() == "rmsprop" else {}
        return [Step("deviation", [net], loss, optimizer_kwargs=kw, penalize=False)]

    def _score_batch(self, x):
        return self.network_(x).squeeze(1)  # phi(x)
