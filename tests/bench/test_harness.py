"""End-to-end and unit tests of the benchmark harness (genad.bench)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

import genad
import genad.bench as bench
import genad.datasets
from genad.base import Detector
from genad.bench import registry
from genad.bench.adapters import Flattened
from genad.bench.report import compact_table, metric_table, reading, write_results_page
from genad.bench.results import Recorder, expand_records, validate_result_json, write_result_json
from genad.bench.suites import DatasetSpec, Suite

SUITE = "test-tiny"
GROUP_SUITE = "test-groups"


class _CurveDetector(Detector):
    """Distance to the training mean; keeps a fake training curve in ``history_``."""

    _fast_params = {}

    def __init__(self, preprocessing="standard", contamination=None, random_state=None):
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.random_state = random_state

    def _fit(self, X):
        self.center_ = X.mean(axis=0)
        self.history_ = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.6, 0.4]}

    def _score(self, X):
        return ((X - self.center_) ** 2).sum(axis=1)


class _Broken(_CurveDetector):
    def _fit(self, X):
        raise RuntimeError("boom: this detector always fails")


class _GroupMean:
    """Tiny group detector: distance of each group's mean from the training mean."""

    def fit(self, X, groups=None):
        g = np.asarray(groups)
        self.center_ = X.mean(axis=0)
        s = self._scores(X, g)
        self.threshold_ = float(np.quantile(s, 0.95))
        return self

    def _scores(self, X, g):
        return np.array([np.linalg.norm(X[g == u].mean(axis=0) - self.center_) for u in np.unique(g)])

    def decision_function(self, X, groups=None):
        return self._scores(X, np.asarray(groups))


@pytest.fixture
def tiny(monkeypatch):
    """A one-dataset suite (digits, class 3, flattened) with three registered detectors."""
    monkeypatch.setitem(bench.SUITES, SUITE, Suite(
        SUITE, "tiny test suite", specs=(DatasetSpec("digits-3", "digits", {"normal_class": 3}, flatten=True),)))
    monkeypatch.setitem(registry._ENTRIES, SUITE, {})
    registry.register("PCA", lambda ds, seed: genad.PCA(random_state=seed), suites=[SUITE])
    registry.register("Curve", lambda ds, seed: _CurveDetector(random_state=seed), suites=[SUITE])
    registry.register("Broken", lambda ds, seed: _Broken(random_state=seed), suites=[SUITE])
    registry.register("SlowOne", lambda ds, seed: genad.KNN(), suites=[SUITE], slow=True)
    return SUITE


def test_tiny_suite_end_to_end_writes_every_file(tiny, tmp_path):
    res = bench.run_suite(tiny, out_dir=tmp_path, seeds=2, progress=False)
    names = {p.name for p in res.files}
    assert {"results.csv", "results.json", "summary.md"} <= names
    assert {"roc_digits-3.png", "hist_digits-3.png", "training_digits-3.png"} <= names
    for p in res.files:
        assert p.exists() and p.stat().st_size > 0
    df = pd.read_csv(tmp_path / "results.csv")
    assert list(df.columns) == bench.RECORD_COLUMNS
    assert len(df) == 3 * 2  # 3 detectors (slow one skipped) x 2 seeds
    ok = df[df.status == "ok"]
    assert set(ok.detector) == {"PCA", "Curve"}
    assert (ok.roc_auc > 0.8).all()
    assert (ok.fit_seconds >= 0).all() and (ok.score_rows_per_s > 0).all()
    assert (ok.n_parameters > 0).all() and (ok.model_bytes > 0).all()
    assert ok.oracle_f1.notna().all() and ok.f1.notna().all() and ok.threshold.notna().all()
    doc = validate_result_json(json.loads((tmp_path / "results.json").read_text()))
    for key in ("cpu_count", "torch_threads", "device", "numpy", "scikit-learn"):
        assert key in doc["environment"]
    curve = [r for r in doc["records"] if r["detector"] == "Curve"]
    assert curve[0]["history"]["loss"] == [1.0, 0.5, 0.25] and curve[0]["epochs"] == 3
    md = (tmp_path / "summary.md").read_text()
    assert "| dataset | PCA | Curve | Broken |" in md
    assert "oracle best F1" in md and "±" in md
    assert "SlowOne" in md  # noted as skipped


def test_failure_is_recorded_and_does_not_stop_the_run(tiny, tmp_path):
    res = bench.run_suite(tiny, out_dir=tmp_path, seeds=1, progress=False, plots=False)
    by = {r["detector"]: r for r in res.records}
    assert by["Broken"]["status"] == "error"
    assert "RuntimeError: boom" in by["Broken"]["error"]
    assert by["PCA"]["status"] == "ok" and by["Curve"]["status"] == "ok"
    md = (tmp_path / "summary.md").read_text()
    assert "**Broken** on digits-3/seed0" in md
    assert res.failures == [by["Broken"]]


