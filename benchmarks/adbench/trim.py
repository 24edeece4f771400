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
from pathlib import Path

import numpy as np
import torch

import genad
from genad.bench import Recorder
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
    stem = "trim" if args.detector == "AutoEncoder" else f"trim_{args.detector}"
    rec = Recorder("adbench", OUT / f"{stem}_seed{args.seed}.json", title=f"ADBench: trim of {args.detector}",
                   description=__doc__.split("\n\n")[0], machine_note="torch threads 1",
                   settings=dict(max_train=args.max_train, max_test=args.max_test))
    for name in list_adbench():
        ds = load(f"adbench/{name}", random_state=args.seed, max_train=args.max_train)
        X_test, y_test = cap_test(ds.X_test, ds.y_test, args.max_test, args.seed)
        for t in args.trims:
            det = getattr(genad, args.detector)(trim=t, random_state=args.seed)
            rec.measure(det, ds, dataset=f"adbench/{name}", seed=args.seed, variant=f"trim={t}", X_test=X_test,
                        y_test=y_test, train_contamination=float(np.mean(ds.y_train)))
        rec.write()
    for t in args.trims:
        v = [r["roc_auc"] for r in rec.records if r.get("variant") == f"trim={t}" and r["status"] == "ok"]
        print(f"trim={t}: mean ROC-AUC {np.mean(v):.4f} over {len(v)} datasets")


if __name__ == "__main__":
    main()
