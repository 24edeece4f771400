"""Browser tests: the genad app under uvicorn on a free loopback port, driven by Debian's chromium.

Playwright drives the system's ``chromium`` (``apt-get install chromium``); it never downloads a
browser of its own. Without chromium (or Playwright) the tests skip with the reason, and with
``GENAD_REQUIRE_BROWSER=1`` (continuous integration) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REQUIRE_BROWSER = os.environ.get("GENAD_REQUIRE_BROWSER", "") not in ("", "0")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"]


def _missing(reason: str):
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (GENAD_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """``create_app(**options)`` served by uvicorn in a background thread of this process."""

    def __init__(self, models: Path, **options):
        import uvicorn

        from genad.serve import create_app

        options.setdefault("auth", False)
        self.app = create_app(models, **options)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    def start(self) -> "AppServer":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise AssertionError("the app did not start within 60 s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def app_server(tmp_path):
    """Factory: ``app_server(models_dir=None, **create_app_options)`` -> a started AppServer."""
    started: list[AppServer] = []

    def start(models_dir: Path | None = None, **options) -> AppServer:
        folder = Path(models_dir) if models_dir is not None else tmp_path / "models"
        srv = AppServer(folder, **options).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        _missing("browser: chromium not found on PATH (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("browser: playwright for Python is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page that records every request to a host other than 127.0.0.1 (``page.foreign``)
    and every JavaScript error (``page.js_errors``)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.foreign = []
    pg.js_errors = []
    pg.on("request", lambda r: urlsplit(r.url).hostname not in ("127.0.0.1", None)
          and not r.url.startswith(("data:", "blob:")) and pg.foreign.append(r.url))
    pg.on("pageerror", lambda e: pg.js_errors.append(f"{e}\n{e.stack}"))
    pg.set_default_timeout(30_000)
    yield pg
    context.close()
