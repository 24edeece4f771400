"""The training jobs API behind /train: jobs, queue, pause/resume/cancel, SSE, results, save."""

from __future__ import annotations

import io
import json
import time

import numpy as np
import pytest

import genad
from genad.metrics import evaluate


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


FAST_AE = {"epochs": 3, "hidden": [8, 4], "latent_dim": 2, "batch_size": 64, "patience": None}


def _wait(client, job_id, states=("done", "failed", "cancelled"), timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/train/jobs/{job_id}").json()
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s")


def _start(client, **spec):
    spec.setdefault("data", {"name": "breast-cancer"})
    spec.setdefault("detector", "AutoEncoder")
    spec.setdefault("params", dict(FAST_AE))
    r = client.post("/v1/train/jobs", json=spec)
    assert r.status_code == 202, r.text
    return r.json()


def test_forms_list_detectors_and_datasets(client):
    dets = {d["name"]: d for d in client.get("/v1/train/detectors").json()["detectors"]}
    assert {"AutoEncoder", "VAE", "AdversarialAutoEncoder", "IsolationForest", "OCSVM"} <= set(dets)
    assert dets["AutoEncoder"]["composer"] and dets["AutoEncoder"]["streams"]
    assert not dets["IsolationForest"]["composer"] and not dets["IsolationForest"]["streams"]
    opt = {f["name"]: f for f in dets["VAE"]["fields"]}["optimizer"]
    assert opt["choices"] == ["adam", "adamax", "adadelta", "rmsprop", "momentum", "sgd"]
    assert "callbacks" not in {f["name"] for f in dets["VAE"]["fields"]}
    ds = client.get("/v1/train/datasets").json()["datasets"]
    names = [d["name"] for d in ds]
    assert names[:4] == ["ecg5000", "kdd99-ff12", "breast-cancer", "digits"]
    assert sum(d["default"] for d in ds) == 1
    assert {d["name"]: d["present"] for d in ds}["breast-cancer"] is True


def test_job_streams_epochs_and_results_match_the_library(client, tmp_path):
    job = _start(client)
    events = []
    with client.stream("GET", f"/v1/train/jobs/{job['id']}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    names = [n for n, _ in events]
    assert names[-1] == "end" and events[-1][1]["state"] == "done"
    epochs = [d for n, d in events if n == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    assert all(e["loss"] > 0 and e["val_loss"] > 0 for e in epochs)
    assert names.index("data") < names.index("epoch")

    full = client.get(f"/v1/train/jobs/{job['id']}").json()
    res = full["results"]
    scores, labels = np.array(res["scores"]), np.array(res["labels"])
    ref = evaluate(labels, scores, res["threshold"])
    assert res["evaluate"]["tp"] == ref["tp"] and res["evaluate"]["roc_auc"] == pytest.approx(ref["roc_auc"])
    assert len(res["codes"]["x"]) == len(scores) and res["codes"]["how"] == "codes"

    # the downloaded file is the trained model: same scores on the test rows
    r = client.get(f"/v1/train/jobs/{job['id']}/model")
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('.genad"')
    path = tmp_path / "m.genad"
    path.write_bytes(r.content)
    det = genad.load(path)
    sample = client.get(f"/v1/train/jobs/{job['id']}/samples/5").json()
    x = np.array([sample["input"]], dtype=np.float32)
    np.testing.assert_allclose(det.decision_function(x)[0], scores[5], rtol=1e-5)
    np.testing.assert_allclose(det.reconstruct(x)[0], sample["reconstruction"], rtol=1e-5, atol=1e-6)
    scored = client.post(f"/v1/train/jobs/{job['id']}/score", json={"rows": x.tolist()}).json()
    assert scored["scores"][0] == pytest.approx(scores[5], rel=1e-5)
    assert len(scored["reconstructions"][0]) == x.shape[1]

    # saved into the models folder: served by the scoring API with the same scores
    r = client.post(f"/v1/train/jobs/{job['id']}/save", json={"name": "bc"})
    assert r.status_code == 200, r.text
    assert "bc" in [m["name"] for m in client.get("/v1/models").json()["models"]]
    api_scores = client.post("/v1/models/bc/score", json={"rows": x.tolist()}).json()["scores"]
    assert api_scores[0] == pytest.approx(scores[5], rel=1e-5)


def test_queue_pause_resume_cancel(make_client):
    client = make_client(train_workers=1)
    long = dict(FAST_AE, epochs=100_000)
    first = _start(client, params=long)
    second = _start(client, detector="IsolationForest", params={"n_estimators": 10})
    assert second["state"] == "queued"
    deadline = time.monotonic() + 180
    while not client.get(f"/v1/train/jobs/{first['id']}").json()["epochs"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert client.post(f"/v1/train/jobs/{first['id']}/pause").status_code == 200
    paused = _wait(client, first["id"], ("paused",), timeout=30)
    time.sleep(0.5)
    assert client.get(f"/v1/train/jobs/{first['id']}").json()["epochs"] == paused["epochs"]
    assert client.post(f"/v1/train/jobs/{first['id']}/resume").status_code == 200
    _wait(client, first["id"], ("running",), timeout=30)
    # a queued job can be cancelled before it starts; the running one between mini-batches
    assert client.post(f"/v1/train/jobs/{second['id']}/cancel").json()["state"] == "cancelled"
    assert client.post(f"/v1/train/jobs/{first['id']}/cancel").status_code == 200
    assert _wait(client, first["id"])["state"] == "cancelled"
    r = client.post(f"/v1/train/jobs/{first['id']}/cancel")
    assert r.status_code == 409 and "already cancelled" in r.json()["error"]["message"]
    assert client.get(f"/v1/train/jobs/{first['id']}/model").status_code == 409
    # a detector trained in one call cannot pause
    third = _start(client, detector="IsolationForest", params={"n_estimators": 10})
    assert third["pausable"] is False
    _wait(client, third["id"])


def test_contamination_moves_labelled_anomalies_into_training(client):
    job = _start(client, data={"name": "digits", "contamination": 0.2, "train_size": 60},
                 detector="IsolationForest", params={"n_estimators": 10})
    base = _start(client, data={"name": "digits"}, detector="IsolationForest", params={"n_estimators": 10})
    res, res0 = (_wait(client, j["id"])["results"] for j in (job, base))
    assert res["n_train"] == 60 and res["info"]["moved_from_test"] > 0
    assert res["n_test"] == res0["n_test"] - res["info"]["moved_from_test"]


@pytest.mark.parametrize("spec, words", [
    ({"data": {"name": "no-such-set"}, "detector": "PCA"}, "unknown dataset"),
    ({"data": {}, "detector": "PCA"}, "exactly one of data.name"),
    ({"data": {"name": "digits"}, "detector": "Nope"}, "unknown detector 'Nope'"),
    ({"data": {"name": "digits"}, "detector": "PCA", "params": {"epochs": 3}}, "PCA has no parameter(s) ['epochs']"),
    ({"data": {"name": "digits"}, "detector": "AutoEncoder", "params": {"epochs": -1}}, "epochs"),
    ({"data": {"name": "digits", "contamination": 0.9}, "detector": "PCA"}, "contamination"),
    ({"data": {"upload": "u999"}, "detector": "PCA"}, "no uploaded CSV"),
])
def test_bad_job_specs_are_400_with_the_reason(client, spec, words):
    r = client.post("/v1/train/jobs", json=spec)
    assert r.status_code == 400, r.text
    assert words in r.json()["error"]["message"]


def test_csv_upload_label_column_and_text_column(client):
    rng = np.random.default_rng(0)
    rows = ["a,b,host,label"] + [f"{x:.4f},{y:.4f},h{i % 3},{'attack' if i % 8 == 0 else 'normal'}"
                                 for i, (x, y) in enumerate(rng.normal(size=(80, 2)))]
    up = client.post("/v1/train/uploads", content="\n".join(rows).encode(), headers={"Content-Type": "text/csv"})
    assert up.status_code == 200
    body = up.json()
    assert body["rows"] == 80 and [c["numeric"] for c in body["columns"]] == [True, True, False, False]
    r = client.post("/v1/train/jobs", json={"data": {"upload": body["id"], "label": "label"}, "detector": "PCA"})
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("column 'host' holds text (e.g. 'h0')")
    r = client.post("/v1/train/jobs", json={"data": {"upload": body["id"], "label": "nope"}, "detector": "PCA"})
    assert r.status_code == 400 and "label column 'nope' is not in the CSV" in r.json()["error"]["message"]
    # labels: the most common value is normal, the rest anomalies
    two = client.post("/v1/train/uploads", content="\n".join(
        ",".join(p for j, p in enumerate(line.split(",")) if j != 2) for line in rows).encode(),
        headers={"Content-Type": "text/csv"}).json()
    job = _start(client, data={"upload": two["id"], "label": "label"}, detector="IsolationForest",
                 params={"n_estimators": 10})
    res = _wait(client, job["id"])["results"]
    assert res["n_test"] == 40 and sum(res["labels"]) == 5
    for bad in (b"", b"\xff\xfe\x00garbage\n\x00\x01"):
        r = client.post("/v1/train/uploads", content=bad, headers={"Content-Type": "text/csv"})
        assert r.status_code == 400, r.text


def test_save_needs_admin_and_a_valid_name(make_client, keys):
    client = make_client()
    client.headers.update(bearer(keys[2]))  # the score key trains and reads ...
    job = _start(client, detector="IsolationForest", params={"n_estimators": 10})
    _wait(client, job["id"])
    r = client.post(f"/v1/train/jobs/{job['id']}/save", json={"name": "x"})
    assert r.status_code == 403  # ... but only an admin key writes into the models folder
    client.headers.update(bearer(keys[1]))
    r = client.post(f"/v1/train/jobs/{job['id']}/save", json={"name": "../evil"})
    assert r.status_code == 400
    client.headers.pop("Authorization")
    assert client.get("/v1/train/jobs").status_code == 401
    assert client.get(f"/v1/train/jobs/{job['id']}/events").status_code == 401
    # EventSource cannot send headers: the key may come as a query parameter
    with client.stream("GET", f"/v1/train/jobs/{job['id']}/events?key={keys[2]}") as r:
        assert r.status_code == 200
        assert any(line == "event: end" for line in r.iter_lines())
    assert client.get("/v1/train/jobs/nope").status_code == 401
