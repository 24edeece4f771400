"""Streaming batch scoring: genad.batch.score_batches / score_dataset and `genad score` on data sets."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from genad import IsolationForest, PCA
from genad.batch import plan_parts, score_batches, score_dataset

SRC = Path(__file__).resolve().parents[1] / "src"
COLS = [f"f{i}" for i in range(5)]


@pytest.fixture(scope="module")
def fitted(blobs):
    X, _, _ = blobs
    return IsolationForest(n_estimators=30, random_state=0).fit(pd.DataFrame(X, columns=COLS))


def _frame(n, seed=1, start=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.normal(size=(n, 5)), columns=COLS)
    df.iloc[::17] += 6.0  # some anomalies
    return df.assign(id=np.arange(start, start + n), host=[f"h{i % 3}" for i in range(n)])


def _expected(det, df):
    X = df[COLS]
    return det.decision_function(X), det.p_values(X), det.predict(X)


def test_score_batches_arrow_and_pandas_match_the_detector(fitted):
    df = _frame(1000)
    s, p, y = _expected(fitted, df)
    table = pa.Table.from_pandas(df, preserve_index=False)
    out = list(score_batches(fitted, table.to_batches(max_chunksize=300), keep=["id"], drop=["host"]))
    assert [b.num_rows for b in out] == [300, 300, 300, 100]
    got = pa.Table.from_batches(out).to_pandas()
    assert list(got.columns) == ["id", "score", "p_value", "label"]
    np.testing.assert_array_equal(got["id"], df["id"])
    np.testing.assert_allclose(got["score"], s, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["p_value"], p)
    np.testing.assert_array_equal(got["label"], y)
    assert 0 < got["label"].sum() < len(df)
    # pandas in, pandas out; the columns are matched by name, not position
    shuffled = df[["host", "f3", "id", "f0", "f4", "f1", "f2"]]
    parts = list(score_batches(fitted, [shuffled.iloc[:400], shuffled.iloc[400:]], keep=["id", "host"]))
    assert all(isinstance(b, pd.DataFrame) for b in parts)
    got = pd.concat(parts, ignore_index=True)
    np.testing.assert_allclose(got["score"], s, atol=1e-12)
    assert list(got.columns) == ["id", "host", "score", "p_value", "label"]


def test_kept_column_named_like_an_output_gets_a_prefix(fitted):
    df = _frame(50).rename(columns={"host": "label"})
    got = next(score_batches(fitted, [df], drop=["id", "label"]))
    assert list(got.columns) == COLS + ["id", "label", "score", "p_value", "genad_label"]
    np.testing.assert_array_equal(got["label"], df["label"])


def test_model_fitted_on_an_array_takes_the_other_columns(blobs):
    X, _, _ = blobs
    det = PCA().fit(X)
    df = _frame(200)
    got = pd.concat(score_batches(det, [df], keep=["id", "host"]))
    np.testing.assert_allclose(got["score"], det.decision_function(df[COLS].to_numpy()), atol=1e-12)


def test_score_batches_errors_name_the_column_and_the_rows(fitted):
    df = _frame(100)
    with pytest.raises(ValueError, match=r"unexpected column\(s\) \['host'\].*--drop host"):
        next(score_batches(fitted, [df], keep=["id"]))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['f4'\]"):
        next(score_batches(fitted, [df.drop(columns="f4")], keep=["id"], drop=["host"]))
    with pytest.raises(ValueError, match=r"keep names column\(s\) \['nope'\]"):
        next(score_batches(fitted, [df], keep=["nope"]))
    bad = df.copy()
    bad.loc[130 - 100 + 0, "f2"] = np.nan  # row 30 of the second batch = row 130 overall
    with pytest.raises(ValueError, match=r"rows 100-199 of the input: .*NaN.*\"f2\".*first at row 30"):
        list(score_batches(fitted, [df, bad], keep=["id"], drop=["host"]))
    with pytest.raises(ValueError, match="Arrow record batches or pandas"):
        next(score_batches(fitted, [df.to_numpy()]))


def _write_dataset(folder: Path, sizes, row_group_size=250):
    folder.mkdir()
    frames, start = [], 0
    for i, n in enumerate(sizes):
        df = _frame(n, seed=i, start=start)
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), folder / f"flows-{i}.parquet",
                       row_group_size=row_group_size)
        frames.append(df)
        start += n
    return pd.concat(frames, ignore_index=True)


def test_score_dataset_writes_atomic_parts_with_every_row_once(fitted, tmp_path, capsys):
    full = _write_dataset(tmp_path / "flows", [1000, 600, 90])
    parts, names = plan_parts(str(tmp_path / "flows" / "*.parquet"), rows_per_part=500)
    assert names == COLS + ["id", "host"]
    assert [p.rows for p in parts] == [500, 500, 500, 100, 90]
    out = tmp_path / "scored"
    res = score_dataset(fitted, str(tmp_path / "flows" / "*.parquet"), out, keep=["id"], drop=["host"],
                        rows_per_part=500, batch_size=128, progress=True)
    assert "rows/s" in capsys.readouterr().err
    assert res.rows == len(full) and len(res.files) == 5
    assert sorted(p.name for p in out.iterdir()) == [f"part-{i:05d}.parquet" for i in range(5)]
    got = pq.read_table(out).to_pandas().sort_values("id")
    s, p, y = _expected(fitted, full)
    np.testing.assert_array_equal(got["id"], full["id"])
    np.testing.assert_allclose(got["score"], s, atol=1e-12)
    np.testing.assert_allclose(got["p_value"], p)
    assert res.flagged == int(y.sum())
    # a second run into the same folder would mix two runs: refused before anything is written
    with pytest.raises(ValueError, match="already holds scored parts"):
        score_dataset(fitted, tmp_path / "flows", out, keep=["id"], drop=["host"])


def test_failed_run_leaves_no_file(fitted, tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    df = _frame(600)
    df.loc[550, "f1"] = np.inf
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), folder / "a.parquet", row_group_size=100)
    out = tmp_path / "scored"
    with pytest.raises(ValueError, match="row groups 5-5.*infinite"):
        score_dataset(fitted, folder, out, keep=["id"], drop=["host"], rows_per_part=100)
    assert list(out.iterdir()) == []  # the parts written before the error are removed: no partial result


def test_score_dataset_input_errors(fitted, tmp_path):
    with pytest.raises(FileNotFoundError, match="no file matches"):
        score_dataset(fitted, str(tmp_path / "none" / "*.parquet"), tmp_path / "o")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        score_dataset(fitted, tmp_path / "none.parquet", tmp_path / "o")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match="cannot read .*bad.parquet"):
        score_dataset(fitted, bad, tmp_path / "o")
    folder = tmp_path / "mixed"
    folder.mkdir()
    pq.write_table(pa.Table.from_pandas(_frame(10), preserve_index=False), folder / "a.parquet")
    pq.write_table(pa.Table.from_pandas(_frame(10).drop(columns="f1"), preserve_index=False), folder / "b.parquet")
    with pytest.raises(ValueError, match="b.parquet has columns"):
        score_dataset(fitted, folder, tmp_path / "o")
    with pytest.raises(ValueError, match=r"\.csv or \.parquet file name, or a folder"):
        score_dataset(fitted, folder / "a.parquet", tmp_path / "o.xlsx", drop=["id", "host"])


def test_cli_score_streams_a_glob_to_a_folder_with_keep(fitted, tmp_path):
    from typer.testing import CliRunner

    from genad.cli import app

    full = _write_dataset(tmp_path / "flows", [700, 300])
    model = tmp_path / "m.genad"
    fitted.save(model)
    res = CliRunner().invoke(app, ["score", "--model", str(model), "--data", str(tmp_path / "flows" / "*.parquet"),
                                   "--out", str(tmp_path / "scored"), "--keep", "id,host"])
    assert res.exit_code == 0, res.output
    assert "scored 1000 rows" in res.output and "2 parts" in res.output
    got = pq.read_table(tmp_path / "scored").to_pandas()
    assert list(got.columns) == ["id", "host", "score", "p_value", "label"]
    assert sorted(got["id"]) == list(full["id"])
    res = CliRunner().invoke(app, ["score", "--model", str(model), "--data", str(tmp_path / "flows"),
                                   "--out", str(tmp_path / "one.parquet"), "--keep", "id", "--drop", "host"])
    assert res.exit_code == 0, res.output
    np.testing.assert_allclose(pd.read_parquet(tmp_path / "one.parquet")["score"], fitted.decision_function(full[COLS]))


_MEMORY = """
import json, resource, sys
import numpy as np, pandas as pd, pyarrow as pa, pyarrow.parquet as pq
import genad
from genad.batch import score_dataset
folder, model = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
for n in (50_000, 400_000):
    with pq.ParquetWriter(f"{folder}/d{n}.parquet", pa.schema([(f"f{i}", pa.float64()) for i in range(20)]
                                                          + [("id", pa.int64())])) as w:
        for start in range(0, n, 50_000):
            df = pd.DataFrame(rng.normal(size=(50_000, 20)), columns=[f"f{i}" for i in range(20)])
            w.write_table(pa.Table.from_pandas(df.assign(id=np.arange(start, start + 50_000)), preserve_index=False),
                          row_group_size=25_000)
del df
det = genad.load(model)
peak = {}
for n, run in ((50_000, "warm"), (50_000, "small"), (400_000, "big")):
    res = score_dataset(det, f"{folder}/d{n}.parquet", f"{folder}/{run}", keep=["id"], rows_per_part=100_000,
                        batch_size=5_000)
    assert res.rows == n
    peak[run] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(peak))
"""


def test_memory_does_not_grow_with_the_data_size(tmp_path):
    rng = np.random.default_rng(0)
    model = tmp_path / "pca.genad"
    PCA().fit(pd.DataFrame(rng.normal(size=(500, 20)), columns=[f"f{i}" for i in range(20)])).save(model)
    out = subprocess.run([sys.executable, "-c", _MEMORY, str(tmp_path), str(model)], capture_output=True, text=True,
                         timeout=300, env={"PYTHONPATH": str(SRC), "PATH": "", "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr
    peak = json.loads(out.stdout.strip().splitlines()[-1])
    # 8x the rows (400k x 20 float64 = 64 MB in memory) may not raise the peak resident memory by 20 MB
    assert peak["big"] - peak["small"] < 20_000, peak
