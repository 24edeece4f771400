"""Loss helpers shared by the detectors and the training mechanisms."""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["kept_rows", "trimmed_mean", "kept_index", "AdaptiveTrim", "mixture_cut"]


def kept_rows(n: int, trim: float) -> int:
    """How many of a batch's ``n`` rows a loss trimmed by ``trim`` keeps (at least one)."""
    return max(1, int(round(n * (1.0 - trim))))


def kept_index(row_losses: torch.Tensor, trim) -> torch.Tensor | None:
    """Indices of the rows a trimmed loss keeps: the ``kept_rows(n, trim)`` smallest for a number,
    the rows at or below the current cut for an :class:`AdaptiveTrim`; None keeps every row."""
    if isinstance(trim, AdaptiveTrim):
        return trim.kept(row_losses)
    if not trim:
        return None
    return torch.topk(row_losses, kept_rows(len(row_losses), trim), largest=False, sorted=False).indices


def trimmed_mean(row_losses: torch.Tensor, trim) -> torch.Tensor:
    """Mean of the per-row losses a trimmed loss keeps (:func:`kept_index`): the ``1 - trim``
    smallest for a number (all of them when ``trim`` is 0), those at or below the cut of an
    :class:`AdaptiveTrim`."""
    if isinstance(trim, AdaptiveTrim):
        return row_losses.index_select(0, trim.kept(row_losses)).mean()
    if not trim:
        return row_losses.mean()
    k = kept_rows(len(row_losses), trim)
    return torch.topk(row_losses, k, largest=False, sorted=False).values.mean()


class AdaptiveTrim:
    """``trim="auto"``: how much of the training data to leave out of the loss, estimated from
    the data during training.

    For the first ``warmup_epochs`` epochs each batch's worse half is left out (a trimmed mean
    with trim 0.5, robust to any contamination below one half, while the network learns the
    bulk of the data). After each later epoch :meth:`update` fits a two-component Gaussian
    mixture to the logarithms of the per-row losses of (a sample of) the training rows
    (:func:`mixture_cut`): when two components describe them better than one (BIC), rows whose
    posterior of the upper component exceeds ``posterior`` are left out of the next epoch's
    loss, at most ``max_share`` of them. :attr:`estimate` is the share left out (the estimated
    contamination). Anomalies the network has not yet learned sit in the upper component and
    stay out, so it does not learn them later either; clean data lose at most a thin tail.
    """

    def __init__(self, posterior: float = 0.5, warmup_epochs: int = 2, warmup_trim: float = 0.5,
                 max_share: float = 0.5):
        self.posterior = float(posterior)
        self.warmup_epochs = int(warmup_epochs)
        self.warmup_trim = float(warmup_trim)
        self.max_share = float(max_share)
        self.cut: float | None = None
        self.estimate: float | None = None

    def kept(self, row_losses: torch.Tensor) -> torch.Tensor:
        """Indices of the rows below the cut (during the warm-up: the better half)."""
        if self.cut is None:
            k = kept_rows(len(row_losses), self.warmup_trim)
            return torch.topk(row_losses, k, largest=False, sorted=False).indices
        idx = torch.nonzero(row_losses.detach() <= self.cut).flatten()
        if len(idx) == 0:  # a batch of rows all above the cut: its best row
            idx = torch.argmin(row_losses.detach()).reshape(1)
        return idx

    def update(self, row_losses) -> None:
        """Re-estimate the cut from per-row training losses."""
        self.cut, self.estimate = mixture_cut(np.asarray(row_losses, dtype=np.float64), self.posterior,
                                              self.max_share)


def mixture_cut(losses: np.ndarray, posterior: float = 0.5, max_share: float = 0.5) -> tuple[float, float]:
    """``(cut, share of losses above it)`` from a two-component Gaussian mixture on log-losses.

    The cut is the smallest loss above the median whose posterior probability of the upper
    component exceeds ``posterior``, raised so that at most ``max_share`` of the losses lie above
    it; infinite (nothing left out, share 0) when one Gaussian describes the log-losses at least
    as well as two (BIC) or there are fewer than 10 finite losses. An upper component holding
    half of the losses or more still gives a cut (at most ``max_share`` above it): early in
    training the normal rows' tail and the anomalies form it together (ECG5000 with 30% abnormal
    beats: 51% after the third epoch), and refusing to cut there lets the network learn the
    anomalies.
    """
    from sklearn.mixture import GaussianMixture

    losses = losses[np.isfinite(losses)]
    if len(losses) < 10:
        return math.inf, 0.0
    floor = max(float(np.max(losses)) * 1e-12, 1e-30)
    logs = np.log(np.maximum(losses, floor)).reshape(-1, 1)
    # k-means++ seeding, not a full k-means (which starts a thread pool per call)
    two = GaussianMixture(2, init_params="k-means++", n_init=2, random_state=0).fit(logs)
    # BIC of one Gaussian (2 parameters) in closed form
    var = max(float(np.var(logs)), 1e-12)
    bic_one = len(logs) * (np.log(2 * np.pi * var) + 1.0) + 2 * np.log(len(logs))
    if two.bic(logs) >= bic_one:
        return math.inf, 0.0
    upper = int(np.argmax(two.means_.ravel()))
    flagged = (two.predict_proba(logs)[:, upper] > posterior) & (logs.ravel() > float(np.median(logs)))
    if not flagged.any():
        return math.inf, 0.0
    cut = max(float(np.min(losses[flagged])), float(np.quantile(losses, 1.0 - max_share)))
    return cut, float(np.mean(losses > cut))
