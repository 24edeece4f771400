"""Classic baselines: thin wrappers over scikit-learn with the genad contract.

Each keeps genad's conventions (higher score = more anomalous, held-out calibration threshold,
saving without pickle) so that it can stand beside the deep detectors in every benchmark.
"""

from __future__ import annotations

import numpy as np
from sklearn import ensemble, mixture, neighbors, svm
from sklearn.model_selection import GridSearchCV

from ..base import Detector

__all__ = ["PCA", "OCSVM", "IsolationForest", "KDE", "GMM", "KNN"]


def _subsample(X: np.ndarray, max_samples: int | None, seed: int) -> np.ndarray:
    if max_samples is None or X.shape[0] <= max_samples:
        return X
    idx = np.random.default_rng(seed).choice(X.shape[0], int(max_samples), replace=False)
    return X[np.sort(idx)]


class PCA(Detector):
    """Reconstruction error outside the principal subspace (Shyu et al. 2003).

    score(x) = || (x - mu) - V V^T (x - mu) ||^2 over standardised features, where V holds the
    leading principal directions.

    Parameters
    ----------
    n_components : int, float in (0, 1) or None
        Components kept; a float keeps enough to explain that share of the variance
        (default 0.9). With constant or rank-deficient data the count is capped at the rank.
    """

    def __init__(self, n_components=0.9, preprocessing="standard", contamination=None, random_state=None):
        self.n_components = n_components
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state

    def _fit(self, X):
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        # SVD directly: numerically safe when features are constant (zero singular values)
        _, s, vt = np.linalg.svd(Xc, full_matrices=False)
        var = s**2
        total = var.sum()
        rank = int((s > s[0] * 1e-10).sum()) if len(s) and s[0] > 0 else 0
        nc = self.n_components
        if nc is None:
            k = rank
        elif isinstance(nc, float) and 0 < nc < 1:
            k = int(np.searchsorted(np.cumsum(var) / total, nc) + 1) if total > 0 else 0
        elif isinstance(nc, (int, np.integer)) and nc >= 0:
            k = int(nc)
        else:
            raise ValueError(f"n_components must be an int >= 0, a float in (0, 1) or None; got {nc!r}.")
        k = min(k, rank, X.shape[1])
        self.components_ = vt[:k]
        self.explained_variance_ratio_ = var[:k] / total if total > 0 else np.zeros(k)

    def _score(self, X):
        Xc = X - self.mean_
        proj = (Xc @ self.components_.T) @ self.components_
        return ((Xc - proj) ** 2).sum(axis=1)


class OCSVM(Detector):
    """One-class SVM (Schoelkopf et al. 2001) with an RBF kernel.

    score = -(signed distance to the separating hyperplane). ``max_samples`` caps the training
    rows (the kernel solver is quadratic in them); the default keeps fits to seconds. Takes
    scipy sparse matrices.
    """

    _accept_sparse = True

    def __init__(self, kernel="rbf", nu=0.1, gamma="scale", max_samples=10000,
                 preprocessing="standard", contamination=None, random_state=None):
        self.kernel = kernel
        self.nu = nu
        self.gamma = gamma
        self.max_samples = max_samples
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state

    def _fit(self, X):
        X = _subsample(X, self.max_samples, self._seed())
        self.model_ = svm.OneClassSVM(kernel=self.kernel, nu=self.nu, gamma=self.gamma).fit(X)

    def _score(self, X):
        return -self.model_.decision_function(X)


class IsolationForest(Detector):
    """Isolation Forest (Liu et al. 2008): short average path length = anomalous.

    Takes scipy sparse matrices.
    """

    _accept_sparse = True

    def __init__(self, n_estimators=100, max_samples="auto", max_features=1.0, n_jobs=None,
                 preprocessing=None, contamination=None, random_state=None):
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.max_features = max_features
        self.n_jobs = n_jobs
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state

    def _fit(self, X):
        self.model_ = ensemble.IsolationForest(
            n_estimators=self.n_estimators, max_samples=self.max_samples, max_features=self.max_features,
            n_jobs=self.n_jobs, random_state=self._seed(),
        ).fit(X)

    def _score(self, X):
        return -self.model_.score_samples(X)


