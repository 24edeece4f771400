"""How much of the AutoEncoder's ADBench result is the model's own seed, and what averaging buys.

On each of the harness's ADBench splits (``genad.bench`` suite ``adbench``: the same datasets,
caps and split seeds) this fits ``genad.AutoEncoder`` with its defaults ``--models`` times, with
model seeds ``split seed + 1000 j``, and records per dataset the ROC-AUC of every single model and of
their average. Each model's scores are put on a common scale by its own calibration scores
(median 0, 10-90% range 1) before averaging, so no label is used. IsolationForest (defaults,
seed = split seed) is recorded beside them as the anchor. Run it on tuning splits (the harness
reports split seed 0), e.g.::

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/adbench/model_seeds.py --seed 100 --models 3
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "results"


def main(argv=None) -> None:
    from sklearn.metrics import roc_auc_score

    import genad
    from genad.bench import Recorder
    from genad.bench.suites import get_suite

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=100, help="split seed (the harness reports 0)")
    ap.add_argument("--models", type=int, default=3)
    ap.add_argument("--datasets", nargs="*", help="ADBench names (default: all of the suite)")
    ap.add_argument("--out", help="default: results/model_seeds_seed<seed>.json")
    a = ap.parse_args(argv)
    out = Path(a.out) if a.out else OUT / f"model_seeds_seed{a.seed}.json"
    rec = Recorder("adbench-model-seeds", out, metrics=["roc_auc"],
                   title="ADBench: the AutoEncoder's spread over model seeds, and their average",
                   description=__doc__.split("\n\n")[1].replace("\n", " "),
                   machine_note=f"load average at start {os.getloadavg()[0]:.1f}", split_seed=a.seed,
                   models=a.models)
    for spec in get_suite("adbench").resolve():
        name = spec.name.split("/", 1)[1]
        if a.datasets and name not in a.datasets:
            continue
        ds = spec.load(a.seed)
        common = dict(dataset=spec.name, seed=a.seed, n_train=len(ds.X_train),
                      train_contamination=float(np.mean(ds.y_train)))
        scaled = []
        for j in range(a.models):
            t0 = time.perf_counter()
            det = genad.AutoEncoder(random_state=a.seed + 1000 * j).fit(ds.X_train)
            fit_s = time.perf_counter() - t0
            s = det.decision_function(ds.X_test)
            cal = det.calibration_scores_
            scaled.append((s - np.median(cal)) / max(np.quantile(cal, 0.9) - np.quantile(cal, 0.1), 1e-12))
            rec.add(**common, detector="AutoEncoder", variant=f"model seed {a.seed + 1000 * j}",
                    roc_auc=float(roc_auc_score(ds.y_test, s)), fit_seconds=fit_s,
                    contamination_estimate=det.contamination_estimate_)
        rec.add(**common, detector="AutoEncoder", variant=f"average of {a.models}",
                roc_auc=float(roc_auc_score(ds.y_test, np.mean(scaled, axis=0))))
        iso = genad.IsolationForest(random_state=a.seed).fit(ds.X_train)
        rec.add(**common, detector="IsolationForest", variant="defaults",
                roc_auc=float(roc_auc_score(ds.y_test, iso.decision_function(ds.X_test))))
        rec.write()
        print(spec.name, flush=True)
    print(rec.write())


if __name__ == "__main__":
    main()
