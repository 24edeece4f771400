"""Benchmark harness: every detector measured the same way on the same splits.

>>> import genad.bench as bench
>>> res = bench.run_suite("default", seeds=3)          # doctest: +SKIP
>>> res.frame.groupby("detector").roc_auc.mean()       # doctest: +SKIP

Detectors join a suite through the entries modules of this package (``deep_entries``,
``classic_entries``, ``group_entries``, which call :func:`genad.bench.registry.register`); protocol
settings are in :mod:`genad.bench.protocols`; the suites and their datasets in :data:`SUITES`;
published numbers in :mod:`genad.bench.references`.
Every benchmark records through :mod:`genad.bench.results` (:class:`Recorder`, schema
``genad-bench/2``); ``write_results_page()`` (``python -m genad.bench.page``) regenerates
``docs/results.md`` from every results file under ``benchmarks/``.

Importing this package stays light; the entries (and with them the detectors), the runner and
the report load on first use.
"""

from importlib import import_module

from . import references
from .registry import Entry, entries, register
from .suites import SUITES, DatasetSpec, Suite, get_suite

_LAZY = {
    "run_suite": "runner", "BenchResult": "runner", "RECORD_COLUMNS": "runner",
    "SCHEMA": "results", "Recorder": "results", "environment": "results", "machine_line": "results",
    "git_commit": "results", "write_result_json": "results", "validate_result_json": "results",
    "load_result_json": "results", "expand_records": "results",
    "write_results_page": "report", "summary_markdown": "report", "reading": "report", "compact_table": "report",
    "bench_report": "report",
    "Flattened": "adapters", "PyODDetector": "adapters",
}

__all__ = [
    "BenchResult",
    "DatasetSpec",
    "Entry",
    "Flattened",
    "PyODDetector",
    "RECORD_COLUMNS",
    "Recorder",
    "SCHEMA",
    "SUITES",
    "Suite",
    "bench_report",
    "compact_table",
    "entries",
    "environment",
    "expand_records",
    "get_suite",
    "git_commit",
    "load_result_json",
    "machine_line",
    "reading",
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
