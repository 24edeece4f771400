"""ECG5000 with the Anomagram protocol: dense autoencoder on the 140 points of a heartbeat.

Train on the normal beats of train.json with a share f of abnormal beats mixed in
(load("ecg5000", abnormal_fraction=f, random_state=seed)), score the 500 beats of test.json.
ROC-AUC at f = 0, 5, 10, 20, 30, 50%, over 3 seeds (seed = model seed and mixing seed).
Anomagram's reported figures: 0.96 at 0%, 0.93 at 30%, 0.56 at 50%.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/ecg5000/run.py
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

import genad
from genad.bench import Recorder
from genad.bench.protocols import ANOMAGRAM_NETWORK
from genad.datasets import load

OUT = Path(__file__).resolve().parent / "results"
FRACTIONS = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5]
SEEDS = [0, 1, 2]
REFERENCE = {0.0: 0.96, 0.3: 0.93, 0.5: 0.56}
CONFIGS = {
    "AutoEncoder() defaults": dict(),  # trim="auto"
    "AutoEncoder(trim=0.2) (former default)": dict(trim=0.2),
    "AutoEncoder(trim=0) (untrimmed loss)": dict(trim=0.0),
    "AutoEncoder(trim=0.1)": dict(trim=0.1),
    "AutoEncoder(preprocessing='minmax')": dict(preprocessing="minmax", trim=0.2),  # recorded when 0.2 was the default
    # Anomagram's network (experiments/models/ae.js, ecg.js): 140 -> 7 -> 3 -> 2 -> 3 -> 7 -> 140,
    # ReLU, sigmoid output, Adam lr 0.01, batch 512, 50 epochs (Anomagram's Adam has beta1 = 0.5;
    # genad's has 0.9)
    "Anomagram net [7, 3] -> 2, sigmoid output, minmax": ANOMAGRAM_NETWORK,
    "small net [7, 3] -> 2, minmax, lr 0.01, batch 256": dict(
        hidden=[7, 3], latent_dim=2, lr=0.01, batch_size=256, preprocessing="minmax", trim=0.0),
}


def _fit_one(label: str, f: float, seed: int) -> dict:
    """One fit and score in a worker process: the record as Recorder.measure makes it."""
    torch.set_num_threads(1)
    dataset = "ecg5000" if f == 0 else f"ecg5000-abn{int(round(f * 100))}"
    ds = load("ecg5000", abnormal_fraction=f, random_state=seed)
    rec = Recorder("ecg5000", OUT / "unused.json")
    return rec.measure(genad.AutoEncoder(**CONFIGS[label], random_state=seed), ds, dataset=dataset, seed=seed,
                       variant=label, reference=REFERENCE.get(f))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None,
                    help="run only these configuration labels; their rows replace the recorded ones")
    ap.add_argument("--jobs", type=int, default=1, help="fits run at the same time in worker processes")
    args = ap.parse_args()
    torch.set_num_threads(1)
    path = OUT / "results.json"
    rec = Recorder("ecg5000", path, title="ECG5000 (Anomagram protocol): autoencoder configurations",
                   description=__doc__.split("\n\n")[0], machine_note="torch threads 1 per fit")
    if args.only is not None and path.exists():  # keep the recorded rows of the other configurations
        old = json.loads(path.read_text())
        rec.records = [{**{k: old.get(k) for k in ("command", "commit", "machine", "date")}, **r}
                       for r in old["records"] if r.get("variant") not in args.only]
    labels = [label for label in CONFIGS if args.only is None or label in args.only]
    if args.jobs > 1:  # every fit in a pool of worker processes, recorded in order
        from concurrent.futures import ProcessPoolExecutor

        tasks = [(label, f, seed) for label in labels for f in FRACTIONS for seed in SEEDS]
        with ProcessPoolExecutor(args.jobs) as pool:
            for record in pool.map(_fit_one, *zip(*tasks)):
                rec.records.append(record)
                rec.write()
    for label in labels:
        for f in FRACTIONS:
            dataset = "ecg5000" if f == 0 else f"ecg5000-abn{int(round(f * 100))}"
            if args.jobs <= 1:
                for seed in SEEDS:
                    rec.records.append(_fit_one(label, f, seed))
            aucs = [r["roc_auc"] for r in rec.records if r.get("variant") == label and r["dataset"] == dataset
                    and r["status"] == "ok"]
            print(f"{label:52s} f={f:.2f} ROC-AUC {np.mean(aucs):.4f} +- {np.std(aucs):.4f} "
                  f"(ref {REFERENCE.get(f, '-')})", flush=True)
        rec.write()


if __name__ == "__main__":
    main()
