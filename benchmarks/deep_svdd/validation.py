"""DeepSVDD settings on a validation split made of *training* images only (no test image used).

For each class c of MNIST or CIFAR-10: the class's training images are shuffled (seed 1000 + c);
the model is fitted on the first 80% (at most ``max_fit`` of them); the validation set is the
other 20% (normal) and 2,000 training images of the other classes (anomalies), ROC-AUC. This is
where image settings for ``DeepSVDD`` are compared; ``run.py`` reports the test protocol.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/deep_svdd/validation.py \\
        --classes 0 3 --variants '{"defaults": {}, "epochs 10": {"epochs": 10}}'

A variant is a dict of ``DeepSVDD`` parameters; the extra key ``max_fit`` caps the fitted images
(default ``--max-fit``, all of them when not given). ``--single-fit`` calibrates on a 10% hold-out
of the fitted images (one fit on the other 90%) instead of the cross-conformal folds genad uses
below 5,000 rows: the ranking is what is compared, and it costs one fit instead of six. Results:
``results/validation_<dataset>.json`` (one record per class and variant; a rerun adds to the file).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

import genad
from genad.bench import Recorder
from genad.datasets import load

OUT = Path(__file__).resolve().parent / "results"


def split(train: dict[int, np.ndarray], c: int, n_anomalies: int = 2000):
    """(images to fit, validation images, validation labels) for class ``c``."""
    rng = np.random.default_rng(1000 + c)
    own = train[c][rng.permutation(len(train[c]))]
    n_fit = int(0.8 * len(own))
    others = np.concatenate([train[k] for k in sorted(train) if k != c])
    anomalies = others[rng.choice(len(others), n_anomalies, replace=False)]
    X_val = np.concatenate([own[n_fit:], anomalies])
    y_val = np.r_[np.zeros(len(own) - n_fit, dtype=int), np.ones(n_anomalies, dtype=int)]
    return own[:n_fit], X_val, y_val


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="mnist", choices=["mnist", "cifar10"])
    ap.add_argument("--classes", type=int, nargs="+", default=list(range(10)))
    ap.add_argument("--variants", default='{"defaults": {}}', help="JSON: {label: DeepSVDD parameters}")
    ap.add_argument("--max-fit", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--single-fit", action="store_true", help="10%% hold-out calibration: one fit")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    variants = json.loads(args.variants)
    rec = Recorder("deep-svdd", OUT / f"validation_{args.dataset}.json",
                   title=f"DeepSVDD settings on a validation split of {args.dataset} training images",
                   description=__doc__.split("\n\n")[0], machine_note=f"torch threads {args.threads}")
    rec.resume()
    train = {k: load(args.dataset, normal_class=k, protocol="deep-svdd", random_state=0).X_train for k in range(10)}
    for c in args.classes:
        X_fit, X_val, y_val = split(train, c)
        for label, params in variants.items():
            params = dict(params)
            max_fit = params.pop("max_fit", args.max_fit)
            X = X_fit[:max_fit] if max_fit else X_fit
            det = genad.DeepSVDD(random_state=args.seed, **params)
            if args.single_fit:
                det.min_holdout = 1  # hold-out calibration: one fit on 90% of X
            r = rec.measure(det, None, dataset=f"{args.dataset}-{c}",
                            seed=args.seed, name="DeepSVDD", X_train=X, X_test=X_val, y_test=y_val,
                            variant=label, n_fit=len(X), single_fit=args.single_fit)
            rec.write()
            print(f"{args.dataset}-{c} {label:24s} n_fit {len(X)} ROC-AUC {r.get('roc_auc', r.get('error'))} "
                  f"fit {r.get('fit_seconds', 0):.1f}s", flush=True)


if __name__ == "__main__":
    main()
