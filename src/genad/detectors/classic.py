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

    The score is the squared distance of a (scaled) row to the subspace of the leading
    principal directions ``V``: ``score(x) = || (x - mu) - V V^T (x - mu) ||^2``. Higher = more
    anomalous: the row breaks the correlations that normal rows follow.

    Parameters
    ----------
    n_components : int, float in (0, 1) or None, default=0.9
        Components kept; a float keeps enough to explain that share of the variance, None keeps
        the rank. With constant or rank-deficient data the count is capped at the rank.
    preprocessing : {"standard", "minmax", None}, default="standard"
        Per-feature scaling fitted on the training rows before the model sees them.
    contamination : float in (0, 0.5] or None, default=None
        None: ``threshold_`` flags a new normal row with probability at most 1% (calibrated on
        rows the model was not fitted on, see :class:`genad.base.Detector`). A float: PyOD's
        rule, that fraction of the training scores lies above ``threshold_``.
    random_state : int or None, default=None
        Seed for the calibration split.

    Attributes
    ----------
    components_ : ndarray of shape (n_kept, n_features)
        The principal directions ``V`` (rows), leading first.
    mean_ : ndarray of shape (n_features,)
        Mean of the scaled training rows.
    explained_variance_ratio_ : ndarray of shape (n_kept,)
        Share of the variance each kept component explains.
    threshold_ : float
        Rows with ``decision_function(X) > threshold_`` are predicted anomalous (1).
    decision_scores_, calibration_scores_, calibration_, n_features_in_, feature_names_in_
        See :class:`genad.base.Detector`.

    Examples
    --------
    >>> import numpy as np
    >>> from genad import PCA
    >>> rng = np.random.default_rng(0)
    >>> t = rng.normal(size=(300, 1))
    >>> X = np.hstack([t, 2 * t, -t]) + 0.1 * rng.normal(size=(300, 3))   # one direction
    >>> det = PCA(random_state=0).fit(X)
    >>> det.components_.shape
    (1, 3)
    >>> det.predict([[1.0, 2.0, -1.0], [1.0, -2.0, 1.0]])   # the second breaks the pattern
    array([0, 1])
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
    """One-class SVM (Schoelkopf et al. 2001), a wrapper of :class:`sklearn.svm.OneClassSVM`.

    The SVM separates the training rows from the origin in kernel feature space with maximum
    margin. The score is minus the signed distance to that boundary: positive outside the
    region of normal rows, higher = further out. Takes scipy sparse matrices.

    Parameters
    ----------
    kernel : {"rbf", "linear", "poly", "sigmoid"}, default="rbf"
        Kernel of the SVM.
    nu : float in (0, 1], default=0.1
        Upper bound on the fraction of training rows outside the boundary (and lower bound on
        the fraction of support vectors).
    gamma : "scale", "auto" or float, default="scale"
        Kernel coefficient; "scale" uses ``1 / (n_features * X.var())``.
    max_samples : int or None, default=10000
        Training rows kept (a seeded random subset); the kernel solver's cost grows with the
        square of the rows, the default keeps fits to seconds. None keeps every row.
    preprocessing : {"standard", "minmax", None}, default="standard"
        Per-feature scaling fitted on the training rows before the model sees them.
    contamination : float in (0, 0.5] or None, default=None
        None: ``threshold_`` flags a new normal row with probability at most 1% (calibrated on
        rows the model was not fitted on, see :class:`genad.base.Detector`). A float: PyOD's
        rule, that fraction of the training scores lies above ``threshold_``.
    random_state : int or None, default=None
        Seed for the calibration split and the subsample.

    Attributes
    ----------
    model_ : sklearn.svm.OneClassSVM
        The fitted SVM.
    threshold_ : float
        Rows with ``decision_function(X) > threshold_`` are predicted anomalous (1).
    decision_scores_, calibration_scores_, calibration_, n_features_in_, feature_names_in_
        See :class:`genad.base.Detector`.

    Examples
    --------
    >>> import numpy as np
    >>> from genad import OCSVM
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> det = OCSVM(random_state=0).fit(X)
    >>> det.predict([[0.0, 0.0], [5.0, 5.0]])
    array([0, 1])
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
    """Isolation Forest (Liu et al. 2008), a wrapper of :class:`sklearn.ensemble.IsolationForest`.

    Random trees split random features at random values until every row is alone; rows unlike
    the rest are isolated in few splits. The score is ``2 ** (-E[path length] / c(n))`` (minus
    scikit-learn's ``score_samples``): in (0, 1], higher = isolated sooner = more anomalous,
    about 0.5 and below for normal rows. Takes scipy sparse matrices.

    Parameters
    ----------
    n_estimators : int, default=100
        Number of trees.
    max_samples : "auto", int or float, default="auto"
        Rows drawn to grow each tree: "auto" = ``min(256, n_rows)``, an int = that many, a float
        = that share of the rows.
    max_features : int or float, default=1.0
        Features drawn for each tree (an int = that many, a float = that share).
    n_jobs : int or None, default=None
        Parallel jobs for fitting and scoring (-1 = every core).
    preprocessing : {"standard", "minmax", None}, default=None
        Per-feature scaling fitted on the training rows before the model sees them.
    contamination : float in (0, 0.5] or None, default=None
        None: ``threshold_`` flags a new normal row with probability at most 1% (calibrated on
        rows the model was not fitted on, see :class:`genad.base.Detector`). A float: PyOD's
        rule, that fraction of the training scores lies above ``threshold_``.
    random_state : int or None, default=None
        Seed for the calibration split and the trees.

    Attributes
    ----------
    model_ : sklearn.ensemble.IsolationForest
        The fitted forest.
    threshold_ : float
        Rows with ``decision_function(X) > threshold_`` are predicted anomalous (1).
    decision_scores_, calibration_scores_, calibration_, n_features_in_, feature_names_in_
        See :class:`genad.base.Detector`.

    Examples
    --------
    >>> import numpy as np
    >>> from genad import IsolationForest
    >>> X = np.random.default_rng(0).normal(size=(300, 4))
    >>> det = IsolationForest(random_state=0).fit(X)
    >>> det.predict([[0.0, 0.0, 0.0, 0.0], [6.0, 6.0, 6.0, 6.0]])
    array([0, 1])
    >>> p = det.p_values([[6.0, 6.0, 6.0, 6.0]])   # conformal p-value: small = anomalous
    >>> bool(p[0] < 0.01)
    True
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
    """Gaussian kernel density estimate, a wrapper of :class:`sklearn.neighbors.KernelDensity`.

    The density of normal data is estimated as the mean of Gaussian kernels centred on the
    training rows; the score is minus the log density, ``-log p(x)``: higher = a less likely
    row = more anomalous.

    Parameters
    ----------
    bandwidth : float or None, default=None
        Kernel width (in scaled units). None chooses it by 5-fold likelihood cross-validation
        over a log grid around Scott's rule (on at most 2,000 rows).
    max_samples : int or None, default=10000
        Training rows kept as kernel centres (a seeded random subset); scoring cost grows with
        them. None keeps every row.
    preprocessing : {"standard", "minmax", None}, default="standard"
        Per-feature scaling fitted on the training rows before the model sees them.
    contamination : float in (0, 0.5] or None, default=None
        None: ``threshold_`` flags a new normal row with probability at most 1% (calibrated on
        rows the model was not fitted on, see :class:`genad.base.Detector`). A float: PyOD's
        rule, that fraction of the training scores lies above ``threshold_``.
    random_state : int or None, default=None
        Seed for the calibration split and the subsample.

    Attributes
    ----------
    bandwidth_ : float
        The bandwidth used.
    model_ : sklearn.neighbors.KernelDensity
        The fitted density.
    threshold_ : float
        Rows with ``decision_function(X) > threshold_`` are predicted anomalous (1).
    decision_scores_, calibration_scores_, calibration_, n_features_in_, feature_names_in_
        See :class:`genad.base.Detector`.

    Examples
    --------
    >>> import numpy as np
    >>> from genad import KDE
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> det = KDE(random_state=0).fit(X)
    >>> det.predict([[0.0, 0.0], [5.0, 5.0]])
    array([0, 1])
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
    """Gaussian mixture density, a wrapper of :class:`sklearn.mixture.GaussianMixture`.

    Normal data are modelled as a mixture of Gaussians fitted by EM; the score is minus the log
    likelihood, ``-log p(x)``: higher = a less likely row = more anomalous.

    Parameters
    ----------
    n_components : int or None, default=None
        Number of Gaussians. None picks 1..``max_components`` by the Bayesian information
        criterion (on at most 20,000 rows).
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        Covariance shape of each Gaussian.
    max_components : int, default=10
        Largest mixture tried when ``n_components`` is None.
    preprocessing : {"standard", "minmax", None}, default="standard"
        Per-feature scaling fitted on the training rows before the model sees them.
    contamination : float in (0, 0.5] or None, default=None
        None: ``threshold_`` flags a new normal row with probability at most 1% (calibrated on
        rows the model was not fitted on, see :class:`genad.base.Detector`). A float: PyOD's
        rule, that fraction of the training scores lies above ``threshold_``.
    random_state : int or None, default=None
        Seed for the calibration split and the EM initialisation.

    Attributes
    ----------
    n_components_ : int
        Number of Gaussians used.
    bic_ : dict of str to float
        BIC of each mixture size tried (only when ``n_components`` is None).
    model_ : sklearn.mixture.GaussianMixture
        The fitted mixture.
    threshold_ : float
        Rows with ``decision_function(X) > threshold_`` are predicted anomalous (1).
    decision_scores_, calibration_scores_, calibration_, n_features_in_, feature_names_in_
        See :class:`genad.base.Detector`.

    Examples
    --------
    >>> import numpy as np
    >>> from genad import GMM
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(150, 2)), rng.normal(size=(150, 2)) + 8])   # two clusters
    >>> det = GMM(random_state=0).fit(X)
    >>> det.n_components_
    2
    >>> det.predict([[0.0, 0.0], [8.0, 8.0], [4.0, 4.0]])   # between the clusters: anomalous
    array([0, 0, 1])
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
    """Distance to the nearest training neighbours (Ramaswamy et al. 2000; Angiulli & Pizzuti
    2002), on :class:`sklearn.neighbors.NearestNeighbors`.

    The score is the Euclidean distance (in scaled units) from a row to its k-th nearest
    training row, or the mean distance to its k nearest: higher = further from every normal
    row = more anomalous. A training row is not counted as its own neighbour. Takes scipy sparse
    matrices (scaled without centring: distances do not change).

    Parameters
    ----------
    n_neighbors : int, default=5
        k (capped at the number of training rows minus one).
    method : {"largest", "mean"}, default="largest"
        "largest": distance to the k-th neighbour; "mean": mean distance to the k neighbours.
    preprocessing : {"standard", "minmax", None}, default="standard"
        Per-feature scaling fitted on the training rows before the model sees them.
    contamination : float in (0, 0.5] or None, default=None
        None: ``threshold_`` flags a new normal row with probability at most 1% (calibrated on
        rows the model was not fitted on, see :class:`genad.base.Detector`). A float: PyOD's
        rule, that fraction of the training scores lies above ``threshold_``.
    random_state : int or None, default=None
        Seed for the calibration split.
    n_jobs : int or None, default=None
        Parallel jobs for the neighbour search (-1 = every core).

    Attributes
    ----------
    k_ : int
        The number of neighbours used.
    model_ : sklearn.neighbors.NearestNeighbors
        The index of the training rows.
    threshold_ : float
        Rows with ``decision_function(X) > threshold_`` are predicted anomalous (1).
    decision_scores_, calibration_scores_, calibration_, n_features_in_, feature_names_in_
        See :class:`genad.base.Detector`.

    Examples
    --------
    >>> import numpy as np
    >>> from genad import KNN
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> det = KNN().fit(X)
    >>> det.predict([[0.0, 0.0], [5.0, 5.0]])
    array([0, 1])
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
