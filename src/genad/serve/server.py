"""Running the app with uvicorn: bind checks, the startup report, logging."""

from __future__ import annotations

import ipaddress
import logging
import sys
import warnings
from typing import Callable

from .app import create_app


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run(host: str = "127.0.0.1", port: int = 8000, *, auth: bool = True,
        echo: Callable[[str], None] = print, log_level: str = "info", **app_options) -> None:
    """Build the app, report where it listens and what it loaded, and serve until stopped.

    ``app_options`` go to :func:`create_app`. ``auth=False`` is refused unless ``host`` is a
    loopback address: an open scoring endpoint must not be reachable from other machines.
    """
    import uvicorn

    if not auth and not is_loopback(host):
        raise ValueError(f"--no-auth is only allowed with a loopback bind (127.0.0.1, ::1, localhost), "
                         f"not {host}; make a key with genad serve --new-key NAME instead")
    if not 0 <= int(port) <= 65535:
        raise ValueError(f"--port must be between 0 and 65535, got {port}")
    app = create_app(auth=auth, **app_options)
    reg = app.state.genad.registry
    shown = f"[{host}]" if ":" in host else host
    echo(f"genad serve: listening on http://{shown}:{port}  (API docs at /docs; auth {'on' if auth else 'OFF'})")
    echo(f"models from {reg.folder.resolve()}: " + (", ".join(
        f"{e.name} ({type(e.detector).__name__})" for e in reg.entries()) or "none loaded"))
    for name, why in sorted(reg.failed.items()):
        echo(f"  not loaded: {name}: {why}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    svc_log = logging.getLogger("genad.serve")
    svc_log.addHandler(handler)
    svc_log.setLevel(getattr(logging, log_level.upper(), logging.INFO))
    svc_log.propagate = False
    # scikit-learn repeats this warning on every IsolationForest call made from a scoring thread;
    # it concerns configuration propagation to joblib workers and would fill the log
    warnings.filterwarnings("ignore", message=r".*sklearn\.utils\.parallel\.delayed.*", category=UserWarning)
    try:
        uvicorn.run(app, host=host, port=int(port), access_log=False, log_level=log_level,
                    server_header=False)
    finally:
        svc_log.removeHandler(handler)
