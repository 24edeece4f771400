"""The detector contract, run on every detector genad exports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

import genad
from genad_testing import exported_detectors, make_fast, training_data

DETECTORS = exported_detectors()
IDS = [c.__name__ for c in DETECTORS]


def test_every_family_is_exported():
    names = set(IDS)
    assert {"PCA", "OCSVM", "IsolationForest", "KDE", "GMM", "KNN"} <= names


@pytest.fixture(scope="module", params=DETECTORS, ids=IDS)
def fitted(request, blobs):
    X, X_test, y_test = blobs
    det = make_fast(request.param)
    return det.fit(*training_data(request.param, X))


@pytest.mark.parametrize("cls", DETECTORS, ids=IDS)
def test_clone_and_params(cls):
    det = make_fast(cls)
    params = det.get_params(deep=False)
    twin = clone(det)
    assert type(twin) is cls
    assert twin.get_params(deep=False).keys() == params.keys()
    twin.set_params(**{k: v for k, v in params.items()})
    assert not hasattr(twin, "threshold_")


def test_fit_shapes_and_direction(fitted, blobs):
    X, X_test, y_test = blobs
    assert fitted.n_features_in_ == 5
    assert fitted.decision_scores_.shape == (len(training_data(type(fitted), X)[0]),)
    s = fitted.decision_function(X_test)
    assert s.shape == (len(X_test),) and s.dtype == np.float64 and np.isfinite(s).all()
    assert s[y_test == 1].mean() > s[y_test == 0].mean()
    assert roc_auc_score(y_test, s) > 0.9
    pred = fitted.predict(X_test)
    assert set(np.unique(pred)) <= {0, 1}
    # at a 1% false-positive rate the far-away rows are flagged more often than the normal ones
    assert pred[y_test == 1].mean() > max(pred[y_test == 0].mean(), 0.25)


def test_default_threshold_on_clean_data(fitted):
    rng = np.random.default_rng(123)
    fresh = rng.normal(size=(1000, 5))
    # 1% target, calibrated on 300 out-of-fold scores (cross-conformal): at most 1% expected
    assert fitted.calibration_ == "cross-conformal:5" and len(fitted.calibration_scores_) == 300
    assert fitted.predict(fresh).mean() <= 0.035
    p = fitted.p_values(fresh)
    assert ((p > 0) & (p <= 1)).all()


def test_p_values_small_for_anomalies(fitted, blobs):
    _, X_test, y_test = blobs
    p = fitted.p_values(X_test)
    assert np.median(p[y_test == 1]) < 0.1 < np.median(p[y_test == 0])


def test_set_threshold_rules(fitted, blobs):
    det = fitted
    old = det.threshold_
    det.set_threshold(contamination=0.1)
    assert 0.05 <= (det.decision_scores_ > det.threshold_).mean() <= 0.15
    for rule in ({"std": 2.0}, {"mad": 3.0}, {"value": 1.5}, {"fpr": 0.2}):
        det.set_threshold(**rule)
        assert np.isfinite(det.threshold_)
    with pytest.raises(ValueError, match="exactly one"):
        det.set_threshold(fpr=0.1, std=2.0)
    det.set_threshold(value=old)


def test_contamination_parameter(blobs):
    for cls in DETECTORS:
        if "contamination" not in cls().get_params():
            continue
        det = make_fast(cls, contamination=0.1).fit(*training_data(cls, blobs[0]))
        assert 0.05 <= (det.decision_scores_ > det.threshold_).mean() <= 0.15, cls.__name__


def test_save_load_identical(fitted, blobs, tmp_path):
    _, X_test, _ = blobs
    path = tmp_path / "m.genad"
    fitted.save(path)
    loaded = genad.load(path)
    assert type(loaded) is type(fitted)
    np.testing.assert_array_equal(loaded.decision_function(X_test), fitted.decision_function(X_test))
    assert loaded.threshold_ == fitted.threshold_
    np.testing.assert_array_equal(loaded.p_values(X_test), fitted.p_values(X_test))
    assert loaded.get_params(deep=False).keys() == fitted.get_params(deep=False).keys()


@pytest.mark.parametrize("cls", DETECTORS, ids=IDS)
def test_dataframe_columns(cls, blobs):
    X, X_test, _ = blobs
    cols = ["a", "b", "c", "d", "e"]
    det = make_fast(cls).fit(*training_data(cls, pd.DataFrame(X, columns=cols)))
    assert list(det.feature_names_in_) == cols
    df = pd.DataFrame(X_test, columns=cols)
    s = det.decision_function(df)
    np.testing.assert_allclose(det.decision_function(df[cols[::-1]]), s, rtol=1e-6)
    with pytest.raises(ValueError, match=r'missing column\(s\) \[.e.\]'):
        det.decision_function(df.drop(columns=["e"]))
    with pytest.raises(ValueError, match=r"unexpected column\(s\) \[.z.\]"):
        det.decision_function(df.assign(z=1.0))
    with pytest.raises(ValueError, match="non-numeric"):
        det.decision_function(df.assign(e="x"))


@pytest.mark.parametrize("cls", DETECTORS, ids=IDS)
def test_bad_inputs(cls, blobs):
    X, X_test, _ = blobs
    det = make_fast(cls)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN in feature 2, first at row 3.*Impute or drop"):
        det.fit(bad)
    bad[3, 2] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        det.fit(bad)
    with pytest.raises(ValueError, match="0 rows"):
        det.fit(np.empty((0, 5)))
    with pytest.raises(ValueError, match="1 row.*at least 2"):
        det.fit(X[:1])
    with pytest.raises(ValueError, match="1-D.*reshape"):
        det.fit(X[:, 0])
    with pytest.raises(ValueError, match="non-numeric"):
        det.fit(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="not fitted|fit"):
        det.decision_function(X_test)
    det.fit(*training_data(cls, X))
    with pytest.raises(ValueError, match=f"4 features, but {cls.__name__} is expecting 5 features"):
        det.decision_function(X_test[:, :4])
    with pytest.raises(ValueError, match="NaN"):
        det.decision_function(np.full((2, 5), np.nan))
    with pytest.raises(ValueError, match="0 rows"):
        det.decision_function(np.empty((0, 5)))


def test_torch_tensor_input(blobs):
    import torch

    X, X_test, _ = blobs
    det = genad.PCA().fit(torch.tensor(X))
    np.testing.assert_allclose(det.decision_function(torch.tensor(X_test)), det.decision_function(X_test))


@pytest.mark.parametrize("cls", DETECTORS, ids=IDS)
def test_labels_leave_known_anomalies_out(cls, blobs):
    """fit(X, y) with y = 1 for known anomalies learns what fit(X[y != 1]) learns, still scores
    every row, and with labelled normals too sets the threshold on the labelled rows."""
    X, X_test, y_test = blobs
    rng = np.random.default_rng(5)
    X_mix = np.vstack([X, rng.normal(size=(15, 5)) * 0.5 + 7.0])
    y = np.r_[np.full(len(X), -1), np.ones(15)].astype(int)
    y[:40] = 0
    if getattr(cls, "_learns_from_labels", False):
        with pytest.raises(ValueError, match="needs some labelled anomalies"):
            make_fast(cls).fit(X_mix)
        det = make_fast(cls).fit(X_mix, y)
        assert roc_auc_score(y_test, det.decision_function(X_test)) > 0.9
    else:
        det = make_fast(cls).fit(X_mix, y)
        ref = make_fast(cls).fit(X)
        np.testing.assert_allclose(det.decision_function(X_test), ref.decision_function(X_test), rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(det.calibration_scores_, ref.calibration_scores_, rtol=1e-5, atol=1e-8)
    assert det.decision_scores_.shape == (len(X_mix),)
    assert det.decision_scores_[-15:].min() > np.median(det.decision_scores_[:len(X)])
    assert det.threshold_rule_ == "labels:f1"
    assert (det.decision_scores_[-15:] > det.threshold_).mean() >= 0.8
    # only unlabelled rows and known anomalies: the default threshold rule
    if not getattr(cls, "_learns_from_labels", False):
        y_u = np.where(y == 0, -1, y)
        assert make_fast(cls).fit(X_mix, y_u).threshold_rule_ == f"fpr={cls.default_fpr}"


@pytest.mark.parametrize("cls", DETECTORS, ids=IDS)
def test_bad_labels(cls, blobs):
    X = blobs[0]
    det = make_fast(cls)
    with pytest.raises(ValueError, match="y has 10 labels but there are 300 rows"):
        det.fit(X, np.ones(10))
    with pytest.raises(ValueError, match=r"got 2 \(first at position 0\)"):
        det.fit(X, np.full(300, 2))
    with pytest.raises(ValueError, match="nothing is left to learn as normal"):
        det.fit(X, np.ones(300))
    assert not hasattr(det, "threshold_")
