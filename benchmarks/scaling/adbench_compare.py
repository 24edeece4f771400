"""Per-dataset ROC-AUC of KNN and KDE before and after the ``max_samples`` defaults.

Seed 0: the rows of benchmarks/adbench/results/results_seed0.jsonl at a given commit (before)
against the current file (after, re-run with ``run.py --redo KNN KDE``). Other columns:
results/adbench_sample_sizes.jsonl (``max_samples=None`` = every row, against the default cap).
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
    groups = sorted({(det, seed) for (_, det, seed, _) in sweep})
    head = ["dataset", "KNN before", "KNN after", "KDE before", "KDE after"]
    sweep_cols = []
    for det, seed in groups:
        for m in sorted({k[3] for k in sweep if k[1:3] == (det, seed)}, key=lambda v: -1 if v is None else v):
            sweep_cols.append((det, seed, m))
            head.append(f"{det} max_samples={m} (seed {seed})")
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    cols: dict[str, list] = {h: [] for h in head[1:]}
    for n in names:
        vals = [before.get((n, "KNN")), after.get((n, "KNN")), before.get((n, "KDE")), after.get((n, "KDE"))]
        vals += [sweep.get((n, det, seed, m)) for det, seed, m in sweep_cols]
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
