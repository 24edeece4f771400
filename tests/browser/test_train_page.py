"""The trainer page (/train) in a real browser: train, watch the loss, move the threshold, save,
draw a beat, upload a bad CSV; keyboard use and contrast; nothing requested from other hosts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from genad.metrics import evaluate


def _train(page, *, dataset="breast-cancer", detector="AutoEncoder", epochs=3, train_size=None, **fields):
    page.wait_for_selector("#detector option", state="attached")
    page.select_option("#dataset", dataset)
    page.select_option("#detector", detector)
    if train_size is not None:
        page.eval_on_selector("#train-size", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
                              str(train_size))
    page.fill("#p-epochs", str(epochs))
    for name, value in fields.items():
        page.fill(f"#p-{name}", str(value))
    page.click("#train")


def _wait_done(page, timeout=120_000):
    page.wait_for_function("['done', 'failed', 'cancelled'].includes(document.getElementById('job-state').textContent)",
                           timeout=timeout)
    state = page.inner_text("#job-state")
    assert state == "done", f"job ended {state}: {page.inner_text('#job-message')} {page.inner_text('#job-error')}"
    page.wait_for_selector("#results:not(.hidden)")


def _job(srv, page):
    import httpx

    job_id = page.evaluate("() => fetch('/v1/train/jobs').then(r => r.json()).then(j => j.jobs.at(-1).id)")
    return httpx.get(f"{srv.url}/v1/train/jobs/{job_id}", timeout=30).json()


def test_train_threshold_metrics_save(app_server, page, tmp_path):
    srv = app_server()
    page.goto(srv.url + "/train")
    _train(page, epochs=3)
    # the loss chart gets one point per epoch, streamed while the job runs
    _wait_done(page)
    assert page.inner_text("#epochs-done") == "3"
    job = _job(srv, page)
    assert [e["epoch"] for e in job["history"]] == [1, 2, 3]
    res = job["results"]
    scores, labels = np.array(res["scores"]), np.array(res["labels"])

    # move the threshold slider from the keyboard; the page's numbers equal genad.metrics.evaluate
    page.focus("#threshold")
    for key, presses in (("ArrowLeft", 25), ("Home", 1), ("End", 1), ("PageDown", 3)):
        for _ in range(presses):
            page.keyboard.press(key)
        t = float(page.get_attribute("#threshold-value", "data-value"))
        ref = evaluate(labels, scores, t)
        for k in ("tp", "fp", "tn", "fn"):
            assert int(page.inner_text(f"#cm-{k}")) == ref[k], (key, k)
        for k in ("accuracy", "precision", "recall", "f1", "fpr"):
            assert float(page.get_attribute(f"#m-{k}", "data-value")) == pytest.approx(ref[k], abs=1e-12), (key, k)
    ref = evaluate(labels, scores)
    assert float(page.get_attribute("#roc-auc", "data-value")) == pytest.approx(ref["roc_auc"], abs=1e-9)
    assert float(page.get_attribute("#pr-auc", "data-value")) == pytest.approx(ref["pr_auc"], abs=1e-9)

    # per-sample view and codes view are drawn for a reconstruction model
    page.click("#next-anomaly")
    page.wait_for_selector("#sample-chart canvas")
    assert "anomaly" in page.inner_text("#sample-info")
    page.wait_for_selector("#codes-chart canvas")

    # save into the models folder: listed by the API and scorable there
    page.fill("#save-name", "bc-ae")
    page.click("#save")
    page.wait_for_selector("#save-result.ok")
    models = page.evaluate("() => fetch('/v1/models').then(r => r.json())")
    assert "bc-ae" in [m["name"] for m in models["models"]]
    assert (Path(srv.app.state.genad.registry.folder) / "bc-ae.genad").is_file()
    live = page.request.get(srv.url + "/live")
    if live.status == 200:  # the live view lists the models folder when it is part of the app
        page.goto(srv.url + "/live")
        page.wait_for_selector("text=bc-ae", state="attached", timeout=30_000)
    assert page.foreign == [], f"the page contacted other hosts: {page.foreign}"
    assert page.js_errors == []


def test_pause_resume_cancel_and_queue(app_server, page):
    srv = app_server()
    page.goto(srv.url + "/train")
    # many slow epochs: the job is still running when it is cancelled
    _train(page, epochs=100_000, batch_size=1)
    # the first job of a session also starts the process that jobs are forked from
    page.wait_for_function("document.getElementById('epochs-done').textContent !== '0'", timeout=180_000)
    assert page.is_enabled("#pause"), (page.inner_text("#job-state"), page.inner_text("#job-message"),
                                       page.inner_text("#job-error"))
    page.click("#pause")
    page.wait_for_function("document.getElementById('job-state').textContent === 'paused'")
    done = int(page.inner_text("#epochs-done"))
    page.wait_for_timeout(800)
    assert int(page.inner_text("#epochs-done")) <= done + 1  # at most the epoch in flight
    page.click("#resume")
    page.wait_for_function("document.getElementById('job-state').textContent === 'running'", timeout=60_000)
    page.click("#cancel")
    page.wait_for_function("document.getElementById('job-state').textContent === 'cancelled'", timeout=60_000)
    assert page.is_enabled("#train")
    assert page.js_errors == []


def test_csv_with_text_column_shows_the_error(app_server, page, tmp_path):
    srv = app_server()
    csv = tmp_path / "rows.csv"
    rng = np.random.default_rng(0)
    lines = ["a,b,host,label"] + [f"{x:.3f},{y:.3f},h{i % 3},{int(i % 10 == 0)}"
                                  for i, (x, y) in enumerate(rng.normal(size=(60, 2)))]
    csv.write_text("\n".join(lines) + "\n")
    page.goto(srv.url + "/train")
    page.wait_for_selector("#detector option", state="attached")
    page.set_input_files("#csv-file", str(csv))
    page.wait_for_selector("#label-row:not(.hidden)")
    assert page.input_value("#label-column") == "label"
    page.select_option("#detector", "IsolationForest")
    page.click("#train")
    page.wait_for_selector("#data-error:not(:empty)")
    msg = page.inner_text("#data-error")
    assert "host" in msg and "text" in msg, msg
    # choosing the text column as the label trains
    page.select_option("#label-column", "host")
    page.click("#train")
    _wait_done(page)
    assert page.js_errors == []


def test_draw_a_beat(app_server, page):
    data = Path(os.environ.get("GENAD_DATA", "")) / "ecg5000" / "test.json"
    if not data.is_file():
        pytest.skip(f"ECG5000 not found at {data} (set GENAD_DATA to the data folder)")
    srv = app_server()
    page.goto(srv.url + "/train")
    _train(page, dataset="ecg5000", epochs=2, train_size=300)
    _wait_done(page)
    page.wait_for_selector("#beat-panel:not(.hidden)")
    page.locator("#beat-canvas").scroll_into_view_if_needed()
    box = page.locator("#beat-canvas").bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    for k in range(1, 40):
        x = box["x"] + 2 + k * (box["width"] - 4) / 39
        y = box["y"] + box["height"] * (0.5 - 0.4 * np.sin(k / 39 * 2 * np.pi))
        page.mouse.move(x, y)
    page.mouse.up()
    try:
        page.wait_for_function("document.getElementById('beat-result').dataset.score !== undefined", timeout=20_000)
    except Exception:
        raise AssertionError(f"the drawing was not scored: {page.inner_text('#beat-result')!r} {page.js_errors}")
    drawn = float(page.get_attribute("#beat-result", "data-score"))
    page.click("#beat-normal")  # the keyboard-reachable way: the average normal beat
    page.wait_for_function(f"document.getElementById('beat-result').dataset.score !== '{drawn!r}'")
    normal = float(page.get_attribute("#beat-result", "data-score"))
    assert np.isfinite(drawn) and np.isfinite(normal) and normal < drawn
    assert page.js_errors == []


_CONTRAST = """() => {
  const lum = (c) => { const v = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((x) => x / 255)
      .map((x) => (x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4));
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
      if (!c.startsWith('rgba(0, 0, 0, 0)') && !c.endsWith(', 0)')) return c; } return 'rgb(255, 255, 255)'; };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.offsetParent || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const a = lum(getComputedStyle(el).color), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    out.push([el.tagName + '#' + el.id + ' ' + el.textContent.trim().slice(0, 30), ratio]);
  }
  return out;
}"""


def test_keyboard_only_and_contrast(app_server, page):
    srv = app_server()
    page.goto(srv.url + "/train")
    page.wait_for_selector("#detector option", state="attached")
    page.select_option("#dataset", "breast-cancer")
    page.fill("#p-epochs", "2")
    # every control is reachable with Tab and shows a focus ring; Enter on Train starts the job
    page.click("h1")  # the focus navigation starts at the top of the page
    seen = set()
    for _ in range(150):
        page.keyboard.press("Tab")
        info = page.evaluate("() => { const e = document.activeElement; const s = getComputedStyle(e);"
                             " return [e.id, s.outlineStyle, s.outlineWidth]; }")
        seen.add(info[0])
        if info[0] == "train":
            assert info[1] != "none" and info[2] != "0px", "no visible focus on the Train button"
            break
    assert {"dataset", "train-size", "contamination", "detector", "p-epochs", "train"} <= seen, seen
    page.keyboard.press("Enter")
    _wait_done(page)
    low = [(what, round(r, 2)) for what, r in page.evaluate(_CONTRAST) if r < 4.5]
    assert low == [], f"text below a 4.5:1 contrast ratio: {low}"
