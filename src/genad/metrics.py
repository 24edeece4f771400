"""Evaluation of anomaly scores: threshold-free ranking metrics and decision metrics.

:func:`evaluate` reports ROC-AUC and PR-AUC (average precision) and, at a threshold, accuracy,
precision, recall, F1, F2, false-positive rate and the confusion counts. Without a threshold it
picks the best-F1 threshold *on the same labels*; those numbers are optimistic and their keys
start with ``oracle_`` so that they cannot be mistaken for an honest evaluation.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from .thresholds import from_labels

__all__ = ["evaluate", "decision_metrics", "roc_auc_scorer", "pr_auc_scorer"]


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
