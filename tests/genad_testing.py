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
            if obj.__module__.startswith("genad.detectors.deep"):
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
