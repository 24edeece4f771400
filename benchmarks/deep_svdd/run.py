"""Deep SVDD one-class protocol on MNIST and CIFAR-10 (Ruff et al., ICML 2018, Table 1).

For each class c: train ``DeepSVDD`` on the training images of c (MNIST about 6,000, CIFAR-10
5,000), score the *whole* 10,000-image test set (anomalies = every other class), ROC-AUC
(``load(name, normal_class=c, protocol="deep-svdd")``). The paper's one-class Deep SVDD means are
0.948 (MNIST) and 0.648 (CIFAR-10).

Two schedules:

* ``--schedule defaults`` (the CPU run): ``DeepSVDD(random_state=seed)`` with library defaults
  (50 epochs, ``lr="auto"``: 1e-4 on images, no pretraining), optionally on at most ``--max-train`` training images;
* ``--schedule paper``: the paper's optimisation (Adam, lr 1e-4 for 150 epochs, weight decay
  5e-7, batch 200, 250 epochs of autoencoder pretraining), meant for a GPU (``--device cuda``).
  What stays genad's: the DCGAN-style bias-free convolutional encoder (the paper uses LeNet-type
  networks) and per-pixel standardisation (the paper: global contrast normalisation and per-class
  min-max scaling); the paper also divides lr by 10 after 50 epochs, which genad's schedule
  does not do.

Results go to ``results/<dataset>_<schedule>.json`` (genad-bench/2), rewritten after every
class; a rerun continues where the last one stopped.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/deep_svdd/run.py --datasets mnist --seeds 0
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

import genad
from genad.bench import Recorder
from genad.bench.references import find
from genad.datasets import load

OUT = Path(__file__).resolve().parent / "results"
#: the paper's mean ROC-AUC per dataset (Table 1), as recorded in genad.bench.references
PAPER = {name: find(name, "mean", "DeepSVDD").value for name in ("mnist", "cifar10")}
#: the paper's optimisation (Section 4.1 and the authors' code)
PAPER_SCHEDULE = dict(epochs=150, pretrain_epochs=250, lr=1e-4, weight_decay=5e-7, batch_size=200)


def make_detector(schedule: str, seed: int, device: str, epochs: int | None) -> genad.DeepSVDD:
    settings = dict(PAPER_SCHEDULE) if schedule == "paper" else {}
    if epochs is not None:
        settings["epochs"] = epochs
    return genad.DeepSVDD(random_state=seed, device=device, **settings)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", nargs="+", default=["mnist", "cifar10"], choices=sorted(PAPER))
    ap.add_argument("--classes", type=int, nargs="+", default=list(range(10)))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--schedule", choices=["defaults", "paper"], default="defaults")
    ap.add_argument("--epochs", type=int, default=None, help="override the schedule's epochs (a reduced run)")
    ap.add_argument("--max-train", type=int, default=None, help="at most this many training images per class")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="results file (default results/<dataset>_<schedule>.json)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    reduced = args.max_train is not None or args.epochs is not None
    for name in args.datasets:
        path = Path(args.out) if args.out else OUT / f"{name}_{args.schedule}.json"
        rec = Recorder("deep-svdd", path, title=f"Deep SVDD one-class protocol, {name} ({args.schedule} schedule)",
                       description=__doc__.split("\n\n")[0], machine_note=f"torch threads {args.threads}",
                       settings=dict(schedule=args.schedule, epochs=args.epochs, max_train=args.max_train,
                                     reduced_run=bool(reduced), protocol="deep-svdd", device=args.device))
        done = {(r["dataset"], r["seed"]) for r in rec.resume() if r.get("status") == "ok"}
        for seed in args.seeds:
            for c in args.classes:
                label = f"{name}-{c}"
                if (label, seed) in done:
                    continue
                ds = load(name, normal_class=c, protocol="deep-svdd", max_train=args.max_train, random_state=seed)
                r = rec.measure(make_detector(args.schedule, seed, args.device, args.epochs), ds, dataset=label,
                                seed=seed, name="DeepSVDD", reference=PAPER[name])
                rec.write()
                print(f"{label} seed {seed} ROC-AUC {r.get('roc_auc', r.get('error'))} "
                      f"fit {r.get('fit_seconds', 0):.1f}s", flush=True)
        ok = [r["roc_auc"] for r in rec.records if r.get("status") == "ok"]
        if ok:
            print(f"{name}: mean ROC-AUC {np.mean(ok):.4f} over {len(ok)} fits (paper {PAPER[name]})")


if __name__ == "__main__":
    main()
