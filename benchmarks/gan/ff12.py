"""FF12 KDD protocol for BiGAN: train on the 97,278 normal rows of KDD99 10%, min-max scaling,
score the FF12 test sample (8,000 normal / 2,000 attacks), ROC-AUC over several seeds.

    GENAD_DATA=/work/shared/data PYTHONPATH=src python benchmarks/gan/ff12.py --seeds 0,1,2
    # settings chosen by ff12_tune.py (validation data, seeds 100-102), reported on seeds 0-4:
    ... python benchmarks/gan/ff12.py --seeds 0,1,2,3,4 --params '{"alpha": 1.0}' --name BiGAN-tuned
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

RESULTS = Path(__file__).resolve().parent / "results"
REFERENCE = {"BiGAN": 0.972, "AE": 0.963, "OCSVM": 0.957, "PCA": 0.771}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--alad", action="store_true")
    ap.add_argument("--params", default="{}", help="JSON parameters on top of the defaults below")
    ap.add_argument("--name", default=None, help="results name (default BiGAN / BiGAN-ALAD)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = load("kdd99-ff12")
    params = dict(hidden=[64, 32], latent_dim=8, epochs=args.epochs, batch_size=256, lr=1e-3,
                  preprocessing="minmax", alad=args.alad)
    params.update(json.loads(args.params))
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        t0 = time.perf_counter()
        det = genad.BiGAN(**params, random_state=seed).fit(ds.X_train)
        t1 = time.perf_counter()
        auc = float(roc_auc_score(ds.y_test, det.decision_function(ds.X_test)))
        rows.append({"seed": seed, "roc_auc": auc, "fit_s": t1 - t0, "score_s": time.perf_counter() - t1})
        print(rows[-1], flush=True)
    aucs = np.array([r["roc_auc"] for r in rows])
    name = args.name or ("BiGAN-ALAD" if args.alad else "BiGAN")
    out = {"detector": name, "params": params, "n_train": int(len(ds.X_train)), "n_test": int(len(ds.X_test)),
           "rows": rows, "mean_roc_auc": float(aucs.mean()), "std_roc_auc": float(aucs.std(ddof=1)) if len(aucs) > 1 else 0.0,
           "min_roc_auc": float(aucs.min()), "max_roc_auc": float(aucs.max()), "reference_ff12": REFERENCE,
           "torch_threads": 1, "machine": "2-core CPU, no GPU, shared"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"ff12_{name.lower()}.json").write_text(json.dumps(out, indent=1))
    print(name, "mean %.4f std %.4f (reference BiGAN 0.972)" % (out["mean_roc_auc"], out["std_roc_auc"]))


if __name__ == "__main__":
    main()
