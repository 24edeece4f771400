"""Group anomaly benchmark: synthetic Gaussian-mixture groups and SDSS galaxy groups.

For every data set type and seed 0..4: fit each detector on the training groups, score the test
groups, record ROC-AUC and PR-AUC (genad.metrics.evaluate) and the fit+score time. GroupAAE and
GroupVAE are fitted once per seed; every group score (GroupAAE.score_groups) is evaluated from
that one fit. Writes results/groups.json (one record per data set type, detector and seed, through
genad.bench.Recorder) and prints the tables (mean ± std over seeds).

    GENAD_DATA=/work/shared/data PYTHONPATH=src python benchmarks/group/run_groups.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import genad
import genad.group as gg
from genad.bench import Recorder
from genad.datasets import load
from genad.metrics import evaluate

OUT = Path(__file__).resolve().parent / "results"
TYPES = [
    ("synthetic point", "synthetic-groups", {"kind": "point"}),
    ("synthetic distribution", "synthetic-groups", {"kind": "distribution"}),
    ("SDSS type 1 (random galaxies)", "sdss-groups", {"anomaly_type": 1}),
    ("SDSS type 2 (mixture, 0.5 cov)", "sdss-groups", {"anomaly_type": 2}),
    ("SDSS type 3 (mixture, 1.0 cov)", "sdss-groups", {"anomaly_type": 3}),
]


def detectors(seed):
    return {
        "OCSMM": gg.OCSMM(random_state=seed),
        "OCSMM(bandwidth_scale=0.25)": gg.OCSMM(bandwidth_scale=0.25, random_state=seed),
        "MGM": gg.MGM(random_state=seed),
        "PointAggregate(IsolationForest,mean)": gg.PointAggregate(genad.IsolationForest(random_state=seed), "mean"),
        "PointAggregate(IsolationForest,max)": gg.PointAggregate(genad.IsolationForest(random_state=seed), "max"),
        "PointAggregate(KDE,mean)": gg.PointAggregate(genad.KDE(random_state=seed), "mean"),
        "PointAggregate(KDE,max)": gg.PointAggregate(genad.KDE(random_state=seed), "max"),
        "GroupAAE": gg.GroupAAE(random_state=seed),
        "GroupVAE": gg.GroupVAE(random_state=seed),
    }


def _markdown(t: pd.DataFrame) -> str:
    head = "| detector | " + " | ".join(t.columns) + " |"
    sep = "|---" * (len(t.columns) + 1) + "|"
    body = ["| " + str(i) + " | " + " | ".join(str(v) for v in r) + " |" for i, r in zip(t.index, t.values)]
    return "\n".join([head, sep, *body])


def score_variants(det, name, scores, X, groups=None) -> dict:
    """``{name: scores}``, plus ``name[s]`` for every group score ``s`` of a GroupAAE / GroupVAE
    (computed from the same fit with ``score_groups``)."""
    variants = {name: scores}
    if isinstance(det, (gg.GroupAAE, gg.GroupVAE)):
        variants.update({f"{name}[{sc}]": det.score_groups(X, groups, score=sc) for sc in gg.SCORES})
    return variants


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    OUT.mkdir(exist_ok=True)
    rows = []
    for label, name, opts in TYPES:
        for seed in range(args.seeds):
            ds = load(name, random_state=seed, **opts)
            for dname, det in detectors(seed).items():
                t0 = time.perf_counter()
                det.fit(ds.X_train, groups=ds.groups_train)
                s = det.decision_function(ds.X_test, groups=ds.groups_test)
                secs = time.perf_counter() - t0
                variants = score_variants(det, dname, s, ds.X_test, ds.groups_test)
                for vname, vs in variants.items():
                    m = evaluate(ds.y_test, vs, threshold=det.threshold_ if vname == dname else None)
                    rows.append({"type": label, "seed": seed, "detector": vname, "roc_auc": m["roc_auc"],
                                 "pr_auc": m["pr_auc"], "seconds": secs,
                                 "recall_at_threshold": m.get("recall", np.nan),
                                 "fpr_at_threshold": m.get("fpr", np.nan)})
                print(f"{label:32s} seed {seed} {dname:40s} roc {rows[-len(variants)]['roc_auc']:.3f} "
                      f"({secs:.1f}s)", flush=True)
    df = pd.DataFrame(rows)
    rec = Recorder("group", OUT / "groups.json", metrics=["roc_auc", "pr_auc"],
                   title="Group detectors: synthetic and SDSS groups", description=__doc__.split("\n\n")[0],
                   machine_note="torch threads 1")
    for r in rows:
        r = dict(r)
        rec.add(dataset=r.pop("type"), detector=r.pop("detector"), seed=r.pop("seed"), **r)
    rec.write()
    for metric in ("roc_auc", "pr_auc"):
        tab = df.pivot_table(index="detector", columns="type", values=metric, aggfunc="mean", sort=False)
        sd = df.pivot_table(index="detector", columns="type", values=metric, aggfunc=lambda v: np.std(v), sort=False)
        cell = tab.map(lambda v: f"{v:.3f}") + " ± " + sd.map(lambda v: f"{v:.3f}")
        md = _markdown(cell)
        print(f"\n{metric} (mean ± std over {args.seeds} seeds)\n{md}")
    fits = df[~df.detector.str.contains("[", regex=False)]
    print(f"\ntotal fit+score seconds: {fits.seconds.sum():.0f}")


if __name__ == "__main__":
    main()
