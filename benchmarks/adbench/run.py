"""ADBench classical datasets: library defaults, no per-dataset tuning.

Each of the 33 ADBench classical sets with the ADBench protocol (stratified 70/30 split, the
training part keeps its anomalies; load("adbench/<name>", random_state=seed, max_train=...)).
Every detector runs with its defaults (genad's standard scaling), seed = random_state.
CPU budget: training capped at ``--max-train`` rows (stratified subsample, default 5,000) and
the test part at ``--max-test`` rows (stratified subsample, default 10,000).
Results are rewritten after every dataset to results/results_seed<k>.json (genad-bench/2, through
genad.bench.Recorder), so a partial run keeps what it measured and a rerun continues it.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/adbench/run.py [--seeds 0]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split

import genad
from genad.bench import Recorder
from genad.datasets import list_adbench, load

OUT = Path(__file__).resolve().parent / "results"
DETECTORS = {
    "AutoEncoder": lambda s: genad.AutoEncoder(random_state=s),
    "AutoEncoder(trim=0)": lambda s: genad.AutoEncoder(trim=0.0, random_state=s),
    "VAE": lambda s: genad.VAE(random_state=s),
    "VAE(trim=0)": lambda s: genad.VAE(trim=0.0, random_state=s),
    "AdversarialAutoEncoder": lambda s: genad.AdversarialAutoEncoder(random_state=s),
    "AdversarialAutoEncoder(trim=0)": lambda s: genad.AdversarialAutoEncoder(trim=0.0, random_state=s),
    "IsolationForest": lambda s: genad.IsolationForest(random_state=s),
    "PCA": lambda s: genad.PCA(random_state=s),
    "KNN": lambda s: genad.KNN(random_state=s),
    "OCSVM": lambda s: genad.OCSVM(random_state=s),
    "KDE": lambda s: genad.KDE(random_state=s),
    "GMM": lambda s: genad.GMM(random_state=s),
}


def cap_test(X, y, n, seed):
    if n is None or len(y) <= n:
        return X, y
    idx, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    idx = np.sort(idx)
    return X[idx], y[idx]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--max-train", type=int, default=5000)
    ap.add_argument("--max-test", type=int, default=10000)
    ap.add_argument("--datasets", nargs="*", default=None)
    ap.add_argument("--redo", nargs="*", default=[], help="detectors whose recorded rows are dropped and re-run")
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = args.datasets or list_adbench()
    for seed in args.seeds:
        path = OUT / f"results_seed{seed}.json"
        rec = Recorder("adbench", path, metrics=["roc_auc", "pr_auc"], title=f"ADBench, library defaults, seed {seed}",
                       description=__doc__.split("\n\n")[0], machine_note="torch threads 1")
        if path.exists():  # keep what was measured, except the detectors to redo
            old = json.loads(path.read_text())
            rec.records = [{**{k: old.get(k) for k in ("command", "commit", "machine", "date")}, **r}
                           for r in old["records"] if r["detector"] not in args.redo]
        done = {(r["dataset"], r["detector"]) for r in rec.records}
        for name in names:
            ds = load(f"adbench/{name}", random_state=seed, max_train=args.max_train)
            X_test, y_test = cap_test(ds.X_test, ds.y_test, args.max_test, seed)
            for det_name, make in DETECTORS.items():
                if (name, det_name) in done:
                    continue
                r = rec.measure(make(seed), ds, dataset=name, seed=seed, name=det_name, X_test=X_test, y_test=y_test,
                                n_features=int(ds.X_train.shape[1]))
                print(f"seed {seed} {name:18s} {det_name:24s} {r.get('roc_auc', r.get('error'))} "
                      f"{r.get('fit_seconds', 0):.1f}s", flush=True)
            rec.write()
        for d in DETECTORS:
            v = [r["roc_auc"] for r in rec.records if r["detector"] == d and r["status"] == "ok"]
            if v:
                print(f"{d:32s} mean ROC-AUC {np.mean(v):.4f} over {len(v)} datasets")


if __name__ == "__main__":
    main()
