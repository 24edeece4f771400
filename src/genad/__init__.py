"""genad: deep anomaly detection with generative models.

Every detector follows one contract (:class:`genad.base.Detector`): ``fit(X)``,
``decision_function(X)`` (higher = more anomalous), ``predict``, ``p_values``,
``set_threshold``, ``save`` and :func:`genad.load`.
"""

from ._version import __version__

from .base import Detector
from .detectors.adgan import ADGAN
from .detectors.anogan import AnoGAN
from .detectors.bigan import BiGAN
from .detectors.classic import GMM, KDE, KNN, OCSVM, PCA, IsolationForest
from .detectors.ganomaly import GANomaly
from .detectors.seq2seq import Seq2Seq
from .detectors.autoencoder import AutoEncoder
from .detectors.vae import VAE
from .detectors.aae import AdversarialAutoEncoder
from .metrics import evaluate
from .persistence import load
from . import group  # noqa: E402  (genad.group: group detectors, registered for genad.load)

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
    "ADGAN",
    "AnoGAN",
    "BiGAN",
    "GANomaly",
    "Seq2Seq",
]
