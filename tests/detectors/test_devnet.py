"""DevNet: the authors' balanced mini-batches and learning from a few labelled anomalies."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

import genad
from genad.detectors.devnet import balanced_sampler


def test_balanced_sampler_shares():
    anomalies, others = torch.tensor([3, 7]), torch.arange(100, 140)
    order = balanced_sampler(anomalies, others, batch_size=10, n_batches=20)(torch.Generator().manual_seed(0))
    assert order.shape == (200,)
    batches = order.reshape(20, 10)
    is_anomaly = torch.isin(batches, anomalies)
    assert (is_anomaly.sum(dim=1) == 5).all()  # every batch: half labelled anomalies
    assert torch.isin(batches[~is_anomaly], others).all()
    assert set(batches[is_anomaly].tolist()) == {3, 7}  # drawn with replacement from both
    # odd batch size: the extra row is an unlabelled one; no other rows: every row an anomaly
    odd = balanced_sampler(anomalies, others, 7, 3)(None).reshape(3, 7)
    assert (torch.isin(odd, anomalies).sum(dim=1) == 3).all()
    only = balanced_sampler(anomalies, others[:0], 8, 2)(None)
    assert only.shape == (16,) and torch.isin(only, anomalies).all()
    with pytest.raises(ValueError, match="no labelled anomaly is left to train on"):
        balanced_sampler(anomalies[:0], others, 8, 2)


def test_devnet_epoch_is_batches_per_epoch_balanced_batches():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 4))
    y = np.r_[np.full(997, -1), np.ones(3)]
    seen = []
    det = genad.DevNet(epochs=2, batch_size=32, batches_per_epoch=7, random_state=0)
    det.min_holdout = 1  # one fit (hold-out calibration): the callback sees only the final model
    orig = det._batch_sampler

    def spy(data):
        order = orig(data)

        def wrapped(gen):
            idx = order(gen)
            seen.append(data[1].cpu()[idx].reshape(-1, 32))
            return idx

        return wrapped

    det._batch_sampler = spy
    det.fit(X, y)
    assert len(seen) == 2  # once per epoch
    for labels in seen:
        assert labels.shape == (7, 32)  # 7 batches whatever the number of rows
        assert ((labels == 1).sum(dim=1) == 16).all()


def planted(seed, n=1000, n_anomalies=20, n_test=500):
    """Normal rows uniform in a box; anomalies a tight cluster inside it (dense, not outlying):
    only labels tell them apart."""
    rng = np.random.default_rng(seed)
    centre = np.full(6, 1.5)

    def draw(k_normal, k_anomaly):
        X = np.vstack([rng.uniform(-3, 3, size=(k_normal, 6)), centre + 0.15 * rng.normal(size=(k_anomaly, 6))])
        return X, np.r_[np.zeros(k_normal), np.ones(k_anomaly)]

    X, y = draw(n, n_anomalies)
    X_test, y_test = draw(n_test, n_anomalies)
    return X, y, X_test, y_test


def test_devnet_learns_planted_anomalies_unsupervised_detectors_miss():
    X, y, X_test, y_test = planted(0)
    labels = np.full(len(y), -1)
    labels[np.flatnonzero(y == 1)[:5]] = 1  # 5 of the 20 training anomalies labelled
    det = genad.DevNet(epochs=10, batch_size=128, random_state=0).fit(X, labels)
    auc = roc_auc_score(y_test, det.decision_function(X_test))
    unsupervised = genad.IsolationForest(random_state=0).fit(X, labels)
    auc_unsup = roc_auc_score(y_test, unsupervised.decision_function(X_test))
    assert auc > 0.95, auc
    assert auc > auc_unsup + 0.3, (auc, auc_unsup)
