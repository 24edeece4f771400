"""The live comparison end to end on the FF12 KDD99 rows: fit Blip's six detectors through
``POST /v1/live/starter`` into an empty models folder, then replay the 10,000 FF12 test rows through
all six in one stream (``POST /v1/streams``) and print, per model, the metrics at its own threshold,
the mean scoring latency per row and the drift check.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/live/ff12_stream.py [--rate 1000]

The app runs under uvicorn on a loopback port in this process (as the browser tests start it).
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from genad.serve import create_app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=1000.0, help="replay rate, rows per second")
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(Path(tempfile.mkdtemp()) / "models", auth=False),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    try:
        t0 = time.perf_counter()
        api.post("/v1/live/starter", json={}).raise_for_status()
        while (st := api.get("/v1/live/starter").json())["state"] == "running":
            time.sleep(0.2)
        print(f"starter: {st['state']}, {len(st['fitted'])} models on {st['rows']} FF12 training rows "
              f"in {time.perf_counter() - t0:.1f} s; errors: {st['errors'] or 'none'}")
        names = [m["name"] for m in api.get("/v1/models").json()["models"]]
        sid = api.post("/v1/streams", json={"models": names, "rate": args.rate}).json()["id"]
        t0 = time.perf_counter()
        while not (s := api.get(f"/v1/streams/{sid}").json())["done"]:
            time.sleep(0.2)
        print(f"stream: {s['rows']} rows through {len(names)} models in {time.perf_counter() - t0:.1f} s "
              f"(rate {args.rate:g} rows/s)")
        print("| model | accuracy | precision | recall | F1 | ms/row | drift KS D | drift warning |")
        print("|---|---|---|---|---|---|---|---|")
        for name, m in s["models"].items():
            print(f"| {name} | {m['accuracy']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} "
                  f"| {m['latency_mean_ms']:.4f} | {m['drift']['statistic']:.3f} | {m['drift']['warning']} |")
    finally:
        server.should_exit = True
        thread.join(timeout=30)


if __name__ == "__main__":
    main()
