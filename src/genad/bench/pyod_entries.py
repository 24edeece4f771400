"""PyOD counterparts run side by side with genad's detectors (``with_pyod=True``).

Each entry builds a PyOD 3.x model with settings comparable to the genad detector of the same
family: the same scaling in front (done by :class:`~genad.bench.adapters.PyODDetector`, so PyOD's
own ``preprocessing`` is off), PyOD's default ``contamination=0.1`` for its threshold, and modest
epochs. ``AnoGAN`` optimises a latent code per test row, so it is the slowest by far; it is left
out of suites with large test sets unless asked for by name.
"""

from __future__ import annotations

from .adapters import PyODDetector
from .registry import Entry

__all__ = ["pyod_available", "pyod_version", "pyod_entries", "PYOD_NAMES"]

PYOD_NAMES = ["AutoEncoder", "VAE", "IForest", "OCSVM", "PCA", "KNN", "DeepSVDD", "AnoGAN", "ALAD"]
#: PyOD models that need labelled anomalies: only in the semi-supervised suites
PYOD_WEAK_NAMES = ["DevNet"]

#: epochs of the deep PyOD models per suite ("default" stays fast)
EPOCHS = {"default": 20, "ecg5000": 30, "ff12-kdd": 10, "adbench": 20, "mnist": 10, "cifar10": 10}
#: suites whose test sets make AnoGAN's per-row latent search too slow to include by default
ANOGAN_SLOW = {"ff12-kdd", "adbench", "mnist", "cifar10"}


def pyod_available() -> bool:
    try:
        import pyod  # noqa: F401
    except ImportError:
        return False
    return True


def pyod_version() -> str | None:
    try:
        import pyod
    except ImportError:
        return None
    return getattr(pyod, "__version__", "unknown")


def _makers(suite: str, seed: int) -> dict:
    from pyod.models.alad import ALAD
    from pyod.models.anogan import AnoGAN
    from pyod.models.auto_encoder import AutoEncoder
    from pyod.models.deep_svdd import DeepSVDD
    from pyod.models.devnet import DevNet
    from pyod.models.iforest import IForest
    from pyod.models.knn import KNN
    from pyod.models.ocsvm import OCSVM
    from pyod.models.pca import PCA
    from pyod.models.vae import VAE

    ep = EPOCHS.get(suite, 20)
    return {
        "AutoEncoder": lambda d: AutoEncoder(epoch_num=ep, batch_size=64, preprocessing=False, random_state=seed,
                                             verbose=0, device="cpu"),
        "VAE": lambda d: VAE(epoch_num=ep, batch_size=64, preprocessing=False, random_state=seed, verbose=0,
                             device="cpu", latent_dim=min(8, max(2, d // 4))),
        "IForest": lambda d: IForest(random_state=seed),
        "OCSVM": lambda d: OCSVM(nu=0.1, gamma="scale"),
        "PCA": lambda d: PCA(random_state=seed, standardization=False),
        "KNN": lambda d: KNN(n_neighbors=5),
        "DeepSVDD": lambda d: DeepSVDD(n_features=d, epochs=ep, batch_size=64, preprocessing=False, verbose=0,
                                       random_state=seed),
        "AnoGAN": lambda d: AnoGAN(epochs=ep, epochs_query=10, batch_size=64, preprocessing=False, verbose=0,
                                   device="cpu"),
        # the paper's schedule (PyOD's defaults: 50 epochs of 20 batches of 512)
        "DevNet": lambda d: DevNet(random_seed=seed, device="cpu"),
        "ALAD": lambda d: ALAD(epochs=ep, batch_size=64, preprocessing=False, verbose=0, device="cpu"),
    }


def _preprocessing(suite: str) -> str:
    return "minmax" if suite in ("ff12-kdd", "adbench") or suite.startswith("adbench-semi") else "standard"


def pyod_entries(suite: str) -> list[Entry]:
    """One entry per PyOD model for a point suite (none for group suites or without PyOD)."""
    from .suites import ADBENCH_SEMI, get_suite

    if not pyod_available() or get_suite(suite).kind != "point":
        return []
    out = []
    for name in PYOD_NAMES + (PYOD_WEAK_NAMES if suite in ADBENCH_SEMI else []):
        def factory(ds, seed, _name=name):
            make = _makers(suite, int(seed))[_name]
            return PyODDetector(make, preprocessing=_preprocessing(suite), name=f"pyod:{_name}", random_state=int(seed))

        slow = suite in ("mnist", "cifar10") or (name == "AnoGAN" and (suite in ANOGAN_SLOW or suite.startswith("adbench")))
        out.append(Entry(f"pyod:{name}", factory, suite, "point", slow, {"family": "pyod"}))
    return out
