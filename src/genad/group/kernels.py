"""Kernel mean embeddings of groups: the group kernel and the maximum mean discrepancy.

With a Gaussian point kernel ``k(x, y) = exp(-||x - y||^2 / (2 sigma^2))`` a group ``G`` is
represented by its kernel mean embedding ``mu_G = (1/|G|) sum_{x in G} k(x, .)`` and

* the group kernel (Muandet & Schoelkopf 2013) is
  ``K(G_i, G_j) = <mu_i, mu_j> = (1/|G_i||G_j|) sum_{x in G_i} sum_{y in G_j} k(x, y)``;
* the (biased, V-statistic) squared MMD is
  ``MMD^2(G_i, G_j) = K(G_i, G_i) + K(G_j, G_j) - 2 K(G_i, G_j)``.

The bandwidth ``sigma`` defaults to the median heuristic: the median pairwise distance between
(a subsample of) the training points.
"""

from __future__ import annotations

import numpy as np

__all__ = ["median_bandwidth", "gaussian_kernel", "group_kernel", "group_self_kernel", "mmd2"]


def median_bandwidth(X: np.ndarray, max_points: int = 1000, random_state: int = 0) -> float:
    """Median pairwise Euclidean distance between rows of ``X`` (a random subsample if large)."""
    X = np.asarray(X, dtype=np.float64)
    if len(X) > max_points:
        X = X[np.random.default_rng(random_state).choice(len(X), max_points, replace=False)]
    d2 = _sq_dists(X, X)
    iu = np.triu_indices(len(X), k=1)
    med = float(np.sqrt(np.median(d2[iu]))) if len(iu[0]) else 1.0
    return med if med > 1e-12 else 1.0


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    d2 = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d2, 0.0)


def gaussian_kernel(A: np.ndarray, B: np.ndarray, bandwidth: float) -> np.ndarray:
    """``exp(-||a - b||^2 / (2 bandwidth^2))`` for every pair of rows."""
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    return np.exp(-_sq_dists(A, B) / (2.0 * float(bandwidth) ** 2))


def group_kernel(X1, off1, X2, off2, bandwidth: float, block: int = 2048) -> np.ndarray:
    """Group kernel matrix ``K[i, j]`` = mean of ``k(x, y)`` over ``x`` in group i of ``X1`` and
    ``y`` in group j of ``X2`` (groups given by offsets; see :mod:`genad.group.base`)."""
    off1, off2 = np.asarray(off1), np.asarray(off2)
    n1, n2 = len(off1) - 1, len(off2) - 1
    out = np.empty((n1, n2))
    sizes1, sizes2 = np.diff(off1), np.diff(off2)
    i = 0
    while i < n1:  # blocks of whole row-groups, about `block` points each
        j = int(np.searchsorted(off1, off1[i] + block, side="right")) - 1
        j = min(max(j, i + 1), n1)
        rows = X1[off1[i] : off1[j]]
        K = gaussian_kernel(rows, X2, bandwidth)
        K = np.add.reduceat(K, off2[:-1], axis=1)  # sum over each column group
        K = np.add.reduceat(K, off1[i:j] - off1[i], axis=0)  # sum over each row group
        out[i:j] = K / sizes1[i:j, None] / sizes2[None, :]
        i = j
    return out


def group_self_kernel(X, off, bandwidth: float) -> np.ndarray:
    """``K(G_i, G_i)`` for every group (the squared norm of its mean embedding)."""
    if len(off) < 2:
        return np.zeros(0)
    return np.array([gaussian_kernel(G, G, bandwidth).mean() for G in np.split(X, off[1:-1])])


def mmd2(X1, off1, X2, off2, bandwidth: float, self1=None, self2=None) -> np.ndarray:
    """Squared MMD between every group of ``X1`` and every group of ``X2`` (biased estimator).

    ``self1``/``self2`` are precomputed :func:`group_self_kernel` values (computed if None).
    """
    k11 = group_self_kernel(X1, off1, bandwidth) if self1 is None else self1
    k22 = group_self_kernel(X2, off2, bandwidth) if self2 is None else self2
    k12 = group_kernel(X1, off1, X2, off2, bandwidth)
    return np.maximum(k11[:, None] + k22[None, :] - 2.0 * k12, 0.0)
