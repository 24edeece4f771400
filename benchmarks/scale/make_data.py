"""Synthetic KDD-like connection records as Parquet, for the scale benchmark (never committed).

24 numeric features in the spirit of KDD Cup 99's (duration, byte counts, connection counts,
error and service rates, flags), an ``id`` and a ``timestamp``; about 1% of the rows are
anomalous (far larger byte counts and error rates). One file per million rows, row groups of
100,000 rows.

    PYTHONPATH=src python benchmarks/scale/make_data.py --rows 1000000 --out /tmp/genad-scale/1M
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

FEATURES = (["duration", "src_bytes", "dst_bytes", "wrong_fragment", "urgent", "hot", "num_failed_logins",
             "num_compromised", "count", "srv_count"]
            + [f"{k}_rate" for k in ("serror", "srv_serror", "rerror", "srv_rerror", "same_srv", "diff_srv",
                                      "srv_diff_host", "dst_host_same_srv", "dst_host_diff_srv",
                                      "dst_host_serror", "dst_host_rerror")]
            + ["logged_in", "is_guest_login", "land"])
ROWS_PER_FILE = 1_000_000
ROW_GROUP = 100_000


def chunk(n: int, start: int, rng) -> pd.DataFrame:
    anomalous = rng.random(n) < 0.01
    cols = {
        "duration": rng.exponential(2.0, n),
        "src_bytes": rng.lognormal(6.0, 1.0, n) * np.where(anomalous, 50.0, 1.0),
        "dst_bytes": rng.lognormal(7.0, 1.2, n),
        "wrong_fragment": rng.poisson(0.01, n).astype(float),
        "urgent": rng.poisson(0.001, n).astype(float),
        "hot": rng.poisson(0.2, n).astype(float),
        "num_failed_logins": rng.poisson(0.01, n) + anomalous * rng.poisson(3.0, n).astype(float),
        "num_compromised": rng.poisson(0.02, n).astype(float),
        "count": rng.poisson(20, n).astype(float),
        "srv_count": rng.poisson(15, n).astype(float),
    }
    for name in FEATURES[10:21]:
        base = rng.beta(1.0, 12.0, n)
        cols[name] = np.where(anomalous & name.endswith("error_rate"), rng.beta(8.0, 2.0, n), base)
    for name in FEATURES[21:]:
        cols[name] = (rng.random(n) < 0.3).astype(float)
    df = pd.DataFrame(cols)[FEATURES]
    df.insert(0, "timestamp", pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(start, start + n) * 10, "ms"))
    df.insert(0, "id", np.arange(start, start + n, dtype=np.int64))
    return df


def write(rows: int, out: Path, seed: int = 0) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    files = []
    for f, start in enumerate(range(0, rows, ROWS_PER_FILE)):
        path = out / f"flows-{f:04d}.parquet"
        n_file = min(ROWS_PER_FILE, rows - start)
        with pq.ParquetWriter(path, pa.Schema.from_pandas(chunk(1, 0, rng), preserve_index=False)) as w:
            for s in range(start, start + n_file, ROW_GROUP):
                w.write_table(pa.Table.from_pandas(chunk(min(ROW_GROUP, start + n_file - s), s, rng),
                                                   preserve_index=False))
        files.append(path)
    return files


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    files = write(a.rows, a.out, a.seed)
    print(f"wrote {a.rows} rows in {len(files)} files to {a.out}")
