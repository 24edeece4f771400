"""What an entries module fills: the detectors it registers, collected without touching the registry.

An entries module (``deep_entries``, ``classic_entries``, ``group_entries``) writes::

    register = Registrations()
    register("AutoEncoder", lambda ds, seed: AutoEncoder(random_state=seed), suites=["adbench"])

and :func:`genad.bench.registry.load_all` adds every collected call to the suites, so the entries
modules and the registry do not import each other.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

__all__ = ["Registrations"]


class Registrations(list):
    """A list of ``(name, factory, suites, options)``; calling it appends one registration with
    the arguments of :func:`genad.bench.registry.register`."""

    def __call__(self, name: str, factory: Callable[[Any, int], Any], suites: str | Iterable[str] = ("default",),
                 **options) -> None:
        self.append((name, factory, [suites] if isinstance(suites, str) else list(suites), options))
