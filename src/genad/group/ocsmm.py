"""One-class support measure machine (Muandet & Schoelkopf, NIPS 2013).

Each group ``G`` is mapped to its kernel mean embedding ``mu_G``; a one-class SVM is trained on
the embeddings of the training groups with the group kernel

    K(G_i, G_j) = <mu_i, mu_j> = 1/(|G_i||G_j|) sum_{x in G_i} sum_{y in G_j} k(x, y),

``k`` a Gaussian kernel with bandwidth ``sigma`` (median heuristic when not given). The score is
minus the one-class SVM's signed distance (higher = more anomalous).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.svm import OneClassSVM

from .base import GroupDetector
from .kernels import group_kernel, median_bandwidth

__all__ = ["OCSMM"]


class OCSMM(GroupDetector):
    """One-class SVM on kernel mean embeddings of groups.

    Parameters
    ----------
    nu : float in (0, 1]
        Upper bound on the fraction of training groups outside the support (OneClassSVM's nu).
    bandwidth : float or None
        Gaussian point-kernel width ``sigma`` on the scaled features; None = median pairwise
        distance of the training points times ``bandwidth_scale``.
    bandwidth_scale : float
        Multiplies the median heuristic when ``bandwidth`` is None (1.0 = the plain heuristic).
    preprocessing, contamination, random_state : as for every group detector.

    Attributes
    ----------
    svm_ : sklearn OneClassSVM (kernel="precomputed"), bandwidth_ : float,
    train_X_, train_offsets_ : the training groups' points (needed for the group kernel).
    """

    _fast_params: ClassVar[dict] = {}

    def __init__(self, nu=0.1, bandwidth=None, bandwidth_scale=1.0, preprocessing="standard", contamination=None,
                 random_state=None):
        self.nu = nu
        self.bandwidth = bandwidth
        self.bandwidth_scale = bandwidth_scale
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state

    def _fit_groups(self, X, offsets):
        if not 0.0 < float(self.nu) <= 1.0:
            raise ValueError(f"nu must be in (0, 1]; got {self.nu!r}.")
        if self.bandwidth is not None and not float(self.bandwidth) > 0:
            raise ValueError(f"bandwidth must be positive or None; got {self.bandwidth!r}.")
        if not float(self.bandwidth_scale) > 0:
            raise ValueError(f"bandwidth_scale must be positive; got {self.bandwidth_scale!r}.")
        self.bandwidth_ = (float(self.bandwidth) if self.bandwidth is not None
                           else float(self.bandwidth_scale) * median_bandwidth(X, random_state=self._seed()))
        self.train_X_ = np.asarray(X, dtype=np.float64)
        self.train_offsets_ = np.asarray(offsets, dtype=np.int64)
        K = group_kernel(self.train_X_, self.train_offsets_, self.train_X_, self.train_offsets_, self.bandwidth_)
        self.svm_ = OneClassSVM(kernel="precomputed", nu=float(self.nu)).fit(K)

    def _score_groups(self, X, offsets):
        K = group_kernel(np.asarray(X, dtype=np.float64), offsets, self.train_X_, self.train_offsets_, self.bandwidth_)
        return -self.svm_.decision_function(K)
