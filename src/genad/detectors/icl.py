"""ICL: anomaly detection for tabular data with internal contrastive learning
(Shenkar & Wolf, ICLR 2022).

A row ``x`` of ``d`` features is split ``d - k + 1`` ways into a window of ``k`` consecutive
features and its complement::

    a_j = x[j : j + k],   b_j = x without a_j   (j = 1 .. d - k + 1)

Two networks map both parts to the unit sphere: ``G`` the windows, ``F`` the complements
(``G(a)`` and ``F(b)`` are L2-normalised). For normal data the window ``a_j`` and its own
complement ``b_j`` are mutually informative, so ``G(a_j)`` is trained to be closer to ``F(b_j)``
than to the complements of the other windows of the same row (the negatives), by the
contrastive loss with temperature ``tau``::

    L(x) = - sum_j log( exp(<G(a_j), F(b_j)> / tau) / sum_i exp(<G(a_j), F(b_i)> / tau) )

The anomaly score of a point is the same loss: the windows of an anomalous row do not match
their complements as the normal rows' do. genad averages over the windows
(``L(x) / (d - k + 1)``), which ranks rows identically, so the scale does not grow with ``d``.

The window size follows the authors' rule by width: ``k = 2`` up to 40 features, 10 up to 160,
``d - 150`` up to 240, ``d - 200`` up to 480 and ``d - 400`` above; ``k = 1`` for two features.
ICL is a method for tabular data: sequences ``(n, t, d)`` and images ``(n, c, h, w)`` are
flattened to rows of ``t * d`` or ``c * h * w`` values and windowed as features; it needs at
least two features.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions

from ..nn import backbones as B
from ..nn.training import Step
from .deep import POSITIVE, DeepDetector

__all__ = ["ICL", "window_size"]


def window_size(d: int) -> int:
    """The authors' window size ``k`` for ``d`` features (at most ``d - 1``: two windows or more)."""
    if d <= 40:
        k = 2
    elif d <= 160:
        k = 10
    elif d <= 240:
        k = d - 150
    elif d <= 480:
        k = d - 200
    else:
        k = d - 400
    return min(k, d - 1)


