"""A new model version from analysts' verdicts, promoted only when it is not worse.

:func:`retrain` takes the model in service, new rows ``X`` and labels ``y`` in scikit-learn's
semi-supervised convention (1 = known anomaly, 0 = known normal, -1 = unlabelled) and:

1. holds out a stratified fraction (``holdout``) of the rows, labelled ones included, that
   neither model sees while it is built;
2. builds the candidate: a refit on the other rows with their labels (``refit=True``: known
   anomalies are left out of what an unsupervised detector learns as normal; a detector whose
   ``fit`` uses labels in its loss gets them all), or a copy of the current model
   (``refit=False``); then, when the non-held-out labelled items hold at least
   ``min_labels`` of each class, its threshold is chosen on them (``calibrate(metric=)``);
3. compares both models on the held-out labelled items (ROC-AUC and ``metric`` at each
   model's own threshold) and checks each one's score drift on the held-out rows that are not
   known anomalies (:class:`genad.monitor.Monitor`'s score test);
4. promotes the candidate only if it is not worse: no lower ROC-AUC and no lower ``metric`` on
   the held-out labelled items (when they hold both classes), and no score drift of its own on
   the held-out rows. Without enough held-out labels to compare, it is promoted only if the
   current model drifts on the new rows and the candidate does not.

The candidate carries its lineage in ``lineage_`` (saved in the model's ``config.json``):
version number, parent, time, the comparison's metrics, the decision and its reason.
:func:`retrain_file` does the same on a model file and keeps every version in its folder.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["retrain", "retrain_file", "RetrainResult", "fit_with_labels", "labels_for_keys"]


@dataclass
class RetrainResult:
    """What :func:`retrain` built and decided."""

    candidate: Any
    promoted: bool
    reason: str
    metrics: dict = field(default_factory=dict)
    lineage: dict = field(default_factory=dict)
    path: Path | None = None

    def __str__(self) -> str:
        cur, cand = self.metrics.get("current", {}), self.metrics.get("candidate", {})
        m = self.metrics.get("metric", "f1")

        def fmt(d, k):
            v = d.get(k)
            return "n/a" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.4f}"

        lines = [f"version {self.lineage.get('version')} (parent: {self.lineage.get('parent')}): "
                 f"{'PROMOTED' if self.promoted else 'not promoted'} -- {self.reason}",
                 f"  held-out labelled items: {self.metrics.get('holdout_labelled', 0)} "
                 f"({self.metrics.get('holdout_anomalies', 0)} anomalies)",
                 f"  {'':<10} {'roc_auc':>8} {m:>8} {'precision':>9} {'drift p':>8}"]
        for name, d in (("current", cur), ("candidate", cand)):
            lines.append(f"  {name:<10} {fmt(d, 'roc_auc'):>8} {fmt(d, m):>8} {fmt(d, 'precision'):>9} "
                         f"{fmt(d, 'drift_p_value'):>8}")
        if self.path is not None:
            lines.append(f"  saved to {self.path}")
        return "\n".join(lines)


def _labels(y, n: int) -> np.ndarray:
    """``y`` checked by :func:`genad.validation.check_labels`; ``None`` means every row unlabelled."""
    from ..validation import check_labels

    y = check_labels(y, n)
    return np.full(n, -1, dtype=np.int64) if y is None else y


def _uses_labels(det) -> bool:
    """Whether ``det.fit`` learns from labelled anomalies (weakly supervised detectors: DeepSAD, DevNet)."""
    return bool(getattr(det, "_learns_from_labels", False))


def fit_with_labels(det, X, y):
    """Fit ``det`` on rows ``X`` with semi-supervised labels ``y`` (1 / 0 / -1).

    A detector whose ``fit`` uses labels gets ``fit(X, y)``; any other learns normal behaviour
    from the rows that are not known anomalies, ``fit(X[y != 1], y[y != 1])``.
    """
    n = len(X)
    y = _labels(y, n)
    if _uses_labels(det):
        return det.fit(X, y)
    keep = y != 1
    if keep.sum() < 2:
        raise ValueError("fewer than 2 rows are left once the known anomalies are left out; "
                         "give more normal or unlabelled rows.")
    return det.fit(_rows(X, keep), y[keep])


def _rows(X, idx):
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


def labels_for_keys(keys, labels: dict) -> np.ndarray:
    """1 / 0 from ``labels`` (key -> verdict, e.g. :meth:`FeedbackStore.labels`) for each key,
    -1 for keys without a verdict."""
    keys = [str(k) for k in keys]
    return np.array([labels.get(k, -1) for k in keys], dtype=np.int64)


def _evaluate(det, X, y, metric: str) -> dict:
    from ..metrics import evaluate

    if len(y) == 0:
        return {}
    scores = det.decision_function(X)
    res = evaluate(y, scores, threshold=det.threshold_)
    keep = ("roc_auc", "pr_auc", "precision", "recall", "f1", "f2", "accuracy", "fpr", "threshold")
    out = {k: res[k] for k in keep if k in res}
    out[metric] = res.get(metric, out.get(metric))
    return out


def _drift_p(det, X, alpha: float) -> float | None:
    from .drift import Monitor

    if len(X) < 10:
        return None
    mon = Monitor(det, alpha=alpha, inputs=False, latent=False, window=max(len(X), 10), min_rows=10,
                  score_reference="calibration")
    return float(mon.update(X).p_value)


def _not_worse(a, b) -> bool:
    """candidate value ``a`` is not below current ``b`` (missing values compare as equal)."""
    if a is None or b is None or not (np.isfinite(a) and np.isfinite(b)):
        return True
    return a >= b - 1e-12


def retrain(current, X, y, *, metric: str = "f1", holdout: float = 0.3, refit: bool = True,
            min_labels: int = 5, alpha: float = 0.01, random_state=0, parent: str | None = None,
            version: int | None = None) -> RetrainResult:
    """Build, compare and decide on a new version of ``current`` (see the module docstring).

    Parameters
    ----------
    current : fitted genad detector (the model in service; never modified).
    X : rows (array or DataFrame, the model's input), y : 1 / 0 / -1 per row (None: no verdicts).
    metric : "f1", "f2", "accuracy" or "precision_at_recall" -- the threshold rule and the
        comparison's decision metric ("precision" is compared for "precision_at_recall").
    holdout : fraction of the rows (stratified by label) held out for the comparison.
    refit : refit on the rows (True) or only recalibrate the threshold (False).
    min_labels : fewest labelled items of each class to recalibrate the threshold.
    alpha : level of the score-drift checks.
    parent : name of the parent version in the lineage (default: its lineage or "v1").
    version : the candidate's version number (default: the parent's plus one).
    """
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    from ..validation import check_fitted

    check_fitted(current)
    if metric not in ("f1", "f2", "accuracy", "precision_at_recall"):
        raise ValueError(f"metric must be 'f1', 'f2', 'accuracy' or 'precision_at_recall', got {metric!r}.")
    if not 0.0 < float(holdout) < 1.0:
        raise ValueError(f"holdout must be in (0, 1), got {holdout}.")
    n = len(X)
    y = _labels(y, n)
    idx = np.arange(n)
    counts = {v: int((y == v).sum()) for v in (-1, 0, 1)}
    strat = y if min(c for c in counts.values() if c) >= 2 else None
    train_idx, test_idx = train_test_split(idx, test_size=holdout, random_state=random_state, stratify=strat)
    train_idx, test_idx = np.sort(train_idx), np.sort(test_idx)
    X_tr, y_tr, X_te, y_te = _rows(X, train_idx), y[train_idx], _rows(X, test_idx), y[test_idx]

    if refit:
        candidate = fit_with_labels(clone(current), X_tr, y_tr)
    else:
        candidate = copy.deepcopy(current)
    lab = y_tr >= 0
    calibrated = False
    if (y_tr == 1).sum() >= min_labels and (y_tr == 0).sum() >= min_labels:
        candidate.calibrate(_rows(X_tr, np.flatnonzero(lab)), y_tr[lab], metric=metric)
        calibrated = True

    decide = "precision" if metric == "precision_at_recall" else metric
    lab_te = np.flatnonzero(y_te >= 0)
    X_lab, y_lab = _rows(X_te, lab_te), y_te[lab_te]
    free = np.flatnonzero(y_te != 1)
    X_free = _rows(X_te, free)
    m_cur = _evaluate(current, X_lab, y_lab, decide)
    m_cand = _evaluate(candidate, X_lab, y_lab, decide)
    m_cur["drift_p_value"] = _drift_p(current, X_free, alpha)
    m_cand["drift_p_value"] = _drift_p(candidate, X_free, alpha)
    both = 0 < y_lab.sum() < len(y_lab)
    cand_drifts = m_cand["drift_p_value"] is not None and m_cand["drift_p_value"] < alpha
    cur_drifts = m_cur["drift_p_value"] is not None and m_cur["drift_p_value"] < alpha
    if cand_drifts:
        promoted, reason = False, "the candidate's scores drift on the held-out rows"
    elif both:
        ok_auc = _not_worse(m_cand.get("roc_auc"), m_cur.get("roc_auc"))
        ok_metric = _not_worse(m_cand.get(decide), m_cur.get(decide))
        promoted = ok_auc and ok_metric
        if promoted:
            reason = f"not worse on {len(y_lab)} held-out labelled items (ROC-AUC and {decide})"
        else:
            worse = [k for k, ok in (("ROC-AUC", ok_auc), (decide, ok_metric)) if not ok]
            reason = f"worse {' and '.join(worse)} on {len(y_lab)} held-out labelled items"
    elif cur_drifts:
        promoted, reason = True, "too few held-out labels to compare; the current model drifts, the candidate does not"
    else:
        promoted, reason = False, ("too few held-out labels to compare (both classes needed) and the current "
                                   "model shows no drift")
    plin = getattr(current, "lineage_", None) or {}
    version = int(version) if version is not None else int(plin.get("version", 1)) + 1
    lineage = {
        "version": version,
        "parent": parent or plin.get("name") or f"v{plin.get('version', 1)}",
        "name": f"v{version}",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "method": "refit" if refit else "recalibrate",
        "calibrated_on_labels": calibrated,
        "rows": int(n), "labels": {"anomalies": counts[1], "normals": counts[0], "unlabelled": counts[-1]},
        "promoted": bool(promoted), "reason": reason,
        "metrics": {"metric": decide, "current": m_cur, "candidate": m_cand},
    }
    candidate.lineage_ = _plain(lineage)
    metrics = {"metric": decide, "current": m_cur, "candidate": m_cand,
               "holdout_labelled": int(len(y_lab)), "holdout_anomalies": int(y_lab.sum())}
    return RetrainResult(candidate, bool(promoted), reason, metrics, candidate.lineage_)


def _plain(v):
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    return v


def _copy_atomic(src: Path, dst: Path) -> None:
    from ..persistence import replaced_atomically

    with replaced_atomically(dst) as tmp:
        shutil.copyfile(src, tmp)


def retrain_file(model_path, X, y, **kwargs) -> RetrainResult:
    """:func:`retrain` on the model file ``NAME.genad``; every version stays in its folder.

    The first retraining keeps the original as ``NAME.v1.genad``; each candidate is saved as
    ``NAME.vK.genad`` with its lineage (parent file's SHA-256 included). When promoted it is
    copied over ``NAME.genad`` (atomically: the file in service is replaced in one rename, never
    half-written); otherwise ``NAME.genad`` is left untouched.
    """
    import genad

    from ..persistence import file_sha256

    path = Path(model_path)
    current = genad.load(path)
    name = path.name[: -len(".genad")] if path.name.endswith(".genad") else path.stem
    plin = getattr(current, "lineage_", None) or {}
    if not plin:
        first = path.with_name(f"{name}.v1.genad")
        if not first.exists():
            _copy_atomic(path, first)
    taken = [int(p.name[len(name) + 2: -len(".genad")]) for p in path.parent.glob(f"{name}.v*.genad")
             if p.name[len(name) + 2: -len(".genad")].isdigit()]
    version = max([int(plin.get("version", 1)), *taken]) + 1
    res = retrain(current, X, y, parent=f"{name}.{plin.get('name', 'v1')}", version=version, **kwargs)
    res.lineage["parent_sha256"] = file_sha256(path)
    res.candidate.lineage_ = res.lineage
    out = path.with_name(f"{name}.v{res.lineage['version']}.genad")
    res.candidate.save(out)
    if res.promoted:
        _copy_atomic(out, path)
    res.path = out
    return res
