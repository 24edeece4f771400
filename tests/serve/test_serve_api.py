"""The REST API through httpx (TestClient): every endpoint, every bad input, scores equal to Python."""

from __future__ import annotations

import io
import json
import logging
import threading

import numpy as np
import pandas as pd
import pytest

import genad

PARQUET = "application/vnd.apache.parquet"


def _rows(df):
    return {"rows": df.to_numpy().tolist()}


def _err(r, status, code=None, words=()):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    if code:
        assert body["error"]["code"] == code, body
    for w in words:
        assert w in body["error"]["message"], body
    return body["error"]["message"]


# ------------------------------------------------------------------ health and listing
def test_health_and_ready(client, make_client, tmp_path):
    assert client.get("/healthz", headers={"Authorization": ""}).json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["models"] == 3
    empty = make_client(models=tmp_path / "none")
    assert (tmp_path / "none").is_dir()  # created when missing
    _err(empty.get("/readyz"), 503, "not_ready")


def test_list_and_get_models(client, models_dir, serve_data):
    import hashlib

    body = client.get("/v1/models").json()
    assert [m["name"] for m in body["models"]] == ["ae", "iso", "seq"]
    iso = next(m for m in body["models"] if m["name"] == "iso")
    det = genad.load(models_dir / "iso.genad")
    assert iso["detector"] == "IsolationForest"
    assert iso["input"] == {"sample_shape": [5], "n_features": 5, "feature_names": list(serve_data["train"].columns)}
    assert iso["threshold"] == pytest.approx(det.threshold_)
    raw = (models_dir / "iso.genad").read_bytes()
    assert iso["digest"] == hashlib.sha256(raw).hexdigest() and iso["size"] == len(raw)
    assert client.get("/v1/models/seq").json()["input"]["sample_shape"] == [4, 3]
    _err(client.get("/v1/models/nope"), 404, "not_found", ["nope"])


def test_broken_model_file_is_reported_and_the_rest_serve(make_client, models_dir):
    (models_dir / "broken.genad").write_bytes(b"PK\x03\x04 not really a zip")
    (models_dir / ".hidden.genad").write_bytes(b"x")
    (models_dir / "notes.txt").write_text("ignored")
    c = make_client()
    body = c.get("/v1/models").json()
    assert [m["name"] for m in body["models"]] == ["ae", "iso", "seq"]
    assert list(body["failed"]) == ["broken"] and "damaged" in body["failed"]["broken"]
    assert c.get("/readyz").json()["failed"] == ["broken"]


# ------------------------------------------------------------------ scoring: parity and formats
@pytest.mark.parametrize("name", ["iso", "ae"])
def test_score_rows_equal_python(client, models_dir, serve_data, name):
    det = genad.load(models_dir / f"{name}.genad")
    X = serve_data["test"]
    r = client.post(f"/v1/models/{name}/score", json=_rows(X))
    assert r.status_code == 200, r.text
    body = r.json()
    want = det.decision_function(X.to_numpy())
    np.testing.assert_allclose(body["scores"], want, rtol=1e-6, atol=1e-6)
    assert body["labels"] == det.predict(X.to_numpy()).tolist()
    np.testing.assert_allclose(body["p_values"], det.p_values(X.to_numpy()), rtol=1e-12)
    assert body["threshold"] == pytest.approx(det.threshold_) and body["model"] == name and body["n"] == len(X)
    assert body["digest"] == client.get(f"/v1/models/{name}").json()["digest"] == r.headers["X-Genad-Digest"]
    assert sum(body["labels"][-6:]) >= 5  # the far-away rows are flagged


