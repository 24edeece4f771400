"""Detection quality on small planted group anomalies, and the kernel functions."""

from __future__ import annotations

import numpy as np
import pytest
from group_testdata import blobs, mixture_groups
from sklearn.metrics import roc_auc_score

import genad
import genad.group as gg
from genad.datasets import load
from genad.group.kernels import gaussian_kernel, group_kernel, group_self_kernel, median_bandwidth, mmd2


@pytest.fixture(scope="module")
def mixture_data():
    train, _ = mixture_groups(40, 0, seed=0)
    test, y = mixture_groups(20, 10, seed=1)
    return train, test, y


@pytest.fixture(scope="module")
def point_aggregate_auc(mixture_data):
    train, test, y = mixture_data
    return roc_auc_score(y, gg.PointAggregate(genad.IsolationForest(random_state=0)).fit(train).decision_function(test))


@pytest.mark.parametrize("cls", [gg.GroupAAE, gg.GroupVAE])
def test_deep_detects_distribution_anomalies_better_than_point_aggregation(cls, mixture_data, point_aggregate_auc):
    # every point of an anomalous group is normal; only the mixture (all in one cluster) is not
    train, test, y = mixture_data
    det = cls(epochs=15, random_state=0).fit(train)
    auc = roc_auc_score(y, det.decision_function(test))
    assert auc >= 0.95
    assert point_aggregate_auc <= 0.8
    assert auc >= point_aggregate_auc + 0.15


def test_ocsmm_detects_point_anomalies():
    train = blobs(40, seed=0)
    test = blobs(20, seed=1) + blobs(6, shift=3.0, seed=2)
    y = np.r_[np.zeros(20), np.ones(6)]
    assert roc_auc_score(y, gg.OCSMM().fit(train).decision_function(test)) >= 0.95


def test_ocsmm_on_synthetic_point_groups():
    ds = load("synthetic-groups", kind="point", n_train_groups=30, n_test_normal=20, n_test_anomalous=6,
              mean_group_size=40, random_state=0)
    det = gg.OCSMM(bandwidth_scale=0.25).fit(ds.X_train, groups=ds.groups_train)
    assert roc_auc_score(ds.y_test, det.decision_function(ds.X_test, groups=ds.groups_test)) >= 0.95


def test_mgm_detects_mixture_anomalies(mixture_data):
    train, test, y = mixture_data
    assert roc_auc_score(y, gg.MGM(n_topics=2, random_state=0).fit(train).decision_function(test)) >= 0.95


def test_mmd_matches_direct_computation():
    rng = np.random.default_rng(0)
    A = [rng.normal(size=(n, 3)) for n in (5, 9, 4)]
    B = [rng.normal(1.0, 1.0, size=(n, 3)) for n in (7, 3)]
    XA, XB = np.vstack(A), np.vstack(B)
    oA, oB = np.r_[0, np.cumsum([len(a) for a in A])], np.r_[0, np.cumsum([len(b) for b in B])]
    bw = 1.3

    def k(x, y):
        return np.exp(-np.sum((x - y) ** 2) / (2 * bw**2))

    def mean_k(P, Q):
        return np.mean([[k(p, q) for q in Q] for p in P])

    direct = np.array([[mean_k(a, a) + mean_k(b, b) - 2 * mean_k(a, b) for b in B] for a in A])
    np.testing.assert_allclose(mmd2(XA, oA, XB, oB, bw), direct, rtol=1e-10, atol=1e-12)
    # the group kernel, also when blocks split the rows
    direct_k = np.array([[mean_k(a, b) for b in B] for a in A])
    np.testing.assert_allclose(group_kernel(XA, oA, XB, oB, bw, block=6), direct_k, rtol=1e-10)
    np.testing.assert_allclose(group_self_kernel(XA, oA, bw), [mean_k(a, a) for a in A])
    np.testing.assert_allclose(gaussian_kernel(A[0], A[0], bw).diagonal(), 1.0)
    # MMD of a group with itself is 0; the median heuristic is the median pairwise distance
    assert mmd2(XA, oA, XA, oA, bw).diagonal().max() < 1e-12
    D = np.sqrt(((XA[:, None] - XA[None]) ** 2).sum(-1))[np.triu_indices(len(XA), 1)]
    assert median_bandwidth(XA) == pytest.approx(np.median(D))


def test_score_groups_all_scores(mixture_data):
    train, test, y = mixture_data
    det = gg.GroupVAE(epochs=3, random_state=0).fit(train)
    for s in gg.SCORES:
        v = det.score_groups(test, score=s)
        assert v.shape == (30,) and np.isfinite(v).all()
    np.testing.assert_allclose(det.score_groups(test), det.decision_function(test))
    assert det.transform(test).shape == (30, 2)
