"""Benchmark harness: every detector measured the same way on the same splits.

>>> import genad.bench as bench
>>> res = bench.run_suite("default", seeds=3)          # doctest: +SKIP
>>> res.frame.groupby("detector").roc_auc.mean()       # doctest: +SKIP

Detectors join a suite through the entries modules of this package (``deep_entries``,
``classic_entries``, ``group_entries``, which call :func:`genad.bench.registry.register`); protocol
settings are in :mod:`genad.bench.protocols`; the suites and their datasets in :data:`SUITES`;
published numbers in :mod:`genad.bench.references`.
``write_results_page()`` regenerates ``docs/results.md`` from recorded result JSON files.

Importing this package stays light; the entries (and with them the detectors), the runner and
the report load on first use.
"""

from importlib import import_module

from . import references
from .registry import Entry, entries, register
from .suites import SUITES, DatasetSpec, Suite, get_suite

_LAZY = {
    "run_suite": "runner", "BenchResult": "runner", "RECORD_COLUMNS": "runner", "SCHEMA": "runner",
    "environment": "runner",
    "write_results_page": "report", "write_result_json": "report", "validate_result_json": "report",
    "summary_markdown": "report",
    "Flattened": "adapters", "PyODDetector": "adapters",
}

__all__ = [
    "BenchResult",
    "DatasetSpec",
    "Entry",
    "Flattened",
    "PyODDetector",
    "RECORD_COLUMNS",
    "SCHEMA",
    "SUITES",
    "Suite",
    "entries",
    "environment",
    "get_suite",
    "references",
    "register",
    "run_suite",
    "summary_markdown",
    "validate_result_json",
    "write_result_json",
    "write_results_page",
]


def __getattr__(name):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'genad.bench' has no attribute {name!r}")
    value = getattr(import_module(f".{mod}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
