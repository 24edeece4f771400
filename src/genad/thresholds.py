"""Threshold rules and conformal p-values.

Convention: a point is flagged anomalous when its score is strictly greater than the threshold.

* :func:`by_fpr` -- the default. Pick the threshold on *calibration* scores (normal rows scored
  by a model that was not fitted on them, see :func:`calibration_plan`) so that a new normal
  point exceeds it with probability at most ``fpr`` (the conformal finite-sample rule).
* :func:`by_contamination` -- assume a fraction of the training data is anomalous (PyOD's rule).
* :func:`by_std` / :func:`by_mad` -- mean + k std, or median + k scaled MAD, of reference scores.
* :func:`from_labels` -- the threshold that maximises F1, F2, accuracy, or precision at a required
  recall on labelled validation data.
* :func:`conformal_p_values` -- ``p(s) = (1 + #{calibration scores >= s}) / (n + 1)``, valid
  p-values for exchangeable normal data (Vovk et al.; Laxhammar & Falkman).
* :func:`calibration_plan` -- where the calibration scores come from: a single held-out split
  when the training set is large, out-of-fold scores of K extra fits (cross-conformal) when it is
  small.
"""

from __future__ import annotations

import numpy as np

__all__ = ["by_fpr", "by_contamination", "by_std", "by_mad", "from_labels", "conformal_p_values",
           "calibration_plan", "METRICS"]


def _scores(s, what="scores") -> np.ndarray:
    s = np.asarray(s, dtype=np.float64).ravel()
    if s.size == 0:
        raise ValueError(f"{what} is empty; a threshold needs at least one reference score.")
    if not np.isfinite(s).all():
        raise ValueError(f"{what} contains NaN or infinite values.")
    return s


def _fraction(value, name) -> float:
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1); got {value}.")
    return value


def by_fpr(calibration_scores, fpr: float = 0.01) -> float:
    """Threshold that a new normal score exceeds with probability at most ``fpr``.

    With ``n`` calibration scores exchangeable with new normal ones, a new score is above the
    ``j``-th smallest with probability ``(n + 1 - j) / (n + 1)``; the threshold is the smallest
    order statistic with ``j >= (1 - fpr) * (n + 1)``, so ``k = floor(fpr * (n + 1)) - 1``
    calibration scores lie above it and the expected false-positive rate is ``(k + 1) / (n + 1)``
    (at most ``fpr``). It flags exactly the scores whose :func:`conformal_p_values` are at most
    ``fpr`` (ties aside). When ``fpr < 1 / (n + 1)`` no calibration score can be left out and the
    maximum is returned: the rate is then ``1 / (n + 1)``, more calibration rows are needed.
    """
    s = np.sort(_scores(calibration_scores, "calibration_scores"))
    fpr = _fraction(fpr, "fpr")
    n = len(s)
    # calibration points allowed above the threshold (small epsilon: fpr*(n+1) may be an integer)
    k = int(np.floor(fpr * (n + 1) + 1e-9)) - 1
    if k <= 0:
        return float(s[-1])
    return float(s[n - k - 1])


def by_contamination(training_scores, contamination: float) -> float:
    """Threshold leaving a ``contamination`` fraction of training scores above it."""
    contamination = float(contamination)
    if not 0.0 < contamination <= 0.5:
        raise ValueError(f"contamination must be in (0, 0.5]; got {contamination}.")
    return float(np.quantile(_scores(training_scores, "training scores"), 1.0 - contamination))


def by_std(reference_scores, k: float = 3.0) -> float:
    """Mean + k standard deviations of the reference scores."""
    s = _scores(reference_scores)
    return float(s.mean() + float(k) * s.std())


def by_mad(reference_scores, k: float = 3.0) -> float:
    """Median + k * 1.4826 * MAD (a robust version of mean + k std)."""
    s = _scores(reference_scores)
    med = np.median(s)
    return float(med + float(k) * 1.4826 * np.median(np.abs(s - med)))


