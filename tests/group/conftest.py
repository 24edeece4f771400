"""Shared fixtures for the group tests."""

from __future__ import annotations

import pytest
import torch
from group_testdata import blobs

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def small_groups():
    return blobs(30, seed=0)
