"""Benchmark harness: every detector measured the same way on the same splits.

>>> import genad.bench as bench
>>> res = bench.run_suite("default", seeds=3)          # doctest: +SKIP
>>> res.frame.groupby("detector").roc_auc.mean()       # doctest: +SKIP

Detectors join a suite by registering (:func:`genad.bench.registry.register`); the suites and
their datasets are in :data:`SUITES`; published numbers in :mod:`genad.bench.references`.
``write_results_page()`` regenerates ``docs/results.md`` from recorded result JSON files.
"""

from . import references
from .registry import Entry, entries, register
from .runner import RECORD_COLUMNS, SCHEMA, BenchResult, environment, run_suite
from .suites import SUITES, DatasetSpec, Suite, get_suite
from .report import summary_markdown, validate_result_json, write_result_json, write_results_page
from . import classic_entries  # noqa: F401  (registers the classic detectors)

__all__ = [
    "BenchResult",
    "DatasetSpec",
    "Entry",
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
