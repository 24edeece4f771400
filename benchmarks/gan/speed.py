"""ADGAN scoring speed on the CPU: the batched search (all test points of a chunk and their
seeds at once; per-point generator copies as batched matrix products, transposed convolutions
as bmm + fold) against Python loops over test points, side by side in one process; and the
search's FLOP count per test point (torch.utils.flop_counter) with the FLOP rate achieved.

Loops compared: (1) ``decision_function`` on one test point at a time (the same batched code
with one point per call); (2) the same loop with ``impl="vmap"``, which for one point runs
torch's own ``conv_transpose2d`` / ``batch_norm`` layers (a plain per-point implementation).
The previous batched implementation (``impl="vmap"`` over many points: grouped convolutions) is
timed too.

    GENAD_DATA=/work/shared/data PYTHONPATH=src python benchmarks/gan/speed.py --tabular
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

import genad
import genad.detectors.adgan as adgan_module
from genad.datasets import load
from genad.nn.latent_search import latent_search

RESULTS = Path(__file__).resolve().parent / "results"


def use_impl(impl: str):
    """Route ADGAN's search through latent_search(..., impl=impl)."""
    adgan_module.latent_search = functools.partial(latent_search, impl=impl)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def max_rel(a, b):
    return float(np.max(np.abs(a - b) / np.abs(b)))


def tabular_speed(n_batched=2048, n_loop=64):
    """The same comparison for an MLP generator on FF12 KDD rows (18 features)."""
    use_impl("auto")
    ds = load("kdd99-ff12")
    det = genad.ADGAN(epochs=1, n_critic=1, n_seeds=1, search_steps=1, preprocessing="minmax",
                      random_state=0).fit(ds.X_train[:5000])
    det.set_params(n_seeds=64, search_steps=5)
    Xb = ds.X_test[:n_batched]
    det.decision_function(Xb[:8])  # warm-up
    res = {"generator_parameters": int(sum(p.numel() for p in det.generator_.parameters()))}
    batched, t_b = timed(lambda: det.decision_function(Xb))
    looped, t_l = timed(lambda: np.array([det.decision_function(Xb[i : i + 1])[0] for i in range(n_loop)]))
    res.update(batched_points_per_s=n_batched / t_b, loop_points_per_s=n_loop / t_l)
    res["speedup"] = res["batched_points_per_s"] / res["loop_points_per_s"]
    res["max_relative_score_difference_loop_vs_batched"] = max_rel(looped, batched[:n_loop])
    print(res, flush=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n-batched", type=int, default=64)
    ap.add_argument("--n-loop", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2, help="timings alternate between the variants")
    ap.add_argument("--tabular", action="store_true", help="also time an MLP generator on FF12 rows")
    ap.add_argument("--base-channels", type=int, default=32)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ds = load("mnist", normal_class=0, protocol="adgan", max_train=300, max_test=args.n_batched, random_state=0)
    # a briefly trained DCGAN generator (speed does not depend on how well it is trained)
    det = genad.ADGAN(epochs=1, n_critic=1, n_seeds=1, search_steps=1, base_channels=args.base_channels,
                      random_state=0).fit(ds.X_train)
    det.set_params(n_seeds=64, search_steps=5)
    Xt = ds.X_test[: args.n_batched]
    n, nl = len(Xt), args.n_loop
    det.decision_function(Xt[:2])  # warm-up

    def batched(points_per_chunk, impl="auto"):
        use_impl(impl)
        det._SEARCH_ROWS = det._CPU_CONV_SEARCH_ROWS = points_per_chunk * 64
        return timed(lambda: det.decision_function(Xt))

    def loop(impl):
        use_impl(impl)
        return timed(lambda: np.array([det.decision_function(Xt[i : i + 1])[0] for i in range(nl)]))

    variants = {
        "batched_64_points_per_chunk": lambda: batched(64),
        "batched_16_points_per_chunk": lambda: batched(16),
        "batched_4_points_per_chunk": lambda: batched(4),
        "loop_one_point_per_call": lambda: loop("auto"),
        "loop_torch_layers": lambda: loop("vmap"),
        "previous_batched_vmap_4_points_per_chunk": lambda: batched(4, "vmap"),
        "previous_batched_vmap_64_points_per_chunk": lambda: batched(64, "vmap"),
    }
    secs = {k: 0.0 for k in variants}
    scores = {}
    for r in range(args.rounds):
        for k, f in variants.items():
            s, t = f()
            secs[k] += t
            scores[k] = s
            print(r, k, f"{t:.2f}s", flush=True)
    pts = {k: (nl if k.startswith("loop") else n) * args.rounds / v for k, v in secs.items()}
    use_impl("auto")
    det._SEARCH_ROWS, det._CPU_CONV_SEARCH_ROWS = type(det)._SEARCH_ROWS, type(det)._CPU_CONV_SEARCH_ROWS

    # FLOPs of the search for one test point (matrix products and convolutions)
    X = torch.as_tensor(det._transform(Xt))
    with FlopCounterMode(display=False) as fc:
        det._search(X[:1])
    search_flops = int(fc.get_total_flops())
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        det.generator_(torch.zeros(1, det._latent_dim()))
    gen_fwd = int(fc.get_total_flops())
    ref = scores["loop_torch_layers"]
    out = {
        "n_seeds": 64, "search_steps": 5, "threads": args.threads, "base_channels": args.base_channels,
        "generator_parameters": int(sum(p.numel() for p in det.generator_.parameters())),
        "batched_points": n, "loop_points": nl, "rounds": args.rounds,
        "points_per_s": pts,
        "speedup_batched64_over_loop_torch_layers": pts["batched_64_points_per_chunk"] / pts["loop_torch_layers"],
        "speedup_batched16_over_loop_torch_layers": pts["batched_16_points_per_chunk"] / pts["loop_torch_layers"],
        "speedup_batched4_over_loop_torch_layers": pts["batched_4_points_per_chunk"] / pts["loop_torch_layers"],
        "speedup_batched64_over_loop_one_point_per_call": pts["batched_64_points_per_chunk"] / pts["loop_one_point_per_call"],
        "max_relative_score_difference_vs_loop_torch_layers": {
            k: max_rel(v[:nl], ref) for k, v in scores.items() if k != "loop_torch_layers"},
        "search_flops_per_point": search_flops, "generator_forward_flops_per_sample": gen_fwd,
        "search_flops_per_point_over_forward": search_flops / max(gen_fwd, 1),
        "achieved_gflop_per_s": {k: v * search_flops / 1e9 for k, v in pts.items()},
        "device": "CPU (no GPU available)", "machine": "2-core CPU, no GPU, shared with other work",
    }
    if args.tabular:
        out["tabular"] = tabular_speed()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
