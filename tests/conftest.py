"""Shared test set-up: real data folder, small synthetic problems, the list of detectors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
_CANDIDATES = [p / "shared" / "data" for p in REPO.parents]
SHARED_DATA = next((p for p in _CANDIDATES if p.is_dir()), REPO.parent / "shared" / "data")
os.environ.setdefault("GENAD_DATA", str(SHARED_DATA))


@pytest.fixture(scope="session")
def data_home() -> Path:
    """The shared real-data folder; tests that need it are skipped, with the reason, without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder not found: {SHARED_DATA} (expected at <repo>/../shared/data, repo = {REPO})")
    return SHARED_DATA


@pytest.fixture(scope="session")
def need(data_home: Path):
    """``need("kdd99/corrected.gz", ...)`` skips when a shared data file is missing."""

    def _need(*relpaths: str) -> Path:
        for r in relpaths:
            if not (data_home / r).exists():
                pytest.skip(f"shared data file missing: {data_home / r}")
        return data_home

    return _need


@pytest.fixture(scope="session")
def blobs():
    """300 normal training rows, and a test set of 60 normal + 12 far-away rows."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    X_test = np.vstack([rng.normal(size=(60, 5)), rng.normal(size=(12, 5)) * 0.5 + 7.0])
    y_test = np.r_[np.zeros(60), np.ones(12)].astype(int)
    return X, X_test, y_test
