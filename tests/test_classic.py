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
