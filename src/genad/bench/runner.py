"""Run a benchmark suite: every registered detector x every dataset x every seed, measured alike.

For each run the harness records ranking metrics (ROC-AUC, PR-AUC), decision metrics at the
detector's own threshold (``threshold_``, chosen at fit time without test labels), the *oracle*
best-F1 decision metrics (threshold picked on the test labels: optimistic, prefixed ``oracle_``),
fit and scoring seconds, scoring rows per second, parameter count, model file size and the
training curves when the detector keeps ``history_``. A failing detector is recorded with its
error and the run goes on.
"""

from __future__ import annotations

import hashlib
import time
import traceback
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..metrics import evaluate
from . import registry
from .results import SCHEMA, _params, environment, git_commit, json_safe, machine_line
from .suites import Suite, get_suite

__all__ = ["BenchResult", "run_suite", "RECORD_COLUMNS", "environment", "SCHEMA"]

RECORD_COLUMNS = [
    "suite", "dataset", "detector", "seed", "kind", "status", "error",
    "roc_auc", "pr_auc",
    "threshold", "threshold_rule", "precision", "recall", "f1", "f2", "fpr", "accuracy", "tp", "fp", "tn", "fn",
    "oracle_threshold", "oracle_precision", "oracle_recall", "oracle_f1",
    "fit_seconds", "score_seconds", "score_rows_per_s", "fit_rows_per_s",
    "n_train", "n_test", "n_test_anomalies", "n_features", "n_parameters", "model_bytes",
    "epochs", "split_hash",
]


@dataclass
class BenchResult:
    """What :func:`run_suite` measured.

    records : one dict per (dataset, detector, seed) with the :data:`RECORD_COLUMNS` (plus
        ``params``, ``history``, ``warnings`` and ``traceback`` kept in the JSON only).
    out_dir : folder the files were written to (None when nothing was written).
    files : paths written (results.csv, results.json, summary.md, plots).
    """

    suite: str
    description: str
    records: list[dict]
    environment: dict
    command: str
    options: dict
    datasets: list[dict]
    started: str
    finished: str
    wall_seconds: float
    out_dir: Path | None = None
    files: list[Path] = field(default_factory=list)
    scores: dict = field(default_factory=dict, repr=False)  # (dataset, detector) -> (y, s, threshold), first seed
    commit: str = "unknown"

    @property
    def frame(self):
        """The records as a pandas DataFrame with :data:`RECORD_COLUMNS`."""
        import pandas as pd

        return pd.DataFrame([{c: r.get(c) for c in RECORD_COLUMNS} for r in self.records], columns=RECORD_COLUMNS)

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.records if r.get("status") != "ok"]

    def summary_markdown(self) -> str:
        """The Markdown summary (the content of summary.md): tables, failures, references."""
        from .report import summary_markdown

        plots = []
        if self.out_dir is not None:
            plots = [p.relative_to(self.out_dir).as_posix() for p in self.files
                     if p.suffix == ".png" and self.out_dir in p.parents]
        return summary_markdown(self.to_json(), plots)

    def __repr__(self) -> str:
        return (f"BenchResult(suite={self.suite!r}, runs={len(self.records)}, failed={len(self.failures)}, "
                f"wall_seconds={self.wall_seconds:.1f}, out_dir={str(self.out_dir) if self.out_dir else None!r})")

    def to_json(self) -> dict:
        from .references import for_suite

        return {
            "schema": SCHEMA,
            "suite": self.suite,
            "description": self.description,
            "metrics": ["roc_auc", "pr_auc"],
            "command": self.command,
            "commit": self.commit,
            "machine": machine_line(self.environment),
            "date": self.finished,
            "started": self.started,
            "finished": self.finished,
            "wall_seconds": self.wall_seconds,
            "environment": self.environment,
            "options": self.options,
            "datasets": self.datasets,
            "references": [r.to_dict() for r in for_suite(self.suite)],
            "records": [json_safe(r) for r in self.records],
        }


# ----------------------------------------------------------------------------- helpers
def _history(det) -> dict | None:
    h = getattr(det, "history_", None)
    if not isinstance(h, dict):
        return None
    out = {}
    for k, v in h.items():
        try:
            out[str(k)] = [float(f"{float(x):.5g}") for x in v]  # curves for plots: 5 digits
        except (TypeError, ValueError):
            continue
    return out or None


def _split_hash(ds) -> str:
    h = hashlib.sha1()
    for a in (ds.X_train, ds.X_test, ds.y_test):
        a = np.ascontiguousarray(a)
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:12]


