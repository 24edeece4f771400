"""Micro-benchmarks behind the speed notes: where a training step and scoring spend their time.

Tiny FF12 network (18-15-7-2-7-15-18), batch 128, random data, one process, every variant
measured side by side (best of 3 repeats). Writes results/micro.json.

    PYTHONPATH=src python benchmarks/speed/micro.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch
import torch._dynamo  # noqa: F401  (keep the one-off import out of the timings)
import torch.nn.functional as F

from genad.detectors.autoencoder import mlp_mse_grad_fn
from genad.nn import training as T
from genad.nn.backbones import mlp

OUT = Path(__file__).resolve().parent / "results"


def net(seed=0, dropout=0.0):
    torch.manual_seed(seed)
    return mlp([18, 15, 7, 2], dropout=dropout), mlp([2, 7, 15, 18], dropout=dropout)


def best(fn, reps=3):
    return min(fn() for _ in range(reps))


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
    params = list(enc.parameters()) + list(dec.parameters())
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
    for p in params:
        p.grad = torch.randn_like(p)
    opt = torch.optim.Adam(params, lr=0.01, fused=True)
    opt.step()

    def adam():
        t = time.perf_counter()
        for _ in range(n):
            opt.step()
        return (time.perf_counter() - t) / n * 1e3

    flat = torch.nn.Parameter(torch.cat([p.detach().reshape(-1) for p in params]))
    flat.grad = torch.randn_like(flat)
    fa = T.FlatAdam(flat, lr=0.01)

    def flat_adam():
        t = time.perf_counter()
        for _ in range(n):
            fa.step()
        return (time.perf_counter() - t) / n * 1e3

    # dropout 0.2 after every hidden layer (PyOD's default rate), masks from torch.rand per step
    # vs genad's CPU masks (NumPy bits, many steps per draw), one after the other
    fns = {src: mlp_mse_grad_fn(list(net(dropout=0.2)), mask_source=src) for src in ("torch", "auto")}
    for src, f in fns.items():
        def drop(f=f):
            t = time.perf_counter()
            for _ in range(n):
                f(xb)
            return (time.perf_counter() - t) / n * 1e3
        out[f"forward_backward_grad_fn_dropout_masks_{src}"] = best(drop)
    out["torch_fused_adam_step_12_tensors"] = best(adam)
    out["flat_adam_step"] = best(flat_adam)
    return out


def train_ms(X):
    res = {}
    for fast in (True, False):
        def run():
            T.seed_everything(0)
            enc, dec = net()
            st = T.Step("r", [enc, dec], lambda x: F.mse_loss(dec(enc(x)), x),
                        grad_fn=mlp_mse_grad_fn([enc, dec]) if fast else None)
            h = T.train(st, X, modules=[enc, dec], epochs=2, batch_size=128, lr=0.01)
            return 1e3 * min(h["epoch_time"]) / (len(X) // 128 + 1)
        res["train_grad_fn_ms_per_step" if fast else "train_autograd_ms_per_step"] = best(run)
    return res


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
    res = {"torch_threads_default": torch.get_num_threads()}
    torch.set_num_threads(1)
    res["plain_torch_loop_ms_per_step_1_thread"] = plain_loop_ms(X)
    res.update(parts_ms(X))
    res.update(train_ms(X))
    torch.set_num_threads(res["torch_threads_default"])
    res.update(scoring_rows_per_s())
    for k, v in res.items():
        print(f"{k:45s} {v:.4g}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "micro.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
