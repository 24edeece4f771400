"""Choosing the code size of the autoencoder family from the training rows alone (no labels).

The library's ``latent_dim=None`` takes about a quarter of the input width
(:func:`genad.nn.backbones.default_latent_dim`), whatever the data. This compares it with rules
that read the spectrum of the standardised training rows (the rows the detector trains on, anomalies
included; no labels): ``kaiser`` (principal components whose variance exceeds the mean variance),
``var80`` / ``var90`` (fewest components explaining 80% / 90% of the variance), each between 2
and 32, with the hidden layers widened where they would be narrower than the code
(``hidden=[max(h1, 2k), max(h2, k)]`` with the default ``[h1, h2]``). ``widened`` keeps the
default code and only widens the hidden layers the same way, to tell the two changes apart.

Data (``--data``), never the reported splits:

* ``adbench``: each dataset of the ``genad.bench`` suite ``adbench`` (its caps and protocol) drawn
  with split seeds that the harness does not report (default 100 and 101; it reports 0-2);
* ``ecg5000``: the Anomagram protocol of ``benchmarks/ecg5000`` with tuning seeds (default 10 and
  11; ``benchmarks/ecg5000`` reports 0-2) and shares of abnormal training beats ``--fractions``.

Every variant is fitted with ``random_state`` = the seed and calibrated on a 10% hold-out (one
fit). The planted-feature check of the explanations takes the same rules
(``benchmarks/explain/planted.py --latent-rule``)::

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/adbench/latent.py \\
        --detector AutoEncoder --rules default widened kaiser var80 var90 --seeds 100
    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/adbench/latent.py \\
        --data ecg5000 --rules default var90 --seeds 10 11

Results: ``results/latent_<detector>_seed<seeds>.json`` (``latent_ecg5000_...`` for ECG5000; one
record per dataset, seed and rule; a rerun adds to the file); the means per rule and seed are
printed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

import genad
from genad.bench import Recorder
from genad.bench.suites import get_suite
from genad.datasets import load
from genad.nn.backbones import default_hidden, default_latent_dim

OUT = Path(__file__).resolve().parent / "results"
RULES = ("default", "widened", "kaiser", "var80", "var90")
#: ECG5000 shares of abnormal training beats (as benchmarks/ecg5000)
FRACTIONS = (0.0, 0.1, 0.3)


def spectrum(X) -> np.ndarray:
    """Variances of the principal components of the standardised rows (constant columns dropped)."""
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    X = X[:, X.std(axis=0) > 0]
    return PCA().fit(StandardScaler().fit_transform(X)).explained_variance_


def settings(rule: str, X) -> dict:
    """``latent_dim`` and ``hidden`` of ``rule`` for the training rows ``X``."""
    d = int(np.prod(np.shape(X)[1:]))
    h1, h2 = default_hidden(d)
    if rule == "default":
        return {}
    if rule == "widened":
        k = default_latent_dim(d)
    else:
        ev = spectrum(X)
        if rule == "kaiser":
            k = int((ev > ev.mean()).sum())
        else:
            share = {"var80": 0.8, "var90": 0.9}[rule]
            k = int(np.searchsorted(np.cumsum(ev) / ev.sum(), share) + 1)
        k = int(min(32, max(2, k)))
    return {"latent_dim": k, "hidden": [max(h1, 2 * k), max(h2, k)]}


def datasets(data: str, seeds, names=None, fractions=FRACTIONS):
    """``(name, seed, dataset)`` of the tuning draws, one at a time."""
    if data == "ecg5000":
        for f in fractions:
            for seed in seeds:
                name = "ecg5000" if f == 0 else f"ecg5000-abn{int(round(f * 100))}"
                yield name, seed, load("ecg5000", abnormal_fraction=f, random_state=seed)
        return
    for spec in get_suite("adbench").resolve():
        if names and spec.name.split("/", 1)[1] not in names:
            continue
        for seed in seeds:
            yield spec.name, seed, spec.load(seed)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="adbench", choices=["adbench", "ecg5000"])
    ap.add_argument("--detector", default="AutoEncoder", choices=["AutoEncoder", "VAE", "AdversarialAutoEncoder"])
    ap.add_argument("--rules", nargs="+", default=list(RULES), choices=RULES)
    ap.add_argument("--seeds", type=int, nargs="+", help="split seeds (default 100 101; ECG5000 10 11)")
    ap.add_argument("--datasets", nargs="*", help="subset of the ADBench suite (names without adbench/)")
    ap.add_argument("--fractions", type=float, nargs="+", default=list(FRACTIONS), help="ECG5000 shares")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    seeds = args.seeds or ([10, 11] if args.data == "ecg5000" else [100, 101])
    prefix = "latent" if args.data == "adbench" else f"latent_{args.data}"
    stem = f"{prefix}_{args.detector}_seed{'-'.join(map(str, seeds))}"
    rec = Recorder(args.data, OUT / f"{stem}.json", title=f"{args.data} tuning draws: code size from the data",
                   description=__doc__.split("\n\n")[0], machine_note=f"torch threads {args.threads}")
    rec.resume()
    cls = getattr(genad, args.detector)
    for name, seed, ds in datasets(args.data, seeds, args.datasets, args.fractions):
        for rule in args.rules:
            params = settings(rule, ds.X_train)
            det = cls(random_state=seed, **params)
            det.min_holdout = 1  # hold-out calibration: one fit on 90% of the training part
            rec.measure(det, ds, dataset=name, seed=seed, name=args.detector, variant=rule)
        rec.write()
    for rule in args.rules:
        for seed in seeds:
            auc = [r["roc_auc"] for r in rec.records if r.get("variant") == rule and r.get("seed") == seed
                   and r.get("detector") == args.detector and r.get("status", "ok") == "ok"]
            print(f"{args.detector} {rule:8s} seed {seed}: mean ROC-AUC {np.mean(auc):.4f} over {len(auc)} datasets")


if __name__ == "__main__":
    main()
