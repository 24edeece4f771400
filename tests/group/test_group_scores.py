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
    assert det.score == "combined"
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
