"""scikit-learn's own estimator checks on every detector, and the fixes they asked for.

``parametrize_with_checks`` runs scikit-learn's checks (legacy ones included) on every public
point and group detector with small settings (:mod:`sklearn_check_settings`). What a detector
fails on purpose it declares itself, with the reason (:func:`genad.base.expected_failed_checks`):
``predict`` returns 1 = anomaly / 0 = normal like PyOD, group detectors need group ids, and
float32 networks agree across batch sizes only to float32 rounding.
"""

from __future__ import annotations

import inspect
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone, is_outlier_detector
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

import genad
import genad.group
from genad.base import expected_failed_checks
from genad.validation import NonNumericInputError
from genad_testing import training_data
from sklearn_check_settings import check_instance, detector_classes

CLASSES = detector_classes()
#: detectors whose checks take long (per-point latent searches): in the slow run only
SLOW = {"AnoGAN", "ADGAN"}


def _targets_dropped(cls):
    """``cls`` with a ``fit`` that leaves out the targets scikit-learn's checks pass.

    The checks hand every estimator class ids (0, 1, 2, ...) as ``y``; genad's ``fit`` reads ``y``
    as semi-supervised labels (1 known anomaly, 0 known normal, -1 unlabelled) and refuses other
    values (tests/test_labels.py, tests/test_contract.py). So the checks run on this subclass,
    which fits without the checks' targets -- a weakly supervised detector with its first row
    labelled anomalous -- and keeps everything else of ``cls``. Defined at module level under its
    own name so that the pickling checks find it; the leading underscore keeps it out of the
    registry of loadable detectors.
    """
    name = f"_{cls.__name__}ForChecks"
    if name in globals():
        return globals()[name]
    weak = getattr(cls, "_learns_from_labels", False)

    def fit(self, X, y=None, **kwargs):
        labels = None
        n = np.asarray(X).shape[0] if weak and np.asarray(X).ndim >= 1 else 0
        if n >= 2:
            labels = np.full(n, -1)
            labels[0] = 1
        return cls.fit(self, X, labels, **kwargs)

    sub = type(name, (cls,), {"fit": fit, "__module__": __name__, "__qualname__": name, "__doc__": cls.__doc__})
    globals()[name] = sub
    return sub


def _estimators(slow: bool):
    out = []
    for c in CLASSES:
        if (c.__name__ in SLOW) == slow:
            est = check_instance(c)
            out.append(_targets_dropped(c)(**est.get_params(deep=False)))
    return out


def _expected(est):
    return expected_failed_checks(est)


#: check_do_not_raise_errors_in_init_or_set_params passes every argument, the old names included
OLD_NAME_WARNING = "ignore:.*'score' was renamed 'score_type':FutureWarning"


@pytest.mark.filterwarnings(OLD_NAME_WARNING)
@parametrize_with_checks(_estimators(slow=False), expected_failed_checks=_expected)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.slow
@pytest.mark.filterwarnings(OLD_NAME_WARNING)
@parametrize_with_checks(_estimators(slow=True), expected_failed_checks=_expected)
def test_sklearn_estimator_checks_slow(estimator, check):
    check(estimator)


def test_every_detector_is_checked():
    names = {c.__name__ for c in CLASSES}
    assert {"PCA", "KNN", "AutoEncoder", "VAE", "Seq2Seq", "GroupAAE", "OCSMM", "PointAggregate"} <= names
    point = [n for n in genad.__all__ if inspect.isclass(getattr(genad, n)) and n != "Detector"]
    assert set(point) <= names


# ------------------------------------------------------------------ tags and conventions
@pytest.mark.parametrize("cls", [c for c in CLASSES if issubclass(c, genad.Detector)], ids=lambda c: c.__name__)
def test_point_detectors_are_outlier_detectors_with_pyod_labels(cls, blobs):
    det = check_instance(cls)
    assert is_outlier_detector(det)
    assert get_tags(det).input_tags.sparse == (cls.__name__ in {"IsolationForest", "KNN", "OCSVM"})
    assert not get_tags(det).input_tags.allow_nan
    # the documented difference from scikit-learn: 1 = anomaly, 0 = normal
    X, X_test, y_test = blobs
    pred = det.fit(*training_data(cls, X)).predict(X_test)
    assert set(np.unique(pred)) <= {0, 1} and pred[y_test == 1].mean() > pred[y_test == 0].mean()
    reasons = expected_failed_checks(det)
    assert "PyOD" in reasons["check_outliers_train"]


