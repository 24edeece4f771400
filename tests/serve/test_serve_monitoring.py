"""GET /v1/models/{name}/drift from the rows the service scored, and POST .../feedback."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from genad.monitor import FeedbackStore


def _score(client, name, X):
    r = client.post(f"/v1/models/{name}/score", json={"rows": np.asarray(X).tolist()})
    assert r.status_code == 200, r.text
    return r.json()


def test_drift_follows_the_scored_rows(client):
    rng = np.random.default_rng(0)
    r = client.get("/v1/models/iso/drift")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["drift"] is False and doc["rows_seen"] == 0 and doc["tests"]["score"]["status"].startswith("waiting")
    for _ in range(4):  # 1,200 normal rows: the first 1,000 become the score and input reference
        _score(client, "iso", rng.normal(size=(300, 5)))
    calm = client.get("/v1/models/iso/drift").json()
    assert calm["rows_seen"] == 1200 and calm["window"] == 200 and calm["tests"]["inputs"]["status"] == "ok"
    assert calm["tests"]["score"]["reference"] == "stream"  # iso: cross-conformal calibration
    assert calm["drift"] is False and calm["batch"] == 2
    moved = rng.normal(size=(1000, 5))
    moved[:, 2] += 2.0
    for part in np.array_split(moved, 4):
        _score(client, "iso", part)
    doc = client.get("/v1/models/iso/drift", params={"history": 2}).json()
    assert doc["drift"] is True and doc["features"] == ["c"] and doc["since"] == 3
    assert doc["since_time"] == doc["time"] and doc["p_value"] < 0.01
    assert [h["batch"] for h in doc["history"]] == [2, 3] and doc["history"][-1]["drift"] is True
    assert "score_p_value" in doc["history"][-1] and doc["model"] == "iso" and len(doc["digest"]) == 64


def test_drift_latent_test_on_a_model_with_codes(client):
    rng = np.random.default_rng(1)
    for _ in range(2):
        _score(client, "ae", rng.normal(size=(600, 5)))
    doc = client.get("/v1/models/ae/drift").json()
    assert doc["tests"]["latent"]["status"] == "ok" and 0 < doc["tests"]["latent"]["p_value"] <= 1


def test_new_upload_starts_a_new_monitor(client, model_files):
    rng = np.random.default_rng(2)
    _score(client, "iso", rng.normal(size=(100, 5)))
    assert client.get("/v1/models/iso/drift").json()["rows_seen"] == 100
    r = client.put("/v1/models/iso", content=(model_files / "ae2.genad").read_bytes(),
                   headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    doc = client.get("/v1/models/iso/drift").json()
    assert doc["rows_seen"] == 0 and doc["digest"] == r.json()["digest"]


def test_drift_errors(client):
    r = client.get("/v1/models/nope/drift")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/v1/models/iso/drift", params={"history": 9999})
    assert r.status_code == 400
    r = client.get("/v1/models/iso/drift", headers={"Authorization": ""})
    assert r.status_code == 401


def test_feedback_is_stored_beside_the_model(client, models_dir):
    r = client.post("/v1/models/iso/feedback", json={"verdicts": [
        {"key": "flow-1", "verdict": 1}, {"key": "flow-2", "verdict": 0, "who": "ana", "score": 0.3,
                                          "row": [0, 1, 2, 3, 4]}]})
    assert r.status_code == 200, r.text
    assert r.json() == {"model": "iso", "stored": 2, "records": 2, "keys": 2, "anomalies": 1, "normals": 1}
    df = FeedbackStore(models_dir / "iso.feedback.sqlite").records()
    assert df["who"].tolist() == ["key:ops", "ana"] and set(df["model"]) == {"iso"}
    # the models folder still serves the same models
    assert client.get("/readyz").json()["models"] == 3


@pytest.mark.parametrize("body, status, words", [
    (b"not json", 400, "JSON"),
    (b'{"rows": []}', 400, "verdicts"),
    (b'{"verdicts": []}', 400, "verdicts"),
    (b'{"verdicts": [{"key": "a", "verdict": 5}]}', 422, "verdict must be 1"),
    (b'{"verdicts": [3]}', 422, "expected an object"),
])
def test_feedback_bad_bodies(client, models_dir, body, status, words):
    r = client.post("/v1/models/iso/feedback", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert words in r.json()["error"]["message"]
    path = models_dir / "iso.feedback.sqlite"
    assert not path.exists() or len(FeedbackStore(path)) == 0


def test_feedback_concurrent_posts(client, models_dir):
    def post(j):
        for i in range(10):
            r = client.post("/v1/models/iso/feedback", json={"verdicts": [{"key": f"{j}-{i}", "verdict": i % 2}]})
            assert r.status_code == 200

    threads = [threading.Thread(target=post, args=(j,)) for j in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(FeedbackStore(models_dir / "iso.feedback.sqlite")) == 60
