"""Load test of `genad serve`: a real uvicorn server on loopback, load from this (separate) process.

Models: IsolationForest (defaults) and the FF12 report's AutoEncoder (18-15-7-2-7-15-18, 14
epochs), fitted on the KDD99 FF12 training rows (`genad.datasets.load("kdd99-ff12")`), served
from a temporary models folder. Phases (each bounded in time and in request count):

1. batch: 10,000 test rows per request as JSON and as Parquet (JSON or Parquet answer), beside
   in-process `decision_function` on the same rows in this process, interleaved; rows/s.
2. single-row requests with 1, 16 and 64 concurrent clients (closed loop): req/s, p50, p99, and
   the CPU seconds per request of the server process and of this load generator.
3. overload: a server with the default limits, open-loop arrivals at twice the sustainable rate
   (the 16-client rate of phase 2): shares of 200/429/503/5xx/transport errors; then one client
   at a gentle pace must get only 200s again (recovery).
4. memory: a fresh server's resident set size after 1,000 and after 100,000 requests.

With ``--baseline REV`` (default: the commit before the single-row work) phases 1 and 2 also run
against a second server made from that commit's ``src/`` with uvicorn's pure-Python HTTP and
event loop (h11, asyncio: what that commit ran before uvloop and httptools joined the ``web``
extra), interleaved window by window with this checkout's server under the same load, and the
ratios are recorded.

Load: HTTP/1.1 keep-alive requests written on raw asyncio streams, one connection per client
(a few microseconds of CPU per request; an httpx client used about twice the CPU per request,
and it shared the two cores with the server). Batch requests use httpx.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/service/run.py

Recorded through :class:`genad.bench.Recorder` in results/results.json (genad-bench/2): one record
per measured configuration (:func:`records`: model x transport x server, model x clients x
server, model under overload, the memory run). The AutoEncoder is
:data:`genad.bench.protocols.FF12_NETWORK`.
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
NEW = "this commit"


def records(res: dict) -> list[dict]:
    """One record per measured configuration of a run's nested results ``res``."""
    def flat(d, prefix=""):
        out = {}
        for k, v in d.items():
            if isinstance(v, dict):
                out.update(flat(v, f"{prefix}{k}."))
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out[f"{prefix}{k}"] = v
        return out

    recs = []
    for model, modes in (res.get("batch") or {}).items():
        for mode, v in modes.items():
            if isinstance(v, dict) and "rows_per_s" in v:
                recs.append({"dataset": "batch of 10,000 rows", "detector": model, "variant": mode, "seed": None,
                             **flat(v)})
    for model, runs in (res.get("single_row") or {}).items():
        for v in runs:
            recs.append({"dataset": "single-row requests", "detector": model,
                         "variant": f"{v['clients']} clients, {v.get('server', NEW)}", "seed": None, **flat(v)})
    for model, v in (res.get("overload") or {}).items():
        recs.append({"dataset": "overload", "detector": model, "seed": None, "recovered": v.get("recovered"), **flat(v)})
    for v in res.get("load_generator") or []:
        recs.append({"dataset": "load generator", "detector": "autoencoder",
                     "variant": f"{v['load_generator']}, {v['clients']} clients", "seed": None, **flat(v)})
    if res.get("memory"):
        recs.append({"dataset": "memory", "detector": "service", "seed": None, **flat(res["memory"])})
    return recs