def test_no_parameter_is_named_like_a_method_or_attribute():
    """A hyper-parameter stored as an attribute hides a method of the same name (``score`` did)."""
    from sklearn.base import BaseEstimator

    reserved = {n for n in dir(BaseEstimator) if not n.startswith("_")} | {
        "fit", "predict", "fit_predict", "decision_function", "score_samples", "score", "transform",
        "predict_proba", "p_values", "set_threshold", "calibrate", "save", "n_parameters", "score_groups",
    }
    for cls in CLASSES:
        methods = {n for n, _ in inspect.getmembers(cls) if not n.startswith("_")}
        clash = set(cls().get_params(deep=False)) & (reserved | methods)
        assert not clash, f"{cls.__name__} has parameters named like methods: {sorted(clash)}"


# ------------------------------------------------------------------ score -> score_type
RENAMED = [genad.VAE, genad.ADGAN, genad.AdversarialAutoEncoder, genad.group.GroupAAE, genad.group.GroupVAE]


@pytest.mark.parametrize("cls", RENAMED, ids=lambda c: c.__name__)
def test_score_renamed_score_type_old_name_warns(cls):
    new = cls().score_type
    other = next(s for s in (cls._SCORES if hasattr(cls, "_SCORES") else genad.group.SCORES) if s != new)
    with pytest.warns(FutureWarning, match="'score' was renamed 'score_type'"):
        det = cls(score=other)
    assert det.score_type == other
    assert "score" not in det.get_params() and not hasattr(det, "score")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # clone and repr see only the new name: no warning
        assert clone(det).score_type == other
        repr(det)
    with pytest.warns(FutureWarning):
        det.set_params(score=new)
    assert det.score_type == new


def test_old_score_name_gives_the_same_model(blobs):
    X, X_test, _ = blobs
    with pytest.warns(FutureWarning):
        old = genad.VAE(score="elbo", epochs=1, n_samples=2, random_state=0).fit(X)
    new = genad.VAE(score_type="elbo", epochs=1, n_samples=2, random_state=0).fit(X)
    np.testing.assert_array_equal(old.decision_function(X_test), new.decision_function(X_test))


# ------------------------------------------------------------------ in-memory pickling
@pytest.fixture(scope="module")
def fitted_point(blobs):
    X = blobs[0]
    return {c.__name__: check_instance(c).fit(*training_data(c, X)) for c in CLASSES if issubclass(c, genad.Detector)}


def test_fitted_detectors_pickle_in_memory_and_score_identically(fitted_point, blobs):
    X_test = blobs[1]
    for name, det in fitted_point.items():
        twin = pickle.loads(pickle.dumps(det))
        np.testing.assert_array_equal(twin.decision_function(X_test), det.decision_function(X_test), err_msg=name)
        assert twin.threshold_ == det.threshold_
        local = [k for k, v in vars(det).items() if callable(v) and "<locals>" in getattr(v, "__qualname__", "")]
        assert not local, f"{name} keeps local functions in its fitted state: {local}"


def test_fitted_group_detectors_pickle_in_memory():
    rng = np.random.default_rng(0)
    X, g = rng.normal(size=(120, 3)), np.repeat(np.arange(30), 4)
    for cls in CLASSES:
        if issubclass(cls, genad.group.GroupDetector):
            det = check_instance(cls).fit(X, groups=g)
            twin = pickle.loads(pickle.dumps(det))
            np.testing.assert_array_equal(twin.decision_function(X, g), det.decision_function(X, g))


def test_grid_search_in_two_processes(blobs):
    """joblib moves estimators between processes by pickling them in memory."""
    X, X_test, y_test = blobs
    Xall, yall = np.vstack([X[:60], X_test]), np.r_[np.zeros(60), y_test].astype(int)
    gs = GridSearchCV(genad.AutoEncoder(epochs=2, patience=None, random_state=0), {"hidden": [[8], [16]]},
                      scoring="roc_auc", cv=StratifiedKFold(2, shuffle=True, random_state=0), n_jobs=2).fit(Xall, yall)
    assert gs.best_score_ > 0.9
    serial = GridSearchCV(genad.AutoEncoder(epochs=2, patience=None, random_state=0), {"hidden": [[8], [16]]},
                          scoring="roc_auc", cv=StratifiedKFold(2, shuffle=True, random_state=0)).fit(Xall, yall)
    np.testing.assert_allclose(gs.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])