def test_named_detectors_include_slow_and_unknown_names_fail(tiny):
    res = bench.run_suite(tiny, seeds=1, detectors=["SlowOne"], progress=False, write=False)
    assert [r["detector"] for r in res.records] == ["SlowOne"] and res.records[0]["status"] == "ok"
    with pytest.raises(ValueError, match=r"unknown detector\(s\) \['Nope'\]"):
        bench.run_suite(tiny, detectors=["Nope"], progress=False, write=False)
    with pytest.raises(ValueError, match="seeds must be >= 1"):
        bench.run_suite(tiny, seeds=0, progress=False, write=False)
    with pytest.raises(ValueError, match="unknown suite"):
        bench.run_suite("no-such-suite", progress=False, write=False)


def test_seeds_change_the_split_where_the_protocol_draws_one(tiny):
    res = bench.run_suite(tiny, seeds=[0, 1], detectors=["PCA"], progress=False, write=False)
    hashes = [r["split_hash"] for r in res.records]
    assert hashes[0] != hashes[1]
    spec = DatasetSpec("digits-3", "digits", {"normal_class": 3}, flatten=True)
    a, b = spec.load(0), spec.load(0)
    assert np.array_equal(a.X_test, b.X_test)  # same seed, same split


def test_fixed_protocol_split_is_the_same_for_every_seed(data_home):
    spec = bench.SUITES["ff12-kdd"].specs[0]
    a, b = spec.load(0, data_home=data_home), spec.load(1, data_home=data_home)
    assert np.array_equal(a.y_test, b.y_test) and a.X_train.shape == b.X_train.shape == (97278, 18)


def test_references_are_printed_beside_measured_values():
    doc = {"suite": "ff12-kdd", "records": [
        {"dataset": "kdd99-ff12", "detector": "OCSVM", "seed": s, "roc_auc": v} for s, v in ((0, 0.90), (1, 0.92))
    ] + [{"dataset": "kdd99-ff12", "detector": "pyod:PCA", "seed": 0, "roc_auc": 0.8},
         {"dataset": "kdd99-ff12", "detector": "KNN", "seed": 0, "roc_auc": 0.95}]}
    table = metric_table(doc)
    assert "0.910 ± 0.014 (ref 0.957)" in table
    assert "0.800 (ref 0.771)" in table
    assert "| 0.950 |" in table  # no reference for KNN
    img = {"suite": "mnist", "records": [
        {"dataset": f"mnist-{c}", "detector": d, "seed": 0, "roc_auc": 0.9} for c in range(2)
        for d in ("DeepSVDD", "ADGAN")]}
    t = metric_table(img)
    assert "**0.900** (ref 0.948)" in t and "(ref >= 0.950 (target))" in t
    ref = bench.references.find("ecg5000", "ecg5000-abn30", "AutoEncoder")
    assert ref.value == 0.93 and "Anomagram" in ref.source


def test_results_page_from_recorded_json(tmp_path, monkeypatch):
    h = tmp_path / "benchmarks" / "harness" / "ff12-kdd"
    h.mkdir(parents=True)
    (h / "results.json").write_text(json.dumps({
        "schema": "genad-bench/2", "suite": "ff12-kdd", "command": "genad bench ff12-kdd --seeds 3",
        "commit": "abc1234", "machine": "2 CPU cores", "date": "2026-01-02T03:04:05+00:00",
        "options": {"seeds": [0]}, "environment": {"cpu_count": 2, "device": "cpu"},
        "records": [{"dataset": "kdd99-ff12", "detector": "OCSVM", "seed": 0, "roc_auc": 0.93, "status": "ok"},
                    {"dataset": "kdd99-ff12", "detector": "GMM", "seed": 0, "status": "error",
                     "error": "ValueError: bad"}],
    }))
    monkeypatch.setattr(sys, "argv", ["benchmarks/ae/run.py", "--seeds", "1"])
    rec = Recorder("ecg-topic", tmp_path / "benchmarks" / "ae" / "results" / "run.json", metrics=["roc_auc", "fit_seconds"])
    rec.add(dataset="ecg5000", detector="AutoEncoder", seed=0, roc_auc=0.97, fit_seconds=1.5)
    rec.add(dataset="ecg5000", detector="AutoEncoder", seed=1, roc_auc=0.95, fit_seconds=1.7)
    rec.write()
    page = write_results_page(root=tmp_path)
    text = page.read_text()
    assert page == tmp_path / "docs" / "results.md"
    assert "GENERATED by `PYTHONPATH=src python -m genad.bench.page`" in text
    assert "`genad bench ff12-kdd --seeds 3`" in text and "2026-01-02T03:04:05+00:00" in text and "abc1234" in text
    assert "0.930 (ref 0.957)" in text
    assert "| ecg5000 | 0.960 ± 0.014 |" in text and "### fit_seconds" in text
    assert "`PYTHONPATH=src python benchmarks/ae/run.py --seeds 1`" in text
    assert "**GMM** on kdd99-ff12/seed0: `ValueError: bad`" in text
    assert text.index("ff12-kdd") < text.index("ecg-topic")  # harness first
    # the page skips nothing: a file outside the schema stops it, naming the file
    (tmp_path / "benchmarks" / "ae" / "results" / "other.json").write_text('{"not": "ours"}')
    with pytest.raises(ValueError, match=r"other\.json.*missing key"):
        write_results_page(root=tmp_path)


