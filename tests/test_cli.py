"""The genad command line: fit, score, datasets, and one clear line for every bad input."""

import zipfile

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from genad.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture()
def tables(tmp_path, blobs):
    X, X_test, y = blobs
    cols = [f"f{i}" for i in range(5)]
    train = tmp_path / "train.csv"
    pd.DataFrame(X, columns=cols).to_csv(train, index=False)
    test = tmp_path / "test.parquet"
    pd.DataFrame(X_test, columns=cols).assign(label=y).to_parquet(test)
    return tmp_path, train, test, y


def one_line_error(res, *needles):
    assert res.exit_code != 0
    out = res.output.strip()
    assert "Traceback" not in out
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out
    for n in needles:
        assert n in lines[0], (n, lines[0])


def test_fit_then_score(tables):
    d, train, test, y = tables
    model = d / "m.genad"
    res = run("fit", "IsolationForest", "--data", train, "--out", model, "--param", "n_estimators=50",
              "--param", "random_state=0")
    assert res.exit_code == 0, res.output
    assert "fitted IsolationForest on 300 rows x 5 columns" in res.output
    out = d / "scores.csv"
    res = run("score", "--model", model, "--data", test, "--drop", "label", "--out", out)
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    # the dropped label column stays in the output, beside the prediction (renamed: "label" is taken)
    assert list(df.columns) == [f"f{i}" for i in range(5)] + ["label", "score", "p_value", "genad_label"]
    np.testing.assert_array_equal(df["label"], y)
    assert df.loc[y == 1, "genad_label"].mean() == 1.0
    assert df.loc[y == 1, "p_value"].max() < df.loc[y == 0, "p_value"].median()
    assert "genad_label" in res.output
    res = run("score", "--model", model, "--data", train, "--out", out)
    assert res.exit_code == 0, res.output
    assert list(pd.read_csv(out).columns) == [f"f{i}" for i in range(5)] + ["score", "p_value", "label"]


def test_help_texts():
    res = run("fit", "--help")
    assert res.exit_code == 0
    for name in ("IsolationForest", "AutoEncoder", "PCA", "Seq2Seq", "KNN"):
        assert name in res.output


def test_help_imports_no_detector():
    """``genad --help`` stays fast: torch, scikit-learn and the detectors load only when needed."""
    import subprocess
    import sys

    code = ("import sys; from genad.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'sklearn', 'genad.base') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[1] / "src")})
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_param_type_and_extra_column_messages(tables):
    d, train, test, _ = tables
    model = d / "m.genad"
    one_line_error(run("fit", "IsolationForest", "--data", train, "--out", model, "--param", "n_estimators=abc"),
                   "n_estimators", "an integer", "'abc'")
    one_line_error(run("fit", "PCA", "--data", train, "--out", model, "--param", "preprocessing=standard",
                       "--param", "contamination=lots"), "contamination")
    assert run("fit", "PCA", "--data", train, "--out", model).exit_code == 0
    one_line_error(run("score", "--model", model, "--data", test, "--out", d / "s.csv"),
                   "unexpected column(s) ['label']", "--drop label")


def test_fit_bad_inputs(tables, tmp_path):
    d, train, test, _ = tables
    out = d / "m.genad"
    one_line_error(run("fit", "Nope", "--data", train, "--out", out), "unknown model 'Nope'", "IsolationForest")
    one_line_error(run("fit", "PCA", "--data", d / "missing.csv", "--out", out), "does not exist")
    empty = d / "empty.csv"
    empty.write_text("")
    one_line_error(run("fit", "PCA", "--data", empty, "--out", out), "is empty")
    header_only = d / "header.csv"
    header_only.write_text("a,b\n")
    one_line_error(run("fit", "PCA", "--data", header_only, "--out", out), "no rows")
    strings = d / "strings.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]}).to_csv(strings, index=False)
    one_line_error(run("fit", "PCA", "--data", strings, "--out", out), "non-numeric column(s) ['b']")
    nan = d / "nan.csv"
    pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [1.0, 2.0, 3.0]}).to_csv(nan, index=False)
    one_line_error(run("fit", "PCA", "--data", nan, "--out", out), 'NaN in column "a"')
    one_line_error(run("fit", "PCA", "--data", train, "--out", out, "--param", "bogus=1"), "unknown parameter(s) ['bogus']")
    one_line_error(run("fit", "PCA", "--data", train, "--out", out, "--param", "noequals"), "name=value")
    one_line_error(run("fit", "PCA", "--data", train, "--out", d / "nodir" / "m.genad"), "does not exist")
    assert not out.exists()


def test_score_bad_inputs(tables):
    d, train, test, _ = tables
    model = d / "m.genad"
    assert run("fit", "PCA", "--data", train, "--out", model).exit_code == 0
    out = d / "s.csv"
    # the label column is not a training column
    one_line_error(run("score", "--model", model, "--data", test, "--out", out), "unexpected column(s) ['label']")
    fewer = d / "fewer.csv"
    pd.read_parquet(test).drop(columns=["label", "f4"]).to_csv(fewer, index=False)
    one_line_error(run("score", "--model", model, "--data", fewer, "--out", out), "missing column(s) ['f4']")
    damaged = d / "damaged.genad"
    damaged.write_bytes(model.read_bytes()[:200])
    one_line_error(run("score", "--model", damaged, "--data", test, "--drop", "label", "--out", out), "damaged")
    one_line_error(run("score", "--model", d / "none.genad", "--data", test, "--out", out), "does not exist")
    one_line_error(run("score", "--model", model, "--data", test, "--drop", "label", "--out", d / "s.xlsx"), ".csv or .parquet")
    assert not out.exists()


def test_datasets_lists_data_folder(tmp_path):
    res = run("datasets", "--data-home", tmp_path)
    assert res.exit_code == 0, res.output
    assert str(tmp_path) in res.output
    assert "kdd99-ff12" in res.output and "breast-cancer" in res.output
    # bundled data is always present; the shared files are not in an empty folder
    line = [l for l in res.output.splitlines() if "breast-cancer" in l][0]
    assert "[yes]" in line
    assert "[no ]" in [l for l in res.output.splitlines() if "kdd99-ff12" in l][0]


def test_bench_default_suite_one_detector(tmp_path):
    out = tmp_path / "bench"
    res = run("bench", "default", "--detectors", "PCA", "--out", out)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()  # the progress bar goes to stderr
    assert lines[0] == f"results folder: {out} (results.json, results.csv, summary.md, plots/)"
    assert "PCA is the only detector with results (mean ROC-AUC over 11 datasets" in res.output
    assert "Caveats of this suite: tiny training sets" in res.output
    assert any(l.split()[:2] == ["1", "PCA"] for l in lines)
    assert max(len(l) for l in lines if str(out) not in l) <= 100, lines
    for name in ("results.csv", "results.json", "summary.md"):
        assert (out / name).is_file()
    one_line_error(run("bench", "no-such-suite", "--out", out), "no-such-suite")
    one_line_error(run("bench", "default", "--seeds", "0"), "--seeds")


def test_broken_config_json_names_the_file(tables):
    d, train, test, _ = tables
    model = d / "m.genad"
    assert run("fit", "PCA", "--data", train, "--out", model).exit_code == 0
    broken = d / "broken.genad"
    with zipfile.ZipFile(model) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "config.json":
                data = data.replace(b",", b"", 1)
            dst.writestr(item, data)
    one_line_error(run("score", "--model", broken, "--data", test, "--drop", "label", "--out", d / "s.csv"),
                   str(broken), "damaged")
