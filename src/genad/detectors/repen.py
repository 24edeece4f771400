"""REPEN: representation learning for random nearest-neighbour distance-based outlier detection
(Pang, Cao, Chen & Liu, KDD 2018).

Random distance-based detectors score a point by its distance to the nearest neighbour in small
random subsamples of the data. LeSiNN (Pang et al. 2015), the detector REPEN builds on, uses an
ensemble of ``E`` subsamples ``S_1..S_E`` of ``psi`` rows each::

    s(x) = 1/E sum_e min_{y in S_e} ||x - y||                                    (LeSiNN score)

REPEN learns a representation ``phi(x; Theta)`` in which this score separates outliers better,
without labels:

1. Initial scores ``s(x)`` of every training row by LeSiNN on the input space; Cantelli's
   inequality picks outlier candidates, ``O = {x : s(x) > mean(s) + a std(s)}`` (``a = 1.7321``
   bounds the share of inliers above the cut by ``1 / (1 + a^2) = 0.25``; when no row passes
   the cut, the 10 highest-scoring rows, as in the authors' code); the rest are the inlier
   candidates ``I``.
2. Triplets ``(x, x+, x-)``: the query from ``I`` with probability proportional to
   ``sum_{y in I} s(y) - s(x)`` (likelier inliers slightly more often), the positive uniformly
   from ``I``, the negative from ``O`` with probability proportional to ``s(x)``.
3. Ranking loss with margin ``M`` on squared distances in the learned space::

       L = 1/|T| sum_(x, x+, x-) max{0, M + ||phi(x) - phi(x+)||^2 - ||phi(x) - phi(x-)||^2}

4. The anomaly score of a point is LeSiNN in the learned space: ``s(phi(x))`` against ``E``
   subsamples of ``psi`` training rows drawn after training (kept with the model).

``phi`` is a fully connected network; the paper uses one layer of 20 ReLU units (``hidden=None``,
``latent_dim=20``). REPEN is a method for tabular data: sequences ``(n, t, d)`` and images
``(n, c, h, w)`` are flattened to rows of ``t * d`` or ``c * h * w`` values.

Training uses the shared loop: each mini-batch of the loop is replaced by as many triplets drawn
as in step 2 (the loop's batch gives only their number), so an epoch sees as many triplets as there
are training rows.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from ..nn import backbones as B
from ..nn.training import Step
from .deep import NON_NEGATIVE, POSITIVE, POSITIVE_INT, DeepDetector

__all__ = ["REPEN", "lesinn_scores", "cantelli_candidates"]


def lesinn_scores(X: torch.Tensor, references: torch.Tensor, batch_size: int = 8192) -> torch.Tensor:
    """LeSiNN: mean over the ``E`` subsamples ``references (E, psi, m)`` of the distance of each
    row of ``X (n, m)`` to its nearest neighbour in the subsample."""
    E, psi, m = references.shape
    flat = references.reshape(E * psi, m)
    out = []
    for i in range(0, len(X), batch_size):
        dist = torch.cdist(X[i : i + batch_size], flat)                 # ||x - y|| for every y
        out.append(dist.reshape(-1, E, psi).amin(dim=2).mean(dim=1))  # 1/E sum_e min_{y in S_e}
    return torch.cat(out) if out else X.new_zeros(0)


def cantelli_candidates(scores: np.ndarray, a: float, fallback: int = 10) -> np.ndarray:
    """Outlier candidates by Cantelli's inequality, ``s > mean(s) + a std(s)``; the ``fallback``
    highest scores when none passes (never every row: at least one stays an inlier candidate)."""
    out = scores > scores.mean() + a * scores.std()
    if not out.any():
        top = np.argsort(scores, kind="stable")[::-1][: max(1, min(fallback, len(scores) - 1))]
        out[top] = True
    return out


class _Flatten(nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0], -1)


class REPEN(DeepDetector):
    """REPEN (Pang et al. 2018): a representation learned for nearest-neighbour distance scoring.

    Parameters
    ----------
    hidden : list of int or None
        Hidden sizes of the representation network before its last layer; None: none (the
        paper's single layer).
    latent_dim : int or None
        Representation size; None: 20 (the paper).
    activation : str
        Activation of every layer, the representation's included ("relu" in the paper).
    margin : float
        ``M`` of the ranking loss on squared distances (1000 in the paper's code).
    n_estimators : int
        ``E``, LeSiNN's ensemble size (50 in the paper).
    max_samples : int
        ``psi``, rows per LeSiNN subsample (8 in the paper; fewer when there are fewer rows).
    cantelli_a : float
        ``a`` of the outlier-candidate cut ``mean + a std`` (1.7321 in the paper).
    epochs, batch_size, lr, optimizer, weight_decay, validation_fraction, patience, preprocessing,
    device, random_state, verbose, callbacks, contamination :
        as in :class:`genad.AutoEncoder`. ``validation_fraction`` defaults to 0 and ``patience`` to
        None: the paper trains a fixed number of epochs (30), and the loss, on freshly drawn
        triplets of training rows at every step, is noisy (a validation loss, when asked for, is
        the same loss on as many triplets as there are held-out rows).

    Attributes
    ----------
    encoder_ : the representation network ``phi``
    reference_codes_ : ndarray (E, psi, latent_dim)
        The representations of the ``E`` subsamples of training rows that score new points.
    outlier_candidates_ : int
        How many training rows were outlier candidates (step 1).
    history_ : per-epoch ``loss`` (the ranking loss), ``val_loss``

    Examples
    --------
    >>> import numpy as np
    >>> from genad import REPEN
    >>> rng = np.random.default_rng(0)
    >>> det = REPEN(epochs=5, random_state=0).fit(rng.normal(size=(300, 6)))
    >>> s = det.decision_function([[0.0] * 6, [8.0] * 6])   # LeSiNN distance in the learned space
    >>> bool(s[1] > s[0]), det.encode([[0.0] * 6]).shape
    (True, (1, 20))
    """

    _fast_params = {"epochs": 10, "batch_size": 64}
    _parameter_constraints = {
        **DeepDetector._parameter_constraints,
        "activation": [StrOptions(set(B.ACTIVATIONS))],
        "margin": [POSITIVE],
        "n_estimators": [POSITIVE_INT],
        "max_samples": [POSITIVE_INT],
        "cantelli_a": [NON_NEGATIVE],
    }

    def __init__(
        self,
        hidden=None,
        latent_dim=None,
        activation="relu",
        margin=1000.0,
        n_estimators=50,
        max_samples=8,
        cantelli_a=1.7321,
        epochs=30,
        batch_size=256,
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
        self.hidden = hidden
        self.latent_dim = latent_dim
        self.activation = activation
        self.margin = margin
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.cantelli_a = cantelli_a
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

    # ------------------------------------------------------------ network
    def _default_hidden(self):
        return []

    def _default_latent_dim(self) -> int:
        return 20

    def _build_networks(self) -> None:
        d = int(np.prod(self.input_shape_))
        # phi(x; Theta): fully connected, the activation after every layer (ReLU units in the paper)
        self.encoder_ = nn.Sequential(
            _Flatten(), B.mlp([d, *self._hidden(), self._latent_dim()], self.activation, out_activation=self.activation))

    def _subsamples(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Row indices ``(E, psi)`` of LeSiNN's subsamples (each without replacement)."""
        psi = min(int(self.max_samples), n)
        return np.stack([rng.choice(n, psi, replace=False) for _ in range(int(self.n_estimators))])

    # ------------------------------------------------------------ training
    def _before_training(self, X: torch.Tensor) -> None:
        rng = np.random.default_rng(self._seed())
        flat = X.reshape(len(X), -1)
        idx = torch.as_tensor(self._subsamples(len(X), rng), device=X.device)
        s = lesinn_scores(flat, flat[idx]).double().cpu().numpy()        # step 1: initial LeSiNN scores
        outlier = cantelli_candidates(s, float(self.cantelli_a))        # O = {s > mean + a std}
        inlier = ~outlier if (~outlier).any() else np.ones_like(outlier)
        s_in, s_out = s[inlier], s[outlier]
        self._triplet_pools = (                                          # step 2: sampling weights
            torch.as_tensor(np.flatnonzero(inlier), device=X.device),
            torch.as_tensor(s_in.sum() - s_in + 1e-12, device=X.device),  # query ~ sum_I s - s(x)
            torch.as_tensor(np.flatnonzero(outlier), device=X.device),
            torch.as_tensor(s_out + 1e-12, device=X.device),              # negative ~ s(x)
            X,
        )
        self.outlier_candidates_ = int(outlier.sum())

    def _steps(self):
        inl, w_in, out, w_out, X = self._triplet_pools
        gen = torch.Generator(device=X.device).manual_seed(self._seed())
        M = float(self.margin)
        phi = self.encoder_

        def ranking_loss(batch):
            n = len(batch)  # the loop's batch sets how many triplets this step draws
            query = inl[torch.multinomial(w_in, n, replacement=True, generator=gen)]
            positive = inl[torch.randint(len(inl), (n,), generator=gen, device=inl.device)]
            negative = out[torch.multinomial(w_out, n, replacement=True, generator=gen)]
            z = phi(X[torch.cat([query, positive, negative])])
            zq, zp, zn = z[:n], z[n : 2 * n], z[2 * n :]
            d_pos = (zq - zp).pow(2).sum(dim=1)                         # ||phi(x) - phi(x+)||^2
            d_neg = (zq - zn).pow(2).sum(dim=1)                         # ||phi(x) - phi(x-)||^2
            return torch.relu(M + d_pos - d_neg).mean()                 # max{0, M + d+ - d-}

        return [Step("ranking", [phi], ranking_loss)]

    def _after_training(self, X: torch.Tensor) -> None:
        del self._triplet_pools
        rng = np.random.default_rng(self._seed() + 1)
        idx = self._subsamples(len(X), rng)
        with torch.inference_mode():
            codes = self.encoder_(X[torch.as_tensor(idx.ravel(), device=X.device)])
        self.reference_codes_ = codes.reshape(*idx.shape, -1).float().cpu().numpy()

    # ------------------------------------------------------------ scoring
    def _score_batch(self, x):
        ref = torch.as_tensor(self.reference_codes_, device=x.device, dtype=torch.float32)
        return lesinn_scores(self.encoder_(x).float(), ref)            # s(phi(x))

    def encode(self, X) -> np.ndarray:
        """The learned representation ``phi(X)``, ``(n, latent_dim)``."""
        return self._forward_batched(self.encoder_, self._transform(self._validate(X, fitting=False)))