#: measurements of the run that are not settings
MEASURED = ("batch", "single_row", "overload", "memory", "load_generator")


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads) so far."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """``genad serve`` in a subprocess on a free loopback port.

    ``src``: the source tree to run (default this checkout's); ``pure_python_http``: run uvicorn
    with h11 and the asyncio loop instead of its defaults (httptools and uvloop when installed).
    """

    def __init__(self, models: Path, keys: Path, *flags: str, src: Path = ROOT / "src",
                 pure_python_http: bool = False, label: str = NEW):
        import httpx

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.flags, self.label = list(flags), label
        env = {**os.environ, "PYTHONPATH": str(src)}
        code = "from genad.cli import app; app()"
        if pure_python_http:
            code = ("import uvicorn; run = uvicorn.run; uvicorn.run = lambda *a, **k: run(*a, **{**k, "
                    "'loop': 'asyncio', 'http': 'h11'}); " + code)
        self.log = open(models.parent / f"server-{self.port}.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--port", str(self.port),
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

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def pct(values, q):
    return float(np.percentile(np.asarray(values) * 1000.0, q)) if values else float("nan")


# ------------------------------------------------------------------ a lean HTTP/1.1 client
def score_requests(port: int, key: str, name: str, bodies: list[bytes]) -> list[bytes]:
    """Complete HTTP/1.1 score requests (keep-alive), one per JSON body, written once up front."""
    head = (f"POST /v1/models/{name}/score HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n")
    return [f"{head}Content-Length: {len(b)}\r\n\r\n".encode() + b for b in bodies]


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams; one request at a time."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> "Connection":
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(self, raw: bytes) -> tuple[int, bool]:
        """Send one request, read the whole answer: (status, whether the server closes)."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            k = k.strip().lower()
            if k == b"content-length":
                length = int(v)
            elif k == b"transfer-encoding" and b"chunked" in v.lower():
                chunked = True
            elif k == b"connection" and v.strip().lower() == b"close":
                close = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await self.reader.readexactly(length)
        return status, close

    def close(self):
        self.writer.close()


_TRANSPORT_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


async def timed_clients(client, clients: int, lat: list, codes: dict) -> dict:
    """Run ``client(i)`` for ``clients`` clients at once; their latencies, statuses and CPU cost."""
    c0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"clients": clients, "requests": len(lat), "seconds": wall, "req_per_s": len(lat) / wall,
            "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "client_cpu_ms_per_req": 1000.0 * cpu / max(1, len(lat)),
            "status": {str(k): v for k, v in codes.items()}, "_lat": lat}


async def closed_loop(port, requests, clients, seconds, max_requests):
    """``clients`` connections, each sending its next request when the last one is answered."""
    lat, codes, state = [], {}, {"sent": 0}
    t_end = time.monotonic() + seconds

    async def client(i):
        conn, j = None, i
        try:
            while time.monotonic() < t_end and state["sent"] < max_requests:
                state["sent"] += 1
                if conn is None:
                    conn = await Connection.open(port)
                t0 = time.perf_counter()
                try:
                    code, close = await conn.request(requests[j % len(requests)])
                except _TRANSPORT_ERRORS as exc:
                    code, close = type(exc).__name__, True
                lat.append(time.perf_counter() - t0)
                codes[code] = codes.get(code, 0) + 1
                if close:
                    conn.close()
                    conn = None
                j += clients
        finally:
            if conn is not None:
                conn.close()

    return await timed_clients(client, clients, lat, codes)


async def open_loop(port, requests, rate, seconds, max_outstanding=2000):
    """Arrivals at ``rate`` per second regardless of answers (as independent clients would); each
    takes an idle keep-alive connection or opens one."""
    codes, lat, idle = {}, [], []
    state = {"outstanding": 0}

    async def one(j):
        t0 = time.perf_counter()
        conn = None
        try:
            conn = idle.pop() if idle else await Connection.open(port)
            code, close = await conn.request(requests[j % len(requests)])
            if close:
                conn.close()
            else:
                idle.append(conn)
        except _TRANSPORT_ERRORS as exc:
            code = type(exc).__name__
            if conn is not None:
                conn.close()
        finally:
            state["outstanding"] -= 1
        lat.append(time.perf_counter() - t0)
        codes[code] = codes.get(code, 0) + 1

    tasks, t0, j = [], time.perf_counter(), 0
    c0 = time.process_time()
    while (now := time.perf_counter() - t0) < seconds:
        due = int(now * rate)
        while j < due:
            if state["outstanding"] < max_outstanding:
                state["outstanding"] += 1
                tasks.append(asyncio.create_task(one(j)))
            else:
                codes["not_sent_client_saturated"] = codes.get("not_sent_client_saturated", 0) + 1
            j += 1
        await asyncio.sleep(0.002)
    await asyncio.gather(*tasks)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    for conn in idle:
        conn.close()
    n = sum(codes.values())
    five = sum(v for k, v in codes.items() if isinstance(k, int) and k >= 500 and k != 503)
    return {"target_rate": rate, "offered": j, "seconds": wall, "status": {str(k): v for k, v in codes.items()},
            "share_200": codes.get(200, 0) / n, "share_429_503": (codes.get(429, 0) + codes.get(503, 0)) / n,
            "share_5xx_other_than_503": five / n, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
            "client_cpu_ms_per_req": 1000.0 * cpu / max(1, len(lat))}


