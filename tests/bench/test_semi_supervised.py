"""ADBench's semi-supervised protocol in the harness: labelled training anomalies reach fit(X, y)."""

from __future__ import annotations

import numpy as np
import pytest

import genad
import genad.bench as bench
from genad.bench import registry
from genad.bench.suites import ADBENCH_SEMI, DatasetSpec, Suite, semi_supervised_labels

SUITE = "test-semi"


def test_semi_supervised_labels_follow_the_protocol():
    y = np.r_[np.zeros(900), np.ones(100)].astype(int)
    lab = semi_supervised_labels(y, 0.05, seed=0)
    assert set(np.unique(lab)) == {-1, 1}
    assert (lab == 1).sum() == 5 and (y[lab == 1] == 1).all()
    np.testing.assert_array_equal(lab, semi_supervised_labels(y, 0.05, seed=0))
    assert not np.array_equal(lab, semi_supervised_labels(y, 0.05, seed=1))
    # at least one labelled anomaly, never more than there are
    assert (semi_supervised_labels(np.r_[np.zeros(50), np.ones(3)], 0.01, 0) == 1).sum() == 1
    assert (semi_supervised_labels(np.zeros(10), 0.1, 0) == -1).all()


def test_semi_supervised_suites_and_registrations():
    for name, fraction in ADBENCH_SEMI.items():
        assert name in bench.SUITES and f"{fraction:.0%}" in bench.SUITES[name].description
        names = {e.name for e in registry.entries(name)}
        assert {"DevNet", "DeepSAD", "DeepSVDD", "IsolationForest", "AutoEncoder"} <= names
    assert "DevNet" not in {e.name for e in registry.entries("adbench")}
    assert "DeepSVDD" in {e.name for e in registry.entries("adbench")}
    pytest.importorskip("pyod")
    from genad.bench.pyod_entries import pyod_entries

    assert "pyod:DevNet" in {e.name for e in pyod_entries("adbench-semi-5")}
    assert "pyod:DevNet" not in {e.name for e in pyod_entries("adbench")}


def test_harness_passes_labels_to_fit(monkeypatch, tmp_path):
    spec = DatasetSpec("bc", "breast-cancer", {"contamination": 0.1}, labelled=0.3)
    ds = spec.load(0)
    assert (ds.y_fit == 1).sum() == ds.metadata["labelled_anomalies"] > 0
    assert (ds.y_train[ds.y_fit == 1] == 1).all()
    assert "30% of the training anomalies labelled" in spec.describe()
    monkeypatch.setitem(bench.SUITES, SUITE, Suite(SUITE, "semi test suite", specs=(spec,)))
    monkeypatch.setitem(registry._ENTRIES, SUITE, {})
    registry.register("DevNet", lambda ds, seed: genad.DevNet(epochs=3, random_state=seed), suites=[SUITE])
    registry.register("PCA", lambda ds, seed: genad.PCA(random_state=seed), suites=[SUITE])
    res = bench.run_suite(SUITE, progress=False, write=False)
    by = {r["detector"]: r for r in res.records}
    assert by["DevNet"]["status"] == "ok", by["DevNet"].get("error")  # fit(X) alone would fail
    assert by["DevNet"]["roc_auc"] > 0.8
    assert by["PCA"]["status"] == "ok" and by["PCA"]["roc_auc"] > 0.6


def test_recorder_measure_passes_labels(tmp_path):
    from genad.bench.results import Recorder

    ds = DatasetSpec("bc", "breast-cancer", {"contamination": 0.1}, labelled=0.3).load(0)
    rec = Recorder("test", tmp_path / "r.json")
    r = rec.measure(genad.DevNet(epochs=3, random_state=0), ds, dataset="bc", seed=0, y_train=ds.y_fit)
    assert r["status"] == "ok" and r["roc_auc"] > 0.8
    r = rec.measure(genad.DevNet(epochs=3, random_state=0), ds, dataset="bc", seed=0)
    assert r["status"] == "error" and "needs some labelled anomalies" in r["error"]