def test_result_json_schema_is_checked(tmp_path):
    with pytest.raises(ValueError, match="missing key"):
        validate_result_json({"schema": "genad-bench/2", "suite": "x"})
    with pytest.raises(ValueError, match="expected 'genad-bench/2'"):
        validate_result_json({"schema": "genad-bench/1", "suite": "x", "command": "c", "records": [{}]})
    doc = {"schema": "genad-bench/2", "suite": "x", "command": "cmd", "commit": "c1", "machine": "m",
           "date": "d", "records": [{"dataset": "d", "detector": "D", "seed": 0}]}
    with pytest.raises(ValueError, match=r"record 0 \(d, D\) lacks \['commit'\]"):
        write_result_json(tmp_path / "r.json", {**doc, "commit": None})
    # a record's own provenance wins over the file's; the others are inherited
    doc["records"].append({"dataset": "d", "detector": "D", "seed": 1, "commit": "old", "command": "older"})
    write_result_json(tmp_path / "r.json", doc)
    recs = expand_records(json.loads((tmp_path / "r.json").read_text()))
    assert [(r["commit"], r["command"], r["machine"]) for r in recs] == [("c1", "cmd", "m"), ("old", "older", "m")]


def test_recorder_measures_like_the_harness(tmp_path):
    ds = genad.datasets.load("breast-cancer", random_state=0)
    rec = Recorder("topic", tmp_path / "r.json", command="python x.py")
    r = rec.measure(genad.PCA(random_state=0), ds, dataset="breast-cancer", seed=0)
    bad = rec.measure(_Broken(), ds, dataset="breast-cancer", seed=0)
    assert r["status"] == "ok" and r["roc_auc"] > 0.9 and r["fit_seconds"] >= 0 and "oracle_f1" in r
    assert bad["status"] == "error" and "boom" in bad["error"] and bad["detector"] == "_Broken"
    # a detector without threshold_ (a scikit-learn Pipeline) is measured too, with the oracle figures
    from sklearn.decomposition import PCA as SkPCA
    from sklearn.pipeline import make_pipeline
    pipe = rec.measure(make_pipeline(SkPCA(5), genad.KDE(random_state=0)), ds, dataset="breast-cancer", seed=0)
    assert pipe["status"] == "ok" and "oracle_f1" in pipe and pipe["roc_auc"] > 0.8
    doc = json.loads(rec.write().read_text())
    assert doc["command"] == "python x.py" and doc["commit"] and doc["machine"].startswith(str(doc["environment"]["cpu_affinity"]))


def _doc(values: dict) -> dict:
    """A results document: values = {detector: [per-seed ROC-AUC on two datasets]}."""
    recs = [{"dataset": ds, "detector": det, "seed": seed, "roc_auc": v + (0.01 if ds == "b" else 0.0),
             "status": "ok", "fit_seconds": 1.0}
            for det, vs in values.items() for seed, v in enumerate(vs) for ds in ("a", "b")]
    return {"schema": "genad-bench/2", "suite": "default", "records": recs, "options": {"detectors": list(values)}}


def test_reading_names_the_winner_against_the_seed_spread():
    clear = reading(_doc({"KNN": [0.90, 0.91, 0.92], "PCA": [0.80, 0.81, 0.80]}))
    assert clear[0].startswith("Winner: KNN (mean ROC-AUC over 2 datasets 0.915), 0.107 ahead of PCA (0.808)")
    assert "clear lead" in clear[0]
    close = reading(_doc({"KNN": [0.90, 0.80, 0.92], "PCA": [0.85, 0.85, 0.85]}))
    assert "no clear winner" in close[0]
    one = reading(_doc({"KNN": [0.90], "PCA": [0.80]}))
    assert "one seed only" in one[0]
    assert any(line.startswith("Caveats of this suite: tiny training sets") for line in clear)


