"""Scale benchmark: rows/s and peak resident memory of three ways to score a Parquet data set.

(a) ``read-all``: the former ``genad score`` (pandas reads every file, one decision_function,
    one output file); (b) ``stream``: :func:`genad.batch.score_dataset` (bounded-memory batches,
    partitioned output); (c) ``dask-2``: :func:`genad.distributed.score_parquet` on a local Dask
    cluster of 2 single-threaded worker processes (started before the clock, with their imports;
    that start-up time is recorded apart). Imports are outside every clock. Every measurement runs in a fresh process; peak memory is that process's
    ``ru_maxrss`` (for Dask: the client's plus each worker's, the largest worker and the sum).

    PYTHONPATH=src python benchmarks/scale/make_data.py --rows 1000000 --out /tmp/genad-scale/1M
    PYTHONPATH=src python benchmarks/scale/make_data.py --rows 10000000 --out /tmp/genad-scale/10M
    PYTHONPATH=src python benchmarks/scale/run.py --data /tmp/genad-scale

Results: ``benchmarks/scale/results/scale.json`` (one record per data size x model x path).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KEEP = ["id", "timestamp"]
MODELS = {
    "IsolationForest": ("IsolationForest", {"random_state": 0}),
    "AutoEncoder": ("AutoEncoder", {"epochs": 20, "random_state": 0}),
}
FIT_ROWS = 20_000


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fit_models(data: Path, folder: Path) -> dict[str, Path]:
    import pandas as pd
    import pyarrow.parquet as pq

    import genad

    folder.mkdir(parents=True, exist_ok=True)
    first = sorted((data / "1M").glob("*.parquet"))[0]
    X = pq.ParquetFile(first).read_row_group(0).to_pandas().drop(columns=KEEP).iloc[:FIT_ROWS]
    paths = {}
    for name, (cls, params) in MODELS.items():
        path = folder / f"{name}.genad"
        if not path.exists():
            getattr(genad, cls)(**params).fit(pd.DataFrame(X)).save(path)
        paths[name] = path
    return paths


def _warm_worker(model: str) -> None:
    import genad.distributed

    genad.load(model)


def one(mode: str, model: Path, source: Path, out: Path) -> dict:
    """One measurement, in this (fresh) process."""
    import genad

    shutil.rmtree(out, ignore_errors=True)
    genad.load(model)  # imports (torch, scikit-learn) outside the clock and the baseline memory
    base = _peak_mb()
    res: dict = {}
    if mode == "read-all":
        import numpy as np
        import pandas as pd

        from genad.thresholds import conformal_p_values

        t0 = time.perf_counter()
        det = genad.load(model)
        df = pd.read_parquet(source)
        X = df.drop(columns=KEEP)
        s = det.decision_function(X)
        out.mkdir(parents=True)
        df[KEEP].assign(score=s, p_value=conformal_p_values(det.calibration_scores_, s),
                        label=(s > det.threshold_).astype(np.int64)).to_parquet(out / "scored.parquet", index=False)
        res.update(rows=len(df), seconds=time.perf_counter() - t0)
    elif mode == "stream":
        from genad.batch import score_dataset

        t0 = time.perf_counter()
        r = score_dataset(model, source, out, keep=KEEP, progress=False)
        res.update(rows=r.rows, seconds=time.perf_counter() - t0)
    elif mode.startswith("dask-"):
        from distributed import Client

        from genad.distributed import local_cluster, score_parquet

        n = int(mode.split("-")[1])
        t0 = time.perf_counter()
        with local_cluster(n, memory_limit="4GiB") as cluster, Client(cluster) as client:
            client.run(_warm_worker, str(model))  # the workers' imports, as for the other paths
            res["startup_seconds"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            r = score_parquet(model, source, out, client=client, keep=KEEP)
            res.update(rows=r.rows, seconds=time.perf_counter() - t0)
            workers = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            res.update(worker_peak_mb=max(workers.values()), workers_peak_sum_mb=sum(workers.values()))
    else:
        raise ValueError(mode)
    res.update(peak_rss_mb=_peak_mb(), import_rss_mb=base, rows_per_s=res["rows"] / res["seconds"])
    shutil.rmtree(out, ignore_errors=True)
    return res


def estimate(records: list[dict], target_bytes: float = 100e9, hours: float = 1.0) -> list[dict]:
    """From the largest measured data set: single-process streaming rows/s (one core) and the
    Parquet bytes per row; the Dask efficiency on 2 workers at the largest size measured both ways; the core-hours to score ``target_bytes``
    and the workers to do it in ``hours`` (the 2-worker efficiency assumed to hold)."""
    out = []
    for det in sorted({r["detector"] for r in records}):
        ok = [r for r in records if r["detector"] == det and r.get("status") == "ok"]
        size = max((r["rows"] for r in ok), default=0)
        by = {r["variant"]: r for r in ok if r["rows"] == size}
        if "stream" not in by:
            continue
        per_core = by["stream"]["rows_per_s"]
        # Dask's efficiency at the largest size measured both ways (1.0 if never measured)
        pairs = {r["rows"]: r for r in ok if r["variant"] == "dask-2"}
        both = [n for n in pairs if any(r["rows"] == n and r["variant"] == "stream" for r in ok)]
        eff_rows = max(both, default=None)
        eff = (pairs[eff_rows]["rows_per_s"] / (2 * next(r["rows_per_s"] for r in ok if r["rows"] == eff_rows
                                                         and r["variant"] == "stream"))) if both else 1.0
        rows = target_bytes / by["stream"]["bytes_per_row"]
        core_hours = rows / per_core / 3600
        out.append({"detector": det, "from_rows": size, "rows_per_s_per_core": per_core, "dask_2_efficiency": eff, "efficiency_from_rows": eff_rows,
                    "target_rows": rows, "core_hours": core_hours,
                    "workers_for_target_hours": math.ceil(core_hours / (hours * min(eff, 1.0))),
                    "target_hours": hours, "target_bytes": target_bytes})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/tmp/genad-scale"))
    ap.add_argument("--sizes", nargs="+", default=["1M", "10M"])
    ap.add_argument("--modes", nargs="+", default=["stream", "dask-2", "read-all"])
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--out", type=Path, default=HERE / "results" / "scale.json")
    ap.add_argument("--one", nargs=4, metavar=("MODE", "MODEL", "SOURCE", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--resume", action="store_true", help="keep the records already in --out and add to them")
    ap.add_argument("--estimate-only", action="store_true", help="add the 100 GB estimate to --out from its records")
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one[0], Path(a.one[1]), Path(a.one[2]), Path(a.one[3]))))
        return
    sys.path.insert(0, str(ROOT / "src"))
    from genad.bench import Recorder

    rec = Recorder("scale", a.out, metrics=["rows_per_s", "peak_rss_mb"],
                   title="scale: streaming and Dask scoring of Parquet data sets",
                   description="rows/s and peak resident memory: read-everything vs streaming vs Dask (2 workers)",
                   command="PYTHONPATH=src python benchmarks/scale/run.py " + " ".join(sys.argv[1:]),
                   machine_note="2 CPU cores shared with other work; load average recorded per record")
    if a.estimate_only:
        from genad.bench.results import expand_records, load_result_json

        doc = load_result_json(a.out)
        rec.records = [r for r in expand_records(doc) if r.get("variant") != "estimate-100GB"]
        rec.command, rec.commit = doc["command"], doc["commit"]
        _add_estimates(rec)
        return
    if a.resume:
        rec.resume()
    models = fit_models(a.data, a.data / "models")
    for size in a.sizes:
        source = a.data / size
        files = sorted(source.glob("*.parquet"))
        disk = sum(f.stat().st_size for f in files)
        for mode in a.modes:
            for name in a.models:
                load = os.getloadavg()[0]
                out = subprocess.run([sys.executable, __file__, "--one", mode, str(models[name]), str(source),
                                      str(a.data / "out")], capture_output=True, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
                if out.returncode != 0:
                    rec.add(dataset=f"kdd-like-{size}", detector=name, seed=None, status="error", variant=mode,
                            error=out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
                else:
                    r = json.loads(out.stdout.strip().splitlines()[-1])
                    rec.add(dataset=f"kdd-like-{size}", detector=name, seed=None, variant=mode, **r,
                            input_bytes=disk, bytes_per_row=disk / r["rows"], load_before=load,
                            load_after=os.getloadavg()[0])
                print(json.dumps(rec.records[-1]), flush=True)
                rec.write()
    _add_estimates(rec)


def _add_estimates(rec) -> None:
    cmd = "PYTHONPATH=src python benchmarks/scale/run.py --estimate-only"
    for e in estimate([r for r in rec.records if r.get("variant") != "estimate-100GB"]):
        rec.add(dataset="kdd-like-100GB", seed=None, variant="estimate-100GB", command=cmd, **e)
        print(json.dumps(rec.records[-1]), flush=True)
    rec.write()


if __name__ == "__main__":
    main()
