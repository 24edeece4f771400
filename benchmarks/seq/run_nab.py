"""NAB (Numenta Anomaly Benchmark): Seq2Seq (its default unconditioned decoder with 2 and 4
points per LSTM step, and a conditional decoder with 1 point per step scored by teacher
forcing and free running) and genad.AutoEncoder on sliding windows beside a
rolling z-score baseline.

Protocol, per series (every NAB series that has labelled anomaly windows; the 5 series of
artificialNoAnomaly have none, so ROC-AUC and F1 are undefined there and they are skipped):

* windows of LENGTH consecutive points (stride 1) over the whole series;
* training = windows inside the first part of the series: NAB's probationary 15%, or the first
  LENGTH + 299 points when 15% is shorter than that (so at least 300 training windows);
* detectors are fitted on the training windows only (unlabelled: NAB's labels are never used
  for training) and score every window;
* window-level metrics on the non-overlapping test windows (every LENGTH-th window starting
  after the training part): a window is anomalous when any of its points lies in a labelled
  NAB window. ROC-AUC; F1 at a threshold fixed before seeing test data, the same rule for every
  method: the 99th percentile of its scores on the training windows; and an ORACLE F1 (best threshold chosen on the test labels, an upper
  bound only);
* NAB's own score (application profiles standard / reward_low_FP_rate / reward_low_FN_rate):
  detections are points whose window score exceeds the same fixed threshold, a window's score
  being given to its LAST point (causal: a detection at time t uses data up to t only); raw,
  perfect and null (no detections) scores are summed over series and normalised
  100 (raw - null) / (perfect - null) as NAB does. NAB itself tunes one threshold per detector
  and profile on the whole corpus; the fixed-threshold score does not. Beside it, a
  NAB-TUNED score in NAB's spirit: one threshold LEVEL per method and profile chosen on the
  corpus's labels from a ladder (quantiles 0.9 .. 1.0 of the series' training-window scores,
  1.25 .. 5 x their maximum, and "none": no detections, NAB's null score 0), the same level
  applied to every series.
* NAB counts every flagged point. Our window scores stay high while a deviation lasts, so each
  anomaly raises a run of flagged points (each a false positive outside a labelled window).
  Both are reported: "points" (every flagged point, NAB's rule applied as is) and "onsets"
  (one alarm at the first point of each run of flagged points, as an alerting system would).
* the z-score baseline: rolling_zscore(values, 3 * LENGTH) per point (distance from the
  trailing mean in trailing standard deviations); a window's score is its largest point score.

    PYTHONPATH=src:benchmarks/seq python benchmarks/seq/run_nab.py            # all 53 series with windows
    PYTHONPATH=src:benchmarks/seq python benchmarks/seq/run_nab.py --quick    # 1 series per family
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from _common import dense_autoencoder, write

from genad import Seq2Seq
from genad.datasets import list_nab, load_nab_series
from genad.datasets.timeseries import (
    nab_score,
    points_to_window_labels,
    rolling_zscore,
    sliding_windows,
)
from genad.datasets.nab import window_labels
from genad.thresholds import from_labels

LENGTH = 32
PROBATION = 0.15
MIN_TRAIN_WINDOWS = 300
SEQ2SEQ = dict(hidden=[32], epochs=30, batch_size=64, lr=1e-3, patience=5)
#: steps_per_cell of the unconditioned Seq2Seq runs (the default decoder)
UNCOND_STEPS_PER_CELL = (2, 4)
#: the other Seq2Seq: a conditional decoder, one point per LSTM step (the earlier default)
COND = dict(conditional=True, steps_per_cell=1)
DENSE = dict(hidden=[16], latent_dim=4, epochs=60, batch_size=64, lr=1e-3)
#: threshold levels swept for the NAB-tuned score: quantiles of the training-window scores and
#: multiples of their maximum (per series, so one level means the same thing on every series)
QUANTILE_LEVELS = (0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1.0)
MAX_FACTORS = (1.25, 1.5, 2.0, 3.0, 5.0)
PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


LEVEL_NAMES = [f"quantile {q}" for q in QUANTILE_LEVELS] + [f"{f} x max" for f in MAX_FACTORS] + ["none"]


def train_threshold(train_scores):
    """The same fixed rule for every method: the 99th percentile of its training-window scores."""
    return float(np.quantile(train_scores, 0.99))


def f1_at(y, s, thr):
    pred = s > thr
    tp = int(np.sum(pred & (y == 1)))
    fp, fn = int(np.sum(pred & (y == 0))), int(np.sum(~pred & (y == 1)))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def oracle_f1(y, s):
    return f1_at(y, s, from_labels(y, s, metric="f1"))


def run_series(key: str, seed: int = 0) -> dict:
    df, windows = load_nab_series(key)
    values = df["value"].to_numpy(np.float64)
    n = len(values)
    n_train = max(int(np.floor(PROBATION * n)), LENGTH + MIN_TRAIN_WINDOWS - 1)
    W = np.ascontiguousarray(sliding_windows(values, LENGTH), dtype=np.float32)  # window i: points i..i+L-1
    ends = np.arange(len(W)) + LENGTH - 1
    train = ends < n_train
    y_point = window_labels(df["timestamp"], windows)
    # non-overlapping test windows, the first starting at n_train
    test_idx = np.arange(n_train, len(W), LENGTH)
    y_win = points_to_window_labels(y_point[n_train:], LENGTH, LENGTH)
    test_idx = test_idx[: len(y_win)]
    out = {"series": key, "n_points": n, "n_train_points": n_train, "train_fraction": n_train / n,
           "n_train_windows": int(train.sum()), "n_test_windows": int(len(test_idx)),
           "n_anomalous_test_windows": int(y_win.sum()), "n_nab_windows": len(windows), "methods": {}}

    def evaluate(name, window_scores, threshold, fit_s):
        s = window_scores[test_idx]
        point = np.full(n, -np.inf)
        point[ends] = window_scores  # causal: a window's score goes to its last point
        train_s = window_scores[train]
        # a ladder of threshold levels for the NAB-tuned score (the last one: no detections)
        levels = [float(np.quantile(train_s, q)) for q in QUANTILE_LEVELS] + [
            float(train_s.max() * f) for f in MAX_FACTORS] + [np.inf]

        def nab_all(thr):
            above = point > thr
            onsets = above & ~np.r_[False, above[:-1]]  # one alarm per run of flagged points
            return {kind: {p: nab_score(d, df["timestamp"], windows, profile=p, probation=n_train)
                           for p in PROFILES} for kind, d in (("points", above), ("onsets", onsets))}

        ladder = [nab_all(thr) for thr in levels]
        res = {"fit_s": fit_s, "threshold": float(threshold),
               "roc_auc": float(roc_auc_score(y_win, s)) if 0 < y_win.sum() < len(y_win) else float("nan"),
               "f1_fixed_threshold": f1_at(y_win, s, threshold),
               "f1_oracle": oracle_f1(y_win, s) if y_win.sum() else float("nan"),
               "nab": nab_all(threshold),
               "nab_raw_by_level": {kind: {p: [lv[kind][p]["raw"] for lv in ladder] for p in PROFILES}
                                    for kind in ("points", "onsets")}}
        out["methods"][name] = res

    # Seq2Seq with its default unconditioned decoder, 2 and 4 points per LSTM step
    for k in UNCOND_STEPS_PER_CELL:
        t = time.perf_counter()
        s2s = Seq2Seq(random_state=seed, steps_per_cell=k, **SEQ2SEQ).fit(W[train])
        fit_s = time.perf_counter() - t
        scores = s2s.decision_function(W)
        evaluate(f"Seq2Seq uncond k={k}", scores, train_threshold(scores[train]), fit_s)
    # conditional decoder, one point per LSTM step (both decodings from one fitted model)
    t = time.perf_counter()
    s2s = Seq2Seq(random_state=seed, **SEQ2SEQ, **COND).fit(W[train])
    fit_s = time.perf_counter() - t
    for mode in ("teacher_forcing", "free_running"):
        scores = s2s.set_params(decode=mode).decision_function(W)
        evaluate(f"Seq2Seq cond k=1 {mode}", scores, train_threshold(scores[train]), fit_s)
    # dense autoencoder on the flattened windows
    ae, ae_name = dense_autoencoder(random_state=seed, **DENSE)
    t = time.perf_counter()
    ae.fit(W[train][..., 0])
    scores = ae.decision_function(W[..., 0])
    evaluate(ae_name, scores, train_threshold(scores[train]), time.perf_counter() - t)
    # rolling z-score baseline
    t = time.perf_counter()
    z = rolling_zscore(values, 3 * LENGTH)
    zw = sliding_windows(z, LENGTH)[..., 0].max(axis=1)
    evaluate("RollingZScore", zw, train_threshold(zw[train]), time.perf_counter() - t)
    return out


def summarise(results: list[dict]) -> dict:
    names = list(results[0]["methods"])
    summary = {}
    for m in names:
        rs = [r["methods"][m] for r in results]
        nab, nab_tuned = {}, {}
        for kind in ("points", "onsets"):
            nab[kind], nab_tuned[kind] = {}, {}
            for p in PROFILES:
                raw = sum(r["nab"][kind][p]["raw"] for r in rs)
                perfect = sum(r["nab"][kind][p]["perfect"] for r in rs)
                null = sum(r["nab"][kind][p]["null"] for r in rs)
                nab[kind][p] = 100.0 * (raw - null) / (perfect - null)
                tot = np.sum([r["nab_raw_by_level"][kind][p] for r in rs], axis=0)
                best = int(np.argmax(tot))
                nab_tuned[kind][p] = {"normalized": 100.0 * (tot[best] - null) / (perfect - null),
                                      "level": LEVEL_NAMES[best]}
        summary[m] = {
            "mean_roc_auc": float(np.nanmean([r["roc_auc"] for r in rs])),
            "mean_f1_fixed_threshold": float(np.nanmean([r["f1_fixed_threshold"] for r in rs])),
            "mean_f1_oracle": float(np.nanmean([r["f1_oracle"] for r in rs])),
            "nab_normalized": nab,
            "nab_normalized_tuned_level": nab_tuned,
            "total_fit_s": float(sum(r["fit_s"] for r in rs)),
        }
    return summary


def main():
    torch.set_num_threads(1)
    quick = "--quick" in sys.argv
    keys = [k for k in list_nab() if not k.startswith("artificialNoAnomaly/")]
    if quick:
        seen, sub = set(), []
        for k in keys:
            fam = k.split("/")[0]
            if fam not in seen:
                seen.add(fam)
                sub.append(k)
        keys = sub
    t0 = time.perf_counter()
    results = []
    for k in keys:
        r = run_series(k)
        results.append(r)
        print(k, {m: round(v["roc_auc"], 3) for m, v in r["methods"].items()}, flush=True)
    summary = summarise(results)
    for m, v in summary.items():
        print(f"{m:28s} ROC-AUC {v['mean_roc_auc']:.3f}  F1(fixed) {v['mean_f1_fixed_threshold']:.3f}  "
              f"F1(oracle) {v['mean_f1_oracle']:.3f}")
        for kind in ("points", "onsets"):
            print(f"    NAB standard ({kind}): fixed {v['nab_normalized'][kind]['standard']:.1f}  "
                  f"tuned {v['nab_normalized_tuned_level'][kind]['standard']['normalized']:.1f} "
                  f"({v['nab_normalized_tuned_level'][kind]['standard']['level']})")
    write("nab_quick.json" if quick else "nab.json", {
        "series": keys, "window_length": LENGTH, "probation": PROBATION, "min_train_windows": MIN_TRAIN_WINDOWS,
        "seq2seq_params": SEQ2SEQ, "seq2seq_cond_params": COND, "uncond_steps_per_cell": UNCOND_STEPS_PER_CELL, "dense_params": DENSE, "summary": summary,
        "wall_s": time.perf_counter() - t0, "per_series": results})


if __name__ == "__main__":
    main()
