"""Screenshots of the app's pages for the docs, taken with Debian's chromium through Playwright.

Starts the app (no auth, a temporary models folder) under uvicorn on a free loopback port, trains
an AutoEncoder on ECG5000 in the /train page (breast-cancer when the ECG5000 files are not in
GENAD_DATA), draws the average normal beat, and saves ``docs/img/train.png``; saves
``docs/img/live.png`` after the live page has streamed for a few seconds, when the app has one.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python docs/screenshots.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def start_app(models: Path):
    import uvicorn

    from genad.serve import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(models, auth=False), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=HERE / "img")
    ap.add_argument("--epochs", type=int, default=15)
    args = ap.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium not found on PATH (apt-get install chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from genad.datasets import list_datasets

    present = {d["name"]: d["present"] for d in list_datasets()}
    dataset = "ecg5000" if present.get("ecg5000") else "breast-cancer"
    args.out.mkdir(parents=True, exist_ok=True)
    server, url = start_app(Path(tempfile.mkdtemp(prefix="genad-shots-")) / "models")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                         args=["--no-sandbox", "--disable-dev-shm-usage"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(300_000)
            page.goto(url + "/train")
            page.wait_for_selector("#detector option", state="attached")
            page.select_option("#dataset", dataset)
            page.eval_on_selector("#contamination", "el => { el.value = '0.05'; el.dispatchEvent(new Event('input')); }")
            page.fill("#p-epochs", str(args.epochs))
            page.click("#train")
            page.wait_for_selector("#results:not(.hidden)")
            if dataset == "ecg5000":
                page.click("#beat-normal")
                page.wait_for_function("document.getElementById('beat-result').dataset.score !== undefined")
            page.click("#next-anomaly")
            page.wait_for_timeout(500)
            page.screenshot(path=str(args.out / "train.png"), full_page=True)
            print(f"wrote {args.out / 'train.png'} ({dataset})")
            page.fill("#save-name", "ecg-ae" if dataset == "ecg5000" else "bc-ae")
            page.click("#save")
            page.wait_for_selector("#save-result.ok")
            if page.request.get(url + "/live").status == 200:
                # two more models on the same data, so the live page compares three side by side
                import genad
                from genad.datasets import load

                ds = load(dataset)
                registry = server.config.app.state.genad.registry
                for name, det in (("pca", genad.PCA()), ("iforest", genad.IsolationForest(random_state=0))):
                    _, tmp = registry.new_upload()
                    det.fit(ds.X_train).save(tmp)
                    registry.install(name, tmp)
                page.goto(url + "/live")
                page.wait_for_selector('input[name="model"][value="pca"]', state="attached")
                for name in ("pca", "iforest", "ecg-ae" if dataset == "ecg5000" else "bc-ae"):
                    page.check(f'input[name="model"][value="{name}"]')
                page.select_option("#source", dataset)
                page.fill("#rate", "50")
                page.click("#start")
                page.wait_for_timeout(8000)
                page.screenshot(path=str(args.out / "live.png"), full_page=True)
                print(f"wrote {args.out / 'live.png'}")
            else:
                print("no /live page in this build: live.png not taken")
            browser.close()
    finally:
        server.should_exit = True
    return 0


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
