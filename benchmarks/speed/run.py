"""Side-by-side speed: PyOD's AutoEncoder vs genad's AutoEncoder on the FF12 KDD data.

Same network (18 -> 15 -> 7 -> 2 -> 7 -> 15 -> 18), 14 epochs, batch 128, lr 0.01, on the
97,278 FF12 training normals, in ONE process, one after the other (and genad again at the end,
so drift in the machine's load shows). Both see the same MinMax-scaled input (PyOD's own
``preprocessing=True`` then standardises it, as it does by default). Scoring speed: the 10,000
test rows repeated 100 times (1,000,000 rows).

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/speed/run.py
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


def run_pyod(ds, scaler, X_big_scaled, threads=None, seed=0):
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        det = PyODAutoEncoder(hidden_neuron_list=[15, 7, 2], epoch_num=14, batch_size=128, lr=0.01,
                              verbose=0, random_state=seed)
        Xtr = scaler.transform(ds.X_train).astype(np.float32)
        _, fit_s = timed(lambda: det.fit(Xtr))
        auc = roc_auc_score(ds.y_test, det.decision_function(scaler.transform(ds.X_test).astype(np.float32)))
        score_s = timed(lambda: det.decision_function(X_big_scaled))[1]
    finally:
        torch.set_num_threads(before)
    return dict(fit_s=fit_s, score_rows_per_s=len(X_big_scaled) / score_s, roc_auc=float(auc),
                train_rows=len(Xtr), threads=threads or before)


def main() -> None:
    ds = load("kdd99-ff12")
    X_big = np.tile(ds.X_test, (REPEAT, 1))
    scaler = MinMaxScaler().fit(ds.X_train)
    X_big_scaled = scaler.transform(X_big).astype(np.float32)
    res = {"machine": "2-core CPU, no GPU, shared with other work", "torch": torch.__version__,
           "pyod": pyod.__version__, "python": platform.python_version(), "torch_threads": torch.get_num_threads(),
           "one_off_torch_dynamo_import_s": DYNAMO_IMPORT_S, "score_rows": len(X_big)}
    res["load_average_start"] = os.getloadavg()
    res["genad_first"] = run_genad(ds, X_big)
    print("genad", res["genad_first"], flush=True)
    # PyOD's own regularisation defaults (standardised inputs, dropout 0.2, weight decay 1e-5;
    # genad's AutoEncoder has no batch norm option), for the ROC-AUC comparison at equal settings;
    # run before and after PyOD like the plain network
    reg = dict(preprocessing="standard", dropout=0.2, weight_decay=1e-5)
    res["genad_pyod_settings"] = run_genad(ds, X_big, **reg)
    print("genad with PyOD's regularisation", res["genad_pyod_settings"], flush=True)
    res["pyod_default_threads"] = run_pyod(ds, scaler, X_big_scaled)
    print("pyod", res["pyod_default_threads"], flush=True)
    if "--pyod-one-thread" in sys.argv:
        res["pyod_one_thread"] = run_pyod(ds, scaler, X_big_scaled, threads=1)
        print("pyod 1 thread", res["pyod_one_thread"], flush=True)
    res["genad_again"] = run_genad(ds, X_big)
    print("genad again", res["genad_again"], flush=True)
    res["genad_pyod_settings_again"] = run_genad(ds, X_big, **reg)
    print("genad with PyOD's regularisation again", res["genad_pyod_settings_again"], flush=True)
    res["load_average_end"] = os.getloadavg()
    g_fit = np.mean([res["genad_first"]["fit_s"], res["genad_again"]["fit_s"]])
    g_score = np.mean([res["genad_first"]["score_rows_per_s"], res["genad_again"]["score_rows_per_s"]])
    p = res["pyod_default_threads"]
    res["ratios"] = {"fit_speedup_vs_pyod": p["fit_s"] / g_fit,
                     "score_speedup_vs_pyod": g_score / p["score_rows_per_s"],
                     "genad_fit_s_mean": g_fit, "genad_score_rows_per_s_mean": g_score}
    if "pyod_one_thread" in res:
        res["ratios"]["fit_speedup_vs_pyod_one_thread"] = res["pyod_one_thread"]["fit_s"] / g_fit
    r_fit = np.mean([res["genad_pyod_settings"]["fit_s"], res["genad_pyod_settings_again"]["fit_s"]])
    res["ratios"]["genad_pyod_settings_fit_s_mean"] = r_fit
    res["ratios"]["fit_speedup_pyod_settings_vs_pyod"] = p["fit_s"] / r_fit
    if "pyod_one_thread" in res:
        res["ratios"]["fit_speedup_pyod_settings_vs_pyod_one_thread"] = res["pyod_one_thread"]["fit_s"] / r_fit
    print(json.dumps(res["ratios"], indent=2))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
