"""Micro-benchmarks behind the speed notes: where a training step and scoring spend their time.

Tiny FF12 network (18-15-7-2-7-15-18), batch 128, random data, one process, every variant
measured side by side (best of 5 repeats, the variants of a comparison interleaved within each
repeat). Writes results/micro.json (with the load average before and after).

    PYTHONPATH=src python benchmarks/speed/micro.py
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import torch
import torch._dynamo  # noqa: F401  (keep the one-off import out of the timings)
import torch.nn.functional as F

from dropout_masks import numpy_dropout_masks
from genad.nn import fast_mlp
from genad.nn import training as T
from genad.nn.backbones import mlp
from genad.nn.fast_mlp import mlp_mse_grad_fn
from genad.nn.optim import TensorAdam

OUT = Path(__file__).resolve().parent / "results"


def net(seed=0, dropout=0.0):
    torch.manual_seed(seed)
    return mlp([18, 15, 7, 2], dropout=dropout), mlp([2, 7, 15, 18], dropout=dropout)


def best(fn, reps=5):
    return min(fn() for _ in range(reps))


def interleaved(fns: dict, reps=5) -> dict:
    """Best time of each variant, the variants taking turns within each repeat."""
    times = {k: [] for k in fns}
    for _ in range(reps):
        for k, fn in fns.items():
            times[k].append(fn())
    return {k: min(v) for k, v in times.items()}


class FlatAdam:
    """genad's former hand-written Adam on one flat tensor (six tensor ops), kept here as the
    reference it was replaced against."""

    def __init__(self, param, lr):
        self.param, self.lr, self.t = param, lr, 0
        self.exp_avg, self.exp_avg_sq = torch.zeros_like(param), torch.zeros_like(param)

    @torch.no_grad()
    def step(self):
        p, g, (b1, b2) = self.param, self.param.grad, (0.9, 0.999)
        self.t += 1
        self.exp_avg.lerp_(g, 1 - b1)
        self.exp_avg_sq.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = self.exp_avg_sq.sqrt().div_(math.sqrt(1 - b2**self.t)).add_(1e-8)
        p.addcdiv_(self.exp_avg, denom, value=-self.lr / (1 - b1**self.t))


def plain_loop_ms(X, n=600):
    enc, dec = net()
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=0.01, fused=True)
    perm = torch.randperm(len(X))

    def run():
        t = time.perf_counter()
        for b in range(n):
            xb = X.index_select(0, perm[b * 128:(b + 1) * 128])
            loss = F.mse_loss(dec(enc(xb)), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return (time.perf_counter() - t) / n * 1e3
    return best(run)


def parts_ms(X, n=1000):
    enc, dec = net()
    xb = X[:128]
    out = {}

    def fwd():
        t = time.perf_counter()
        for _ in range(n):
            F.mse_loss(dec(enc(xb)), xb)
        return (time.perf_counter() - t) / n * 1e3

    def fwd_bwd():
        t = time.perf_counter()
        for _ in range(n):
            F.mse_loss(dec(enc(xb)), xb).backward()
        return (time.perf_counter() - t) / n * 1e3

    gf = mlp_mse_grad_fn([enc, dec])

    def manual():
        t = time.perf_counter()
        for _ in range(n):
            gf(xb)
        return (time.perf_counter() - t) / n * 1e3

    out["forward_autograd"] = best(fwd)
    out["forward_backward_autograd"] = best(fwd_bwd)
    out["forward_backward_grad_fn"] = best(manual)

    # dropout 0.2 after every hidden layer (PyOD's default rate): masks drawn per step by
    # torch.rand, drawn for many steps at once by torch.rand (genad), and NumPy-bit masks drawn
    # for many steps at once (genad's former CPU masks)
    def per_step_torch(p, widths):
        return lambda n, like: [(torch.rand(n, w) >= p).float().mul_(1 / (1 - p)) for w in widths]

    fns = {}
    for name, source in (("torch_per_step", per_step_torch), ("torch_block", fast_mlp.dropout_masks),
                         ("numpy_block", numpy_dropout_masks)):
        saved, fast_mlp.dropout_masks = fast_mlp.dropout_masks, source
        try:
            f = mlp_mse_grad_fn(list(net(dropout=0.2)))
        finally:
            fast_mlp.dropout_masks = saved

        def drop(f=f):
            t = time.perf_counter()
            for _ in range(n):
                f(xb)
            return (time.perf_counter() - t) / n * 1e3
        fns[f"forward_backward_grad_fn_dropout_masks_{name}"] = drop
    out.update(interleaved(fns))

    # the mask draws alone (the dropout layers of that network: widths 15, 7, 7, 15)
    def draws(source):
        draw = source(0.2, [15, 7, 7, 15])

        def run():
            t = time.perf_counter()
            for _ in range(n):
                draw(128, xb)
            return (time.perf_counter() - t) / n * 1e3
        return run

    out.update(interleaved({f"dropout_mask_draw_{name}": draws(source) for name, source in (
        ("torch_per_step", per_step_torch), ("torch_block", fast_mlp.dropout_masks),
        ("numpy_block", numpy_dropout_masks))}))
    return out


def adam_ms(n=2000):
    """One Adam step on all 842 parameters: per layer (12 tensors) with torch.optim, and on one
    packed (flat) tensor with torch.optim (fused / foreach), the former FlatAdam, and TensorAdam."""
    enc, dec = net()
    params = [p.detach().clone().requires_grad_(True) for m in (enc, dec) for p in m.parameters()]
    for p in params:
        p.grad = torch.randn_like(p)

    def flat():
        f = torch.nn.Parameter(torch.cat([p.detach().reshape(-1) for p in params]))
        f.grad = torch.randn_like(f)
        return f

    opts = {
        "torch_optim_adam_fused_12_tensors": torch.optim.Adam(params, lr=0.01, fused=True),
        "torch_optim_adam_fused_flat": torch.optim.Adam([flat()], lr=0.01, fused=True),
        "torch_optim_adam_foreach_flat": torch.optim.Adam([flat()], lr=0.01, foreach=True),
        "flat_adam_step": FlatAdam(flat(), lr=0.01),
        "tensor_adam_fused_kernel_flat": TensorAdam([flat()], lr=0.01),
    }

    def timer(opt):
        def run():
            t = time.perf_counter()
            for _ in range(n):
                opt.step()
            return (time.perf_counter() - t) / n * 1e3
        return run

    return interleaved({k: timer(o) for k, o in opts.items()})


def train_ms(X):
    """ms per step of genad's train(): the fast path (hand-written backward, packed parameter,
    TensorAdam), the same with torch.optim.Adam(fused=True) on the packed parameter, and the
    autograd path."""

    def run(variant):
        T.seed_everything(0)
        enc, dec = net()
        st = T.Step("r", [enc, dec], lambda x: F.mse_loss(dec(enc(x)), x),
                    grad_fn=mlp_mse_grad_fn([enc, dec]) if variant != "autograd" else None)
        saved = T.TensorAdam
        if variant == "torch_optim":
            T.TensorAdam = lambda ps, lr, weight_decay: torch.optim.Adam(ps, lr=lr, weight_decay=weight_decay,
                                                                         fused=True)
        try:
            h = T.train(st, X, modules=[enc, dec], epochs=2, batch_size=128, lr=0.01)
        finally:
            T.TensorAdam = saved
        return 1e3 * min(h["epoch_time"]) / (len(X) // 128 + 1)

    names = {"grad_fn": "train_grad_fn_ms_per_step", "torch_optim": "train_grad_fn_torch_optim_adam_fused_ms_per_step",
             "autograd": "train_autograd_ms_per_step"}
    return interleaved({names[v]: (lambda v=v: run(v)) for v in names}, reps=3)


def scoring_rows_per_s():
    enc, dec = net()
    X = torch.rand(1_000_000, 18)
    res = {}
    before = torch.get_num_threads()
    for th in sorted({1, before}):
        torch.set_num_threads(th)

        def run():
            with torch.inference_mode():
                t = time.perf_counter()
                for i in range(0, len(X), 65536):
                    xb = X[i:i + 65536]
                    (xb - dec(enc(xb))).pow(2).mean(1)
                return len(X) / (time.perf_counter() - t)
        res[f"score_rows_per_s_{th}_threads"] = best(run)
    torch.set_num_threads(before)
    return res


def main():
    X = torch.rand(87550, 18)
    res = {"torch_threads_default": torch.get_num_threads(), "load_average_start": os.getloadavg()}
    torch.set_num_threads(1)
    res["plain_torch_loop_ms_per_step_1_thread"] = plain_loop_ms(X)
    res.update(parts_ms(X))
    res.update(adam_ms())
    res.update(train_ms(X))
    torch.set_num_threads(res["torch_threads_default"])
    res.update(scoring_rows_per_s())
    res["load_average_end"] = os.getloadavg()
    for k, v in res.items():
        print(f"{k:50s} {v}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "micro.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
