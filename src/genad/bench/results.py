"""The one results format of every benchmark, and the recording API the scripts use.

Results JSON schema (``"schema": "genad-bench/2"``)
---------------------------------------------------
One file per run of a benchmark command; one record per dataset x detector x seed::

    {
      "schema": "genad-bench/2",                   required
      "suite": "ff12-kdd",                         required: harness suite or benchmark topic
      "title": "...", "description": "...",       optional
      "metrics": ["roc_auc"],                      optional: headline metrics (tables on docs/results.md;
                                                   default ["roc_auc"])
      "command": "PYTHONPATH=src python ...",      required: the exact command that produced the file
      "commit": "5456d86",                         required: git commit of the code (+ "-dirty" when
                                                   src/ or benchmarks/*.py had uncommitted changes)
      "machine": "2 CPU cores (...) ...",          required: machine line
      "date": "2026-11-25T14:00:00+00:00",         required: ISO date the run finished
      "environment": {...},                        optional: genad.bench.environment()
      "provenance": "...",                         optional: where a converted file came from
      "records": [                                 required
        {"dataset": "kdd99-ff12", "detector": "AutoEncoder", "seed": 0,     required
         "status": "ok", "error": null,                                     optional ("ok" if absent)
         "roc_auc": 0.95, "pr_auc": ..., "fit_seconds": ..., ...,          any numeric metrics
         "variant": "...", "params": {...},                                 optional
         "command": ..., "commit": ..., "machine": ..., "date": ...}      optional: override the file's
      ]
    }

A record's ``command``, ``commit``, ``machine`` and ``date`` default to the file's, so every record
carries all four (:func:`expand_records`). ``seed`` may be ``null`` for a measurement without one.

Recording from a script::

    from genad.bench import Recorder
    rec = Recorder("ff12", "benchmarks/ff12/results/ff12.json", metrics=["roc_auc"])
    for seed in range(5):
        det = AutoEncoder(random_state=seed)
        rec.measure(det, ds, dataset="kdd99-ff12", seed=seed)   # fit, score, evaluate, time
    rec.write()

or ``rec.add(dataset=..., detector=..., seed=..., roc_auc=...)`` for measurements of other kinds.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import numpy as np

__all__ = [
    "SCHEMA", "PROVENANCE_KEYS", "Recorder", "environment", "machine_line", "git_commit", "current_command",
    "json_safe", "flatten_numbers", "validate_result_json", "write_result_json", "expand_records", "load_result_json",
]

#: identifier of the results JSON format
SCHEMA = "genad-bench/2"
#: per-record provenance: each record has them, from the file when not its own
PROVENANCE_KEYS = ("command", "commit", "machine", "date")
_REQUIRED = ("schema", "suite", "records")
_REQUIRED_RECORD = ("dataset", "detector", "seed")


# ----------------------------------------------------------------------------- environment
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict:
    """Versions, CPU count, torch threads and device of this process."""
    import sklearn

    from .. import __version__
    from .pyod_entries import pyod_version

    env: dict[str, Any] = {
        "genad": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "pyod": pyod_version(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
    }
    try:
        env["cpu_affinity"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        pass
    try:
        import torch

        env["torch"] = torch.__version__
        env["torch_threads"] = torch.get_num_threads()
        env["device"] = f"cuda ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "cpu"
    except ImportError:
        env["torch"] = None
        env["device"] = "cpu"
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        env["memory_gb"] = round(kb / 1024**2, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        env["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        pass
    return env


def machine_line(env: dict) -> str:
    """One line describing the machine of :func:`environment` (and its ``note``)."""
    mem = f", {env['memory_gb']} GB RAM" if env.get("memory_gb") else ""
    cpus = env.get("cpu_affinity") or env.get("cpu_count")
    return (f"{cpus} CPU cores ({env.get('cpu_model', '?')}){mem}, device {env.get('device', 'cpu')}, "
            f"torch threads {env.get('torch_threads', '?')}; Python {env.get('python')}, torch {env.get('torch')}, "
            f"scikit-learn {env.get('scikit-learn')}, pyod {env.get('pyod')}, genad {env.get('genad')}"
            + (f" ({env['note']})" if env.get("note") else ""))


def git_commit(root: Path | str | None = None) -> str:
    """Short commit of the checkout holding genad (``-dirty`` when code under src/ or
    benchmarks/ -- a Python file, or any file under src/ -- has uncommitted changes; result
    files and notes that a run writes or that are edited beside it do not count);
    ``"unknown"`` outside a git checkout."""
    root = Path(root) if root is not None else Path(__file__).resolve().parents[3]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=20).stdout.strip()
        if not head:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", ":(glob)benchmarks/**/*.py"],
                               cwd=root, capture_output=True, text=True, timeout=20).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def current_command() -> str:
    """The command line of this process as it can be re-typed from the repository root."""
    argv = list(sys.argv)
    if argv and argv[0].endswith(".py"):
        try:
            argv[0] = Path(argv[0]).resolve().relative_to(Path.cwd()).as_posix()
        except ValueError:
            pass
        prefix = "PYTHONPATH=src python "
    elif argv and argv[0] == "-c":
        return "python -c ..."
    else:
        prefix = ""
    return prefix + " ".join(shlex.quote(a) for a in argv)


def json_safe(v: Any) -> Any:
    """``v`` with numpy scalars / arrays turned into JSON values and non-finite floats into None."""
    if isinstance(v, dict):
        return {str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, np.ndarray):
        return json_safe(v.tolist())
    if v is None or isinstance(v, (str, int, bool)):
        return v
    return repr(v)


def flatten_numbers(d: dict, prefix: str = "") -> dict:
    """The numbers of a nested dict under dotted keys (``{"a": {"b": 1}}`` -> ``{"a.b": 1}``), for
    recording a measurement that is not one number per dataset and detector."""
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten_numbers(v, key + "."))
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            out[key] = v
    return out


# ----------------------------------------------------------------------------- schema
def validate_result_json(doc: Any, where: str = "results JSON") -> dict:
    """Check ``doc`` follows the genad-bench/2 schema; return it or raise ValueError."""
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(doc).__name__}.")
    missing = [k for k in _REQUIRED if k not in doc]
    if missing:
        raise ValueError(f"{where}: missing key(s) {missing}; see genad.bench.results for the schema.")
    if doc["schema"] != SCHEMA:
        raise ValueError(f"{where}: schema is {doc['schema']!r}, expected {SCHEMA!r} "
                         f"(older files: benchmarks/convert_results.py).")
    if not isinstance(doc["records"], list) or not doc["records"]:
        raise ValueError(f"{where}: records must be a non-empty list.")
    for i, r in enumerate(doc["records"]):
        if not isinstance(r, dict):
            raise ValueError(f"{where}: record {i} is not an object.")
        lacking = [k for k in _REQUIRED_RECORD if k not in r]
        lacking += [k for k in PROVENANCE_KEYS if not (r.get(k) or doc.get(k))]
        if lacking:
            raise ValueError(f"{where}: record {i} ({r.get('dataset')}, {r.get('detector')}) lacks {lacking}.")
    return doc


def expand_records(doc: dict) -> list[dict]:
    """The records of ``doc``, each with its command, commit, machine and date filled in."""
    return [{**{k: doc.get(k) for k in PROVENANCE_KEYS}, **{k: v for k, v in r.items() if v is not None or
                                                            k not in PROVENANCE_KEYS}} for r in doc["records"]]


def load_result_json(path) -> dict:
    """Read and validate a results file."""
    return validate_result_json(json.loads(Path(path).read_text()), str(path))


def write_result_json(path, doc: dict) -> Path:
    """Validate ``doc`` and write it atomically (indented; non-finite numbers become null)."""
    doc = json_safe(doc)
    validate_result_json(doc, str(path))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    os.replace(tmp, path)
    return path


# ----------------------------------------------------------------------------- recorder
class Recorder:
    """Collect records of one benchmark command and write them as one results file.

    Parameters
    ----------
    suite : topic name (``"ff12"``, ``"seq-speed"``...), shown on the results page.
    path : the results file to write.
    metrics : headline metrics of the topic (tables on the results page), default ``["roc_auc"]``.
    title, description : text for the results page.
    command : the command to record (default: this process's command line).
    machine_note : free text stored with the machine line (``"shared with other work"``).
    """

    def __init__(self, suite: str, path, *, metrics: Iterable[str] = ("roc_auc",), title: str = "",
                 description: str = "", command: str | None = None, machine_note: str | None = None,
                 **extra):
        self.suite = suite
        self.path = Path(path)
        self.metrics = list(metrics)
        self.title = title
        self.description = description
        self.command = command or current_command()
        self.environment = environment()
        if machine_note:
            self.environment["note"] = machine_note
        self.commit = git_commit()
        self.started = datetime.now(timezone.utc)
        self.records: list[dict] = []
        self.extra = extra

    def resume(self) -> list[dict]:
        """Keep the records already in :attr:`path` (each with its own command, commit, machine and
        date) so that this run adds to them; returns them (to skip what is recorded)."""
        if not self.path.exists():
            return []
        kept = expand_records(load_result_json(self.path))
        self.records[:0] = kept
        return kept

    def add(self, *, dataset: str, detector: str, seed: int | None, status: str = "ok", **values) -> dict:
        """Record one measurement (any numeric metrics, ``variant``, ``params``, ``error``)."""
        rec = {"dataset": str(dataset), "detector": str(detector), "seed": None if seed is None else int(seed),
               "status": status, **values}
        self.records.append(json_safe(rec))
        return self.records[-1]

    def measure(self, detector, ds, *, dataset: str, seed: int | None, name: str | None = None,
                X_train=None, X_test=None, y_test=None, y_train=None, **extra) -> dict:
        """Fit ``detector`` on ``ds.X_train`` (with labels ``y_train`` when given: 1 known
        anomaly, 0 known normal, -1 unlabelled), score ``ds.X_test`` and record what the harness
        records (ROC-AUC, PR-AUC, metrics at ``threshold_``, oracle F1, timings, parameters).
        A failure is recorded with its error and re-raised only for ``KeyboardInterrupt``."""
        from ..metrics import evaluate

        X_train = ds.X_train if X_train is None else X_train
        X_test = ds.X_test if X_test is None else X_test
        y_test = ds.y_test if y_test is None else y_test
        name = name or type(detector).__name__
        try:
            params = _params(detector)
            t0 = time.perf_counter()
            if y_train is None:
                detector.fit(X_train)
            else:
                detector.fit(X_train, y_train)
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            s = np.asarray(detector.decision_function(X_test), dtype=np.float64).ravel()
            score_s = time.perf_counter() - t0
            thr = getattr(detector, "threshold_", None)
            m = evaluate(y_test, s, threshold=None if thr is None else float(thr))
            oracle = {k: v for k, v in evaluate(y_test, s).items() if k.startswith("oracle_")}
            m = {k: v for k, v in {**m, **oracle}.items() if k not in ("n", "n_anomalies")}
            n_par = detector.n_parameters() if hasattr(detector, "n_parameters") else None
            return self.add(dataset=dataset, detector=name, seed=seed, **m, fit_seconds=fit_s,
                            score_seconds=score_s, score_rows_per_s=len(s) / max(score_s, 1e-9),
                            n_train=len(X_train), n_test=len(X_test), n_parameters=n_par, params=params, **extra)
        except Exception as exc:  # recorded, the benchmark goes on
            return self.add(dataset=dataset, detector=name, seed=seed, status="error",
                            error=f"{type(exc).__name__}: {exc}", **extra)

    def document(self) -> dict:
        return {
            "schema": SCHEMA, "suite": self.suite, "title": self.title, "description": self.description,
            "metrics": self.metrics, "command": self.command, "commit": self.commit,
            "machine": machine_line(self.environment),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "started": self.started.isoformat(timespec="seconds"), "environment": self.environment,
            **self.extra, "records": self.records,
        }

    def write(self) -> Path:
        """Write the results file (call again to rewrite it with more records)."""
        return write_result_json(self.path, self.document())


def _params(det) -> dict:
    try:
        params = det.get_params(deep=False)
    except Exception:
        return {}
    out = {}
    for k, v in params.items():
        if k == "callbacks":
            continue
        if hasattr(v, "get_params"):
            out[k] = {"class": type(v).__name__, **_params(v)}
        else:
            out[k] = json_safe(v)
    return out
