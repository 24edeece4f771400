"""Training labels in scikit-learn's semi-supervised convention (1 known anomaly, 0 known normal,
-1 unlabelled): the shared check, and what fit does with them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import genad
from genad.validation import check_labels


def test_check_labels_accepts_the_convention():
    assert check_labels(None, 3) is None
    out = check_labels([1, 0, -1], 3)
    assert out.dtype == np.int64 and out.tolist() == [1, 0, -1]
    assert check_labels(np.array([1.0, -1.0]), 2).tolist() == [1, -1]
    assert check_labels(np.array([True, False]), 2).tolist() == [1, 0]
    assert check_labels(pd.Series([0, 1, -1]), 3).tolist() == [0, 1, -1]
    assert check_labels(np.array([[1], [0]]), 2).tolist() == [1, 0]


@pytest.mark.parametrize(
    "y, message",
    [
        ([1, 0, 2], r"only 1 \(known anomaly\), 0 \(known normal\) or -1 \(unlabelled\).*got 2 \(first at position 2\)"),
        ([1, 0, np.nan], r"got nan \(first at position 2\)"),
        (["anomaly", "normal", "x"], r"numbers 1 .*got 'anomaly' at position 0"),
        ([1, 0], r"y has 2 labels but there are 3 rows; pass one label per row"),
        (np.zeros((3, 2)), r"y must be 1-D with one label per row; got shape \(3, 2\)"),
        ([1, 1, 1], "every one of the 3 rows is labelled a known anomaly.*nothing is left to learn as normal"),
        ([0.5, 0, 0], r"got 0.5"),
    ],
)
def test_check_labels_errors(y, message):
    with pytest.raises(ValueError, match=message):
        check_labels(y, 3)


def test_check_labels_required_anomaly():
    with pytest.raises(ValueError, match="DevNet is weakly supervised and needs some labelled anomalies: pass fit"):
        check_labels(None, 3, require_anomaly=True, estimator_name="DevNet")
    with pytest.raises(ValueError, match="needs some labelled anomalies, but y has no 1"):
        check_labels([0, -1, -1], 3, require_anomaly=True)
    assert check_labels([1, -1, -1], 3, require_anomaly=True).tolist() == [1, -1, -1]


def test_bad_labels_lose_nothing(blobs):
    X = blobs[0]
    det = genad.PCA().fit(X)
    before = det.threshold_
    with pytest.raises(ValueError, match="y has 299 labels"):
        det.fit(X, np.zeros(299))
    assert det.threshold_ == before  # the fitted model is untouched


def test_holdout_calibration_with_labels(monkeypatch):
    """Held-out calibration (large data) leaves known anomalies out of the calibration scores."""
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(size=(400, 3)), rng.normal(size=(20, 3)) + 6])
    y = np.r_[np.full(400, -1), np.ones(20)].astype(int)
    monkeypatch.setattr(genad.KNN, "min_holdout", 20)
    det = genad.KNN().fit(X, y)
    assert det.calibration_ == "holdout:40"
    assert len(det.decision_scores_) == 420 and len(det.calibration_scores_) == 40
    assert det.decision_scores_[400:].min() > np.quantile(det.decision_scores_[:400], 0.9)
    assert det.threshold_rule_ == "fpr=0.01"  # no labelled normal: the default rule
    y[:50] = 0
    det = genad.KNN().fit(X, y)
    assert det.threshold_rule_ == "labels:f1"
    assert (det.decision_scores_[400:] > det.threshold_).mean() >= 0.9
    # contamination, when given, is the rule asked for
    det = genad.KNN(contamination=0.05).fit(X, y)
    assert det.threshold_rule_ == "contamination=0.05"
