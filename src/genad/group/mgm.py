"""Mixture of Gaussian mixtures (after Xiong, Poczos, Schneider et al. 2011), a practical version.

Xiong et al.'s MGM says: points come from a shared set of Gaussian *topics*; each group draws
its own topic proportions ``theta_G`` from one of a few *genres* (typical mixtures). A group is
anomalous when its points fit no topic, or when its proportions are atypical. This version
fits the two levels one after the other instead of jointly:

1. topics: a Gaussian mixture with ``n_topics`` full-covariance components on all training
   points, component densities ``N(x | m_k, S_k)``;
2. each group's proportions ``theta_G``: maximum-likelihood mixture weights for its points with
   the topics fixed (EM on the weights only, ``n_iter`` steps from the global weights);
3. genres: a Gaussian mixture with ``n_genres`` components on the training groups' ``theta``.

Score of a group = ``z(point term) + z(proportion term)`` where
``point term = -1/|G| sum_{x in G} log sum_k theta_Gk N(x | m_k, S_k)`` (how badly its points
fit the topics, even with its own best weights), ``proportion term = -log p_genre(theta_G)``
(how unusual its mixture is), and ``z`` standardises each term by its mean and standard
deviation over the training groups.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import logsumexp
from sklearn.mixture import GaussianMixture

from .base import GroupDetector

__all__ = ["MGM"]


def _component_log_densities(X: np.ndarray, means: np.ndarray, precisions_chol: np.ndarray) -> np.ndarray:
    """``log N(x | m_k, S_k)`` for every row and component (full covariances)."""
    n, d = X.shape
    out = np.empty((n, len(means)))
    for k, (m, L) in enumerate(zip(means, precisions_chol)):
        y = (X - m) @ L
        out[:, k] = -0.5 * (y * y).sum(1) - 0.5 * d * np.log(2 * np.pi) + np.log(np.diag(L)).sum()
    return out


class MGM(GroupDetector):
    """Two-level Gaussian mixture group detector (see module docstring).

    Parameters
    ----------
    n_topics : int
        Point-level Gaussian components (shared by all groups).
    n_genres : int
        Gaussian components over the groups' topic proportions.
    n_iter : int
        EM steps estimating each group's topic proportions.
    preprocessing, contamination, random_state : as for every group detector.

    Attributes
    ----------
    topics_, genres_ : fitted sklearn GaussianMixture models; term_mean_, term_std_ : the
    standardisation of the two terms over the training groups.
    """

    _fast_params: ClassVar[dict] = {}

    def __init__(self, n_topics=6, n_genres=3, n_iter=20, preprocessing="standard", contamination=None,
                 random_state=None):
        self.n_topics = n_topics
        self.n_genres = n_genres
        self.n_iter = n_iter
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state

    def _proportions(self, logp: np.ndarray, offsets: np.ndarray):
        """Per-group topic weights (EM on weights) and the mean point log-likelihood under them."""
        m = len(offsets) - 1
        sizes = np.diff(offsets)[:, None]
        theta = np.tile(self.topics_.weights_, (m, 1))
        idx = np.repeat(np.arange(m), np.diff(offsets))
        for _ in range(int(self.n_iter)):
            lr = logp + np.log(np.maximum(theta[idx], 1e-12))
            resp = np.exp(lr - logsumexp(lr, axis=1, keepdims=True))
            theta = np.add.reduceat(resp, offsets[:-1], axis=0) / sizes
        ll = logsumexp(logp + np.log(np.maximum(theta[idx], 1e-12)), axis=1)
        return theta, np.add.reduceat(ll, offsets[:-1]) / sizes[:, 0]

    def _terms(self, X, offsets) -> np.ndarray:
        logp = _component_log_densities(X, self.topics_.means_, self.topics_.precisions_cholesky_)
        theta, ll = self._proportions(logp, offsets)
        return np.column_stack([-ll, -self.genres_.score_samples(theta)]) if hasattr(self, "genres_") else theta

    def _fit_groups(self, X, offsets):
        for name in ("n_topics", "n_genres", "n_iter"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer; got {v!r}.")
        m = len(offsets) - 1
        seed = self._seed()
        self.topics_ = GaussianMixture(min(self.n_topics, len(X)), covariance_type="full", reg_covar=1e-4,
                                       random_state=seed).fit(X)
        if hasattr(self, "genres_"):
            del self.genres_
        theta = self._terms(X, offsets)
        self.genres_ = GaussianMixture(min(self.n_genres, m), covariance_type="full", reg_covar=1e-3,
                                       random_state=seed).fit(theta)
        t = self._terms(X, offsets)
        self.term_mean_ = t.mean(axis=0)
        self.term_std_ = np.where(t.std(axis=0) > 1e-12, t.std(axis=0), 1.0)

    def _score_groups(self, X, offsets):
        return ((self._terms(np.asarray(X, np.float64), offsets) - self.term_mean_) / self.term_std_).sum(axis=1)
