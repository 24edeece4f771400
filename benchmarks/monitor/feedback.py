"""Analyst feedback on ADBench: ROC-AUC and precision at the threshold before and after.

Per dataset and seed (ADBench protocol: 70/30 stratified split, the model fitted unsupervised on
the contaminated 70%): the 30% test part is split 50/50 (stratified) into a *stream* the
analysts see and an *evaluation* part nobody labels. A simulated analyst labels, truthfully, the
``k`` stream items the model ranks highest (the flagged queue, worked from the top), k = 10, 50,
200. :func:`genad.monitor.retrain` then builds (``--modes``: ``refit`` and ``recalibrate``) a candidate from the training rows (unlabelled)
plus the stream (``k`` labelled, the rest unlabelled): refit with the known anomalies left out,
threshold chosen on the labelled items (F1) when they hold 5 of each class, compared with the
current model on 30% of the labelled items held out, promoted only if not worse.

Recorded per dataset x detector x seed x k (``variant`` = ``k=...``): on the evaluation part,
``roc_auc_before`` / ``precision_before`` / ``recall_before`` (the current model at its
threshold), ``roc_auc_after`` / ``precision_after`` / ``recall_after`` (the model in service after
the policy: the candidate if promoted, else the current one), the candidate's own figures
(``*_candidate``), ``promoted``, and the labelled items' class counts. Usage::

    PYTHONPATH=src python benchmarks/monitor/feedback.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATASETS = ["Cardiotocography", "Pima", "satimage-2", "annthyroid", "Waveform", "SpamBase", "PageBlocks", "vowels",
            "WBC", "Ionosphere"]


def _eval(det, X, y):
    from genad.metrics import evaluate

    m = evaluate(y, det.decision_function(X), threshold=det.threshold_)
    return {k: m[k] for k in ("roc_auc", "pr_auc", "precision", "recall", "f1")}


def main():
    import genad
    from genad.bench import Recorder
    from genad.datasets import get_data_home
    from genad.datasets.tabular import load_adbench
    from genad.monitor import retrain
    from sklearn.model_selection import train_test_split

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--datasets", nargs="+", default=DATASETS)
    ap.add_argument("--ks", type=int, nargs="+", default=[10, 50, 200])
    ap.add_argument("--detectors", nargs="+", default=["IsolationForest", "KNN"])
    ap.add_argument("--modes", nargs="+", default=["refit", "recalibrate"], choices=["refit", "recalibrate"])
    ap.add_argument("--out", default=str(HERE / "results" / "feedback_adbench.json"))
    args = ap.parse_args()
    rec = Recorder("monitor", args.out, metrics=["roc_auc_after", "precision_after"],
                   title="Analyst feedback on ADBench (simulated verdicts on the top-ranked stream items)",
                   description="genad.monitor.retrain: refit without the known anomalies + threshold on the "
                               "labelled items, promoted only if not worse on held-out labelled items")
    home = Path(get_data_home())
    for seed in args.seeds:
        for name in args.datasets:
            ds = load_adbench(home, name, random_state=seed)
            idx = np.arange(len(ds.y_test))
            s_idx, e_idx = train_test_split(idx, test_size=0.5, stratify=ds.y_test, random_state=seed)
            Xs, ys, Xe, ye = ds.X_test[s_idx], ds.y_test[s_idx], ds.X_test[e_idx], ds.y_test[e_idx]
            for det_name in args.detectors:
                params = {"random_state": seed} if det_name == "IsolationForest" else {}
                params["preprocessing"] = "minmax"
                current = getattr(genad, det_name)(**params).fit(ds.X_train)
                before = _eval(current, Xe, ye)
                order = np.argsort(-current.decision_function(Xs), kind="stable")
                for k, mode in [(k, m) for m in args.modes for k in args.ks]:
                    k_eff = min(k, len(Xs))
                    lab = np.full(len(Xs), -1)
                    lab[order[:k_eff]] = ys[order[:k_eff]]
                    X = np.vstack([ds.X_train, Xs])
                    y = np.r_[np.full(len(ds.X_train), -1), lab]
                    base = dict(dataset=ds.name, detector=det_name, seed=seed, variant=f"{mode} k={k}", k=k_eff,
                                labelled_anomalies=int((lab == 1).sum()), labelled_normals=int((lab == 0).sum()),
                                **{f"{m}_before": v for m, v in before.items()})
                    try:
                        res = retrain(current, X, y, metric="f1", random_state=seed, refit=mode == "refit")
                    except ValueError as exc:
                        rec.add(**base, status="error", error=str(exc))
                        continue
                    cand = _eval(res.candidate, Xe, ye)
                    after = cand if res.promoted else before
                    rec.add(**base, promoted=int(res.promoted), reason=res.reason,
                            calibrated=int(res.lineage["calibrated_on_labels"]),
                            **{f"{m}_after": v for m, v in after.items()},
                            **{f"{m}_candidate": v for m, v in cand.items()})
                    print(f"{ds.name} {det_name} seed {seed} {mode} k={k}: roc {before['roc_auc']:.3f} -> {after['roc_auc']:.3f} "
                          f"(cand {cand['roc_auc']:.3f}), precision {before['precision']:.3f} -> {after['precision']:.3f} "
                          f"(cand {cand['precision']:.3f}); {'promoted' if res.promoted else 'kept'}", flush=True)
                rec.write()
    print(f"wrote {rec.write()}")


if __name__ == "__main__":
    main()
