"""Benchmark outputs: results.csv / results.json / summary.md / plots, and the results page.

Results JSON schema (``"schema": "genad-bench/1"``)
---------------------------------------------------
Any script may emit it (use :func:`write_result_json`) so that :func:`write_results_page` puts its
table into ``docs/results.md``::

    {
      "schema": "genad-bench/1",                  required
      "suite": "ff12-kdd",                        required: suite or topic name
      "command": "PYTHONPATH=src python ...",     required: the exact command that produced it
      "finished": "2026-11-25T14:00:00+00:00",    recommended: ISO date of the run
      "environment": {...},                       recommended: genad.bench.environment()
      "description": "...",                       optional
      "records": [                                required: one per (dataset, detector, seed)
        {"dataset": "kdd99-ff12", "detector": "AutoEncoder", "roc_auc": 0.95,   required
         "seed": 0, "status": "ok", "error": null,                               optional
         "pr_auc": ..., "f1": ..., "precision": ..., "recall": ...,  (at the detector's own threshold)
         "oracle_f1": ...,  (best F1 over thresholds on the test labels: optimistic)
         "fit_seconds": ..., "score_seconds": ..., "score_rows_per_s": ...,
         "n_parameters": ..., "model_bytes": ...}
      ]
    }

Missing optional fields are shown as blanks. ``status`` other than ``"ok"`` marks a failed run.
"""

from __future__ import annotations

import json
import math
import re
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from . import references as _refs

__all__ = [
    "write_outputs", "summary_markdown", "metric_table", "detector_table", "write_results_page",
    "write_result_json", "validate_result_json", "SCHEMA",
]

SCHEMA = "genad-bench/1"
_REQUIRED = ("schema", "suite", "command", "records")
_REQUIRED_RECORD = ("dataset", "detector", "roc_auc")


# ----------------------------------------------------------------------------- schema
def validate_result_json(doc: Any, where: str = "results JSON") -> dict:
    """Check ``doc`` follows the genad-bench/1 schema; return it or raise ValueError."""
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(doc).__name__}.")
    missing = [k for k in _REQUIRED if k not in doc]
    if missing:
        raise ValueError(f"{where}: missing key(s) {missing}; see genad.bench.report for the schema.")
    if doc["schema"] != SCHEMA:
        raise ValueError(f"{where}: schema is {doc['schema']!r}, expected {SCHEMA!r}.")
    if not isinstance(doc["records"], list):
        raise ValueError(f"{where}: records must be a list.")
    for i, r in enumerate(doc["records"]):
        if not isinstance(r, dict):
            raise ValueError(f"{where}: record {i} is not an object.")
        lacking = [k for k in _REQUIRED_RECORD if k not in r]
        if lacking and r.get("status", "ok") == "ok":
            raise ValueError(f"{where}: record {i} lacks {lacking}.")
    return doc


def write_result_json(path, suite: str, command: str, records: list[dict], *, description: str = "",
                      environment: dict | None = None) -> Path:
    """Write a results JSON in the genad-bench/1 schema (for benchmark scripts outside the harness)."""
    from .runner import _json_safe, environment as _env

    doc = {
        "schema": SCHEMA, "suite": suite, "command": command, "description": description,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": environment if environment is not None else _env(),
        "records": [_json_safe(r) for r in records],
    }
    validate_result_json(doc, str(path))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, allow_nan=False))
    return path


# ----------------------------------------------------------------------------- aggregation
def _ok(r: dict) -> bool:
    return r.get("status", "ok") == "ok"


def _num(v) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _orders(doc: dict) -> tuple[list[str], list[str]]:
    dets: list[str] = list((doc.get("options") or {}).get("detectors") or [])
    dsets: list[str] = []
    for r in doc["records"]:
        if r["detector"] not in dets:
            dets.append(r["detector"])
        if r["dataset"] not in dsets:
            dsets.append(r["dataset"])
    present = {r["detector"] for r in doc["records"]}
    return [d for d in dets if d in present], dsets


def _cells(doc: dict, metric: str) -> dict:
    """(dataset, detector) -> list of values over seeds (None where a run failed)."""
    out: dict = OrderedDict()
    for r in doc["records"]:
        out.setdefault((r["dataset"], r["detector"]), []).append(_num(r.get(metric)) if _ok(r) else None)
    return out


