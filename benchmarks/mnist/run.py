"""MNIST one-vs-all with the convolutional backbone (REDUCED CPU RUN).

For each digit c: train on (at most) 2,000 training images of c, score the "adgan" protocol
test set (5,000 random test items; anomalies = every other digit), ROC-AUC. AutoEncoder and
VAE with the DCGAN-style conv encoder/decoder (arch="auto" on (n, 1, 28, 28) input), a few
epochs only: a reduced budget for a 2-core CPU, not the published protocols' full training.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/mnist/run.py [--epochs 5]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

import genad
from genad.datasets import load

OUT = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--max-train", type=int, default=2000)
    ap.add_argument("--max-test", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    models = {
        "AutoEncoder": lambda s: genad.AutoEncoder(latent_dim=32, epochs=args.epochs, batch_size=64,
                                                   patience=None, trim=0.0, random_state=s),
        "VAE": lambda s: genad.VAE(latent_dim=32, epochs=args.epochs, batch_size=64, n_samples=4, trim=0.0,
                                   patience=None, random_state=s),
    }
    rows = []
    t_all = time.perf_counter()
    for c in range(10):
        ds = load("mnist", normal_class=c, protocol="adgan", max_train=args.max_train,
                  max_test=args.max_test, random_state=0)
        for name, make in models.items():
            t0 = time.perf_counter()
            det = make(0).fit(ds.X_train)
            fit_s = time.perf_counter() - t0
            auc = float(roc_auc_score(ds.y_test, det.decision_function(ds.X_test)))
            rows.append(dict(detector=name, normal_class=c, roc_auc=auc, fit_seconds=fit_s,
                             n_train=len(ds.X_train), n_test=len(ds.X_test)))
            print(f"class {c} {name:12s} ROC-AUC {auc:.4f} fit {fit_s:.1f}s", flush=True)
    summary = {name: float(np.mean([r["roc_auc"] for r in rows if r["detector"] == name])) for name in models}
    res = dict(reduced_cpu_run=True, epochs=args.epochs, max_train=args.max_train, max_test=args.max_test,
               protocol="adgan", total_seconds=time.perf_counter() - t_all, mean_roc_auc=summary, rows=rows)
    print(json.dumps(summary))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
