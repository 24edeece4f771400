"""genad: deep anomaly detection with generative models.

Every detector follows one contract (:class:`genad.base.Detector`): ``fit(X)``,
``decision_function(X)`` (higher = more anomalous), ``predict``, ``p_values``,
``set_threshold``, ``save`` and :func:`genad.load`.
"""

__version__ = "0.1.0"

from .base import Detector
from .detectors.classic import GMM, KDE, KNN, OCSVM, PCA, IsolationForest
from .detectors.autoencoder import AutoEncoder
from .detectors.vae import VAE
from .detectors.aae import AdversarialAutoEncoder
from .metrics import evaluate
from .persistence import load

__all__ = [
    "Detector",
    "load",
    "evaluate",
    "PCA",
    "OCSVM",
    "IsolationForest",
    "KDE",
    "GMM",
    "KNN",
    "AutoEncoder",
    "VAE",
    "AdversarialAutoEncoder",
]
