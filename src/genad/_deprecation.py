"""Renamed hyper-parameters: the old name keeps working for one release, with a FutureWarning.

A detector lists its renames in the class dictionary ``_renamed_parameters`` (old -> new), keeps
the old name as a keyword-only ``__init__`` argument defaulting to None (scikit-learn's convention
for a deprecated parameter) and calls :func:`take_renamed`. The base classes (through
:class:`RenamedParameters`) leave old names out of ``get_params``, so ``clone``, ``GridSearchCV`` and saved models
only ever see the new name, and no attribute with the old name (which may shadow a method, as
``score`` did) is ever set. ``set_params`` translates old names the same way.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

__all__ = ["RenamedParameters", "take_renamed", "current_names", "current_param_names"]


def _renames(obj: Any) -> dict[str, str]:
    return dict(getattr(type(obj), "_renamed_parameters", {}) or {})


def current_names(obj: Any, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with every old name replaced by its new one (a FutureWarning per old name)."""
    renames = _renames(obj)
    out = {}
    for key, value in params.items():
        new = renames.get(key)
        if new is None:
            out[key] = value
            continue
        warnings.warn(
            f"{type(obj).__name__}: the parameter '{key}' was renamed '{new}'; '{key}' will stop "
            f"working in the next release. Pass {new}={value!r}.",
            FutureWarning,
            stacklevel=3,
        )
        out[new] = value
    return out


def take_renamed(obj: Any, **old: Any) -> None:
    """In ``__init__``: store each old-name argument that was given (not None) under its new name."""
    given = {k: v for k, v in old.items() if v is not None}
    for key, value in current_names(obj, given).items():
        setattr(obj, key, value)


def current_param_names(cls: type, names: list[str]) -> list[str]:
    """``names`` (from the ``__init__`` signature) without the old names of renamed parameters."""
    old = set(getattr(cls, "_renamed_parameters", {}) or {})
    return [n for n in names if n not in old]


class RenamedParameters:
    """Mixin (before ``BaseEstimator``): old names out of ``get_params``, translated by ``set_params``."""

    #: old hyper-parameter names accepted for one release: old -> new
    _renamed_parameters: ClassVar[dict] = {}

    def set_params(self, **params):
        return super().set_params(**current_names(self, params))

    @classmethod
    def _get_param_names(cls):
        return current_param_names(cls, super()._get_param_names())
