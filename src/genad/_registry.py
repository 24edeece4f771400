"""The detector classes :func:`genad.load` can rebuild, by ``module.Class`` name.

Every concrete detector class registers itself here when it is defined
(``Detector.__init_subclass__``); :mod:`genad.persistence` reads the registry without importing
the detector base, and imports the module a model file names only when that module is part of
genad.
"""

from __future__ import annotations

import importlib
import re

__all__ = ["register", "registered_detectors", "class_name", "is_registered", "detector_class"]

_REGISTRY: dict[str, type] = {}
_GENAD_MODULE = re.compile(r"genad(\.[A-Za-z_][A-Za-z0-9_]*)*")


def class_name(cls_or_obj) -> str:
    """``module.Class`` name of a class (or of an object's class)."""
    cls = cls_or_obj if isinstance(cls_or_obj, type) else type(cls_or_obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def register(cls: type) -> type:
    """Record a concrete detector class (names starting with ``_`` are bases, not recorded)."""
    if not cls.__name__.startswith("_"):
        _REGISTRY[class_name(cls)] = cls
    return cls


def registered_detectors() -> dict[str, type]:
    """Every concrete detector class, by ``module.Class`` name (used by :func:`genad.load`).

    The public API is imported lazily, so every public detector module is imported first."""
    importlib.import_module("genad")._import_all()
    return dict(_REGISTRY)


def is_registered(obj) -> bool:
    """Whether ``obj`` is an instance of a registered detector class (one a file can name)."""
    return _REGISTRY.get(class_name(obj)) is type(obj)


def detector_class(name: str) -> type:
    """The registered class called ``name``; a genad module that defines it is imported first
    if needed. ValueError for anything else."""
    module = name.rpartition(".")[0]
    if name not in _REGISTRY and _GENAD_MODULE.fullmatch(module):
        try:
            importlib.import_module(module)
        except ImportError:
            pass
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ValueError(f"the model file names class {name!r}, which is not a genad detector")
    return cls