def _resolve_seeds(seeds) -> list[int]:
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1 (the number of seeds) or a list of seeds; got {seeds}.")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise ValueError("seeds is empty; give a count (for example 3) or a list such as [0, 1, 2].")
    return out


def _select_entries(suite: Suite, detectors: Iterable[str] | None, with_pyod: bool,
                    include_slow: bool) -> tuple[list[registry.Entry], list[str]]:
    from .pyod_entries import pyod_available, pyod_entries

    notes = []
    entries = registry.entries(suite.name)
    if with_pyod:
        if pyod_available():
            entries = entries + pyod_entries(suite.name)
        else:
            notes.append("with_pyod: PyOD is not installed; its detectors were skipped (pip install pyod).")
    if detectors is not None:
        wanted = [d.strip() for d in ([detectors] if isinstance(detectors, str) else detectors) if d.strip()]
        known = {e.name: e for e in entries}
        if not with_pyod and any(w.lower().startswith("pyod:") for w in wanted):
            from .pyod_entries import pyod_entries as pe

            known.update({e.name: e for e in pe(suite.name)})
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise ValueError(
                f"unknown detector(s) {unknown} for suite {suite.name!r}; registered: "
                f"{', '.join(sorted(known)) or 'none'}."
            )
        return [known[w] for w in wanted], notes  # named detectors run even if slow
    if not include_slow:
        slow = [e.name for e in entries if e.slow]
        if slow:
            notes.append(f"slow detectors skipped (include_slow=True or name them to run): {', '.join(slow)}")
        entries = [e for e in entries if not e.slow]
    return entries, notes


