"""Schemathesis over the OpenAPI schema: whatever a client sends, the answer is never a 5xx.

The default run draws a few examples per operation; ``-m slow`` draws many more.
"""

from __future__ import annotations

import shutil

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="the fuzz tests need schemathesis (dev extra)")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from genad.serve import create_app, new_key  # noqa: E402


def _app(tmp_path, model_files):
    models = tmp_path / "models"
    models.mkdir()
    for name in ("iso", "seq"):
        shutil.copy(model_files / f"{name}.genad", models / f"{name}.genad")
    key = new_key(tmp_path / "keys.json", "fuzz", "admin")
    app = create_app(models, api_keys=tmp_path / "keys.json", rate_limit=0, max_body_mb=1)
    return app, key


def _run(tmp_path, model_files, examples):
    app, key = _app(tmp_path, model_files)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seen = {}
    for op in schema.get_all_operations():
        op = op.ok()

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def check(case):
            params = case.path_parameters or {}
            names = [params.get("name")]
            if "name" in params and case.method.upper() in ("GET", "POST"):
                names.append("iso")  # the fuzzed body and query against a real model too
            for name in names:
                if name is not None:
                    params["name"] = name
                for headers in ({"Authorization": f"Bearer {key}"}, None):
                    response = case.call(headers=headers)
                    seen[len(seen)] = response.status_code
                    assert response.status_code < 500, (case.method, case.path, params, case.query,
                                                         response.text[:500])
                    if response.status_code >= 400:
                        body = response.json()
                        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}

        check()
    codes = set(seen.values())
    assert {200, 401} <= codes and codes & {400, 422}, codes


def test_fuzz_openapi_no_server_errors(tmp_path, model_files):
    _run(tmp_path, model_files, examples=8)


@pytest.mark.slow
def test_fuzz_openapi_no_server_errors_long(tmp_path, model_files):
    _run(tmp_path, model_files, examples=200)
