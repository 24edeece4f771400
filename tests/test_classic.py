"""Behaviour specific to the classic detectors."""

import numpy as np
import pytest

import genad


def test_pca_constant_features_are_safe():
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=(200, 3)), np.full(200, 5.0), np.zeros(200)]
    det = genad.PCA().fit(X)
    s = det.decision_function(np.c_[rng.normal(size=(5, 3)), np.full(5, 5.0), np.zeros(5)])
    assert np.isfinite(s).all()
    # moving a constant feature is anomalous
    far = det.decision_function(np.c_[np.zeros((1, 3)), [[9.0]], [[0.0]]])
    assert far[0] > s.max()
    all_const = genad.PCA().fit(np.ones((50, 4)))
    assert np.isfinite(all_const.decision_function(np.ones((3, 4)))).all()


def test_pca_reconstruction_error_matches_definition():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 4))
    det = genad.PCA(n_components=2, preprocessing=None).fit(X)
    x = X[:7]
    V = det.components_
    r = (x - det.mean_) - (x - det.mean_) @ V.T @ V
    np.testing.assert_allclose(det.decision_function(x), (r**2).sum(1), rtol=1e-10)
    with pytest.raises(ValueError, match="n_components"):
        genad.PCA(n_components=-1).fit(X)


def test_kde_bandwidth_cross_validated():
    rng = np.random.default_rng(0)
    narrow = genad.KDE(preprocessing=None).fit(rng.normal(scale=0.1, size=(300, 2)))
    wide = genad.KDE(preprocessing=None).fit(rng.normal(scale=10.0, size=(300, 2)))
    assert narrow.bandwidth_ < wide.bandwidth_ / 20
    with pytest.raises(ValueError, match="bandwidth must be positive"):
        genad.KDE(bandwidth=-1.0).fit(rng.normal(size=(30, 2)))


def test_gmm_bic_picks_component_count():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(loc=c, scale=0.3, size=(150, 2)) for c in ([0, 0], [6, 0], [0, 6])])
    det = genad.GMM(random_state=0, preprocessing=None).fit(X)
    assert det.n_components_ == 3
    assert det.bic_["3"] < det.bic_["1"]


def test_knn_training_scores_exclude_self_match():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    det = genad.KNN(n_neighbors=1).fit(X)
    # a training row's own distance (0) must not count as its nearest neighbour
    assert (det.decision_scores_ > 0).all()
    with pytest.raises(ValueError, match="method"):
        genad.KNN(method="median").fit(X)


def test_ocsvm_subsamples_large_training_sets():
    rng = np.random.default_rng(0)
    det = genad.OCSVM(max_samples=200).fit(rng.normal(size=(2000, 3)))
    assert det.model_.support_vectors_.shape[0] <= 200


def test_n_parameters_reported():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    assert genad.PCA(n_components=2).fit(X).n_parameters() >= 2 * 3
    assert genad.IsolationForest(n_estimators=10, random_state=0).fit(X).n_parameters() > 10


@pytest.mark.parametrize("params", [{}, {"max_features": 0.6}, {"max_features": 3}, {"max_samples": 0.5},
                                    {"max_samples": 2}, {"preprocessing": "standard", "n_estimators": 7}],
                         ids=["default", "feature-share", "three-features", "half-rows", "two-rows", "scaled"])
def test_isolation_forest_small_batches_score_as_scikit_learn(params, tmp_path):
    # few rows go through the packed trees (genad.detectors.classic._PackedForest), many through
    # scikit-learn's per-tree loop: the same scores either way, also for a loaded model
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6))
    X[:, 0] = np.round(X[:, 0])  # inputs on split values: float32 comparisons as scikit-learn makes them
    det = genad.IsolationForest(random_state=0, **params).fit(X)
    assert det._packed is not False, "scikit-learn no longer keeps the path lengths the packed trees read"
    Xt = np.vstack([3 * rng.normal(size=(40, 6)), X[:20], np.round(X[20:40])])
    reference = -det.model_.score_samples(det._transform(Xt))
    many = det.decision_function(np.tile(Xt, (20, 1)))[: len(Xt)]  # 1,600 rows: scikit-learn's path
    np.testing.assert_allclose(many, reference, rtol=1e-12)
    np.testing.assert_allclose(det.decision_function(Xt), many, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose([det.decision_function(x[None])[0] for x in Xt[:5]], many[:5], rtol=1e-12)
    det.save(tmp_path / "m.genad")
    loaded = genad.load(tmp_path / "m.genad")
    np.testing.assert_allclose(loaded.decision_function(Xt), many, rtol=1e-12)


def test_isolation_forest_of_one_row_scores_as_scikit_learn():
    det = genad.IsolationForest(random_state=0, max_samples=1).fit(np.random.default_rng(0).normal(size=(30, 3)))
    np.testing.assert_allclose(det.decision_function(np.zeros((3, 3))), 0.5)
    np.testing.assert_allclose(det.decision_function(np.zeros((3, 3))), -det.model_.score_samples(np.zeros((3, 3))))
