"""genad.distributed on a LocalCluster started here (2 worker processes, one thread each)."""

import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

distributed = pytest.importorskip("distributed", reason="genad.distributed needs the distributed extra")

from genad import AutoEncoder, IsolationForest, PCA  # noqa: E402
from genad.batch import score_dataset  # noqa: E402
from genad import distributed as D  # noqa: E402

COLS = [f"f{i}" for i in range(5)]


@pytest.fixture(scope="module")
def cluster():
    with D.local_cluster(2, memory_limit="2GiB") as cl:
        yield cl


def _warm():
    import genad.detectors.classic  # noqa: F401  (torch and scikit-learn load once, outside the timed tests)
    import genad.distributed  # noqa: F401


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as c:
        c.run(_warm)
        yield c


def _write(folder, n_files, rows, row_group_size):
    folder.mkdir()
    rng = np.random.default_rng(0)
    frames = []
    for i in range(n_files):
        df = pd.DataFrame(rng.normal(size=(rows, 5)), columns=COLS)
        df.iloc[::50] += 5.0
        df = df.assign(id=np.arange(i * rows, (i + 1) * rows), ts=pd.Timestamp("2026-01-01") + pd.to_timedelta(df.index, "s"))
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), folder / f"flows-{i}.parquet",
                       row_group_size=row_group_size)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dist") / "flows"
    return folder, _write(folder, 3, 2_000, 500)


@pytest.mark.parametrize("make", [lambda: IsolationForest(n_estimators=40, random_state=0),
                                  lambda: AutoEncoder(hidden=(8,), latent_dim=2, epochs=3, random_state=0)],
                         ids=["IsolationForest", "AutoEncoder"])
def test_dask_scores_equal_in_process_scores(client, data, tmp_path, make):
    folder, full = data
    det = make().fit(full[COLS].iloc[:1500])
    model = tmp_path / "m.genad"
    det.save(model)
    local = score_dataset(model, folder, tmp_path / "local", keep=["id", "ts"], rows_per_part=1000)
    res = D.score_parquet(model, str(folder / "*.parquet"), tmp_path / "dask", client=client, keep=["id", "ts"],
                          rows_per_part=1000)
    assert res.rows == local.rows == len(full) and res.flagged == local.flagged
    assert sorted(p.name for p in (tmp_path / "dask").iterdir()) == [f"part-{i:05d}.parquet" for i in range(6)]
    a = pq.read_table(tmp_path / "local").to_pandas()
    b = pq.read_table(tmp_path / "dask").to_pandas()
    assert list(b.columns) == ["id", "ts", "score", "p_value", "label"]
    np.testing.assert_array_equal(a["id"], b["id"])
    np.testing.assert_array_equal(a["ts"], b["ts"])
    np.testing.assert_allclose(b["score"], a["score"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(b["score"], det.decision_function(full[COLS]), rtol=1e-6, atol=1e-6)
    # each worker that scored loaded the model once from the file's bytes, and kept it
    digest = __import__("hashlib").sha256(model.read_bytes()).hexdigest()
    cached = client.run(lambda: list(__import__("genad.distributed").distributed._cache))
    assert any(digest in v for v in cached.values()), cached


def _worker_settings():
    import os

    import dask

    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), dask.config.get("distributed.worker.profile.enabled")


def test_local_cluster_workers_keep_the_adaptive_allocator_and_no_profiler(client):
    # Dask's default MALLOC_TRIM_THRESHOLD_ made scoring 24% slower (genad.distributed.WORKER_CONFIG)
    settings = client.run(_worker_settings)
    assert len(settings) == 2
    assert all(v == [None, False] or v == (None, False) for v in settings.values()), settings


def test_few_row_groups_are_spread_over_the_workers(client, tmp_path):
    # one file of 10 row groups: parts of whole groups, at least 4 per worker when the groups allow
    folder = tmp_path / "one"
    full = _write(folder, 1, 1_000, 100)
    det = IsolationForest(n_estimators=10, random_state=0).fit(full[COLS])
    det.save(tmp_path / "m.genad")
    res = D.score_parquet(tmp_path / "m.genad", folder, tmp_path / "out", client=client, keep=["id"], drop=["ts"])
    assert res.rows == 1_000
    assert len(res.files) == 10  # 4 x 2 workers asked; 125-row parts would pack 200 rows (5 parts)
    got = pq.read_table(tmp_path / "out").to_pandas()
    np.testing.assert_array_equal(np.sort(got["id"].to_numpy()), np.arange(1_000))


def _worker_process_pid(cluster, address):
    for nanny in cluster.workers.values():
        if nanny.worker_address == address:
            return nanny.process.process.pid
    raise AssertionError(f"no worker at {address}")


def test_killed_worker_loses_no_row_and_leaves_no_half_file(cluster, client, tmp_path):
    folder = tmp_path / "flows"
    full = _write(folder, 4, 5_000, 1_250)
    model = tmp_path / "m.genad"
    IsolationForest(n_estimators=100, random_state=0).fit(full[COLS].iloc[:3000]).save(model)
    out = tmp_path / "scored"
    result, errors = {}, []

    def job():
        try:
            result["res"] = D.score_parquet(model, folder, out, client=client, keep=["id"], drop=["ts"],
                                            rows_per_part=1_250, batch_size=500)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=job)
    t.start()
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and t.is_alive():
        busy = {w: ks for w, ks in client.processing().items() if any("genad-score" in str(k) for k in ks)}
        done = list(out.glob("part-*.parquet")) if out.exists() else []
        if busy and done:  # mid-job: some parts written, a worker scoring another
            addr = sorted(busy)[0]
            os.kill(_worker_process_pid(cluster, addr), signal.SIGKILL)
            killed = addr
        time.sleep(0.05)
    t.join(timeout=180)
    assert not t.is_alive(), "the scoring job did not finish after a worker was killed"
    assert killed is not None, "the job ended before a worker could be killed mid-job"
    assert not errors, errors
    got = pq.read_table(out).to_pandas()
    assert result["res"].rows == len(got) == len(full)
    # every input row exactly once: the key column's count, sum and set match
    assert got["id"].is_unique and int(got["id"].sum()) == int(full["id"].sum())
    assert sorted(p.name for p in out.iterdir()) == [f"part-{i:05d}.parquet" for i in range(16)]
    client.wait_for_workers(2, timeout=120)


