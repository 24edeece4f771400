"""The GAN family at full scale on one GPU, sized to a time budget per call.

Parts (``--part``, comma-separated):

* ``mnist``: MNIST one-vs-all, ADGAN protocol (``genad.datasets.load("mnist", normal_class=c,
  protocol="adgan")``: all training images of class c, 5,000 random test items, pixels in
  [-1, 1]). ADGAN with DCGAN width 64 (``base_channels=64``), WGAN-GP (``n_critic=5``,
  Adam lr 1e-4, betas (0.5, 0.9), batch 64), scoring with 64 seeds x 5 search steps and the
  per-point generator copies; beside it the convolutional AutoEncoder, the VAE scored by its
  ELBO, and KDE / OC-SVM on PCA(32) features of the pixels.
* ``cifar10``: the same on CIFAR-10, as many classes as the budget allows.
* ``speed``: latent-search throughput (test images scored per second), its FLOP count, the
  fraction of the GPU's measured fp32 / bf16 matmul peak it reaches, and the speed-up over a
  per-image loop of the same search.

Epochs are sized from measured step times: an untimed warm-up fit on a few images first
(start-up, cuDNN autotuning), then a one-epoch fit of each network on the class's data gives
the time per epoch (printed), and every class gets the epochs that fit its share of the
budget (at most ``--max-epochs``). Results are written in the genad-bench/2 schema under
``--out`` (default ``$OUT``) after every class, so a call cut short keeps what it finished.

    OUT=/tmp/out bash benchmarks/gan/gpu_full.sh --part mnist --budget 330
    PYTHONPATH=src GENAD_DATA=.gpu-data python benchmarks/gan/gpu_full.py --part mnist --budget 330 --out /tmp/out

``--toy`` (2 classes, 100 training / 60 test images, 1 epoch, 4 seeds) checks the whole path on a CPU;
its numbers measure nothing about the method.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA as SkPCA
from torch.utils.flop_counter import FlopCounterMode

import genad
from genad.bench import Recorder
from genad.bench.results import flatten_numbers
from genad.datasets import load

GAN_NETS = ("ADGAN", "AutoEncoder", "VAE")
#: share of a class's seconds for each network's training (the rest: scoring and baselines)
FIT_SHARE = {"ADGAN": 0.65, "AutoEncoder": 0.08, "VAE": 0.08}


def device_info() -> dict:
    info = {"torch": torch.__version__, "cuda_available": torch.cuda.is_available()}
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        info.update(device="cuda", gpu_name=torch.cuda.get_device_name(0), gpu_memory_gib=round(p.total_memory / 2**30, 1),
                    cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                    matmul_allow_tf32=bool(torch.backends.cuda.matmul.allow_tf32))
    else:
        info.update(device="cpu", gpu_name=None, cpu_threads=torch.get_num_threads())
    return info


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn):
    sync()
    t0 = time.perf_counter()
    out = fn()
    sync()
    return out, time.perf_counter() - t0


class Clock:
    """Seconds left before the call's budget (less a safety margin)."""

    def __init__(self, budget: float, margin: float):
        self.t0, self.end = time.perf_counter(), time.perf_counter() + budget - margin

    def left(self) -> float:
        return self.end - time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0


# ----------------------------------------------------------------------------- detectors
def make(name: str, args, epochs: int = 1):
    seed = args.seed
    if name == "ADGAN":
        return genad.ADGAN(epochs=epochs, n_critic=5, lr=1e-4, batch_size=64, base_channels=64, n_seeds=args.n_seeds,
                           search_steps=5, score_type="reconstruction", device=args.device, random_state=seed)
    if name == "AutoEncoder":
        return genad.AutoEncoder(arch="conv", epochs=epochs, device=args.device, random_state=seed)
    if name == "VAE":
        return genad.VAE(arch="conv", score="elbo", epochs=epochs, device=args.device, random_state=seed)
    if name == "KDE(PCA)":  # on PCA(32) features of the pixels (computed once per class in run_images)
        return genad.KDE(random_state=seed)
    if name == "OCSVM(PCA)":
        return genad.OCSVM(random_state=seed)
    raise ValueError(f"unknown detector {name!r}")


def dataset(name: str, c: int, args):
    if args.toy:
        return load(name, normal_class=c, protocol="adgan", max_train=100, max_test=60, random_state=args.seed)
    return load(name, normal_class=c, protocol="adgan", random_state=args.seed)


