"""ICL: windows and complements, the authors' window sizes, the contrastive score."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

import genad
from genad import ICL
from genad.detectors.icl import window_indices, window_size


def test_windows_are_consecutive_and_complements_the_rest():
    w, c = window_indices(6, 2)
    assert w.tolist() == [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]
    for wj, cj in zip(w.tolist(), c.tolist()):
        assert sorted(wj + cj) == list(range(6)) and cj == sorted(cj)


@pytest.mark.parametrize("d,k", [(2, 1), (3, 2), (40, 2), (41, 10), (160, 10), (200, 50), (300, 100), (1555, 1155)])
def test_window_size_rule(d, k):
    assert window_size(d) == k


def test_dependent_features_are_learned(tmp_path):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(600, 3))
    mix = np.array([[1.0, -1.0, 0.5], [0.5, 2.0, -1.0], [1.0, 0.0, 1.0]])
    X = np.hstack([z, z @ mix])  # six features, three of them functions of the others
    normal_test = np.hstack([z[:50] * 0.9, (z[:50] * 0.9) @ mix])
    broken = normal_test.copy()
    broken[:, 3:] = broken[::-1, 3:]  # each feature in its normal range, the relation broken
    det = ICL(epochs=30, random_state=0).fit(X)
    s = det.decision_function(np.vstack([normal_test, broken]))
    assert roc_auc_score(np.r_[np.zeros(50), np.ones(50)], s) > 0.9
    assert det.window_ == 2
    det.save(tmp_path / "m.genad")
    np.testing.assert_array_equal(genad.load(tmp_path / "m.genad").decision_function(broken), s[50:])


def test_score_is_the_contrastive_loss_per_window(blobs):
    X = blobs[0]
    det = ICL(epochs=2, random_state=0).fit(X)
    xs = torch.as_tensor(det._transform(X[:4].astype(np.float32)))
    with torch.no_grad():
        w, c = window_indices(5, det.window_)
        ga = torch.nn.functional.normalize(det.window_net_(xs[:, w]), dim=-1)
        fb = torch.nn.functional.normalize(det.complement_net_(xs[:, c]), dim=-1)
        logits = torch.einsum("njk,nik->nji", ga, fb) / det.temperature
        want = -(torch.diagonal(logits, dim1=1, dim2=2) - torch.logsumexp(logits, dim=2)).mean(dim=1)
    np.testing.assert_allclose(det.decision_function(X[:4]), want.numpy(), rtol=1e-4)


def test_too_few_features_and_bad_window():
    X = np.random.default_rng(0).normal(size=(20, 1))
    with pytest.raises(ValueError, match=r"at least 2 features; got 1 feature\(s\)"):
        ICL(epochs=1).fit(X)
    with pytest.raises(ValueError, match="window must be between 1 and .* \\(3\\)"):
        ICL(window=4, epochs=1).fit(np.hstack([X] * 4))


def test_sequences_are_flattened():
    X = np.random.default_rng(0).normal(size=(40, 5, 2)).astype(np.float32)
    det = ICL(epochs=1, random_state=0).fit(X)
    assert det.window_net_[0].in_features == det.window_ == 2
    assert det.complement_net_[0].in_features == 8
