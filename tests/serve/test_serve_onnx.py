"""ONNX files written by genad's export, served from the models folder next to .genad models:
scores equal the in-process detector's (1e-5 relative), labels at the file's threshold, p-values
from the calibration scores in its metadata (null, and said so, when a file has none), uploads
validated by loading them, broken files reported by name while the rest serve."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="serving ONNX files needs the [export] extra (onnx, onnxruntime)")

import genad  # noqa: E402

RTOL = 1e-5
PARQUET = "application/vnd.apache.parquet"


def _close(got, want):
    want = np.asarray(want, dtype=np.float64)
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want, rtol=RTOL, atol=RTOL * np.abs(want).max())


def _without_calibration(src, dst):
    """A copy of an exported model without the calibration scores in its metadata (no p-values)."""
    import onnx

    m = onnx.load(str(src))
    keep = [(p.key, p.value) for p in m.metadata_props if p.key != "genad.calibration_scores"]
    del m.metadata_props[:]
    for k, v in keep:
        m.metadata_props.add(key=k, value=v)
    onnx.save(m, str(dst))


@pytest.fixture(scope="module")
def onnx_files(tmp_path_factory, model_files, serve_data):
    """iso/ae/seq of the .genad fixtures exported to ONNX, a KNN, and ae without calibration scores."""
    d = tmp_path_factory.mktemp("onnx_files")
    dets = {name: genad.load(model_files / f"{name}.genad") for name in ("iso", "ae", "seq")}
    dets["knn"] = genad.KNN().fit(serve_data["train"].to_numpy())
    for name, det in dets.items():
        det.export_onnx(d / f"{name}.onnx")
    _without_calibration(d / "ae.onnx", d / "bare.onnx")
    return d, dets


@pytest.fixture
def onnx_dir(models_dir, onnx_files):
    """The models folder with iso/ae/seq.genad plus iso_x/ae_x/seq_x/knn_x/bare_x.onnx."""
    d, _ = onnx_files
    for name in ("iso", "ae", "seq", "knn", "bare"):
        shutil.copy(d / f"{name}.onnx", models_dir / f"{name}_x.onnx")
    return models_dir


def _err(r, status, code=None, words=()):
    assert r.status_code == status, r.text
    body = r.json()["error"]
    if code:
        assert body["code"] == code, body
    for w in words:
        assert w in body["message"], body
    return body["message"]


def test_listed_with_format_and_scored_like_the_detector(make_client, onnx_dir, onnx_files, serve_data):
    _, dets = onnx_files
    c = make_client(models=onnx_dir)
    listing = c.get("/v1/models").json()
    by_name = {m["name"]: m for m in listing["models"]}
    assert listing["failed"] == {}
    assert by_name["iso"]["format"] == "genad" and by_name["iso_x"]["format"] == "onnx"
    assert by_name["iso_x"]["detector"] == "IsolationForest" and by_name["knn_x"]["detector"] == "KNN"
    assert by_name["iso_x"]["input"]["feature_names"] == ["a", "b", "c", "d", "e"]
    assert by_name["ae_x"]["input"]["feature_names"] is None  # fitted on an array: no names
    assert by_name["ae_x"]["has_p_values"] and not by_name["bare_x"]["has_p_values"]
    X = serve_data["test"]
    for name in ("iso", "ae", "knn"):
        det = dets[name]
        assert by_name[name + "_x"]["threshold"] == det.threshold_
        body = c.post(f"/v1/models/{name}_x/score", json={"rows": X.to_numpy().tolist()}).json()
        want = det.decision_function(X.to_numpy())
        _close(body["scores"], want)
        assert body["threshold"] == det.threshold_
        assert body["labels"] == (np.asarray(body["scores"]) > det.threshold_).astype(int).tolist()
        assert sum(body["labels"]) >= 5  # the six far-away rows are flagged
        np.testing.assert_allclose(body["p_values"], genad.thresholds.conformal_p_values(
            det.calibration_scores_, body["scores"]))
    # records are matched to the file's feature names, in any column order
    rec = X[["e", "d", "c", "b", "a"]].to_dict(orient="records")
    _close(c.post("/v1/models/iso_x/score", json={"records": rec}).json()["scores"],
           dets["iso"].decision_function(X))
    _err(c.post("/v1/models/iso_x/score", json={"records": X.drop(columns="e").to_dict(orient="records")}),
         422, "invalid_input", ["e"])
    seq = serve_data["seq_test"]
    _close(c.post("/v1/models/seq_x/score", json={"rows": seq.tolist()}).json()["scores"],
           dets["seq"].decision_function(seq))
    _err(c.post("/v1/models/ae_x/score", json={"rows": [[1.0, 2.0]]}), 422, "invalid_input", ["5"])


def test_file_without_calibration_scores_says_so(make_client, onnx_dir, onnx_files, serve_data):
    import pyarrow.parquet as pq

    _, dets = onnx_files
    c = make_client(models=onnx_dir)
    X = serve_data["test"].to_numpy()
    body = c.post("/v1/models/bare_x/score", json={"rows": X.tolist()}).json()
    assert body["p_values"] is None
    _close(body["scores"], dets["ae"].decision_function(X))
    _err(c.post("/v1/models/bare_x/score?fpr=0.05", json={"rows": X.tolist()}), 400, "bad_request",
         ["calibration scores"])
    r = c.post("/v1/models/bare_x/score?threshold=0", json={"rows": X.tolist()})
    assert r.json()["labels"] == [1] * len(X)
    r = c.post("/v1/models/bare_x/score", json={"rows": X.tolist()}, headers={"Accept": PARQUET})
    t = pq.read_table(io.BytesIO(r.content))
    assert t.column("p_value").null_count == len(X)
    schema = c.get("/openapi.json").json()["components"]["schemas"]["ScoreResponse"]["properties"]["p_values"]
    assert "null when the model has no calibration scores" in schema["description"]
    with pytest.raises(ValueError, match="no calibration scores"):
        genad.export.OnnxDetector(onnx_dir / "bare_x.onnx").p_values(X)


def test_broken_onnx_files_reported_by_name_rest_serve(make_client, onnx_dir, onnx_files):
    d, _ = onnx_files
    (onnx_dir / "garbage.onnx").write_bytes(b"\x08\x07 this is not a protobuf graph")
    (onnx_dir / "iso.onnx").write_bytes((d / "iso.onnx").read_bytes())  # iso.genad is there too
    import onnx
    from onnx import helper

    graph = helper.make_graph([helper.make_node("Identity", ["X"], ["score"])], "g",
                              [helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, ["n"])],
                              [helper.make_tensor_value_info("score", onnx.TensorProto.FLOAT, ["n"])])
    onnx.save(helper.make_model(graph), str(onnx_dir / "foreign.onnx"))  # valid ONNX, not from genad
    c = make_client(models=onnx_dir)
    body = c.get("/v1/models").json()
    assert sorted(body["failed"]) == ["foreign", "garbage", "iso"]
    assert "garbage.onnx" in body["failed"]["garbage"] and "not an ONNX model" in body["failed"]["garbage"]
    assert "not written by genad" in body["failed"]["foreign"]
    assert "remove one" in body["failed"]["iso"]
    assert {"ae", "ae_x", "knn_x", "seq"} <= {m["name"] for m in body["models"]}
    assert c.post("/v1/models/knn_x/score", json={"rows": [[0.0] * 5]}).status_code == 200


def test_upload_onnx_replaces_and_deletes(client, models_dir, onnx_files, serve_data):
    d, dets = onnx_files
    raw = (d / "knn.onnx").read_bytes()
    X = serve_data["test"].to_numpy()
    r = client.put("/v1/models/fresh", content=raw)
    assert r.status_code == 201, r.text
    assert r.json()["format"] == "onnx" and (models_dir / "fresh.onnx").read_bytes() == raw
    _close(client.post("/v1/models/fresh/score", json={"rows": X.tolist()}).json()["scores"],
           dets["knn"].decision_function(X))
    # an ONNX upload replaces a .genad model of the same name (and the other way round)
    r = client.put("/v1/models/ae", content=raw)
    assert r.status_code == 200 and r.json()["format"] == "onnx"
    assert not (models_dir / "ae.genad").exists() and (models_dir / "ae.onnx").exists()
    genad_raw = (models_dir / "iso.genad").read_bytes()
    r = client.put("/v1/models/fresh", content=genad_raw)
    assert r.status_code == 200 and r.json()["format"] == "genad"
    assert sorted(p.name for p in models_dir.iterdir()) == ["ae.onnx", "fresh.genad", "iso.genad", "seq.genad"]
    assert client.delete("/v1/models/ae").json() == {"deleted": "ae"}
    assert not (models_dir / "ae.onnx").exists()
    assert not list(models_dir.glob(".*"))


@pytest.mark.parametrize("kind", ["truncated", "not_onnx", "foreign", "external_data"])
def test_bad_onnx_upload_rejected_old_model_kept(client, models_dir, onnx_files, tmp_path, kind):
    import onnx

    d, _ = onnx_files
    raw = (d / "ae.onnx").read_bytes()
    if kind == "truncated":
        body = raw[: len(raw) // 2]
    elif kind == "not_onnx":
        body = b"import os; os.system('echo pwned')"
    else:
        m = onnx.load(str(d / "ae.onnx"))
        if kind == "foreign":
            del m.metadata_props[:]
        else:  # a weight read from a file elsewhere on the server's disk
            t = m.graph.initializer[0]
            t.ClearField("raw_data")
            t.ClearField("float_data")
            t.data_location = onnx.TensorProto.EXTERNAL
            t.external_data.add(key="location", value="../../../../etc/passwd")
        body = m.SerializeToString()
    before = client.get("/v1/models/ae").json()
    msg = _err(client.put("/v1/models/ae", content=body), 422, "invalid_model", ["not replaced"])
    assert ".upload-" not in msg and str(models_dir) not in msg
    if kind == "external_data":
        assert "external" in msg
    assert client.get("/v1/models/ae").json() == before
    _err(client.put("/v1/models/newone", content=body), 422, "invalid_model", ["not stored"])
    assert sorted(p.name for p in models_dir.iterdir()) == ["ae.genad", "iso.genad", "seq.genad"]


def test_onnx_detector_matches_inprocess_contract(onnx_files, serve_data):
    d, dets = onnx_files
    from genad.export import OnnxDetector

    X = serve_data["test"]
    o = OnnxDetector(d / "iso.onnx")
    _close(o.decision_function(X), dets["iso"].decision_function(X))
    assert np.array_equal(o.predict(X), dets["iso"].predict(X))
    np.testing.assert_array_equal(o.p_values(X), dets["iso"].p_values(X))
    with pytest.raises(ValueError, match="NaN"):
        o.decision_function(np.full((2, 5), np.nan))
    with pytest.raises(ValueError, match="over the limit"):
        OnnxDetector(d / "iso.onnx", max_bytes=100)


def test_live_stream_with_an_onnx_model(live_models, tmp_path):
    """An ONNX model streams beside its .genad original with the same counts; its row detail says
    it has no explanation; a file without calibration scores cannot join a stream (no p-values)."""
    import time

    from fastapi.testclient import TestClient

    from genad.serve import create_app

    src, ds = live_models
    folder = tmp_path / "live"
    folder.mkdir()
    shutil.copy(src / "pca.genad", folder / "pca.genad")
    genad.load(src / "pca.genad").export_onnx(folder / "pcax.onnx")
    _without_calibration(folder / "pcax.onnx", folder / "bare.onnx")
    with TestClient(create_app(folder, auth=False)) as c:
        r = c.post("/v1/streams", json={"models": ["pca", "pcax"], "source": "breast-cancer", "rate": 2000,
                                        "order": "file"})
        assert r.status_code == 201, r.text
        assert r.json()["detectors"]["pcax"]["detector"] == "PCA"
        sid = r.json()["id"]
        deadline = time.monotonic() + 30
        while not (st := c.get(f"/v1/streams/{sid}").json())["done"]:
            assert time.monotonic() < deadline, st
            time.sleep(0.05)
        for k in ("tp", "fp", "tn", "fn"):
            assert st["models"]["pcax"][k] == st["models"]["pca"][k], k
        d = c.get(f"/v1/streams/{sid}/rows/3").json()
        assert d["models"]["pcax"]["contribution"] is None and "ONNX" in d["models"]["pcax"]["contribution_note"]
        assert d["models"]["pcax"]["score"] == pytest.approx(d["models"]["pca"]["score"], rel=RTOL)
        assert len(d["models"]["pca"]["contribution"]) == ds.X_test.shape[1]
        _err(c.post("/v1/streams", json={"models": ["bare"], "source": "breast-cancer"}), 422, "invalid_input",
             ["calibration scores"])
