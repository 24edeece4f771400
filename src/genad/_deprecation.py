"""Renamed hyper-parameters: the old name keeps working for one release, with a FutureWarning.

A detector lists its renames in the class dictionary ``_renamed_parameters`` (old -> new), takes
``**renamed`` as the last ``__init__`` argument and calls :func:`take_renamed`. scikit-learn's
``get_params`` leaves ``**`` arguments out, so ``clone``, ``GridSearchCV`` and saved models only
ever see the new name, and no attribute with the old name (which may shadow a method, as
``score`` did) is ever set. ``set_params`` translates old names the same way.
"""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["take_renamed", "current_names"]


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


def take_renamed(obj: Any, renamed: dict[str, Any]) -> None:
    """Store ``__init__``'s ``**renamed`` arguments under their new names (old names only)."""
    unknown = [k for k in renamed if k not in _renames(obj)]
    if unknown:
        raise TypeError(f"{type(obj).__name__}.__init__() got an unexpected keyword argument {unknown[0]!r}")
    for key, value in current_names(obj, renamed).items():
        setattr(obj, key, value)
