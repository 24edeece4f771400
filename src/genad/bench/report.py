"""Benchmark outputs: results.csv / results.json / summary.md / plots, the reading printed by
``genad bench``, and the results page ``docs/results.md``.

The results format and the recording API are in :mod:`genad.bench.results`; plots are drawn with
:mod:`genad.plotting`.
"""

from __future__ import annotations

import json
import math
import re
from collections import OrderedDict
from pathlib import Path
from typing import Iterable

import numpy as np

from . import references as _refs
from .results import PROVENANCE_KEYS, SCHEMA, expand_records, machine_line, validate_result_json

__all__ = [
    "write_outputs", "summary_markdown", "metric_table", "detector_table", "write_results_page",
    "reading", "compact_table", "bench_report", "result_files", "cost_rows", "cost_table", "SCHEMA",
]


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


def cost_rows(doc: dict) -> list[dict]:
    """Per detector that has a published cost row in the suite: genad's medians over datasets and
    seeds (model KB, seconds to score the test set, parameters, fit seconds) beside the published
    figures, with the ratios genad / published. Empty when the suite has no cost table."""
    suite = doc.get("suite", "")
    if not _refs.costs_for_suite(suite):
        return []
    out = []
    for d in _orders(doc)[0]:
        ref = _refs.cost_for(suite, d)
        if ref is None:
            continue
        ok = [r for r in doc["records"] if r["detector"] == d and _ok(r)]

        def med(k):
            return _agg([_num(r.get(k)) for r in ok], "median")

        kb = med("model_bytes")
        row = {"detector": d, "published": ref.published_name, "runs": len(ok),
               "model_kb": None if kb is None else kb / 1024, "score_seconds": med("score_seconds"),
               "parameters": med("n_parameters"), "fit_seconds": med("fit_seconds"),
               "ref_model_kb": ref.model_kb, "ref_score_seconds": ref.inference_seconds,
               "ref_parameters": ref.parameters, "ref_fit_seconds": ref.training_seconds}
        for k in ("model_kb", "score_seconds", "parameters", "fit_seconds"):
            a, b = row[k], row["ref_" + k]
            row[k + "_ratio"] = a / b if a is not None and b else None
        out.append(row)
    return out


def _pair(a, b, ratio, fmt) -> str:
    txt = f"{_g(a, fmt) or '-'} / {_g(b, fmt) or '-'}"
    return txt + (f" ({ratio:.2g}x)" if ratio is not None else "")


def cost_table(doc: dict) -> str:
    """Markdown cost table of a suite with a published one (ff12-kdd): genad / report (ratio)."""
    rows = cost_rows(doc)
    if not rows:
        return ""
    lines = ["| detector (report's model) | runs | model KB | scoring s (test set) | parameters | training s |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['detector']} ({r['published']}) | {r['runs']} | "
            f"{_pair(r['model_kb'], r['ref_model_kb'], r['model_kb_ratio'], ',.1f')} | "
            f"{_pair(r['score_seconds'], r['ref_score_seconds'], r['score_seconds_ratio'], ',.3g')} | "
            f"{_pair(r['parameters'], r['ref_parameters'], r['parameters_ratio'], ',.0f')} | "
            f"{_pair(r['fit_seconds'], r['ref_fit_seconds'], r['fit_seconds_ratio'], ',.3g')} |")
    lines += ["", "Cells: genad (median over runs) / report (ratio genad / report). "
              + _refs.FF12_COST_CAPTION]
    return "\n".join(lines)


def _cost_text(doc: dict, width: int) -> list[str]:
    rows = cost_rows(doc)
    if not rows:
        return []
    name_w = min(max(len(r["detector"]) for r in rows), 28)
    head = (f"{'detector':<{name_w}}  {'size KB':>17}  {'score s':>19}  {'params':>15}  {'train s':>19}")
    lines = ["", "Cost beside the report's (genad / report, ratio; the report used a T4 GPU for its deep "
             "models):", head, "-" * len(head)]
    for r in rows:
        def cell(k, fmt, w):
            a, b, q = r[k], r["ref_" + k], r[k + "_ratio"]
            t = f"{_g(a, fmt) or '-'}/{_g(b, fmt) or '-'}" + (f" {q:.2g}x" if q is not None else "")
            return f"{t:>{w}}"

        lines.append(f"{r['detector'][:name_w]:<{name_w}}  {cell('model_kb', '.1f', 17)}  "
                     f"{cell('score_seconds', '.3g', 19)}  {cell('parameters', '.0f', 15)}  "
                     f"{cell('fit_seconds', '.3g', 19)}")
    return lines


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
    for c in _refs.costs_for_suite(suite)[:1]:
        lines.append(f"- cost table ({', '.join(x.published_name for x in _refs.costs_for_suite(suite))}): "
                     f"{c.source}")
    if suite in ("mnist", "cifar10"):
        lines.append(f"- {_refs.MISSING['adgan-published']}")
    return "\n".join(lines)


