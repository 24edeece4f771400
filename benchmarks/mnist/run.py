"""MNIST one-vs-all with the convolutional backbone (REDUCED CPU RUN).

For each digit c: train on (at most) 2,000 training images of c, score the "adgan" protocol
test set (5,000 random test items; anomalies = every other digit), ROC-AUC. AutoEncoder and
VAE with the DCGAN-style conv encoder/decoder (arch="auto" on (n, 1, 28, 28) input), a few
epochs only: a reduced budget for a 2-core CPU, not the published protocols' full training.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/mnist/run.py [--epochs 5]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

import genad
from genad.bench import Recorder
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
    rec = Recorder("mnist", OUT / "results.json", title="MNIST one-vs-all, convolutional autoencoders (reduced)",
                   description=__doc__.split("\n\n")[0], machine_note=f"torch threads {args.threads}",
                   settings=dict(reduced_cpu_run=True, epochs=args.epochs, max_train=args.max_train,
                                 max_test=args.max_test, protocol="adgan"))
    for c in range(10):
        ds = load("mnist", normal_class=c, protocol="adgan", max_train=args.max_train,
                  max_test=args.max_test, random_state=0)
        for name, make in models.items():
            r = rec.measure(make(0), ds, dataset=f"mnist-{c}", seed=0, name=name)
            print(f"class {c} {name:12s} ROC-AUC {r.get('roc_auc')} fit {r.get('fit_seconds', 0):.1f}s", flush=True)
        rec.write()
    for name in models:
        print(name, np.mean([r["roc_auc"] for r in rec.records if r["detector"] == name and r["status"] == "ok"]))


if __name__ == "__main__":
    main()
