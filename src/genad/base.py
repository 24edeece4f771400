"""The detector contract every genad detector keeps.

A subclass supplies two hooks on validated, scaled numpy arrays:

* ``_fit(X)`` -- learn normal behaviour from training rows;
* ``_score(X)`` -- one anomaly score per row, higher = more anomalous.

:class:`Detector` does everything else the same way for all of them: input checks, calibration
scores from rows the scoring model was not fitted on, feature scaling, thresholds, conformal p-values and
saving. Hyper-parameters live only in ``__init__`` (stored unchanged) so scikit-learn's
``clone``, ``Pipeline`` and ``GridSearchCV`` work.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state

from . import thresholds as _th
from ._deprecation import RenamedParameters
from ._registry import _REGISTRY, register, registered_detectors  # noqa: F401  (_REGISTRY: genad.group.base)
from .scaling import Scaler, _issparse
from .validation import check_fitted, check_labels, check_X, dataframe_feature_names

__all__ = ["Detector", "Scaler", "registered_detectors", "expected_failed_checks"]


def expected_failed_checks(estimator) -> dict[str, str]:
    """scikit-learn estimator checks ``estimator`` is known to fail, with the reason for each.

    Collected from the ``_sklearn_expected_failures`` class dictionaries along the class
    hierarchy; pass it to ``parametrize_with_checks(expected_failed_checks=...)`` or
    ``check_estimator(expected_failed_checks=...)``.
    """
    out: dict[str, str] = {}
    for klass in reversed(type(estimator).__mro__):
        out.update(vars(klass).get("_sklearn_expected_failures", {}))
    return out



class _Calibrated:
    """Seeding, calibration and thresholds shared by point (:class:`Detector`) and group
    (:class:`genad.group.GroupDetector`) detectors: both fit on *units* (rows or groups)."""

    #: fraction of training units held out to calibrate, when that gives ``min_holdout`` units
    calibration_fraction: ClassVar[float] = 0.1
    #: fewest held-out units for a single hold-out; below it, cross-conformal calibration
    min_holdout: ClassVar[int] = 500
    #: extra fits for cross-conformal calibration (each on (K-1)/K of the units)
    calibration_folds: ClassVar[int] = 5
    #: default false-positive rate of ``threshold_`` (without ``contamination``)
    default_fpr: ClassVar[float] = 0.01

    def _seed(self) -> int:
        rs = getattr(self, "random_state", None)
        if rs is None:
            return 0
        if isinstance(rs, (int, np.integer)):
            return int(rs)
        return int(check_random_state(rs).randint(0, 2**31 - 1))

    #: fitted attributes describing the input, set before the model is fitted (fold copies share them)
    _input_schema: ClassVar[tuple[str, ...]] = ("input_shape_", "n_features_in_", "feature_names_in_")

    def _fold_estimator(self):
        """A fresh copy with the same hyper-parameters and input schema, quiet (no progress bars,
        no callbacks), for one cross-conformal fold."""
        est = clone(self)
        params = est.get_params(deep=False)
        est.set_params(**{k: v for k, v in (("verbose", 0), ("callbacks", None)) if k in params})
        for name in self._input_schema:
            if hasattr(self, name):
                setattr(est, name, getattr(self, name))
        return est

    #: the loss uses the labels (weakly supervised): known anomalies are fitted on, not left
    #: out, and ``fit`` without a labelled anomaly is an error
    _learns_from_labels: ClassVar[bool] = False

    def _check_labels(self, y, n: int, what: str):
        """``y`` of ``fit`` checked (see :func:`genad.validation.check_labels`), or None."""
        return check_labels(y, n, units=what, require_anomaly=self._learns_from_labels,
                            estimator_name=type(self).__name__)

    def _fit_calibrated(self, n: int, fit_units, score_units, what: str, y=None):
        """Fit the final model and set the calibration scores and the default threshold.

        ``fit_units(est, idx)`` fits ``est`` (scaler included) on units ``idx`` (sorted) and
        returns their in-sample scores; ``score_units(est, idx)`` scores units ``idx`` with a
        fitted ``est``.

        ``y`` (checked labels, 1 known anomaly / 0 known normal / -1 unlabelled, or None): the
        known anomalies are never learned as normal nor used as calibration units. A detector that
        learns from labels (``_learns_from_labels``) is fitted on them in every fit, the final one
        and each cross-conformal fold; any other leaves them out. Every unit still gets a score in
        ``decision_scores_``. With both known normals and known anomalies (and no
        ``contamination``), the default threshold maximises F1 on them: out-of-sample scores of
        the known normals where calibration gives them (cross-conformal), and the known anomalies'
        scores under the final model.
        """
        if y is None:
            units, known = np.arange(n), np.empty(0, dtype=np.int64)
        else:
            units, known = np.flatnonzero(y != 1), np.flatnonzero(y == 1)
        extra = known if self._learns_from_labels else known[:0]
        m = len(units)

        def fit_sel(est, sel):
            idx = np.sort(np.concatenate([units[sel], extra]))
            scores = np.asarray(fit_units(est, idx), dtype=np.float64)
            return scores[np.searchsorted(idx, units[sel])]

        def score_sel(est, sel):
            return score_units(est, units[sel])

        self._calibrate_units(m, fit_sel, score_sel, what)
        if y is None:
            return self._default_threshold(self.decision_scores_)
        scores = np.empty(n)
        scores[units] = self.decision_scores_
        if len(known):
            scores[known] = np.asarray(score_units(self, known), dtype=np.float64)
            if not np.isfinite(scores[known]).all():
                raise ValueError(f"{type(self).__name__} produced non-finite scores on the labelled "
                                 f"anomalous {what}; check the input scale or the hyper-parameters.")
        labelled_normal = y[units] == 0
        oos = self.calibration_scores_ if len(self.calibration_scores_) == m else self.decision_scores_
        self.decision_scores_ = scores
        self._default_threshold(scores)
        if getattr(self, "contamination", None) is None and len(known) and labelled_normal.any():
            truth = np.r_[np.zeros(int(labelled_normal.sum())), np.ones(len(known))]
            self.threshold_ = _th.from_labels(truth, np.r_[oos[labelled_normal], scores[known]], metric="f1")
            self.threshold_rule_ = "labels:f1"
        return self

    def _calibrate_units(self, n: int, fit_units, score_units, what: str) -> None:
        """Fit on ``n`` units; set ``decision_scores_``, ``calibration_scores_``, ``calibration_``."""
        fit_idx, cal_idx, cross = _th.calibration_plan(
            n, seed=self._seed(), fraction=self.calibration_fraction,
            folds=self.calibration_folds, min_holdout=self.min_holdout,
        )
        train_scores = np.asarray(fit_units(self, fit_idx), dtype=np.float64)
        if cal_idx is not None:
            cal_scores = np.asarray(score_units(self, cal_idx), dtype=np.float64)
            scores = np.empty(n)
            scores[fit_idx], scores[cal_idx] = train_scores, cal_scores
            method = f"holdout:{len(cal_idx)}"
        elif cross:
            cal_scores, scores = np.empty(n), train_scores
            method = f"cross-conformal:{len(cross)}"
            try:
                for tr, te in cross:
                    est = self._fold_estimator()
                    fit_units(est, tr)
                    cal_scores[te] = np.asarray(score_units(est, te), dtype=np.float64)
            except (ValueError, RuntimeError, ArithmeticError) as exc:
                # the final model fitted, a smaller fold did not (a diverging GAN, say)
                warnings.warn(
                    f"{type(self).__name__}: a calibration fold failed ({exc}); the threshold and "
                    "p-values fall back to the training scores (optimistic: expect more false "
                    "positives than the nominal rate). Refit with other hyper-parameters.",
                    RuntimeWarning, stacklevel=3,
                )
                cal_scores, method = train_scores, "training"
        else:
            cal_scores = scores = train_scores
            method = "training"
        if not (np.isfinite(scores).all() and np.isfinite(cal_scores).all()):
            raise ValueError(
                f"{type(self).__name__} produced non-finite scores on the training {what}; "
                "check the input scale or the hyper-parameters (for example lower the learning rate)."
            )
        self.decision_scores_ = scores
        self.calibration_scores_ = cal_scores
        self.calibration_ = method

    def _default_threshold(self, scores):
        """``threshold_`` from ``contamination`` on the training scores, else the default FPR."""
        cal_scores = self.calibration_scores_
        contamination = getattr(self, "contamination", None)
        if contamination is not None:
            self.threshold_ = _th.by_contamination(scores, contamination)
            self.threshold_rule_ = f"contamination={contamination}"
        else:
            self.threshold_ = _th.by_fpr(cal_scores, self.default_fpr)
            self.threshold_rule_ = f"fpr={self.default_fpr}"
        return self

    def set_threshold(
        self,
        *,
        fpr: float | None = None,
        contamination: float | None = None,
        std: float | None = None,
        mad: float | None = None,
        value: float | None = None,
    ):
        """Move the threshold without refitting; give exactly one rule.

        fpr : target false-positive rate, on the calibration scores (conformal rule, see
              :func:`genad.thresholds.by_fpr`).
        contamination : fraction of training scores above the threshold.
        std : k in mean + k * std of the calibration scores.
        mad : k in median + k * 1.4826 * MAD of the calibration scores.
        value : an explicit threshold.
        """
        check_fitted(self)
        rules = {"fpr": fpr, "contamination": contamination, "std": std, "mad": mad, "value": value}
        given = {k: v for k, v in rules.items() if v is not None}
        if len(given) != 1:
            raise ValueError(
                "set_threshold takes exactly one of fpr=, contamination=, std=, mad=, value=; "
                f"got {sorted(given) or 'none'}."
            )
        (rule, v), = given.items()
        if rule == "fpr":
            t = _th.by_fpr(self.calibration_scores_, v)
        elif rule == "contamination":
            t = _th.by_contamination(self.decision_scores_, v)
        elif rule == "std":
            t = _th.by_std(self.calibration_scores_, v)
        elif rule == "mad":
            t = _th.by_mad(self.calibration_scores_, v)
        else:
            t = float(v)
            if not np.isfinite(t):
                raise ValueError("value must be a finite number.")
        self.threshold_ = float(t)
        self.threshold_rule_ = f"{rule}={v}"
        return self

    def _threshold_from_labels(self, scores, y, metric, min_recall, mismatch):
        y = np.asarray(y)
        if len(y) != len(scores):
            raise ValueError(f"y has {len(y)} labels but " + mismatch.format(n=len(scores)) + ".")
        self.threshold_ = _th.from_labels(y, scores, metric=metric, min_recall=min_recall)
        self.threshold_rule_ = f"labels:{metric}"
        return self

    def save(self, path) -> None:
        """Write the fitted detector to ``path`` (zip: config.json + weights.safetensors)."""
        from .persistence import save

        save(self, path)

    # --------------------------------------------------------- introspection
    def n_parameters(self) -> int:
        """Number of learned parameters (network weights, or stored model arrays)."""
        from .persistence import count_parameters

        return count_parameters(self)


class Detector(_Calibrated, RenamedParameters, BaseEstimator):
    """Base class of all point detectors.

    scikit-learn sees every detector as an outlier detector (its ``estimator_type`` tag), with one
    deliberate difference, PyOD's convention: ``predict`` returns 1 for an anomaly and 0 for a
    normal row (scikit-learn's outlier detectors return -1 and 1), and ``decision_function`` /
    ``score_samples`` are higher for more anomalous rows (scikit-learn's are lower). Use
    ``1 - 2 * det.predict(X)`` where scikit-learn's labels are needed.

    Parameters common to every detector (subclasses expose them in ``__init__``):

    preprocessing : {"standard", "minmax", None}
        Feature scaling fitted on the training rows.
    contamination : float or None
        If given, the default threshold leaves this fraction of training scores above it
        (PyOD's rule). If None (default), the threshold is set so that a new normal row is
        flagged with probability at most 1% (``set_threshold(fpr=0.01)`` on the calibration
        scores).
    random_state : int or None
        Seed for the calibration split and the model.

    Calibration: with at least 5,000 training rows, 10% are held out and scored by the final
    model (one fit). With fewer, every row gets an out-of-fold score from one of 5 extra fits on
    the other 80% (cross-conformal), and the final model is fitted on all rows; p-values then
    come in steps of ``1 / (n_rows + 1)``. Below 10 rows the training scores calibrate.

    Attributes
    ----------
    decision_scores_ : ndarray (n_samples,)
        Scores of the training rows (the held-out rows' scores included).
    calibration_scores_ : ndarray
        Scores of rows the scoring model was not fitted on: the held-out rows, or every row's
        out-of-fold score (the training scores below 10 rows).
    calibration_ : str
        How they were obtained: ``"holdout:<rows>"``, ``"cross-conformal:<folds>"`` or
        ``"training"``.
    threshold_ : float
        Rows with ``decision_function(X) > threshold_`` are predicted anomalous.
    n_features_in_ : int
    feature_names_in_ : ndarray of str (only when fitted on a DataFrame)
    input_shape_ : tuple
        Shape of one sample.
    """

    #: accepted input ranks (2 = tabular, 3 = sequences, 4 = images)
    _allow_nd: ClassVar[bool] = False
    #: dtype handed to the hooks
    _dtype: ClassVar[Any] = np.float64
    #: hyper-parameters for a quick run (small epochs): used by the contract tests and smoke runs
    _fast_params: ClassVar[dict] = {}
    #: default for ``preprocessing`` when a subclass does not define the parameter
    _default_preprocessing: ClassVar[str | None] = "standard"
    #: takes scipy sparse matrices (2-D only; scaled without centring)
    _accept_sparse: ClassVar[bool] = False
    #: scikit-learn estimator checks failed on purpose: check name -> reason (see expected_failed_checks)
    _sklearn_expected_failures: ClassVar[dict] = {
        "check_outliers_train": "predict returns 1 = anomaly, 0 = normal (PyOD's convention), not -1/1; "
        "decision_function is higher for anomalies and there is no offset_",
        "check_outliers_fit_predict": "fit_predict returns 1 = anomaly, 0 = normal (PyOD's convention), not -1/1",
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "outlier_detector"
        tags.input_tags.sparse = bool(self._accept_sparse)
        tags.input_tags.allow_nan = False
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "threshold_")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register(cls)

    # ------------------------------------------------------------------ hooks
    def _fit(self, X: np.ndarray) -> None:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} must implement _fit")

    def _score(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} must implement _score")

    def _score_training(self, X: np.ndarray) -> np.ndarray:
        """Scores of the rows the model was fitted on (KNN overrides to exclude self-matches)."""
        return self._score(X)

    # ------------------------------------------------------------- internals
    def _validate(self, X, *, fitting: bool) -> np.ndarray:
        if fitting:
            arr = check_X(X, dtype=self._dtype, allow_nd=self._allow_nd, min_samples=2, what="X",
                          accept_sparse=self._accept_sparse, estimator_name=type(self).__name__)
            names = dataframe_feature_names(X)
            if names is not None and arr.ndim == 2:
                self.feature_names_in_ = np.asarray(names, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            self.input_shape_ = tuple(int(v) for v in arr.shape[1:])
            self.n_features_in_ = int(arr.shape[1]) if arr.ndim == 2 else int(np.prod(arr.shape[1:]))
            self._check_input(arr)
            return arr
        check_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        arr = check_X(
            X,
            dtype=self._dtype,
            allow_nd=self._allow_nd,
            min_samples=1,
            feature_names=None if names is None else [str(v) for v in names],
            input_shape=self.input_shape_,
            what="X",
            accept_sparse=self._accept_sparse,
            estimator_name=type(self).__name__,
        )
        return arr

    def _check_input(self, X: np.ndarray) -> None:
        """Extra checks on training input (deep detectors reject channels-last images, ...)."""

    def _preprocessing(self) -> str | None:
        return getattr(self, "preprocessing", self._default_preprocessing)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return self.scaler_.transform(X)

    # ------------------------------------------------------------- public API
    def fit(self, X, y=None):
        """Learn normal behaviour from ``X`` (mostly normal rows).

        ``y`` (optional) follows scikit-learn's semi-supervised convention, one label per row:
        1 = known anomaly, 0 = known normal, -1 = unlabelled. Known anomalies are left out of what
        the detector learns as normal (weakly supervised detectors use them in their loss) but
        still scored into ``decision_scores_``; with both known normals and known anomalies, the
        default threshold is the one with the best F1 on them (unless ``contamination`` is set).

        The threshold and the p-values are calibrated on scores of rows the scoring model was
        not fitted on (see :func:`genad.thresholds.calibration_plan`): with 5,000 rows or more
        a 10% hold-out (one fit); with fewer, out-of-fold scores from 5 extra fits on 80% of
        the rows each (cross-conformal), the final model being fitted on every row.
        """
        X = self._validate(X, fitting=True)
        labels = self._check_labels(y, X.shape[0], "rows")

        def fit_rows(est, idx):
            X_fit = X if len(idx) == X.shape[0] else X[idx]
            est.scaler_ = Scaler(est._preprocessing()).fit(X_fit)
            Xs = est._transform(X_fit)
            if est._learns_from_labels:
                est._fit(Xs, labels[idx])
            else:
                est._fit(Xs)
            return est._score_training(Xs)

        def score_rows(est, idx):
            return est._score(est._transform(X[idx]))

        return self._fit_calibrated(X.shape[0], fit_rows, score_rows, "rows", y=labels)

    def decision_function(self, X) -> np.ndarray:
        """Anomaly score per row (higher = more anomalous)."""
        X = self._validate(X, fitting=False)
        return np.asarray(self._score(self._transform(X)), dtype=np.float64)

    def score_samples(self, X) -> np.ndarray:
        """Same as :meth:`decision_function` (higher = more anomalous, unlike scikit-learn)."""
        return self.decision_function(X)

    def predict(self, X) -> np.ndarray:
        """0 (normal) or 1 (anomaly) per row, at ``threshold_``."""
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X, y).predict(X)

    def p_values(self, X) -> np.ndarray:
        """Conformal p-values against the calibration scores (small = anomalous), in steps of
        ``1 / (len(calibration_scores_) + 1)``."""
        return _th.conformal_p_values(self.calibration_scores_, self.decision_function(X))

    def explain(self, X, **kwargs):
        """Per-feature contributions to the anomaly scores of ``X``, with the feature names
        (a :class:`genad.explain.Explanation`; options and meaning per detector family there)."""
        from .explain import explain

        return explain(self, X, **kwargs)

    def export_onnx(self, path, **kwargs):
        """Write the detector as an ONNX graph from raw samples to the score (see
        :mod:`genad.export`; ADGAN and AnoGAN are refused, with the reason)."""
        from .export import export_onnx

        return export_onnx(self, path, **kwargs)

    def calibrate(self, X, y, metric: str = "f1", min_recall: float = 0.9):
        """Set the threshold from labelled validation data (y: 1 = anomaly).

        metric : "f1", "f2", "accuracy" or "precision_at_recall" (with ``min_recall``).
        """
        return self._threshold_from_labels(self.decision_function(X), y, metric, min_recall,
                                           mismatch="X has {n} rows")

