"""The small, fast settings scikit-learn's estimator checks run each detector with.

Shared by ``tests/test_sklearn_checks.py`` and ``benchmarks/sklearn_checks/run.py`` so that the
counts the benchmark prints are those of the test run.
"""

from __future__ import annotations

import inspect

#: per class, on top of the class's own ``_fast_params``: fewer trees, components, search steps
SMALL = {
    "IsolationForest": {"n_estimators": 20},
    "GMM": {"n_components": 2},
    "KDE": {"bandwidth": 0.5},
    "AnoGAN": {"epochs": 1, "search_steps": 2},
    "ADGAN": {"epochs": 1, "search_steps": 1, "n_seeds": 2},
    "BiGAN": {"epochs": 1},
    "GANomaly": {"epochs": 1},
    "AdversarialAutoEncoder": {"epochs": 1},
    "AutoEncoder": {"epochs": 2},
    "VAE": {"epochs": 2},
    "Seq2Seq": {"epochs": 1},
    "DAGMM": {"epochs": 2},
    "REPEN": {"epochs": 2},
    "GroupAAE": {"epochs": 1},
    "GroupVAE": {"epochs": 1},
}


def detector_classes():
    """Every public point detector (genad.__all__) and group detector (genad.group.__all__)."""
    import genad
    import genad.group
    from genad.base import Detector
    from genad.group import GroupDetector

    out = []
    for mod in (genad, genad.group):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if (inspect.isclass(obj) and issubclass(obj, (Detector, GroupDetector))
                    and obj not in (Detector, GroupDetector) and not inspect.isabstract(obj)):
                out.append(obj)
    return out


def check_instance(cls):
    """``cls`` with its fast settings, seeded."""
    params = dict(getattr(cls, "_fast_params", {}))
    params.update(SMALL.get(cls.__name__, {}))
    valid = cls().get_params(deep=False)
    if "random_state" in valid:
        params.setdefault("random_state", 0)
    return cls(**{k: v for k, v in params.items() if k in valid})
