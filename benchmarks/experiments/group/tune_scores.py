"""Choose the default group score of GroupAAE / GroupVAE on seeds that are NOT benchmark seeds.

For seeds 100-102 of every type of run_groups.py, fit GroupAAE and GroupVAE once and evaluate
every single score and every mean (the "combined" score, with ``combine=``) or maximum of
robust z-scores of 2-4 of the PARTS from that fit; "mmd" and "pooled" also at kernel bandwidths
0.125 and 0.5 x the median heuristic (suffix "@bw...", same point model). Writes
results/tune_scores.json (mean ROC-AUC per type, and the worst-type and mean ROC-AUC of each
candidate) and prints the ranking, then the chosen default under the rule fixed beforehand:
one default for both models, the highest mean ROC-AUC over the five types averaged over the
two models.

    GENAD_DATA=/work/shared/data PYTHONPATH=src:benchmarks/group python benchmarks/group/tune_scores.py
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from pathlib import Path

import numpy as np
import torch
from run_groups import TYPES
from sklearn.metrics import roc_auc_score

from genad.bench import Recorder
from genad.bench.results import flatten_numbers
import genad.group as gg
from genad.datasets import load

OUT = Path(__file__).resolve().parent
SEEDS = (100, 101, 102)
PARTS = ("mmd", "pooled", "spread", "reconstruction", "knn", "gaussian", "local", "mixture")
BANDWIDTHS = (0.25, 0.125, 0.5)  # 0.25 = the default


def main():
    torch.set_num_threads(1)
    singles = [s for s in gg.SCORES if s != "combined"]
    combos = [c for r in (2, 3, 4) for c in itertools.combinations(PARTS, r)]
    auc: dict = {}
    for label, name, opts in TYPES:
        for seed in SEEDS:
            ds = load(name, random_state=seed, **opts)
            for cls in (gg.GroupAAE, gg.GroupVAE):
                t0 = time.perf_counter()
                det = cls(random_state=seed).fit(ds.X_train, groups=ds.groups_train)
                for bw in BANDWIDTHS:
                    if bw != det.bandwidth_scale:  # same point model, references at another bandwidth
                        d = copy.copy(det)
                        d.bandwidth_scale = bw
                        d._fit_references(None, det.ref_codes_, det.ref_offsets_)
                    else:
                        d = det
                    tag = "" if bw == det.bandwidth_scale else f"@bw{bw}"
                    z = {}
                    for s in singles:
                        if tag and s not in ("mmd", "pooled"):
                            continue
                        v = d.score_groups(ds.X_test, ds.groups_test, score=s)
                        med, mad = d.score_stats_[s]
                        z[s] = (v - med) / mad
                        auc.setdefault(cls.__name__, {}).setdefault(s + tag, {}).setdefault(label, []).append(
                            roc_auc_score(ds.y_test, v))
                    for c in combos:
                        if any(p not in z for p in c):
                            continue
                        for how, f in (("mean", np.mean), ("max", np.max)):
                            v = f([z[p] for p in c], axis=0)
                            auc[cls.__name__].setdefault(f"{how}:{'+'.join(c)}{tag}", {}).setdefault(
                                label, []).append(roc_auc_score(ds.y_test, v))
                print(f"{label:32s} seed {seed} {cls.__name__} {time.perf_counter() - t0:.1f}s", flush=True)
    summary = {}
    for model, cands in auc.items():
        rows = {}
        for cand, per_type in cands.items():
            means = {t: float(np.mean(v)) for t, v in per_type.items()}
            rows[cand] = {"per_type": means, "worst": min(means.values()), "mean": float(np.mean(list(means.values())))}
        summary[model] = dict(sorted(rows.items(), key=lambda kv: -kv[1]["mean"]))
    both = {c: np.mean([summary[m][c]["mean"] for m in summary]) for c in summary["GroupAAE"]
            if all(c in summary[m] for m in summary)}
    ranking = sorted(both.items(), key=lambda kv: -kv[1])
    rec = Recorder("group", OUT / "tune_scores.json", metrics=["mean", "worst"], title="Group score search",
                   seeds=list(SEEDS), rule="highest mean ROC-AUC over the five types, averaged over GroupAAE and GroupVAE",
                   chosen=ranking[0][0], ranking_both_models=dict(ranking))
    for model, rows in summary.items():
        for cand, v in rows.items():
            rec.add(dataset="five group types", detector=model, variant=cand, seed=None, **flatten_numbers(v))
    rec.write()
    print("\naveraged over both models (rule):")
    for cand, v in ranking[:15]:
        print(f"  {cand:40s} {v:.3f}")
    print(f"chosen: {ranking[0][0]}")
    for model, rows in summary.items():
        print(f"\n{model}: candidate, mean ROC-AUC over types, worst type, per type")
        for cand, r in list(rows.items())[:30]:
            print(f"  {cand:40s} {r['mean']:.3f} {r['worst']:.3f} " +
                  " ".join(f"{v:.3f}" for v in r["per_type"].values()))


if __name__ == "__main__":
    main()
