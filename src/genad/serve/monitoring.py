"""Drift and feedback routes: ``GET /v1/models/{name}/drift`` and ``/v1/models/{name}/feedback``.

Every row a model scores through the API is added to that model's :class:`genad.monitor.Monitor`
(a bounded window of the most recent rows; the scoring thread only appends). ``GET .../drift``
tests the window now, in the scoring pool, and answers the :class:`genad.monitor.DriftReport`
with the recent history of checks (the data a page needs to plot the p-value over time). A new
version of a model (upload) starts a new monitor. Verdicts posted to ``.../feedback`` go to the
append-only store ``NAME.feedback.sqlite`` in the models folder.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any, Optional

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from .api import APIError, _entry, require
from .registry import ModelEntry

log = logging.getLogger("genad.serve")


class Monitors:
    """One :class:`genad.monitor.Monitor` per served model version, made on first use."""

    def __init__(self, **options: Any):
        self.options = options
        self._lock = threading.Lock()
        self._by_name: dict[str, tuple[str, Any]] = {}

    def get(self, entry: ModelEntry):
        from ..monitor import Monitor

        with self._lock:
            have = self._by_name.get(entry.name)
            if have is not None and have[0] == entry.digest:
                return have[1]
            mon = Monitor(entry.detector, **self.options)
            self._by_name[entry.name] = (entry.digest, mon)
            return mon

    def observe(self, entry: ModelEntry, X, scores) -> None:
        """Add scored rows to the model's window; never fails the request that scored them."""
        try:
            self.get(entry).observe(X, scores)
        except (ValueError, TypeError) as exc:  # pragma: no cover - the rows were validated by scoring
            log.warning("drift monitor of %s skipped a batch: %s", entry.name, exc)


class DriftResponse(BaseModel):
    model: str
    digest: str
    drift: bool
    p_value: float
    statistic: Optional[float] = None
    features: list[str]
    since: Optional[int] = Field(None, description="check number where the current drift began")
    since_time: Optional[float] = Field(None, description="Unix time of that check")
    batch: int = Field(description="number of this check")
    rows_seen: int
    window: int
    alpha: float
    time: float
    tests: dict[str, Any]
    history: list[dict[str, Any]] = Field(description="recent checks, oldest first: batch, rows_seen, time, "
                                          "drift, p_value, statistic and each test's p-value")


class FeedbackResponse(BaseModel):
    model: str
    stored: int
    records: int
    keys: int
    anomalies: int
    normals: int


_FEEDBACK_BODY = {
    "required": True,
    "content": {"application/json": {
        "schema": {"type": "object", "properties": {"verdicts": {"type": "array", "items": {
            "type": "object", "required": ["key", "verdict"],
            "properties": {"key": {"type": "string"}, "verdict": {"type": "integer", "enum": [0, 1]},
                           "who": {"type": "string"}, "when": {"type": "string", "format": "date-time"},
                           "score": {"type": "number"}, "row": {"type": "array", "items": {"type": "number"}}}}}}},
        "example": {"verdicts": [{"key": "flow-17", "verdict": 1, "who": "ana"}]},
    }},
}

v1 = APIRouter(prefix="/v1")


def _drift_job(svc, entry: ModelEntry, history: int) -> dict:
    mon = svc.monitors.get(entry)
    report = mon.check().to_dict()
    hist = list(mon.history)[-history:] if history else []
    since_time = next((h["time"] for h in reversed(list(mon.history)) if h["batch"] == report["since"]), None)
    return {"model": entry.name, "digest": entry.digest, **report, "since_time": since_time,
            "history": [{k: v for k, v in h.items()} for h in hist]}


@v1.get("/models/{name}/drift", tags=["monitoring"], response_model=DriftResponse,
        summary="Drift of the rows this model has scored: scores, input features, latent codes",
        description="Tests the most recent scored rows (a window) now: the scores against the model's "
                    "calibration scores, each input feature and (for models with codes) the latent codes "
                    "against reference rows (rows stored with the model, else the first rows scored). "
                    "`drift` is true when the combined p-value is below `alpha`.",
        dependencies=[require("score")])
async def get_drift(request: Request, name: str,
                    history: int = Query(100, ge=0, le=500, description="recent checks to include")):
    svc = request.app.state.genad
    entry = _entry(request, name)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(svc.pool, _drift_job, svc, entry, history)


def _feedback_job(folder, entry: ModelEntry, body: bytes, caller: str) -> dict:
    from ..monitor import FeedbackStore, store_path

    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise APIError(400, "bad_request", f"request body is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or set(doc) != {"verdicts"} or not isinstance(doc["verdicts"], list) \
            or not doc["verdicts"]:
        raise APIError(400, "bad_request", 'send {"verdicts": [{"key": ..., "verdict": 1 or 0, "who": ...}, ...]}')
    if len(doc["verdicts"]) > 10_000:
        raise APIError(413, "too_many_rows", "at most 10,000 verdicts per request; split them")
    records = []
    for rec in doc["verdicts"]:
        if isinstance(rec, dict):
            rec = {**rec, "model": entry.name}
            rec.setdefault("who", caller)
        records.append(rec)
    store = FeedbackStore(store_path(folder / f"{entry.name}.genad"))
    try:
        n = store.add_many(records)
    except ValueError as exc:
        raise APIError(422, "invalid_input", str(exc)) from None
    return {"model": entry.name, "stored": n, **store.summary()}


@v1.post("/models/{name}/feedback", tags=["monitoring"], response_model=FeedbackResponse,
         summary="Record analysts' verdicts on scored items (append-only)",
         description="Body: `{\"verdicts\": [{\"key\": ..., \"verdict\": 1 or 0, \"who\": ..., \"when\": ..., "
                     "\"score\": ..., \"row\": [...]}]}`; `who` defaults to the API key's name. Stored in "
                     "`NAME.feedback.sqlite` in the models folder; `genad retrain` reads it.",
         openapi_extra={"requestBody": _FEEDBACK_BODY}, dependencies=[require("score")])
async def post_feedback(request: Request, name: str):
    svc = request.app.state.genad
    entry = _entry(request, name)
    body = await request.body()
    caller = getattr(request.state, "caller", None) or "api"
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(svc.pool, _feedback_job, svc.registry.folder, entry, body, caller)
