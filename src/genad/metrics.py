"""Evaluation of anomaly scores: threshold-free ranking metrics and decision metrics.

:func:`evaluate` reports ROC-AUC and PR-AUC (average precision) and, at a threshold, accuracy,
precision, recall, F1, F2, false-positive rate and the confusion counts. Without a threshold it
picks the best-F1 threshold *on the same labels*; those numbers are optimistic and their keys
start with ``oracle_`` so that they cannot be mistaken for an honest evaluation.

For time series with labelled anomaly windows (NAB): :func:`nab_window_scores` (the highest
score in each window, and the scores outside every window) and :func:`nab_score` (NAB's own
scoring rule, with its application profiles :data:`NAB_PROFILES`).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from .thresholds import from_labels

__all__ = ["evaluate", "decision_metrics", "roc_auc_scorer", "pr_auc_scorer", "nab_window_scores", "nab_score",
           "NAB_PROFILES"]


def _check(y_true, scores):
    y = np.asarray(y_true).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if len(y) != len(s):
        raise ValueError(f"y_true has {len(y)} labels but there are {len(s)} scores.")
    if len(y) == 0:
        raise ValueError("y_true is empty.")
    if not np.isin(y, [0, 1]).all():
        raise ValueError("y_true must contain only 0 (normal) and 1 (anomaly).")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or infinite values.")
    return y.astype(np.int64), s


def decision_metrics(y_true, y_pred) -> dict:
    """Accuracy, precision, recall, F1, F2, FPR and confusion counts of 0/1 predictions."""
    y = np.asarray(y_true).astype(np.int64).ravel()
    p = np.asarray(y_pred).astype(np.int64).ravel()
    tp = int(((p == 1) & (y == 1)).sum())
    fp = int(((p == 1) & (y == 0)).sum())
    fn = int(((p == 0) & (y == 1)).sum())
    tn = int(((p == 0) & (y == 0)).sum())

    def div(a, b):
        return float(a / b) if b else 0.0

    precision, recall = div(tp, tp + fp), div(tp, tp + fn)
    f1 = div(2 * precision * recall, precision + recall)
    f2 = div(5 * precision * recall, 4 * precision + recall)
    return {
        "accuracy": div(tp + tn, len(y)),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "f2": f2,
        "fpr": div(fp, fp + tn),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
    }


def evaluate(y_true, scores, threshold: float | None = None) -> dict:
    """Evaluate anomaly scores (higher = more anomalous) against labels (1 = anomaly).

    Parameters
    ----------
    y_true : array of 0/1
    scores : array of float
    threshold : float, optional
        Flag ``score > threshold``. Pass the detector's ``threshold_`` (chosen without these
        labels) for an honest evaluation. If omitted, the best-F1 threshold on these labels is
        used and every decision metric is prefixed ``oracle_``.

    Returns
    -------
    dict with ``roc_auc``, ``pr_auc`` and the decision metrics.
    """
    y, s = _check(y_true, scores)
    both = 0 < y.sum() < len(y)
    out = {
        "n": int(len(y)),
        "n_anomalies": int(y.sum()),
        "roc_auc": float(roc_auc_score(y, s)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, s)) if both else float("nan"),
    }
    if threshold is None:
        if not both:
            return out
        t = from_labels(y, s, metric="f1")
        out["oracle_threshold"] = t
        out.update({f"oracle_{k}": v for k, v in decision_metrics(y, s > t).items()})
        return out
    out["threshold"] = float(threshold)
    out.update(decision_metrics(y, s > float(threshold)))
    return out


def roc_auc_scorer(estimator, X, y) -> float:
    """Scorer for ``GridSearchCV(scoring=roc_auc_scorer)`` on a genad detector (y: 1 = anomaly)."""
    return float(roc_auc_score(np.asarray(y), estimator.decision_function(X)))


def pr_auc_scorer(estimator, X, y) -> float:
    """Average-precision scorer for model selection with labelled validation data."""
    return float(average_precision_score(np.asarray(y), estimator.decision_function(X)))


# ----------------------------------------------------------------------------- NAB
def _window_masks(timestamps, windows) -> list[np.ndarray]:
    import pandas as pd

    ts = pd.DatetimeIndex(pd.to_datetime(np.asarray(timestamps))).to_numpy()
    out = []
    for a, b in windows:
        out.append((ts >= np.datetime64(pd.Timestamp(a))) & (ts <= np.datetime64(pd.Timestamp(b))))
    return out


def nab_window_scores(point_scores, timestamps, windows) -> tuple[np.ndarray, np.ndarray]:
    """Map point scores onto NAB's labelled windows.

    Returns ``(window_max, outside)``: the highest score inside each labelled window (NaN for
    a window with no point in ``timestamps``) and the scores of the points outside every window.
    A window counts as detected at threshold u when ``window_max > u``; the false alarms are
    the outside points above u.
    """
    s = np.asarray(point_scores, dtype=np.float64).ravel()
    masks = _window_masks(timestamps, windows)
    if masks and len(masks[0]) != len(s):
        raise ValueError(f"point_scores has {len(s)} entries but timestamps has {len(masks[0])}.")
    inside = np.zeros(len(s), bool)
    wmax = []
    for m in masks:
        wmax.append(s[m].max() if m.any() else np.nan)
        inside |= m
    return np.asarray(wmax, dtype=np.float64), s[~inside]


#: NAB's application profiles (config/profiles.json): weights of true positives, false
#: positives and false negatives.
NAB_PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def _scaled_sigmoid(x: np.ndarray) -> np.ndarray:
    """NAB's ``2 / (1 + exp(5 x)) - 1``, and -1 beyond 3 window lengths."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 3.0, -1.0, 2.0 / (1.0 + np.exp(5.0 * x)) - 1.0)


