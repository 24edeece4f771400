"""Tables of the recorded semi-supervised runs (results/semi_<pct>_seed<k>_single_fit.json):
mean ROC-AUC per detector and label share over the datasets every detector finished in every
seed, the spread of the per-seed means, and each weakly supervised detector's margin over the best
unsupervised detector of the same splits.

    PYTHONPATH=src python benchmarks/adbench_semi/summary.py [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from genad.bench.results import load_result_json

RESULTS = Path(__file__).resolve().parent / "results"
WEAK = ("DevNet", "DeepSAD")
UNSUPERVISED = ("DeepSVDD", "IsolationForest", "KNN", "PCA", "AutoEncoder", "GMM")
ORDER = (*WEAK, *UNSUPERVISED, "pyod:DeepSVDD", "pyod:DevNet")


def load(seeds):
    """{pct: {(detector, dataset, seed): record}}"""
    out = defaultdict(dict)
    for path in sorted(RESULTS.glob("semi_*_seed*_single_fit.json")):
        pct, seed = (int(v) for v in re.match(r"semi_(\d+)_seed(\d+)_", path.name).groups())
        if seed not in seeds:
            continue
        for r in load_result_json(path)["records"]:
            if r.get("status") == "ok":
                out[pct][(r["detector"], r["dataset"], seed)] = r
    return out


def table(recs, seeds):
    detectors = [d for d in ORDER if any(k[0] == d for k in recs)]
    # keep detectors finished on every (dataset, seed) that at least one detector has
    datasets = sorted({k[1] for k in recs})
    full = [d for d in detectors if all((d, ds, s) in recs for ds in datasets for s in seeds)]
    rows, means = [], {}
    for d in full:
        per_seed = [np.mean([recs[(d, ds, s)]["roc_auc"] for ds in datasets]) for s in seeds]
        pr = np.mean([recs[(d, ds, s)]["pr_auc"] for ds in datasets for s in seeds])
        fit = np.mean([recs[(d, ds, s)]["fit_seconds"] for ds in datasets for s in seeds])
        means[d] = float(np.mean(per_seed))
        rows.append(f"| {d} | {np.mean(per_seed):.3f} | {np.std(per_seed):.3f} | {pr:.3f} | {fit:.1f} |")
    missing = [d for d in detectors if d not in full]
    return datasets, full, rows, means, missing


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    by_pct = load(args.seeds)
    for pct in sorted(by_pct):
        recs = by_pct[pct]
        datasets, full, rows, means, missing = table(recs, args.seeds)
        print(f"\n### {pct}% of the training anomalies labelled (seeds {', '.join(map(str, args.seeds))}; "
              f"{len(datasets)} datasets)\n")
        print("| detector | mean ROC-AUC | std of the per-seed means | mean PR-AUC | mean fit (s) |")
        print("|---|---:|---:|---:|---:|")
        print("\n".join(rows))
        if missing:
            print(f"\nNot finished on every dataset and seed (left out): {', '.join(missing)}")
        unsup = {d: v for d, v in means.items() if d in UNSUPERVISED}
        if unsup:
            best = max(unsup, key=unsup.get)
            for d in WEAK:
                if d in means:
                    print(f"\n{d} - best unsupervised ({best} {unsup[best]:.3f}): {means[d] - unsup[best]:+.3f}")
        print("\n| dataset (ROC-AUC, mean over seeds) | labelled / train anomalies (per seed) | "
              + " | ".join(full) + " |")
        print("|---|---|" + "---:|" * len(full))
        for ds in datasets:
            lab = "; ".join(f"{recs[(full[0], ds, s)].get('labelled_anomalies')}/{recs[(full[0], ds, s)].get('train_anomalies')}"
                            for s in args.seeds) if full else ""
            vals = " | ".join(f"{np.mean([recs[(d, ds, s)]['roc_auc'] for s in args.seeds]):.3f}" for d in full)
            print(f"| {ds} | {lab} | {vals} |")


if __name__ == "__main__":
    main()
