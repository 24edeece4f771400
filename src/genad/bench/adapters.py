"""Adapters that let any detector run on any suite's data, measured the same way.

* :class:`Flattened` -- a genad detector that flattens images or sequences to rows, optionally
  projects them onto their leading principal components (what papers do before KDE / OCSVM on
  images), and runs an inner genad detector on the result. It is itself a genad detector, so it
  is saved, sized and thresholded like any other.
* :class:`PyODDetector` -- wraps a PyOD model so the harness can report the same metrics. PyOD's
  ``decision_function`` is already higher = more anomalous; its ``threshold_`` comes from its
  ``contamination`` (PyOD's rule). PyOD models cannot be saved without pickle, so their model
  size is not measured.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from sklearn.base import clone
from sklearn.decomposition import PCA as _SkPCA

from ..base import Detector, Scaler

__all__ = ["Flattened", "PyODDetector", "count_model_parameters"]


class Flattened(Detector):
    """Flatten samples to rows (and optionally PCA-project them) before an inner detector.

    Parameters
    ----------
    detector : genad Detector
        Unfitted inner detector; it is cloned at fit time and does its own scaling.
    n_components : int or None
        Principal components kept after flattening (None: no projection). Capped at the number
        of training rows and features.
    random_state : int or None
    """

    _allow_nd = True

    def __init__(self, detector=None, n_components=None, preprocessing=None, contamination=None,
                 random_state=None):
        self.detector = detector
        self.n_components = n_components
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state

    def _rows(self, X: np.ndarray) -> np.ndarray:
        Z = X.reshape(len(X), -1)
        pca = getattr(self, "pca_", None)
        return pca.transform(Z) if pca is not None else Z

    def _fit(self, X):
        if self.detector is None or not isinstance(self.detector, Detector):
            raise ValueError("Flattened needs detector=<an unfitted genad detector>, for example genad.KDE().")
        Z = X.reshape(len(X), -1)
        if self.n_components is not None:
            k = int(min(int(self.n_components), Z.shape[0] - 1, Z.shape[1]))
            if k < 1:
                raise ValueError(f"n_components must be >= 1; got {self.n_components!r}.")
            self.pca_ = _SkPCA(n_components=k, svd_solver="randomized" if k < min(Z.shape) // 2 else "full",
                               random_state=self._seed()).fit(Z)
        elif hasattr(self, "pca_"):
            del self.pca_
        self.detector_ = clone(self.detector).fit(self._rows(X))

    def _score(self, X):
        return self.detector_.decision_function(self._rows(X))


def count_model_parameters(model: Any) -> int:
    """Learned parameters of a PyOD model: torch weights and float arrays of fitted attributes."""
    from ..persistence import count_learned

    return count_learned(model, roots=("pyod", "sklearn"))


class PyODDetector:
    """A PyOD model behind the harness's interface (fit / decision_function / threshold_).

    Parameters
    ----------
    make : callable(n_features) -> unfitted PyOD model
    preprocessing : "standard", "minmax" or None
        Scaling fitted on the training rows before the model (the same choices genad detectors
        use), so the PyOD model sees the same inputs as its genad counterpart.
    random_state : int or None
        Seeds torch and numpy's global generators before fitting (several PyOD models take no seed).
    """

    def __init__(self, make: Callable[[int], Any], preprocessing: str | None = "standard", name: str = "pyod",
                 random_state: int | None = None):
        self.make = make
        self.preprocessing = preprocessing
        self.name = name
        self.random_state = random_state

    def _rows(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        return np.ascontiguousarray(X.reshape(len(X), -1))

    def fit(self, X, y=None):
        Z = self._rows(X)
        self.scaler_ = Scaler(self.preprocessing).fit(Z)
        Z = self.scaler_.transform(Z)
        if self.random_state is not None:  # PyOD's GAN models take no seed: seed the global generators
            import torch

            torch.manual_seed(int(self.random_state))
            np.random.seed(int(self.random_state))
        self.model_ = self.make(Z.shape[1])
        if y is None:
            self.model_.fit(Z)
        else:  # PyOD's labels: 1 known anomaly, 0 anything else (unsupervised models ignore them)
            self.model_.fit(Z, (np.asarray(y) == 1).astype(np.int64))
        self.threshold_ = float(self.model_.threshold_)
        self.threshold_rule_ = f"pyod contamination={getattr(self.model_, 'contamination', None)}"
        self.decision_scores_ = np.asarray(self.model_.decision_scores_, dtype=np.float64)
        hist = {k[len("hist_"):]: [float(v) for v in getattr(self.model_, k)]
                for k in vars(self.model_) if k.startswith("hist_loss") and len(getattr(self.model_, k))}
        if hist:
            self.history_ = hist
        return self

    def decision_function(self, X) -> np.ndarray:
        Z = self.scaler_.transform(self._rows(X))
        return np.asarray(self.model_.decision_function(Z), dtype=np.float64).ravel()

    def n_parameters(self) -> int:
        return count_model_parameters(self.model_)

    def get_params(self, deep: bool = False) -> dict:
        m = self.make(2) if not hasattr(self, "model_") else self.model_
        try:
            params = m.get_params(deep=False)
        except Exception:
            params = {}
        return {"pyod_class": type(m).__name__, "preprocessing": self.preprocessing,
                **{k: v for k, v in params.items() if isinstance(v, (int, float, str, bool, type(None), list, tuple))}}
