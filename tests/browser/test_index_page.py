"""The index page and the shared navigation in a real browser, from the app's own assets."""

from __future__ import annotations


def test_index_nav_and_keyboard(app_server, page):
    srv = app_server()
    page.goto(srv.url + "/")
    nav = page.locator("header.nav nav a")
    assert nav.count() == 4
    assert page.locator('header.nav a[aria-current="page"]').inner_text() == "genad"
    # the first Tab lands on the navigation: pages are reachable from the keyboard
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/"
    page.wait_for_selector("#status:not(:empty)")
    assert page.foreign == [], f"the page contacted other hosts: {page.foreign}"
    assert page.js_errors == []