def _reference(doc: dict, dataset: str, detector: str, metric: str):
    suite = doc.get("suite", "")
    key = _refs.canonical_name(detector)
    for ref in doc.get("references") or []:
        if (ref.get("suite") == suite and ref.get("dataset") == dataset and ref.get("metric") == metric
                and ref.get("detector") == key):
            return _refs.Reference(**{k: ref[k] for k in _refs.Reference.__dataclass_fields__ if k in ref})
    return _refs.find(suite, dataset, detector, metric)


def _fmt(vals: list, digits: int = 3) -> str:
    good = [v for v in vals if v is not None]
    if not good:
        return "error" if vals else ""
    m = float(np.mean(good))
    s = f"{m:.{digits}f}"
    if len(good) > 1:
        s += f" ± {float(np.std(good, ddof=1)):.{digits}f}"
    if len(good) < len(vals):
        s += f" ({len(vals) - len(good)} failed)"
    return s


def metric_table(doc: dict, metric: str = "roc_auc", with_refs: bool = True) -> str:
    """Markdown table: datasets x detectors, mean ± std over seeds, a per-detector mean row and
    the published reference beside the measured value where one exists."""
    dets, dsets = _orders(doc)
    cells = _cells(doc, metric)
    head = "| dataset | " + " | ".join(dets) + " |"
    sep = "|---|" + "---|" * len(dets)
    lines = [head, sep]
    means: dict[str, list[float]] = {d: [] for d in dets}
    for ds in dsets:
        row = [ds]
        for d in dets:
            vals = cells.get((ds, d), [])
            txt = _fmt(vals)
            good = [v for v in vals if v is not None]
            if good:
                means[d].append(float(np.mean(good)))
            ref = _reference(doc, ds, d, metric) if with_refs else None
            if ref is not None:
                txt += f" (ref {ref.label()})"
            row.append(txt)
        lines.append("| " + " | ".join(row) + " |")
    if len(dsets) > 1:
        row = [f"**mean over {len(dsets)} datasets**"]
        for d in dets:
            m = means[d]
            txt = f"**{np.mean(m):.3f}**" if m else ""
            if m and len(m) < len(dsets):
                txt += f" ({len(m)}/{len(dsets)} datasets)"
            ref = _reference(doc, "mean", d, metric) if with_refs else None
            if ref is not None:
                txt += f" (ref {ref.label()})"
            row.append(txt)
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _agg(vals, how="mean"):
    good = [v for v in vals if v is not None]
    if not good:
        return None
    return float(np.median(good)) if how == "median" else float(np.mean(good))


def _g(v, fmt):
    return "" if v is None else format(v, fmt)


