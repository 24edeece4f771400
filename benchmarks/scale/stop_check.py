"""What the stop check of a Dask scoring job costs, and how fast a failed job stops.

A scoring task asks the scheduler whether its job was stopped (another task failed) at its start
and then at most every ``genad.distributed.STOP_POLL`` seconds, between batches. This measures,
side by side in one cluster (2 single-threaded worker processes), rounds alternating:

- **throughput**: rows/s of ``genad.distributed.score_parquet`` with the default poll interval,
  with a check after every batch (``STOP_POLL = 0``), and with no check at all (an interval
  longer than the job);
- **stop**: seconds from the call to the error when one small part fails at once while the other
  worker scores a long one (the call returns only once that task has stopped).

Data: ``make_data.py``'s KDD-like rows (never committed). Models: PCA (the fastest to score, so
the check's share is largest) and IsolationForest, fitted on the first 20,000 rows.

    PYTHONPATH=src python benchmarks/scale/make_data.py --rows 4000000 --out /tmp/genad-scale/4M
    PYTHONPATH=src python benchmarks/scale/stop_check.py --data /tmp/genad-scale/4M
    PYTHONPATH=src python benchmarks/scale/stop_check.py --data /tmp/genad-scale/1M --models PCA \
        --batch-size 2000 --out benchmarks/scale/results/stop_check_small_batches.json
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KEEP = ["id", "timestamp"]
FIT_ROWS = 20_000
POLLS = {"default": None, "every-batch": 0.0, "never": 1e9}


def _set_poll(value, dask_worker=None):
    import genad.distributed

    genad.distributed.STOP_POLL = value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/tmp/genad-scale/4M"))
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=None, help="rows per batch (default: genad.batch.BATCH_SIZE)")
    ap.add_argument("--models", nargs="+", default=["PCA", "IsolationForest"])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "stop_check.json")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    import distributed
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    import genad
    import genad.batch
    from genad import distributed as D
    from genad.bench import Recorder

    files = sorted(a.data.glob("*.parquet"))
    if not files:
        raise SystemExit(f"no Parquet files in {a.data}: write them first with benchmarks/scale/make_data.py")
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    rec = Recorder("scale-stop-check", a.out, metrics=["rows_per_s", "stop_seconds"],
                   title="scale: the stop check of Dask scoring tasks",
                   description="rows/s with the default stop-poll interval, a check after every batch and none; "
                               "seconds for a failed job to stop",
                   command="PYTHONPATH=src python benchmarks/scale/stop_check.py " + " ".join(sys.argv[1:]),
                   machine_note="2 CPU cores shared with other work; load average recorded per record")
    default_poll = D.STOP_POLL
    batch_size = a.batch_size or genad.batch.BATCH_SIZE
    work = Path(tempfile.mkdtemp(prefix="genad-stop-"))
    try:
        first = pq.ParquetFile(files[0]).read_row_group(0)
        X = first.to_pandas().drop(columns=KEEP).iloc[:FIT_ROWS]
        models = {}
        for name in a.models:
            models[name] = work / f"{name}.genad"
            getattr(genad, name)(random_state=0).fit(X).save(models[name])
        # the failing job: one small part with a missing value, and the data's first file
        bad_dir = work / "bad"
        bad_dir.mkdir()
        head = first.slice(0, 500)
        bad = head.to_pandas()
        col = next(c for c in X.columns if X[c].dtype.kind == "f")
        bad.loc[0, col] = np.nan
        pq.write_table(pa.Table.from_pandas(bad, schema=head.schema, preserve_index=False), bad_dir / "a-bad.parquet")
        os.symlink(files[0], bad_dir / "b-good.parquet")
        with D.local_cluster(2, memory_limit="3GiB") as cl, distributed.Client(cl) as c:
            for name, model in models.items():
                D.score_parquet(model, a.data, work / "warm", client=c, keep=KEEP)  # each worker loads the model
                shutil.rmtree(work / "warm")
                times = {k: [] for k in POLLS}
                for r in range(a.rounds):
                    for variant, poll in POLLS.items():
                        poll = default_poll if poll is None else poll
                        c.run(_set_poll, poll)
                        load = os.getloadavg()[0]
                        t = time.perf_counter()
                        s = D.score_parquet(model, a.data, work / "o", client=c, keep=KEEP, batch_size=batch_size)
                        dt = time.perf_counter() - t
                        shutil.rmtree(work / "o")
                        times[variant].append(dt)
                        rec.add(dataset=f"kdd-like-{a.data.name}", detector=name, seed=r, variant=f"poll-{variant}",
                                rows=s.rows, seconds=dt, rows_per_s=s.rows / dt, batch_size=batch_size,
                                stop_poll=poll, load_before=load)
                    c.run(_set_poll, default_poll)
                    t = time.perf_counter()
                    try:
                        D.score_parquet(model, bad_dir, work / "ob", client=c, keep=KEEP, rows_per_part=2_000_000)
                        raise SystemExit("the failing job did not fail")
                    except ValueError as e:
                        dt = time.perf_counter() - t
                        if "NaN" not in str(e):
                            raise
                    left = len(list((work / "ob").iterdir()))
                    shutil.rmtree(work / "ob")
                    rec.add(dataset=f"kdd-like-{a.data.name}", detector=name, seed=r, variant="failed-job",
                            stop_seconds=dt, parts_left=left, stop_poll=default_poll)
                    rec.write()
                med = {k: statistics.median(v) for k, v in times.items()}
                print(f"{name}: {rows:,} rows; median seconds " + ", ".join(f"{k} {v:.2f}" for k, v in med.items())
                      + f"; default/never {med['default'] / med['never']:.3f}, every-batch/never "
                      f"{med['every-batch'] / med['never']:.3f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rec.write()


if __name__ == "__main__":
    main()
