"""KNN's reference sample and KDE's kernel centres: bounded sizes, scores close to exact, saving."""

import json
import zipfile

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity, NearestNeighbors

import genad
from genad.detectors import classic


def _with_outliers(seed=0, n=1500, d=4):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(size=(n // 2, d)), rng.normal(loc=4.0, size=(n - n // 2, d))])
    X_test = np.vstack([rng.normal(size=(200, d)), rng.uniform(-8, 12, size=(40, d))])
    y_test = np.r_[np.zeros(200), np.ones(40)]
    return X, X_test, y_test


# ----------------------------------------------------------------------------------------- KNN
def test_knn_reference_sample_is_bounded_and_training_scores_cover_every_row():
    X = np.random.default_rng(0).normal(size=(800, 3))
    det = genad.KNN(n_neighbors=1, max_samples=100, random_state=0).fit(X)
    assert det.model_.n_samples_fit_ == 100
    assert det.decision_scores_.shape == (800,)
    # reference rows are scored without their own zero distance, the others against the sample
    assert (det.decision_scores_ > 0).all()
    assert not hasattr(det, "_reference_rows")


def test_knn_without_cap_is_exact_knn():
    X = np.random.default_rng(1).normal(size=(90, 5))  # too few rows to hold out calibration rows
    Q = np.random.default_rng(2).normal(size=(50, 5))
    det = genad.KNN(max_samples=None, preprocessing=None, random_state=0).fit(X)
    assert det.model_.n_samples_fit_ == 90
    np.testing.assert_allclose(det.decision_function(Q), NearestNeighbors(n_neighbors=5).fit(X).kneighbors(Q)[0][:, -1],
                               rtol=1e-12)
    # a cap above the row count changes nothing
    capped = genad.KNN(max_samples=10_000, preprocessing=None, random_state=0).fit(X)
    np.testing.assert_array_equal(capped.decision_function(Q), det.decision_function(Q))
    np.testing.assert_array_equal(capped.decision_scores_, det.decision_scores_)


def test_knn_sample_scores_close_to_exact():
    X, X_test, y_test = _with_outliers()
    exact = genad.KNN(max_samples=None, random_state=0).fit(X)
    sampled = genad.KNN(max_samples=300, random_state=0).fit(X)
    s_exact, s_sampled = exact.decision_function(X_test), sampled.decision_function(X_test)
    # 300 of 1,500 reference rows: rank correlation 0.89-0.92 over sample seeds 0-5
    assert spearmanr(s_exact, s_sampled).statistic > 0.85
    assert roc_auc_score(y_test, s_sampled) > roc_auc_score(y_test, s_exact) - 0.02
    for algorithm in ("brute", "kd_tree", "ball_tree"):
        other = genad.KNN(max_samples=300, algorithm=algorithm, random_state=0).fit(X)
        np.testing.assert_allclose(other.decision_function(X_test), s_sampled, rtol=1e-9)


@pytest.mark.parametrize("params, match", [
    ({"max_samples": 1}, "max_samples must be an integer >= 2"),
    ({"max_samples": 0.5}, "max_samples must be an integer"),
    ({"max_samples": "all"}, "max_samples must be an integer"),
    ({"max_samples": True}, "max_samples must be an integer"),
    ({"n_neighbors": 0}, "n_neighbors must be an integer >= 1"),
    ({"n_neighbors": 2.5}, "n_neighbors must be an integer >= 1"),
    ({"algorithm": "annoy"}, "algorithm must be"),
])
def test_knn_rejects_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        genad.KNN(**params).fit(np.random.default_rng(0).normal(size=(50, 2)))


# ----------------------------------------------------------------------------------------- KDE
def test_log_density_is_exact_and_block_size_does_not_matter(monkeypatch):
    rng = np.random.default_rng(0)
    C, Q, h = rng.normal(size=(200, 6)), 3 * rng.normal(size=(70, 6)), 0.7
    d2 = ((Q[:, None, :] - C[None]) ** 2).sum(-1)
    expected = logsumexp(-d2 / (2 * h * h), axis=1) - np.log(200) - 3 * np.log(2 * np.pi * h * h)
    np.testing.assert_allclose(classic._gaussian_log_density(Q, C, h), expected, rtol=1e-10)
    monkeypatch.setattr(classic, "_KDE_BLOCK", 450)  # two centre-rows per block: 35 blocks
    np.testing.assert_allclose(classic._gaussian_log_density(Q, C, h), expected, rtol=1e-10)
    # agrees with scikit-learn's tree evaluation in low dimension
    kd = KernelDensity(bandwidth=h).fit(C[:, :2])
    np.testing.assert_allclose(classic._gaussian_log_density(Q[:, :2], C[:, :2], h), kd.score_samples(Q[:, :2]),
                               rtol=1e-6)


def test_kde_far_points_keep_finite_ordered_scores():
    det = genad.KDE(bandwidth=0.1, preprocessing=None).fit(np.random.default_rng(0).normal(size=(300, 3)))
    s = det.decision_function([[50.0, 0, 0], [100.0, 0, 0]])
    assert np.isfinite(s).all() and s[1] > s[0]


def test_kde_bandwidth_search_matches_grid_search():
    X = np.random.default_rng(3).normal(size=(600, 3)) * [0.5, 1.0, 2.0]
    det = genad.KDE(preprocessing=None, max_samples=None, random_state=0).fit(X)
    C = det.centres_
    scott = len(C) ** (-1.0 / (3 + 4)) * float(np.mean(C.std(axis=0)))
    gs = GridSearchCV(KernelDensity(), {"bandwidth": scott * np.logspace(-1, 1, 13)}, cv=5).fit(C)
    assert det.bandwidth_ == pytest.approx(gs.best_params_["bandwidth"], rel=1e-12)


def test_kde_centres_are_bounded_and_scores_close_to_all_rows():
    X, X_test, y_test = _with_outliers(seed=1)
    full = genad.KDE(max_samples=None, random_state=0).fit(X)
    capped = genad.KDE(max_samples=400, random_state=0).fit(X)
    # cross-conformal calibration below 5,000 rows: the final model is fitted on every row
    assert full.centres_.shape == (1500, 4) and capped.centres_.shape == (400, 4)
    assert capped.decision_scores_.shape == (1500,)
    s_full, s_capped = full.decision_function(X_test), capped.decision_function(X_test)
    assert spearmanr(s_full, s_capped).statistic > 0.9
    assert roc_auc_score(y_test, s_capped) > roc_auc_score(y_test, s_full) - 0.02


@pytest.mark.parametrize("params, match", [
    ({"max_samples": 0}, "max_samples must be an integer >= 1"),
    ({"max_samples": 2.0}, "max_samples must be an integer"),
    ({"bandwidth": 0.0}, "bandwidth must be positive"),
    ({"bandwidth": float("nan")}, "bandwidth must be positive"),
    ({"bandwidth": float("inf")}, "bandwidth must be positive"),
    ({"bandwidth": "scott"}, "bandwidth must be positive"),
])
def test_kde_rejects_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        genad.KDE(**params).fit(np.random.default_rng(0).normal(size=(50, 2)))


# ------------------------------------------------------------------------------------ saving
@pytest.mark.parametrize("make", [
    lambda: genad.KNN(max_samples=150, random_state=0),
    lambda: genad.KNN(max_samples=150, algorithm="brute", method="mean", random_state=0),
    lambda: genad.KDE(max_samples=150, random_state=0),
])
def test_capped_detectors_save_and_load_without_pickle(tmp_path, make):
    X, X_test, _ = _with_outliers(n=600)
    det = make().fit(X)
    path = tmp_path / "m.genad"
    det.save(path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        config = json.loads(zf.read("config.json"))
    assert all(n.endswith((".json", ".safetensors", ".skops")) for n in names)
    assert config["params"]["max_samples"] == 150
    back = genad.load(path)
    assert back.get_params() == det.get_params()
    np.testing.assert_array_equal(back.decision_function(X_test), det.decision_function(X_test))
    np.testing.assert_array_equal(back.predict(X_test), det.predict(X_test))
