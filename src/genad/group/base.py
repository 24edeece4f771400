"""The group detector contract: one anomaly score per *group* of points.

Group data are points with a known group id (scikit-learn's ``groups`` convention) or a list of
``(n_i, d)`` arrays, one per group. A subclass supplies two hooks on validated, scaled points
that are sorted by group:

* ``_fit_groups(X, offsets)`` -- learn normal groups; group ``i`` is ``X[offsets[i]:offsets[i+1]]``;
* ``_score_groups(X, offsets)`` -- one score per group, higher = more anomalous.

Optionally ``_score_training_groups(X, offsets)`` for the groups the model was fitted on (a
nearest-neighbour score must not count a group as its own neighbour).

:class:`GroupDetector` does the rest like :class:`genad.base.Detector` does for points, with the
same code for seeding, calibration and thresholds: input checks, calibration *groups* the
scoring model was not fitted on, feature scaling, thresholds
(:mod:`genad.thresholds`), conformal p-values and saving (:mod:`genad.persistence`). Group
detector classes are registered in the same registry as point detectors, so :func:`genad.load`
reads them back.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from .. import thresholds as _th
from .._deprecation import RenamedParameters
from ..base import _REGISTRY, Scaler, _Calibrated
from ..validation import check_fitted, check_groups, check_X, dataframe_feature_names

__all__ = ["GroupDetector", "as_groups", "split_groups", "group_means"]


def split_groups(X: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    """The list of groups ``X[offsets[i]:offsets[i+1]]``."""
    return [X[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]


def group_means(X: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Mean of each group's rows, shape ``(n_groups, d)``."""
    sums = np.add.reduceat(np.asarray(X, dtype=np.float64), offsets[:-1], axis=0)
    return sums / np.diff(offsets)[:, None]


def as_groups(X, groups=None, *, dtype=np.float64, n_features=None, feature_names=None, what="X"):
    """Validate group input; return ``(points sorted by group, offsets, group ids, column names)``.

    ``X`` is ``(n_points, d)`` with ``groups`` one id per point, or (``groups=None``) a list of
    ``(n_i, d)`` arrays (or a 3-D array ``(n_groups, n_points, d)``). The returned ids are
    ``np.unique(groups)`` (``0..m-1`` for a list); group ``i`` is
    ``points[offsets[i]:offsets[i+1]]``. Every group needs at least 2 points.
    """
    shape = None if n_features is None else (int(n_features),)
    names = dataframe_feature_names(X)
    if groups is None and isinstance(X, np.ndarray) and X.ndim == 3:
        X = list(X)
    if groups is None and isinstance(X, (list, tuple)):
        if len(X) == 0:
            raise ValueError(f"{what} is an empty list; pass at least one group of shape (n_i, n_features).")
        arrays, d0 = [], None
        for i, G in enumerate(X):
            try:
                A = check_X(G, dtype=dtype, min_samples=1, feature_names=feature_names, what=f"group {i} of {what}")
            except ValueError as exc:
                raise ValueError(str(exc)) from None
            if len(A) < 2:
                raise ValueError(
                    f"group {i} of {what} has {len(A)} point; each group needs at least 2 points. "
                    "Merge or drop it."
                )
            if d0 is None:
                d0 = A.shape[1]
            elif A.shape[1] != d0:
                raise ValueError(
                    f"group {i} of {what} has {A.shape[1]} features but group 0 has {d0}; every group "
                    "must have the same columns."
                )
            arrays.append(A)
        names = dataframe_feature_names(X[0])
        pts = np.concatenate(arrays, axis=0)
        if shape is not None and pts.shape[1] != shape[0]:
            raise ValueError(
                f"{what} has {pts.shape[1]} features, but the model was fitted on {shape[0]} features."
                " Pass the same columns, in the same order, as in fit."
            )
        offsets = np.concatenate([[0], np.cumsum([len(A) for A in arrays])]).astype(np.int64)
        return pts, offsets, np.arange(len(arrays)), names
    if groups is None and not hasattr(X, "shape") and not _is_array_like_2d(X):
        raise ValueError(
            f"{what} must be an (n_points, n_features) array with groups=ids, or a list of (n_i, d) arrays."
        )
    pts = check_X(X, dtype=dtype, min_samples=2, feature_names=feature_names, input_shape=shape, what=what)
    g = check_groups(groups, len(pts), min_group_size=2)
    ids, inv = np.unique(g, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(inv, minlength=len(ids)))]).astype(np.int64)
    return pts[order], offsets, ids, names