def test_errors_before_any_task(client, data, tmp_path):
    folder, full = data
    model = tmp_path / "m.genad"
    PCA().fit(full[COLS]).save(model)
    with pytest.raises(ValueError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'"):
        D.score_parquet(model, folder, tmp_path / "o1", client="tcp://127.0.0.1:1", keep=["id"], drop=["ts"])
    with pytest.raises(FileNotFoundError, match="no file matches"):
        D.score_parquet(model, str(tmp_path / "none*.parquet"), tmp_path / "o2", client=client)
    with pytest.raises(FileNotFoundError, match="model file"):
        D.score_parquet(tmp_path / "none.genad", folder, tmp_path / "o3", client=client)
    with pytest.raises(ValueError, match=r"unexpected column\(s\) \['ts'\]"):
        D.score_parquet(model, folder, tmp_path / "o4", client=client, keep=["id"])
    with pytest.raises(ValueError, match="pass a folder"):
        D.score_parquet(model, folder, tmp_path / "o5.parquet", client=client)


def test_task_error_stops_the_job_and_removes_its_parts(client, tmp_path):
    folder = tmp_path / "flows"
    full = _write(folder, 2, 1_000, 500)
    model = tmp_path / "m.genad"
    PCA().fit(full[COLS]).save(model)
    bad = full.iloc[1000:].copy()
    bad.loc[bad.index[700], "f3"] = np.nan
    pq.write_table(pa.Table.from_pandas(bad, preserve_index=False), folder / "flows-1.parquet", row_group_size=500)
    with pytest.raises(ValueError, match=r"flows-1.parquet \(row groups 1-1\): .*NaN"):
        D.score_parquet(model, folder, tmp_path / "o", client=client, keep=["id"], drop=["ts"], rows_per_part=500)
    assert list((tmp_path / "o").iterdir()) == []


def _executing(client) -> int:
    return sum(client.run(lambda dask_worker: dask_worker.state.executing_count).values())


def test_a_failed_job_waits_for_its_running_tasks_before_it_cleans_up(client, tmp_path):
    # one part fails at once while the other worker is still scoring a long part: the error must
    # come back only once that task has stopped, or its part would be renamed into the folder
    # after the clean-up
    folder = tmp_path / "flows"
    folder.mkdir()
    rng = np.random.default_rng(1)
    bad = pd.DataFrame(rng.normal(size=(500, 5)), columns=COLS)
    bad.iloc[0, 3] = np.nan
    pq.write_table(pa.Table.from_pandas(bad, preserve_index=False), folder / "a-bad.parquet")
    good = pd.DataFrame(rng.normal(size=(600_000, 5)), columns=COLS)
    pq.write_table(pa.Table.from_pandas(good, preserve_index=False), folder / "b-good.parquet", row_group_size=100_000)
    model = tmp_path / "m.genad"
    PCA().fit(good.iloc[:5_000]).save(model)
    with pytest.raises(ValueError, match=r"a-bad.parquet \(row groups 0-0\): .*NaN"):
        D.score_parquet(model, folder, tmp_path / "o", client=client, rows_per_part=1_000_000, batch_size=10_000)
    deadline = time.monotonic() + 30
    while _executing(client) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _executing(client) == 0
    assert list((tmp_path / "o").iterdir()) == []
    # the job's stop event is gone from the scheduler, and the cluster scores the next job whole
    assert client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.extensions["events"]._events)) == 0
    bad.iloc[0, 3] = 0.0
    pq.write_table(pa.Table.from_pandas(bad, preserve_index=False), folder / "a-bad.parquet")
    s = D.score_parquet(model, folder, tmp_path / "o2", client=client, rows_per_part=1_000_000)
    assert s.rows == 600_500 and len(s.files) == 2