def _machine(doc: dict) -> str:
    if doc.get("machine"):
        return doc["machine"]
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
        f"- commit: {doc.get('commit') or 'not recorded'}",
        f"- date: {doc.get('date') or doc.get('finished') or 'not recorded'}"
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
        *([f"{h}# Cost beside the published table", "", cost_table(doc), ""] if cost_rows(doc) else []),
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


def _grid(n: int, panel=(4.0, 2.8)):
    from matplotlib.figure import Figure

    cols = min(3, n)
    rows = int(math.ceil(n / cols))
    fig = Figure(figsize=(panel[0] * cols, panel[1] * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.axis("off")
    return fig, axes


def _plots(result, out: Path) -> list[Path]:
    """ROC curves (all detectors on one axes), score histograms with each threshold and training
    curves, per dataset; drawn by :mod:`genad.plotting`."""
    from ..plotting import plot_history, plot_roc, plot_score_histogram

    pdir = out / "plots"
    pdir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    by_ds: dict[str, list] = OrderedDict()
    for (ds, det), v in result.scores.items():
        by_ds.setdefault(ds, []).append((det, *v))
    for ds, items in by_ds.items():
        curves = {det: (y, s) for det, y, s, _t in items if 0 < np.sum(y) < len(y)}
        if curves:
            fig = plot_roc(curves, title=f"ROC: {ds}")
            fig.set_size_inches(6, 5.5)
            files.append(pdir / f"roc_{_safe(ds)}.png")
            fig.savefig(files[-1], dpi=80)
        fig, axes = _grid(len(items))
        for ax, (det, y, s, t) in zip(axes, items):
            plot_score_histogram(s, y, None if t is None or not np.isfinite(t) else t, clip=0.005, title=det, ax=ax)
            ax.set_ylabel("")
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=6, loc="upper right")
        fig.suptitle(f"Anomaly scores on {ds} (clipped to the 0.5-99.5% range)", fontsize=10)
        files.append(pdir / f"hist_{_safe(ds)}.png")
        fig.savefig(files[-1], dpi=72)
    seed0 = result.options["seeds"][0] if result.options.get("seeds") else 0
    hist_by_ds: dict[str, list] = OrderedDict()
    for r in result.records:
        if r.get("history") and r.get("seed") == seed0:
            hist_by_ds.setdefault(r["dataset"], []).append((r["detector"], r["history"]))
    for ds, items in hist_by_ds.items():
        fig, axes = _grid(len(items))
        for ax, (det, h) in zip(axes, items):
            try:
                plot_history(h, title=det, ax=ax)
            except ValueError:
                ax.set_title(f"{det}: no loss curve", fontsize=9)
                continue
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=6, loc="upper right")
        fig.suptitle(f"Training curves on {ds}", fontsize=10)
        files.append(pdir / f"training_{_safe(ds)}.png")
        fig.savefig(files[-1], dpi=72)
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


# ----------------------------------------------------------------------------- the reading
def _seed_means(doc: dict, metric: str = "roc_auc") -> dict[str, dict]:
    """detector -> {seed: mean of ``metric`` over the datasets that seed ran}, ok runs only."""
    out: dict[str, dict] = OrderedDict()
    acc: dict = OrderedDict()
    for r in doc["records"]:
        v = _num(r.get(metric)) if _ok(r) else None
        if v is not None:
            acc.setdefault(r["detector"], {}).setdefault(r.get("seed"), {})[r["dataset"]] = v
    for det, by_seed in acc.items():
        out[det] = {seed: float(np.mean(list(d.values()))) for seed, d in by_seed.items()}
    return out


def _split_varies(doc: dict) -> bool:
    """Whether the seed draws a different split of some dataset (split fingerprints differ)."""
    by_ds: dict = {}
    for d in doc.get("datasets") or []:
        if d.get("split_hash"):
            by_ds.setdefault(d["id"], set()).add(d["split_hash"])
    return any(len(v) > 1 for v in by_ds.values())