def detector_table(doc: dict) -> str:
    """Per detector over all datasets and seeds: runs, metrics at its own threshold, the oracle
    best F1 (labelled), timings, parameters and model size."""
    dets, _ = _orders(doc)
    lines = [
        "| detector | runs ok | ROC-AUC | PR-AUC | F1 @ own threshold | precision | recall | "
        "oracle best F1 (test labels, optimistic) | fit s (mean) | score rows/s (median) | parameters (median) | "
        "model KB (median) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for d in dets:
        rs = [r for r in doc["records"] if r["detector"] == d]
        ok = [r for r in rs if _ok(r)]

        def col(k, how="mean"):
            return _agg([_num(r.get(k)) for r in ok], how)

        mb = col("model_bytes", "median")
        lines.append(
            f"| {d} | {len(ok)}/{len(rs)} | {_g(col('roc_auc'), '.3f')} | {_g(col('pr_auc'), '.3f')} | "
            f"{_g(col('f1'), '.3f')} | {_g(col('precision'), '.3f')} | {_g(col('recall'), '.3f')} | "
            f"{_g(col('oracle_f1'), '.3f')} | {_g(col('fit_seconds'), '.2f')} | "
            f"{_g(col('score_rows_per_s', 'median'), ',.0f')} | {_g(col('n_parameters', 'median'), ',.0f')} | "
            f"{'' if mb is None else f'{mb / 1024:,.1f}'} |"
        )
    return "\n".join(lines)


def _failures_md(doc: dict) -> str:
    bad = [r for r in doc["records"] if not _ok(r)]
    if not bad:
        return "No failures."
    seen = OrderedDict()
    for r in bad:
        key = (r["detector"], (r.get("error") or "")[:300])
        seen.setdefault(key, []).append(f"{r['dataset']}/seed{r.get('seed', 0)}")
    out = []
    for (det, err), where in seen.items():
        w = ", ".join(where[:6]) + (f" (+{len(where) - 6} more)" if len(where) > 6 else "")
        out.append(f"- **{det}** on {w}: `{err.replace('`', chr(39))}`")
    return "\n".join(out)


def _references_md(doc: dict) -> str:
    suite = doc.get("suite", "")
    refs = _refs.for_suite(suite)
    if not refs:
        return ""
    lines = ["Reference numbers (matched to genad detector names):", ""]
    for r in refs:
        note = f"; {r.note}" if r.note else ""
        lines.append(f"- {r.published_name or r.detector} -> `{r.detector}`, {r.dataset}, {r.metric} "
                     f"{r.label()}: {r.source}{note}")
    if suite == "ff12-kdd":
        lines.append(f"- {_refs.MISSING['ff12-timing']}")
    if suite in ("mnist", "cifar10"):
        lines.append(f"- {_refs.MISSING['adgan-published']}")
    return "\n".join(lines)


def _machine(doc: dict) -> str:
    from .runner import machine_line

    env = doc.get("environment") or {}
    return machine_line(env) if env else "not recorded"


def summary_markdown(doc: dict, plots: Iterable[str] = (), heading_level: int = 1) -> str:
    """The summary.md of one results JSON."""
    h = "#" * heading_level
    opts = doc.get("options") or {}
    seeds = opts.get("seeds")
    parts = [
        f"{h} Benchmark `{doc['suite']}`",
        "",
        doc.get("description", ""),
        "",
        f"- command: `{doc['command']}`",
        f"- date: {doc.get('finished') or doc.get('started') or 'not recorded'}"
        + (f" (wall {doc['wall_seconds']:.0f} s)" if doc.get("wall_seconds") else ""),
        f"- machine: {_machine(doc)}",
    ]
    if seeds is not None:
        parts.append(f"- seeds: {seeds}; cells are mean ± sample std over seeds")
    for n in opts.get("notes") or []:
        parts.append(f"- note: {n}")
    parts += [
        "",
        f"{h}# ROC-AUC",
        "",
        metric_table(doc, "roc_auc"),
        "",
        f"{h}# PR-AUC (average precision)",
        "",
        metric_table(doc, "pr_auc", with_refs=False),
        "",
        f"{h}# Per detector (all datasets and seeds)",
        "",
        "F1 / precision / recall use each detector's own threshold `threshold_`, fixed at fit time "
        "without test labels (genad: 1% false positives on held-out normal training rows; PyOD: its "
        "`contamination`). The oracle F1 picks the best threshold on the test labels and is optimistic. "
        "Timings are wall-clock on the machine named above. Model size is the genad model file; PyOD "
        "models cannot be saved without pickle, so theirs is blank.",
        "",
        detector_table(doc),
        "",
        f"{h}# Failures",
        "",
        _failures_md(doc),
    ]
    refs = _references_md(doc)
    if refs:
        parts += ["", f"{h}# References", "", refs]
    plots = list(plots)
    if plots:
        parts += ["", f"{h}# Plots", ""] + [f"- [{p}]({p})" for p in plots]
    return "\n".join(parts).rstrip() + "\n"


# ----------------------------------------------------------------------------- plots
def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _plots(result, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    pdir = out / "plots"
    pdir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    by_ds: dict[str, list] = OrderedDict()
    for (ds, det), v in result.scores.items():
        by_ds.setdefault(ds, []).append((det, *v))
    for ds, items in by_ds.items():
        # ROC curves of all detectors on one axis
        fig, ax = plt.subplots(figsize=(5, 4.5))
        for det, y, s, _t in items:
            if 0 < np.sum(y) < len(y):
                fpr, tpr, _ = roc_curve(y, s)
                rec = next((r for r in result.records if r["dataset"] == ds and r["detector"] == det
                            and r.get("status") == "ok"), {})
                auc = rec.get("roc_auc")
                ax.plot(fpr, tpr, lw=1.2, label=f"{det} ({auc:.3f})" if auc is not None else det)
        ax.plot([0, 1], [0, 1], "k:", lw=0.8)
        ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC: {ds}")
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        p = pdir / f"roc_{_safe(ds)}.png"
        fig.savefig(p, dpi=72)
        plt.close(fig)
        files.append(p)
        # score histograms per class with the threshold line (one panel per detector)
        n = len(items)
        cols = min(3, n)
        rows = int(math.ceil(n / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
        for ax, (det, y, s, t) in zip(axes.ravel(), items):
            lo, hi = np.quantile(s, [0.005, 0.995])
            if t is not None and np.isfinite(t):
                lo, hi = min(lo, t), max(hi, t)
            if not hi > lo:
                lo, hi = lo - 0.5, hi + 0.5
            bins = np.linspace(lo, hi, 50)
            sc = np.clip(s, lo, hi)
            ax.hist(sc[y == 0], bins=bins, alpha=0.6, density=True, label="normal")
            ax.hist(sc[y == 1], bins=bins, alpha=0.6, density=True, label="anomaly")
            if t is not None and np.isfinite(t):
                ax.axvline(t, color="k", ls="--", lw=1, label="threshold_")
            ax.set_title(det, fontsize=9)
            ax.tick_params(labelsize=7)
        for ax in axes.ravel()[n:]:
            ax.axis("off")
        axes.ravel()[0].legend(fontsize=7)
        fig.suptitle(f"Anomaly scores on {ds} (clipped to the 0.5-99.5% range)", fontsize=10)
        fig.tight_layout()
        p = pdir / f"hist_{_safe(ds)}.png"
        fig.savefig(p, dpi=72)
        plt.close(fig)
        files.append(p)
    # training curves (first seed) per dataset
    seed0 = result.options["seeds"][0] if result.options.get("seeds") else 0
    hist_by_ds: dict[str, list] = OrderedDict()
    for r in result.records:
        if r.get("history") and r.get("seed") == seed0:
            hist_by_ds.setdefault(r["dataset"], []).append((r["detector"], r["history"]))
    for ds, items in hist_by_ds.items():
        n = len(items)
        cols = min(3, n)
        rows = int(math.ceil(n / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
        for ax, (det, h) in zip(axes.ravel(), items):
            for k, v in h.items():
                if k.endswith("loss") or k.startswith("loss"):
                    ax.plot(np.arange(1, len(v) + 1), v, lw=1, label=k)
            ax.set_title(det, fontsize=9)
            ax.set_xlabel("epoch (or update)", fontsize=7)
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=6)
        for ax in axes.ravel()[n:]:
            ax.axis("off")
        fig.suptitle(f"Training curves on {ds}", fontsize=10)
        fig.tight_layout()
        p = pdir / f"training_{_safe(ds)}.png"
        fig.savefig(p, dpi=72)
        plt.close(fig)
        files.append(p)
    return files


# ----------------------------------------------------------------------------- outputs
def write_outputs(result, out: Path, plots: bool = True) -> list[Path]:
    """Write results.csv, results.json, summary.md and plots/ for a :class:`BenchResult`."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    csv = out / "results.csv"
    result.frame.to_csv(csv, index=False)
    files.append(csv)
    doc = result.to_json()
    js = out / "results.json"
    js.write_text(json.dumps(doc, separators=(",", ":"), allow_nan=False))
    files.append(js)
    plot_files = _plots(result, out) if plots else []
    md = out / "summary.md"
    md.write_text(summary_markdown(doc, [p.relative_to(out).as_posix() for p in plot_files]))
    files.append(md)
    return files + plot_files


# ----------------------------------------------------------------------------- results page
def _default_sources(root: Path) -> list[Path]:
    from .suites import SUITES

    order = {name: i for i, name in enumerate(SUITES)}
    harness = sorted((root / "benchmarks" / "harness").glob("*/results.json"),
                     key=lambda p: (order.get(p.parent.name, 99), p.parent.name))
    others = sorted(p for p in (root / "benchmarks").glob("*/results/*.json") if "harness" not in p.parts)
    return harness + others


def write_results_page(sources: Iterable[Path | str] | None = None, out: Path | str | None = None,
                       root: Path | str = ".") -> Path:
    """Regenerate ``docs/results.md`` from recorded results JSON files.

    sources : JSON files; default ``benchmarks/harness/*/results.json`` plus every
        ``benchmarks/*/results/*.json`` that follows the genad-bench/1 schema (others are skipped
        and listed at the end of the page).
    out : page to write (default ``<root>/docs/results.md``).
    """
    root = Path(root)
    out = Path(out) if out is not None else root / "docs" / "results.md"
    explicit = sources is not None
    paths = [Path(p) for p in sources] if explicit else _default_sources(root)
    sections, skipped = [], []
    for p in paths:
        try:
            doc = validate_result_json(json.loads(Path(p).read_text()), "file")
        except (ValueError, OSError, json.JSONDecodeError) as exc:
            if explicit:
                raise ValueError(f"{p}: {exc}") from None
            skipped.append(f"- `{_rel(p, root)}`: {str(exc).removeprefix('file: ')}")
            continue
        sections.append((p, doc))
    lines = [
        "# Benchmark results",
        "",
        "<!-- GENERATED by genad.bench.write_results_page() from recorded result JSON files. "
        "Do not edit by hand: re-run the benchmarks, then regenerate this page. -->",
        "",
        "This page is generated from the result files recorded under `benchmarks/` "
        "(`benchmarks/harness/<suite>/results.json` from `genad bench` / `genad.bench.run_suite`, and any "
        "`benchmarks/<topic>/results/*.json` in the `genad-bench/1` schema, see `genad.bench.report`). "
        "Every number below was produced by the command shown with it.",
        "",
        "How to read the tables: ROC-AUC cells are mean ± sample std over seeds; `(ref x)` is the "
        "published number for that method and protocol (sources at the end of each section; "
        "`>= x (target)` marks a project target, not a paper's number). F1 at the detector's own "
        "threshold uses no test labels; the oracle F1 picks the best threshold on the test labels and "
        "is optimistic.",
        "",
    ]
    if sections:
        lines += ["## Contents", ""]
        for p, doc in sections:
            lines.append(f"- [{doc['suite']}](#{_anchor(doc, p)}) — `{_rel(p, root)}`")
        lines.append("")
    else:
        lines += ["No recorded results were found.", ""]
    for p, doc in sections:
        lines += [f'<a id="{_anchor(doc, p)}"></a>', ""]
        lines += [f"## `{doc['suite']}` ({_rel(p, root)})", ""]
        if doc.get("description"):
            lines += [doc["description"], ""]
        lines += [
            f"- command: `{doc['command']}`",
            f"- date: {doc.get('finished') or doc.get('started') or 'not recorded'}",
            f"- machine: {_machine(doc)}",
        ]
        opts = doc.get("options") or {}
        if opts.get("seeds") is not None:
            lines.append(f"- seeds: {opts['seeds']}")
        for n in opts.get("notes") or []:
            lines.append(f"- note: {n}")
        summary = Path(p).parent / "summary.md"
        if summary.exists():
            lines.append(f"- full summary with PR-AUC and plots: [{_rel(summary, root)}]({_rel_from(summary, out)})")
        lines += ["", "### ROC-AUC", "", metric_table(doc, "roc_auc"), "", "### Per detector", "",
                  detector_table(doc), "", "### Failures", "", _failures_md(doc), ""]
        refs = _references_md(doc)
        if refs:
            lines += [refs, ""]
    lines += [
        "## Adding results from other scripts",
        "",
        "Write `benchmarks/<topic>/results/<name>.json` with `genad.bench.write_result_json(path, suite, command, "
        "records)`, or by hand in this shape (only the keys marked required are needed), then run "
        "`PYTHONPATH=src python benchmarks/harness/run.py --page-only`:",
        "",
        "```",
        '{"schema": "genad-bench/1", "suite": "<suite or topic>", "command": "<exact command>",   (required)',
        ' "finished": "<ISO date>", "environment": {...genad.bench.environment()...},',
        ' "records": [                                                                       (required)',
        '   {"dataset": "...", "detector": "...", "roc_auc": 0.0,                             (required)',
        '    "seed": 0, "status": "ok", "pr_auc": 0.0, "f1": 0.0, "oracle_f1": 0.0,',
        '    "fit_seconds": 0.0, "score_rows_per_s": 0.0, "n_parameters": 0, "model_bytes": 0}]}',
        "```",
        "",
    ]
    if skipped:
        lines += ["## Files skipped (not in the genad-bench/1 schema)", ""] + skipped + [""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines).rstrip() + "\n")
    return out


def _anchor(doc: dict, p: Path) -> str:
    return _safe(f"{doc['suite']}-{Path(p).parent.name}").lower()


def _rel(p: Path, root: Path) -> str:
    try:
        return Path(p).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(p).as_posix()


def _rel_from(target: Path, page: Path) -> str:
    import os

    return Path(os.path.relpath(Path(target).resolve(), Path(page).resolve().parent)).as_posix()
