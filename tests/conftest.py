"""Shared test set-up: real data folder, small synthetic problems, the list of detectors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
_CANDIDATES = [p / "shared" / "data" for p in REPO.parents]
if os.environ.get("GENAD_DATA"):  # the variable wins over the search beside the checkout
    SHARED_DATA = Path(os.environ["GENAD_DATA"]).expanduser()
else:
    SHARED_DATA = next((p for p in _CANDIDATES if p.is_dir()), REPO.parent / "shared" / "data")
    os.environ["GENAD_DATA"] = str(SHARED_DATA)
#: with GENAD_REQUIRE_DATA=1 (continuous integration) a missing data file fails the test
REQUIRE_DATA = os.environ.get("GENAD_REQUIRE_DATA", "") not in ("", "0")
_DATA_SKIP = "real data"  # every skip for missing data starts with this


def _missing(reason: str):
    if REQUIRE_DATA:
        pytest.fail(f"{reason} (GENAD_REQUIRE_DATA is set)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def data_home() -> Path:
    """The shared real-data folder; tests that need it are skipped, with the reason, without it."""
    if not SHARED_DATA.is_dir():
        _missing(f"{_DATA_SKIP} folder not found: {SHARED_DATA} (set GENAD_DATA, or put it at <repo>/../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def need(data_home: Path):
    """``need("kdd99/corrected.gz", ...)`` skips when a shared data file is missing."""

    def _need(*relpaths: str) -> Path:
        for r in relpaths:
            if not (data_home / r).exists():
                _missing(f"{_DATA_SKIP} file missing: {data_home / r}")
        return data_home

    return _need


def pytest_terminal_summary(terminalreporter):
    """One visible line when tests were skipped for want of the real data."""
    reasons = []
    for rep in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(rep, "longrepr", None)
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        if reason.removeprefix("Skipped: ").startswith(_DATA_SKIP):
            reasons.append(reason)
    if reasons:
        terminalreporter.write_sep(
            "!", f"{len(reasons)} real-data tests SKIPPED: data folder {SHARED_DATA} "
            f"({'missing' if not SHARED_DATA.is_dir() else 'incomplete'}); set GENAD_DATA to the data folder",
            yellow=True, bold=True,
        )


@pytest.fixture(scope="session")
def blobs():
    """300 normal training rows, and a test set of 60 normal + 12 far-away rows."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    X_test = np.vstack([rng.normal(size=(60, 5)), rng.normal(size=(12, 5)) * 0.5 + 7.0])
    y_test = np.r_[np.zeros(60), np.ones(12)].astype(int)
    return X, X_test, y_test


@pytest.fixture(scope="session")
def live_models(tmp_path_factory):
    """Folder with ``pca`` and ``ae`` (AutoEncoder) fitted on the breast-cancer training rows (the
    data set always present), and that data set: the live-stream tests compare the two."""
    import genad
    from genad.datasets import load

    ds = load("breast-cancer")
    d = tmp_path_factory.mktemp("live_models")
    genad.PCA(random_state=0).fit(ds.X_train).save(d / "pca.genad")
    genad.AutoEncoder(epochs=5, batch_size=64, patience=None, random_state=0).fit(ds.X_train).save(d / "ae.genad")
    return d, ds
