"""ROC-AUC of KDE with every training row as a kernel centre and with its default cap.

ADBench classical sets, the protocol of benchmarks/adbench/run.py (stratified 70/30 split drawn
with the seed, anomalies kept in the training part, test part capped at 10,000 rows) (at most
``--max-train`` = 5,000 training rows, ``random_state`` = seed). ``max_samples=None`` keeps every
training row as a centre (as the earlier default of 10,000 did here), 2000 is the default cap.
For the seeds other than the recorded seed 0 (benchmarks/adbench/run.py), to measure the spread
over splits. KNN needs no such run: with at most 5,000 training rows its default cap of 5,000
keeps every row, so its scores are those of exact k-NN (``--detectors KNN --sizes 2000`` shows what
a smaller cap would lose). Recorded through :class:`genad.bench.Recorder`: one record per
(dataset, seed, detector, max_samples) in results/adbench_sample_sizes.json (genad-bench/2,
variant ``max_samples=...``); a rerun skips what is recorded.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/scaling/adbench_sample_sizes.py --seeds 1 2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

import genad
from genad.bench import Recorder
from genad.datasets import list_adbench, load

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "adbench"))
from run import cap_test  # noqa: E402  (the ADBench run's test-part cap, same rows)

OUT = HERE / "results" / "adbench_sample_sizes.json"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--max-train", type=int, default=5000)
    ap.add_argument("--max-test", type=int, default=10000)
    ap.add_argument("--datasets", nargs="*", default=None)
    ap.add_argument("--detectors", nargs="+", default=["KDE"], choices=["KDE", "KNN"])
    ap.add_argument("--sizes", nargs="+", default=["none", "2000"], help='max_samples values; "none" keeps every row')
    args = ap.parse_args()
    sizes = [None if v.lower() == "none" else int(v) for v in args.sizes]
    rec = Recorder("scaling", OUT, metrics=["roc_auc"],
                   title="scaling: ADBench ROC-AUC of KDE / KNN with every training row against the default cap")
    done = {(r["dataset"].removeprefix("adbench/"), r["seed"], r["detector"], r["params"]["max_samples"])
            for r in rec.resume()}
    for seed in args.seeds:
        for name in args.datasets or list_adbench():
            todo = [(d, m) for d in args.detectors for m in sizes if (name, seed, d, m) not in done]
            if not todo:
                continue
            ds = load(f"adbench/{name}", random_state=seed, max_train=args.max_train)
            X_test, y_test = cap_test(ds.X_test, ds.y_test, args.max_test, seed)
            for det_name, m in todo:
                det = getattr(genad, det_name)(max_samples=m, random_state=seed).fit(ds.X_train)
                row = rec.add(dataset=f"adbench/{name}", detector=det_name, seed=seed, variant=f"max_samples={m}",
                              params={"max_samples": m}, n_train=len(ds.X_train),
                              roc_auc=float(roc_auc_score(y_test, det.decision_function(X_test))))
                rec.write()
                print(seed, name, det_name, m, round(row["roc_auc"], 4), flush=True)


if __name__ == "__main__":
    main()