async def httpx_closed_loop(url, key, name, bodies, clients, seconds, max_requests):
    """The same closed loop with an ``httpx.AsyncClient`` (the earlier runs' load generator)."""
    import httpx

    lat, codes, state = [], {}, {"sent": 0}
    h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as c:
        await c.post(f"/v1/models/{name}/score", content=bodies[0], headers=h)
        t_end = time.monotonic() + seconds

        async def client(i):
            j = i
            while time.monotonic() < t_end and state["sent"] < max_requests:
                state["sent"] += 1
                t0 = time.perf_counter()
                try:
                    code = (await c.post(f"/v1/models/{name}/score", content=bodies[j % len(bodies)], headers=h)).status_code
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                lat.append(time.perf_counter() - t0)
                codes[code] = codes.get(code, 0) + 1
                j += clients

        return await timed_clients(client, clients, lat, codes)


def client_phase(srv: Server, key, name, bodies, clients, seconds, reps) -> list[dict]:
    """The lean generator and httpx against the same server, windows alternating."""
    got = {"raw asyncio streams": [], "httpx": []}
    for rep in range(reps):
        for kind in (list(got) if rep % 2 == 0 else list(got)[::-1]):
            c0 = srv.cpu()
            if kind == "httpx":
                r = asyncio.run(httpx_closed_loop(srv.url, key, name, bodies, clients, seconds, 100_000))
            else:
                r = asyncio.run(closed_loop(srv.port, score_requests(srv.port, key, name, bodies), clients,
                                            seconds, 100_000))
            r["server_cpu_ms_per_req"] = 1000.0 * (srv.cpu() - c0) / max(1, r["requests"])
            got[kind].append(r)
    return [{**pooled(v, NEW), "load_generator": kind} for kind, v in got.items()]


def window(srv: Server, requests, clients, seconds, max_requests) -> dict:
    """One closed-loop window against ``srv``, with the server's CPU seconds per request."""
    c0 = srv.cpu()
    r = asyncio.run(closed_loop(srv.port, requests, clients, seconds, max_requests))
    r["server_cpu_ms_per_req"] = 1000.0 * (srv.cpu() - c0) / max(1, r["requests"])
    return r


def pooled(windows: list[dict], server: str) -> dict:
    """The windows of one server and client count as one measurement (latencies pooled)."""
    lat = [v for w in windows for v in w["_lat"]]
    n, wall = sum(w["requests"] for w in windows), sum(w["seconds"] for w in windows)
    codes = {}
    for w in windows:
        for k, v in w["status"].items():
            codes[k] = codes.get(k, 0) + v
    server_cpu = sum(w["server_cpu_ms_per_req"] * w["requests"] for w in windows) / max(1, n)
    client_cpu = sum(w["client_cpu_ms_per_req"] * w["requests"] for w in windows) / max(1, n)
    return {"server": server, "clients": windows[0]["clients"], "windows": len(windows), "requests": n,
            "seconds": wall, "req_per_s": n / wall, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
            "server_cpu_ms_per_req": server_cpu, "client_cpu_ms_per_req": client_cpu,
            "req_per_s_windows": [round(w["req_per_s"], 1) for w in windows], "status": codes}