# ------------------------------------------------------------------ deterministic scores
@pytest.mark.parametrize("score_type", genad.VAE._SCORES)
def test_vae_score_of_a_row_does_not_depend_on_the_batch(score_type, blobs, monkeypatch):
    X, X_test, _ = blobs
    det = genad.VAE(score_type=score_type, epochs=2, n_samples=3, random_state=0).fit(X)
    full = det.decision_function(X_test)
    order = np.random.default_rng(1).permutation(len(X_test))
    np.testing.assert_allclose(det.decision_function(X_test[order]), full[order], rtol=1e-5)
    singles = np.array([det.decision_function(X_test[i : i + 1])[0] for i in range(10)])
    np.testing.assert_allclose(singles, full[:10], rtol=1e-5)
    monkeypatch.setattr(det, "score_batch_size", 7)  # scoring split into other batches
    np.testing.assert_allclose(det.decision_function(X_test), full, rtol=1e-5)
    # still a Monte-Carlo score: another seed draws other codes
    other = genad.VAE(score_type=score_type, epochs=2, n_samples=3, random_state=0).fit(X)
    other.random_state = 5
    assert not np.allclose(other.decision_function(X_test), full)


def test_deep_scores_agree_across_batches(fitted_point, blobs):
    """Every detector: a row's score is the same alone, in a batch, in any order (float32 rounding)."""
    X_test = blobs[1]
    order = np.random.default_rng(2).permutation(len(X_test))
    for name, det in fitted_point.items():
        full = det.decision_function(X_test)
        np.testing.assert_allclose(det.decision_function(X_test[order]), full[order], rtol=1e-5, atol=1e-6,
                                   err_msg=name)
        singles = np.array([det.decision_function(X_test[i : i + 1])[0] for i in range(5)])
        np.testing.assert_allclose(singles, full[:5], rtol=1e-5, atol=1e-6, err_msg=name)


# ------------------------------------------------------------------ object dtype
def test_object_arrays_and_columns_holding_numbers_convert(blobs):
    X, X_test, _ = blobs
    # two components: with 0.9 of the variance kept, five-feature noise keeps all five and the
    # scores are round-off (1e-30)
    det = genad.PCA(n_components=2).fit(X)
    expected = det.decision_function(X_test)
    np.testing.assert_array_equal(
        genad.PCA(n_components=2).fit(X.astype(object)).decision_function(X_test.astype(object)), expected)
    cols = [f"c{j}" for j in range(X.shape[1])]
    df = pd.DataFrame(X, columns=cols).astype({"c1": object})
    df_test = pd.DataFrame(X_test, columns=cols).astype({"c1": object, "c3": object})
    assert df.dtypes["c1"] == object
    np.testing.assert_allclose(genad.PCA(n_components=2).fit(df).decision_function(df_test), expected)


def test_non_numbers_are_refused_naming_the_column(blobs):
    X = blobs[0][:20]
    cols = [f"c{j}" for j in range(X.shape[1])]
    df = pd.DataFrame(X, columns=cols).astype({"c2": object})
    df.loc[4, "c2"] = "n/a"
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) \['c2'\]"):
        genad.KNN().fit(df)
    arr = X.astype(object)
    arr[6, 3] = {"a": 1}
    with pytest.raises(ValueError, match=r"non-numeric values in feature 3, first at row 6: \{'a': 1\}") as err:
        genad.KNN().fit(arr)
    assert isinstance(err.value, TypeError) and isinstance(err.value, NonNumericInputError)
    with pytest.raises(ValueError, match="non-numeric"):
        genad.KNN().fit(np.array([["a", "b"], ["c", "d"]]))


