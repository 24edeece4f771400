"""Micro-benchmarks behind the speed notes: where a training step and scoring spend their time.

Tiny FF12 network (18-15-7-2-7-15-18), batch 128, random data, one process, every variant
measured side by side (best of 5 repeats, the variants of a comparison interleaved within each
repeat). The network is :data:`genad.bench.protocols.FF12_NETWORK`. Recorded through
:class:`genad.bench.Recorder` in results/micro.json (genad-bench/2): one record per measured
quantity (variant = its name; ``ms`` or ``rows_per_s``), the load average before and after.

    PYTHONPATH=src python benchmarks/speed/micro.py
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import torch
import torch._dynamo  # noqa: F401  (keep the one-off import out of the timings)
import torch.nn.functional as F

from dropout_masks import numpy_dropout_masks
from genad.bench import Recorder
from genad.bench.protocols import FF12_NETWORK
from genad.nn import fast_mlp
from genad.nn import training as T
from genad.nn.backbones import mlp
from genad.nn.fast_mlp import mlp_mse_grad_fn
from genad.nn.optim import TensorAdam

OUT = Path(__file__).resolve().parent / "results"


N_FEATURES = 18
#: the FF12 encoder widths, input to code (18-15-7-2); the decoder mirrors them
WIDTHS = [N_FEATURES, *FF12_NETWORK["hidden"], FF12_NETWORK["latent_dim"]]
BATCH = FF12_NETWORK["batch_size"]
LR = FF12_NETWORK["lr"]


def net(seed=0, dropout=0.0):
    torch.manual_seed(seed)
    return mlp(WIDTHS, dropout=dropout), mlp(WIDTHS[::-1], dropout=dropout)


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
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=LR, fused=True)
    perm = torch.randperm(len(X))

    def run():
        t = time.perf_counter()
        for b in range(n):
            xb = X.index_select(0, perm[b * BATCH:(b + 1) * BATCH])
            loss = F.mse_loss(dec(enc(xb)), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return (time.perf_counter() - t) / n * 1e3
    return best(run)


def parts_ms(X, n=1000):
    enc, dec = net()
    xb = X[:BATCH]
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
        draw = source(0.2, [*WIDTHS[1:-1], *WIDTHS[-2:0:-1]])

        def run():
            t = time.perf_counter()
            for _ in range(n):
                draw(BATCH, xb)
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
        "torch_optim_adam_fused_12_tensors": torch.optim.Adam(params, lr=LR, fused=True),
        "torch_optim_adam_fused_flat": torch.optim.Adam([flat()], lr=LR, fused=True),
        "torch_optim_adam_foreach_flat": torch.optim.Adam([flat()], lr=LR, foreach=True),
        "flat_adam_step": FlatAdam(flat(), lr=LR),
        "tensor_adam_fused_kernel_flat": TensorAdam([flat()], lr=LR),
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
            h = T.train(st, X, modules=[enc, dec], epochs=2, batch_size=BATCH, lr=LR)
        finally:
            T.TensorAdam = saved
        return 1e3 * min(h["epoch_time"]) / (len(X) // BATCH + 1)

    names = {"grad_fn": "train_grad_fn_ms_per_step", "torch_optim": "train_grad_fn_torch_optim_adam_fused_ms_per_step",
             "autograd": "train_autograd_ms_per_step"}
    return interleaved({names[v]: (lambda v=v: run(v)) for v in names}, reps=3)


def scoring_rows_per_s():
    enc, dec = net()
    X = torch.rand(1_000_000, N_FEATURES)
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
    X = torch.rand(87550, N_FEATURES)
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
    rec = Recorder("speed", OUT / "micro.json", metrics=["ms", "rows_per_s"],
                   title="speed: where a training step and scoring of the FF12 network spend their time",
                   torch_threads_default=res.pop("torch_threads_default"),
                   load_average_start=res.pop("load_average_start"), load_average_end=res.pop("load_average_end"))
    record(rec, res)
    rec.write()


def record(rec: Recorder, res: dict) -> None:
    """One record per measured quantity: milliseconds, or rows/s for the scoring runs."""
    for k, v in res.items():
        rec.add(dataset="random-18d", detector="FF12 network", variant=k, seed=None,
                **{"rows_per_s" if "rows_per_s" in k else "ms": v})


if __name__ == "__main__":
    main()
