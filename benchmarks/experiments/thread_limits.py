"""Scoring and training time of small networks under three CPU thread policies, interleaved.

* ``process(set_num_threads)`` -- the former ``small_model_threads``: ``torch.set_num_threads(1)``
  around each call (process-wide: leaks into other threads);
* ``thread-local(limit_threads)`` -- the current one: OpenMP and MKL limited in the calling
  thread only (:mod:`genad.nn.threads`);
* ``none`` -- no limit.

Run from the repository root: ``python benchmarks/experiments/thread_limits.py 5`` (5 rounds).
Recorded through :class:`genad.bench.Recorder` in benchmarks/experiments/thread_limits.json
(genad-bench/2): one record per policy (median seconds over the rounds, ratios to the
process-wide policy). Measured at commit 9b9e184 on the 2-core development machine, heavily shared (load average
17 before, 25 after), medians of 5 rounds, ratios to the process-wide policy:

    process(set_num_threads)     score 1.00  fit 1.00   (1.62 s / 0.55 s)
    thread-local(limit_threads)  score 1.06  fit 1.03
    none                         score 45.2  fit 75.7

(score: 200 calls x 2000 rows, AutoEncoder and VAE with the FF12 network; fit: AutoEncoder,
14 epochs on 5000 rows). Dropping the limit is not an option on a loaded machine; the
thread-local limit keeps the speed.
"""
import contextlib
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, "src")
from genad import AutoEncoder, VAE
from genad.bench import Recorder
from genad.nn import training as T


@contextlib.contextmanager
def none(modules, device="cpu"):
    yield

@contextlib.contextmanager
def process_wide(modules, device="cpu"):
    """the previous small_model_threads: torch.set_num_threads around the block"""
    dev = torch.device(device)
    before = torch.get_num_threads()
    small = dev.type == "cpu" and before > 1 and sum(p.numel() for p in T._params(modules)) <= T.SMALL_MODEL_PARAMS
    if small:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if small:
            torch.set_num_threads(before)

orig = T.small_model_threads
modes = {"process(set_num_threads)": process_wide, "thread-local(limit_threads)": orig, "none": none}
rng = np.random.default_rng(0)
X = rng.normal(size=(5000, 18)).astype(np.float32)
Xs = rng.normal(size=(2000, 18)).astype(np.float32)
dets = {"AE": AutoEncoder(hidden=[15, 7], latent_dim=2, epochs=14, lr=0.01, validation_fraction=0.0, patience=None, trim=0.0, random_state=0),
        "VAE": VAE(hidden=[15, 7], latent_dim=2, epochs=8, validation_fraction=0.0, patience=None, trim=0.0, random_state=0)}
for d in dets.values(): d.fit(X)
score_t = {m: [] for m in modes}; fit_t = {m: [] for m in modes}
for rep in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
    for name, fn in modes.items():
        T.small_model_threads = fn
        t = time.perf_counter()
        for _ in range(100):
            for d in dets.values(): d.decision_function(Xs)
        score_t[name].append(time.perf_counter() - t)
        t = time.perf_counter()
        dets["AE"].fit(X)
        fit_t[name].append(time.perf_counter() - t)
T.small_model_threads = orig
base = np.median(score_t["process(set_num_threads)"]); fbase = np.median(fit_t["process(set_num_threads)"])
rec = Recorder("experiments", Path(__file__).resolve().with_suffix(".json"), metrics=["score_ratio", "fit_ratio"],
               title="experiments: scoring and training time of small networks under three CPU thread policies")
for m in modes:
    rec.add(dataset="random-18d", detector="AutoEncoder + VAE", variant=m, seed=0, rounds=len(score_t[m]),
            score_seconds_median=np.median(score_t[m]), fit_seconds_median=np.median(fit_t[m]),
            score_ratio=np.median(score_t[m]) / base, fit_ratio=np.median(fit_t[m]) / fbase)
    print(f"{m:28s} score 200 calls x 2000 rows: median {np.median(score_t[m]):.3f}s ratio {np.median(score_t[m])/base:.2f} | AE fit 14 ep 5000 rows: {np.median(fit_t[m]):.3f}s ratio {np.median(fit_t[m])/fbase:.2f}")
print(f"wrote {rec.write()}")