def test_cli_engine_dask_with_a_scheduler_address(cluster, data, tmp_path):
    from typer.testing import CliRunner

    from genad.cli import app

    folder, full = data
    model = tmp_path / "m.genad"
    PCA().fit(full[COLS]).save(model)
    res = CliRunner().invoke(app, ["score", "--model", str(model), "--data", str(folder), "--out", str(tmp_path / "s"),
                                   "--keep", "id", "--drop", "ts", "--engine", "dask",
                                   "--scheduler", cluster.scheduler_address])
    assert res.exit_code == 0, res.output
    assert f"scored {len(full)} rows" in res.output
    res = CliRunner().invoke(app, ["score", "--model", str(model), "--data", str(folder), "--out", str(tmp_path / "t"),
                                   "--drop", "id", "--drop", "ts", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1"])
    assert res.exit_code == 2 and "cannot reach the Dask scheduler" in res.output


def test_fit_many_on_the_cluster_and_on_local_cores(client, blobs):
    X, X_test, y_test = blobs
    X_all = np.vstack([X, X_test])
    y_all = np.r_[np.zeros(len(X)), y_test]
    grid = {"IsolationForest": {"n_estimators": [20, 40], "random_state": [0]}, PCA: {}}
    on_cluster = D.fit_many(grid, X_all, y_all, client=client, random_state=0)
    local = D.fit_many([(IsolationForest, {"n_estimators": 20, "random_state": 0}),
                        (IsolationForest, {"n_estimators": 40, "random_state": 0}), ("pca", {})],
                       X_all, y_all, n_jobs=2, random_state=0)
    assert [r["detector"] for r in on_cluster] == ["IsolationForest", "IsolationForest", "PCA"]
    assert [r["params"] for r in on_cluster] == [r["params"] for r in local]
    for a, b in zip(on_cluster, local):
        assert a["n_validation"] == round(0.2 * len(X_all)) and 0 <= a["roc_auc"] <= 1
        if a["detector"] == "IsolationForest":
            assert a["roc_auc"] > 0.9
        assert a["roc_auc"] == pytest.approx(b["roc_auc"], abs=1e-12)
        np.testing.assert_allclose(a["model"].decision_function(X_test), b["model"].decision_function(X_test))
    with pytest.raises(ValueError, match="unknown detector 'Nope'"):
        D.fit_many([("Nope", {})], X)


def test_gridsearchcv_on_the_dask_joblib_backend(client, blobs):
    import joblib
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    X, X_test, y_test = blobs
    X_all = np.vstack([X, X_test])
    y_all = np.r_[np.zeros(len(X)), y_test].astype(int)
    grid = {"n_estimators": [10, 30]}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    with joblib.parallel_backend("dask"):
        dask_gs = GridSearchCV(IsolationForest(random_state=0), grid, scoring=D.roc_auc_scorer, cv=cv, n_jobs=-1)
        dask_gs.fit(X_all, y_all)
    gs = GridSearchCV(IsolationForest(random_state=0), grid, scoring=D.roc_auc_scorer, cv=cv, n_jobs=1).fit(X_all, y_all)
    np.testing.assert_allclose(dask_gs.cv_results_["mean_test_score"], gs.cv_results_["mean_test_score"])
    assert dask_gs.best_params_ == gs.best_params_


def test_readme_worker_settings_are_worker_config():
    # the README's YAML for a cluster of your own says what local_cluster applies
    import re
    from pathlib import Path

    import dask
    import yaml

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = re.search(r"```yaml\n(distributed:.*?)```", text, flags=re.S).group(1)
    flat = {}

    def walk(prefix, node):
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else k
            walk(key, v) if isinstance(v, dict) else flat.__setitem__(key, v)

    walk("", yaml.safe_load(block))
    assert flat == D.WORKER_CONFIG
    with dask.config.set(flat):  # and Dask reads it as meant: the variable unset, no profiler
        from distributed.nanny import _get_env_variables

        assert "MALLOC_TRIM_THRESHOLD_" not in _get_env_variables("distributed.nanny.pre-spawn-environ")
