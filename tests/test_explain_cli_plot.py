"""genad explain on the command line, and plot_explanation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import genad
from genad.cli import app
from genad.plotting import plot_explanation


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    cols = ["dur", "bytes", "pkts", "port"]
    train = pd.DataFrame(rng.normal(size=(300, 4)), columns=cols)
    test = pd.DataFrame(rng.normal(size=(6, 4)), columns=cols)
    test.loc[:2, "bytes"] += 9.0
    return train, test


def test_cli_explain_prints_top_features(tmp_path, data):
    train, test = data
    model, rows, out = tmp_path / "m.genad", tmp_path / "rows.csv", tmp_path / "contrib.csv"
    genad.KNN().fit(train).save(model)
    test.assign(label=[1, 1, 1, 0, 0, 0]).to_csv(rows, index=False)
    runner = CliRunner()
    res = runner.invoke(app, ["explain", "--model", str(model), "--data", str(rows), "--top", "2",
                              "--drop", "label", "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 6
    for line in lines[:3]:
        assert "ANOMALY" in line and "(shapley) bytes +" in line
    df = pd.read_csv(out)
    assert list(df.columns) == ["score", "base_value", "dur", "bytes", "pkts", "port"]
    np.testing.assert_allclose(df["base_value"] + df[["dur", "bytes", "pkts", "port"]].sum(axis=1), df["score"], rtol=1e-9)
    res = runner.invoke(app, ["explain", "--model", str(model), "--data", str(rows), "--drop", "label", "--flagged"])
    assert res.exit_code == 0 and len(res.output.strip().splitlines()) == 3, res.output
    res = runner.invoke(app, ["explain", "--model", str(model), "--data", str(rows)])
    assert res.exit_code == 2 and "--drop label" in res.output


def test_plot_explanation_rows_and_sequences(data):
    train, test = data
    e = genad.KNN().fit(train).explain(test)
    fig = plot_explanation(e, top=3)
    assert len([a for a in fig.axes if a.get_visible()]) == 4
    bars = fig.axes[0].patches
    assert len(bars) == 3
    assert fig.axes[0].get_yticklabels()[-1].get_text() == "bytes"  # largest on top
    S = np.random.default_rng(1).normal(size=(60, 8, 2))
    es = genad.AutoEncoder(epochs=2, random_state=0).fit(S).explain(S[:2])
    fig = plot_explanation(es, rows=1)
    assert fig.axes[0].images[0].get_array().shape == (2, 8)
    with pytest.raises(ValueError, match="rows"):
        plot_explanation(e, rows=[10])
