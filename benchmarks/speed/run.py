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
times (1,000,000 rows). The network is :data:`genad.bench.protocols.FF12_NETWORK`.

Recorded through :class:`genad.bench.Recorder` in results/results.json (``--out FILE`` for
another file, ``--machine-note TEXT`` for the machine line; genad-bench/2): one
record per round x configuration (detector ``AutoEncoder`` for genad, ``PyOD AutoEncoder``;
variant = the configuration) and one ``ratios`` record per round.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/speed/run.py --rounds 2
"""

from __future__ import annotations

import json
import os
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
from genad.bench import Recorder  # noqa: E402
from genad.bench.protocols import FF12_EPOCHS, FF12_NETWORK  # noqa: E402
from genad.datasets import load  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"
REPEAT = 100


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def run_genad(ds, X_big, seed=0, **settings):
    # FF12_NETWORK has trim=0: the same plain MSE loss as PyOD (no trimmed loss)
    det = genad.AutoEncoder(**{**FF12_NETWORK, "epochs": FF12_EPOCHS["AutoEncoder"], "random_state": seed,
                               **settings})
    _, fit_s = timed(lambda: det.fit(ds.X_train))
    auc = roc_auc_score(ds.y_test, det.decision_function(ds.X_test))
    det.decision_function(X_big[:10000])  # warm
    score_s = min(timed(lambda: det.decision_function(X_big))[1] for _ in range(3))
    n_steps = int(np.ceil(len(ds.X_train) * (1 - det.calibration_fraction) / FF12_NETWORK["batch_size"]))
    step_ms = 1e3 * float(np.median(det.history_["epoch_time"])) / n_steps
    return dict(fit_s=fit_s, score_rows_per_s=len(X_big) / score_s, roc_auc=float(auc),
                ms_per_step_median_epoch=step_ms, train_rows=int(round(len(ds.X_train) * 0.9)))


def run_pyod(ds, scaler, X_big_scaled, threads=1, seed=0, **settings):
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        det = PyODAutoEncoder(hidden_neuron_list=[*FF12_NETWORK["hidden"], FF12_NETWORK["latent_dim"]],
                              epoch_num=FF12_EPOCHS["AutoEncoder"], batch_size=FF12_NETWORK["batch_size"],
                              lr=FF12_NETWORK["lr"], verbose=0, random_state=seed, **settings)
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


#: configuration -> (detector name, run)
CONFIGS = {
    "genad": ("AutoEncoder", lambda c: run_genad(c["ds"], c["X_big"])),
    "pyod_identical_1_thread": ("PyOD AutoEncoder", lambda c: run_pyod(c["ds"], c["scaler"], c["X_big_scaled"],
                                                                        **PYOD_IDENTICAL)),
    "genad_pyod_settings": ("AutoEncoder", lambda c: run_genad(c["ds"], c["X_big"], **GENAD_PYOD_SETTINGS)),
    "pyod_default_1_thread": ("PyOD AutoEncoder", lambda c: run_pyod(c["ds"], c["scaler"], c["X_big_scaled"])),
    "pyod_default_threads": ("PyOD AutoEncoder", lambda c: run_pyod(c["ds"], c["scaler"], c["X_big_scaled"],
                                                                     threads=None)),
}


def ratios(rd: dict) -> dict:
    """PyOD's fit seconds over genad's, genad's scoring rows/s over PyOD's, within one round."""
    out = {
        "fit_speedup_identical_networks": rd["pyod_identical_1_thread"]["fit_s"] / rd["genad"]["fit_s"],
        "fit_speedup_vs_pyod_defaults": rd["pyod_default_1_thread"]["fit_s"] / rd["genad"]["fit_s"],
        "fit_speedup_pyod_settings_vs_pyod_defaults":
            rd["pyod_default_1_thread"]["fit_s"] / rd["genad_pyod_settings"]["fit_s"],
        "score_speedup_identical_networks":
            rd["genad"]["score_rows_per_s"] / rd["pyod_identical_1_thread"]["score_rows_per_s"],
    }
    if "pyod_default_threads" in rd:
        out["fit_speedup_vs_pyod_default_threads"] = rd["pyod_default_threads"]["fit_s"] / rd["genad"]["fit_s"]
    return out


def record_round(rec: Recorder, r: int, rd: dict) -> None:
    """One record per configuration of round ``r`` and one of its ratios."""
    for config, row in rd.items():
        if config == "ratios":
            rec.add(dataset="kdd99-ff12", detector="ratios", variant=f"round {r}", seed=None, round=r, **row)
            continue
        row = dict(row)
        before, after = row.pop("load_1min_before_after", (None, None))
        rec.add(dataset="kdd99-ff12", detector=CONFIGS[config][0], variant=config, seed=0, round=r,
                fit_seconds=row.pop("fit_s"), load_1min_before=before, load_1min_after=after, **row)


def main() -> None:
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 2
    out = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else OUT / "results.json"
    note = sys.argv[sys.argv.index("--machine-note") + 1] if "--machine-note" in sys.argv else "shared with other work"
    c = {"ds": load("kdd99-ff12")}
    c["X_big"] = np.tile(c["ds"].X_test, (REPEAT, 1))
    c["scaler"] = MinMaxScaler().fit(c["ds"].X_train)
    c["X_big_scaled"] = c["scaler"].transform(c["X_big"]).astype(np.float32)
    rec = Recorder("speed", out, metrics=["fit_seconds", "score_rows_per_s", "roc_auc"],
                   title="speed: genad's AutoEncoder against PyOD's on the FF12 network",
                   machine_note=note, pyod=pyod.__version__,
                   one_off_torch_dynamo_import_s=DYNAMO_IMPORT_S, score_rows=len(c["X_big"]),
                   uptime_start=os.popen("uptime").read().strip())
    all_ratios = []
    for r in range(rounds):
        print("round", r, flush=True)
        rd = {}
        for config in CONFIGS:
            if config != "pyod_default_threads" or "--pyod-default-threads" in sys.argv:
                rd[config] = loaded(lambda: CONFIGS[config][1](c))
        rd["ratios"] = ratios(rd)
        all_ratios.append(rd["ratios"])
        print(json.dumps(rd["ratios"], indent=2), flush=True)
        record_round(rec, r, rd)
        rec.write()
    rec.extra["uptime_end"] = os.popen("uptime").read().strip()
    rec.extra["ratios_median_over_rounds"] = {k: float(np.median([x[k] for x in all_ratios])) for k in all_ratios[0]}
    print(json.dumps(rec.extra["ratios_median_over_rounds"], indent=2))
    rec.write()


if __name__ == "__main__":
    main()
