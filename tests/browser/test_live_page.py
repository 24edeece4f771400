"""The live comparison page in a real browser: a stream through two models, counts that grow and
stop on pause, a threshold change that recounts, a row posted by another program, a row's detail."""

from __future__ import annotations

import re
import shutil
import time

import httpx
import numpy as np

from genad.metrics import decision_metrics


# WCAG contrast of every visible text element against the first opaque background behind it
_CONTRAST = """() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const bg = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!text || !el.getClientRects().length || getComputedStyle(el).visibility === "hidden") continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)} "${el.textContent.trim().slice(0, 30)}"`);
  }
  return low;
}"""


def _count(page, model, key) -> int:
    return int(page.locator(f'[data-model="{model}"] td[data-count="{key}"]').inner_text())


def _counts(page, model) -> tuple[int, ...]:
    return tuple(_count(page, model, k) for k in ("tp", "fp", "tn", "fn"))


def _rows(page) -> int:
    return int(page.locator("#progress").get_attribute("data-rows"))


def test_live_stream_two_models(app_server, page, live_models, tmp_path):
    import genad

    files, ds = live_models
    models = tmp_path / "m"
    shutil.copytree(files, models)
    srv = app_server(models)
    page.goto(srv.url + "/live")
    page.wait_for_selector('input[name="model"][value="pca"]')
    page.check('input[name="model"][value="pca"]')
    page.check('input[name="model"][value="ae"]')
    page.select_option("#source", "breast-cancer")
    page.fill("#rate", "25")
    page.keyboard.press("Tab")
    page.click("#start")

    # counts appear and grow while the stream runs
    page.wait_for_function("() => Number(document.querySelector('#progress')?.dataset.rows || 0) >= 10")
    first = sum(_counts(page, "pca"))
    page.wait_for_function(f"() => Number(document.querySelector('#progress').dataset.rows) > {first + 10}")
    assert sum(_counts(page, "ae")) > first

    # pause (keyboard: the Pause button has focus after start) stops them
    page.focus("#pause")
    page.keyboard.press("Enter")
    page.wait_for_selector('#pause[aria-pressed="true"]')
    time.sleep(0.3)
    n = _rows(page)
    held = (_counts(page, "pca"), _counts(page, "ae"))
    time.sleep(1.2)
    assert _rows(page) == n and (_counts(page, "pca"), _counts(page, "ae")) == held
    assert sum(held[0]) == n
    # the drift check (genad.monitor's score test) waits for 100 rows, then tests the last 500 scores
    drift = page.locator('[data-model="pca"] [data-drift]').inner_text()
    if n < 100:
        assert drift == f"Drift check: waiting for {100 - n} more rows", drift
    else:
        assert f"(KS test of the last {min(n, 500)} scores against the calibration scores: D = " in drift, drift

    # a new threshold recounts the rows seen, as genad.metrics on the same scores
    order = np.random.default_rng(0).permutation(len(ds.X_test))
    X, y = ds.X_test[order][:n], ds.y_test[order][:n]
    scores = genad.load(models / "pca.genad").decision_function(X)
    t = float(np.quantile(scores, 0.5))
    box = page.locator('[data-model="pca"] input[data-threshold]')
    box.fill(repr(t))
    box.press("Enter")
    want = decision_metrics(y, scores > t)
    page.wait_for_function(f"() => document.querySelector('[data-model=\"pca\"] td[data-count=\"tp\"]').textContent"
                           f" === '{want['tp']}' && document.querySelector('[data-model=\"pca\"] td[data-count=\"fp\"]')"
                           f".textContent === '{want['fp']}'")
    assert _counts(page, "pca") == (want["tp"], want["fp"], want["tn"], want["fn"])
    assert page.locator('[data-model="pca"] [data-metric="f1"]').inner_text() == f"{want['f1']:.3f}"
    assert _counts(page, "ae") == held[1]  # the other model keeps its own threshold

    # a row posted by another program is scored and shows up, though the replay is paused
    sid = page.locator("#stream-id").inner_text()
    r = httpx.post(f"{srv.url}/v1/streams/{sid}/rows", json={"rows": [ds.X_test[0].tolist()], "labels": [1]})
    assert r.status_code == 200, r.text
    page.wait_for_function(f"() => Number(document.querySelector('#progress').dataset.rows) === {n + 1}")
    page.wait_for_selector(f'[data-model="ae"] [data-strip] [data-i="{n}"][data-posted]', state="attached")
    assert sum(_counts(page, "ae")) == n + 1

    # a flagged row opens its values and the autoencoder's per-feature errors
    cell = page.locator('[data-model="ae"] [data-strip] button.cell').last
    cell.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#detail:not([hidden])")
    assert re.match(r"Row \d+", page.locator("#detail-h").inner_text())
    assert page.locator("#detail table tr").count() == ds.X_test.shape[1] + 1
    assert ds.feature_names[0] in page.locator("#detail").inner_text()
    # every model's explanation of the row: one column each, and what a contribution means
    assert page.locator("#detail table tr").first.locator("th").count() == 2 + 2
    kinds = page.locator("#detail-kinds").inner_text()
    assert "reconstruction error" in kinds and "Shapley value" in kinds
    if "flagged" in page.locator("#detail ul").first.inner_text():
        assert "flagged this row mostly for" in page.locator("#detail").inner_text()
    page.keyboard.press("Escape")
    page.wait_for_selector("#detail", state="hidden")

    assert page.locator("#run-error").inner_text() == ""
    assert page.evaluate(_CONTRAST) == [], "text below a 4.5:1 contrast"
    assert page.foreign == [], f"the page contacted other hosts: {page.foreign}"
    assert page.js_errors == []


