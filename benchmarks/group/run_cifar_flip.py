"""The paper's image setting: a CIFAR-10 cat image is a group of pixels; vertically flipped cats
are the group anomalies (each pixel's colour is normal, its height is not).

Pixels -> points with genad.group.images_to_groups(stride=4): 8 x 8 = 64 pixels per image,
features (r, g, b, x, y). Train on ``--train`` cat training images; test on ``--test`` cat test
images, half of them flipped upside down (chosen at random per seed). Writes
results/cifar_flip.csv and results/cifar_flip.json.

    GENAD_DATA=/work/shared/data PYTHONPATH=src python benchmarks/group/run_cifar_flip.py [--seeds 2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import genad
import genad.group as gg
from run_groups import score_variants
from genad.datasets import load
from genad.metrics import evaluate

OUT = Path(__file__).resolve().parent / "results"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--train", type=int, default=300)
    ap.add_argument("--test", type=int, default=200)
    ap.add_argument("--stride", type=int, default=4)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for seed in range(args.seeds):
        ds = load("cifar10", normal_class=3, max_train=args.train, random_state=seed)
        rng = np.random.default_rng(seed)
        cats = ds.X_test[ds.y_test == 0]
        cats = cats[rng.choice(len(cats), args.test, replace=False)]
        y = np.zeros(args.test, int)
        y[rng.choice(args.test, args.test // 2, replace=False)] = 1
        cats[y == 1] = cats[y == 1][:, :, ::-1, :]  # (n, c, h, w): flip rows = upside down
        Xtr, gtr = gg.images_to_groups(ds.X_train, stride=args.stride)
        Xte, gte = gg.images_to_groups(cats, stride=args.stride)
        dets = {
            "GroupAAE": gg.GroupAAE(random_state=seed),
            "GroupVAE": gg.GroupVAE(random_state=seed),
            "OCSMM": gg.OCSMM(random_state=seed),
            "OCSMM(bandwidth_scale=0.25)": gg.OCSMM(bandwidth_scale=0.25, random_state=seed),
            "MGM": gg.MGM(random_state=seed),
            "PointAggregate(IsolationForest,mean)": gg.PointAggregate(genad.IsolationForest(random_state=seed)),
        }
        for name, det in dets.items():
            t0 = time.perf_counter()
            s = det.fit(Xtr, groups=gtr).decision_function(Xte, groups=gte)
            secs = time.perf_counter() - t0
            variants = score_variants(det, name, s, Xte, gte)
            for vn, vs in variants.items():
                m = evaluate(y, vs)
                rows.append({"seed": seed, "detector": vn, "roc_auc": m["roc_auc"], "pr_auc": m["pr_auc"],
                             "seconds": secs})
            print(f"seed {seed} {name:40s} roc {rows[-len(variants)]['roc_auc']:.3f} ({secs:.1f}s)", flush=True)
    df = pd.DataFrame(rows)
    OUT.mkdir(exist_ok=True)
    df.to_csv(OUT / "cifar_flip.csv", index=False)
    summ = df.groupby("detector", sort=False).agg(roc_auc=("roc_auc", "mean"), roc_auc_std=("roc_auc", "std"),
                                                  pr_auc=("pr_auc", "mean"), seconds=("seconds", "mean"))
    (OUT / "cifar_flip.json").write_text(json.dumps({"settings": vars(args), "summary": summ.to_dict("index")},
                                                    indent=1))
    print(summ.round(3).to_string())


if __name__ == "__main__":
    main()
