"""The deep group detectors' scores: point models reused from genad, second-moment and pooled
scores, the combined score, and saving with the nested point model."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import genad
import genad.group as gg


def clustered(n_normal, n_anomalous, kind, seed=0, size=25):
    """Normal groups: tight Gaussian clusters (sd 0.4) around centres spread over (-3, 3)^2.

    kind="spread": anomalous groups are clusters with 2.5x the spread (centres as usual);
    kind="random": anomalous groups are points drawn at random from many normal clusters.
    """
    rng = np.random.default_rng(seed)

    def cluster():
        return rng.uniform(-3, 3, 2) + rng.normal(0, 0.4, (size, 2))

    normal = [cluster() for _ in range(n_normal)]
    anomalous = []
    for _ in range(n_anomalous):
        if kind == "spread":
            anomalous.append(rng.uniform(-3, 3, 2) + rng.normal(0, 1.0, (size, 2)))
        else:
            pool = np.vstack([cluster() for _ in range(size)])
            anomalous.append(pool[rng.choice(len(pool), size, replace=False)])
    return normal + anomalous, np.r_[np.zeros(n_normal, int), np.ones(n_anomalous, int)]


@pytest.fixture(scope="module")
def fitted_aae():
    train, _ = clustered(80, 0, "spread", seed=0)
    return gg.GroupAAE(epochs=15, random_state=0).fit(train)


def test_point_model_is_genads_own(fitted_aae):
    assert type(fitted_aae.model_) is genad.AdversarialAutoEncoder
    assert fitted_aae.model_.preprocessing is None and fitted_aae.model_.latent_dim == 2
    vae = gg.GroupVAE(epochs=1, hidden=[8], beta=0.5, random_state=0).fit(clustered(12, 0, "spread")[0])
    assert type(vae.model_) is genad.VAE and vae.model_.beta == 0.5
    # codes are the point model's codes of the scaled points
    X = np.vstack(clustered(3, 0, "spread", seed=9)[0])
    np.testing.assert_allclose(fitted_aae.transform([X]),
                               fitted_aae.model_.encode(fitted_aae.scaler_.transform(X)).mean(0, keepdims=True),
                               rtol=1e-5, atol=1e-6)


def test_spread_score_detects_inflated_spread(fitted_aae):
    test, y = clustered(30, 10, "spread", seed=1)
    auc_spread = roc_auc_score(y, fitted_aae.score_groups(test, score="spread"))
    auc_paper = roc_auc_score(y, fitted_aae.score_groups(test, score="paper"))
    assert auc_spread >= 0.95
    assert auc_spread >= auc_paper + 0.2  # the mean code does not see the spread


def test_pooled_score_detects_random_draws_from_all_groups(fitted_aae):
    test, y = clustered(30, 10, "random", seed=2)
    assert roc_auc_score(y, fitted_aae.score_groups(test, score="pooled")) >= 0.95
    # such a group sits in the middle of the data: its mean code is *less* far out than a real group's
    assert roc_auc_score(y, fitted_aae.score_groups(test, score="paper")) <= 0.5


def test_combined_is_mean_of_robust_z_scores(fitted_aae):
    test, _ = clustered(10, 4, "random", seed=3)
    det = fitted_aae
    parts = []
    for s in det.combine:
        med, mad = det.score_stats_[s]
        assert mad > 0
        parts.append((det.score_groups(test, score=s) - med) / mad)
    np.testing.assert_allclose(det.score_groups(test, score="combined"), np.mean(parts, axis=0), rtol=1e-10)
    assert det.score_type == "combined"
    np.testing.assert_allclose(det.decision_function(test), det.score_groups(test, score="combined"))


def test_bad_combine():
    with pytest.raises(ValueError, match="combine must name one or more of"):
        gg.GroupAAE(combine=("mmd", "nope"), epochs=1).fit(clustered(12, 0, "spread")[0])
    with pytest.raises(ValueError, match="combine must name one or more of"):
        gg.GroupAAE(combine=(), epochs=1).fit(clustered(12, 0, "spread")[0])


@pytest.mark.parametrize("cls", [gg.GroupAAE, gg.GroupVAE])
def test_nested_save_load_identical_for_every_score(cls, tmp_path):
    train, _ = clustered(15, 0, "spread", seed=4)
    test, _ = clustered(5, 3, "random", seed=5)
    det = cls(epochs=2, hidden=[16, 8], random_state=0).fit(train)
    det.save(tmp_path / "m.genad")
    loaded = genad.load(tmp_path / "m.genad")
    assert type(loaded.model_) is type(det.model_)
    assert loaded.score_stats_ == det.score_stats_
    for s in gg.SCORES:
        np.testing.assert_array_equal(loaded.score_groups(test, score=s), det.score_groups(test, score=s))


def elongated(n_normal, n_anomalous, seed=0, size=40):
    """Groups: one elongated Gaussian (sd 1.0 along its major axis, 0.2 across) at a random
    centre in (-1.5, 1.5)^2; major axis along x for normal groups, rotated by 45 degrees for anomalous ones."""
    rng = np.random.default_rng(seed)
    out = []
    for g in range(n_normal + n_anomalous):
        P = rng.normal(0, 1, (size, 2)) * [1.0, 0.2]
        if g >= n_normal:
            P = P @ (np.array([[1.0, 1.0], [-1.0, 1.0]]) / np.sqrt(2))
        out.append(rng.uniform(-1.5, 1.5, 2) + P)
    return out, np.r_[np.zeros(n_normal, int), np.ones(n_anomalous, int)]


def test_gaussian_score_detects_rotated_group_covariance():
    train, _ = elongated(80, 0, seed=0)
    det = gg.GroupAAE(epochs=15, random_state=0).fit(train)
    test, y = elongated(30, 10, seed=1)
    auc_gauss = roc_auc_score(y, det.score_groups(test, score="gaussian"))
    auc_paper = roc_auc_score(y, det.score_groups(test, score="paper"))
    assert auc_gauss >= 0.95
    assert auc_gauss >= auc_paper + 0.15  # same centres: the mean code barely sees the orientation


def test_local_score_detects_rotated_mixture_components():
    """Synthetic distribution-based groups: 3-component mixtures whose components are rotated
    45 degrees; the whole group's covariance barely changes, the local shape does."""
    from genad.datasets import make_gaussian_mixture_groups

    Xtr, gtr, _ = make_gaussian_mixture_groups(40, 0, "distribution", random_state=0)
    Xte, gte, y = make_gaussian_mixture_groups(30, 10, "distribution", random_state=1)
    det = gg.GroupAAE(epochs=10, random_state=0).fit(Xtr, groups=gtr)
    auc_local = roc_auc_score(y, det.score_groups(Xte, gte, score="local"))
    auc_paper = roc_auc_score(y, det.score_groups(Xte, gte, score="paper"))
    assert auc_local >= 0.9
    assert auc_local >= auc_paper + 0.2


