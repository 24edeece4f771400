"""genad monitor, genad feedback and genad retrain on files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import genad
from genad.cli import app

runner = CliRunner()
COLS = ["dur", "bytes", "pkts", "rate"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(res, *needles):
    assert res.exit_code == 2, res.output
    lines = [l for l in res.output.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    for n in needles:
        assert n in lines[0], (n, lines[0])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("mon")
    rng = np.random.default_rng(0)
    train = pd.DataFrame(rng.normal(size=(6000, 4)), columns=COLS)  # hold-out calibration
    train.to_parquet(d / "train.parquet")
    genad.KNN().fit(train).save(d / "net.genad")
    new = d / "new"
    new.mkdir()
    for i in range(4):
        b = pd.DataFrame(rng.normal(size=(300, 4)), columns=COLS)
        if i >= 2:
            b["bytes"] += 1.0
        b.insert(0, "id", [f"r{i}-{j}" for j in range(300)])
        b.to_parquet(new / f"batch{i}.parquet")
    return d


def test_monitor_prints_each_batch_and_the_report(files):
    res = run("monitor", "--model", files / "net.genad", "--data", files / "new" / "*.parquet",
              "--reference", files / "train.parquet", "--drop", "id")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("batch0.parquet rows 0-299: ok") and lines[1].startswith("batch1.parquet rows 0-299: ok")
    assert "DRIFT" in lines[2] and "bytes" in lines[2] and "DRIFT" in lines[3]
    assert "drifting since batch 3" in res.output and "drifting features: bytes" in res.output
    res = run("monitor", "--model", files / "net.genad", "--data", files / "new" / "batch3.parquet",
              "--drop", "id", "--batch-rows", "100", "--json")
    docs = [json.loads(l) for l in res.output.splitlines()]
    assert len(docs) == 3 and {"drift", "p_value", "statistic", "features", "since"} <= set(docs[0])


def test_monitor_errors(files):
    one_line_error(run("monitor", "--model", files / "net.genad", "--data", files / "none" / "*.csv"), "no data file matches")
    one_line_error(run("monitor", "--model", files / "net.genad", "--data", files / "new" / "batch0.parquet"), "--drop id")
    one_line_error(run("monitor", "--model", files / "net.genad", "--data", files / "train.parquet", "--alpha", "2"), "alpha")


def test_feedback_then_retrain(files, tmp_path):
    import shutil

    shutil.copy(files / "net.genad", tmp_path / "net.genad")
    rng = np.random.default_rng(1)
    normal = pd.DataFrame(rng.normal(size=(1500, 4)) + [0, 1.0, 0, 0], columns=COLS)
    anomalies = pd.DataFrame(rng.choice([-1, 1], size=(80, 4)) * rng.uniform(4, 8, size=(80, 4)), columns=COLS)
    df = pd.concat([normal, anomalies], ignore_index=True)
    df.insert(0, "id", [f"k{i}" for i in range(len(df))])
    df.to_csv(tmp_path / "new.csv", index=False)
    y = np.r_[np.zeros(1500, int), np.ones(80, int)]
    pick = rng.random(len(df)) < 0.4
    pd.DataFrame({"key": df["id"][pick], "verdict": y[pick], "who": "ana"}).to_csv(tmp_path / "v.csv", index=False)
    res = run("feedback", "--model", tmp_path / "net.genad", "--labels", tmp_path / "v.csv")
    assert res.exit_code == 0 and f"stored {pick.sum()} verdict(s)" in res.output, res.output
    res = run("feedback", "--model", tmp_path / "net.genad", "--key", "k0", "--verdict", "0", "--who", "ben")
    assert res.exit_code == 0 and "stored 1 verdict(s)" in res.output
    assert (tmp_path / "net.feedback.sqlite").exists()
    one_line_error(run("feedback", "--model", tmp_path / "net.genad", "--key", "k0", "--verdict", "3", "--who", "b"),
                   "verdict must be 1")
    one_line_error(run("feedback", "--model", tmp_path / "net.genad", "--key", "k0"), "--key, --verdict and --who")
    res = run("retrain", "--model", tmp_path / "net.genad", "--data", tmp_path / "new.csv", "--key-column", "id")
    assert res.exit_code == 0, res.output
    assert "version 2 (parent: net.v1)" in res.output and "PROMOTED" in res.output
    assert (tmp_path / "net.v1.genad").exists() and (tmp_path / "net.v2.genad").exists()
    assert genad.load(tmp_path / "net.genad").lineage_["version"] == 2
    one_line_error(run("retrain", "--model", tmp_path / "net.genad", "--data", tmp_path / "new.csv",
                       "--key-column", "nope"), "--key-column 'nope'")
    pd.DataFrame({"key": ["k1", "k2"], "verdict": [1, "yes"]}).to_csv(tmp_path / "bad.csv", index=False)
    one_line_error(run("retrain", "--model", tmp_path / "net.genad", "--data", tmp_path / "new.csv", "--key-column", "id",
                       "--labels", tmp_path / "bad.csv"), "verdict must be 1 (anomaly) or 0 (normal); key 'k2' has 'yes'")
    pd.DataFrame({"key": ["k1", "k2"], "verdict": [1, -1]}).to_csv(tmp_path / "bad.csv", index=False)
    one_line_error(run("retrain", "--model", tmp_path / "net.genad", "--data", tmp_path / "new.csv", "--key-column", "id",
                       "--labels", tmp_path / "bad.csv"), "key 'k2' has -1")