def reading(doc: dict, metric: str = "roc_auc") -> list[str]:
    """Sentences a reader needs next to the numbers: the winner, its margin against the seed spread,
    failures and the suite's known caveats."""
    from .suites import SUITES

    label = {"roc_auc": "ROC-AUC", "pr_auc": "PR-AUC"}.get(metric, metric)
    means = _seed_means(doc, metric)
    lines: list[str] = []
    n_ds = len({r["dataset"] for r in doc["records"]})
    cover = {d: len({r["dataset"] for r in doc["records"] if r["detector"] == d and _ok(r)
                     and _num(r.get(metric)) is not None}) for d in means}
    full = max(cover.values(), default=0)
    partial = [d for d in means if 0 < cover[d] < full]
    ranked = sorted(((float(np.mean(list(v.values()))), d) for d, v in means.items() if v and cover[d] == full),
                    reverse=True)
    if not ranked:
        lines.append(f"No detector produced a {label}: every run failed (see the failures in summary.md).")
    else:
        best_m, best = ranked[0]
        over = f"mean {label} over {n_ds} dataset{'s' if n_ds != 1 else ''}"
        if len(ranked) == 1:
            lines.append(f"{best} is the only detector with results ({over} {best_m:.3f}).")
        else:
            second_m, second = ranked[1]
            common = sorted(set(means[best]) & set(means[second]), key=str)
            gap = best_m - second_m
            text = f"Winner: {best} ({over} {best_m:.3f}), {gap:.3f} ahead of {second} ({second_m:.3f})"
            a = [means[best][s] for s in means[best]]
            b = [means[second][s] for s in means[second]]
            if len(a) >= 2 and len(b) >= 2:
                sd_a, sd_b = float(np.std(a, ddof=1)), float(np.std(b, ddof=1))
                if _split_varies(doc) and len(common) >= 2:  # the seed draws the split: compare seed by seed
                    diffs = np.array([means[best][s] - means[second][s] for s in common])
                    se = float(np.std(diffs, ddof=1)) / np.sqrt(len(diffs))
                    every = bool(diffs.min() > 0)
                    how = f"paired over {len(common)} seeds (same splits)"
                else:  # fixed split: the seeds of two detectors are unrelated draws
                    se = float(np.sqrt(sd_a**2 / len(a) + sd_b**2 / len(b)))
                    every = min(a) > max(b)
                    how = f"{len(a)} and {len(b)} seeds"
                if gap > 2 * se and every:
                    verdict = "a clear lead"
                elif gap > 2 * se:
                    verdict = "a narrow lead (the seed ranges overlap)"
                else:
                    verdict = "within the seed spread: no clear winner"
                text += (f"; seed std {sd_a:.3f} and {sd_b:.3f} ({how}), standard error of the gap {se:.3f}: "
                         f"{verdict}.")
            else:
                text += "; one seed only, so the seed spread is unknown (run with --seeds 3 to measure it)."
            lines.append(text)
            last_m, last = ranked[-1]
            lines.append(f"Last: {last} ({last_m:.3f}); {len(ranked)} detectors ranked.")
    if partial:
        lines.append(f"Not ranked (results on fewer datasets than the others): {', '.join(partial)}.")
    bad = [r for r in doc["records"] if not _ok(r)]
    if bad:
        dets = sorted({r["detector"] for r in bad})
        lines.append(f"{len(bad)} run(s) failed ({', '.join(dets)}): see Failures in summary.md.")
    suite = SUITES.get(doc.get("suite", ""))
    if suite is not None and suite.notes:
        lines.append(f"Caveats of this suite: {suite.notes}")
    return lines


