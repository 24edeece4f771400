"""The pages part of the app: HTML pages and their scripts, all served by the app itself."""

from __future__ import annotations

import re

import pytest


def test_index_links_every_page_and_loads_only_local_assets(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    # every script and stylesheet is a path on this app (no scheme, no other host)
    refs = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r'from "([^"]+)"', html)
    assert refs, "the index page references no assets"
    for ref in refs:
        assert ref.startswith(("/", "#", "data:")), f"asset {ref} is not served by the app"
    for path in ("/train", "/live", "/docs"):
        assert f'href="{path}"' in html
    for ref in ("/static/app/app.css", "/static/app/common.js", "/static/vendor/uplot/uPlot.esm.js"):
        assert client.get(ref).status_code == 200, ref


def test_common_module_imports_only_app_paths(client):
    js = client.get("/static/app/common.js").text
    for ref in re.findall(r'from "([^"]+)"', js):
        assert ref.startswith("/static/"), ref
        assert client.get(ref).status_code == 200


@pytest.mark.parametrize("path", ["/", "/train"])
def test_pages_need_no_key(client, path):
    client.headers.pop("Authorization", None)
    assert client.get(path).status_code == 200
