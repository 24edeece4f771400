"""Benchmark registrations of the classic detectors (PCA, OCSVM, IsolationForest, KDE, GMM, KNN).

They live here rather than at the bottom of ``detectors/classic.py`` so that the classic module
stays a plain set of estimators; :func:`genad.bench.registry.load_all` imports this module, so
``entries(suite)`` always lists them.

Settings per suite:

* ``default``, ``ecg5000``: library defaults (standard scaling).
* ``ff12-kdd``: ``preprocessing="minmax"`` (FF12 protocol: min-max scaler fitted on the training rows);
  ``PCA(report)`` and ``OCSVM(report)``: the report's settings
  (:data:`~genad.bench.protocols.FF12_REPORT`: 2 components; nu 0.01, gamma 0.5).
* ``adbench``: ``preprocessing="minmax"`` (ADBench scales features to [0, 1]).
* In both, to bound CPU time, KDE keeps 2,000 kernel centres and GMM chooses 1-3 components by
  BIC (a single Gaussian above 100 features, where several full covariances are too costly).
* ``mnist`` / ``cifar10`` (slow): images flattened by :class:`genad.bench.adapters.Flattened`;
  PCA and IsolationForest on raw pixels, KNN on 64 principal components, KDE / OCSVM / GMM on 32
  principal components (density and kernel methods on PCA features, as image papers do).
"""

from __future__ import annotations

from ..detectors.classic import GMM, KDE, KNN, OCSVM, PCA, IsolationForest
from .adapters import Flattened
from .protocols import FF12_REPORT
from .registrations import Registrations
from .suites import ADBENCH_SEMI

__all__ = ["CLASSIC", "IMAGE_PCA_COMPONENTS", "KDE_CENTRES", "GMM_MAX_COMPONENTS"]

#: the registrations of this module; genad.bench.registry.load_all adds them to the suites
register = Registrations()

CLASSIC = {"PCA": PCA, "OCSVM": OCSVM, "IsolationForest": IsolationForest, "KDE": KDE, "GMM": GMM, "KNN": KNN}

#: CPU caps for ff12-kdd and adbench: kernel centres kept by KDE; BIC search range of GMM
#: (a single Gaussian above 100 features)
KDE_CENTRES = 2000
GMM_MAX_COMPONENTS = 3

#: principal components kept before each classic detector on flattened images (None = raw pixels)
IMAGE_PCA_COMPONENTS = {"PCA": None, "IsolationForest": None, "KNN": 64, "KDE": 32, "OCSVM": 32, "GMM": 32}


def _plain(cls):
    return lambda ds, seed: cls(random_state=seed)


def _image(cls, name):
    k = IMAGE_PCA_COMPONENTS[name]

    def factory(ds, seed):
        return Flattened(cls(random_state=seed), n_components=k, random_state=seed)

    return factory


def _capped(cls, name):
    """ff12-kdd / ADBench settings: min-max scaling; CPU caps on the two costliest classic models."""

    def factory(ds, seed):
        if name == "KDE":
            return KDE(max_samples=KDE_CENTRES, preprocessing="minmax", random_state=seed)
        if name == "GMM":
            d = int(ds.X_train.shape[1]) if ds is not None else 0
            k = GMM_MAX_COMPONENTS if d <= 100 else 1
            return GMM(max_components=k, preprocessing="minmax", random_state=seed)
        return cls(preprocessing="minmax", random_state=seed)

    return factory


# the FF12 report's settings beside genad's (ff12-kdd)
def _report(cls, name):
    return lambda ds, seed: cls(**FF12_REPORT[name], random_state=seed)


for _name in ("PCA", "OCSVM"):
    register(f"{_name}(report)", _report(CLASSIC[_name], _name), suites=["ff12-kdd"], family="classic")

for _name, _cls in CLASSIC.items():
    register(_name, _plain(_cls), suites=["default", "ecg5000"], family="classic")
    register(_name, _capped(_cls, _name), suites=["ff12-kdd", "adbench", *ADBENCH_SEMI], family="classic")
    register(_name, _image(_cls, _name), suites=["mnist", "cifar10"], slow=True, family="classic")
