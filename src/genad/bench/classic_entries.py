"""Benchmark registrations of the classic detectors (PCA, OCSVM, IsolationForest, KDE, GMM, KNN).

They live here rather than at the bottom of ``detectors/classic.py`` so that the classic module
stays a plain set of estimators; :func:`genad.bench.registry.load_all` imports this module, so
``entries(suite)`` always lists them.

Settings per suite:

* ``default``, ``ecg5000``: library defaults (standard scaling).
* ``ff12-kdd``: ``preprocessing="minmax"`` (FF12 protocol: min-max scaler fitted on the training rows).
* ``adbench``: ``preprocessing="minmax"`` (ADBench scales features to [0, 1]).
* ``mnist`` / ``cifar10`` (slow): images flattened by :class:`genad.bench.adapters.Flattened`;
  PCA and IsolationForest on raw pixels, KNN on 64 principal components, KDE / OCSVM / GMM on 32
  principal components (density and kernel methods on PCA features, as image papers do).
"""

from __future__ import annotations

from ..detectors.classic import GMM, KDE, KNN, OCSVM, PCA, IsolationForest
from .adapters import Flattened
from .registry import register

__all__ = ["CLASSIC", "IMAGE_PCA_COMPONENTS"]

CLASSIC = {"PCA": PCA, "OCSVM": OCSVM, "IsolationForest": IsolationForest, "KDE": KDE, "GMM": GMM, "KNN": KNN}

#: principal components kept before each classic detector on flattened images (None = raw pixels)
IMAGE_PCA_COMPONENTS = {"PCA": None, "IsolationForest": None, "KNN": 64, "KDE": 32, "OCSVM": 32, "GMM": 32}


def _plain(cls):
    return lambda ds, seed: cls(random_state=seed)


def _minmax(cls):
    return lambda ds, seed: cls(preprocessing="minmax", random_state=seed)


def _image(cls, name):
    k = IMAGE_PCA_COMPONENTS[name]

    def factory(ds, seed):
        return Flattened(cls(random_state=seed), n_components=k, random_state=seed)

    return factory


for _name, _cls in CLASSIC.items():
    register(_name, _plain(_cls), suites=["default", "ecg5000"], family="classic")
    register(_name, _minmax(_cls), suites=["ff12-kdd", "adbench"], family="classic")
    register(_name, _image(_cls, _name), suites=["mnist", "cifar10"], slow=True, family="classic")
