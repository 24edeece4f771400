"""The feedback store (append-only, concurrent writers) and retraining from verdicts."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import numpy as np
import pandas as pd
import pytest

import genad
from genad.monitor import (FeedbackStore, fit_with_labels, labels_for_keys, retrain, retrain_file,
                           store_path)


def test_store_appends_and_latest_verdict_wins(tmp_path):
    store = FeedbackStore(tmp_path / "m.feedback.sqlite")
    assert store.add("a", 1, "ana", when="2026-11-30T05:00:00Z", model="m", score=3.5, row=[1, 2]) == 1
    store.add_many([{"key": "b", "verdict": 0, "who": "ben"}, {"key": 7, "verdict": 1, "who": "cy"}])
    store.add("a", 0, "dan")
    assert store.labels() == {"7": 1, "a": 0, "b": 0}
    df = store.records()
    assert list(df["key"]) == ["a", "b", "7", "a"] and df.loc[0, "when"].startswith("2026-11-30T05:00:00")
    assert df.loc[0, "row"] == [1.0, 2.0] and df.loc[0, "score"] == 3.5
    assert store.summary() == {"records": 4, "keys": 3, "anomalies": 1, "normals": 2}
    with sqlite3.connect(store.path) as con, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM feedback")
    with sqlite3.connect(store.path) as con, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE feedback SET verdict = 1")
    assert len(FeedbackStore(store.path)) == 4  # reopened: nothing lost
    assert store_path(tmp_path / "netflow.genad") == tmp_path / "netflow.feedback.sqlite"


@pytest.mark.parametrize("rec, words", [
    ({"key": "", "verdict": 1, "who": "a"}, "key"),
    ({"key": "k", "verdict": 2, "who": "a"}, "verdict must be 1"),
    ({"key": "k", "verdict": True, "who": "a"}, "verdict must be 1"),
    ({"key": "k", "verdict": "1", "who": "a"}, "verdict must be 1"),
    ({"key": "k", "verdict": 1, "who": ""}, "who"),
    ({"key": "k", "verdict": 1, "who": "a", "when": "yesterday"}, "ISO 8601"),
    ({"key": "k", "verdict": 1, "who": "a", "row": [1, float("nan")]}, "finite"),
    ({"key": "k", "verdict": 1, "who": "a", "color": "red"}, "unknown field"),
])
def test_bad_verdicts_are_refused_whole(tmp_path, rec, words):
    store = FeedbackStore(tmp_path / "s.sqlite")
    with pytest.raises(ValueError, match=words):
        store.add_many([{"key": "ok", "verdict": 1, "who": "a"}, rec])
    assert len(store) == 0


def _write(path, who, n):
    store = FeedbackStore(path)
    for i in range(n):
        store.add(f"{who}-{i}", i % 2, who)


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "c.sqlite"
    FeedbackStore(path)
    threads = [threading.Thread(target=_write, args=(path, f"t{j}", 40)) for j in range(6)]
    procs = [multiprocessing.get_context("spawn").Process(target=_write, args=(path, f"p{j}", 40)) for j in range(2)]
    for w in threads + procs:
        w.start()
    for w in threads + procs:
        w.join()
    assert all(p.exitcode == 0 for p in procs)
    assert len(FeedbackStore(path)) == 320 and len(FeedbackStore(path).labels()) == 320


def test_labelled_rows_and_keys(tmp_path):
    store = FeedbackStore(tmp_path / "r.sqlite")
    store.add("x", 1, "a", row=[0.0, 1.0])
    store.add("y", 0, "a")
    X, y, keys = store.labelled_rows()
    assert X.tolist() == [[0.0, 1.0]] and y.tolist() == [1] and keys == ["x"]
    assert labels_for_keys(["y", "x", "z", 4], store.labels()).tolist() == [0, 1, -1, -1]


def _stream(seed=0, n=1500, d=5, frac=0.05):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < frac).astype(int)
    X[y == 1] += rng.normal(3, 0.5, size=(y.sum(), d)) * rng.choice([-1, 1], size=(y.sum(), d))
    return X, y


def test_fit_with_labels_leaves_known_anomalies_out():
    X, y = _stream()
    lab = np.where(y == 1, 1, -1)
    det = fit_with_labels(genad.KNN(), X, lab)
    assert len(det.decision_scores_) == int((y == 0).sum())
    with pytest.raises(ValueError, match="one label per row"):
        fit_with_labels(genad.KNN(), X, lab[:-1])
    with pytest.raises(ValueError, match=r"only 1 \(known anomaly\), 0 \(known normal\) or -1 \(unlabelled\).*got 2"):
        fit_with_labels(genad.KNN(), X, np.full(len(X), 2))
    with pytest.raises(ValueError, match="every one of the 1500 rows is labelled a known anomaly"):
        fit_with_labels(genad.KNN(), X, np.ones(len(X)))


def test_retrain_promotes_a_model_that_learned_the_new_normal():
    """Old model fitted on data before a shift; the new normal is shifted: the refit with
    verdicts is better on held-out labelled items and promoted; a sabotaged candidate is not."""
    rng = np.random.default_rng(1)
    old = genad.KNN().fit(rng.normal(size=(1000, 5)))
    X, y = _stream(seed=2)
    X[y == 0] += [1.5, 0, 0, 0, 0]
    labels = np.full(len(X), -1)
    flagged = np.flatnonzero(old.predict(X) == 1)[:200]
    labels[flagged] = y[flagged]
    res = retrain(old, X, labels, metric="f1")
    assert res.promoted, str(res)
    cur, cand = res.metrics["current"], res.metrics["candidate"]
    assert cand["roc_auc"] >= cur["roc_auc"] and cur["drift_p_value"] < 0.01 <= cand["drift_p_value"]
    assert res.lineage["version"] == 2 and res.lineage["parent"] == "v1" and res.lineage["method"] == "refit"
    assert "PROMOTED" in str(res)
    # a candidate that scores at random is refused
    bad = retrain(old, np.random.default_rng(3).permutation(X), labels, metric="f1", refit=False)
    assert not bad.promoted
    # no verdicts at all: promoted only because the current model drifts and the candidate does not
    blind = retrain(old, X, None)
    assert blind.promoted and "the current model drifts" in blind.reason, str(blind)
    assert blind.lineage["labels"] == {"anomalies": 0, "normals": 0, "unlabelled": len(X)}


def test_retrain_file_keeps_versions_and_lineage(tmp_path):
    rng = np.random.default_rng(4)
    cols = ["a", "b", "c", "d", "e"]
    genad.KNN().fit(pd.DataFrame(rng.normal(size=(1000, 5)), columns=cols)).save(tmp_path / "net.genad")
    before = (tmp_path / "net.genad").read_bytes()
    X, y = _stream(seed=5)
    X[y == 0] += [1.5, 0, 0, 0, 0]
    df = pd.DataFrame(X, columns=cols)
    labels = np.where(rng.random(len(y)) < 0.3, y, -1)
    res = retrain_file(tmp_path / "net.genad", df, labels)
    assert res.promoted, str(res)
    assert (tmp_path / "net.v1.genad").read_bytes() == before
    served = genad.load(tmp_path / "net.genad")
    assert served.lineage_["version"] == 2 and served.lineage_["parent"] == "net.v1"
    assert len(served.lineage_["parent_sha256"]) == 64 and served.lineage_["promoted"] is True
    assert (tmp_path / "net.v2.genad").read_bytes() == (tmp_path / "net.genad").read_bytes()
    # a refused candidate (no labels to compare, no drift of the served model) is kept as the
    # next version; the served file stays
    served_bytes = (tmp_path / "net.genad").read_bytes()
    calm = df[y == 0].reset_index(drop=True)
    res2 = retrain_file(tmp_path / "net.genad", calm, np.full(len(calm), -1))
    assert "too few held-out labels" in res2.reason
    assert not res2.promoted and res2.lineage["version"] == 3 and res2.lineage["parent"] == "net.v2"
    assert (tmp_path / "net.genad").read_bytes() == served_bytes
    assert genad.load(tmp_path / "net.v3.genad").lineage_["promoted"] is False
