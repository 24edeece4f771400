"""Load test of `genad serve`: a real uvicorn server on loopback, load from this (separate) process.

Models: IsolationForest (defaults) and the FF12 report's AutoEncoder (18-15-7-2-7-15-18, 14
epochs), fitted on the KDD99 FF12 training rows (`genad.datasets.load("kdd99-ff12")`), served
from a temporary models folder. Phases (each bounded in time and in request count):

1. batch: 10,000 test rows per request as JSON and as Parquet (JSON or Parquet answer), beside
   in-process `decision_function` on the same rows in this process, interleaved; rows/s.
2. single-row requests with 1, 16 and 64 concurrent clients (closed loop): req/s, p50, p99.
3. overload: a server with the default limits, open-loop arrivals at twice the sustainable rate
   (the 16-client rate of phase 2): shares of 200/429/503/5xx/transport errors; then one client
   at a gentle pace must get only 200s again (recovery).
4. memory: a fresh server's resident set size after 1,000 and after 100,000 requests.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/service/run.py
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PARQUET = "application/vnd.apache.parquet"
NET = dict(hidden=[15, 7], latent_dim=2, batch_size=128, lr=0.01, preprocessing="minmax",
           validation_fraction=0.0, patience=None, epochs=14)


def sh(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=10).stdout.strip()
    except Exception:
        return ""


def loadavg() -> str:
    return open("/proc/loadavg").read().split(" ")[:3].__str__()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


class Server:
    def __init__(self, models: Path, keys: Path, *flags: str):
        import httpx

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.flags = list(flags)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        self.log = open(models.parent / f"server-{self.port}.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from genad.cli import app; app()", "serve", "--port", str(self.port),
             "--models", str(models), "--api-keys", str(keys), *flags],
            env=env, stdout=self.log, stderr=self.log)
        end = time.monotonic() + 180
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: see {self.log.name}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.3)
        raise RuntimeError("server did not start")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def pct(values, q):
    return float(np.percentile(np.asarray(values) * 1000.0, q)) if values else float("nan")


# ------------------------------------------------------------------ phases
async def batch_phase(url, key, name, det, X, reps, max_seconds):
    import httpx

    json_body = json.dumps({"rows": X.tolist()}).encode()
    buf = io.BytesIO()
    pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])]).to_parquet(buf)
    # the model was fitted on an array: columns are taken by position, as in Python
    pq_body = buf.getvalue()
    h = {"Authorization": f"Bearer {key}"}
    variants = {
        "json": (json_body, {**h, "Content-Type": "application/json"}),
        "parquet_in_json_out": (pq_body, {**h, "Content-Type": PARQUET}),
        "parquet": (pq_body, {**h, "Content-Type": PARQUET, "Accept": PARQUET}),
    }
    times = {k: [] for k in ["in_process", *variants]}
    want = det.decision_function(X)
    async with httpx.AsyncClient(base_url=url, timeout=120) as c:
        for body, hd in variants.values():  # warm-up and parity check
            r = await c.post(f"/v1/models/{name}/score", content=body, headers=hd)
            r.raise_for_status()
            got = (pd.read_parquet(io.BytesIO(r.content))["score"].to_numpy() if r.headers["content-type"] == PARQUET
                   else np.asarray(r.json()["scores"]))
            assert np.allclose(got, want, rtol=1e-6, atol=1e-6), "HTTP scores differ from in-process scores"
        t_end = time.monotonic() + max_seconds
        for _ in range(reps):
            t0 = time.perf_counter()
            det.decision_function(X)
            times["in_process"].append(time.perf_counter() - t0)
            for k, (body, hd) in variants.items():
                t0 = time.perf_counter()
                r = await c.post(f"/v1/models/{name}/score", content=body, headers=hd)
                r.raise_for_status()
                _ = r.content
                times[k].append(time.perf_counter() - t0)
            if time.monotonic() > t_end:
                break
    n = len(X)
    out = {k: {"median_s": statistics.median(v), "rows_per_s": n / statistics.median(v), "reps": len(v)}
           for k, v in times.items()}
    base = out["in_process"]["rows_per_s"]
    for k in variants:
        out[k]["share_of_in_process"] = out[k]["rows_per_s"] / base
    out["body_bytes"] = {"json": len(json_body), "parquet": len(pq_body)}
    return out


async def timed_post(c, name, body, headers):
    """One score request: (status code or transport error name, seconds)."""
    import httpx

    t0 = time.perf_counter()
    try:
        r = await c.post(f"/v1/models/{name}/score", content=body, headers=headers)
        code = r.status_code
    except httpx.HTTPError as exc:
        code = type(exc).__name__
    return code, time.perf_counter() - t0


async def closed_loop(url, key, name, bodies, clients, seconds, max_requests):
    import httpx

    lat, codes = [], {}
    h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    count = 0
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as c:
        await c.post(f"/v1/models/{name}/score", content=bodies[0], headers=h)
        t_end = time.monotonic() + seconds

        async def worker(i):
            nonlocal count
            j = i
            while time.monotonic() < t_end and count < max_requests:
                count += 1
                code, secs = await timed_post(c, name, bodies[j % len(bodies)], h)
                lat.append(secs)
                codes[code] = codes.get(code, 0) + 1
                j += clients

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(clients)))
        wall = time.perf_counter() - t0
    return {"clients": clients, "requests": len(lat), "seconds": wall, "req_per_s": len(lat) / wall,
            "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "status": {str(k): v for k, v in codes.items()}}


async def open_loop(url, key, name, bodies, rate, seconds, max_outstanding=2000):
    """Arrivals at ``rate`` per second regardless of answers (as independent clients would)."""
    import httpx

    h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=max_outstanding, max_keepalive_connections=256)
    codes, lat = {}, []
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as c:
        async def one(j):
            code, secs = await timed_post(c, name, bodies[j % len(bodies)], h)
            lat.append(secs)
            codes[code] = codes.get(code, 0) + 1

        tasks, t0, j = [], time.perf_counter(), 0
        while (now := time.perf_counter() - t0) < seconds:
            due = int(now * rate)
            while j < due:
                if sum(1 for t in tasks if not t.done()) < max_outstanding:
                    tasks.append(asyncio.create_task(one(j)))
                else:
                    codes["not_sent_client_saturated"] = codes.get("not_sent_client_saturated", 0) + 1
                j += 1
            await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0
    n = sum(codes.values())
    five = sum(v for k, v in codes.items() if isinstance(k, int) and k >= 500 and k != 503)
    return {"target_rate": rate, "offered": j, "seconds": wall, "status": {str(k): v for k, v in codes.items()},
            "share_200": codes.get(200, 0) / n, "share_429_503": (codes.get(429, 0) + codes.get(503, 0)) / n,
            "share_5xx_other_than_503": five / n, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99)}


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "results.json")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each single-row run")
    ap.add_argument("--batch-reps", type=int, default=7)
    ap.add_argument("--overload-seconds", type=float, default=10.0)
    ap.add_argument("--mem-requests", type=int, default=100_000)
    ap.add_argument("--mem-max-seconds", type=float, default=900.0)
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()

    import genad
    from genad.datasets import load
    from genad.serve import new_key

    res = {"command": "PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/service/run.py "
                      + " ".join(sys.argv[1:]),
           "commit": sh(["git", "rev-parse", "--short", "HEAD"]), "dirty": bool(sh(["git", "status", "--porcelain"])),
           "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpus": os.cpu_count(),
           "loadavg_start": loadavg(), "uptime_start": sh(["uptime"]), "python": sys.version.split()[0]}
    print(res["uptime_start"], flush=True)
    ds = load("kdd99-ff12")
    X_train = np.asarray(ds.X_train, dtype=np.float64)
    X_test = np.asarray(ds.X_test, dtype=np.float64)[:10_000]
    work = Path(tempfile.mkdtemp(prefix="genad-service-bench-"))
    models = work / "models"
    models.mkdir()
    dets = {}
    for name, det in (("iforest", genad.IsolationForest(random_state=0)),
                      ("autoencoder", genad.AutoEncoder(random_state=0, **NET))):
        t0 = time.perf_counter()
        det.fit(X_train)
        det.save(models / f"{name}.genad")
        dets[name] = det
        print(f"fitted {name} in {time.perf_counter() - t0:.1f} s", flush=True)
    keys = work / "keys.json"
    key = new_key(keys, "bench", "admin")
    singles = [json.dumps({"rows": [row]}).encode() for row in X_test[:2000].tolist()]
    res["rows"] = {"train": X_train.shape, "batch": X_test.shape}

    # 1 + 2: limits out of the way (rate limit off, a high concurrency cap)
    open_flags = ["--rate-limit", "0", "--max-concurrent", "4096"]
    srv = Server(models, keys, *open_flags)
    res["throughput_server_flags"] = open_flags
    try:
        res["batch"], res["single_row"] = {}, {}
        for name, det in dets.items():
            res["batch"][name] = asyncio.run(batch_phase(srv.url, key, name, det, X_test, args.batch_reps, 120))
            print(name, "batch", json.dumps(res["batch"][name]), flush=True)
            res["single_row"][name] = []
            for clients in (1, 16, 64):
                r = asyncio.run(closed_loop(srv.url, key, name, singles, clients, args.seconds, 50_000))
                res["single_row"][name].append(r)
                print(name, "single", json.dumps(r), flush=True)
    finally:
        srv.stop()
    res["loadavg_after_throughput"] = loadavg()

    # 3: overload against the default limits
    srv = Server(models, keys)
    res["overload_server_flags"] = "defaults (--rate-limit 200 --burst 400 --max-concurrent 32)"
    try:
        res["overload"] = {}
        for name in dets:
            sustainable = next(r["req_per_s"] for r in res["single_row"][name] if r["clients"] == 16)
            o = asyncio.run(open_loop(srv.url, key, name, singles, 2 * sustainable, args.overload_seconds))
            time.sleep(2)
            rec = asyncio.run(closed_loop(srv.url, key, name, singles, 1, 3.0, 300))
            o["recovery"] = rec
            o["recovered"] = set(rec["status"]) == {"200"}
            res["overload"][name] = o
            print(name, "overload", json.dumps(o), flush=True)
    finally:
        srv.stop()

    # 4: memory growth on a fresh server
    if not args.skip_memory:
        srv = Server(models, keys, *open_flags)
        try:
            names = list(dets)
            first = asyncio.run(closed_loop(srv.url, key, names[0], singles, 16, 600, 1_000))
            rss_1k = rss_mib(srv.proc.pid)
            done, t0 = first["requests"], time.monotonic()
            while done < args.mem_requests and time.monotonic() - t0 < args.mem_max_seconds:
                step = min(10_000, args.mem_requests - done)
                r = asyncio.run(closed_loop(srv.url, key, names[(done // 10_000) % 2], singles, 16, 600, step))
                done += r["requests"]
                print(f"memory phase: {done} requests, RSS {rss_mib(srv.proc.pid):.1f} MiB", flush=True)
            rss_end = rss_mib(srv.proc.pid)
            res["memory"] = {"requests_first": first["requests"], "rss_mib_first": rss_1k,
                             "requests_total": done, "rss_mib_total": rss_end, "growth": rss_end / rss_1k - 1}
        finally:
            srv.stop()
    res["loadavg_end"] = loadavg()
    res["uptime_end"] = sh(["uptime"])
    res["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, default=str))
    shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