def compact_table(doc: dict, width: int = 100, metric: str = "roc_auc") -> str:
    """One line per detector, best first, at most ``width`` characters: mean ROC-AUC over the
    datasets with its seed std, PR-AUC, F1 at the detector's own threshold, fit seconds, runs ok."""
    means = _seed_means(doc, metric)
    rows = []
    for det in _orders(doc)[0]:
        rs = [r for r in doc["records"] if r["detector"] == det]
        ok = [r for r in rs if _ok(r)]
        v = list(means.get(det, {}).values())
        m = float(np.mean(v)) if v else None
        sd = float(np.std(v, ddof=1)) if len(v) > 1 else None

        def col(k):
            return _agg([_num(r.get(k)) for r in ok])

        rows.append((m, det, sd, col("pr_auc"), col("f1"), col("fit_seconds"), f"{len(ok)}/{len(rs)}"))
    rows.sort(key=lambda r: (r[0] is None, -(r[0] or 0.0)))
    name_w = max([8] + [len(r[1]) for r in rows])
    name_w = min(name_w, width - 66)
    head = (f"{'#':>2}  {'detector':<{name_w}}  {'ROC-AUC':>7}  {'seed sd':>7}  {'PR-AUC':>6}  "
            f"{'F1@thr':>6}  {'fit s':>8}  {'runs ok':>7}")
    lines = [head, "-" * len(head)]
    for i, (m, det, sd, pr, f1, fit, ok) in enumerate(rows, 1):
        name = det if len(det) <= name_w else det[: name_w - 1] + "~"
        lines.append(f"{i:>2}  {name:<{name_w}}  {_g(m, '7.3f') or '  error':>7}  {_g(sd, '7.3f'):>7}  "
                     f"{_g(pr, '6.3f'):>6}  {_g(f1, '6.3f'):>6}  {_g(fit, '8.2f'):>8}  {ok:>7}")
    return "\n".join(line[:width] for line in lines)


def bench_report(result, width: int = 100) -> str:
    """What ``genad bench`` prints: the results folder, the reading and the compact table (lines of
    at most ``width`` characters, long sentences wrapped)."""
    import textwrap

    doc = result.to_json()
    n_ds = len({r["dataset"] for r in doc["records"]})
    seeds = (doc.get("options") or {}).get("seeds") or []
    lines = [f"genad bench {doc['suite']}: {len(doc['records'])} runs ({len(result.failures)} failed), "
             f"{n_ds} dataset(s) x {len(seeds)} seed(s), {result.wall_seconds:.0f} s"]
    if result.out_dir is not None:
        lines.append(f"results folder: {result.out_dir} (full tables: summary.md; plots/)")
    lines += ["", "Reading:"]
    for t in reading(doc):
        lines += textwrap.wrap(t, width, initial_indent="- ", subsequent_indent="  ")
    lines += ["", "Mean ROC-AUC over the datasets, best first (seed sd: std of the per-seed means):",
              *compact_table(doc, width).splitlines(), *_cost_text(doc, width)]
    return "\n".join(line[:width] for line in lines)


# ----------------------------------------------------------------------------- results page
def result_files(root: Path | str = ".") -> list[Path]:
    """Every results file under ``benchmarks/``: the harness suites first, then the topics, then
    ``benchmarks/experiments``."""
    from .suites import SUITES

    root = Path(root)
    order = {name: i for i, name in enumerate(SUITES)}
    paths = sorted((root / "benchmarks").rglob("*.json"))

    def key(p: Path):
        rel = p.relative_to(root / "benchmarks").parts
        if rel[0] == "harness":
            return (0, order.get(rel[1], 99), str(p))
        return (2 if rel[0] == "experiments" else 1, 0, str(p))

    return sorted(paths, key=key)


def _label(r: dict) -> str:
    return r["detector"] + (f" [{r['variant']}]" if r.get("variant") else "")


def pivot_table(records: list[dict], metric: str) -> str:
    """Markdown table of ``metric``: mean ± std over seeds per (dataset, detector [variant]); the
    longer of the two lists runs down the rows."""
    cells: dict = OrderedDict()
    dsets: list[str] = []
    dets: list[str] = []
    for r in records:
        if metric not in r and _ok(r):
            continue
        d, k = r["dataset"], _label(r)
        if d not in dsets:
            dsets.append(d)
        if k not in dets:
            dets.append(k)
        cells.setdefault((d, k), []).append(_num(r.get(metric)) if _ok(r) else None)
    if not cells:
        return ""
    by_rows = len(dsets) >= len(dets)
    rows, cols = (dsets, dets) if by_rows else (dets, dsets)
    lines = ["| " + ("dataset" if by_rows else "detector") + " | " + " | ".join(cols) + " |",
             "|---|" + "---|" * len(cols)]
    for a in rows:
        row = [a]
        for b in cols:
            vals = cells.get((a, b) if by_rows else (b, a))
            row.append(_fmt(vals, 4 if metric != "roc_auc" else 3) if vals else "")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _provenance_md(doc: dict) -> list[str]:
    recs = expand_records(doc)
    out = []
    for k in PROVENANCE_KEYS:
        vals = list(OrderedDict.fromkeys(str(r.get(k)) for r in recs))
        if len(vals) == 1:
            out.append(f"- {k}: `{vals[0]}`" if k == "command" else f"- {k}: {vals[0]}")
        else:
            shown = "; ".join(f"`{v}`" if k == "command" else v for v in vals[:4])
            out.append(f"- {k} (per record, {len(vals)} different): {shown}" + (" ..." if len(vals) > 4 else ""))
    return out


