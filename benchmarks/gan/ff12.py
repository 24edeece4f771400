"""FF12 KDD protocol for BiGAN: train on the 97,278 normal rows of KDD99 10%, min-max scaling,
score the FF12 test sample (8,000 normal / 2,000 attacks), ROC-AUC over several seeds.

    GENAD_DATA=/work/shared/data PYTHONPATH=src python benchmarks/gan/ff12.py --seeds 0,1,2
    # settings chosen by ff12_tune.py (validation data, seeds 100-102), reported on seeds 0-4:
    ... python benchmarks/gan/ff12.py --seeds 0,1,2,3,4 --params '{"alpha": 1.0}' --name BiGAN-tuned
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

import genad
from genad.bench import Recorder
from genad.bench.protocols import FF12_GAN, FF12_REFERENCE
from genad.datasets import load

RESULTS = Path(__file__).resolve().parent / "results"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=FF12_GAN["epochs"])
    ap.add_argument("--alad", action="store_true")
    ap.add_argument("--params", default="{}", help="JSON parameters on top of the defaults below")
    ap.add_argument("--name", default=None, help="results name (default BiGAN / BiGAN-ALAD)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = load("kdd99-ff12")
    params = {**FF12_GAN, "epochs": args.epochs, "alad": args.alad, **json.loads(args.params)}
    name = args.name or ("BiGAN-ALAD" if args.alad else "BiGAN")
    rec = Recorder("gan", RESULTS / f"ff12_{name.lower()}.json", metrics=["roc_auc", "fit_seconds"],
                   title=f"FF12 KDD: {name}", description=__doc__.split("\n\n")[0],
                   machine_note="torch threads 1", references=FF12_REFERENCE)
    for seed in [int(s) for s in args.seeds.split(",")]:
        r = rec.measure(genad.BiGAN(**params, random_state=seed), ds, dataset="kdd99-ff12", seed=seed, name=name)
        print({k: r.get(k) for k in ("seed", "roc_auc", "fit_seconds", "status")}, flush=True)
    rec.write()
    aucs = np.array([r["roc_auc"] for r in rec.records if r["status"] == "ok"])
    print(name, "mean %.4f std %.4f (reference BiGAN %.3f)" % (aucs.mean(), aucs.std(ddof=1) if len(aucs) > 1 else 0.0,
                                                             FF12_REFERENCE["BiGAN"]))


if __name__ == "__main__":
    main()