# ----------------------------------------------------------------------------- one run
def _run_one(entry: registry.Entry, ds, dataset_id: str, seed: int, suite: str, split_hash: str):
    from ..persistence import model_size_bytes

    rec: dict[str, Any] = {
        "suite": suite, "dataset": dataset_id, "detector": entry.name, "seed": int(seed), "kind": entry.kind,
        "status": "ok", "error": None, "split_hash": split_hash,
        "n_train": int(len(ds.y_train)), "n_test": int(len(ds.y_test)),
        "n_test_anomalies": int(np.sum(ds.y_test)),
        "n_features": int(np.prod(ds.X_train.shape[1:])),
    }
    scores = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            grouped = ds.groups_train is not None
            if entry.kind == "group" and not grouped:
                raise ValueError(f"{entry.name} is a group detector but dataset {dataset_id} has no groups.")
            if entry.kind == "point" and grouped:
                raise ValueError(f"{entry.name} is a point detector but dataset {dataset_id} is grouped.")
            det = entry.factory(ds, int(seed))
            rec["params"] = _params(det)
            t0 = time.perf_counter()
            if grouped:
                det.fit(ds.X_train, groups=ds.groups_train)
            elif getattr(ds, "y_fit", None) is not None:  # semi-supervised protocol: 1 / -1 labels
                det.fit(ds.X_train, ds.y_fit)
            else:
                det.fit(ds.X_train)
            rec["fit_seconds"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            if grouped:
                scores = det.decision_function(ds.X_test, groups=ds.groups_test)
            else:
                scores = det.decision_function(ds.X_test)
            rec["score_seconds"] = time.perf_counter() - t0
            scores = np.asarray(scores, dtype=np.float64).ravel()
            n_units = len(scores)
            rec["score_rows_per_s"] = n_units / max(rec["score_seconds"], 1e-9)
            rec["fit_rows_per_s"] = rec["n_train"] / max(rec["fit_seconds"], 1e-9) if not grouped else None
            threshold = getattr(det, "threshold_", None)
            rec["threshold_rule"] = getattr(det, "threshold_rule_", None)
            m = evaluate(ds.y_test, scores, threshold=None if threshold is None else float(threshold))
            rec.update({k: v for k, v in m.items() if k not in ("n", "n_anomalies")})
            oracle = evaluate(ds.y_test, scores)
            rec.update({k: v for k, v in oracle.items() if k.startswith("oracle_")})
            try:
                rec["n_parameters"] = int(det.n_parameters()) if hasattr(det, "n_parameters") else None
            except Exception as exc:  # counting must not fail the run
                rec["n_parameters"] = None
                rec.setdefault("notes", []).append(f"n_parameters: {type(exc).__name__}: {exc}")
            if hasattr(det, "save"):
                try:
                    rec["model_bytes"] = int(model_size_bytes(det))
                except Exception as exc:
                    rec["model_bytes"] = None
                    rec.setdefault("notes", []).append(f"model size: {type(exc).__name__}: {exc}")
            else:
                rec["model_bytes"] = None
                rec.setdefault("notes", []).append("model size: not saveable without pickle")
            hist = _history(det)
            if hist:
                rec["history"] = hist
                rec["epochs"] = len(hist.get("loss", next(iter(hist.values()))))
            scores = (np.asarray(ds.y_test), scores, None if threshold is None else float(threshold))
        except Exception as exc:
            rec["status"] = "error"
            rec["error"] = f"{type(exc).__name__}: {exc}"
            rec["traceback"] = traceback.format_exc(limit=6)
            scores = None
    msgs = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in msgs:
            msgs.append(text)
    if msgs:
        rec["warnings"] = msgs[:5]
    return rec, scores


# ----------------------------------------------------------------------------- suite
def run_suite(
    suite: str,
    out_dir=None,
    seeds=1,
    detectors=None,
    data_home=None,
    with_pyod: bool = False,
    include_slow: bool = False,
    progress: bool = True,
    *,
    datasets: Iterable[str] | None = None,
    plots: bool = True,
    write: bool = True,
    command: str | None = None,
    machine_note: str | None = None,
) -> BenchResult:
    """Run every registered detector of ``suite`` on its datasets for each seed.

    Parameters
    ----------
    suite : name in :data:`genad.bench.SUITES` ("default", "ff12-kdd", "ecg5000", "mnist",
        "cifar10", "adbench", "sdss-groups", "synthetic-groups").
    out_dir : folder for results.csv, results.json, summary.md and plots/ (default
        ``./bench-results/<suite>``).
    seeds : number of seeds (0 .. seeds-1) or a list of seeds. The seed goes to the dataset
        loader as ``random_state`` where the protocol has a random split, and to every detector.
    detectors : names to run (registered names, or ``pyod:<Model>``); named detectors run even
        when marked slow. None runs every registered detector of the suite (without the slow ones
        unless ``include_slow``).
    data_home : data folder (else ``GENAD_DATA``).
    with_pyod : add the PyOD counterparts (names ``pyod:...``) when PyOD is installed.
    include_slow : also run entries registered with ``slow=True``.
    progress : show a tqdm progress bar over the runs.
    datasets : restrict to these dataset ids of the suite.
    plots : draw score histograms, ROC curves and training curves (matplotlib, Agg).
    write : write the files (False: only return the result).
    command : the command line to record (default: the equivalent Python call).
    machine_note : free text about the machine stored with the environment (e.g. "shared with
        other work").

    Returns
    -------
    BenchResult
    """
    s = get_suite(suite)
    seed_list = _resolve_seeds(seeds)
    specs = s.resolve(data_home)
    if datasets is not None:
        wanted = [datasets] if isinstance(datasets, str) else list(datasets)
        ids = {sp.id: sp for sp in specs}
        unknown = [d for d in wanted if d not in ids]
        if unknown:
            raise ValueError(f"unknown dataset(s) {unknown} in suite {s.name!r}; valid: {', '.join(ids)}.")
        specs = [ids[d] for d in wanted]
    entries, notes = _select_entries(s, detectors, with_pyod, include_slow)
    options = {
        "seeds": seed_list, "detectors": [e.name for e in entries], "with_pyod": bool(with_pyod),
        "include_slow": bool(include_slow), "datasets": [sp.id for sp in specs], "notes": notes,
    }
    if command is None:
        args = [repr(s.name)]
        if seeds != 1:
            args.append(f"seeds={seeds!r}")
        if detectors is not None:
            args.append(f"detectors={list(detectors) if not isinstance(detectors, str) else detectors!r}")
        if datasets is not None:
            args.append(f"datasets={list(datasets) if not isinstance(datasets, str) else datasets!r}")
        if with_pyod:
            args.append("with_pyod=True")
        if include_slow:
            args.append("include_slow=True")
        command = f"python -c \"import genad.bench as b; b.run_suite({', '.join(args)})\""
    if out_dir is None and write:
        out_dir = Path("bench-results") / s.name
    env = environment()
    commit = git_commit()
    if machine_note:
        env["note"] = machine_note
    started = datetime.now(timezone.utc)
    t_start = time.perf_counter()

    from tqdm.auto import tqdm

    bar = tqdm(total=len(specs) * len(seed_list) * len(entries), desc=f"bench {s.name}", disable=not progress,
               unit="run", leave=True)
    records: list[dict] = []
    kept: dict = {}
    ds_info: list[dict] = []
    try:
        for spec in specs:
            for seed in seed_list:
                try:
                    ds = spec.load(seed, data_home=data_home)
                except Exception as exc:
                    err = f"dataset {spec.id} could not be loaded: {type(exc).__name__}: {exc}"
                    ds_info.append({"id": spec.id, "seed": seed, "spec": spec.describe(), "error": err})
                    for e in entries:
                        records.append({"suite": s.name, "dataset": spec.id, "detector": e.name, "seed": seed,
                                        "kind": e.kind, "status": "error", "error": err})
                        bar.update(1)
                    continue
                sh = _split_hash(ds)
                ds_info.append({
                    "id": spec.id, "seed": seed, "spec": spec.describe(), "split_hash": sh,
                    "n_train": int(len(ds.y_train)), "n_test": int(len(ds.y_test)),
                    "train_anomaly_rate": float(np.mean(ds.y_train)) if len(ds.y_train) else None,
                    "test_anomaly_rate": float(np.mean(ds.y_test)) if len(ds.y_test) else None,
                    "sample_shape": list(ds.X_train.shape[1:]),
                    "protocol": ds.metadata.get("protocol") if isinstance(ds.metadata, dict) else None,
                })
                for e in entries:
                    bar.set_postfix_str(f"{spec.id} | {e.name} | seed {seed}", refresh=False)
                    rec, sc = _run_one(e, ds, spec.id, seed, s.name, sh)
                    records.append(rec)
                    if sc is not None and seed == seed_list[0]:
                        kept[(spec.id, e.name)] = sc
                    bar.update(1)
                del ds
    finally:
        bar.close()
    result = BenchResult(
        suite=s.name, description=s.description, records=records, environment=env, command=command,
        options=options, datasets=ds_info, started=started.isoformat(timespec="seconds"),
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        wall_seconds=time.perf_counter() - t_start, scores=kept, commit=commit,
    )
    if write:
        from .report import write_outputs

        result.out_dir = Path(out_dir)
        result.files = write_outputs(result, Path(out_dir), plots=plots)
    return result


def load_result_json(path) -> dict:
    """Read a results.json written by :func:`run_suite` (or another script using the schema)."""
    from .results import load_result_json as _load

    return _load(path)


def merge_results(out_dir, result: BenchResult, plots: bool = True) -> list[Path]:
    """Add the records of ``result`` to the results already in ``out_dir`` (a run of more
    detectors or seeds of the same suite) and rewrite results.json / .csv / summary.md.

    A new record replaces a recorded one of the same dataset, detector and seed. Each record keeps
    its own command, commit, machine and date, so records of several runs stay told apart.
    """
    from .report import write_outputs
    from .results import PROVENANCE_KEYS, expand_records, load_result_json

    out_dir = Path(out_dir)
    path = out_dir / "results.json"
    new = result.to_json()
    if not path.exists():
        result.out_dir = out_dir
        result.files = write_outputs(result, out_dir, plots=plots)
        return result.files
    old = load_result_json(path)
    if old["suite"] != result.suite:
        raise ValueError(f"{path} holds suite {old['suite']!r}, not {result.suite!r}.")
    fresh = [{**{k: new[k] for k in PROVENANCE_KEYS}, **{k: v for k, v in r.items() if v is not None}}
             for r in new["records"]]  # a record's own provenance (if any) wins
    keys = {(r["dataset"], r["detector"], r.get("seed")) for r in fresh}
    kept = [r for r in expand_records(old) if (r["dataset"], r["detector"], r.get("seed")) not in keys]
    records = kept + fresh
    opts = dict(old.get("options") or {})
    for k in ("seeds", "detectors", "datasets"):
        opts[k] = list(dict.fromkeys(list(opts.get(k) or []) + list(result.options.get(k) or [])))
    opts["notes"] = list(dict.fromkeys(list(opts.get("notes") or []) + list(result.options.get("notes") or [])))
    seen = {(d.get("id"), d.get("seed")) for d in result.datasets}
    datasets = [d for d in old.get("datasets") or [] if (d.get("id"), d.get("seed")) not in seen] + result.datasets
    merged = BenchResult(
        suite=result.suite, description=result.description, records=records, environment=result.environment,
        command=result.command, options=opts, datasets=datasets, started=old.get("started") or result.started,
        finished=result.finished, wall_seconds=float(old.get("wall_seconds") or 0) + result.wall_seconds,
        scores=result.scores, commit=result.commit)
    merged.out_dir = out_dir
    merged.files = write_outputs(merged, out_dir, plots=plots)
    return merged.files