def test_bures_distance_matches_closed_form():
    from genad.group.deep import _bures, _sqrtm_psd

    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 3, 3))
    C = A @ A.transpose(0, 2, 1) + 0.1 * np.eye(3)
    m = rng.normal(size=(5, 3))
    D = _bures(m, C, m, C, _sqrtm_psd(C))
    np.testing.assert_allclose(np.diag(D), 0.0, atol=1e-6)
    np.testing.assert_allclose(D, D.T, atol=1e-8)
    # commuting (diagonal) covariances: W2^2 = |m1 - m2|^2 + |sqrt(diag1) - sqrt(diag2)|^2
    d1, d2 = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 1.0, 1.0])
    C2 = np.stack([d1, d2])
    D = _bures(np.zeros((1, 3)), d1[None], np.array([[0, 0, 0], [1.0, 2.0, 0]]), C2, _sqrtm_psd(C2))
    np.testing.assert_allclose(D[0], [0.0, np.sqrt(5.0 + 1 + 1 + 4)], atol=1e-8)


def test_point_model_trained_without_trim():
    det = gg.GroupVAE(epochs=1, hidden=[8], random_state=0).fit(clustered(12, 0, "spread")[0])
    assert det.model_.trim == 0.0
    aae = gg.GroupAAE(epochs=1, hidden=[8], random_state=0).fit(clustered(12, 0, "spread")[0])
    assert aae.model_.trim == 0.0
