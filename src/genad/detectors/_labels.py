"""Semi-supervised labels for the unsupervised deep detectors: known anomalies are left out.

``fit(X, y)`` follows scikit-learn's semi-supervised convention: ``y[i] = 1`` a known anomaly,
``0`` a known normal row, ``-1`` unlabelled. A detector that learns normal behaviour only
(DAGMM, REPEN, ICL) trains on the rows not labelled anomalous; ``y=None`` trains on every row.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

__all__ = ["check_labels", "without_known_anomalies", "KnownAnomaliesLeftOut"]

LABELS = (1, 0, -1)


def _n_rows(X) -> int | None:
    shape = getattr(X, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) else None
    try:
        return len(X)
    except TypeError:
        return None


def check_labels(y, n_rows: int) -> np.ndarray:
    """``y`` as an int array of ``n_rows`` labels in {1, 0, -1}; ValueError naming the problem."""
    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    arr = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if arr.ndim != 1:
        raise ValueError(f"y must be a 1-D array with one label per row of X; got shape {arr.shape}.")
    if len(arr) != n_rows:
        raise ValueError(f"y has {len(arr)} labels but X has {n_rows} rows; give one label per row.")
    try:
        values = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("y must hold the labels 1 (known anomaly), 0 (known normal) or -1 (unlabelled); "
                         f"got non-numeric values such as {arr[0]!r}.") from None
    bad = ~np.isin(values, LABELS)
    if bad.any():
        raise ValueError(
            "y must hold the labels 1 (known anomaly), 0 (known normal) or -1 (unlabelled); got "
            f"{sorted(set(np.unique(arr[bad]).tolist()))[:5]}. Map your labels to 1/0/-1, or fit without y."
        )
    return values.astype(np.int64)


def without_known_anomalies(X, y, name: str):
    """The rows of ``X`` (array, DataFrame or tensor) not labelled 1 in ``y``; ``X`` when ``y`` is None."""
    if y is None:
        return X
    n = _n_rows(X)
    if n is None:
        return X  # not array-like: the detector's own input check names the problem
    keep = check_labels(y, n) != 1
    if not keep.any():
        raise ValueError(f"every row of X is labelled a known anomaly (y == 1); {name} learns normal "
                         "behaviour and needs rows labelled 0 (normal) or -1 (unlabelled).")
    if keep.all():
        return X
    if hasattr(X, "iloc"):
        return X.iloc[np.flatnonzero(keep)]
    if hasattr(X, "detach"):
        import torch

        return X[torch.as_tensor(keep, device=X.device)]
    return np.asarray(X)[keep]


class KnownAnomaliesLeftOut:
    """``fit(X, y)`` that leaves the rows labelled 1 (known anomalies) out of training."""

    #: scikit-learn's generic checks fit with made-up targets (values such as 2 and 3), which are
    #: not semi-supervised labels and are refused with a ValueError naming them
    _sklearn_expected_failures: ClassVar[dict] = {
        check: "y holds semi-supervised labels 1/0/-1; the check passes other values (2, 3, ...), "
        "which are refused with a ValueError"
        for check in (
            "check_fit_score_takes_y", "check_estimators_overwrite_params", "check_dont_overwrite_parameters",
            "check_estimators_fit_returns_self", "check_readonly_memmap_input", "check_n_features_in_after_fitting",
            "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
            "check_f_contiguous_array_estimator", "check_classifier_data_not_an_array",
            "check_methods_sample_order_invariance", "check_fit2d_1feature", "check_dict_unchanged",
            "check_fit2d_predict1d",
        )
    }

    def fit(self, X, y=None):
        """Learn normal behaviour from ``X``; rows with ``y == 1`` (known anomalies) are left out.

        y : None or array of 1 (known anomaly), 0 (known normal), -1 (unlabelled), one per row.
        """
        if y is not None:
            self._validate(X, fitting=True)  # the input's own problems are named first
            X = without_known_anomalies(X, y, type(self).__name__)
        return super().fit(X)
