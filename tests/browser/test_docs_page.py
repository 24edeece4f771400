"""The API docs page renders in a real browser from the app's own assets, with no other host."""

from __future__ import annotations


def test_docs_page_renders_offline(app_server, page):
    srv = app_server()
    page.goto(srv.url + "/docs")
    page.wait_for_selector(".swagger-ui .information-container", timeout=30_000)
    assert "genad" in page.title() or "genad" in page.content()
    # the operations of the API are listed (the spec was fetched from this app)
    page.wait_for_selector("text=/healthz")
    assert page.foreign == [], f"the page contacted other hosts: {page.foreign}"
    assert page.js_errors == []