def calibrate(name: str, ds, args) -> dict:
    """Warm-up fit (untimed) on 128 images, then a timed one-epoch fit on the class's data and a
    timed scoring of test items: seconds per training image per epoch and per scored image."""
    X, Xt = ds.X_train, ds.X_test[: 16 if args.toy else 64]
    make(name, args).fit(X[: 32 if args.toy else 128]).decision_function(Xt[:8])  # warm-up: start-up costs stay out of the figures
    det, t_fit = timed(lambda: make(name, args).fit(X))
    _, t_score = timed(lambda: det.decision_function(Xt))
    per_score = t_score / len(Xt)
    n_cal = len(det.calibration_scores_)
    # a fit also scores its calibration hold-out: take that out of the epoch time
    per_image_epoch = max(t_fit - per_score * n_cal, 0.1 * t_fit) / (len(X) - n_cal)
    out = {"s_per_train_image_epoch": per_image_epoch, "s_per_scored_image": per_score,
           "one_epoch_fit_s": t_fit, "n_train": len(X)}
    print(f"  step timing {name:12s} one-epoch fit {t_fit:7.2f}s on {len(X)} images "
          f"({per_image_epoch * 1e3:.3f} ms per image-epoch), scoring {per_score * 1e3:.3f} ms per image", flush=True)
    return out


def plan_epochs(name, timing, n_train, n_test, class_s, max_epochs) -> int:
    n_cal = max(1, int(round(0.1 * n_train)))
    score_s = timing["s_per_scored_image"] * (n_test + n_cal)
    fit_s = FIT_SHARE[name] * class_s - (score_s if name == "ADGAN" else 0.0)
    return int(max(1, min(max_epochs, math.floor(fit_s / (timing["s_per_train_image_epoch"] * (n_train - n_cal))))))


def run_images(part: str, args, clock: Clock, dev: dict):
    classes = [int(c) for c in args.classes.split(",")] if args.classes else ([0, 1] if args.toy else list(range(10)))
    names = ["ADGAN", "AutoEncoder", "VAE", "KDE(PCA)", "OCSVM(PCA)"]
    rec = recorder(part, args, dev, title=f"ADGAN protocol one-vs-all on {part}, full scale on one device",
                   description="all training images of the class, 5,000 test items; DCGAN width 64, WGAN-GP, "
                               "64 seeds x 5 steps with per-point generator copies; epochs sized to the budget")
    t_cal0 = time.perf_counter()
    ds0 = dataset(part, classes[0], args)
    timing = {n: calibrate(n, ds0, args) for n in GAN_NETS}
    rec.extra["step_timing"] = timing
    rec.extra["calibration_seconds"] = time.perf_counter() - t_cal0
    for n, t in timing.items():  # the step timings are a measurement of their own (and keep a file if no class fits)
        rec.add(dataset=f"{part}-{classes[0]} step timing", detector=n, seed=args.seed, **t)
    rec.write()
    done = []
    for i, c in enumerate(classes):
        class_s = args.class_seconds or clock.left() / (len(classes) - i)
        ds = ds0 if i == 0 else dataset(part, c, args)
        n_tr, n_te = len(ds.X_train), len(ds.X_test)
        epochs = {n: 1 if args.toy else plan_epochs(n, timing[n], n_tr, n_te, class_s, args.max_epochs) for n in GAN_NETS}
        need = sum(timing[n]["s_per_train_image_epoch"] * epochs[n] * n_tr + timing[n]["s_per_scored_image"] * n_te * 1.2
                   for n in GAN_NETS)
        if need > clock.left():
            print(f"class {c}: needs about {need:.0f}s, {clock.left():.0f}s left: stopping", flush=True)
            break
        print(f"class {c}: {n_tr} train / {n_te} test, {class_s:.0f}s for the class, epochs {epochs}", flush=True)
        pca = SkPCA(32, random_state=args.seed)  # features of the KDE / OC-SVM baselines
        Xf_tr, t_pca = timed(lambda: pca.fit_transform(ds.X_train.reshape(n_tr, -1)))
        Xf_te = pca.transform(ds.X_test.reshape(n_te, -1))
        for n in names:
            gan = n in GAN_NETS
            det = make(n, args, epochs.get(n, 1))
            r = rec.measure(det, ds, dataset=f"{part}-{c}", seed=args.seed, name=n,
                            **({} if gan else {"X_train": Xf_tr, "X_test": Xf_te, "pca_fit_seconds": t_pca}))
            if gan and r.get("status") == "ok":
                n_fit = n_tr - len(det.calibration_scores_)
                r["epochs"] = epochs[n]
                if n == "ADGAN":
                    r["generator_updates"] = epochs[n] * math.ceil(n_fit / det.batch_size)
                    r["critic_updates"] = r["generator_updates"] * det.n_critic
                    h = det.history_
                    r["history"] = {k: [float(v) for v in h[k]] for k in ("generator_loss", "wasserstein") if k in h}
            print(f"  {n:12s} auc {r.get('roc_auc', float('nan')):.4f} fit {r.get('fit_seconds', 0):7.1f}s "
                  f"score {r.get('score_seconds', 0):6.1f}s {r.get('error') or ''}", flush=True)
        done.append(c)
        rec.extra["classes_done"] = done
        rec.extra["total_seconds"] = clock.elapsed()
        rec.write()  # after every class: a call cut short keeps what it finished
    for n in names:
        v = [r["roc_auc"] for r in rec.records if r["detector"] == n and r.get("roc_auc") is not None]
        if v:
            print(f"{n:12s} mean ROC-AUC {np.mean(v):.4f} over {len(v)} classes", flush=True)
    return rec