class KDE(Detector):
    """Gaussian kernel density estimate; score = -log density.

    bandwidth : float or None
        None chooses it by 5-fold likelihood cross-validation over a log grid (on at most
        2,000 rows).
    max_samples : int
        Training rows kept as kernel centres (scoring cost grows with them).
    """

    def __init__(self, bandwidth=None, max_samples=10000, preprocessing="standard",
                 contamination=None, random_state=None):
        self.bandwidth = bandwidth
        self.max_samples = max_samples
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state

    def _fit(self, X):
        X = _subsample(X, self.max_samples, self._seed())
        bw = self.bandwidth
        if bw is None:
            Xcv = _subsample(X, 2000, self._seed())
            # Scott's factor times a grid; the cross-validated likelihood picks the best
            scott = len(Xcv) ** (-1.0 / (X.shape[1] + 4)) * max(float(np.mean(X.std(axis=0))), 1e-3)
            grid = scott * np.logspace(-1, 1, 13)
            cv = min(5, len(Xcv))
            if cv >= 2:
                search = GridSearchCV(neighbors.KernelDensity(kernel="gaussian"), {"bandwidth": grid}, cv=cv)
                search.fit(Xcv)
                bw = float(search.best_params_["bandwidth"])
            else:
                bw = float(scott)
        elif not bw > 0:
            raise ValueError(f"bandwidth must be positive; got {bw!r}.")
        self.bandwidth_ = float(bw)
        self.model_ = neighbors.KernelDensity(kernel="gaussian", bandwidth=self.bandwidth_).fit(X)

    def _score(self, X):
        return -self.model_.score_samples(X)


class GMM(Detector):
    """Gaussian mixture density; score = -log likelihood.

    n_components : int or None
        None picks 1..``max_components`` by the Bayesian information criterion.
    """

    _fast_params = {"max_components": 3}

    def __init__(self, n_components=None, covariance_type="full", max_components=10,
                 preprocessing="standard", contamination=None, random_state=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.max_components = max_components
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state

    def _make(self, k):
        return mixture.GaussianMixture(k, covariance_type=self.covariance_type, reg_covar=1e-4,
                                       random_state=self._seed())

    def _fit(self, X):
        if self.n_components is None:
            Xs = _subsample(X, 20000, self._seed())
            ks = range(1, max(1, min(int(self.max_components), len(Xs) // 2)) + 1)
            bics = {k: self._make(k).fit(Xs).bic(Xs) for k in ks}
            self.bic_ = {str(k): float(v) for k, v in bics.items()}
            k = min(bics, key=bics.get)
        else:
            k = int(self.n_components)
        self.n_components_ = int(k)
        self.model_ = self._make(k).fit(X)

    def _score(self, X):
        return -self.model_.score_samples(X)


class KNN(Detector):
    """Distance to the k-th nearest training neighbour (Ramaswamy et al. 2000).

    method : "largest" (k-th distance) or "mean" (mean of the k distances).

    Takes scipy sparse matrices (scaled without centring: distances do not change).
    """

    _accept_sparse = True

    def __init__(self, n_neighbors=5, method="largest", preprocessing="standard",
                 contamination=None, random_state=None, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.method = method
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _fit(self, X):
        if self.method not in ("largest", "mean"):
            raise ValueError(f'method must be "largest" or "mean"; got {self.method!r}.')
        self.k_ = int(min(self.n_neighbors, X.shape[0] - 1))
        if self.k_ < 1:
            raise ValueError("KNN needs at least 2 training rows.")
        self.model_ = neighbors.NearestNeighbors(n_neighbors=self.k_, n_jobs=self.n_jobs).fit(X)

    def _reduce(self, dist):
        return dist[:, -1] if self.method == "largest" else dist.mean(axis=1)

    def _score(self, X):
        return self._reduce(self.model_.kneighbors(X, n_neighbors=self.k_)[0])

    def _score_training(self, X):
        # each training row is its own nearest neighbour: query without it
        return self._reduce(self.model_.kneighbors(n_neighbors=self.k_)[0])