def test_score_records_csv_parquet_match_by_column_name(client, models_dir, serve_data):
    det = genad.load(models_dir / "iso.genad")
    X = serve_data["test"]
    want = det.decision_function(X)
    shuffled = X[["e", "c", "a", "d", "b"]]  # columns are matched by name, as in Python
    r = client.post("/v1/models/iso/score", json={"records": shuffled.to_dict("records")})
    np.testing.assert_allclose(r.json()["scores"], want, rtol=1e-6, atol=1e-6)
    r = client.post("/v1/models/iso/score", content=shuffled.to_csv(index=False),
                    headers={"Content-Type": "text/csv; charset=utf-8"})
    np.testing.assert_allclose(r.json()["scores"], want, rtol=1e-6, atol=1e-6)
    buf = io.BytesIO()
    shuffled.to_parquet(buf)
    r = client.post("/v1/models/iso/score", content=buf.getvalue(), headers={"Content-Type": PARQUET})
    np.testing.assert_allclose(r.json()["scores"], want, rtol=1e-6, atol=1e-6)
    r = client.post("/v1/models/iso/score", content=buf.getvalue(),
                    headers={"Content-Type": PARQUET, "Accept": PARQUET})
    assert r.headers["content-type"] == PARQUET
    out = pd.read_parquet(io.BytesIO(r.content))
    assert list(out.columns) == ["score", "label", "p_value"]
    np.testing.assert_allclose(out["score"], want, rtol=1e-6, atol=1e-6)


def test_score_sequences_as_nested_lists(client, models_dir, serve_data):
    det = genad.load(models_dir / "seq.genad")
    X = serve_data["seq_test"]
    r = client.post("/v1/models/seq/score", json={"rows": X.tolist()})
    np.testing.assert_allclose(r.json()["scores"], det.decision_function(X), rtol=1e-6, atol=1e-6)
    _err(client.post("/v1/models/seq/score", json={"rows": X[:, :3].tolist()}), 422, "invalid_input",
         ["shape (3, 3)", "shape (4, 3)"])


def test_threshold_and_fpr_per_call_only(client, models_dir, serve_data):
    det = genad.load(models_dir / "iso.genad")
    X = serve_data["test"]
    scores = det.decision_function(X)
    t = float(np.median(scores))
    body = client.post(f"/v1/models/iso/score?threshold={t}", json=_rows(X)).json()
    assert body["threshold"] == t and body["labels"] == (scores > t).astype(int).tolist()
    body = client.post("/v1/models/iso/score?fpr=0.2", json=_rows(X)).json()
    det.set_threshold(fpr=0.2)
    assert body["threshold"] == pytest.approx(det.threshold_)
    assert client.get("/v1/models/iso").json()["threshold"] != pytest.approx(det.threshold_)  # not stored
    _err(client.post(f"/v1/models/iso/score?threshold={t}&fpr=0.1", json=_rows(X)), 400, "bad_request")
    _err(client.post("/v1/models/iso/score?fpr=1.5", json=_rows(X)), 400, "bad_request", ["fpr"])
    _err(client.post("/v1/models/iso/score?fpr=abc", json=_rows(X)), 400, "bad_request", ["fpr"])
    _err(client.post("/v1/models/iso/score?threshold=nan", json=_rows(X)), 400, "bad_request")