# ----------------------------------------------------------------------------- speed
def matmul_peak(dtype, n: int, seconds: float = 2.0) -> float:
    """FLOP/s of a large square torch.matmul on the device (best of repeated timings)."""
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    a, b = torch.randn(n, n, device=dev, dtype=dtype), torch.randn(n, n, device=dev, dtype=dtype)
    a @ b  # warm-up
    best, t_end = float("inf"), time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        _, t = timed(lambda: a @ b)
        best = min(best, t)
    return 2.0 * n**3 / best


def run_speed(args, clock: Clock, dev: dict):
    rec = recorder("speed", args, dev, title="ADGAN latent search on one device: throughput, FLOP rate, loop speed-up",
                   description="64 seeds x 5 steps with per-point generator copies, DCGAN width 64 on MNIST",
                   metrics=["images_per_s", "speedup_over_per_image_loop", "fraction_of_fp32_peak"])
    ds = load("mnist", normal_class=0, protocol="adgan", max_train=200 if args.toy else 2000,
              max_test=16 if args.toy else None, random_state=args.seed)
    det = make("ADGAN", args).fit(ds.X_train)  # briefly trained: the speed does not depend on training
    X = ds.X_test
    n_batched, n_loop = len(X), (4 if args.toy else 64)
    det.decision_function(X[:64])  # untimed warm-up call
    det.decision_function(X[:1])  # and the one-image shape
    by_rows = {}  # (test images x seeds) per search chunk: the detector's default first
    for rows in [det._search_rows(det._to_device())] + [int(r) for r in args.search_rows.split(",") if r]:
        det._SEARCH_ROWS = det._CPU_CONV_SEARCH_ROWS = rows
        det.decision_function(X[: max(1, rows // det.n_seeds)])  # warm-up of this chunk shape
        by_rows[rows] = timed(lambda: det.decision_function(X))
    default_rows = next(iter(by_rows))
    best_rows = min(by_rows, key=lambda r: by_rows[r][1])
    det._SEARCH_ROWS, det._CPU_CONV_SEARCH_ROWS = type(det)._SEARCH_ROWS, type(det)._CPU_CONV_SEARCH_ROWS
    batched, t_b = by_rows[default_rows]
    looped, t_l = timed(lambda: np.array([det.decision_function(X[i:i + 1])[0] for i in range(n_loop)]))
    Xt = torch.as_tensor(det._transform(X[:1]), device=det._to_device())
    with FlopCounterMode(display=False) as fc, torch.inference_mode(False):
        det._search(Xt)
    flops = int(fc.get_total_flops())
    n_mm = 1024 if args.toy else 8192
    peak32, peak16 = matmul_peak(torch.float32, n_mm), matmul_peak(torch.bfloat16, n_mm)
    ips = n_batched / t_b
    out = {
        "images_per_s": ips, "batched_images": n_batched, "batched_seconds": t_b,
        "loop_images_per_s": n_loop / t_l, "loop_images": n_loop, "loop_seconds": t_l,
        "speedup_over_per_image_loop": ips / (n_loop / t_l),
        "max_relative_score_difference_loop_vs_batched":
            float(np.max(np.abs(looped - batched[:n_loop]) / np.abs(batched[:n_loop]))),
        "search_flops_per_image": flops, "achieved_flop_per_s": ips * flops,
        "matmul_peak_fp32_flop_per_s": peak32, "matmul_peak_bf16_flop_per_s": peak16, "matmul_size": n_mm,
        "fraction_of_fp32_peak": ips * flops / peak32, "fraction_of_bf16_peak": ips * flops / peak16,
        "search_rows_per_chunk": default_rows,
        "images_per_s_by_search_rows": {str(r): n_batched / t for r, (_, t) in by_rows.items()},
        "best_search_rows": best_rows, "best_images_per_s": n_batched / by_rows[best_rows][1],
        "best_fraction_of_fp32_peak": n_batched / by_rows[best_rows][1] * flops / peak32,
        "generator_parameters": int(sum(p.numel() for p in det.generator_.parameters())),
    }
    for k, v in out.items():
        print(f"  {k:48s} {v:.6g}" if isinstance(v, float) else f"  {k:48s} {v}", flush=True)
    rec.add(dataset="mnist latent search", detector="ADGAN", seed=args.seed, **flatten_numbers(out))
    rec.extra["total_seconds"] = clock.elapsed()
    rec.write()
    return rec


# ----------------------------------------------------------------------------- main
def recorder(part: str, args, dev: dict, *, title: str, description: str, metrics=("roc_auc",)) -> Recorder:
    label = " [TOY SMOKE RUN: not a measurement of the method]" if args.toy else ""
    return Recorder("gan-gpu", Path(args.out) / f"gpu_{part}{'_toy' if args.toy else ''}.json", metrics=metrics,
                    title=title + label, description=description + label, machine_note=dev.get("gpu_name") or "no GPU",
                    settings={**{k: v for k, v in vars(args).items()}, "n_critic": 5, "lr": 1e-4, "batch_size": 64,
                              "base_channels": 64, "search_steps": 5, "pca_components": 32},
                    device_info=dev, toy=bool(args.toy))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", default="mnist", help="mnist, cifar10, speed, or a comma-separated list")
    ap.add_argument("--toy", action="store_true", help="2 classes, 100 train / 60 test images, 1 epoch, 4 seeds")
    ap.add_argument("--budget", type=float, default=330.0, help="seconds for this call, all parts together")
    ap.add_argument("--margin", type=float, default=15.0, help="seconds kept free before the budget ends")
    ap.add_argument("--out", default=os.environ.get("OUT"), help="results folder (default $OUT)")
    ap.add_argument("--classes", default="", help="normal classes (default 0-9; --toy: 0,1)")
    ap.add_argument("--class-seconds", type=float, default=0.0, help="seconds per class (default: even share)")
    ap.add_argument("--max-epochs", type=int, default=25)
    ap.add_argument("--n-seeds", type=int, default=0, help="search seeds (default 64; --toy: 4)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--search-rows", default="16384,65536",
                    help="speed part: search chunk sizes (images x seeds) timed besides the default")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not args.out:
        ap.error("give --out or set OUT")
    args.n_seeds = args.n_seeds or (4 if args.toy else 64)
    if args.toy:
        args.max_epochs = 1
    parts = [p.strip() for p in args.part.split(",") if p.strip()]
    bad = [p for p in parts if p not in ("mnist", "cifar10", "speed")]
    if bad:
        ap.error(f"unknown part(s) {bad}; choose from mnist, cifar10, speed")
    clock = Clock(args.budget, args.margin)
    dev = device_info()
    print(f"device {dev}; budget {args.budget:.0f}s; parts {parts}; data {os.environ.get('GENAD_DATA')}", flush=True)
    if not torch.cuda.is_available():
        torch.set_num_threads(min(2, os.cpu_count() or 1))
    Path(args.out).mkdir(parents=True, exist_ok=True)
    parts.sort(key=lambda p: p != "speed")  # the short speed part first; the image parts share the rest evenly
    for i, p in enumerate(parts):
        image_parts_left = sum(q != "speed" for q in parts[i:])
        share = Clock((clock.left() / image_parts_left if p != "speed" else clock.left()) + args.margin, args.margin)
        print(f"== part {p}: {share.left():.0f}s", flush=True)
        rec = run_speed(args, share, dev) if p == "speed" else run_images(p, args, share, dev)
        print(f"wrote {rec.path}", flush=True)
    print(f"done in {clock.elapsed():.0f}s of {args.budget:.0f}s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
