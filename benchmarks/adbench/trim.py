"""Choosing the default ``trim`` (trimmed loss) of AutoEncoder, VAE and AdversarialAutoEncoder on ADBench.

ADBench's protocol trains on contaminated data (the training part keeps its anomalies). This runs
``genad.<detector>(trim=t)`` (other parameters at their defaults) for several ``t`` on every
ADBench classical dataset with one split seed, the same caps as ``run.py``, and writes the
per-dataset ROC-AUC and the means to ``results/trim_seed<seed>.json`` (``trim_<detector>_seed<seed>.json``
for the other detectors). The defaults were chosen with ``--seed 1``; ``run.py`` reports seed 0.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/adbench/trim.py --seed 1
    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/adbench/trim.py --seed 1 --detector VAE --trims 0 0.2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

import genad
from genad.datasets import list_adbench, load

from run import cap_test

OUT = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--detector", default="AutoEncoder", choices=["AutoEncoder", "VAE", "AdversarialAutoEncoder"])
    ap.add_argument("--trims", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3])
    ap.add_argument("--max-train", type=int, default=5000)
    ap.add_argument("--max-test", type=int, default=10000)
    args = ap.parse_args()
    torch.set_num_threads(1)
    per_dataset = {}
    for name in list_adbench():
        ds = load(f"adbench/{name}", random_state=args.seed, max_train=args.max_train)
        X_test, y_test = cap_test(ds.X_test, ds.y_test, args.max_test, args.seed)
        aucs = {}
        for t in args.trims:
            det = getattr(genad, args.detector)(trim=t, random_state=args.seed).fit(ds.X_train)
            aucs[str(t)] = float(roc_auc_score(y_test, det.decision_function(X_test)))
        per_dataset[name] = dict(train_contamination=float(np.mean(ds.y_train)), roc_auc=aucs)
        print(name, {k: round(v, 3) for k, v in aucs.items()}, flush=True)
    means = {str(t): float(np.mean([r["roc_auc"][str(t)] for r in per_dataset.values()])) for t in args.trims}
    print("mean ROC-AUC by trim:", {k: round(v, 4) for k, v in means.items()})
    OUT.mkdir(parents=True, exist_ok=True)
    stem = "trim" if args.detector == "AutoEncoder" else f"trim_{args.detector}"
    (OUT / f"{stem}_seed{args.seed}.json").write_text(json.dumps(
        dict(detector=args.detector, seed=args.seed, max_train=args.max_train, max_test=args.max_test, mean_roc_auc=means,
             datasets=per_dataset), indent=1))


if __name__ == "__main__":
    main()
