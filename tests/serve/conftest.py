"""Models, keys and apps for the service tests (fitted once per session, copied per test)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi", reason="the service tests need the web extra (fastapi, uvicorn, httpx)")

COLUMNS = ["a", "b", "c", "d", "e"]


@pytest.fixture(scope="session")
def serve_data():
    """Training table (5 named columns), test rows with 6 far-away ones, and sequences."""
    rng = np.random.default_rng(0)
    train = pd.DataFrame(rng.normal(size=(300, 5)), columns=COLUMNS)
    test = pd.DataFrame(np.vstack([rng.normal(size=(30, 5)), rng.normal(size=(6, 5)) + 6.0]), columns=COLUMNS)
    seq_train = rng.normal(size=(120, 4, 3)).astype(np.float32)
    seq_test = rng.normal(size=(10, 4, 3)).astype(np.float32)
    return {"train": train, "test": test, "seq_train": seq_train, "seq_test": seq_test}


@pytest.fixture(scope="session")
def model_files(tmp_path_factory, serve_data):
    """Saved models: iso (IsolationForest on a DataFrame), ae (AutoEncoder on an array),
    ae2 (another AutoEncoder), seq (AutoEncoder on (n, 4, 3) sequences)."""
    import genad

    d = tmp_path_factory.mktemp("model_files")
    genad.IsolationForest(n_estimators=50, random_state=0).fit(serve_data["train"]).save(d / "iso.genad")
    fast = {"epochs": 3, "batch_size": 64, "patience": None}
    genad.AutoEncoder(random_state=0, **fast).fit(serve_data["train"].to_numpy()).save(d / "ae.genad")
    genad.AutoEncoder(random_state=1, **fast).fit(serve_data["train"].to_numpy()).save(d / "ae2.genad")
    genad.AutoEncoder(random_state=0, **fast).fit(serve_data["seq_train"]).save(d / "seq.genad")
    return d


@pytest.fixture
def models_dir(tmp_path, model_files) -> Path:
    """A fresh models folder holding iso, ae and seq."""
    d = tmp_path / "models"
    d.mkdir()
    for name in ("iso", "ae", "seq"):
        shutil.copy(model_files / f"{name}.genad", d / f"{name}.genad")
    return d


@pytest.fixture
def keys(tmp_path):
    """A key file with one admin and one score key: (path, admin_key, score_key)."""
    from genad.serve import new_key

    path = tmp_path / "keys.json"
    admin = new_key(path, "ops", "admin")
    score = new_key(path, "pipeline", "score")
    return path, admin, score


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def make_client(models_dir, keys):
    """``make_client(**create_app_options)`` -> a TestClient with the admin key's header set."""
    from fastapi.testclient import TestClient

    from genad.serve import create_app

    clients = []

    def make(**options):
        options.setdefault("api_keys", keys[0])
        client = TestClient(create_app(options.pop("models", models_dir), **options))
        client.__enter__()
        client.headers.update(bearer(keys[1]))
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()