def test_live_offers_starter_models_when_folder_is_empty(app_server, page, monkeypatch):
    from genad.datasets import DatasetNotFoundError, load
    from genad.serve import live

    monkeypatch.setattr(live, "BLIP_SET", ("PCA", "OCSVM"))  # two of the six, on few rows: seconds
    monkeypatch.setattr(live, "STARTER_ROWS", 500)
    srv = app_server()
    page.goto(srv.url + "/live")
    page.wait_for_selector("#starter:not([hidden])")
    assert page.evaluate(_CONTRAST) == [], "text below a 4.5:1 contrast"
    try:
        load("kdd99-ff12")
    except DatasetNotFoundError:
        assert page.locator("#starter-btn").is_disabled()
        assert "not in the data folder" in page.locator("#starter-status").inner_text()
        return
    assert page.locator("#source").input_value() == "kdd99-ff12"
    page.click("#starter-btn")
    page.wait_for_selector('input[name="model"][value="ff12-ocsvm"]:checked', timeout=120_000)
    assert page.locator('input[name="model"][value="ff12-pca"]').is_checked()
    assert "fitted ff12-pca, ff12-ocsvm" in page.locator("#starter-status").inner_text()
    page.fill("#rate", "200")
    page.click("#start")
    page.wait_for_function("() => Number(document.querySelector('#progress')?.dataset.rows || 0) >= 100")
    assert sum(_counts(page, "ff12-ocsvm")) >= 100
    assert page.js_errors == []


def test_live_page_with_api_keys(app_server, page, live_models, tmp_path):
    from genad.serve import new_key

    keys = tmp_path / "keys.json"
    key = new_key(keys, "viewer", "score")
    srv = app_server(live_models[0], auth=True, api_keys=keys)
    page.goto(srv.url + "/live")
    page.wait_for_selector("#setup-error:has-text('missing API key')")
    page.fill("#api-key", key)
    page.keyboard.press("Tab")  # change: the page retries with the key
    page.wait_for_selector('input[name="model"][value="pca"]:checked')
    page.select_option("#source", "breast-cancer")
    page.click("#start")
    # the events (read with the key in a header, not the URL) arrive
    page.wait_for_function("() => Number(document.querySelector('#progress')?.dataset.rows || 0) >= 5")
    assert page.locator("#run-error").inner_text() == ""
    assert page.js_errors == []
