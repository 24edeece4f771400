"""``fit(X, y)`` with semi-supervised labels (1 known anomaly, 0 known normal, -1 unlabelled) on
DAGMM, REPEN and ICL: known anomalies are left out of training; bad labels are named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from genad import DAGMM, ICL, REPEN

CLASSES = [DAGMM, REPEN, ICL]


@pytest.fixture(scope="module")
def labelled(blobs):
    X = blobs[0]
    far = np.random.default_rng(1).normal(size=(30, 5)) + 6.0
    Xy = np.vstack([X, far])
    y = np.r_[-np.ones(len(X) - 50), np.zeros(50), np.ones(len(far))].astype(int)
    return Xy, y


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_known_anomalies_are_left_out(cls, labelled, blobs):
    Xy, y = labelled
    kw = {**cls._fast_params, "epochs": 2, "random_state": 0}
    with_labels = cls(**kw).fit(Xy, y)
    clean = cls(**kw).fit(blobs[0])
    assert len(with_labels.decision_scores_) == len(blobs[0])
    np.testing.assert_allclose(with_labels.decision_function(blobs[1]), clean.decision_function(blobs[1]), rtol=1e-5)
    # the same through a DataFrame (names kept) and a tensor
    cols = list("abcde")
    df = cls(**kw).fit(pd.DataFrame(Xy, columns=cols), pd.Series(y))
    assert list(df.feature_names_in_) == cols and len(df.decision_scores_) == len(blobs[0])
    tt = cls(**kw).fit(torch.as_tensor(Xy), torch.as_tensor(y))
    assert len(tt.decision_scores_) == len(blobs[0])


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_bad_labels_are_named(cls, labelled):
    Xy, y = labelled
    det = cls(**cls._fast_params)
    with pytest.raises(ValueError, match="y has 10 labels but X has 330 rows"):
        det.fit(Xy, y[:10])
    with pytest.raises(ValueError, match=r"labels 1 \(known anomaly\), 0 \(known normal\) or -1.*got \[2\]"):
        det.fit(Xy, np.where(y == 1, 2, y))
    with pytest.raises(ValueError, match="every row of X is labelled a known anomaly"):
        det.fit(Xy, np.ones(len(Xy)))
    with pytest.raises(ValueError, match="1-D"):
        det.fit(Xy, y[:, None])
    with pytest.raises(ValueError, match="non-numeric"):
        det.fit(Xy, np.array(["a"] * len(Xy)))
    assert not hasattr(det, "threshold_")
