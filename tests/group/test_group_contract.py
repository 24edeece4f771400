"""The group detector contract, for every group detector."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

import genad
import genad.group as gg
from genad.bench.registry import entries

from group_testdata import blobs, flatten


def make(cls):
    return cls(**cls._fast_params, random_state=0) if cls is not gg.PointAggregate else gg.PointAggregate(random_state=0)


CLASSES = [gg.GroupAAE, gg.GroupVAE, gg.OCSMM, gg.MGM, gg.PointAggregate]


@pytest.fixture(scope="module", params=CLASSES, ids=lambda c: c.__name__)
def fitted(request, small_groups):
    X, g = flatten(small_groups)
    return make(request.param).fit(X, groups=g)


def test_clone_and_params(fitted):
    c = clone(fitted)
    assert c.get_params() == type(fitted)(**c.get_params()).get_params()
    assert not hasattr(c, "threshold_")


def test_fitted_attributes(fitted, small_groups):
    assert fitted.n_features_in_ == 3
    assert fitted.decision_scores_.shape == (len(small_groups),)
    assert np.isfinite(fitted.threshold_)
    # 30 groups: too few to hold out -> every group gets an out-of-fold score (5 extra fits)
    assert fitted.calibration_ == "cross-conformal:5"
    assert fitted.calibration_scores_.shape == (len(small_groups),)
    assert not np.array_equal(fitted.calibration_scores_, fitted.decision_scores_)


def test_ids_and_list_give_same_scores_in_unique_order(fitted):
    test = blobs(6, seed=5) + blobs(3, shift=4.0, seed=6)
    ids = np.array(["g7", "a1", "z0", "b2", "c3", "k5", "m9", "d4", "x8"])
    X, g = flatten(test, ids)
    perm = np.random.default_rng(0).permutation(len(X))  # points in any order
    s_ids = fitted.decision_function(X[perm], groups=g[perm])
    order = np.argsort(ids)  # np.unique order
    s_list = fitted.decision_function([test[i] for i in order])
    np.testing.assert_allclose(s_ids, s_list, rtol=1e-5, atol=1e-6)
    assert s_ids.shape == (9,)


def test_fit_with_list_equals_fit_with_ids(small_groups):
    X, g = flatten(small_groups)
    a = gg.OCSMM().fit(X, groups=g)
    b = gg.OCSMM().fit(small_groups)
    np.testing.assert_allclose(a.decision_scores_, b.decision_scores_)


def test_predict_threshold_pvalues(fitted):
    test = blobs(5, seed=11)
    s = fitted.decision_function(test)
    np.testing.assert_array_equal(fitted.predict(test), (s > fitted.threshold_).astype(int))
    p = fitted.p_values(test)
    assert ((p > 0) & (p <= 1)).all()
    cal = np.sort(fitted.calibration_scores_)
    np.testing.assert_allclose(p, (1 + (cal[None, :] >= s[:, None]).sum(1)) / (len(cal) + 1))
    fitted.set_threshold(value=1.5)
    assert fitted.threshold_ == 1.5
    fitted.set_threshold(contamination=0.1)
    assert np.mean(fitted.decision_scores_ > fitted.threshold_) <= 0.1 + 1e-9
    fitted.set_threshold(std=2.0)
    fitted.set_threshold(mad=3.0)
    fitted.set_threshold(fpr=0.1)
    assert np.mean(fitted.calibration_scores_ > fitted.threshold_) <= 0.1
    with pytest.raises(ValueError, match="exactly one of"):
        fitted.set_threshold(fpr=0.1, std=2.0)


def test_save_load_identical(fitted, tmp_path):
    test = blobs(5, seed=12) + blobs(2, shift=3.0, seed=13)
    path = tmp_path / "m.genad"
    fitted.save(path)
    loaded = genad.load(path)
    assert type(loaded) is type(fitted)
    np.testing.assert_array_equal(loaded.decision_function(test), fitted.decision_function(test))
    assert loaded.threshold_ == fitted.threshold_
    np.testing.assert_array_equal(loaded.calibration_scores_, fitted.calibration_scores_)


def test_calibration_groups_held_out(monkeypatch):
    Xs = blobs(120, size=10, seed=3)
    det = gg.OCSMM(random_state=0).fit(Xs)  # 12 would be held out: too few, cross-conformal
    assert det.calibration_ == "cross-conformal:5" and len(det.calibration_scores_) == 120
    # 1% of 121 -> no calibration score may be above the threshold: the maximum
    assert det.threshold_ == pytest.approx(np.max(det.calibration_scores_))
    monkeypatch.setattr(gg.OCSMM, "min_holdout", 10)
    det = gg.OCSMM(random_state=0).fit(Xs)
    assert det.calibration_ == "holdout:12"
    assert len(det.calibration_scores_) == 12 and len(det.decision_scores_) == 120
    assert det.threshold_ == pytest.approx(np.sort(det.calibration_scores_)[-1])


@pytest.mark.parametrize(
    "X, groups, message",
    [
        (np.zeros((5, 2)), None, "groups is required"),
        (np.zeros((5, 2)), [0, 0, 1, 1, 2], r"1 group\(s\) have fewer than 2 points \(first: np.int64\(2\)\)"),
        (np.zeros((5, 2)), [0, 0, 1, 1], "groups has 4 ids but X has 5 rows"),
        (np.zeros((4, 2)), [0, 0, np.nan, np.nan], "NaN or infinite ids"),
        (np.array([[0.0, 1], [np.nan, 1], [1, 1], [2, 2]]), [0, 0, 1, 1], "X contains NaN in feature 0, first at row 1"),
        ([np.zeros((3, 2)), np.zeros((1, 2))], None, "group 1 of X has 1 point; each group needs at least 2 points"),
        ([np.zeros((3, 2)), np.zeros((3, 3))], None, "group 1 of X has 3 features but group 0 has 2"),
        ([np.zeros((3, 2)), np.full((3, 2), np.nan)], None, "group 1 of X contains NaN"),
        ([], None, "empty list"),
    ],
)
def test_bad_fit_input(X, groups, message):
    with pytest.raises(ValueError, match=message):
        gg.OCSMM().fit(X, groups=groups)


def test_bad_score_input(small_groups):
    det = gg.OCSMM().fit(small_groups)
    with pytest.raises(ValueError, match="X has 2 features, but the model was fitted on 3 features"):
        det.decision_function(np.zeros((4, 2)), groups=[0, 0, 1, 1])
    with pytest.raises(ValueError, match="X has 2 features, but the model was fitted on 3 features"):
        det.decision_function([np.zeros((4, 2))])
    with pytest.raises(ValueError, match="groups has 3 ids but X has 4 rows"):
        det.decision_function(np.zeros((4, 3)), groups=[0, 0, 1])
    with pytest.raises(ValueError, match="groups is required"):
        det.decision_function(np.zeros((4, 3)))
    with pytest.raises(genad.validation.NotFittedError):
        gg.OCSMM().decision_function(small_groups)


def test_bad_hyper_parameters(small_groups):
    with pytest.raises(ValueError, match="score_type must be one of"):
        gg.GroupAAE(score_type="nope", epochs=1).fit(small_groups)
    with pytest.raises(ValueError, match="agg must be one of"):
        gg.PointAggregate(agg="sum").fit(small_groups)
    with pytest.raises(ValueError, match="nu must be in"):
        gg.OCSMM(nu=0).fit(small_groups)
    with pytest.raises(ValueError, match="genad point detector"):
        gg.PointAggregate(detector="iforest").fit(small_groups)


def test_dataframe_feature_names_kept(small_groups):
    pd = pytest.importorskip("pandas")
    X, g = flatten(small_groups)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    det = gg.MGM(random_state=0).fit(df, groups=g)
    assert list(det.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_allclose(det.decision_function(df[["c", "a", "b"]], groups=g), det.decision_scores_)


def test_registered_in_group_suites():
    for suite in ("sdss-groups", "synthetic-groups"):
        es = {e.name: e for e in entries(suite)}
        for name in ("GroupAAE", "GroupVAE", "OCSMM", "MGM", "PointAggregate(IsolationForest,mean)"):
            assert es[name].kind == "group"


def test_images_to_groups():
    imgs = np.arange(2 * 3 * 4 * 4, dtype=np.uint8).reshape(2, 3, 4, 4)
    X, g = gg.images_to_groups(imgs)
    assert X.shape == (32, 5) and g.tolist() == [0] * 16 + [1] * 16
    np.testing.assert_allclose(X[1], [imgs[0, 0, 0, 1] / 255, imgs[0, 1, 0, 1] / 255, imgs[0, 2, 0, 1] / 255, 1 / 3, 0])
    X2, g2 = gg.images_to_groups(imgs.transpose(0, 2, 3, 1), stride=2)
    assert X2.shape == (8, 5)
    np.testing.assert_allclose(X2[:, :3], X[np.r_[0, 2, 8, 10, 16, 18, 24, 26], :3])


def test_three_d_array_calibrate_and_fit_predict(small_groups):
    rng = np.random.default_rng(0)
    cube = rng.normal(size=(12, 15, 3))
    det = gg.OCSMM().fit(cube)
    np.testing.assert_allclose(det.decision_function(cube), det.decision_function(list(cube)))
    test = blobs(6, seed=21) + blobs(4, shift=3.0, seed=22)
    y = np.r_[np.zeros(6), np.ones(4)]
    det.calibrate(test, y)
    assert det.threshold_rule_ == "labels:f1"
    assert det.predict(test).tolist() == y.astype(int).tolist()
    with pytest.raises(ValueError, match="y has 3 labels but there are 10 groups"):
        det.calibrate(test, [0, 1, 0])
    X, g = flatten(small_groups)
    assert gg.MGM(random_state=0).fit_predict(X, groups=g).shape == (30,)
    assert gg.GroupAAE(epochs=1, hidden=[8]).fit(small_groups).n_parameters() > 0


@pytest.mark.parametrize("cls", [pytest.param(c, marks=pytest.mark.slow) if c in (gg.GroupAAE, gg.GroupVAE) else c
                                 for c in CLASSES], ids=lambda c: c.__name__)
def test_labels_leave_known_anomalous_groups_out(cls, small_groups):
    """y has one label per group (1 known anomalous group, 0 known normal, -1 unlabelled)."""
    odd = blobs(4, shift=4.0, seed=21)
    Xs = list(small_groups) + odd
    y = np.r_[np.full(len(small_groups), -1), np.ones(4)].astype(int)
    y[:10] = 0
    det = make(cls).fit(Xs, y)
    ref = make(cls).fit(list(small_groups))
    test = blobs(5, seed=12) + blobs(2, shift=3.0, seed=13)
    np.testing.assert_allclose(det.decision_function(test), ref.decision_function(test), rtol=1e-5, atol=1e-8)
    assert det.decision_scores_.shape == (len(Xs),)
    assert det.threshold_rule_ == "labels:f1"
    X, g = flatten(Xs)
    with pytest.raises(ValueError, match="y has 3 labels but there are 34 groups; pass one label per group"):
        make(cls).fit(X, [1, 0, -1], groups=g)
    with pytest.raises(ValueError, match="only 1 .known anomaly."):
        make(cls).fit(X, np.full(34, 3), groups=g)
