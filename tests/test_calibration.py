"""Default calibration: hold-out for large training sets, cross-conformal for small ones, one
finite-sample rule for the threshold, one implementation for point and group detectors."""

from __future__ import annotations

import numpy as np
import pytest

import genad
from genad import thresholds as T
from genad.base import Detector
from genad.group import GroupDetector


def test_plan_holdout_for_large_cross_for_small():
    fit, cal, cross = T.calibration_plan(6000, seed=0)
    assert len(cal) == 600 and len(fit) == 5400 and not cross
    assert np.union1d(fit, cal).tolist() == list(range(6000))
    fit, cal, cross = T.calibration_plan(180, seed=0)
    assert cal is None and len(fit) == 180 and len(cross) == 5
    tests = np.concatenate([te for _, te in cross])
    assert sorted(tests.tolist()) == list(range(180))  # every row out of fold exactly once
    for tr, te in cross:
        assert not np.intersect1d(tr, te).size and len(tr) + len(te) == 180
    fit, cal, cross = T.calibration_plan(9, seed=0)
    assert cal is None and not cross  # too few rows: the training scores


@pytest.mark.parametrize("n", [18, 99, 180, 1000, 4999])
def test_fpr_rule_is_the_conformal_quantile(n):
    s = np.random.default_rng(n).permutation(n).astype(float)
    t = T.by_fpr(s, 0.01)
    k = int((s > t).sum())  # calibration scores above the threshold
    assert (k + 1) / (n + 1) <= 0.01 or k == 0  # expected false-positive rate at most 1%
    assert (k + 2) / (n + 1) > 0.01  # and the largest such
    if 1 / (n + 1) > 0.01:  # too few scores for 1%: the maximum, at a rate of 1 / (n + 1)
        assert t == s.max()
        return
    # it flags exactly the scores whose conformal p-value is at most 1%
    probe = np.arange(-0.5, n + 0.5)
    np.testing.assert_array_equal(probe > t, T.conformal_p_values(s, probe) <= 0.01)


@pytest.mark.parametrize("cls", [genad.PCA, genad.KNN])
def test_small_training_set_keeps_the_false_positive_rate(cls):
    """180 training rows (the Quick start's size): a 10% hold-out would put the threshold at the
    maximum of 18 scores (expected 5% false positives); the out-of-fold scores keep it near 1%."""
    rng = np.random.default_rng(0)
    cov = np.cov(rng.normal(size=(8, 8)))
    rates = []
    for seed in range(5):
        X = rng.multivariate_normal(np.zeros(8), cov, size=180)
        det = cls(random_state=seed).fit(X)
        assert det.calibration_ == "cross-conformal:5" and len(det.calibration_scores_) == 180
        rates.append(det.predict(rng.multivariate_normal(np.zeros(8), cov, size=20000)).mean())
    assert 0.002 <= np.mean(rates) <= 0.03, rates


def test_point_and_group_detectors_share_one_implementation():
    for name in ("_seed", "_fit_calibrated", "set_threshold", "_threshold_from_labels", "save"):
        assert getattr(Detector, name) is getattr(GroupDetector, name), name
