"""ADGAN scoring speed: the batched search (all test points and seeds at once, per-point
generator copies through torch.func.vmap) against a Python loop over test points; and the
search's FLOP count per test point (torch.utils.flop_counter).

    GENAD_DATA=/work/shared/data PYTHONPATH=src python benchmarks/gan/speed.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

import genad
from genad.datasets import load

RESULTS = Path(__file__).resolve().parent / "results"


def tabular_speed(args, n_batched=2048, n_loop=64):
    """The same comparison for an MLP generator on FF12 KDD rows (18 features)."""
    ds = load("kdd99-ff12")
    det = genad.ADGAN(epochs=1, n_critic=1, n_seeds=1, search_steps=1, preprocessing="minmax",
                      random_state=0).fit(ds.X_train[:5000])
    det.set_params(n_seeds=64, search_steps=5)
    Xb = ds.X_test[:n_batched]
    det.decision_function(Xb[:8])  # warm-up
    res = {"generator_parameters": int(sum(p.numel() for p in det.generator_.parameters()))}
    t0 = time.perf_counter()
    batched = det.decision_function(Xb)
    res["batched_points_per_s"] = n_batched / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    looped = np.array([det.decision_function(Xb[i : i + 1])[0] for i in range(n_loop)])
    res["loop_points_per_s"] = n_loop / (time.perf_counter() - t0)
    res["speedup"] = res["batched_points_per_s"] / res["loop_points_per_s"]
    res["max_relative_score_difference_loop_vs_batched"] = float(
        np.max(np.abs(looped - batched[:n_loop]) / np.abs(batched[:n_loop])))
    print(res, flush=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n-batched", type=int, default=64)
    ap.add_argument("--tabular", action="store_true", help="also time an MLP generator on FF12 rows")
    ap.add_argument("--n-loop", type=int, default=4)
    ap.add_argument("--base-channels", type=int, default=32)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ds = load("mnist", normal_class=0, protocol="adgan", max_train=300, max_test=args.n_batched, random_state=0)
    # a briefly trained DCGAN generator (speed does not depend on how well it is trained)
    det = genad.ADGAN(epochs=1, n_critic=1, n_seeds=1, search_steps=1, base_channels=args.base_channels,
                      random_state=0).fit(ds.X_train)
    det.set_params(n_seeds=64, search_steps=5)
    X = torch.as_tensor(det._transform(ds.X_test[: args.n_batched]))
    det._search(X[:2])  # warm-up
    chunks = {}
    for rows in (4096, 1024, 256):  # test points x seeds per batched search: 64, 16, 4 points
        det._SEARCH_ROWS = det._CPU_CONV_SEARCH_ROWS = rows
        t0 = time.perf_counter()
        batched = det.decision_function(ds.X_test[: args.n_batched])
        chunks[f"{rows // 64}_points_per_chunk_points_per_s"] = args.n_batched / (time.perf_counter() - t0)
        print(chunks, flush=True)
    det._SEARCH_ROWS = det._CPU_CONV_SEARCH_ROWS = 4096
    t0 = time.perf_counter()
    batched = det.decision_function(ds.X_test[: args.n_batched])
    t_b = time.perf_counter() - t0
    t0 = time.perf_counter()
    looped = np.array([det.decision_function(ds.X_test[i : i + 1])[0] for i in range(args.n_loop)])
    t_l = time.perf_counter() - t0
    max_rel = float(np.max(np.abs(looped - batched[: args.n_loop]) / np.abs(batched[: args.n_loop])))
    with FlopCounterMode(display=False) as fc:
        det._search(X[:1])
    search_flops = int(fc.get_total_flops())
    with FlopCounterMode(display=False) as fc:
        with torch.no_grad():
            det.generator_(torch.zeros(1, det._latent_dim()))
    gen_fwd = int(fc.get_total_flops())
    out = {
        "n_seeds": 64, "search_steps": 5, "threads": args.threads, "base_channels": args.base_channels,
        "generator_parameters": int(sum(p.numel() for p in det.generator_.parameters())),
        "batched_points": args.n_batched, "batched_s": t_b, "batched_points_per_s": args.n_batched / t_b,
        "loop_points": args.n_loop, "loop_s": t_l, "loop_points_per_s": args.n_loop / t_l,
        "speedup": (args.n_batched / t_b) / (args.n_loop / t_l),
        "batched_by_chunk": chunks,
        "max_relative_score_difference_loop_vs_batched": max_rel,
        "search_flops_per_point": search_flops, "generator_forward_flops_per_sample": gen_fwd,
        "search_flops_per_point_over_forward": search_flops / max(gen_fwd, 1),
        "device": "CPU (no GPU available)", "machine": "2-core CPU, no GPU, shared with other work",
    }
    if args.tabular:
        out["tabular"] = tabular_speed(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
