"""Point GENAD_DATA at the shared real-data folder beside the checkout.

The checkout lives at ``/work/<checkout>``, so the data are at
``<repo>/../shared/data`` (``Path(__file__).resolve().parents[3] / "shared" / "data"``).
For checkouts nested deeper (git worktrees such as ``/work/wt/<name>``) the
higher ancestors are tried too. Tests that need real data use the ``data_home``
fixture and are skipped, with the reason, when no such folder exists.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve()
_REPO = _HERE.parents[2]
_CANDIDATES = [p / "shared" / "data" for p in _HERE.parents[3:]]
SHARED_DATA = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[0])


@pytest.fixture(scope="session", autouse=True)
def _genad_data_env():
    old = os.environ.get("GENAD_DATA")
    os.environ["GENAD_DATA"] = str(SHARED_DATA)
    yield
    if old is None:
        os.environ.pop("GENAD_DATA", None)
    else:
        os.environ["GENAD_DATA"] = old


@pytest.fixture(scope="session")
def data_home() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real data folder not found: {SHARED_DATA} (expected at "
            f"<repo>/../shared/data, repo = {_REPO})"
        )
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