def _confusion_at_all_thresholds(y, s):
    """For each distinct score t (ascending), counts of tp, fp when predicting score > t."""
    order = np.argsort(s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    thresholds = np.unique(s_sorted)
    # number of positives / negatives with score <= t
    idx = np.searchsorted(s_sorted, thresholds, side="right")
    cum_pos = np.concatenate([[0], np.cumsum(y_sorted)])
    pos_le = cum_pos[idx]
    neg_le = idx - pos_le
    P, N = y.sum(), len(y) - y.sum()
    tp, fp = P - pos_le, N - neg_le
    # also the option of flagging everything: threshold just below the minimum
    below = np.nextafter(thresholds[0], -np.inf)
    thresholds = np.concatenate([[below], thresholds])
    tp = np.concatenate([[P], tp]).astype(np.float64)
    fp = np.concatenate([[N], fp]).astype(np.float64)
    return thresholds, tp, fp, float(P), float(N)


def _fbeta(tp, fp, P, beta):
    fn = P - tp
    b2 = beta * beta
    denom = (1 + b2) * tp + b2 * fn + fp
    return np.divide((1 + b2) * tp, denom, out=np.zeros_like(tp), where=denom > 0)


METRICS = ("f1", "f2", "accuracy", "precision_at_recall")


def from_labels(y_true, scores, metric: str = "f1", min_recall: float = 0.9) -> float:
    """Threshold that maximises ``metric`` on labelled data (1 = anomaly).

    ``metric`` is one of "f1", "f2", "accuracy", or "precision_at_recall" (highest precision
    among thresholds whose recall is at least ``min_recall``).
    """
    y = np.asarray(y_true).ravel()
    s = _scores(scores)
    if len(y) != len(s):
        raise ValueError(f"y has {len(y)} labels but there are {len(s)} scores.")
    if not np.isin(y, [0, 1]).all():
        raise ValueError("y must contain only 0 (normal) and 1 (anomaly).")
    y = y.astype(np.int64)
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError("y must contain both normal (0) and anomalous (1) examples to choose a threshold.")
    t, tp, fp, P, N = _confusion_at_all_thresholds(y, s)
    if metric == "f1":
        value = _fbeta(tp, fp, P, 1.0)
    elif metric == "f2":
        value = _fbeta(tp, fp, P, 2.0)
    elif metric == "accuracy":
        value = (tp + (N - fp)) / (P + N)
    elif metric == "precision_at_recall":
        recall = tp / P
        precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
        value = np.where(recall >= float(min_recall), precision, -1.0)
    else:
        raise ValueError(f"unknown metric {metric!r}; choose one of {METRICS}.")
    # ties: prefer the highest threshold (fewest alarms)
    best = len(value) - 1 - int(np.argmax(value[::-1]))
    return float(t[best])


def conformal_p_values(calibration_scores, scores, *, assume_sorted: bool = False) -> np.ndarray:
    """``(1 + #{cal >= s}) / (n_cal + 1)`` for each score (small = anomalous).

    ``assume_sorted=True`` skips sorting ``calibration_scores`` (pass them in ascending order,
    e.g. sorted once per model by a caller that scores many small batches)."""
    cal = _scores(calibration_scores, "calibration_scores")
    cal = cal if assume_sorted else np.sort(cal)
    s = np.asarray(scores, dtype=np.float64).ravel()
    n_ge = len(cal) - np.searchsorted(cal, s, side="left")
    return (1.0 + n_ge) / (len(cal) + 1.0)


def calibration_plan(n: int, *, seed: int, fraction: float = 0.1, folds: int = 5, min_holdout: int = 500):
    """Which training units (rows or groups) calibrate the threshold and the p-values.

    Returns ``(fit_idx, cal_idx, cross)``: the final model is fitted on ``fit_idx``;

    * hold-out (``round(fraction * n) >= min_holdout``): ``cal_idx`` are held out and scored by
      the final model, ``cross`` is empty. One fit; p-values in steps of ``1 / (len(cal_idx) + 1)``.
    * cross-conformal (smaller ``n``, at least ``2 * folds`` units): ``fit_idx`` is every unit,
      ``cal_idx`` is None and ``cross`` lists ``folds`` pairs ``(train_idx, test_idx)``: one extra
      model per pair is fitted on ``train_idx`` and scores ``test_idx``, so every training unit
      gets an out-of-fold score (Vovk 2015, "Cross-conformal predictors"; the final model refitted
      on all units as in Hennhoefer & Preisach 2024). ``folds`` extra fits on ``(folds - 1) / folds``
      of the data; p-values in steps of ``1 / (n + 1)``.
    * fewer than ``2 * folds`` units: ``cal_idx`` None and ``cross`` empty -- the training scores
      themselves calibrate (optimistic; there is too little data for anything else).
    """
    n = int(n)
    rng = np.random.default_rng(seed)
    n_cal = int(round(n * fraction))
    if n_cal >= min_holdout and n - n_cal >= 2:
        perm = rng.permutation(n)
        return np.sort(perm[n_cal:]), np.sort(perm[:n_cal]), []
    everything = np.arange(n)
    if folds < 2 or n < 2 * folds:
        return everything, None, []
    parts = np.array_split(rng.permutation(n), folds)
    cross = [(np.sort(np.concatenate(parts[:i] + parts[i + 1:])), np.sort(p)) for i, p in enumerate(parts)]
    return everything, None, cross
