"""Every docstring example in genad runs (those marked ``+SKIP`` need data files or minutes)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import genad

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(genad.__path__, prefix="genad.")
    if not m.name.startswith("genad.serve")  # optional [web] extra
)


#: examples that train deep models for minutes run with the slow tests
SLOW = {"genad.group.deep"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in ["genad"] + MODULES]
)
def test_docstring_examples_run(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # examples that save a model write here
    module = importlib.import_module(name)
    res = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert res.failed == 0, f"{res.failed} of {res.attempted} docstring examples in {name} failed (see the output)"


def test_classic_detectors_document_the_layout():
    for name in ("PCA", "OCSVM", "IsolationForest", "KDE", "GMM", "KNN"):
        doc = getattr(genad, name).__doc__
        for section in ("Parameters\n", "Attributes\n", "Examples\n", ">>> "):
            assert section in doc, (name, section)
        for param in getattr(genad, name)().get_params():
            assert f"    {param} : " in doc or f", {param}" in doc or f"{param}, " in doc, (name, param)
