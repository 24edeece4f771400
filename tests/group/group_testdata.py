"""Small group data sets made in memory (shared by the group tests)."""

from __future__ import annotations

import numpy as np


def blobs(n_groups, size=20, d=3, shift=0.0, seed=0):
    """Groups of Gaussian points around a group-specific centre (normal) or shifted by ``shift``."""
    rng = np.random.default_rng(seed)
    Xs = [rng.normal(rng.normal(0, 0.5, d) + shift, 1.0, (size + int(rng.integers(0, 5)), d)) for _ in range(n_groups)]
    return Xs


def mixture_groups(n_normal, n_anomalous, size=50, seed=0):
    """Normal groups: half their points in cluster A (-2, 0), half in cluster B (2, 0).
    Anomalous groups: all points in one cluster. Every point of every group is normal; only the
    mixture differs (a distribution-based group anomaly)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-2.0, 0.0], [2.0, 0.0]])
    Xs = []
    for g in range(n_normal + n_anomalous):
        if g < n_normal:
            comp = rng.permutation(np.arange(size) % 2)
        else:
            comp = np.full(size, g % 2)
        Xs.append(centres[comp] + rng.normal(0, 0.5, (size, 2)))
    y = np.r_[np.zeros(n_normal, int), np.ones(n_anomalous, int)]
    return Xs, y


def flatten(Xs, ids=None):
    ids = np.arange(len(Xs)) if ids is None else np.asarray(ids)
    return np.vstack(Xs), np.concatenate([np.full(len(G), i) for G, i in zip(Xs, ids)])