# ------------------------------------------------------------------ sparse input
@pytest.mark.parametrize("cls", [genad.IsolationForest, genad.KNN, genad.OCSVM], ids=lambda c: c.__name__)
def test_sparse_input_where_the_method_takes_it(cls):
    rng = np.random.default_rng(0)
    X = rng.random((150, 6))
    X[X < 0.7] = 0
    X_test = np.vstack([X[:20], np.full((3, 6), 4.0)])
    det = cls(random_state=0).fit(sp.csr_matrix(X))
    s_sparse = det.decision_function(sp.csr_array(X_test))
    np.testing.assert_allclose(s_sparse, det.decision_function(X_test), rtol=1e-10)
    assert s_sparse[-3:].min() > np.median(s_sparse[:20])
    assert set(det.predict(sp.csr_matrix(X_test))) <= {0, 1}
    if cls is not genad.OCSVM:  # distances and isolation depth are unchanged by centring
        dense = cls(random_state=0).fit(X)
        np.testing.assert_allclose(s_sparse, dense.decision_function(X_test), rtol=1e-8)


@pytest.mark.parametrize("cls", [genad.PCA, genad.KDE, genad.AutoEncoder], ids=lambda c: c.__name__)
def test_sparse_input_refused_elsewhere(cls, blobs):
    X = blobs[0]
    with pytest.raises(ValueError, match=r"sparse input is not supported; use X\.toarray\(\)"):
        check_instance(cls).fit(sp.csr_matrix(X))
    det = check_instance(cls).fit(X)
    with pytest.raises(ValueError, match=r"sparse input is not supported; use X\.toarray\(\)"):
        det.decision_function(sp.csr_matrix(X))


def test_sparse_nan_and_feature_count_are_checked():
    X = sp.random(40, 5, density=0.3, format="csr", random_state=0)
    det = genad.KNN().fit(X)
    with pytest.raises(ValueError, match="X has 4 features, but KNN is expecting 5 features as input"):
        det.decision_function(X[:, :4])
    bad = X.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        genad.KNN().fit(bad)


# ------------------------------------------------------------------ messages
def test_messages_keep_genad_sentences_and_the_usual_phrases(blobs):
    X = blobs[0]
    det = genad.KNN()
    with pytest.raises(ValueError, match=r"1 row\(s\) \(n_samples=1\); at least 2 are needed to fit"):
        det.fit(X[:1])
    with pytest.raises(ValueError, match=r"1-D .*Reshape your data with X\.reshape\(-1, 1\)"):
        det.fit(X[:, 0])
    with pytest.raises(ValueError, match=r"0 feature\(s\) \(shape=\(12, 0\)\) while a minimum of 1 is required"):
        det.fit(np.empty((12, 0)))
    with pytest.raises(ValueError, match="0 rows"):
        det.fit(np.empty((0, 3)))
    with pytest.raises(ValueError, match="Complex data not supported"):
        det.fit(X + 1j)
    det.fit(X)
    with pytest.raises(ValueError, match=r"X has 3 features, but KNN is expecting 5 features as input .*same columns"):
        det.predict(X[:, :3])
    with pytest.raises(ValueError, match=r"Reshape your data"):
        det.predict(X[0])


def test_model_files_saved_with_the_old_name_still_load(blobs, tmp_path):
    import json
    import zipfile

    from genad.persistence import _digest

    X, X_test, _ = blobs
    det = genad.VAE(score_type="elbo", epochs=1, n_samples=2, random_state=0).fit(X)
    det.save(tmp_path / "new.genad")
    with zipfile.ZipFile(tmp_path / "new.genad") as z:
        config, weights = json.loads(z.read("config.json")), z.read("weights.safetensors")
    assert "score" not in config["params"] and config["params"]["score_type"] == "elbo"
    config.pop("sha256")
    config["params"]["score"] = config["params"].pop("score_type")  # as files written before the rename
    config["sha256"] = _digest(config, weights, {})
    with zipfile.ZipFile(tmp_path / "old.genad", "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("weights.safetensors", weights)
    with pytest.warns(FutureWarning, match="'score' was renamed 'score_type'"):
        old = genad.load(tmp_path / "old.genad")
    assert old.score_type == "elbo"
    np.testing.assert_array_equal(old.decision_function(X_test), det.decision_function(X_test))


@pytest.mark.parametrize("cls", [genad.IsolationForest, genad.KNN, genad.OCSVM], ids=lambda c: c.__name__)
def test_detectors_fitted_on_sparse_input_save_and_load(cls, tmp_path):
    X = sp.random(80, 5, density=0.3, format="csr", random_state=0)
    det = cls(random_state=0).fit(X)
    det.save(tmp_path / "m.genad")
    loaded = genad.load(tmp_path / "m.genad")
    np.testing.assert_array_equal(loaded.decision_function(X), det.decision_function(X))
