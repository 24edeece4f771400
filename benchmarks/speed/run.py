"""Side-by-side speed: PyOD's AutoEncoder vs genad's AutoEncoder on the FF12 KDD data.

Same network (18 -> 15 -> 7 -> 2 -> 7 -> 15 -> 18), 14 epochs, batch 128, lr 0.01, on the
97,278 FF12 training normals, in ONE process. Each round runs, one after the other:

1. genad, the report's plain network (MinMax input, no dropout, no weight decay);
2. PyOD at identical settings: ``batch_norm=False, dropout_rate=0.0``, no weight decay, no
   standardisation of its own (the same MinMax input);
3. genad with PyOD's regularisation defaults (standardised input, dropout 0.2, weight decay
   1e-5; genad's AutoEncoder has no batch norm);
4. PyOD with its defaults (``preprocessing=True``, ``batch_norm=True``, ``dropout_rate=0.2``,
   weight decay 1e-5) on the MinMax input.

PyOD runs on one torch thread (``--pyod-default-threads`` adds its default thread count to
step 4): on a shared two-core machine a second thread only adds contention (see README). The
ratios are taken within each round, so both sides of a ratio share the machine's load; the load
average is stored before and after every run. Scoring speed: the 10,000 test rows repeated 100
times (1,000,000 rows).

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/speed/run.py --rounds 2
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

t0 = time.perf_counter()
import torch._dynamo  # noqa: E402,F401  -- the one-off import every torch optimizer triggers

DYNAMO_IMPORT_S = time.perf_counter() - t0

import pyod  # noqa: E402
from pyod.models.auto_encoder import AutoEncoder as PyODAutoEncoder  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.preprocessing import MinMaxScaler  # noqa: E402

import genad  # noqa: E402
from genad.datasets import load  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"
REPEAT = 100


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def run_genad(ds, X_big, seed=0, **settings):
    # trim=0: the same plain MSE loss as PyOD (no trimmed loss)
    params = dict(preprocessing="minmax", validation_fraction=0.0, patience=None, trim=0.0)
    params.update(settings)
    det = genad.AutoEncoder(hidden=[15, 7], latent_dim=2, epochs=14, batch_size=128, lr=0.01,
                            random_state=seed, **params)
    _, fit_s = timed(lambda: det.fit(ds.X_train))
    auc = roc_auc_score(ds.y_test, det.decision_function(ds.X_test))
    det.decision_function(X_big[:10000])  # warm
    score_s = min(timed(lambda: det.decision_function(X_big))[1] for _ in range(3))
    n_steps = int(np.ceil(len(ds.X_train) * (1 - det.calibration_fraction) / 128))
    step_ms = 1e3 * float(np.median(det.history_["epoch_time"])) / n_steps
    return dict(fit_s=fit_s, score_rows_per_s=len(X_big) / score_s, roc_auc=float(auc),
                ms_per_step_median_epoch=step_ms, train_rows=int(round(len(ds.X_train) * 0.9)))


def run_pyod(ds, scaler, X_big_scaled, threads=1, seed=0, **settings):
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        det = PyODAutoEncoder(hidden_neuron_list=[15, 7, 2], epoch_num=14, batch_size=128, lr=0.01,
                              verbose=0, random_state=seed, **settings)
        Xtr = scaler.transform(ds.X_train).astype(np.float32)
        _, fit_s = timed(lambda: det.fit(Xtr))
        auc = roc_auc_score(ds.y_test, det.decision_function(scaler.transform(ds.X_test).astype(np.float32)))
        score_s = timed(lambda: det.decision_function(X_big_scaled))[1]
    finally:
        torch.set_num_threads(before)
    return dict(fit_s=fit_s, score_rows_per_s=len(X_big_scaled) / score_s, roc_auc=float(auc),
                train_rows=len(Xtr), threads=threads or before)


#: PyOD with batch norm, dropout, weight decay and its own standardisation off: genad's network
PYOD_IDENTICAL = dict(batch_norm=False, dropout_rate=0.0, optimizer_params={"weight_decay": 0.0},
                      preprocessing=False)
#: genad with PyOD's regularisation defaults (batch norm aside)
GENAD_PYOD_SETTINGS = dict(preprocessing="standard", dropout=0.2, weight_decay=1e-5)


def loaded(fn):
    """``fn()``'s result with the 1-minute load average before and after."""
    before = os.getloadavg()[0]
    out = fn()
    out["load_1min_before_after"] = [before, os.getloadavg()[0]]
    print(out, flush=True)
    return out


def main() -> None:
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 2
    ds = load("kdd99-ff12")
    X_big = np.tile(ds.X_test, (REPEAT, 1))
    scaler = MinMaxScaler().fit(ds.X_train)
    X_big_scaled = scaler.transform(X_big).astype(np.float32)
    res = {"machine": "2-core CPU, no GPU, shared with other work", "torch": torch.__version__,
           "pyod": pyod.__version__, "python": platform.python_version(), "torch_threads": torch.get_num_threads(),
           "one_off_torch_dynamo_import_s": DYNAMO_IMPORT_S, "score_rows": len(X_big),
           "command": "python " + " ".join(sys.argv), "uptime_start": os.popen("uptime").read().strip(),
           "rounds": []}
    for r in range(rounds):
        print("round", r, flush=True)
        rd = {}
        rd["genad"] = loaded(lambda: run_genad(ds, X_big))
        rd["pyod_identical_1_thread"] = loaded(lambda: run_pyod(ds, scaler, X_big_scaled, **PYOD_IDENTICAL))
        rd["genad_pyod_settings"] = loaded(lambda: run_genad(ds, X_big, **GENAD_PYOD_SETTINGS))
        rd["pyod_default_1_thread"] = loaded(lambda: run_pyod(ds, scaler, X_big_scaled))
        if "--pyod-default-threads" in sys.argv:
            rd["pyod_default_threads"] = loaded(lambda: run_pyod(ds, scaler, X_big_scaled, threads=None))
        rd["ratios"] = {
            "fit_speedup_identical_networks": rd["pyod_identical_1_thread"]["fit_s"] / rd["genad"]["fit_s"],
            "fit_speedup_vs_pyod_defaults": rd["pyod_default_1_thread"]["fit_s"] / rd["genad"]["fit_s"],
            "fit_speedup_pyod_settings_vs_pyod_defaults":
                rd["pyod_default_1_thread"]["fit_s"] / rd["genad_pyod_settings"]["fit_s"],
            "score_speedup_identical_networks":
                rd["genad"]["score_rows_per_s"] / rd["pyod_identical_1_thread"]["score_rows_per_s"],
        }
        if "pyod_default_threads" in rd:
            rd["ratios"]["fit_speedup_vs_pyod_default_threads"] = rd["pyod_default_threads"]["fit_s"] / rd["genad"]["fit_s"]
        print(json.dumps(rd["ratios"], indent=2), flush=True)
        res["rounds"].append(rd)
    res["uptime_end"] = os.popen("uptime").read().strip()
    keys = res["rounds"][0]["ratios"]
    res["ratios_median_over_rounds"] = {k: float(np.median([rd["ratios"][k] for rd in res["rounds"]])) for k in keys}
    print(json.dumps(res["ratios_median_over_rounds"], indent=2))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
