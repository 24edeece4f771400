"""genad: deep anomaly detection with generative models.

Every detector follows one contract (:class:`genad.base.Detector`): ``fit(X)``,
``decision_function(X)`` (higher = more anomalous), ``predict``, ``p_values``,
``set_threshold``, ``save`` and :func:`genad.load`.

The names below are imported on first use, so ``import genad`` (and ``genad --help``) does not
load torch or scikit-learn until a detector is needed.
"""

from importlib import import_module

from ._version import __version__

#: public name -> module that defines it
_EXPORTS = {
    "Detector": ".base",
    "load": ".persistence",
    "evaluate": ".metrics",
    "PCA": ".detectors.classic",
    "OCSVM": ".detectors.classic",
    "IsolationForest": ".detectors.classic",
    "KDE": ".detectors.classic",
    "GMM": ".detectors.classic",
    "KNN": ".detectors.classic",
    "AutoEncoder": ".detectors.autoencoder",
    "VAE": ".detectors.vae",
    "AdversarialAutoEncoder": ".detectors.aae",
    "ADGAN": ".detectors.adgan",
    "AnoGAN": ".detectors.anogan",
    "BiGAN": ".detectors.bigan",
    "GANomaly": ".detectors.ganomaly",
    "Seq2Seq": ".detectors.seq2seq",
    "DeepSVDD": ".detectors.deep_svdd",
    "DeepSAD": ".detectors.deep_sad",
    "DevNet": ".detectors.devnet",
    "DAGMM": ".detectors.dagmm",
    "REPEN": ".detectors.repen",
    "ICL": ".detectors.icl",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name == "group":  # genad.group: group detectors
        return import_module(".group", __name__)
    if name not in _EXPORTS:
        raise AttributeError(f"module 'genad' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | {"group"})


def _import_all() -> None:
    """Import every public detector and group detector (registers them for :func:`genad.load`
    and the benchmark suites)."""
    for name in __all__:
        __getattr__(name)
    import_module(".group", __name__)
