"""Decompression bombs against genad.load: wall time and peak memory of refusing them.

Builds two bomb files from a valid model (a fitted PCA, saved with genad's own ``save``):

* ``bomb``: the ``weights.safetensors`` entry is the real weights followed by 1.6 GB of zeros,
  deflated (about 1.6 MB on disk); the zip headers declare the true 1.6 GB;
* ``bomb-lying``: the same bytes, but the zip headers (local and central) declare only the real
  weights' size and CRC, so a reader that trusts them stops after the real weights and loads the
  model; a reader that decompresses whole entries at once still inflates everything first.

Then, for each file and each source tree given with ``--src`` (this checkout's ``src`` by
default; another checkout's ``src`` gives the "before" figures), runs ``genad.load`` in a fresh
subprocess and records the outcome (refused with which message, or loaded), the wall time of the
call and the peak resident memory during the call (sampled from /proc every millisecond, minus
the resident memory just before it; ``ru_maxrss`` of the whole process beside it).

    PYTHONPATH=src python benchmarks/loader/bomb.py --src src --src /path/to/other/src \
        --out benchmarks/loader/results/bomb.json
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

ZEROS = 1_600_000_000
CHUNK = 1 << 24


def make_bombs(folder: Path) -> dict[str, Path]:
    import numpy as np

    import genad

    X = np.random.default_rng(0).normal(size=(300, 5))
    model = folder / "model.genad"
    genad.PCA().fit(X).save(model)
    with zipfile.ZipFile(model) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    bomb = folder / "bomb.genad"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in parts.items():
            if name != "weights.safetensors":
                zf.writestr(name, data)
                continue
            with zf.open("weights.safetensors", "w", force_zip64=False) as f:
                f.write(data)
                zeros = bytes(CHUNK)
                left = ZEROS
                while left:
                    f.write(zeros[: min(left, CHUNK)])
                    left -= min(left, CHUNK)
    lying = folder / "bomb-lying.genad"
    lying.write_bytes(_declare(bomb.read_bytes(), "weights.safetensors", len(parts["weights.safetensors"]),
                               zlib.crc32(parts["weights.safetensors"])))
    return {"model": model, "bomb": bomb, "bomb-lying": lying}


def _declare(data: bytes, name: str, size: int, crc: int) -> bytes:
    """Rewrite the uncompressed size and CRC of entry ``name`` in its local and central headers."""
    out = bytearray(data)
    key = name.encode()
    for sig, crc_at, size_at, name_len_at, head in ((b"PK\x03\x04", 14, 22, 26, 30), (b"PK\x01\x02", 16, 24, 28, 46)):
        pos = out.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", out, pos + name_len_at)[0]
            if bytes(out[pos + head : pos + head + n]) == key:
                struct.pack_into("<I", out, pos + crc_at, crc)
                struct.pack_into("<I", out, pos + size_at, size)
            pos = out.find(sig, pos + 4)
    return bytes(out)


_CHILD = r"""
import json, os, resource, sys, threading, time
sys.path.insert(0, sys.argv[1])
import genad, numpy, torch, safetensors.torch, skops.io  # imports before the baseline

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

peak, stop = [0], threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.001)

base, maxrss_before = rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = threading.Thread(target=sample, daemon=True)
t.start()
t0 = time.perf_counter()
try:
    det = genad.load(sys.argv[2])
    outcome = f"loaded {type(det).__name__}"
except ValueError as exc:
    outcome = f"ValueError: {exc}"
wall = time.perf_counter() - t0
stop.set(); t.join()
print(json.dumps({"outcome": outcome[:300], "wall_s": round(wall, 3),
                  "peak_rss_rise_mb": round((max(peak[0], rss()) - base) / 1e6, 1),
                  "rss_before_mb": round(base / 1e6, 1),
                  "maxrss_before_mb": round(maxrss_before / 1e6, 1),
                  "maxrss_after_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6, 1)}))
"""


def measure(src: str, path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", _CHILD, src, str(path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": src})
    if proc.returncode:
        return {"error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", action="append", help="source tree to load with (repeatable); default: src")
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    args = ap.parse_args()
    srcs = [str(Path(s).resolve()) for s in (args.src or ["src"])]
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        files = make_bombs(Path(d))
        print(f"built bombs in {time.perf_counter() - t0:.1f} s: "
              + ", ".join(f"{k} {v.stat().st_size:,} B" for k, v in files.items()), flush=True)
        rows = []
        for name in ("bomb", "bomb-lying"):
            for src in srcs:
                r = {"file": name, "file_bytes": files[name].stat().st_size, "src": src, **measure(src, files[name])}
                print(json.dumps(r), flush=True)
                rows.append(r)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    result = {"command": "PYTHONPATH=src python " + " ".join(sys.argv), "commit": commit,
              "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
              "inflated_zeros_bytes": ZEROS, "rows": rows}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
