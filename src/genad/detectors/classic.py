"""Classic baselines: thin wrappers over scikit-learn with the genad contract.

Each keeps genad's conventions (higher score = more anomalous, held-out calibration threshold,
saving without pickle) so that it can stand beside the deep detectors in every benchmark.
"""

from __future__ import annotations

import numpy as np
from sklearn import ensemble, mixture, neighbors, svm
from sklearn.model_selection import KFold

from ..base import Detector

__all__ = ["PCA", "OCSVM", "IsolationForest", "KDE", "GMM", "KNN"]


def _subsample_index(n: int, max_samples: int | None, seed: int) -> np.ndarray | None:
    """Sorted indices of ``max_samples`` rows drawn without replacement, or None to keep all ``n``."""
    if max_samples is None or n <= max_samples:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, int(max_samples), replace=False))


def _subsample(X: np.ndarray, max_samples: int | None, seed: int) -> np.ndarray:
    idx = _subsample_index(X.shape[0], max_samples, seed)
    return X if idx is None else X[idx]


def _check_max_samples(value, least: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(
            f"max_samples must be an integer >= {least} or None (keep every training row); got {value!r}."
        )


#: entries of one block of the (rows x centres) matrix evaluated at a time by KDE (8 MB in float64)
_KDE_BLOCK = 1 << 20


def _gaussian_log_density(X: np.ndarray, centres: np.ndarray, bandwidth: float) -> np.ndarray:
    """log of the Gaussian kernel density estimate at each row of ``X``, evaluated exactly.

    log p(x) = logsumexp_j(-|x - c_j|^2 / 2h^2) - log m - (d/2) log(2 pi h^2), computed in blocks of
    rows (bounded memory) with one matrix product per block; the |x|^2 term is constant along a row,
    so it is taken out of the log-sum-exp.
    """
    m, d = centres.shape
    Cs = centres / bandwidth
    half_sq = 0.5 * np.einsum("ij,ij->i", Cs, Cs)
    out = np.empty(len(X))
    step = max(1, _KDE_BLOCK // m)
    for start in range(0, len(X), step):
        Xs = X[start:start + step] / bandwidth
        a = Xs @ Cs.T
        a -= half_sq
        top = a.max(axis=1)
        a -= top[:, None]
        np.exp(a, out=a)
        out[start:start + step] = np.log(a.sum(axis=1)) + top - 0.5 * np.einsum("ij,ij->i", Xs, Xs)
    return out - np.log(m) - 0.5 * d * np.log(2 * np.pi) - d * np.log(bandwidth)


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
    about 0.5 and below for normal rows. Takes scipy sparse matrices. Up to 512 dense rows are
    scored by walking every tree at once over packed arrays of the fitted forest (the same
    scores as scikit-learn's loop over the trees, in about 0.05 ms for one row instead of 5 ms);
    larger calls use scikit-learn's.

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
        self._packed = _PackedForest.of(self.model_)

    def _score(self, X):
        if X.shape[0] <= _PACKED_MAX_ROWS and isinstance(X, np.ndarray) and np.isfinite(X).all():
            packed = self.__dict__.get("_packed")
            if packed is None:  # a loaded model builds it on its first small call (a race builds it twice)
                packed = self._packed = _PackedForest.of(self.model_)
            if packed is not False:
                return packed.score(X)
        return -self.model_.score_samples(X)


#: most rows scored by :class:`_PackedForest`; more go to scikit-learn, whose per-tree loop then
#: costs less than the packed arrays' memory traffic (benchmarks/speed/iforest_small.py)
_PACKED_MAX_ROWS = 512


class _PackedForest:
    """A fitted :class:`sklearn.ensemble.IsolationForest`'s trees as padded (trees x nodes)
    arrays, walked level by level for every tree at once.

    ``score_samples`` loops over the trees in Python through joblib, about 75 microseconds a
    tree: 7.5 ms for one row with 100 trees, which is what a scoring service pays per request.
    This gives the same scores (float32 inputs as scikit-learn compares them, the same per-leaf
    path lengths) in tens of microseconds for a few rows.
    """

    def __init__(self, roots, feature, threshold, left, right, path, depth, denominator):
        self.roots, self.feature, self.threshold, self.left, self.right = roots, feature, threshold, left, right
        self.path, self.depth, self.denominator = path, depth, denominator

    @classmethod
    def of(cls, model):
        """The packed forest, or False when this scikit-learn keeps the path lengths elsewhere."""
        try:
            from sklearn.ensemble._iforest import _average_path_length

            per_leaf = [d + a - 1.0 for d, a in zip(model._decision_path_lengths, model._average_path_length_per_tree)]
            denominator = len(model.estimators_) * float(_average_path_length([model.max_samples_])[0])
        except (ImportError, AttributeError):
            return False
        trees = [e.tree_ for e in model.estimators_]
        T, M = len(trees), max(t.node_count for t in trees)
        feature = np.zeros((T, M), np.intp)
        threshold = np.zeros((T, M))
        left = np.tile(np.arange(M, dtype=np.intp), (T, 1))  # padding and leaves point at themselves
        right = left.copy()
        path = np.zeros((T, M))
        for i, (t, cols, pl) in enumerate(zip(trees, model.estimators_features_, per_leaf)):
            n = t.node_count
            inner = t.children_left != -1
            # a tree grown on a subset of the features numbers them within it; with every feature
            # scikit-learn passes the rows unpermuted (estimators_features_ is then unused)
            cols = np.asarray(cols) if len(cols) != model.n_features_in_ else np.arange(model.n_features_in_)
            feature[i, :n] = np.where(inner, cols[np.maximum(t.feature, 0)], 0)
            threshold[i, :n] = t.threshold
            left[i, :n] = np.where(inner, t.children_left, np.arange(n))
            right[i, :n] = np.where(inner, t.children_right, np.arange(n))
            path[i, :n] = pl
        roots = np.arange(T, dtype=np.intp) * M
        offset = roots[:, None]
        return cls(roots, feature.ravel(), threshold.ravel(), (left + offset).ravel(), (right + offset).ravel(), path.ravel(),
                   max(t.max_depth for t in trees), denominator)

    def score(self, X):
        """Minus scikit-learn's ``score_samples``: ``2 ** (-E[path length] / c(max_samples))``."""
        X = np.asarray(X, dtype=np.float32)  # scikit-learn's trees compare float32 inputs
        node = np.broadcast_to(self.roots, (X.shape[0], self.roots.size)).copy()
        rows = np.arange(X.shape[0])[:, None]
        for _ in range(self.depth):
            go_left = X[rows, self.feature[node]] <= self.threshold[node]
            node = np.where(go_left, self.left[node], self.right[node])
        depths = self.path[node].sum(axis=1)
        if self.denominator == 0:  # trees of one row: scikit-learn sets the exponent to -1
            return np.full(X.shape[0], 0.5)
        return 2.0 ** (-depths / self.denominator)


class KDE(Detector):
    """Gaussian kernel density estimate (Parzen window).

    The training rows (at most ``max_samples`` of them, drawn at random) are kept as kernel
    centres; the score is minus the log density there, evaluated exactly (no tree tolerance) in
    blocks of rows with one matrix product per block.

    Parameters
    ----------
    bandwidth : float or None, default=None
        Kernel width h on the scaled features. None chooses it by 5-fold likelihood
        cross-validation over 13 values on a log grid around Scott's rule, on at most 2,000 of
        the centres.
    max_samples : int or None, default=2000
        Most training rows kept as kernel centres, drawn without replacement with
        ``random_state``; None keeps every row. Scoring costs O(max_samples * n_features) per
        row and the fit O(n_rows * max_samples * n_features) (scoring the training rows), so
        both stay bounded however large the training set. On the 33 ADBench sets the mean
        ROC-AUC with 2,000 centres was 0.736 / 0.754 (split seeds 0 / 1), with every training
        row as a centre 0.735 / 0.751 (benchmarks/scaling).
    preprocessing : {"standard", "minmax"} or None, default="standard"
        Feature scaling fitted on the training rows.
    contamination : float in (0, 0.5] or None, default=None
        None: ``threshold_`` flags a new normal row with probability at most 1% (calibrated on
        rows the model was not fitted on, see :class:`genad.base.Detector`). A float: PyOD's
        rule, that fraction of the training scores lies above ``threshold_``.
    random_state : int, RandomState or None, default=None
        Seed for the calibration split and the choice of centres.

    Attributes
    ----------
    bandwidth_ : float
        Bandwidth used (given or cross-validated).
    centres_ : ndarray of shape (n_centres, n_features)
        Kernel centres (scaled training rows), ``n_centres <= max_samples``.
    threshold_ : float
        Rows with ``decision_function(X) > threshold_`` are predicted anomalous (1).
    decision_scores_, calibration_scores_, calibration_, n_features_in_, feature_names_in_
        See :class:`genad.base.Detector`.

    Examples
    --------
    >>> import numpy as np
    >>> from genad import KDE
    >>> X = np.random.default_rng(0).normal(size=(500, 3))
    >>> det = KDE(max_samples=200, random_state=0).fit(X)
    >>> det.centres_.shape
    (200, 3)
    >>> bool(det.decision_function([[6.0, 6.0, 6.0]])[0] > det.threshold_)
    True

    Notes
    -----
    score(x) = -log p(x), p(x) = (1/m) sum_j N(x; c_j, h^2 I) over the m centres: higher means
    x lies where the training data are sparse.
    """

    #: most centres used by the bandwidth cross-validation
    _cv_rows = 2000

    def __init__(self, bandwidth=None, max_samples=2000, preprocessing="standard",
                 contamination=None, random_state=None):
        self.bandwidth = bandwidth
        self.max_samples = max_samples
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state

    def _fit(self, X):
        _check_max_samples(self.max_samples, 1)
        bw = self.bandwidth
        if bw is not None and (isinstance(bw, bool) or not isinstance(bw, (int, float, np.number))
                               or not (np.isfinite(bw) and bw > 0)):
            raise ValueError(f"bandwidth must be positive and finite, or None to cross-validate it; got {bw!r}.")
        X = _subsample(X, self.max_samples, self._seed())
        self.bandwidth_ = float(bw) if bw is not None else self._cross_validated_bandwidth(X)
        self.centres_ = np.ascontiguousarray(X)

    def _cross_validated_bandwidth(self, X):
        Xcv = _subsample(X, self._cv_rows, self._seed())
        # Scott's factor times a grid; the cross-validated likelihood picks the best
        scott = len(Xcv) ** (-1.0 / (X.shape[1] + 4)) * max(float(np.mean(X.std(axis=0))), 1e-3)
        grid = scott * np.logspace(-1, 1, 13)
        cv = min(5, len(Xcv))
        if cv < 2:
            return float(scott)
        folds = list(KFold(cv).split(Xcv))
        mean_loglik = [np.mean([_gaussian_log_density(Xcv[test], Xcv[train], h).sum() for train, test in folds])
                       for h in grid]
        return float(grid[int(np.argmax(mean_loglik))])

    def _score(self, X):
        if "centres_" not in vars(self) and "model_" in vars(self):
            # a model file saved by genad 0.1 holds a fitted sklearn KernelDensity instead
            return -self.model_.score_samples(X)
        return -_gaussian_log_density(X, self.centres_, self.bandwidth_)


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

    At most ``max_samples`` training rows, drawn at random, are kept as the reference set the
    neighbours are searched in (Sugiyama and Borgwardt 2013 show that distances to a small
    random sample detect outliers as well as distances to all rows); scoring then costs the
    same however large the training set. Takes scipy sparse matrices (scaled without centring:
    distances do not change).

    Parameters
    ----------
    n_neighbors : int, default=5
        k; capped at the reference rows minus one.
    method : {"largest", "mean"}, default="largest"
        Score by the k-th distance or by the mean of the k distances.
    max_samples : int or None, default=2000
        Most training rows kept as the reference set, drawn without replacement with
        ``random_state``; None keeps every row (exact k-NN, whose fit is quadratic in the rows).
        Scoring costs O(max_samples * n_features) per row, the fit
        O(n_rows * max_samples * n_features). On the 33 ADBench sets the mean ROC-AUC with
        2,000 reference rows was 0.741 / 0.747 (split seeds 0 / 1), with every row (exact k-NN)
        0.735 / 0.743 (benchmarks/scaling).
    algorithm : {"auto", "brute", "kd_tree", "ball_tree"}, default="auto"
        Neighbour search of :class:`sklearn.neighbors.NearestNeighbors` ("auto": a k-d tree up
        to 15 features, brute force above, which is faster there).
    preprocessing : {"standard", "minmax"} or None, default="standard"
        Feature scaling fitted on the training rows.
    contamination : float in (0, 0.5] or None, default=None
        None: ``threshold_`` flags a new normal row with probability at most 1% (calibrated on
        rows the model was not fitted on, see :class:`genad.base.Detector`). A float: PyOD's
        rule, that fraction of the training scores lies above ``threshold_``.
    random_state : int, RandomState or None, default=None
        Seed for the calibration split and the reference sample.
    n_jobs : int or None, default=None
        Parallel jobs of the neighbour search.

    Attributes
    ----------
    k_ : int
        Neighbours used.
    model_ : sklearn.neighbors.NearestNeighbors
        Fitted on the reference rows (``model_.n_samples_fit_ <= max_samples``).
    threshold_ : float
        Rows with ``decision_function(X) > threshold_`` are predicted anomalous (1).
    decision_scores_, calibration_scores_, calibration_, n_features_in_, feature_names_in_
        See :class:`genad.base.Detector`.

    Examples
    --------
    >>> import numpy as np
    >>> from genad import KNN
    >>> X = np.random.default_rng(0).normal(size=(2000, 3))
    >>> det = KNN(max_samples=500, random_state=0).fit(X)
    >>> det.model_.n_samples_fit_, det.decision_scores_.shape
    (500, (2000,))
    >>> det.predict([[0.0, 0.0, 0.0], [6.0, 6.0, 6.0]]).tolist()
    [0, 1]

    Notes
    -----
    score(x) = distance (Euclidean, on the scaled features) from x to its k-th nearest reference
    row (or the mean of the k distances): higher means x is further from the training data. A
    training row that is itself a reference row is scored without its own zero distance.
    """

    _accept_sparse = True

    def __init__(self, n_neighbors=5, method="largest", preprocessing="standard",
                 contamination=None, random_state=None, n_jobs=None, max_samples=2000, algorithm="auto"):
        self.n_neighbors = n_neighbors
        self.method = method
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.max_samples = max_samples
        self.algorithm = algorithm

    def _fit(self, X):
        if self.method not in ("largest", "mean"):
            raise ValueError(f'method must be "largest" or "mean"; got {self.method!r}.')
        if self.algorithm not in ("auto", "brute", "kd_tree", "ball_tree"):
            raise ValueError(f'algorithm must be "auto", "brute", "kd_tree" or "ball_tree"; got {self.algorithm!r}.')
        k = self.n_neighbors
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"n_neighbors must be an integer >= 1; got {k!r}.")
        _check_max_samples(self.max_samples, 2)
        ref = _subsample_index(X.shape[0], self.max_samples, self._seed())
        X_ref = X if ref is None else X[ref]
        self.k_ = int(min(k, X_ref.shape[0] - 1))
        if self.k_ < 1:
            raise ValueError("KNN needs at least 2 training rows.")
        self.model_ = neighbors.NearestNeighbors(n_neighbors=self.k_, algorithm=self.algorithm,
                                                 n_jobs=self.n_jobs).fit(X_ref)
        self._reference_rows = ref  # read once by _score_training, right after this fit

    def _reduce(self, dist):
        return dist[:, -1] if self.method == "largest" else dist.mean(axis=1)

    def _score(self, X):
        return self._reduce(self.model_.kneighbors(X, n_neighbors=self.k_)[0])

    def _score_training(self, X):
        ref = self.__dict__.pop("_reference_rows", None)
        # each reference row is its own nearest neighbour: query those without it
        own = self._reduce(self.model_.kneighbors(n_neighbors=self.k_)[0])
        if ref is None:
            return own
        scores = np.empty(X.shape[0])
        rest = np.ones(X.shape[0], dtype=bool)
        rest[ref] = False
        scores[ref] = own
        scores[rest] = self._score(X[rest])
        return scores
