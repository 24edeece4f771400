"""Irregular-mixture groups: every point is normal, only the group's mixture proportions are not.

Normal groups: Poisson(100) points from the three synthetic components (means (-1.7,-1),
(1.7,-1), (0,2), covariance 0.2 I) with equal weights. Anomalous groups: the same components
with weights (0.5, 0.5, 0) or (0.8, 0.1, 0.1) or (0, 0, 1) in turn -- the "irregular mixture"
case of Chalapathy et al. (2018), where point-score aggregation has nothing to see. 50 training
groups, 50 normal + 12 anomalous test groups; all detectors of run_groups.py except
PointAggregate(KDE, max). Writes results/mixture.json (genad.bench.Recorder).

    GENAD_DATA=/work/shared/data PYTHONPATH=src python benchmarks/group/run_mixture.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from run_groups import detectors, score_variants

from genad.bench import Recorder
from genad.metrics import evaluate

OUT = Path(__file__).resolve().parent / "results"
MEANS = np.array([[-1.7, -1.0], [1.7, -1.0], [0.0, 2.0]])
ANOMALOUS_WEIGHTS = [(0.5, 0.5, 0.0), (0.8, 0.1, 0.1), (0.0, 0.0, 1.0)]


def make(rng, n_normal, n_anomalous):
    Xs = []
    for g in range(n_normal + n_anomalous):
        w = np.full(3, 1 / 3) if g < n_normal else np.asarray(ANOMALOUS_WEIGHTS[(g - n_normal) % 3])
        n = max(int(rng.poisson(100)), 2)
        comp = rng.choice(3, size=n, p=w)
        Xs.append(MEANS[comp] + rng.normal(0, np.sqrt(0.2), (n, 2)))
    return Xs, np.r_[np.zeros(n_normal, int), np.ones(n_anomalous, int)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        train, _ = make(rng, 50, 0)
        test, y = make(rng, 50, 12)
        for name, det in detectors(seed).items():
            if name == "PointAggregate(KDE,max)":
                continue
            t0 = time.perf_counter()
            s = det.fit(train).decision_function(test)
            secs = time.perf_counter() - t0
            variants = score_variants(det, name, s, test)
            for vn, vs in variants.items():
                m = evaluate(y, vs)
                rows.append({"seed": seed, "detector": vn, "roc_auc": m["roc_auc"], "pr_auc": m["pr_auc"],
                             "seconds": secs})
            print(f"seed {seed} {name:40s} roc {rows[-len(variants)]['roc_auc']:.3f} ({secs:.1f}s)", flush=True)
    df = pd.DataFrame(rows)
    OUT.mkdir(exist_ok=True)
    rec = Recorder("group", OUT / "mixture.json", metrics=["roc_auc", "pr_auc"],
                   title="Group detectors: Gaussian-mixture groups", description=__doc__.split("\n\n")[0],
                   machine_note="torch threads 1")
    for r in rows:
        r = dict(r)
        rec.add(dataset="mixture", detector=r.pop("detector"), seed=r.pop("seed"), **r)
    rec.write()
    summ = df.groupby("detector", sort=False).agg(roc_auc=("roc_auc", "mean"), roc_auc_std=("roc_auc", "std"),
                                                  pr_auc=("pr_auc", "mean"), pr_auc_std=("pr_auc", "std"))
    print(summ.round(3).to_string())


if __name__ == "__main__":
    main()
