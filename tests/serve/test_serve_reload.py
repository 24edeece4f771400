"""A running service picks up model files that other processes add, replace or remove."""

from __future__ import annotations

import os
import shutil
import time

import numpy as np

from genad.persistence import file_sha256
from genad.serve.registry import Registry


def _replace(src, dst):
    """Write ``dst`` the way genad retrain promotes a version: a temporary copy, then one rename."""
    tmp = dst.with_name(".tmp-" + dst.name)
    shutil.copy(src, tmp)
    os.replace(tmp, dst)


def test_refresh_loads_new_replaced_and_drops_removed_files(models_dir, model_files):
    reg = Registry(models_dir).scan()
    old = reg.get("ae")
    assert reg.refresh() == {}  # nothing changed
    assert reg.get("ae") is old

    _replace(model_files / "ae2.genad", models_dir / "ae.genad")
    shutil.copy(model_files / "ae2.genad", models_dir / "extra.genad")
    (models_dir / "seq.genad").unlink()
    assert reg.refresh() == {"ae": "replaced", "extra": "loaded", "seq": "removed"}
    assert reg.get("ae").digest == file_sha256(model_files / "ae2.genad") != old.digest
    assert reg.get("seq") is None and reg.get("extra") is not None
    assert reg.refresh() == {}


def test_a_file_that_fails_to_load_leaves_the_old_version_serving(models_dir, model_files):
    reg = Registry(models_dir).scan()
    old = reg.get("ae")
    broken = models_dir / "broken-upload"
    broken.write_bytes(b"PK\x03\x04 not a model")
    os.replace(broken, models_dir / "ae.genad")
    changes = reg.refresh()
    assert list(changes) == ["ae"] and changes["ae"].startswith("failed to load")
    assert reg.get("ae") is old  # still the old version
    assert "ae.genad" in reg.failed["ae"]
    assert reg.refresh() == {}  # not retried until the file changes again

    _replace(model_files / "ae2.genad", models_dir / "ae.genad")
    assert reg.refresh() == {"ae": "replaced"}
    assert "ae" not in reg.failed


def test_running_service_serves_a_promoted_version(make_client, models_dir, model_files, serve_data):
    import genad

    client = make_client(reload_interval=0.1)
    rows = serve_data["test"].to_numpy()[:5].tolist()
    before = client.get("/v1/models/ae").json()["digest"]
    _replace(model_files / "ae2.genad", models_dir / "ae.genad")
    want = file_sha256(model_files / "ae2.genad")
    assert want != before
    deadline = time.monotonic() + 20
    while client.get("/v1/models/ae").json()["digest"] != want:
        assert time.monotonic() < deadline, "the replaced file was not picked up within 20 s"
        time.sleep(0.05)
    got = client.post("/v1/models/ae/score", json={"rows": rows}).json()
    expected = genad.load(model_files / "ae2.genad").decision_function(np.asarray(rows))
    np.testing.assert_allclose(got["scores"], expected, rtol=1e-6)


def test_reload_interval_zero_keeps_the_loaded_version(make_client, models_dir, model_files):
    client = make_client(reload_interval=0)
    before = client.get("/v1/models/ae").json()["digest"]
    _replace(model_files / "ae2.genad", models_dir / "ae.genad")
    time.sleep(0.5)
    assert client.get("/v1/models/ae").json()["digest"] == before