def test_compact_table_fits_a_terminal():
    names = {"PointAggregate(IsolationForest,mean)-with-a-very-long-name-indeed": [0.7, 0.71],
             **{f"pyod:Detector{i}": [0.5 + i / 100, 0.52] for i in range(20)}}
    table = compact_table(_doc(names))
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert len(lines) == 2 + len(names)
    assert lines[2].split()[1] == "PointAggregate(IsolationForest,mean)-with-a-very-long-name-indeed"[:len(lines[2].split()[1]) - 1] + "~"


def test_group_detectors_get_groups(monkeypatch, tmp_path):
    monkeypatch.setitem(bench.SUITES, GROUP_SUITE, Suite(GROUP_SUITE, "groups", kind="group", specs=(
        DatasetSpec("synthetic-point", "synthetic-groups", {"kind": "point", "n_train_groups": 20}),)))
    monkeypatch.setitem(registry._ENTRIES, GROUP_SUITE, {})
    registry.register("GroupMean", lambda ds, seed: _GroupMean(), suites=[GROUP_SUITE], kind="group")
    registry.register("PCA", lambda ds, seed: genad.PCA(), suites=[GROUP_SUITE])
    res = bench.run_suite(GROUP_SUITE, out_dir=tmp_path, progress=False)
    by = {r["detector"]: r for r in res.records}
    assert by["GroupMean"]["status"] == "ok" and by["GroupMean"]["n_test"] == 60
    assert 0.0 <= by["GroupMean"]["roc_auc"] <= 1.0
    assert by["PCA"]["status"] == "error" and "point detector" in by["PCA"]["error"]


def test_pyod_counterparts_report_the_same_metrics(tiny):
    pytest.importorskip("pyod")
    res = bench.run_suite(tiny, detectors=["pyod:KNN", "pyod:IForest"], progress=False, write=False)
    for r in res.records:
        assert r["status"] == "ok", r.get("error")
        assert r["roc_auc"] > 0.8 and r["n_parameters"] > 0 and r["model_bytes"] is None
        assert r["threshold_rule"].startswith("pyod contamination")


def test_flattened_adapter_runs_classic_detectors_on_images(tmp_path):
    ds = genad.datasets.load("digits", normal_class=1)
    det = Flattened(genad.KDE(), n_components=8, random_state=0).fit(ds.X_train)
    s = det.decision_function(ds.X_test)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(ds.y_test, s) > 0.9
    det.save(tmp_path / "m.genad")
    assert np.allclose(genad.load(tmp_path / "m.genad").decision_function(ds.X_test), s)


def test_classic_detectors_are_registered_for_their_suites():
    names = {"PCA", "OCSVM", "IsolationForest", "KDE", "GMM", "KNN"}
    for suite in ("default", "ff12-kdd", "ecg5000", "adbench", "mnist", "cifar10"):
        assert names <= {e.name for e in registry.entries(suite)}
    assert all(e.slow for e in registry.entries("mnist") if e.name in names)
    ff = {e.name: e for e in registry.entries("ff12-kdd")}
    assert ff["OCSVM"].factory(None, 0).preprocessing == "minmax"
    assert set(bench.SUITES) >= {"default", "ff12-kdd", "ecg5000", "mnist", "cifar10", "adbench",
                                 "sdss-groups", "synthetic-groups"}


def test_result_summary_and_repr_for_the_cli(tiny, tmp_path):
    res = bench.run_suite(tiny, out_dir=tmp_path, progress=False, plots=False)
    md = res.summary_markdown()
    assert md == (tmp_path / "summary.md").read_text()
    assert "## ROC-AUC" in md and "| digits-3 |" in md
    assert repr(res).startswith(f"BenchResult(suite='{tiny}', runs=3, failed=1")


def test_merge_adds_detectors_and_seeds_to_a_recorded_run(tiny, tmp_path):
    from genad.bench.results import expand_records
    from genad.bench.runner import merge_results

    bench.run_suite(tiny, out_dir=tmp_path, seeds=1, detectors=["PCA", "Curve"], progress=False, plots=False,
                    command="first")
    more = bench.run_suite(tiny, seeds=[0, 1], detectors=["Curve"], progress=False, write=False, command="second")
    merge_results(tmp_path, more, plots=False)
    doc = validate_result_json(json.loads((tmp_path / "results.json").read_text()))
    got = sorted((r["detector"], r["seed"], r["command"]) for r in expand_records(doc))
    assert got == [("Curve", 0, "second"), ("Curve", 1, "second"), ("PCA", 0, "first")]
    assert doc["options"]["seeds"] == [0, 1]
    assert "| digits-3 | " in (tmp_path / "summary.md").read_text()
