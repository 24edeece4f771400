"""The deep group detectors' "mixture" score: groups summarised per component of a Gaussian
mixture fitted to the training codes, compared by the symmetric KL divergence of the joint
(component, code) distributions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import genad
import genad.group as gg
from genad.datasets import make_gaussian_mixture_groups
from genad.group.deep import _mixture_divergence, _mixture_summary, _responsibilities

MEANS = np.array([[-1.7, -1.0], [1.7, -1.0], [0.0, 2.0]])


def proportion_groups(n_normal, n_anomalous, seed=0, size=100):
    """Groups drawn from the three synthetic components (covariance 0.2 I): equal weights for
    normal groups, (0.6, 0.2, 0.2) with the heavy component taking turns for anomalous ones.
    Every point is normal; only the proportions are not."""
    rng = np.random.default_rng(seed)
    out = []
    for g in range(n_normal + n_anomalous):
        w = np.full(3, 1 / 3) if g < n_normal else np.roll([0.6, 0.2, 0.2], g % 3)
        comp = rng.choice(3, size=size, p=w)
        out.append(MEANS[comp] + rng.normal(0, np.sqrt(0.2), (size, 2)))
    return out, np.r_[np.zeros(n_normal, int), np.ones(n_anomalous, int)]


def _kl(m1, C1, m2, C2):
    P = np.linalg.inv(C2)
    dm = m1 - m2
    return 0.5 * (np.trace(P @ C1) + dm @ P @ dm - len(m1) + np.linalg.slogdet(C2)[1] - np.linalg.slogdet(C1)[1])


def test_mixture_divergence_is_symmetric_kl_of_the_joint():
    rng = np.random.default_rng(0)
    K, d = 3, 3

    def summary(n):
        p = rng.dirichlet(np.ones(K), n)
        A = rng.normal(size=(n, K, d, d))
        return p, rng.normal(size=(n, K, d)), A @ A.swapaxes(-1, -2) + 0.3 * np.eye(d)

    a, b = summary(4), summary(5)
    D = _mixture_divergence(*a, *b)
    for i in range(4):
        for j in range(5):
            p, q = a[0][i], b[0][j]
            ref = sum(p[k] * (np.log(p[k] / q[k]) + _kl(a[1][i, k], a[2][i, k], b[1][j, k], b[2][j, k]))
                      + q[k] * (np.log(q[k] / p[k]) + _kl(b[1][j, k], b[2][j, k], a[1][i, k], a[2][i, k]))
                      for k in range(K))
            np.testing.assert_allclose(D[i, j], ref, rtol=1e-9)
    np.testing.assert_allclose(np.diag(_mixture_divergence(*a, *a)), 0.0, atol=1e-9)
    np.testing.assert_allclose(_mixture_divergence(*b, *a), D.T, rtol=1e-9)


def test_mixture_summary_shrinks_toward_the_mixture():
    rng = np.random.default_rng(1)
    w, m = np.array([0.5, 0.5]), np.array([[-3.0, 0.0], [3.0, 0.0]])
    C = np.stack([0.5 * np.eye(2), 0.5 * np.eye(2)])
    Z = np.vstack([rng.normal(0, 0.7, (40, 2)) + m[0], rng.normal(0, 0.7, (40, 2)) + m[0]])  # all in component 0
    offsets = np.array([0, 40, 80])
    R = _responsibilities(Z, w, m, C)
    assert R[:, 0].min() > 0.999
    p, mu, cov = _mixture_summary(Z, offsets, w, m, C)
    np.testing.assert_allclose(p[:, 0], (40 + 5 * 0.5) / 45, rtol=1e-6)
    np.testing.assert_allclose(mu[:, 1], m[[1, 1]], atol=1e-3)  # unused component: the mixture's own
    np.testing.assert_allclose(cov[:, 1], C[[1, 1]], atol=1e-3)
    G = Z[:40]
    mu0 = (G.sum(0) + 5 * m[0]) / 45
    np.testing.assert_allclose(mu[0, 0], mu0, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(cov[0, 0], ((G - mu0).T @ (G - mu0) + 5 * C[0]) / 45, rtol=1e-3, atol=1e-4)


@pytest.fixture(scope="module")
def rotated():
    Xtr, gtr, _ = make_gaussian_mixture_groups(40, 0, "distribution", random_state=0)
    Xte, gte, y = make_gaussian_mixture_groups(30, 10, "distribution", random_state=1)
    det = gg.GroupAAE(epochs=10, random_state=0).fit(Xtr, groups=gtr)
    return det, Xte, gte, y


def test_mixture_score_detects_rotated_components_where_gaussian_does_not(rotated):
    """Synthetic distribution-based groups: the components are rotated 45 degrees; the whole
    group's Gaussian barely changes, each component's covariance does."""
    det, Xte, gte, y = rotated
    assert 2 <= len(det.mix_weights_) <= 8
    auc_mix = roc_auc_score(y, det.score_groups(Xte, gte, score="mixture"))
    auc_gauss = roc_auc_score(y, det.score_groups(Xte, gte, score="gaussian"))
    assert auc_mix >= 0.95
    assert auc_mix >= auc_gauss + 0.2


def test_mixture_score_detects_proportion_only_anomalies():
    train, _ = proportion_groups(40, 0, seed=0)
    test, y = proportion_groups(30, 9, seed=1)
    det = gg.GroupVAE(epochs=10, random_state=0).fit(train)
    assert roc_auc_score(y, det.score_groups(test, score="mixture")) >= 0.95


@pytest.mark.parametrize("cls", [gg.GroupAAE, gg.GroupVAE])
def test_mixture_save_load_identical(cls, tmp_path):
    train, _ = proportion_groups(15, 0, seed=2, size=40)
    test, _ = proportion_groups(5, 3, seed=3, size=40)
    det = cls(score_type="mixture", epochs=2, hidden=[16, 8], random_state=0).fit(train)
    det.save(tmp_path / "m.genad")
    loaded = genad.load(tmp_path / "m.genad")
    for name in ("mix_weights_", "mix_means_", "mix_covs_", "ref_mix_props_", "ref_mix_means_", "ref_mix_covs_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(det, name))
    np.testing.assert_array_equal(loaded.decision_function(test), det.decision_function(test))
    np.testing.assert_array_equal(loaded.score_groups(test, score="mixture"), det.score_groups(test, score="mixture"))


def test_mixture_in_combine_and_bad_names():
    train, _ = proportion_groups(12, 0, seed=4, size=30)
    det = gg.GroupAAE(combine=("mixture", "pooled"), epochs=1, hidden=[8], random_state=0).fit(train)
    med, mad = det.score_stats_["mixture"]
    parts = [(det.score_groups(train, score=s) - det.score_stats_[s][0]) / det.score_stats_[s][1]
             for s in ("mixture", "pooled")]
    assert mad > 0 and np.isfinite(med)
    np.testing.assert_allclose(det.score_groups(train, score="combined"), np.mean(parts, axis=0), rtol=1e-10)
    with pytest.raises(ValueError, match=r"combine must name one or more of \(.*'mixture'"):
        gg.GroupAAE(combine=("mixture", "nope"), epochs=1).fit(train)
    with pytest.raises(ValueError, match="score_type must be one of"):
        gg.GroupVAE(score_type="mixtures", epochs=1).fit(train)
