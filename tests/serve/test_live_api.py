"""The live streams API: replay a labelled source through two models, post rows, change the
threshold, pause; counts and metrics checked against genad.metrics on the same scores."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from genad.metrics import decision_metrics
from genad.monitor import score_drift


@pytest.fixture
def live(live_models):
    from fastapi.testclient import TestClient

    from genad.serve import create_app

    with TestClient(create_app(live_models[0], auth=False)) as client:
        yield client


def _wait(client, sid, cond, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        st = client.get(f"/v1/streams/{sid}").json()
        if cond(st):
            return st
        assert time.monotonic() < deadline, f"stream state never met the condition: {st}"
        time.sleep(0.05)


def test_replay_counts_match_library_metrics(live, live_models):
    import genad

    _, ds = live_models
    r = live.post("/v1/streams", json={"models": ["pca", "ae"], "source": "breast-cancer", "rate": 2000,
                                       "order": "file"})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    st = _wait(live, sid, lambda s: s["done"])
    assert st["rows"] == st["total"] == len(ds.X_test)
    for name in ("pca", "ae"):
        det = genad.load(live_models[0] / f"{name}.genad")
        scores = det.decision_function(ds.X_test)
        m = st["models"][name]
        want = decision_metrics(ds.y_test, scores > det.threshold_)
        for k in ("tp", "fp", "tn", "fn", "accuracy", "precision", "recall", "f1"):
            assert m[k] == pytest.approx(want[k]), (name, k)
        assert m["flagged"] + m["passed"] == len(ds.X_test)
        assert m["latency_mean_ms"] > 0
        # the drift check is genad.monitor's score test on the last 500 scores
        want = score_drift(det.calibration_scores_, scores[-500:])
        assert m["drift"]["window"] == min(len(ds.X_test), 500) and m["drift"]["status"] == "ok"
        assert m["drift"]["p_value"] == pytest.approx(want["p_value"]), name
        assert m["drift"]["statistic"] == pytest.approx(want["statistic"]), name
        assert m["drift"]["warning"] == (want["p_value"] < m["drift"]["alpha"])

    # a new threshold recounts every kept row
    t = float(np.median(genad.load(live_models[0] / "pca.genad").decision_function(ds.X_test)))
    st = live.post(f"/v1/streams/{sid}/control", json={"thresholds": {"pca": t}}).json()
    scores = genad.load(live_models[0] / "pca.genad").decision_function(ds.X_test)
    want = decision_metrics(ds.y_test, scores > t)
    assert (st["models"]["pca"]["tp"], st["models"]["pca"]["fp"]) == (want["tp"], want["fp"])
    assert st["models"]["pca"]["threshold"] == t

    # the row detail: values of the row and per-feature errors for the reconstruction model
    d = live.get(f"/v1/streams/{sid}/rows/3").json()
    np.testing.assert_allclose(d["values"], ds.X_test[3], rtol=1e-6)
    assert d["feature_names"][0] == ds.feature_names[0]
    assert d["y"] == int(ds.y_test[3])
    # every model explains its score: contributions per feature that add up to it
    for name, method in (("ae", "reconstruction"), ("pca", "shapley")):
        m = d["models"][name]
        assert len(m["contribution"]) == ds.X_test.shape[1] and m["contribution_method"] == method
        assert sum(m["contribution"]) + m["contribution_base"] == pytest.approx(m["score"], rel=1e-4, abs=1e-6)
        want = genad.load(live_models[0] / f"{name}.genad").explain(ds.X_test[3:4]).values[0]
        np.testing.assert_allclose(m["contribution"], want, rtol=1e-5, atol=1e-9)
    assert "Shapley" in d["models"]["pca"]["contribution_kind"]
    assert live.get(f"/v1/streams/{sid}/rows/{10**6}").status_code == 404


def test_pause_stops_and_resume_continues(live):
    sid = live.post("/v1/streams", json={"models": ["pca", "ae"], "source": "breast-cancer", "rate": 40}).json()["id"]
    _wait(live, sid, lambda s: s["rows"] > 0)
    live.post(f"/v1/streams/{sid}/control", json={"paused": True})
    n = live.get(f"/v1/streams/{sid}").json()["rows"]
    time.sleep(0.5)
    assert live.get(f"/v1/streams/{sid}").json()["rows"] == n
    live.post(f"/v1/streams/{sid}/control", json={"paused": False, "rate": 500})
    _wait(live, sid, lambda s: s["rows"] > n)
    assert live.delete(f"/v1/streams/{sid}").status_code == 200
    assert live.get(f"/v1/streams/{sid}").status_code == 404


def test_posted_rows_are_scored_and_published(live, live_models):
    import genad

    _, ds = live_models
    sid = live.post("/v1/streams", json={"models": ["pca", "ae"], "source": "post"}).json()["id"]
    rows = ds.X_test[:4].tolist()
    r = live.post(f"/v1/streams/{sid}/rows", json={"rows": rows, "labels": [0, 1, None, 0]})
    assert r.status_code == 200, r.text
    out = r.json()
    det = genad.load(live_models[0] / "ae.genad")
    np.testing.assert_allclose(out["models"]["ae"]["scores"], det.decision_function(ds.X_test[:4]), rtol=1e-6)
    st = live.get(f"/v1/streams/{sid}").json()
    assert st["rows"] == 4
    m = st["models"]["ae"]
    assert m["tp"] + m["fp"] + m["tn"] + m["fn"] == 3  # the unlabelled row counts only as flagged/passed
    assert m["flagged"] + m["passed"] == 4

    # records with a truth column, by name
    recs = [dict(zip(ds.feature_names, map(float, r)), truth=1) for r in ds.X_test[4:6]]
    r = live.post(f"/v1/streams/{sid}/rows?label=truth", json={"records": recs})
    assert r.status_code == 200, r.text
    assert r.json()["first"] == 4

    # the events stream starts with the stream's state and its recent rows, then each new batch
    with live.stream("GET", f"/v1/streams/{sid}/events") as ev:
        lines = (line for line in ev.iter_lines() if line)
        assert next(lines) == "event: hello"
        hello = json.loads(next(lines)[len("data: "):])
        live.post(f"/v1/streams/{sid}/rows", json={"rows": rows[:1]})
        assert next(lines) == "event: rows"
        batch = json.loads(next(lines)[len("data: "):])
    assert [row["i"] for row in hello["recent"]] == list(range(6))
    assert hello["recent"][1]["y"] == 1 and hello["recent"][2]["y"] is None
    assert batch["rows"] == 7 and [r["i"] for r in batch["batch"]] == [6]
    assert batch["batch"][0]["s"]["ae"] == pytest.approx(out["models"]["ae"]["scores"][0])


@pytest.mark.parametrize("body, status, words", [
    ({"models": ["pca", "nope"], "source": "post"}, 404, "no model named 'nope'"),
    ({"models": [], "source": "post"}, 422, "pick 1 to"),
    ({"models": ["pca"], "source": "post", "rate": 0}, 422, "rate must be between"),
    ({"models": ["pca"], "source": "no-such-data"}, 422, "unknown dataset"),
    ({"models": ["pca"], "source": "kdd99-ff12"}, 422, "model 'pca'"),  # 18 columns, not 30
    ({"models": ["../x"], "source": "post"}, 400, "invalid model name"),
])
def test_bad_stream_requests(live, request, body, status, words):
    if body["source"] == "kdd99-ff12":
        request.getfixturevalue("need")("kdd99/kddcup.data_10_percent.gz", "kdd99/ffl_test_inliers.csv", "kdd99/ffl_test_outliers.csv")
    r = live.post("/v1/streams", json=body)
    assert r.status_code == status, r.text
    assert words in r.json()["error"]["message"]


def test_bad_posted_rows(live):
    sid = live.post("/v1/streams", json={"models": ["pca"], "source": "post"}).json()["id"]
    r = live.post(f"/v1/streams/{sid}/rows", json={"rows": [[1.0, 2.0]]})
    assert r.status_code == 422 and "model 'pca'" in r.json()["error"]["message"]
    r = live.post(f"/v1/streams/{sid}/rows", json={"rows": [[0.0] * 30], "labels": [2]})
    assert r.status_code == 422 and "labels must be" in r.json()["error"]["message"]
    r = live.post(f"/v1/streams/{sid}/rows", json={"rows": [[0.0] * 30], "labels": [0, 1]})
    assert r.status_code == 422 and "one entry per row" in r.json()["error"]["message"]
    r = live.post(f"/v1/streams/{sid}/control", json={"thresholds": {"other": 1.0}})
    assert r.status_code == 422 and "not in this stream" in r.json()["error"]["message"]
    assert live.get(f"/v1/streams/{sid}").json()["rows"] == 0


def test_live_routes_need_a_key(live_models, tmp_path):
    from fastapi.testclient import TestClient

    from genad.serve import create_app, new_key

    keys = tmp_path / "keys.json"
    score = new_key(keys, "pipeline", "score")
    with TestClient(create_app(live_models[0], api_keys=keys)) as c:
        assert c.post("/v1/streams", json={"models": ["pca"], "source": "post"}).status_code == 401
        assert c.get("/live").status_code == 200  # the page itself is public; its API calls carry the key
        h = {"Authorization": f"Bearer {score}"}
        assert c.post("/v1/streams", json={"models": ["pca"], "source": "post"}, headers=h).status_code == 201
        r = c.post("/v1/live/starter", json={}, headers=h)
        assert r.status_code == 403  # fitting models writes to the folder: admin only


def test_starter_models_fit_on_ff12_and_stream_its_test_rows(tmp_path, need):
    from fastapi.testclient import TestClient

    from genad.datasets import load
    from genad.serve import create_app

    need("kdd99/kddcup.data_10_percent.gz", "kdd99/ffl_test_inliers.csv", "kdd99/ffl_test_outliers.csv")
    ds = load("kdd99-ff12")
    with TestClient(create_app(tmp_path / "models", auth=False)) as c:
        src = c.get("/v1/live/sources").json()
        assert src["default"] == "kdd99-ff12" and src["starter"]["available"]
        assert any(s["id"].startswith("nab/") for s in src["nab"])
        r = c.post("/v1/live/starter", json={"detectors": ["PCA", "OCSVM"], "rows": 500})
        assert r.status_code == 202, r.text
        deadline = time.monotonic() + 120
        while (st := c.get("/v1/live/starter").json())["state"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert st == {**st, "state": "done", "fitted": ["ff12-pca", "ff12-ocsvm"], "errors": {}, "rows": 500}
        assert [m["name"] for m in c.get("/v1/models").json()["models"]] == ["ff12-ocsvm", "ff12-pca"]
        assert c.post("/v1/live/starter", json={"detectors": ["KNN"]}).status_code == 422
        r = c.post("/v1/live/starter", json={})
        assert r.status_code == 409 and "empty folder only" in r.json()["error"]["message"]
        sid = c.post("/v1/streams", json={"models": ["ff12-pca", "ff12-ocsvm"], "rate": 2000}).json()["id"]
        st = _wait(c, sid, lambda s: s["done"], timeout=60)
        assert st["source"] == "kdd99-ff12" and st["rows"] == len(ds.X_test) == 10_000
        m = st["models"]["ff12-pca"]
        assert m["tp"] + m["fn"] == int(ds.y_test.sum())
        assert m["drift"]["warning"]  # 20% attacks: the live scores are far from the calibration scores


def test_nab_series_streams_in_time_order(tmp_path, need):
    import genad
    from fastapi.testclient import TestClient

    from genad.datasets import load
    from genad.serve import create_app

    name = "nab/realKnownCause/nyc_taxi"
    need("nab/data/realKnownCause/nyc_taxi.csv", "nab/labels/combined_windows.json")
    ds = load(name)
    (tmp_path / "m").mkdir()
    genad.IsolationForest(n_estimators=50, random_state=0).fit(ds.X_train).save(tmp_path / "m" / "iso.genad")
    genad.KNN().fit(ds.X_train).save(tmp_path / "m" / "knn.genad")
    with TestClient(create_app(tmp_path / "m", auth=False)) as c:
        sid = c.post("/v1/streams", json={"models": ["iso", "knn"], "source": name, "rate": 2000}).json()["id"]
        st = _wait(c, sid, lambda s: s["rows"] >= 400)
        c.post(f"/v1/streams/{sid}/control", json={"paused": True})
        d = c.get(f"/v1/streams/{sid}/rows/5").json()
        assert d["values"] == [pytest.approx(float(ds.X_test[5, 0]))] and d["feature_names"] == ["value"]
        assert st["models"]["iso"]["tp"] + st["models"]["iso"]["fn"] == int(ds.y_test[:st["rows"]].sum())


def test_unwatched_stream_pauses(live, monkeypatch):
    from genad.serve import live as live_mod

    monkeypatch.setattr(live_mod, "IDLE_SECONDS", 0.3)
    sid = live.post("/v1/streams", json={"models": ["pca"], "source": "breast-cancer", "rate": 5}).json()["id"]
    time.sleep(1.0)  # nobody listens or asks
    st = live.get(f"/v1/streams/{sid}").json()
    assert st["paused"] and 0 < st["rows"] < 285
