"""ADBench semi-supervised protocol: DevNet and DeepSAD with a few labelled anomalies, beside
genad's unsupervised detectors and PyOD's DevNet / DeepSVDD on the same splits.

The adbench-semi-<k> suites' protocol (genad.bench.suites): stratified 70/30 split drawn with the
seed; 1%, 5% or 10% of the training anomalies keep their label (at least one, drawn with the seed),
every other training row is unlabelled and stays in the training data. Every detector gets
fit(X, y) with y = 1 (labelled anomaly) / -1 (unlabelled): genad's unsupervised detectors leave
the labelled anomalies out, DevNet / DeepSAD learn from them, PyOD's DevNet gets them as its 1/0
labels (its unsupervised models ignore them). Library defaults everywhere (PyOD: the harness's
pyod entries: min-max scaling, DeepSVDD 20 epochs, DevNet its paper schedule). CPU caps: at most
``--max-train`` training rows and ``--max-test`` test rows (stratified subsamples); with
``--single-fit`` genad's detectors calibrate on a 10% hold-out (one fit on 90% of the training
rows, their default from 500 held-out rows on) instead of cross-conformal calibration (six fits);
ROC-AUC and PR-AUC do not use the threshold.
Results go to results/semi_<pct>_seed<k>[_single_fit].json (genad-bench/2, through
genad.bench.Recorder), rewritten after every dataset; a rerun continues where the last one stopped.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/adbench_semi/run.py \\
        --fractions 0.05 --seeds 0 --datasets Cardiotocography ...
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

import genad
from genad.bench import Recorder
from genad.bench.pyod_entries import pyod_entries
from genad.bench.suites import ADBENCH_SEMI, DatasetSpec
from genad.datasets import list_adbench

OUT = Path(__file__).resolve().parent / "results"
WEAK = {"DevNet": lambda s: genad.DevNet(random_state=s), "DeepSAD": lambda s: genad.DeepSAD(random_state=s)}
UNSUPERVISED = {
    "DeepSVDD": lambda s: genad.DeepSVDD(random_state=s),
    "IsolationForest": lambda s: genad.IsolationForest(random_state=s),
    "KNN": lambda s: genad.KNN(random_state=s),
    "PCA": lambda s: genad.PCA(random_state=s),
    "AutoEncoder": lambda s: genad.AutoEncoder(random_state=s),
    "GMM": lambda s: genad.GMM(random_state=s),
}
PYOD = ("pyod:DevNet", "pyod:DeepSVDD")


def suite_of(fraction: float) -> str:
    return next(name for name, f in ADBENCH_SEMI.items() if abs(f - fraction) < 1e-9)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.01, 0.05, 0.10])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--max-train", type=int, default=5000)
    ap.add_argument("--max-test", type=int, default=10000)
    ap.add_argument("--datasets", nargs="*", default=None)
    ap.add_argument("--detectors", nargs="*", default=None)
    ap.add_argument("--single-fit", action="store_true", help="genad detectors: 10%% hold-out calibration")
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = args.datasets or list_adbench()
    for fraction in args.fractions:
        suite = suite_of(fraction)
        pyod = {e.name: e.factory for e in pyod_entries(suite) if e.name in PYOD}
        makers = {**WEAK, **UNSUPERVISED, **{n: (lambda s, f=f: f(None, s)) for n, f in pyod.items()}}
        if args.detectors:
            makers = {k: v for k, v in makers.items() if k in args.detectors}
        for seed in args.seeds:
            path = OUT / f"semi_{round(fraction * 100)}_seed{seed}{'_single_fit' if args.single_fit else ''}.json"
            rec = Recorder(suite, path, metrics=["roc_auc", "pr_auc"],
                           title=f"ADBench semi-supervised, {fraction:.0%} of the training anomalies labelled, seed {seed}",
                           description=__doc__.split("\n\n")[0], machine_note="torch threads 1; shared CPU")
            done = {(r["dataset"], r["detector"]) for r in rec.resume()}
            for name in names:
                spec = DatasetSpec(f"adbench/{name}", f"adbench/{name}", {"max_train": args.max_train},
                                   max_test=args.max_test, labelled=fraction)
                ds = spec.load(seed)
                for det_name, make in makers.items():
                    if (name, det_name) in done:
                        continue
                    det = make(seed)
                    if args.single_fit and isinstance(det, genad.Detector):
                        det.min_holdout = 1  # hold-out calibration: one fit
                    r = rec.measure(det, ds, dataset=name, seed=seed, name=det_name, y_train=ds.y_fit,
                                    n_features=int(ds.X_train.shape[1]),
                                    labelled_anomalies=int(np.sum(ds.y_fit == 1)),
                                    train_anomalies=int(np.sum(ds.y_train == 1)))
                    print(f"{suite} seed {seed} {name:18s} {det_name:16s} {r.get('roc_auc', r.get('error'))} "
                          f"{r.get('fit_seconds', 0):.1f}s", flush=True)
                rec.write()
            for d in makers:
                v = [r["roc_auc"] for r in rec.records if r["detector"] == d and r["status"] == "ok"]
                if v:
                    print(f"{suite} {d:24s} mean ROC-AUC {np.mean(v):.4f} over {len(v)} datasets")


if __name__ == "__main__":
    main()
