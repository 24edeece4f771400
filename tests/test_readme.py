"""Every Python snippet of the README runs on its own, as a reader would paste it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
#: snippets that need the real data folder and train for minutes: with the slow tests
NEEDS_DATA = ("sdss-groups",)
#: snippets that talk to a running `genad serve` (tests/serve covers the API itself)
NEEDS_SERVER = "http://127.0.0.1"


def test_readme_has_snippets():
    assert len(SNIPPETS) >= 2


@pytest.mark.parametrize(
    "code",
    [pytest.param(c, marks=pytest.mark.slow, id=f"snippet{i}") if any(k in c for k in NEEDS_DATA)
     else pytest.param(c, id=f"snippet{i}") for i, c in enumerate(SNIPPETS)],
)
def test_readme_snippet_runs(code, tmp_path, monkeypatch, request):
    if NEEDS_SERVER in code:
        pytest.skip("README snippet needs a running `genad serve` with a key; tests/serve tests the API")
    if any(k in code for k in NEEDS_DATA):
        request.getfixturevalue("need")("sdss/spectrum_s1_pca.csv")
    monkeypatch.chdir(tmp_path)  # the snippets save model files
    exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