# ------------------------------------------------------------------ phases
async def batch_phase(servers, key, name, det, X, reps, max_seconds):
    """Whole-batch requests on one kept-alive connection per server (the lean client: the request
    written at once, the answer read in full), interleaved with in-process scoring. httpx, whose
    pure-Python HTTP/1.1 handling of megabyte bodies costs the client milliseconds, is used only for
    the parity check and is timed alongside for reference (``... httpx`` keys)."""
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

    def raw(srv, body, hd):
        lines = "".join(f"{k}: {v}\r\n" for k, v in hd.items())
        return (f"POST /v1/models/{name}/score HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n{lines}"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    keys = [(k, srv.label) for srv in servers for k in variants]
    times = {"in_process": [], **{f"{k}, {label}": [] for k, label in keys},
             **{f"{k}, {label}, httpx": [] for k, label in keys}}
    want = det.decision_function(X)
    clients = {srv.label: httpx.AsyncClient(base_url=srv.url, timeout=120) for srv in servers}
    conns = {srv.label: await Connection.open(srv.port) for srv in servers}
    requests = {(k, srv.label): raw(srv, *variants[k]) for srv in servers for k in variants}
    try:
        for srv in servers:
            for body, hd in variants.values():  # warm-up and parity check
                r = await clients[srv.label].post(f"/v1/models/{name}/score", content=body, headers=hd)
                r.raise_for_status()
                got = (pd.read_parquet(io.BytesIO(r.content))["score"].to_numpy()
                       if r.headers["content-type"] == PARQUET else np.asarray(r.json()["scores"]))
                assert np.allclose(got, want, rtol=1e-6, atol=1e-6), "HTTP scores differ from in-process scores"
        t_end = time.monotonic() + max_seconds
        for rep in range(reps):
            t0 = time.perf_counter()
            det.decision_function(X)
            times["in_process"].append(time.perf_counter() - t0)
            for k, label in (keys if rep % 2 == 0 else keys[::-1]):
                t0 = time.perf_counter()
                status, _ = await conns[label].request(requests[k, label])
                times[f"{k}, {label}"].append(time.perf_counter() - t0)
                assert status == 200, status
                body, hd = variants[k]
                t0 = time.perf_counter()
                r = await clients[label].post(f"/v1/models/{name}/score", content=body, headers=hd)
                r.raise_for_status()
                _ = r.content
                times[f"{k}, {label}, httpx"].append(time.perf_counter() - t0)
            if time.monotonic() > t_end:
                break
    finally:
        for c in clients.values():
            await c.aclose()
        for c in conns.values():
            c.close()
    n = len(X)
    out = {k: {"median_s": statistics.median(v), "rows_per_s": n / statistics.median(v), "reps": len(v)}
           for k, v in times.items()}
    base = out["in_process"]["rows_per_s"]
    for k in out:
        if k != "in_process":
            out[k]["share_of_in_process"] = out[k]["rows_per_s"] / base
    out["body_bytes"] = {"json": len(json_body), "parquet": len(pq_body)}
    return out


def single_row_phase(servers, key, name, bodies, clients_list, seconds, reps, max_requests):
    """Closed-loop windows, interleaved across ``servers`` (the order alternating per repetition)."""
    out = []
    for clients in clients_list:
        got = {srv.label: [] for srv in servers}
        for rep in range(reps):
            for srv in (servers if rep % 2 == 0 else servers[::-1]):
                reqs = score_requests(srv.port, key, name, bodies)
                got[srv.label].append(window(srv, reqs, clients, seconds, max_requests))
        rows = [pooled(got[srv.label], srv.label) for srv in servers]
        new = rows[-1]
        for row in rows[:-1]:
            new[f"vs {row['server']}"] = {
                "req_per_s_ratio": new["req_per_s"] / row["req_per_s"],
                "p50_ratio": new["p50_ms"] / row["p50_ms"], "p99_ratio": new["p99_ms"] / row["p99_ms"],
                "server_cpu_ratio": new["server_cpu_ms_per_req"] / row["server_cpu_ms_per_req"]}
        out.extend(rows)
        for row in rows:
            print(name, "single", json.dumps(row), flush=True)
    return out


def baseline_src(rev: str, work: Path) -> Path:
    """``src/`` of commit ``rev``, extracted under ``work``."""
    dest = work / f"src-{rev}"
    dest.mkdir()
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "results.json")
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each single-row window")
    ap.add_argument("--reps", type=int, default=2, help="single-row windows per server and client count")
    ap.add_argument("--batch-reps", type=int, default=7)
    ap.add_argument("--overload-seconds", type=float, default=10.0)
    ap.add_argument("--mem-requests", type=int, default=100_000)
    ap.add_argument("--mem-max-seconds", type=float, default=900.0)
    ap.add_argument("--baseline", default="8be57c1", help="commit to compare with ('' for none)")
    ap.add_argument("--phases", default="batch,single,overload,memory",
                    help="comma-separated; 'client' compares the load generator with an httpx one")
    args = ap.parse_args()
    phases = set(args.phases.split(","))

    import genad
    from genad.bench import Recorder
    from genad.bench.protocols import FF12_EPOCHS, FF12_NETWORK
    from genad.datasets import load
    from genad.serve import new_key

    rec = Recorder("service", args.out, metrics=["rows_per_s", "req_per_s", "p99_ms", "server_cpu_ms_per_req"],
                   title="service: genad serve under load",
                   command="PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/service/run.py "
                           + " ".join(sys.argv[1:]))
    res = {"cpus": os.cpu_count(), "loadavg_start": loadavg(), "uptime_start": sh(["uptime"]),
           "python": sys.version.split()[0], "baseline": args.baseline or None}
    print(res["uptime_start"], flush=True)
    ds = load("kdd99-ff12")
    X_train = np.asarray(ds.X_train, dtype=np.float64)
    X_test = np.asarray(ds.X_test, dtype=np.float64)[:10_000]
    work = Path(tempfile.mkdtemp(prefix="genad-service-bench-"))
    models = work / "models"
    models.mkdir()
    dets = {}
    for name, det in (("iforest", genad.IsolationForest(random_state=0)),
                      ("autoencoder", genad.AutoEncoder(random_state=0, **FF12_NETWORK,
                                                      epochs=FF12_EPOCHS["AutoEncoder"]))):
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
    res["throughput_server_flags"] = open_flags
    servers = []
    try:
        if args.baseline and phases & {"batch", "single"}:
            servers.append(Server(models, keys, *open_flags, src=baseline_src(args.baseline, work),
                                  pure_python_http=True, label=f"{args.baseline} (h11, asyncio)"))
        if phases & {"batch", "single"}:
            servers.append(Server(models, keys, *open_flags))
        for name, det in dets.items():
            if "batch" in phases:
                res.setdefault("batch", {})[name] = asyncio.run(
                    batch_phase(servers, key, name, det, X_test, args.batch_reps, 180))
                print(name, "batch", json.dumps(res["batch"][name]), flush=True)
            if "single" in phases:
                res.setdefault("single_row", {})[name] = single_row_phase(
                    servers, key, name, singles, (1, 16, 64), args.seconds, args.reps, 100_000)
    finally:
        for srv in servers:
            srv.stop()
    res["loadavg_after_throughput"] = loadavg()

    # 3: overload against the default limits
    if "overload" in phases:
        srv = Server(models, keys)
        res["overload_server_flags"] = "defaults (--rate-limit 200 --burst 400 --max-concurrent 32)"
        try:
            res["overload"] = {}
            for name in dets:
                runs = (res.get("single_row") or {}).get(name) or []
                sustainable = next((r["req_per_s"] for r in runs if r["clients"] == 16 and r["server"] == NEW), None)
                if sustainable is None:
                    sustainable = window(srv, score_requests(srv.port, key, name, singles), 16, 5.0, 50_000)["req_per_s"]
                reqs = score_requests(srv.port, key, name, singles)
                o = asyncio.run(open_loop(srv.port, reqs, 2 * sustainable, args.overload_seconds))
                time.sleep(2)
                again = asyncio.run(closed_loop(srv.port, reqs, 1, 3.0, 300))
                again.pop("_lat")
                o["recovery"] = again
                o["recovered"] = set(again["status"]) == {"200"}
                res["overload"][name] = o
                print(name, "overload", json.dumps(o), flush=True)
        finally:
            srv.stop()

    # 4: memory growth on a fresh server
    if "memory" in phases:
        srv = Server(models, keys, *open_flags)
        try:
            names = list(dets)
            reqs = {n: score_requests(srv.port, key, n, singles) for n in names}
            first = asyncio.run(closed_loop(srv.port, reqs[names[0]], 16, 600, 1_000))
            rss_1k = rss_mib(srv.proc.pid)
            done, t0 = first["requests"], time.monotonic()
            while done < args.mem_requests and time.monotonic() - t0 < args.mem_max_seconds:
                step = min(10_000, args.mem_requests - done)
                r = asyncio.run(closed_loop(srv.port, reqs[names[(done // 10_000) % 2]], 16, 600, step))
                done += r["requests"]
                print(f"memory phase: {done} requests, RSS {rss_mib(srv.proc.pid):.1f} MiB", flush=True)
            rss_end = rss_mib(srv.proc.pid)
            res["memory"] = {"requests_first": first["requests"], "rss_mib_first": rss_1k,
                             "requests_total": done, "rss_mib_total": rss_end, "growth": rss_end / rss_1k - 1,
                             "seconds": time.monotonic() - t0}
        finally:
            srv.stop()
    # the load generator's own cost: both generators against one server (not in the default phases)
    if "client" in phases:
        srv = Server(models, keys, *open_flags)
        try:
            res["load_generator"] = client_phase(srv, key, "autoencoder", singles, 16, args.seconds, args.reps)
            for r in res["load_generator"]:
                print("load generator", json.dumps(r), flush=True)
        finally:
            srv.stop()
    res["loadavg_end"] = loadavg()
    res["uptime_end"] = sh(["uptime"])
    for runs in [*(res.get("single_row") or {}).values(), res.get("load_generator") or []]:
        for r in runs:
            r.pop("_lat", None)
    for r in records(res):
        rec.add(**r)
    rec.extra["settings"] = {k: v for k, v in res.items() if k not in MEASURED}
    rec.write()
    shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
