"""ADBench classical datasets: library defaults, no per-dataset tuning.

Each of the 33 ADBench classical sets with the ADBench protocol (stratified 70/30 split, the
training part keeps its anomalies; load("adbench/<name>", random_state=seed, max_train=...)).
Every detector runs with its defaults (genad's standard scaling), seed = random_state.
CPU budget: training capped at ``--max-train`` rows (stratified subsample, default 5,000) and
the test part at ``--max-test`` rows (stratified subsample, default 10,000).
Results are appended per dataset to results/results_seed<k>.jsonl, so a partial run keeps what
it measured; summary.json holds means over the datasets every detector finished.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/adbench/run.py [--seeds 0]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split

import genad
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


def summarize(rows):
    seen, unique = set(), []
    for r in rows:  # two processes may have written the same pair: keep the first
        key = (r["dataset"], r["detector"], r["seed"])
        if key not in seen:
            seen.add(key)
            unique.append(r)
    rows = unique
    names = sorted({r["dataset"] for r in rows})
    complete = [n for n in names if all(any(r["dataset"] == n and r["detector"] == d and r.get("roc_auc") is not None
                                            for r in rows) for d in DETECTORS)]
    out = {}
    for d in DETECTORS:
        rs = [r for r in rows if r["detector"] == d and r["dataset"] in complete]
        if rs:
            out[d] = dict(mean_roc_auc=float(np.mean([r["roc_auc"] for r in rs])),
                          mean_pr_auc=float(np.mean([r["pr_auc"] for r in rs])),
                          mean_fit_seconds=float(np.mean([r["fit_seconds"] for r in rs])),
                          n_dataset_seeds=len(rs))
    return dict(datasets_complete=complete, detectors=out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--max-train", type=int, default=5000)
    ap.add_argument("--max-test", type=int, default=10000)
    ap.add_argument("--datasets", nargs="*", default=None)
    ap.add_argument("--redo", nargs="*", default=[], help="detectors whose recorded rows are dropped and re-run")
    ap.add_argument("--summarize-only", action="store_true", help="rebuild summary.json from the result files")
    args = ap.parse_args()
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.summarize_only:
        rows = [json.loads(line) for seed in args.seeds
                for line in (OUT / f"results_seed{seed}.jsonl").read_text().splitlines()]
        (OUT / "summary.json").write_text(json.dumps(summarize(rows), indent=2))
        return
    names = args.datasets or list_adbench()
    all_rows = []
    for seed in args.seeds:
        path = OUT / f"results_seed{seed}.jsonl"
        done = set()
        if path.exists():
            kept = [line for line in path.read_text().splitlines() if json.loads(line)["detector"] not in args.redo]
            path.write_text("".join(line + "\n" for line in kept))
            for line in kept:
                r = json.loads(line)
                all_rows.append(r)
                done.add((r["dataset"], r["detector"]))
        for name in names:
            ds = load(f"adbench/{name}", random_state=seed, max_train=args.max_train)
            X_test, y_test = cap_test(ds.X_test, ds.y_test, args.max_test, seed)
            for det_name, make in DETECTORS.items():
                if (name, det_name) in done:
                    continue
                row = dict(dataset=name, detector=det_name, seed=seed, n_train=len(ds.X_train),
                           n_test=len(y_test), n_features=int(ds.X_train.shape[1]))
                try:
                    t0 = time.perf_counter()
                    det = make(seed).fit(ds.X_train)
                    row["fit_seconds"] = time.perf_counter() - t0
                    s = det.decision_function(X_test)
                    row["roc_auc"] = float(roc_auc_score(y_test, s))
                    row["pr_auc"] = float(average_precision_score(y_test, s))
                except Exception as e:  # recorded, not hidden: the summary leaves the set out
                    row["error"] = f"{type(e).__name__}: {e}"
                    row["roc_auc"] = None
                all_rows.append(row)
                with path.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(f"seed {seed} {name:18s} {det_name:24s} "
                      f"{row.get('roc_auc') if row.get('roc_auc') is None else round(row['roc_auc'], 4)} "
                      f"{row.get('fit_seconds', 0):.1f}s {row.get('error', '')}", flush=True)
            (OUT / "summary.json").write_text(json.dumps(summarize(all_rows), indent=2))
    summ = summarize(all_rows)
    (OUT / "summary.json").write_text(json.dumps(summ, indent=2))
    for d, v in sorted(summ["detectors"].items(), key=lambda kv: -kv[1]["mean_roc_auc"]):
        print(f"{d:24s} ROC-AUC {v['mean_roc_auc']:.4f}  PR-AUC {v['mean_pr_auc']:.4f}  ({v['n_dataset_seeds']})")


if __name__ == "__main__":
    main()