# ------------------------------------------------------------------ scoring: bad input
def _post(client, body, ctype="application/json", name="iso"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(f"/v1/models/{name}/score", content=data, headers={"Content-Type": ctype})


@pytest.mark.parametrize("body, status, code, words", [
    (b"{not json", 400, "bad_request", ["not valid JSON"]),
    ([1, 2], 400, "bad_request", ["exactly one of"]),
    ({}, 400, "bad_request", ["exactly one of"]),
    ({"rows": [[1, 2, 3, 4, 5]], "records": [{}]}, 400, "bad_request", ["exactly one of"]),
    ({"rows": [[1, 2, 3, 4, 5]], "extra": 1}, 400, "bad_request", ["unknown field"]),
    ({"rows": []}, 422, "invalid_input", ["non-empty"]),
    ({"rows": "1,2"}, 422, "invalid_input", ["non-empty list"]),
    ({"rows": [1, 2, 3]}, 422, "invalid_input", ["list of lists"]),
    ({"rows": [[1, 2, 3, 4]]}, 422, "invalid_input", ["has 4 features", "fitted on 5 features"]),
    ({"rows": [[1, 2, None, 4, 5]]}, 422, "invalid_input", ["NaN in feature 2"]),
    (b'{"rows": [[1, 2, NaN, 4, 5]]}', 422, "invalid_input", ["NaN in feature 2"]),  # Python's JSON reads NaN
    (b'{"rows": [[1, 2, 3, 4, -Infinity]]}', 422, "invalid_input", ["infinite values in feature 4"]),
    ({"rows": [[1, 2, "x", 4, 5]]}, 422, "invalid_input", ["non-numeric"]),
    ({"rows": [[1, 2, 3, 4, 5], [1, 2]]}, 422, "invalid_input", ["could not be read as a numeric array"]),
    ({"rows": [[1, 2, 3, 4, 10**400]]}, 422, "invalid_input", ["numbers"]),
    ({"rows": [[1, 2, 3, 4, [5]]]}, 422, "invalid_input", []),
    ({"records": [{"a": 1, "b": 2, "c": 3, "d": 4}]}, 422, "invalid_input", ["missing column(s) ['e']"]),
    ({"records": [{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}]}, 422, "invalid_input", ["unexpected column(s) ['f']"]),
    ({"records": [{"a": 1, "b": 2, "c": 3, "d": 4, "e": None}]}, 422, "invalid_input", ['NaN in column "e"']),
    ({"records": [{"a": 1, "b": 2, "c": 3, "d": 4, "e": "high"}]}, 422, "invalid_input", ["non-numeric column(s) ['e']"]),
    ({"records": [[1, 2, 3, 4, 5]]}, 422, "invalid_input", ["list of objects"]),
])
def test_bad_json_bodies(client, body, status, code, words):
    _err(_post(client, body), status, code, words)


def test_bad_tables_and_media_types(client, serve_data):
    _err(_post(client, "", "text/csv"), 400, "bad_request", ["CSV body is empty"])
    _err(_post(client, "a,b,c,d,e\n", "text/csv"), 422, "invalid_input", ["no rows"])
    _err(_post(client, 'a,b\n"1,2\n', "text/csv"), 400, "bad_request", ["could not read the CSV body"])
    _err(_post(client, "a,b,c,d,e\n1,2,3,4,x\n", "text/csv"), 422, "invalid_input", ["non-numeric column(s) ['e']"])
    _err(_post(client, "a,b,c,d,e\n1,2,3,4,\n", "text/csv"), 422, "invalid_input", ['NaN in column "e"'])
    _err(_post(client, b"PAR1 garbage", PARQUET), 400, "bad_request", ["Parquet"])
    _err(_post(client, b"<xml/>", "application/xml"), 415, "unsupported_media_type", ["text/csv"])
    # a Parquet file with an extra column gets the library's words
    buf = io.BytesIO()
    serve_data["test"].assign(z=1.0).to_parquet(buf)
    _err(_post(client, buf.getvalue(), PARQUET), 422, "invalid_input", ["unexpected column(s) ['z']"])


def test_unknown_model_route_and_method(client):
    _err(client.post("/v1/models/nope/score", json={"rows": [[1]]}), 404, "not_found")
    _err(client.get("/v1/nothing"), 404, "not_found")
    _err(client.patch("/v1/models/iso"), 405)


def test_rows_cap_and_body_cap(make_client, serve_data, models_dir):
    c = make_client(max_rows=10, max_body_mb=0.01)
    _err(c.post("/v1/models/iso/score", json=_rows(serve_data["test"].head(11))), 413, "too_many_rows", ["limit is 10"])
    assert c.post("/v1/models/iso/score", json=_rows(serve_data["test"].head(10))).status_code == 200
    big = json.dumps({"rows": [[1.0] * 5] * 400}).encode()  # > 10 KiB
    _err(c.post("/v1/models/iso/score", content=big, headers={"Content-Type": "application/json"}),
         413, "payload_too_large", ["--max-body-mb"])

    def chunks():  # no Content-Length: the cap is enforced while reading
        for i in range(0, len(big), 1000):
            yield big[i:i + 1000]

    _err(c.post("/v1/models/iso/score", content=chunks(), headers={"Content-Type": "application/json"}),
         413, "payload_too_large")
    # model uploads have their own cap
    raw = (models_dir / "iso.genad").read_bytes()
    assert c.put("/v1/models/copy", content=raw).status_code == 201
    small = make_client(max_upload_mb=0.01)
    _err(small.put("/v1/models/copy2", content=raw), 413, "payload_too_large", ["--max-upload-mb"])
    assert not (models_dir / "copy2.genad").exists()


# ------------------------------------------------------------------ auth, names, limits
def test_auth(client, keys):
    _, admin, score = keys
    for path in ("/v1/models", "/v1/models/iso"):
        r = client.get(path, headers={"Authorization": ""})
        _err(r, 401, "unauthorized", ["Bearer"])
        assert r.headers["WWW-Authenticate"] == "Bearer"
        _err(client.get(path, headers={"Authorization": "Bearer wrong"}), 401, "unauthorized", ["invalid"])
        _err(client.get(path, headers={"Authorization": f"Basic {admin}"}), 401, "unauthorized")
        assert client.get(path, headers={"Authorization": f"Bearer {score}"}).status_code == 200
    sk = {"Authorization": f"Bearer {score}"}
    assert client.post("/v1/models/iso/score", json={"rows": [[0] * 5]}, headers=sk).status_code == 200
    _err(client.put("/v1/models/new", content=b"x", headers=sk), 403, "forbidden", ["admin"])
    _err(client.delete("/v1/models/iso", headers=sk), 403, "forbidden", ["admin"])
    assert client.get("/v1/models/iso").status_code == 200  # nothing was deleted
    _err(client.post("/v1/models/iso/score", json={"rows": [[0] * 5]}, headers={"Authorization": ""}), 401)


def test_key_file_stores_hashes_only(keys):
    path, admin, score = keys
    text = path.read_text()
    assert admin not in text and score not in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    from genad.serve.auth import KeyStore, hash_key

    store = KeyStore.from_file(path)
    assert store.match(admin).role == "admin" and store.match(score).role == "score"
    assert store.match(admin[:-1]) is None and hash_key(admin) in text


def test_app_refuses_to_start_without_keys(models_dir, tmp_path):
    from genad.serve import create_app

    with pytest.raises(ValueError, match="--new-key"):
        create_app(models_dir)
    with pytest.raises(ValueError, match="does not exist"):
        create_app(models_dir, api_keys=tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text('{"keys": [{"name": "x", "role": "root", "sha256": "00"}]}')
    with pytest.raises(ValueError, match="unknown role"):
        create_app(models_dir, api_keys=tmp_path / "bad.json")


@pytest.mark.parametrize("name", ["..", ".hidden", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "a%2Fb", "iso.genad",
                                  "x" * 200, "a b", "%00", "-dash"])
def test_bad_names_never_touch_files(client, models_dir, tmp_path, name):
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for r in (client.get(f"/v1/models/{name}"), client.post(f"/v1/models/{name}/score", json={"rows": [[0] * 5]}),
              client.put(f"/v1/models/{name}", content=(models_dir / "iso.genad").read_bytes()),
              client.delete(f"/v1/models/{name}")):
        assert r.status_code in (400, 404, 405), (name, r.status_code, r.text)
        assert set(r.json()) == {"error"}
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_rate_limit_429_with_retry_after(make_client, keys):
    c = make_client(rate_limit=0.5, burst=3)
    codes = [c.get("/v1/models").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = c.get("/v1/models")
    _err(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1
    # per key: the score key has its own bucket
    assert c.get("/v1/models", headers={"Authorization": f"Bearer {keys[2]}"}).status_code == 200
    assert c.get("/healthz").status_code == 200  # health is never limited


def test_concurrency_cap_fast_503(make_client):
    c = make_client(max_concurrent=2)
    gate = c.app.state.genad.gate
    gate.active = 2  # two requests in progress
    r = c.post("/v1/models/iso/score", json={"rows": [[0] * 5]})
    _err(r, 503, "overloaded")
    assert r.headers["Retry-After"] == "1"
    gate.active = 0
    assert c.post("/v1/models/iso/score", json={"rows": [[0] * 5]}).status_code == 200


def test_cors_off_by_default_and_on_for_named_origin(make_client):
    pre = {"Origin": "https://dash.example", "Access-Control-Request-Method": "POST"}
    c = make_client()
    assert "access-control-allow-origin" not in c.options("/v1/models/iso/score", headers=pre).headers
    assert "access-control-allow-origin" not in c.get("/v1/models", headers={"Origin": "https://dash.example"}).headers
    c2 = make_client(cors=["https://dash.example"])
    r = c2.options("/v1/models/iso/score", headers=pre)
    assert r.headers["access-control-allow-origin"] == "https://dash.example"
    r = c2.options("/v1/models/iso/score", headers={**pre, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_one_log_line_per_request_without_body_or_key(client, caplog, keys):
    caplog.set_level(logging.INFO, logger="genad.serve")
    client.post("/v1/models/iso/score?fpr=0.1", json={"rows": [[0.123456, 0, 0, 0, 0]] * 3})
    lines = [r.getMessage() for r in caplog.records if r.name == "genad.serve"]
    assert len(lines) == 1
    line = lines[0]
    for part in ("POST", "/v1/models/iso/score", "model=iso", "rows=3", "status=200", "ms="):
        assert part in line, line
    assert keys[1] not in line and "0.123456" not in line and "fpr" not in line


# ------------------------------------------------------------------ upload and delete
def test_upload_replace_delete(client, models_dir, model_files, serve_data):
    raw = (model_files / "ae2.genad").read_bytes()
    r = client.put("/v1/models/fresh", content=raw, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "fresh" and (models_dir / "fresh.genad").read_bytes() == raw
    X = serve_data["test"].to_numpy()
    want = genad.load(model_files / "ae2.genad").decision_function(X)
    np.testing.assert_allclose(client.post("/v1/models/fresh/score", json={"rows": X.tolist()}).json()["scores"],
                               want, rtol=1e-6, atol=1e-6)
    old = client.get("/v1/models/ae").json()["digest"]
    r = client.put("/v1/models/ae", content=raw)
    assert r.status_code == 200 and r.json()["digest"] != old
    np.testing.assert_allclose(client.post("/v1/models/ae/score", json={"rows": X.tolist()}).json()["scores"],
                               want, rtol=1e-6, atol=1e-6)
    assert client.delete("/v1/models/fresh").json() == {"deleted": "fresh"}
    assert not (models_dir / "fresh.genad").exists()
    _err(client.get("/v1/models/fresh"), 404)
    _err(client.delete("/v1/models/fresh"), 404)
    assert not list(models_dir.glob(".*"))  # no temporary files left


def _damaged(raw: bytes) -> bytes:
    b = bytearray(raw)
    b[len(b) // 2] ^= 0xFF
    return bytes(b)


def _foreign() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("config.json", json.dumps({"format": "something-else"}))
        zf.writestr("weights.safetensors", b"")
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["truncated", "flipped", "foreign", "text"])
def test_bad_upload_rejected_old_model_still_serves(client, models_dir, serve_data, kind):
    raw = (models_dir / "iso.genad").read_bytes()
    body = {"truncated": raw[: len(raw) // 2], "flipped": _damaged(raw), "foreign": _foreign(),
            "text": b"import os; os.system('echo pwned')"}[kind]
    before = client.get("/v1/models/iso").json()
    X = serve_data["test"]
    scores = client.post("/v1/models/iso/score", json=_rows(X)).json()["scores"]
    msg = _err(client.put("/v1/models/iso", content=body), 422, "invalid_model", ["not replaced"])
    assert str(models_dir) not in msg and ".upload-" not in msg  # no server paths in the message
    assert (models_dir / "iso.genad").read_bytes() == raw
    assert client.get("/v1/models/iso").json() == before
    assert client.post("/v1/models/iso/score", json=_rows(X)).json()["scores"] == scores
    _err(client.put("/v1/models/brandnew", content=body), 422, "invalid_model", ["not stored"])
    _err(client.get("/v1/models/brandnew"), 404)
    assert sorted(p.name for p in models_dir.iterdir()) == ["ae.genad", "iso.genad", "seq.genad"]


def test_upload_bad_requests(client, models_dir):
    _err(client.put("/v1/models/x", content=b""), 400, "bad_request", ["empty upload"])
    _err(client.put("/v1/models/x", content=b"{}", headers={"Content-Type": "application/json"}), 415)
    assert sorted(p.name for p in models_dir.iterdir()) == ["ae.genad", "iso.genad", "seq.genad"]


def test_partial_upload_left_by_a_crash_is_cleaned_and_old_model_kept(make_client, models_dir):
    raw = (models_dir / "iso.genad").read_bytes()
    (models_dir / ".upload-abc123.tmp").write_bytes(raw[:1000])  # as a killed upload leaves it
    c = make_client()
    assert c.get("/v1/models/iso").json()["size"] == len(raw)
    assert not (models_dir / ".upload-abc123.tmp").exists()


def test_in_flight_request_finishes_with_the_old_version(client, models_dir, model_files, serve_data):
    X = serve_data["test"].to_numpy()
    old_entry = client.app.state.genad.registry.get("ae")
    old_det = old_entry.detector
    want_old = old_det.decision_function(X)
    entered, release = threading.Event(), threading.Event()
    real = old_det.decision_function

    def slow(Z):
        entered.set()
        assert release.wait(10)
        return real(Z)

    old_det.decision_function = slow
    result = {}
    t = threading.Thread(target=lambda: result.update(r=client.post("/v1/models/ae/score", json={"rows": X.tolist()})))
    t.start()
    assert entered.wait(10)
    r = client.put("/v1/models/ae", content=(model_files / "ae2.genad").read_bytes())
    assert r.status_code == 200
    release.set()
    t.join(10)
    body = result["r"].json()
    assert body["digest"] == old_entry.digest != r.json()["digest"]
    np.testing.assert_allclose(body["scores"], want_old, rtol=1e-6, atol=1e-6)
    new = client.post("/v1/models/ae/score", json={"rows": X.tolist()}).json()
    assert new["digest"] == r.json()["digest"]
    np.testing.assert_allclose(new["scores"], genad.load(model_files / "ae2.genad").decision_function(X),
                               rtol=1e-6, atol=1e-6)


def test_several_models_at_once_give_python_scores(client, models_dir, serve_data):
    from concurrent.futures import ThreadPoolExecutor

    X = serve_data["test"].to_numpy()
    S = serve_data["seq_test"]
    want = {n: genad.load(models_dir / f"{n}.genad").decision_function(S if n == "seq" else X)
            for n in ("iso", "ae", "seq")}

    def call(i):
        n = ("iso", "ae", "seq")[i % 3]
        rows = (S if n == "seq" else X)[i % 5:]
        r = client.post(f"/v1/models/{n}/score", json={"rows": rows.tolist()})
        assert r.status_code == 200, (n, r.status_code, r.text)
        return n, i % 5, r.json()["scores"]

    with ThreadPoolExecutor(8) as pool:
        for n, start, got in pool.map(call, range(48)):
            np.testing.assert_allclose(got, want[n][start:], rtol=1e-6, atol=1e-6)


def test_tables_for_a_model_fitted_on_an_array(client, serve_data, models_dir):
    """CSV and Parquet tables for a model fitted without column names (columns by position): plain
    numbers are read straight into an array; every other table gets the library's own answer."""
    det = genad.load(models_dir / "ae.genad")
    X = serve_data["test"].to_numpy()
    df = pd.DataFrame(X, columns=["v", "w", "x", "y", "z"])
    nan = df.assign(x=np.where(np.arange(len(df)) == 4, np.nan, df["x"]))
    text = df.assign(y=df["y"].astype(str))
    for table in (df, df.astype({"v": "float32", "w": "int64"}), nan, text):
        buf = io.BytesIO()
        table.to_parquet(buf)
        csv = table.to_csv(index=False)
        for body, ctype, read in ((buf.getvalue(), PARQUET, lambda b: pd.read_parquet(io.BytesIO(b))),
                                  (csv, "text/csv", lambda b: pd.read_csv(io.StringIO(b)))):
            try:  # what Python answers for the table as pandas reads it
                want, words = det.decision_function(read(body)), None
            except ValueError as exc:
                want, words = None, str(exc)
            r = _post(client, body, ctype, name="ae")
            if words is None:
                assert r.status_code == 200, r.text
                np.testing.assert_allclose(r.json()["scores"], want, rtol=1e-6, atol=1e-6)
            else:
                assert _err(r, 422, "invalid_input") == words


def test_score_answers_alike_with_and_without_a_query_string(make_client, keys, serve_data):
    """A score request without a query string is answered by the direct route, one with
    ``?threshold=`` by FastAPI's: same status, body and headers for every kind of answer."""
    c = make_client(rate_limit=1000)
    X = serve_data["test"]
    t = c.get("/v1/models/iso").json()["threshold"]
    cases = [
        ("iso", _rows(X), {}),
        ("iso", {"records": X.to_dict("records")}, {}),
        ("iso", {"rows": [[1, 2]]}, {}),
        ("iso", b"{not json", {}),
        ("nope", _rows(X), {}),
        ("iso", _rows(X), {"Authorization": ""}),
        ("iso", _rows(X), {"Authorization": "Bearer wrong"}),
        ("iso", _rows(X), {"Authorization": "Basic abc"}),
        ("iso", "a,b,c,d,e\n1,2,3,4,5\n", {"Content-Type": "text/csv"}),
        ("iso", b"x", {"Content-Type": "image/png"}),
    ]
    for name, body, headers in cases:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        hd = {"Content-Type": "application/json", **headers}
        plain = c.post(f"/v1/models/{name}/score", content=data, headers=hd)
        query = c.post(f"/v1/models/{name}/score?threshold={t!r}", content=data, headers=hd)
        assert (plain.status_code, plain.json()) == (query.status_code, query.json()), (name, body, headers)
        for h in ("content-type", "www-authenticate", "x-genad-model", "x-genad-digest"):
            assert plain.headers.get(h) == query.headers.get(h), h


def test_small_requests_scored_together_answer_as_alone(client, serve_data):
    """Small requests waiting for the same model go into one model call; each still gets the
    answer it gets alone: its scores, its threshold, its own error if its rows are bad."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from genad.serve.api import APIError, ModelScorer

    svc = client.app.state.genad
    X = serve_data["test"].to_numpy()
    for name in ("ae", "iso"):
        entry = svc.registry.get(name)
        det = entry.detector
        calls = []
        real = det.decision_function
        det.decision_function = lambda rows, real=real: calls.append(len(rows)) or real(rows)
        jobs = [(X[i:i + 3].tolist(), 0.5 + 0.1 * i) for i in range(6)]
        jobs.insert(3, ([[1.0, 2.0]], 0.5))  # wrong width: refused alone, the others still scored

        async def run(pool):
            model = ModelScorer(entry)
            return await asyncio.gather(*(model.score(pool, None, rows, t, False) for rows, t in jobs),
                                        return_exceptions=True)

        try:
            # an event loop of its own, in a thread of its own: the main thread may already run
            # one (the browser tests' driver keeps its loop for the whole session)
            with ThreadPoolExecutor(1) as pool, ThreadPoolExecutor(1) as loop_thread:
                answers = loop_thread.submit(asyncio.run, run(pool)).result()
        finally:
            del det.decision_function
        assert calls[0] == sum(len(rows) for rows, _ in jobs), calls  # one call for all, then each alone
        for (rows, t), answer in zip(jobs, answers):
            if len(rows[0]) != X.shape[1]:
                assert isinstance(answer, APIError) and answer.status == 422 and "feature" in answer.message
                continue
            doc = json.loads(answer[0])
            want = det.decision_function(np.asarray(rows))
            np.testing.assert_allclose(doc["scores"], want, rtol=1e-6, atol=1e-6)
            assert doc["threshold"] == t and doc["labels"] == [int(v > t) for v in want]
            np.testing.assert_allclose(doc["p_values"], det.p_values(np.asarray(rows)))


# ------------------------------------------------------------------ docs
def test_openapi_and_local_docs(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"/healthz", "/readyz", "/v1/models", "/v1/models/{name}", "/v1/models/{name}/score"} <= set(paths)
    assert set(paths["/v1/models/{name}"]) == {"get", "put", "delete"}
    content = paths["/v1/models/{name}/score"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/csv", PARQUET} <= set(content)
    html = client.get("/docs").text
    assert "http://" not in html and "https://" not in html  # every asset from this server
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert f"/static/vendor/swagger-ui/{asset}" in html
        r = client.get(f"/static/vendor/swagger-ui/{asset}", headers={"Authorization": ""})
        assert r.status_code == 200 and len(r.content) > 500
    assert client.get("/static/vendor/swagger-ui/LICENSE").status_code == 200


def test_load_limits_reach_the_loader(make_client, models_dir, model_files):
    """The service's model-file limits (genad.load's keyword limits) apply to every file it loads:
    a file over them is not loaded at start and an upload over them is refused, old model kept."""
    raw = (model_files / "ae2.genad").read_bytes()
    c = make_client(load_options={"max_bytes": 2048})
    failed = c.app.state.genad.registry.failed
    assert {"ae", "iso", "seq"} <= set(failed) and all("limit" in why or "max_bytes" in why for why in failed.values())
    msg = _err(c.put("/v1/models/ae", content=raw), 422)
    assert "max_bytes" in msg or "limit" in msg
    assert (models_dir / "ae.genad").exists() and not list(models_dir.glob(".*"))
