"""Per-dataset ROC-AUC of KNN and KDE before and after the ``max_samples`` defaults.

Seed 0: the rows of benchmarks/adbench/results/results_seed0.jsonl at a given commit (before)
against the current file (after, re-run with ``run.py --redo KNN KDE``). Seeds 1 and 2:
results/adbench_sample_sizes.jsonl (``max_samples=None`` = every row, against the default).
Writes results/adbench_compare.md.

    python benchmarks/scaling/adbench_compare.py --before-commit 5456d86
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RUN = "benchmarks/adbench/results/results_seed0.jsonl"


def _rows(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        r = json.loads(line)
        out.setdefault((r["dataset"], r["detector"]), r.get("roc_auc"))  # first written wins, as run.py
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before-commit", default="5456d86")
    args = ap.parse_args()
    before = _rows(subprocess.run(["git", "-C", str(ROOT), "show", f"{args.before_commit}:{RUN}"],
                                  capture_output=True, text=True, check=True).stdout)
    after = _rows((ROOT / RUN).read_text())
    sweep: dict = {}
    path = HERE / "results" / "adbench_sample_sizes.jsonl"
    if path.exists():
        for line in path.read_text().splitlines():
            r = json.loads(line)
            sweep[(r["dataset"], r["detector"], r["seed"], r["max_samples"])] = r["roc_auc"]
    names = sorted({d for d, _ in before}, key=str.lower)
    seeds = sorted({s for (_, _, s, _) in sweep if s != 0})
    head = ["dataset", "KNN before", "KNN after", "KDE before", "KDE after"]
    for s in seeds:
        head += [f"KDE all rows (seed {s})", f"KDE default (seed {s})"]
    if any(k[1] == "KNN" and k[2] == 0 for k in sweep):
        head += ["KNN max_samples=2000 (seed 0)"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    cols: dict[str, list] = {h: [] for h in head[1:]}
    for n in names:
        vals = [before.get((n, "KNN")), after.get((n, "KNN")), before.get((n, "KDE")), after.get((n, "KDE"))]
        for s in seeds:
            vals += [sweep.get((n, "KDE", s, None)), sweep.get((n, "KDE", s, 2000))]
        if "KNN max_samples=2000 (seed 0)" in head:
            vals += [sweep.get((n, "KNN", 0, 2000))]
        for h, v in zip(head[1:], vals):
            cols[h].append(v)
        lines.append(f"| {n} | " + " | ".join("" if v is None else f"{v:.3f}" for v in vals) + " |")
    means = {h: (float(np.mean(v)), len(v)) for h, v in cols.items() if v and all(x is not None for x in v)}
    lines.append("| **mean** | " + " | ".join(f"**{means[h][0]:.4f}**" if h in means else "(incomplete)"
                                              for h in head[1:]) + " |")
    (HERE / "results" / "adbench_compare.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
