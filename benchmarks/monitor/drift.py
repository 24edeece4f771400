"""Drift alarms: false alarms per 10,000 rows without drift, and detection delay after a shift.

Two streams, both fed to :class:`genad.monitor.Monitor` with its defaults (alpha 0.01, window
1,000 rows, reference = 1,000 training rows) in batches; one check per batch:

* ``kdd99``: the ``normal.`` rows of the KDD Cup 99 10% file, numeric columns (38). Per seed,
  5,000 rows (the natural service mix) train the model; the no-drift stream is 20,000 further
  rows of the same mix; the drift stream is 2,000 rows of the same mix followed by 10,000 rows
  whose *mix of normal traffic* shifts: each row's service is drawn with weight
  ``p(service) x w`` for http and ``x (2 - w)`` for every other service (``--http-weight w``,
  default 0.3: http falls from 64% to about 24% of the rows; 0.8: to about 54%). Batches of 250 rows.
* ``nab``: NAB's artificial series. Sliding windows of 12 points (one hour) with stride 1; the
  first 40% of each series trains the model, the rest is streamed in batches of 48 windows (4
  hours), monitor window 288 (a day), minimum 48 rows. Series without anomalies measure false
  alarms; for the series with a labelled anomaly (a jump, a flat stretch, ...) the change point
  is the labelled anomaly time (``combined_labels.json``), false alarms are counted before it and
  the delay after it. Windows overlap, so the rows are *not* independent: this measures how far
  the nominal rate holds on autocorrelated data.

* ``synthetic``: 8 independent standard normal features; 2,000 training rows, 20,000 no-drift
  rows, and a stream of 2,000 rows then 10,000 with every feature's scale x 1.2; one model per
  seed, so the rate is averaged over calibration sets as the nominal level is.

Recorded per dataset x detector x seed: ``false_alarms_per_10k`` (alarming checks per 10,000
rows of the no-drift stream), ``alarm_rate_per_check`` (to compare with alpha), ``checks``,
``detection_delay_rows`` (rows streamed after the change point until the first alarm; empty when
never detected) and ``detected``. Usage::

    PYTHONPATH=src python benchmarks/monitor/drift.py kdd99 --seeds 0 1 2
    PYTHONPATH=src python benchmarks/monitor/drift.py kdd99 --seeds 0 1 2 --http-weight 0.8
    PYTHONPATH=src python benchmarks/monitor/drift.py nab --seeds 0
    PYTHONPATH=src python benchmarks/monitor/drift.py nab --seeds 0 --detectors IsolationForest \
        --series jumpsup jumpsdown flatmiddle --out benchmarks/monitor/results/drift_nab_shifts.json
    PYTHONPATH=src python benchmarks/monitor/drift.py synthetic --seeds $(seq 0 19) --detectors IsolationForest
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def _stream(mon, X, batch: int, change: int | None = None):
    """Feed ``X`` in batches; return (checks before the change, alarms before, delay after)."""
    checks = alarms = 0
    delay = None
    for start in range(0, len(X), batch):
        end = min(start + batch, len(X))
        rep = mon.update(X[start:end])
        if change is None or end <= change:
            checks += 1
            alarms += int(rep.drift)
        elif delay is None and rep.drift:
            delay = end - change
    return checks, alarms, delay


def _detectors(seed: int, which):
    import genad

    out = {
        "IsolationForest": lambda: genad.IsolationForest(random_state=seed),
        "AutoEncoder": lambda: genad.AutoEncoder(epochs=20, random_state=seed, verbose=0),
    }
    return {k: v for k, v in out.items() if k in which}


# ----------------------------------------------------------------------------- KDD99
def kdd_normals(data_home=None) -> pd.DataFrame:
    from genad.datasets import get_data_home
    from genad.datasets.tabular import KDD_CATEGORICAL, KDD_FEATURES

    path = Path(get_data_home(data_home)) / "kdd99" / "kddcup.data_10_percent.gz"
    if not path.exists():
        raise SystemExit(f"{path} not found; set GENAD_DATA to the data folder")
    df = pd.read_csv(path, header=None, names=KDD_FEATURES + ["label"])
    df = df[df["label"] == "normal."].reset_index(drop=True)
    num = [c for c in KDD_FEATURES if c not in KDD_CATEGORICAL]
    return df[num].astype(np.float64).assign(service=df["service"].astype(str))


def run_kdd(rec, seeds, detectors, batch=250, http_weight=0.3):
    df = kdd_normals()
    cols = [c for c in df.columns if c != "service"]
    for seed in seeds:
        rng = np.random.default_rng(seed)
        perm = rng.permutation(len(df))
        train, calm, pre = perm[:5000], perm[5000:25000], perm[25000:27000]
        rest = perm[27000:]
        svc = df["service"].to_numpy()[rest]
        w = np.where(svc == "http", http_weight, 2.0 - http_weight)
        shifted = rng.choice(rest, size=10000, replace=False, p=w / w.sum())
        share = {"http_before": float(np.mean(df["service"].to_numpy()[calm] == "http")),
                 "http_after": float(np.mean(df["service"].to_numpy()[shifted] == "http"))}
        X = df[cols].to_numpy()
        for name, make in _detectors(seed, detectors).items():
            from genad.monitor import Monitor

            t0 = time.perf_counter()
            det = make().fit(X[train])
            fit_s = time.perf_counter() - t0
            mon = Monitor(det, reference=X[train], random_state=seed)
            t0 = time.perf_counter()
            checks, alarms, _ = _stream(mon, X[calm], batch)
            mon_s = time.perf_counter() - t0
            mon2 = Monitor(det, reference=X[train], random_state=seed)
            stream = np.vstack([X[pre], X[shifted]])
            pre_checks, pre_alarms, delay = _stream(mon2, stream, batch, change=len(pre))
            rec.add(dataset="kdd99-normal-mix", detector=name, seed=seed, variant=f"http x{http_weight}",
                    false_alarms_per_10k=1e4 * alarms / len(calm), alarm_rate_per_check=alarms / checks,
                    checks=checks, rows_no_drift=len(calm), detection_delay_rows=delay,
                    detected=int(delay is not None), pre_change_false_alarms=pre_alarms,
                    fit_seconds=fit_s, monitor_ms_per_check=1e3 * mon_s / checks, batch_rows=batch,
                    alpha=mon.alpha, window=mon.window, **share)
            print(f"kdd99 {name} seed {seed}: {alarms}/{checks} false alarms ({1e4 * alarms / len(calm):.2f} "
                  f"per 10k rows), delay {delay} rows; http {share['http_before']:.2f} -> {share['http_after']:.2f}",
                  flush=True)
            rec.write()


# ----------------------------------------------------------------------------- synthetic
def run_synthetic(rec, seeds, detectors, batch=250, d=8):
    """Independent Gaussian rows: the nominal rate, averaged over models (one fit per seed)."""
    from genad.monitor import Monitor

    for seed in seeds:
        rng = np.random.default_rng(1000 + seed)
        X_train = rng.normal(size=(2000, d))
        calm = rng.normal(size=(20000, d))
        shifted = np.vstack([rng.normal(size=(2000, d)), rng.normal(size=(10000, d)) * [1.2] + [0.0] * d])
        for name, make in _detectors(seed, detectors).items():
            det = make().fit(X_train)
            checks, alarms, _ = _stream(Monitor(det, reference=X_train, random_state=seed), calm, batch)
            _, pre_alarms, delay = _stream(Monitor(det, reference=X_train, random_state=seed), shifted, batch,
                                           change=2000)
            rec.add(dataset="gaussian-8d", detector=name, seed=seed, variant="scale x1.2",
                    false_alarms_per_10k=1e4 * alarms / len(calm), alarm_rate_per_check=alarms / checks,
                    checks=checks, rows_no_drift=len(calm), detection_delay_rows=delay,
                    detected=int(delay is not None), pre_change_false_alarms=pre_alarms, batch_rows=batch)
            print(f"gaussian {name} seed {seed}: {alarms}/{checks} false alarms, delay {delay}", flush=True)
        rec.write()


# ----------------------------------------------------------------------------- NAB
NAB_SERIES = [
    "artificialNoAnomaly/art_daily_small_noise", "artificialNoAnomaly/art_noisy",
    "artificialNoAnomaly/art_daily_no_noise", "artificialNoAnomaly/art_daily_perfect_square_wave",
    "artificialNoAnomaly/art_flatline",
    "artificialWithAnomaly/art_daily_jumpsup", "artificialWithAnomaly/art_daily_jumpsdown",
    "artificialWithAnomaly/art_daily_flatmiddle", "artificialWithAnomaly/art_daily_nojump",
    "artificialWithAnomaly/art_increase_spike_density", "artificialWithAnomaly/art_load_balancer_spikes",
]


def run_nab(rec, seeds, detectors, length=12, batch=48, window=288, only=None):
    import json

    from genad.datasets import get_data_home
    from genad.datasets.nab import load_nab_series
    from genad.datasets.timeseries import sliding_windows
    from genad.monitor import Monitor

    labels = json.loads((Path(get_data_home()) / "nab" / "labels" / "combined_labels.json").read_text())
    for seed in seeds:
        for series in [s for s in NAB_SERIES if not only or any(o in s for o in only)]:
            df, _ = load_nab_series(series)
            W = sliding_windows(df["value"].to_numpy(), length).reshape(-1, length)
            ends = df["timestamp"].to_numpy()[length - 1:]
            n_train = int(0.4 * len(W))
            points = labels.get(series + ".csv", [])
            change = None
            if points:
                first = np.datetime64(pd.Timestamp(points[0]))
                change = int(np.searchsorted(ends[n_train:], first)) if first > ends[n_train] else None
            for name, make in _detectors(seed, detectors).items():
                det = make().fit(W[:n_train])
                mon = Monitor(det, reference=W[:n_train], window=window, min_rows=batch, random_state=seed)
                checks, alarms, delay = _stream(mon, W[n_train:], batch, change=change)
                rows = min(len(W) - n_train, change if change is not None else len(W))
                rec.add(dataset=f"nab/{series}", detector=name, seed=seed,
                        false_alarms_per_10k=1e4 * alarms / max(rows, 1), alarm_rate_per_check=alarms / max(checks, 1),
                        checks=checks, rows_no_drift=rows, detection_delay_rows=delay,
                        detected=None if change is None else int(delay is not None),
                        batch_rows=batch, alpha=mon.alpha, window=mon.window, window_length=length)
                print(f"nab {series} {name} seed {seed}: {alarms}/{checks} alarms before the change, "
                      f"delay {delay}", flush=True)
                rec.write()


def main():
    from genad.bench import Recorder

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("stream", choices=["kdd99", "nab", "synthetic"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--detectors", nargs="+", default=["IsolationForest", "AutoEncoder"])
    ap.add_argument("--out", default=None)
    ap.add_argument("--series", nargs="+", default=None, help="nab: only the series whose name contains one of these")
    ap.add_argument("--http-weight", type=float, default=0.3, help="kdd99: weight of http rows after the shift")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    suffix = f"_http{args.http_weight}" if args.stream == "kdd99" and args.http_weight != 0.3 else ""
    out = Path(args.out) if args.out else HERE / "results" / f"drift_{args.stream}{suffix}.json"
    rec = Recorder("monitor", out, metrics=["false_alarms_per_10k", "detection_delay_rows"],
                   title=f"Drift alarms on the {args.stream} stream",
                   description="genad.monitor.Monitor defaults (alpha 0.01); false alarms per 10,000 rows "
                               "without drift and rows until the first alarm after a shift")
    if args.stream == "kdd99":
        run_kdd(rec, args.seeds, args.detectors, http_weight=args.http_weight)
    elif args.stream == "nab":
        run_nab(rec, args.seeds, args.detectors, only=args.series)
    else:
        run_synthetic(rec, args.seeds, args.detectors)
    print(f"wrote {rec.write()}")


if __name__ == "__main__":
    main()
