"""Benchmark registry: detectors join benchmark suites by registering here.

A detector module registers a factory for each suite it belongs to::

    from genad.bench.registry import register
    register("AutoEncoder", lambda ds, seed: AutoEncoder(random_state=seed), suites=["default", "adbench"])

``factory(dataset, seed)`` gets the loaded :class:`genad.datasets.Dataset` (so it can adapt to
the input shape or a protocol) and the seed, and returns an unfitted detector. This module
imports nothing from the detectors, so any module can import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

__all__ = ["Entry", "register", "entries", "load_all", "suites_of"]


@dataclass
class Entry:
    name: str
    factory: Callable[[Any, int], Any]
    suite: str
    kind: str = "point"  # "point" or "group"
    slow: bool = False  # heavy on the CPU: run only when asked for by name or with --all
    meta: dict = field(default_factory=dict)


_ENTRIES: dict[str, dict[str, Entry]] = {}


def register(name: str, factory: Callable[[Any, int], Any], suites: str | Iterable[str] = ("default",), *,
             kind: str = "point", slow: bool = False, **meta) -> None:
    """Add ``name`` to each suite; registering the same name again replaces it."""
    if kind not in ("point", "group"):
        raise ValueError(f'kind must be "point" or "group"; got {kind!r}.')
    for s in [suites] if isinstance(suites, str) else list(suites):
        _ENTRIES.setdefault(s, {})[name] = Entry(name, factory, s, kind, slow, dict(meta))


def load_all() -> None:
    """Import every genad module that registers detectors."""
    import importlib

    importlib.import_module("genad")._import_all()  # the public API is imported lazily
    for mod in ("genad.group", "genad.bench.classic_entries"):
        try:
            importlib.import_module(mod)
        except ImportError:
            pass


def entries(suite: str) -> list[Entry]:
    """Registered entries of ``suite`` in registration order."""
    load_all()
    return list(_ENTRIES.get(suite, {}).values())


def suites_of(name: str) -> list[str]:
    load_all()
    return [s for s, es in _ENTRIES.items() if name in es]