_MAX_TP = float(_scaled_sigmoid(-1.0))  # a detection at a window's first point, scaled to 1


def nab_score(detections, timestamps, windows, profile: str = "standard", probation: int = 0) -> dict:
    """NAB's scoring rule for one series (Lavin & Ahmad 2015; numenta/NAB ``sweeper.py``).

    ``detections`` is 0/1 per time point. Points before ``probation`` are ignored. Inside a
    labelled window only the first detection counts, rewarded ``A_tp * sigma(y) / sigma(-1)``
    with y the position relative to the window's end (-1 at its start, where the reward is
    ``A_tp``; it falls towards 0 at the window's end).
    Outside, every detection costs ``A_fp * sigma(y)`` with y the distance after the preceding
    window in window lengths (-1 when no window precedes it), so alarms just after a window
    cost little. Every missed window costs ``A_fn``. ``sigma(y) = 2 / (1 + e^{5y}) - 1``.

    Returns ``raw``, ``perfect`` (every window detected at its first point), ``null`` (no
    detection) and ``normalized = 100 (raw - null) / (perfect - null)``; for a corpus, sum the
    three raw figures over series before normalising (as NAB does).
    """
    if profile not in NAB_PROFILES:
        raise ValueError(f"profile must be one of {sorted(NAB_PROFILES)}; got {profile!r}.")
    w = NAB_PROFILES[profile]
    det = np.asarray(detections).astype(bool).ravel()
    masks = _window_masks(timestamps, windows)
    n = len(det)
    if masks and len(masks[0]) != n:
        raise ValueError(f"detections has {n} entries but timestamps has {len(masks[0])}.")
    spans = []
    for m in masks:
        idx = np.flatnonzero(m)
        if len(idx):
            spans.append((int(idx[0]), int(idx[-1])))
    spans.sort()
    a = np.array([sp[0] for sp in spans], dtype=np.int64)
    b = np.array([sp[1] for sp in spans], dtype=np.int64)
    hits = np.flatnonzero(det)
    hits = hits[hits >= int(probation)]
    k = np.searchsorted(b, hits, side="left")  # first window ending at or after each detection
    inside = k < len(b)
    inside[inside] = a[k[inside]] <= hits[inside]
    # true positives: the first detection in each window, rewarded by how early it came
    win, first = np.unique(k[inside], return_index=True)
    i_first = hits[inside][first]
    pos = -(b[win] - i_first + 1) / (b[win] - a[win] + 1).astype(np.float64)
    raw = float(w["tp"] * np.sum(_scaled_sigmoid(pos)) / _MAX_TP)
    detected = np.zeros(len(spans), bool)
    detected[win] = True
    # false positives: weighted by the distance after the preceding window (-1 without one)
    out_i, prev = hits[~inside], k[~inside] - 1
    fp = np.full(len(out_i), -1.0)
    has = prev >= 0
    width = b[prev[has]] - a[prev[has]] + 1
    fp[has] = _scaled_sigmoid(np.abs(out_i[has] - b[prev[has]]) / np.maximum(width - 1, 1).astype(np.float64))
    raw += float(w["fp"] * fp.sum())
    counted = [j for j, (_, end) in enumerate(spans) if end >= probation]
    raw -= w["fn"] * sum(1 for j in counted if not detected[j])
    perfect = w["tp"] * len(counted)
    null = -w["fn"] * len(counted)
    norm = 100.0 * (raw - null) / (perfect - null) if perfect != null else float("nan")
    return {"raw": raw, "perfect": perfect, "null": null, "normalized": norm,
            "n_windows": len(counted), "detected": int(sum(detected[j] for j in counted))}