def write_results_page(sources: Iterable[Path | str] | None = None, out: Path | str | None = None,
                       root: Path | str = ".") -> Path:
    """Regenerate ``docs/results.md`` from every results file (:func:`result_files`).

    A file that is not in the schema stops the page with a ValueError naming it: the page skips
    nothing.
    """
    root = Path(root)
    out = Path(out) if out is not None else root / "docs" / "results.md"
    paths = [Path(p) for p in sources] if sources is not None else result_files(root)
    sections = []
    for p in paths:
        try:
            doc = validate_result_json(json.loads(Path(p).read_text()), str(p))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{p}: not valid JSON ({exc}).") from None
        sections.append((p, doc))
    lines = [
        "# Benchmark results",
        "",
        "<!-- GENERATED by `PYTHONPATH=src python -m genad.bench.page` from every results file under "
        "benchmarks/. Do not edit by hand: re-run the benchmarks, then regenerate this page. -->",
        "",
        f"Generated from the {len(sections)} results files under `benchmarks/` (schema `{SCHEMA}`, see "
        "`genad.bench.results`; the index of topics and commands is `benchmarks/README.md`). Every "
        "number below was produced by the command shown with it, at the commit shown; files converted "
        "from older formats say so under provenance.",
        "",
        "How to read the tables: cells are mean ± sample std over seeds; `(ref x)` is the published "
        "number for that method and protocol. F1 at the detector's own threshold uses no test labels; "
        "the oracle F1 picks the best threshold on the test labels and is optimistic.",
        "",
    ]
    if sections:
        lines += ["## Contents", ""]
        for p, doc in sections:
            lines.append(f"- [{doc.get('title') or doc['suite']}](#{_anchor(p, root)}) — `{_rel(p, root)}`")
        lines.append("")
    else:
        lines += ["No recorded results were found.", ""]
    for p, doc in sections:
        harness = "options" in doc and "harness" in Path(p).parts
        lines += [f'<a id="{_anchor(p, root)}"></a>', ""]
        lines += [f"## {doc.get('title') or doc['suite']} (`{_rel(p, root)}`)", ""]
        if doc.get("description"):
            lines += [doc["description"], ""]
        lines += _provenance_md(doc)
        if doc.get("provenance"):
            lines.append(f"- provenance: {doc['provenance']}")
        opts = doc.get("options") or {}
        if opts.get("seeds") is not None:
            lines.append(f"- seeds: {opts['seeds']}")
        for n in opts.get("notes") or []:
            lines.append(f"- note: {n}")
        for n in doc.get("notes") or []:
            lines.append(f"- note: {n}")
        summary = Path(p).parent / "summary.md"
        if harness and summary.exists():
            lines.append(f"- full summary with PR-AUC and plots: [{_rel(summary, root)}]({_rel_from(summary, out)})")
        lines.append("")
        if harness:
            lines += ["### Reading", ""] + [f"- {t}" for t in reading(doc)] + [""]
            lines += ["### ROC-AUC", "", metric_table(doc, "roc_auc"), "", "### Per detector", "",
                      detector_table(doc), ""]
            if cost_rows(doc):
                lines += ["### Cost beside the published table", "", cost_table(doc), ""]
        else:
            for m in doc.get("metrics") or ["roc_auc"]:
                t = pivot_table(doc["records"], m)
                if t:
                    lines += [f"### {m}", "", t, ""]
        if any(not _ok(r) for r in doc["records"]):
            lines += ["### Failures", "", _failures_md(doc), ""]
        refs = _references_md(doc) if harness else ""
        if refs:
            lines += [refs, ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines).rstrip() + "\n")
    return out


def _anchor(p: Path, root: Path) -> str:
    return _safe(_rel(p, root).removeprefix("benchmarks/").removesuffix(".json")).replace(".", "-").lower()


def _rel(p: Path, root: Path) -> str:
    try:
        return Path(p).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(p).as_posix()


def _rel_from(target: Path, page: Path) -> str:
    import os

    return Path(os.path.relpath(Path(target).resolve(), Path(page).resolve().parent)).as_posix()