def _is_array_like_2d(X) -> bool:
    try:
        return np.asarray(X).ndim == 2
    except Exception:
        return False


class GroupDetector(_Calibrated, RenamedParameters, BaseEstimator):
    """Base class of all group detectors (see module docstring).

    Parameters common to group detectors (subclasses expose them in ``__init__``):

    preprocessing : {"standard", "minmax", None}
        Feature scaling fitted on the training points.
    contamination : float or None
        If given, the default threshold leaves this fraction of training groups' scores above it;
        if None, a new normal group is flagged with probability at most 1% (calibration groups).
    random_state : int or None

    Attributes
    ----------
    decision_scores_ : ndarray (n_train_groups,)
        Scores of the training groups, in ``np.unique(groups)`` order (calibration groups included).
    calibration_scores_ : ndarray
        Scores of groups the scoring model was not fitted on: held-out groups (at least 5,000
        training groups), else every group's out-of-fold score from 5 extra fits
        (cross-conformal; the training scores below 10 groups). See :class:`genad.base.Detector`.
    calibration_ : str
        ``"holdout:<groups>"``, ``"cross-conformal:<folds>"`` or ``"training"``.
    threshold_ : float
        Groups with ``decision_function > threshold_`` are predicted anomalous.
    n_features_in_ : int
    n_groups_in_ : int
        Number of training groups.
    """

    _dtype: ClassVar[Any] = np.float64
    _fast_params: ClassVar[dict] = {}
    _default_preprocessing: ClassVar[str | None] = "standard"

    #: scikit-learn's estimator checks fit on points without group ids: every check that fits
    #: fails for that one reason (genad.base.expected_failed_checks collects this)
    _sklearn_expected_failures: ClassVar[dict] = dict.fromkeys(
        (
            "check_fit_score_takes_y", "check_estimators_overwrite_params", "check_dont_overwrite_parameters",
            "check_estimators_fit_returns_self", "check_readonly_memmap_input", "check_n_features_in_after_fitting",
            "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
            "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle",
            "check_f_contiguous_array_estimator", "check_transformer_data_not_an_array", "check_transformer_general",
            "check_methods_sample_order_invariance", "check_methods_subset_invariance", "check_fit2d_1feature",
            "check_dict_unchanged", "check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in",
            "check_fit2d_predict1d",
        ),
        "fit needs groups= (one id per point) or a list of (n_i, d) arrays, and scikit-learn's checks pass "
        "neither; the group contract is tested in tests/group",
    )

    def __sklearn_tags__(self):
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        if hasattr(self, "transform"):  # GroupAAE / GroupVAE: one mean code per group
            tags.transformer_tags = TransformerTags(preserves_dtype=[])
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "threshold_")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            # the registry genad.load resolves class names in (genad.base)
            _REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = cls

    # ------------------------------------------------------------------ hooks
    def _fit_groups(self, X: np.ndarray, offsets: np.ndarray) -> None:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} must implement _fit_groups")

    def _score_groups(self, X: np.ndarray, offsets: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise TypeError(f"{type(self).__name__} must implement _score_groups")

    def _score_training_groups(self, X: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        return self._score_groups(X, offsets)

    # ------------------------------------------------------------- internals
    def _input(self, X, groups, *, fitting: bool):
        if fitting:
            pts, offsets, ids, names = as_groups(X, groups, dtype=self._dtype)
            if names is not None:
                self.feature_names_in_ = np.asarray(names, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            self.n_features_in_ = int(pts.shape[1])
            self.input_shape_ = (int(pts.shape[1]),)
            return pts, offsets, ids
        check_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        pts, offsets, ids, _ = as_groups(
            X, groups, dtype=self._dtype, n_features=self.n_features_in_,
            feature_names=None if names is None else [str(v) for v in names],
        )
        return pts, offsets, ids

    def _preprocessing(self):
        return getattr(self, "preprocessing", self._default_preprocessing)

    # ------------------------------------------------------------- public API
    def fit(self, X, y=None, groups=None):
        """Learn normal groups from points ``X`` with ``groups`` (one id per point) or a list of
        ``(n_i, d)`` arrays. ``y`` (optional): one label per group, in the order of
        ``np.unique(groups)`` (or of the list), 1 = known anomalous group, 0 = known normal,
        -1 = unlabelled; known anomalous groups are left out of what is learned as normal.
        Calibration and labels as for point detectors, with groups as the units
        (:meth:`genad.base.Detector.fit`)."""
        pts, offsets, ids = self._input(X, groups, fitting=True)
        m = len(ids)
        labels = self._check_labels(y, m, "groups")
        sizes = np.diff(offsets)
        self.n_groups_in_ = int(m)

        def take(sel):
            if len(sel) == m:
                return pts, offsets
            rows = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in sel])
            return pts[rows], np.concatenate([[0], np.cumsum(sizes[sel])]).astype(np.int64)

        def fit_groups(est, sel):
            X_fit, off_fit = take(sel)
            est.scaler_ = Scaler(est._preprocessing()).fit(X_fit)
            Xs = est.scaler_.transform(X_fit)
            est._fit_groups(Xs, off_fit)
            return est._score_training_groups(Xs, off_fit)

        def score_groups(est, sel):
            X_sel, off_sel = take(sel)
            return est._score_groups(est.scaler_.transform(X_sel), off_sel)

        return self._fit_calibrated(m, fit_groups, score_groups, "groups", y=labels)

    def decision_function(self, X, groups=None) -> np.ndarray:
        """One anomaly score per group, in the order of ``np.unique(groups)`` (or of the list)."""
        pts, offsets, _ = self._input(X, groups, fitting=False)
        return np.asarray(self._score_groups(self.scaler_.transform(pts), offsets), dtype=np.float64)

    def explain(self, X, groups=None, *, n_points: int = 5):
        """Which points and which features drive each group's score (a
        :class:`genad.explain.GroupExplanation`)."""
        from ..explain import explain_groups

        return explain_groups(self, X, groups, n_points=n_points)

    def score_samples(self, X, groups=None) -> np.ndarray:
        """Same as :meth:`decision_function` (higher = more anomalous)."""
        return self.decision_function(X, groups)

    def predict(self, X, groups=None) -> np.ndarray:
        """0 (normal) or 1 (anomalous) per group, at ``threshold_``."""
        return (self.decision_function(X, groups) > self.threshold_).astype(np.int64)

    def fit_predict(self, X, y=None, groups=None) -> np.ndarray:
        return self.fit(X, y, groups=groups).predict(X, groups)

    def p_values(self, X, groups=None) -> np.ndarray:
        """Conformal p-values of the groups against the calibration groups (small = anomalous)."""
        return _th.conformal_p_values(self.calibration_scores_, self.decision_function(X, groups))

    def calibrate(self, X, y, groups=None, metric: str = "f1", min_recall: float = 0.9):
        """Set the threshold from labelled validation groups (``y``: one label per group, 1 = anomaly)."""
        return self._threshold_from_labels(
            self.decision_function(X, groups), y, metric, min_recall,
            mismatch="there are {n} groups; give one label per group",
        )