def window_indices(d: int, k: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Feature indices of the windows ``a_j`` ``(J, k)`` and of their complements ``b_j`` ``(J, d - k)``."""
    J = d - k + 1
    pos = torch.arange(d, device=device)
    start = torch.arange(J, device=device)[:, None]
    inside = (pos[None, :] >= start) & (pos[None, :] < start + k)          # (J, d)
    windows = start + torch.arange(k, device=device)[None, :]
    complements = pos.expand(J, d)[~inside].reshape(J, d - k)
    return windows, complements


class ICL(DeepDetector):
    """Internal contrastive learning (Shenkar & Wolf 2022): windows of a row against their complements.

    Parameters
    ----------
    hidden : list of int or None
        Hidden sizes of ``F`` (the complements' network); ``G`` (the windows') uses half of each.
        None: ``[100, 50]``.
    latent_dim : int or None
        Size of the embeddings ``G(a)`` and ``F(b)``; None: 128.
    activation : str
        Hidden activation of both networks. Default "tanh", the activation of the first layer of
        the authors' ``F`` (their later layers use leaky ReLU): with "leaky_relu" throughout, rows
        far from the training data map to one direction and score no higher than the least
        typical normal rows (on the test suite's Gaussian blobs, none of the far rows above the
        1% false-positive threshold, against all of them with "tanh").
    window : int or None
        ``k``, the number of consecutive features in a window; None: the authors' rule by width
        (see the module docstring). Must be below the number of features.
    temperature : float
        ``tau`` of the contrastive loss (0.01 in the paper).
    epochs, batch_size, lr, optimizer, weight_decay, validation_fraction, patience, preprocessing,
    device, random_state, verbose, callbacks, contamination :
        as in :class:`genad.AutoEncoder` (the validation loss, which drives early stopping, is the
        contrastive loss on held-out rows).

    Attributes
    ----------
    complement_net_ : ``F``, from ``d - k`` features to the embedding
    window_net_ : ``G``, from ``k`` features to the embedding
    window_ : int, the window size ``k`` used
    history_ : per-epoch ``loss`` (the contrastive loss per window), ``val_loss``

    Examples
    --------
    >>> import numpy as np
    >>> from genad import ICL
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(400, 2))
    >>> X = np.hstack([z, z @ [[1.0, -1.0], [0.5, 2.0]]])   # features that depend on each other
    >>> det = ICL(epochs=20, random_state=0).fit(X)
    >>> s = det.decision_function([[1.0, 0.5, 1.25, 0.0], [1.0, 0.5, -3.0, 3.0]])
    >>> bool(s[1] > s[0])
    True
    """

    _fast_params = {"epochs": 20, "batch_size": 64, "patience": None}
    _parameter_constraints = {
        **DeepDetector._parameter_constraints,
        "activation": [StrOptions(set(B.ACTIVATIONS))],
        "window": [None, Interval(Integral, 1, None, closed="left")],
        "temperature": [POSITIVE],
    }

    def __init__(
        self,
        hidden=None,
        latent_dim=None,
        activation="tanh",
        window=None,
        temperature=0.01,
        epochs=50,
        batch_size=64,
        lr=1e-3,
        optimizer="adam",
        weight_decay=0.0,
        validation_fraction=0.1,
        patience=5,
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
        self.window = window
        self.temperature = temperature
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

    # ------------------------------------------------------------ networks
    def _default_hidden(self):
        return [100, 50]

    def _default_latent_dim(self) -> int:
        return 128

    def _n_values(self) -> int:
        return int(np.prod(self.input_shape_))

    def _check_input(self, X: np.ndarray) -> None:
        super()._check_input(X)
        d = int(np.prod(X.shape[1:]))
        if d < 2:
            raise ValueError(f"ICL contrasts windows of a row's features with the rest of the row and needs at "
                             f"least 2 features; got {d} feature(s). Use another detector for a single feature.")
        if self.window is not None and not 1 <= int(self.window) < d:
            raise ValueError(f"window must be between 1 and the number of features minus 1 ({d - 1}); "
                             f"got {self.window!r}.")

    def _build_networks(self) -> None:
        d = self._n_values()
        k = window_size(d) if self.window is None else int(self.window)
        self.window_ = k
        hidden, u = self._hidden(), self._latent_dim()
        self.complement_net_ = B.mlp([d - k, *hidden, u], self.activation)                      # F
        self.window_net_ = B.mlp([k, *[max(1, h // 2) for h in hidden], u], self.activation)     # G

    @property
    def score_batch_size(self) -> int:
        """Rows per scoring batch: each row holds a ``(J, J)`` similarity matrix of its windows."""
        J = self._n_values() - self.window_ + 1
        return int(max(1, min(65536, (1 << 26) // (J * (J + self._latent_dim())))))

    # ------------------------------------------------------------ the loss, which is the score
    def _contrastive_loss(self, x: torch.Tensor) -> torch.Tensor:
        """``L(x) / J`` per row."""
        x = x.reshape(len(x), -1)
        windows, complements = window_indices(x.shape[1], self.window_, x.device)
        a, b = x[:, windows], x[:, complements]                     # a_j (n, J, k), b_j (n, J, d - k)
        ga = F.normalize(self.window_net_(a), dim=-1)               # G(a_j) on the unit sphere
        fb = F.normalize(self.complement_net_(b), dim=-1)           # F(b_i) on the unit sphere
        logits = ga @ fb.transpose(1, 2) / float(self.temperature)  # <G(a_j), F(b_i)> / tau   (n, J, J)
        target = torch.arange(logits.shape[1], device=x.device).expand(len(x), -1)
        # -log( exp(<G(a_j), F(b_j)>/tau) / sum_i exp(<G(a_j), F(b_i)>/tau) ), averaged over j
        return F.cross_entropy(logits.transpose(1, 2), target, reduction="none").mean(dim=1)

    def _steps(self):
        def loss(x):
            return self._contrastive_loss(x).mean()

        return [Step("contrastive", [self.window_net_, self.complement_net_], loss)]

    def _score_batch(self, x):
        return self._contrastive_loss(x)
