"""Per-dataset ROC-AUC of KNN and KDE before and after the ``max_samples`` defaults.

Seed 0: the records of benchmarks/adbench/results/results_seed0 at a given commit (before; the
JSON-lines file it was then) against the current results_seed0.json (after, re-run with
``run.py --redo KNN KDE``). Other columns: results/adbench_sample_sizes.json (``max_samples=None``
= every row, against the default cap). Writes results/adbench_compare.md (a table drawn from
recorded results; it measures nothing itself).

    python benchmarks/scaling/adbench_compare.py --before-commit 5456d86
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))
from genad.bench.results import load_result_json  # noqa: E402

RUN = "benchmarks/adbench/results/results_seed0"


def _rows(records) -> dict:
    out = {}
    for r in records:
        out.setdefault((r["dataset"].removeprefix("adbench/"), r["detector"]), r.get("roc_auc"))  # first wins, as run.py
    return out


def _before(commit: str) -> dict:
    """results_seed0 at ``commit``: a genad-bench/2 file or, before the one format, JSON lines."""
    for suffix in (".json", ".jsonl"):
        out = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:{RUN}{suffix}"], capture_output=True, text=True)
        if out.returncode == 0:
            if suffix == ".json":
                return _rows(json.loads(out.stdout)["records"])
            return _rows(json.loads(line) for line in out.stdout.splitlines() if line.strip())
    raise SystemExit(f"{RUN}.json(l) not found at commit {commit}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before-commit", default="5456d86")
    args = ap.parse_args()
    before = _before(args.before_commit)
    after = _rows(load_result_json(ROOT / f"{RUN}.json")["records"])
    sweep: dict = {}
    path = HERE / "results" / "adbench_sample_sizes.json"
    if path.exists():
        for r in load_result_json(path)["records"]:
            sweep[(r["dataset"].removeprefix("adbench/"), r["detector"], r["seed"], r["params"]["max_samples"])] = r["roc_auc"]
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
