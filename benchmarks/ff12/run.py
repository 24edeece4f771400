"""FF12 KDD protocol (Cloudera Fast Forward report "Deep Learning for Anomaly Detection").

Train on the 97,278 normal rows of KDD Cup 99 10% (18 continuous columns), MinMax scaling fitted
on those rows (preprocessing="minmax"), score the report's 10,000 test rows; ROC-AUC over seeds.
The report's network: 18 -> 15 -> 7 -> 2 -> 7 -> 15 -> 18, batch 128, lr 0.01; AE 14 epochs,
VAE 8 epochs. References: AE 0.963, VAE 0.946.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/ff12/run.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import genad
from genad.datasets import load
from genad.metrics import evaluate

OUT = Path(__file__).resolve().parent / "results"
NET = dict(hidden=[15, 7], latent_dim=2, batch_size=128, lr=0.01, preprocessing="minmax",
           validation_fraction=0.0, patience=None)
AE_NET = dict(trim=0.0)  # the report trains on clean data: the plain loss, no trimming
REFERENCE = {"AutoEncoder": 0.963, "VAE": 0.946}

class _KerasInitAutoEncoder(genad.AutoEncoder):
    """AutoEncoder with Keras' default initialisation (Glorot-uniform weights, zero biases),
    as the FF12 Keras code had; a benchmark-only variant (leading underscore: not registered)."""

    def _build_networks(self):
        super()._build_networks()
        for m in list(self.encoder_.modules()) + list(self.decoder_.modules()):
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.xavier_uniform_(m.weight)
                torch.nn.init.zeros_(m.bias)


# (label, class, extra params). The FF12 Keras code (fastforwardlabs/deepad models/ae.py,
# models/vae.py): ReLU hidden layers, sigmoid output, MSE; its VAE scores the MSE of one
# sampled reconstruction.
SIG = dict(output_activation="sigmoid")
VARIANTS = [
    ("AE relu, linear output (genad default activations)", genad.AutoEncoder, dict(epochs=14)),
    ("AE relu, sigmoid output (FF12 code)", genad.AutoEncoder, dict(epochs=14, **SIG)),
    ("AE tanh, sigmoid output", genad.AutoEncoder, dict(epochs=14, activation="tanh", **SIG)),
    ("AE relu, sigmoid output, Keras init", _KerasInitAutoEncoder, dict(epochs=14, **SIG)),
    ("AE leaky_relu, linear output", genad.AutoEncoder, dict(epochs=14, activation="leaky_relu")),
    ("AE elu, linear output", genad.AutoEncoder, dict(epochs=14, activation="elu")),
    ("AE tanh, linear output", genad.AutoEncoder, dict(epochs=14, activation="tanh")),
    ("AE relu, linear output, denoising=0.01", genad.AutoEncoder, dict(epochs=14, denoising=0.01)),
    ("AE relu, linear output, dropout 0.2", genad.AutoEncoder, dict(epochs=14, dropout=0.2)),
    ("AE relu, linear output, dropout 0.1", genad.AutoEncoder, dict(epochs=14, dropout=0.1)),
    # not the FF12 protocol (which min-max scales): standard scaling, as PyOD does by default
    ("AE relu, standard scaling (not FF12 protocol)", genad.AutoEncoder, dict(epochs=14, preprocessing="standard")),
    ("AE relu, dropout 0.2, standard scaling (not FF12 protocol)", genad.AutoEncoder,
     dict(epochs=14, dropout=0.2, preprocessing="standard")),
    ("VAE relu, sigmoid output, score=reconstruction n_samples=1 (FF12 code)", genad.VAE,
     dict(epochs=8, n_samples=1, **SIG)),
    ("VAE relu, linear output, score=reconstruction (n_samples=10)", genad.VAE, dict(epochs=8)),
    ("VAE relu, linear output, score=probability", genad.VAE, dict(epochs=8, score_type="probability")),
    ("VAE relu, linear output, score=elbo", genad.VAE, dict(epochs=8, score_type="elbo")),
    ("VAE relu, sigmoid output, score=probability", genad.VAE, dict(epochs=8, score_type="probability", **SIG)),
    ("VAE tanh, linear output, score=probability", genad.VAE, dict(epochs=8, activation="tanh", score_type="probability")),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--only", default=None, help="substring of the variant labels to run")
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = load("kdd99-ff12")
    rows = []
    for label, cls, extra in VARIANTS:
        if args.only and args.only not in label:
            continue
        aucs, fits = [], []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            det = cls(**{**NET, **AE_NET, **extra},
                      random_state=seed)
            t0 = time.perf_counter()
            det.fit(ds.X_train)
            fits.append(time.perf_counter() - t0)
            m = evaluate(ds.y_test, det.decision_function(ds.X_test))
            aucs.append(float(m["roc_auc"]))
        ref = REFERENCE["VAE" if issubclass(cls, genad.VAE) else "AutoEncoder"]
        row = dict(variant=label, detector=cls.__name__.lstrip('_'), params={**NET, **extra}, seeds=args.seeds, first_seed=args.first_seed,
                   roc_auc=aucs, mean=float(np.mean(aucs)), std=float(np.std(aucs)),
                   min=float(np.min(aucs)), max=float(np.max(aucs)), reference=ref,
                   meets_reference=bool(np.mean(aucs) >= ref), fit_seconds_mean=float(np.mean(fits)))
        rows.append(row)
        print(f"{label:50s} ROC-AUC {row['mean']:.4f} +- {row['std']:.4f} "
              f"[{row['min']:.4f}, {row['max']:.4f}] ref {ref}  fit {row['fit_seconds_mean']:.1f}s", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() else "_" for c in (args.only or "")).strip("_")
    name = "results.json" if not args.only else f"results_{slug}.json"
    if args.first_seed:
        name = name.replace(".json", f"_seeds{args.first_seed}.json")
    (OUT / name).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
