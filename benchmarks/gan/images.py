"""One-vs-all image benchmark (ADGAN protocol) for the GAN detectors and classic baselines.

For each normal class c: train on (a random subset of) the training images of class c, score
(a random subset of) the ADGAN test sample (class c normal, all others anomalous), ROC-AUC.
Reduced CPU budget: see --max-train / --max-test / --epochs / --n-seeds. Writes
benchmarks/gan/results/<dataset>.json and .csv.

    GENAD_DATA=/work/shared/data PYTHONPATH=src python benchmarks/gan/images.py --dataset mnist
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA as SkPCA
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline

import genad
from genad.bench import Recorder
from genad.datasets import load

RESULTS = Path(__file__).resolve().parent / "results"


def detectors(args, seed):
    common = dict(random_state=seed, batch_size=64)
    return {
        "ADGAN": lambda: genad.ADGAN(epochs=args.adgan_epochs or args.epochs, n_critic=args.n_critic,
                                     lr=args.lr_wgan, n_seeds=args.n_seeds, search_steps=args.search_steps,
                                     base_channels=args.base_channels, **{**common, "batch_size": args.adgan_batch}),
        "AnoGAN": lambda: genad.AnoGAN(epochs=args.epochs, lr=2e-4, search_steps=args.anogan_steps,
                                       base_channels=args.base_channels, **common),
        "BiGAN": lambda: genad.BiGAN(epochs=args.epochs, lr=2e-4, base_channels=args.base_channels, **common),
        "GANomaly": lambda: genad.GANomaly(epochs=args.epochs, lr=2e-4, base_channels=args.base_channels, **common),
        "KDE(PCA)": lambda: make_pipeline(SkPCA(args.pca, random_state=seed), genad.KDE(random_state=seed)),
        "OCSVM(PCA)": lambda: make_pipeline(SkPCA(args.pca, random_state=seed), genad.OCSVM(random_state=seed)),
        "IsolationForest": lambda: genad.IsolationForest(random_state=seed),
        "GMM(PCA)": lambda: make_pipeline(SkPCA(args.pca, random_state=seed), genad.GMM(random_state=seed)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="mnist", choices=["mnist", "cifar10"])
    ap.add_argument("--classes", default="0,1,2,3,4,5,6,7,8,9")
    ap.add_argument("--max-train", type=int, default=1000)
    ap.add_argument("--max-test", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--adgan-epochs", type=int, default=0)
    ap.add_argument("--adgan-batch", type=int, default=32)
    ap.add_argument("--n-critic", type=int, default=2)
    ap.add_argument("--lr-wgan", type=float, default=2e-4)
    ap.add_argument("--n-seeds", type=int, default=8)
    ap.add_argument("--search-steps", type=int, default=5)
    ap.add_argument("--anogan-steps", type=int, default=20)
    ap.add_argument("--base-channels", type=int, default=32)
    ap.add_argument("--pca", type=int, default=32)
    ap.add_argument("--detectors", default="ADGAN,AnoGAN,BiGAN,GANomaly,KDE(PCA),OCSVM(PCA),IsolationForest,GMM(PCA)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tag", default="")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    names = args.detectors.split(",")
    classes = [int(c) for c in args.classes.split(",")]
    rows, t_start = [], time.perf_counter()
    for c in classes:
        ds = load(args.dataset, normal_class=c, protocol="adgan", max_train=args.max_train,
                  max_test=args.max_test, random_state=args.seed)
        Xtr, Xte, yte = ds.X_train, ds.X_test, ds.y_test
        for name in names:
            det = detectors(args, args.seed)[name]()
            flat = not name.split("(")[0] in ("ADGAN", "AnoGAN", "BiGAN", "GANomaly")
            A, B = (Xtr.reshape(len(Xtr), -1), Xte.reshape(len(Xte), -1)) if flat else (Xtr, Xte)
            t0 = time.perf_counter()
            det.fit(A)
            t1 = time.perf_counter()
            s = det.decision_function(B)
            t2 = time.perf_counter()
            auc = float(roc_auc_score(yte, s))
            rows.append({"class": c, "detector": name, "roc_auc": auc, "fit_s": t1 - t0, "score_s": t2 - t1,
                         "n_train": int(len(Xtr)), "n_test": int(len(Xte))})
            if name == "ADGAN":  # training record: per-epoch losses and the number of generator updates
                h = det.history_
                rows[-1]["history"] = {k: [float(v) for v in h[k]] for k in ("generator_loss", "wasserstein") if k in h}
                n_fit = len(Xtr) - len(det.calibration_scores_)
                rows[-1]["generator_updates"] = len(h["generator_loss"]) * int(np.ceil(n_fit / det.batch_size))
            print(f"class {c} {name:16s} auc {auc:.3f} fit {t1 - t0:6.1f}s score {t2 - t1:6.1f}s", flush=True)
        write(args, names, rows, t_start)  # after every class, so a cut-short run keeps its classes
    write(args, names, rows, t_start, show=True)


def write(args, names, rows, t_start, show=False):
    """Record the rows (one per class and detector; seed = --seed) through genad.bench.Recorder."""
    stem = args.dataset + (f"_{args.tag}" if args.tag else "")
    rec = Recorder("gan", RESULTS / f"{stem}.json", title=f"GANs on {args.dataset} one-vs-all (reduced)",
                   description="adgan one-vs-all protocol, reduced CPU budget", settings=vars(args),
                   machine_note=f"torch threads {args.threads}", total_seconds=time.perf_counter() - t_start)
    for r in rows:
        r = dict(r)
        rec.add(dataset=f"{args.dataset}-{r.pop('class')}", detector=r.pop("detector"), seed=args.seed,
                fit_seconds=r.pop("fit_s"), score_seconds=r.pop("score_s"), **r)
    rec.write()
    if show:
        for n in names:
            v = [r["roc_auc"] for r in rows if r["detector"] == n]
            print(f"{n:20s} mean ROC-AUC {np.mean(v):.4f} over {len(v)} classes")


if __name__ == "__main__":
    main()
