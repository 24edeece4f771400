"""The genad application: one FastAPI app with an API part (``/healthz``, ``/readyz``, ``/v1``)
and a pages part (``/``, ``/train``, ``/live``, ``/docs``: routers beside the API), all assets served
from the package's ``static`` folder, never from another host.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from . import api, live, monitoring, pages, train
from .auth import KeyStore
from .limits import (BodyTooLarge, Gate, GuardMiddleware, RateLimited, TokenBuckets, TooBusy,
                     retry_after_header, too_large_message)
from .registry import Registry

STATIC = Path(__file__).resolve().parent / "static"
_SWAGGER = "/static/vendor/swagger-ui"
log = logging.getLogger("genad.serve")


async def _watch(svc: "Service", every: float) -> None:
    """Refresh the registry from its folder every ``every`` seconds (loads run off the loop)."""
    while True:
        await asyncio.sleep(every)
        try:
            changes = await asyncio.to_thread(svc.registry.refresh)
        except Exception:  # noqa: BLE001 - an unreadable folder must not stop the service
            log.exception("could not read the models folder %s", svc.registry.folder)
            continue
        for name, what in changes.items():
            if what == "removed":
                svc.scorers.pop(name, None)
            log.info("model %s: %s (models folder changed)", name, what)


@dataclass
class Service:
    """What the routes share: registry, keys, limits, scoring pool."""

    registry: Registry
    keys: Optional[KeyStore]
    buckets: TokenBuckets
    gate: Gate
    max_rows: int
    workers: int
    pool: ThreadPoolExecutor = field(init=False)
    monitors: monitoring.Monitors = field(default_factory=monitoring.Monitors)
    scorers: dict = field(default_factory=dict)  # model name -> api.ModelScorer of its version

    def __post_init__(self):
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="genad-score")


def create_app(
    models: str | os.PathLike = "models",
    *,
    api_keys: str | os.PathLike | None = None,
    auth: bool = True,
    max_body_mb: float = 32,
    max_upload_mb: float = 512,
    max_rows: int = 100_000,
    rate_limit: float = 200.0,
    burst: float | None = None,
    max_concurrent: int = 32,
    workers: int | None = None,
    cors: Sequence[str] = (),
    load_options: dict | None = None,
    train_workers: int = 1,
    reload_interval: float = 2.0,
) -> FastAPI:
    """Build the genad app serving the models of the folder ``models``.

    Parameters
    ----------
    models : folder of ``NAME.genad`` files and ``NAME.onnx`` files written by genad's ONNX export
        (created if missing); each is served as ``NAME``.
    api_keys : key file written by ``genad serve --new-key`` (required unless ``auth=False``).
    auth : require an API key on ``/v1``. Only turn it off for a server bound to loopback.
    max_body_mb : largest request body (413 above it).
    max_upload_mb : largest model file accepted by ``PUT`` (413 above it).
    max_rows : most rows in one score request (413 above it).
    rate_limit, burst : per-key token bucket, requests per second and burst size (429 with
        Retry-After beyond it); ``rate_limit=0`` turns it off. ``burst`` defaults to 2 x rate.
    max_concurrent : score and upload requests in progress at once; the next gets a fast 503.
    workers : threads that parse and score (default: the machine's CPU count).
    cors : origins allowed to call the API from a browser (none by default).
    load_options : keyword arguments passed to :func:`genad.load` for every model file.
    train_workers : training jobs of the ``/train`` page that run at once (more wait, queued).
    reload_interval : seconds between looks at the models folder for files other processes added,
        replaced (a version promoted by ``genad retrain``) or removed; the new version serves
        once it loads, and a file that fails to load leaves the old version serving. 0: only
        at start-up and through the API.
    """
    if auth:
        if api_keys is None:
            raise ValueError("auth is on but no API key file was given; make a key with "
                             "genad serve --new-key NAME --role admin, or turn auth off on a loopback bind")
        if not Path(api_keys).is_file():
            raise ValueError(f"API key file {api_keys} does not exist; make a key with genad serve "
                             "--new-key NAME --role admin (or turn auth off on a loopback bind)")
        keys = KeyStore.from_file(api_keys)
        if not keys.keys:
            raise ValueError(f"API key file {api_keys} holds no keys; add one with genad serve --new-key NAME")
    else:
        keys = None
    for label, value, low in (("max_body_mb", max_body_mb, 0), ("max_upload_mb", max_upload_mb, 0),
                              ("max_rows", max_rows, 0),
                              ("max_concurrent", max_concurrent, 0), ("rate_limit", rate_limit, -1),
                              ("reload_interval", reload_interval, -1)):
        if not value > low:
            raise ValueError(f"{label} must be {'positive' if low == 0 else 'zero or more'}, got {value}")
    workers = int(workers or os.cpu_count() or 1)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    svc = Service(
        registry=Registry(models, load_options).scan(),
        keys=keys,
        buckets=TokenBuckets(rate_limit, burst if burst is not None else 2 * rate_limit),
        gate=Gate(max_concurrent),
        max_rows=int(max_rows),
        workers=workers,
    )

    jobs = train.JobManager(svc.registry, workers=train_workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        watcher = (asyncio.get_running_loop().create_task(_watch(svc, float(reload_interval)))
                   if reload_interval > 0 else None)
        yield
        if watcher is not None:
            watcher.cancel()
        jobs.shutdown()
        svc.pool.shutdown(wait=True, cancel_futures=True)

    app = FastAPI(
        title="genad",
        version=__version__,
        description="Anomaly scores, labels and conformal p-values from genad models.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.genad = svc
    app.state.genad_jobs = jobs
    app.include_router(api.router)
    app.include_router(api.v1)
    app.include_router(monitoring.v1, responses=api._ERRORS)
    app.include_router(pages.router)
    app.include_router(train.router)
    app.include_router(live.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_docs(app)
    _add_error_handlers(app)
    app.add_middleware(api.ScoreRoute, on_error=error_response)  # inside CORS and the guard below
    if cors:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors), allow_methods=["GET", "POST", "PUT", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "Accept"],
                           expose_headers=["X-Genad-Model", "X-Genad-Digest", "Retry-After"])
    app.add_middleware(GuardMiddleware, max_body=int(max_body_mb * 2**20), max_upload=int(max_upload_mb * 2**20))
    return app


def _add_docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request):
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + app.openapi_url,
            title="genad API",
            swagger_js_url=f"{root}{_SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{_SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{root}{_SWAGGER}/favicon-32x32.png",
            oauth2_redirect_url=root + "/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def oauth2_redirect():
        return get_swagger_ui_oauth2_redirect_html()


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(api.error_content(code, message), status_code=status, headers=headers)


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type"}


def error_response(exc: Exception) -> Optional[JSONResponse]:
    """The answer to a client error or a limit (:class:`api.APIError`, body too large, rate
    limited, too busy); None for any other exception."""
    if isinstance(exc, api.APIError):
        return _error(exc.status, exc.code, exc.message, exc.headers)
    if isinstance(exc, BodyTooLarge):
        return _error(413, "payload_too_large", too_large_message(exc.limit, exc.upload), {"Connection": "close"})
    if isinstance(exc, RateLimited):
        return _error(429, "rate_limited", "too many requests for this key; retry after the "
                      "Retry-After header's seconds", {"Retry-After": retry_after_header(exc.retry_after)})
    if isinstance(exc, TooBusy):
        return _error(503, "overloaded", "the server is at its concurrency limit; retry shortly",
                      {"Retry-After": "1"})
    return None


def _add_error_handlers(app: FastAPI) -> None:
    async def on_client_error_or_limit(request, exc: Exception):
        return error_response(exc)

    for kind in (api.APIError, BodyTooLarge, RateLimited, TooBusy):
        app.add_exception_handler(kind, on_client_error_or_limit)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request, exc: StarletteHTTPException):
        code = _CODES.get(exc.status_code, "error")
        msg = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404:
            msg = f"no route {request.url.path}; see /docs for the API"
        return _error(exc.status_code, code, msg, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def on_validation(request, exc: RequestValidationError):
        parts = []
        for e in exc.errors():
            where = ".".join(str(v) for v in e.get("loc", ()) if v not in ("query", "path", "body"))
            parts.append(f"{where}: {e.get('msg')}" if where else str(e.get("msg")))
        return _error(400, "bad_request", "; ".join(parts) or "invalid request")

    @app.exception_handler(Exception)
    async def on_other(request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _error(500, "internal_error", f"internal error ({type(exc).__name__}); see the server log")
