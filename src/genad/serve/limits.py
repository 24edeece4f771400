"""Request limits: body size, per-key rate (token bucket), in-flight work (fast 503), access log."""

from __future__ import annotations

import logging
import math
import time

log = logging.getLogger("genad.serve")


class BodyTooLarge(Exception):
    def __init__(self, limit: int, upload: bool = False):
        self.limit, self.upload = limit, upload


class TooBusy(Exception):
    """More requests in flight than the concurrency cap."""


class RateLimited(Exception):
    def __init__(self, retry_after: float):
        self.retry_after = retry_after


class TokenBuckets:
    """One token bucket per key: ``rate`` requests per second, bursts of up to ``burst``.

    Used from the event loop only (no lock needed). ``rate <= 0`` turns the limit off. Idle
    buckets are dropped once they would be full again, so memory stays bounded by active keys.
    """

    def __init__(self, rate: float, burst: float):
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._last_sweep = time.monotonic()

    def take(self, who: str) -> None:
        if self.rate <= 0:
            return
        now = time.monotonic()
        tokens, last = self._buckets.get(who, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[who] = (tokens, now)
            raise RateLimited((1.0 - tokens) / self.rate)
        self._buckets[who] = (tokens - 1.0, now)
        if now - self._last_sweep > 60.0:
            full_after = self.burst / self.rate
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}
            self._last_sweep = now


class Gate:
    """At most ``limit`` requests doing work at once; the next one is refused at once (503).

    A refused request costs microseconds, so an overloaded server answers quickly instead of
    queueing work it cannot finish in time. Event-loop only.
    """

    def __init__(self, limit: int):
        self.limit = int(limit)
        self.active = 0

    def __enter__(self):
        if self.active >= self.limit:
            raise TooBusy()
        self.active += 1
        return self

    def __exit__(self, *exc):
        self.active -= 1
        return False


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class GuardMiddleware:
    """ASGI middleware: body size cap and one log line per request.

    Model uploads (``PUT``) get their own, larger cap ``max_upload``. The cap is enforced twice: a ``Content-Length`` above it is refused before the body is read,
    and a body sent without one (chunked) raises :class:`BodyTooLarge` from ``receive`` once it
    passes the cap. The log line has method, path, model, rows, status and milliseconds, never the
    body, the query string or any header.
    """

    def __init__(self, app, max_body: int, max_upload: int | None = None):
        self.app = app
        self.max_body = int(max_body)
        self.max_upload = int(max_upload if max_upload is not None else max_body)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        state = scope.setdefault("state", {})
        status = {"code": 0}
        upload = scope.get("method") == "PUT"
        limit = self.max_upload if upload else self.max_body

        async def send_logged(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            length = None
            for k, v in scope.get("headers", ()):
                if k == b"content-length":
                    try:
                        length = int(v)
                    except ValueError:
                        length = None
            if length is not None and length > limit:
                await _send_error(send_logged, 413, "payload_too_large", too_large_message(limit, upload))
                return
            seen = 0

            async def receive_capped():
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > limit:
                        raise BodyTooLarge(limit, upload)
                return message

            await self.app(scope, receive_capped, send_logged)
        finally:
            ms = (time.perf_counter() - t0) * 1000.0
            log.info(
                "%s %s model=%s rows=%s status=%s ms=%.1f",
                scope.get("method"), scope.get("path"), state.get("model", "-"),
                state.get("rows", "-"), status["code"] or "-", ms,
            )


def too_large_message(limit: int, upload: bool = False) -> str:
    if upload:
        return (f"model file is larger than the upload limit of {limit / 2**20:g} MiB; start the "
                "server with a larger --max-upload-mb to accept it")
    return (f"request body is larger than the limit of {limit / 2**20:g} MiB; send fewer rows per "
            "request (or start the server with a larger --max-body-mb)")


async def _send_error(send, status: int, code: str, message: str, headers=()) -> None:
    import json

    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"), *headers],
    })
    await send({"type": "http.response.body", "body": body})
