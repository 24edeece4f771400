"""Scoring latency of `genad serve` with and without a training job of the /train page running.

A real uvicorn server (`genad serve`, subprocess, loopback) serves the FF12 report's AutoEncoder
fitted on KDD99 FF12 training rows. Load comes from this (separate) process: closed-loop
single-row score requests with 1 and 16 concurrent clients. Each repetition measures both
conditions back to back (interleaved, so a change of machine load hits both alike):

- idle: no training job;
- training: a training job started through `POST /v1/train/jobs` (an AutoEncoder on 20,000
  KDD99 FF12 rows, as many epochs as the window allows; cancelled afterwards). Measurement starts
  once the job reports its first epoch, and the epochs it finished during the window are recorded.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/service/train_load.py

Recorded through :class:`genad.bench.Recorder` in results/train_load.json (genad-bench/2).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import Server, closed_loop, loadavg, sh  # noqa: E402  (the load test's helpers)

TRAIN_SPEC = {"data": {"name": "kdd99-ff12", "train_size": 20_000}, "detector": "AutoEncoder",
              "params": {"hidden": [15, 7], "latent_dim": 2, "epochs": 100_000, "patience": None,
                         "preprocessing": "minmax", "batch_size": 256}}


def _job(client, job_id):
    return client.get(f"/v1/train/jobs/{job_id}").json()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "train_load.json")
    ap.add_argument("--seconds", type=float, default=8.0, help="length of each measurement window")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 16])
    args = ap.parse_args()

    import httpx

    import genad
    from genad.bench import Recorder
    from genad.bench.protocols import FF12_EPOCHS, FF12_NETWORK
    from genad.datasets import load
    from genad.serve import new_key

    rec = Recorder("service-train", args.out, metrics=["p99_ms", "req_per_s"],
                   title="service: scoring latency with and without a training job",
                   command="PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/service/train_load.py "
                           + " ".join(sys.argv[1:]))
    uptime_start = sh(["uptime"])
    print(uptime_start, flush=True)
    ds = load("kdd99-ff12")
    X_test = np.asarray(ds.X_test, dtype=np.float64)
    work = Path(tempfile.mkdtemp(prefix="genad-train-load-"))
    models = work / "models"
    models.mkdir()
    det = genad.AutoEncoder(random_state=0, **FF12_NETWORK, epochs=FF12_EPOCHS["AutoEncoder"])
    det.fit(np.asarray(ds.X_train, dtype=np.float64))
    det.save(models / "autoencoder.genad")
    keys = work / "keys.json"
    key = new_key(keys, "bench", "admin")
    bodies = [json.dumps({"rows": [row]}).encode() for row in X_test[:2000].tolist()]
    server = Server(models, keys, "--rate-limit", "0", "--max-concurrent", "4096")
    runs = []
    try:
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60)
        for rep in range(args.reps):
            for clients in args.clients:
                for condition in ("idle", "training"):
                    job = None
                    if condition == "training":
                        job = api.post("/v1/train/jobs", json=TRAIN_SPEC).json()
                        end = time.monotonic() + 300
                        while not _job(api, job["id"])["epochs"]:
                            if time.monotonic() > end or _job(api, job["id"])["state"] in ("failed", "cancelled"):
                                raise RuntimeError(f"training job did not start: {_job(api, job['id'])}")
                            time.sleep(0.2)
                        epochs_before = _job(api, job["id"])["epochs"]
                    load_before = loadavg()
                    res = asyncio.run(closed_loop(server.url, key, "autoencoder", bodies, clients,
                                                  args.seconds, 100_000))
                    res.update(rep=rep, condition=condition, loadavg=load_before)
                    if job is not None:
                        res["training_epochs_in_window"] = _job(api, job["id"])["epochs"] - epochs_before
                        api.post(f"/v1/train/jobs/{job['id']}/cancel")
                        while _job(api, job["id"])["state"] not in ("cancelled", "done", "failed"):
                            time.sleep(0.1)
                    runs.append(res)
                    print(f"rep {rep} clients {clients:2d} {condition:8s} req/s {res['req_per_s']:7.1f} "
                          f"p50 {res['p50_ms']:7.1f} ms p99 {res['p99_ms']:7.1f} ms "
                          f"{res.get('training_epochs_in_window', '')} load {load_before}", flush=True)
    finally:
        server.stop()
    uptime_end = sh(["uptime"])
    print(uptime_end, flush=True)
    for clients in args.clients:
        for condition in ("idle", "training"):
            sel = [r for r in runs if r["clients"] == clients and r["condition"] == condition]
            rec.add(dataset="kdd99-ff12 single-row requests", detector="AutoEncoder",
                    variant=f"{clients} clients, {condition}", seed=None,
                    p50_ms=float(np.median([r["p50_ms"] for r in sel])),
                    p99_ms=float(np.median([r["p99_ms"] for r in sel])),
                    req_per_s=float(np.median([r["req_per_s"] for r in sel])),
                    requests=int(sum(r["requests"] for r in sel)),
                    reps=len(sel),
                    **({"training_epochs_in_window": float(np.median([r["training_epochs_in_window"] for r in sel]))}
                       if condition == "training" else {}))
    rec.extra.update(uptime_start=uptime_start, uptime_end=uptime_end, runs=runs, cpus=os.cpu_count(),
                     train_job=TRAIN_SPEC)
    path = rec.write()
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
