"""Helpers shared by the test modules (a unique module name: no clash with other conftest files)."""

from __future__ import annotations

import inspect


def exported_detectors():
    """Every point detector exported by genad (today's and every later one)."""
    import genad
    from genad.base import Detector

    out = []
    for name in genad.__all__:
        obj = getattr(genad, name, None)
        if inspect.isclass(obj) and issubclass(obj, Detector) and obj is not Detector and not inspect.isabstract(obj):
            if obj.__module__ == "genad.detectors.deep":
                continue
            out.append(obj)
    return out


def make_fast(cls, **extra):
    params = dict(getattr(cls, "_fast_params", {}))
    valid = cls().get_params(deep=False)
    if "random_state" in valid:
        params.setdefault("random_state", 0)
    params.update({k: v for k, v in extra.items() if k in valid})
    return cls(**params)


def training_data(cls, X, n_anomalies=10, seed=7):
    """``(X, y)`` to fit ``cls`` on: weakly supervised detectors (which need labelled anomalies)
    get ``n_anomalies`` far-away rows labelled 1 after the unlabelled rows of ``X``; the others
    get ``(X, None)``."""
    import numpy as np

    if not getattr(cls, "_learns_from_labels", False):
        return X, None
    arr = np.asarray(X, dtype=float)
    rng = np.random.default_rng(seed)
    extra = rng.normal(size=(n_anomalies, *arr.shape[1:])) * 0.5 + 7.0
    y = np.r_[np.full(len(arr), -1), np.ones(n_anomalies)].astype(int)
    if hasattr(X, "columns"):
        import pandas as pd

        return pd.concat([X, pd.DataFrame(extra, columns=X.columns)], ignore_index=True), y
    return np.concatenate([arr, extra]), y
