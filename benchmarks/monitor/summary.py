"""Markdown tables of the monitor results (for benchmarks/monitor/README.md).

    PYTHONPATH=src python benchmarks/monitor/summary.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from genad.bench.results import expand_records, load_result_json

HERE = Path(__file__).resolve().parent / "results"


def _frame(name: str) -> pd.DataFrame | None:
    path = HERE / name
    if not path.exists():
        return None
    return pd.DataFrame(expand_records(load_result_json(path)))


def drift_table(df: pd.DataFrame) -> str:
    df = df.copy()
    df["variant"] = df.get("variant", pd.Series([""] * len(df))).fillna("")
    g = df.groupby(["dataset", "variant", "detector"], sort=False)
    out = g.agg(seeds=("seed", "count"), checks=("checks", "sum"),
                alarms=("alarm_rate_per_check", lambda s: (s * df.loc[s.index, "checks"]).sum()),
                rows=("rows_no_drift", "sum"), delay=("detection_delay_rows", "median"),
                detected=("detected", "mean")).reset_index()
    lines = ["| stream | shift | detector | seeds | false alarms / checks (rate) | per 10,000 rows | "
             "detected | median delay (rows) |", "|---|---|---|---|---|---|---|---|"]
    for r in out.itertuples():
        rate = r.alarms / r.checks if r.checks else float("nan")
        det = "" if pd.isna(r.detected) else f"{r.detected:.0%}"
        delay = "" if pd.isna(r.delay) else f"{r.delay:.0f}"
        lines.append(f"| {r.dataset} | {r.variant} | {r.detector} | {r.seeds} | {int(r.alarms)} / {int(r.checks)} "
                     f"({rate:.3f}) | {1e4 * r.alarms / r.rows:.2f} | {det} | {delay} |")
    return "\n".join(lines)


def feedback_table(df: pd.DataFrame) -> str:
    df = df[df["status"] == "ok"]
    g = df.groupby(["detector", "variant"], sort=False)
    cols = ["roc_auc_before", "roc_auc_after", "roc_auc_candidate", "precision_before", "precision_after",
            "precision_candidate", "recall_before", "recall_after", "f1_before", "f1_after", "promoted"]
    out = g[cols].mean().reset_index()
    n = g.size().reset_index(name="n")
    out = out.merge(n, on=["detector", "variant"])
    gain = (df["f1_after"] - df["f1_before"]).groupby([df["detector"], df["variant"]], sort=False)
    out = out.merge(gain.agg(better=lambda d: int((d > 1e-9).sum()), worse=lambda d: int((d < -1e-9).sum()))
                    .reset_index(), on=["detector", "variant"])
    lines = ["| detector | feedback | runs | ROC-AUC before | after | candidate | precision before | after | "
             "candidate | recall before | after | F1 before | after | F1 better / worse (runs) | promoted |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in out.itertuples():
        lines.append(f"| {r.detector} | {r.variant} | {r.n} | {r.roc_auc_before:.3f} | {r.roc_auc_after:.3f} | "
                     f"{r.roc_auc_candidate:.3f} | {r.precision_before:.3f} | {r.precision_after:.3f} | "
                     f"{r.precision_candidate:.3f} | {r.recall_before:.3f} | {r.recall_after:.3f} | {r.f1_before:.3f} | "
                     f"{r.f1_after:.3f} | {r.better} / {r.worse} | {r.promoted:.0%} |")
    return "\n".join(lines)


def main():
    for name in ("drift_synthetic.json", "drift_kdd99.json", "drift_kdd99_http0.8.json", "drift_nab.json",
                 "drift_nab_shifts.json"):
        df = _frame(name)
        if df is not None:
            print(f"### {name}\n\n{drift_table(df)}\n")
    df = _frame("feedback_adbench.json")
    if df is not None:
        print(f"### feedback_adbench.json\n\n{feedback_table(df)}\n")


if __name__ == "__main__":
    main()
