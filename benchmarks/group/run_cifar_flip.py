"""The paper's image setting: a CIFAR-10 cat image is a group of pixels; vertically flipped cats
are the group anomalies (each pixel's colour is normal, its height is not).

Pixels -> points with genad.group.images_to_groups(stride=--stride): (32 / stride)^2 pixels per
image, features (r, g, b, x, y). Train on ``--train`` cat training images; score ``--test``
other cat images, half of them flipped upside down (chosen at random per seed).

``--split test`` (the benchmark): training cats as ``load("cifar10", normal_class=3,
max_train=--train, random_state=seed)`` picks them; scored cats from the CIFAR-10 *test* set.
Writes results/cifar_flip<--tag>.json (genad.bench.Recorder).

``--split validation`` (for choosing settings; never touches the test set): from the 5,000
*training* cats, 200 validation cats per seed (``default_rng(1000 + seed)``; the same ones for
every ``--train`` and ``--stride``), the training cats drawn from the rest (``default_rng(seed)``).
Writes results/cifar_flip_validation<--tag>.json.

Besides the group detectors, a non-deep reference row: ``RowProfile(kNN)``, each image's mean
colour per pixel row (the colour-versus-height profile, (32 / stride) x 3 numbers from the same
pixels), standardised over the training images, scored by the mean Euclidean distance to its 5
nearest training profiles.

    GENAD_DATA=/work/shared/data PYTHONPATH=src:benchmarks/group python benchmarks/group/run_cifar_flip.py \
        [--seeds 2] [--split test|validation] [--stride 4] [--train 300] [--epochs 30] [--tag NAME]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import genad
import genad.group as gg
from run_groups import score_variants
from genad.datasets import load
from genad.bench import Recorder
from genad.metrics import evaluate

OUT = Path(__file__).resolve().parent / "results"
N_VALIDATION = 200


def flip_half(images: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A copy of ``images`` (n, c, h, w) with a random half flipped upside down, and the labels."""
    n = len(images)
    y = np.zeros(n, int)
    y[rng.choice(n, n // 2, replace=False)] = 1
    out = images.copy()
    out[y == 1] = out[y == 1][:, :, ::-1, :]  # flip rows = upside down
    return out, y


def row_profile_scores(train: np.ndarray, test: np.ndarray, stride: int, k: int = 5) -> np.ndarray:
    """Non-deep reference: mean colour of each kept pixel row, standardised over the training
    images; mean distance of a test profile to its ``k`` nearest training profiles."""
    def profile(A):
        A = A[:, :, ::stride, ::stride]
        return A.mean(axis=3).reshape(len(A), -1).astype(np.float64)

    P, Q = profile(train), profile(test)
    mu, sd = P.mean(axis=0), P.std(axis=0) + 1e-12
    P, Q = (P - mu) / sd, (Q - mu) / sd
    D = np.sqrt(((Q[:, None, :] - P[None, :, :]) ** 2).sum(-1))
    return np.sort(D, axis=1)[:, :k].mean(axis=1)


def split(args, seed, all_train_cats):
    """(training images, scored images, labels) of one seed."""
    rng = np.random.default_rng(seed)
    if args.split == "test":
        ds = load("cifar10", normal_class=3, max_train=args.train, random_state=seed)
        cats = ds.X_test[ds.y_test == 0]
        cats = cats[rng.choice(len(cats), args.test, replace=False)]
        scored, y = flip_half(cats, rng)
        return ds.X_train, scored, y
    n = len(all_train_cats)
    val = np.random.default_rng(1000 + seed).choice(n, N_VALIDATION, replace=False)
    rest = np.setdiff1d(np.arange(n), val)
    tr = np.sort(rng.choice(rest, args.train, replace=False))
    scored, y = flip_half(all_train_cats[np.sort(val)], np.random.default_rng(2000 + seed))
    return all_train_cats[tr], scored, y


def detectors(args, seed) -> dict:
    deep = {"epochs": args.epochs}
    if args.hidden:
        deep["hidden"] = [int(h) for h in args.hidden.split(",")]
    if args.latent_dim:
        deep["latent_dim"] = args.latent_dim
    return {
        "GroupAAE": gg.GroupAAE(random_state=seed, **deep),
        "GroupVAE": gg.GroupVAE(random_state=seed, **deep),
        "OCSMM": gg.OCSMM(random_state=seed),
        "OCSMM(bandwidth_scale=0.25)": gg.OCSMM(bandwidth_scale=0.25, random_state=seed),
        "MGM": gg.MGM(random_state=seed),
        "PointAggregate(IsolationForest,mean)": gg.PointAggregate(genad.IsolationForest(random_state=seed)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--split", choices=("test", "validation"), default="test")
    ap.add_argument("--train", type=int, default=300)
    ap.add_argument("--test", type=int, default=200, help="scored cats in --split test")
    ap.add_argument("--stride", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=30, help="GroupAAE / GroupVAE epochs (library default 30)")
    ap.add_argument("--hidden", default="", help="GroupAAE / GroupVAE hidden sizes, e.g. 128,64 (default: library)")
    ap.add_argument("--latent-dim", type=int, default=0, help="GroupAAE / GroupVAE latent_dim (0: library default)")
    ap.add_argument("--only", default="", help="comma-separated detector names to run (default: all)")
    ap.add_argument("--tag", default="", help="suffix of the result file names")
    args = ap.parse_args()
    torch.set_num_threads(1)
    all_train_cats = None
    if args.split == "validation":
        all_train_cats = load("cifar10", normal_class=3, max_train=None).X_train
    only = set(filter(None, args.only.split(",")))
    rows = []
    for seed in range(args.seeds):
        train, scored, y = split(args, seed, all_train_cats)
        Xtr, gtr = gg.images_to_groups(train, stride=args.stride)
        Xte, gte = gg.images_to_groups(scored, stride=args.stride)
        t0 = time.perf_counter()
        s = row_profile_scores(train, scored, args.stride)
        m = evaluate(y, s)
        rows.append({"seed": seed, "detector": "RowProfile(kNN)", "roc_auc": m["roc_auc"], "pr_auc": m["pr_auc"],
                     "seconds": time.perf_counter() - t0})
        print(f"seed {seed} {'RowProfile(kNN)':40s} roc {m['roc_auc']:.3f}", flush=True)
        for name, det in detectors(args, seed).items():
            if only and name not in only:
                continue
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
    stem = "cifar_flip" + ("_validation" if args.split == "validation" else "") + args.tag
    rec = Recorder("group", OUT / f"{stem}.json", metrics=["roc_auc", "pr_auc"],
                   title=f"Group detectors: flipped CIFAR cats ({args.split})", description=__doc__.split("\n\n")[0],
                   machine_note="torch threads 1", settings=vars(args))
    for r in rows:
        r = dict(r)
        rec.add(dataset="cifar10-flipped", detector=r.pop("detector"), seed=r.pop("seed"), **r)
    rec.write()
    summ = df.groupby("detector", sort=False).agg(roc_auc=("roc_auc", "mean"), roc_auc_std=("roc_auc", "std"),
                                                  pr_auc=("pr_auc", "mean"), seconds=("seconds", "mean"))
    print(summ.round(3).to_string())


if __name__ == "__main__":
    main()
