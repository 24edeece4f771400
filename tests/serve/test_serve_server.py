"""The real server: `genad serve` under uvicorn on a free loopback port, over HTTP; the CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import genad
from genad.cli import app as cli_app

SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(models_dir, keys_path, *extra):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from genad.cli import app; app()", "serve", "--port", str(port),
         "--models", str(models_dir), "--api-keys", str(keys_path), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import httpx

    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stderr.read()}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return proc, url, port
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not come up within 120 s")


def _partial_put(port: int, name: str, raw: bytes, key: str) -> socket.socket:
    """Send the headers and half of the body of an upload, then stop sending."""
    s = socket.create_connection(("127.0.0.1", port))
    head = (f"PUT /v1/models/{name} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {len(raw)}\r\n\r\n")
    s.sendall(head.encode() + raw[: len(raw) // 2])
    return s


def _wait(cond, seconds=20.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


def test_real_server_over_http(models_dir, keys, serve_data):
    import httpx

    path, admin, score = keys
    (models_dir / "broken.genad").write_bytes(b"not a model")
    proc, url, port = _start(models_dir, path, "--max-body-mb", "1")
    try:
        h = {"Authorization": f"Bearer {score}"}
        with httpx.Client(base_url=url, headers=h, timeout=30) as c:
            assert c.get("/readyz").json()["models"] == 3
            assert c.get("/v1/models", headers={"Authorization": ""}).status_code == 401
            X = serve_data["test"]
            r = c.post("/v1/models/iso/score", json={"records": X.to_dict("records")})
            assert r.status_code == 200
            want = genad.load(models_dir / "iso.genad").decision_function(X)
            np.testing.assert_allclose(r.json()["scores"], want, rtol=1e-6, atol=1e-6)
            r = c.post("/v1/models/iso/score", content=b"x" * (3 * 2**19),
                       headers={"Content-Type": "application/json"})
            assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
        # a client that disconnects in the middle of an upload leaves nothing behind
        raw = (models_dir / "iso.genad").read_bytes()
        s = _partial_put(port, "iso", raw, admin)
        assert _wait(lambda: list(models_dir.glob(".upload-*")))
        s.close()
        assert _wait(lambda: not list(models_dir.glob(".upload-*")))
        assert (models_dir / "iso.genad").read_bytes() == raw
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert f"listening on http://127.0.0.1:{port}" in out
    assert "iso (IsolationForest)" in out and "not loaded: broken" in out
    # one log line per request, no key in the log
    assert "POST /v1/models/iso/score model=iso rows=36 status=200" in err
    assert score not in err and admin not in err


@pytest.mark.slow
def test_server_killed_mid_upload_loses_nothing(models_dir, keys, model_files):
    path, admin, _ = keys
    proc, url, port = _start(models_dir, path)
    raw = (models_dir / "ae.genad").read_bytes()
    s = _partial_put(port, "ae", (model_files / "ae2.genad").read_bytes(), admin)
    try:
        assert _wait(lambda: list(models_dir.glob(".upload-*")))
        proc.kill()
        proc.wait(30)
    finally:
        s.close()
    assert (models_dir / "ae.genad").read_bytes() == raw  # the old model is intact
    from genad.serve import Registry

    reg = Registry(models_dir).scan()  # the next start removes the partial file
    assert reg.get("ae").size == len(raw) and not list(models_dir.glob(".upload-*"))


# ------------------------------------------------------------------ CLI
runner = CliRunner()


def test_cli_new_key_prints_it_once_and_stores_the_hash(tmp_path):
    keys = tmp_path / "k.json"
    r = runner.invoke(cli_app, ["serve", "--new-key", "ops", "--role", "admin", "--api-keys", str(keys)])
    assert r.exit_code == 0, r.output
    key = r.stdout.strip().splitlines()[0]
    assert key.startswith("gad_") and len(key) > 40
    doc = json.loads(keys.read_text())
    assert key not in keys.read_text() and doc["keys"][0]["role"] == "admin"
    r = runner.invoke(cli_app, ["serve", "--new-key", "ops", "--api-keys", str(keys)])
    assert r.exit_code == 2 and "already exists" in r.output
    r = runner.invoke(cli_app, ["serve", "--new-key", "x", "--role", "root", "--api-keys", str(keys)])
    assert r.exit_code == 2 and "unknown role" in r.output


def test_cli_refuses_open_server_off_loopback_and_missing_keys(tmp_path):
    r = runner.invoke(cli_app, ["serve", "--no-auth", "--host", "0.0.0.0", "--models", str(tmp_path / "m")])
    assert r.exit_code == 2 and "loopback" in r.output
    r = runner.invoke(cli_app, ["serve", "--models", str(tmp_path / "m"), "--api-keys", str(tmp_path / "none.json")])
    assert r.exit_code == 2 and "--new-key" in r.output


def test_is_loopback():
    from genad.serve import is_loopback

    assert all(is_loopback(h) for h in ("127.0.0.1", "127.5.0.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.com"))
