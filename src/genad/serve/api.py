"""The REST API: health, readiness and ``/v1`` (list, score, upload, delete models).

Request bodies are read as bytes and parsed, validated and scored in the scoring thread pool, so
the event loop only moves bytes; a small JSON body of rows is parsed on the event loop (a few
microseconds) and its rows are scored together with those of other small requests for the same
model waiting at that moment (:class:`ModelScorer`). Input errors carry the library's own
``ValueError`` words.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
import re
from collections import deque
from itertools import chain
from typing import Any, Optional

import numpy as np
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, Field

from .. import thresholds as _th
from .registry import ModelEntry, check_name

PARQUET = "application/vnd.apache.parquet"
_PARQUET_TYPES = {PARQUET, "application/parquet", "application/x-parquet"}
_CSV_TYPES = {"text/csv", "application/csv"}
_JSON_TYPES = {"application/json", ""}
_UPLOAD_TYPES = {"application/octet-stream", "application/zip", ""}


class APIError(Exception):
    """An error answered as ``{"error": {"code": ..., "message": ...}}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


# ------------------------------------------------------------------ schema (documentation only)
class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class InputSchema(BaseModel):
    sample_shape: list[int]
    n_features: Optional[int] = None
    feature_names: Optional[list[str]] = None


class ModelInfo(BaseModel):
    name: str
    detector: str
    format: str = Field("genad", description="file format: genad (NAME.genad) or onnx (NAME.onnx, "
                        "scored by onnxruntime)")
    has_p_values: bool = Field(True, description="whether scores come with conformal p-values (false: an "
                               "ONNX file exported without calibration scores)")
    input: InputSchema
    threshold: float
    threshold_rule: Optional[str] = None
    digest: str = Field(description="SHA-256 of the model file")
    size: int = Field(description="file size in bytes")
    loaded_at: str


class ModelList(BaseModel):
    models: list[ModelInfo]
    failed: dict[str, str] = Field(description="model files that did not load, with the reason")


class ScoreResponse(BaseModel):
    model: str
    digest: str
    threshold: float
    n: int
    scores: list[float]
    labels: list[int]
    p_values: Optional[list[float]] = Field(description="conformal p-values; null when the model has no "
                                            "calibration scores (an ONNX file exported without them)")


_SCORE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "exactly one of rows (arrays in the model's sample shape) or records "
                               "(objects, columns matched by name)",
                "properties": {
                    "rows": {"type": "array", "items": {"type": "array", "items": {}}},
                    "records": {"type": "array", "items": {"type": "object"}},
                },
            },
            "example": {"rows": [[0.1, 2.0, 3.5]]},
        },
        "text/csv": {"schema": {"type": "string"}},
        PARQUET: {"schema": {"type": "string", "format": "binary"}},
    },
}
_UPLOAD_BODY = {
    "required": True,
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}
_ERRORS = {c: {"model": ErrorResponse} for c in (400, 401, 403, 404, 413, 415, 422, 429, 503)}


# ------------------------------------------------------------------ auth and limits
_bearer = HTTPBearer(auto_error=False, description="API key made with genad serve --new-key")


def authorize(request: Request, key: Optional[str], role: str) -> None:
    """Check the presented ``key`` (None: none sent) for ``role`` (unless auth is off), then take
    a token from the caller's rate-limit bucket. The caller is noted as ``request.state.caller``."""
    svc = request.app.state.genad
    if svc.keys is None:
        who = request.client.host if request.client else "local"
    else:
        if key is None:
            raise APIError(401, "unauthorized", "missing API key: send the header "
                           "'Authorization: Bearer <key>' (make a key with genad serve --new-key NAME)",
                           {"WWW-Authenticate": "Bearer"})
        found = svc.keys.match(key)
        if found is None:
            raise APIError(401, "unauthorized", "invalid API key", {"WWW-Authenticate": "Bearer"})
        if not found.allows(role):
            raise APIError(403, "forbidden", f"this key has the role {found.role!r}; "
                           f"this operation needs a key with the role {role!r}")
        who = "key:" + found.name
    request.state.caller = who
    svc.buckets.take(who)


def require(role: str):
    """Dependency: a key with ``role`` (or auth off), then the caller's rate limit."""

    async def check(request: Request, creds: Optional[HTTPAuthorizationCredentials] = Depends(_bearer)):
        authorize(request, None if creds is None else creds.credentials, role)

    return Depends(check)


def bearer_key(authorization: Optional[str]) -> Optional[str]:
    """The key of an ``Authorization: Bearer <key>`` header value, read as :data:`_bearer` reads it."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and credentials) or scheme.lower() != "bearer":
        return None
    return credentials


def _model_name(request: Request, name: str) -> str:
    request.scope["state"]["model"] = name
    try:
        return check_name(name)
    except ValueError as exc:
        raise APIError(400, "invalid_name", str(exc)) from None


def _entry(request: Request, name: str) -> ModelEntry:
    name = _model_name(request, name)
    entry = request.app.state.genad.registry.get(name)
    if entry is None:
        raise APIError(404, "not_found", f"no model named {name!r}; GET /v1/models lists the models")
    return entry


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


# ------------------------------------------------------------------ parsing and scoring (worker thread)
def parse_rows(media: str, body: bytes, max_rows: int):
    """Bytes of a score request -> what ``decision_function`` takes, and its row count."""
    import pandas as pd

    if media in _JSON_TYPES:
        field, data = json_rows(load_json(body), max_rows)
        return (data if field == "rows" else _records_frame(data)), len(data)
    if media in _CSV_TYPES:
        try:
            df = pd.read_csv(io.BytesIO(body))
        except pd.errors.EmptyDataError:
            raise APIError(400, "bad_request", "CSV body is empty; send a header line and rows") from None
        except Exception as exc:
            raise APIError(400, "bad_request", f"could not read the CSV body ({type(exc).__name__}: {exc})") from None
    elif media in _PARQUET_TYPES:
        try:
            df = pd.read_parquet(io.BytesIO(body))
        except Exception as exc:
            raise APIError(400, "bad_request",
                           f"could not read the Parquet body ({type(exc).__name__}: {exc})") from None
    else:
        raise APIError(415, "unsupported_media_type",
                       f"content type {media!r} is not accepted; send application/json "
                       f"({{\"rows\"|\"records\": ...}}), text/csv or {PARQUET}")
    if len(df) == 0:
        raise APIError(422, "invalid_input", "the table has a header but no rows")
    _check_count(len(df), max_rows)
    return df, len(df)


def json_rows(doc, max_rows: int) -> tuple[str, list]:
    """A parsed JSON score body -> ("rows", list of rows) or ("records", list of objects)."""
    if not isinstance(doc, dict) or len({"rows", "records"} & set(doc)) != 1:
        raise APIError(400, "bad_request", 'send a JSON object with exactly one of "rows" '
                       '(a list of rows) or "records" (a list of objects, columns by name)')
    if set(doc) - {"rows", "records"}:
        raise APIError(400, "bad_request", f"unknown field(s) {sorted(set(doc) - {'rows', 'records'})}; "
                       'send only "rows" or "records"')
    field = "rows" if "rows" in doc else "records"
    data = doc[field]
    if not isinstance(data, list) or not data:
        raise APIError(422, "invalid_input", f'"{field}" must be a non-empty list')
    _check_count(len(data), max_rows)
    if field == "rows":
        if not all(isinstance(r, list) for r in data):
            raise APIError(422, "invalid_input", '"rows" must be a list of lists (one list per row)')
    elif not all(isinstance(r, dict) for r in data):
        raise APIError(422, "invalid_input", '"records" must be a list of objects ({"column": value, ...})')
    return field, data


def load_json(body: bytes):
    """A JSON body as Python objects: orjson for speed; what orjson refuses (NaN and Infinity
    literals, integers beyond 64 bits, other encodings than UTF-8, deep nesting) is read, or
    refused with its message, by the standard library as before."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise APIError(400, "bad_request", f"request body is not valid JSON ({exc})") from None


def _records_frame(records: list[dict]):
    """Records -> DataFrame; a JSON null among numbers is NaN (as in a CSV), not text."""
    import pandas as pd

    df = pd.DataFrame.from_records(records)
    for col in df.columns[df.dtypes == object]:
        values = df[col].tolist()
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
            try:
                df[col] = pd.to_numeric(df[col].astype("float64"))
            except (TypeError, ValueError, OverflowError):
                pass
    return df


def _check_count(n: int, max_rows: int) -> None:
    if n > max_rows:
        raise APIError(413, "too_many_rows", f"{n} rows in one request; the limit is {max_rows} "
                       "rows per request: split the rows over several requests")


def decision_threshold(det, threshold: float | None, fpr: float | None) -> float:
    """The threshold for one call: the model's, or ``?threshold=`` / ``?fpr=``; never stored."""
    if threshold is not None and fpr is not None:
        raise APIError(400, "bad_request", "give at most one of ?threshold= and ?fpr=")
    if threshold is not None:
        if not math.isfinite(threshold):
            raise APIError(400, "bad_request", "?threshold= must be a finite number")
        return float(threshold)
    if fpr is not None:
        if det.calibration_scores_ is None:
            raise APIError(400, "bad_request", "?fpr= needs calibration scores, which this ONNX model "
                           "does not carry; give ?threshold= or export the model again")
        try:
            return float(_th.by_fpr(det.calibration_scores_, fpr))
        except ValueError as exc:
            raise APIError(400, "bad_request", f"?fpr=: {exc}") from None
    return float(det.threshold_)


def _decision(det, X) -> np.ndarray:
    """``det.decision_function(X)``, its input errors as 422 answers."""
    try:
        return np.asarray(det.decision_function(X), dtype=np.float64)
    except ValueError as exc:
        raise APIError(422, "invalid_input", str(exc)) from None
    except (TypeError, OverflowError) as exc:  # numbers JSON can hold but float64 cannot
        raise APIError(422, "invalid_input", f"X could not be read as numbers ({exc})") from None


def score_rows(entry: ModelEntry, X, threshold: float, scores=None, sorted_cal=None) -> dict:
    """Scores (computed unless given), labels at ``threshold`` and conformal p-values of ``X``
    (None for a model without calibration scores); ``sorted_cal``: the model's calibration
    scores in ascending order, if at hand."""
    det = entry.detector
    if scores is None:
        scores = _decision(det, X)
    if det.calibration_scores_ is None:
        p_values = None
    elif sorted_cal is None:
        p_values = _th.conformal_p_values(det.calibration_scores_, scores)
    else:
        p_values = _th.conformal_p_values(sorted_cal, scores, assume_sorted=True)
    return {"scores": scores, "labels": (scores > threshold).astype(np.int64), "p_values": p_values}


def _render(entry: ModelEntry, res: dict, threshold: float, parquet: bool) -> tuple[bytes, str]:
    if parquet:
        import pyarrow as pa
        import pyarrow.parquet as pq

        p = res["p_values"]
        table = pa.table({"score": res["scores"], "label": res["labels"],
                          "p_value": pa.nulls(len(res["scores"]), pa.float64()) if p is None else p})
        table = table.replace_schema_metadata({
            "model": entry.name, "digest": entry.digest, "threshold": repr(threshold)})
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="none")
        return buf.getvalue(), PARQUET
    doc = {
        "model": entry.name,
        "digest": entry.digest,
        "threshold": threshold,
        "n": int(len(res["scores"])),
        "scores": np.ascontiguousarray(res["scores"], dtype=np.float64),
        "labels": np.ascontiguousarray(res["labels"], dtype=np.int64),
        "p_values": (None if res["p_values"] is None
                     else np.ascontiguousarray(res["p_values"], dtype=np.float64)),
    }
    if not math.isfinite(threshold):  # refused as before: JSON has no infinity
        raise ValueError(f"Out of range float values are not JSON compliant: {threshold!r}")
    # scores and p-values are finite here (checked by the caller); numpy arrays written directly
    return orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY), "application/json"


def _answer(entry, X, scores, threshold, want_parquet, sorted_cal) -> tuple[bytes, str]:
    if not np.isfinite(scores).all():
        raise APIError(422, "invalid_input", "the model produced non-finite scores for these rows "
                       "(values far outside the training range?)")
    return _render(entry, score_rows(entry, X, threshold, scores, sorted_cal), threshold, want_parquet)


def plain_numbers(det, X):
    """A table (CSV or Parquet body) as the float64 array ``decision_function`` would make of it,
    when that is all its checks would do: a model fitted without column names (columns taken by
    position), as many columns as it was fitted on, all of them numbers, none NaN or infinite.
    Anything else is returned as it is, for the library's checks and their words. Saves the
    table checks' per-column work and copies (most of a large table's scoring time)."""
    if not hasattr(X, "columns") or getattr(det, "feature_names_in_", None) is not None \
            or tuple(getattr(det, "input_shape_", ())) != (X.shape[1],) \
            or not all(dt.kind in "fi" for dt in X.dtypes):
        return X
    arr = X.to_numpy(dtype=np.float64)
    return arr if np.isfinite(arr).all() else X


def _parquet_numbers(det, body: bytes, max_rows: int):
    """A Parquet body read straight into a float64 array when :func:`plain_numbers` would give
    one (one read, no DataFrame on the way), else None: then :func:`parse_rows` reads it."""
    if getattr(det, "feature_names_in_", None) is not None:
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(pa.BufferReader(body)).read(use_threads=False)
    except Exception:  # noqa: BLE001 - parse_rows reads it again and words the error
        return None
    if not 0 < table.num_rows <= max_rows or tuple(getattr(det, "input_shape_", ())) != (table.num_columns,) \
            or not all(pa.types.is_floating(t) or pa.types.is_integer(t) for t in table.schema.types) \
            or any(col.null_count for col in table.columns):
        return None
    arr = np.empty((table.num_rows, table.num_columns), dtype=np.float64)
    for j, col in enumerate(table.columns):
        arr[:, j] = col.to_numpy()
    return arr if np.isfinite(arr).all() else None


def _score_job(entry, media, body, max_rows, threshold, fpr, want_parquet, state, monitors=None, sorted_cal=None):
    threshold = decision_threshold(entry.detector, threshold, fpr)
    X = _parquet_numbers(entry.detector, body, max_rows) if media in _PARQUET_TYPES else None
    if X is None:
        X, n = parse_rows(media, body, max_rows)
        X = plain_numbers(entry.detector, X)
    state["rows"] = n = len(X)
    scores = _decision(entry.detector, X)
    out = _answer(entry, X, scores, threshold, want_parquet, sorted_cal)
    if monitors is not None:  # the drift window of GET /v1/models/{name}/drift
        monitors.observe(entry, X, scores)
    return out


# ------------------------------------------------------------------ small requests, scored together
#: JSON bodies up to this size are parsed on the event loop (microseconds) and their rows scored
#: together with those of other small requests for the same model that wait meanwhile
SMALL_BODY = 64 * 1024
#: most rows in one combined model call
BATCH_ROWS = 2048


def _score_small(entry, sorted_cal, batch, monitors) -> list:
    """Score the rows of several requests in one model call; one answer (or exception) per request.

    ``batch``: ``(rows, threshold, want_parquet)`` per request. Scores are per row, so a row's score
    does not depend on the others in the call (up to float rounding in a network's matrix
    products). If the combined call fails (a request with bad rows), each request is scored alone
    and gets the answer it would have got alone.
    """
    det = entry.detector
    combined = None
    if len(batch) > 1:
        try:
            combined = _decision(det, list(chain.from_iterable(rows for rows, _, _ in batch)))
        except Exception:  # noqa: BLE001 - each request is retried alone and answered on its own
            combined = None
    out, seen_rows, seen_scores, start = [], [], [], 0
    for rows, threshold, want_parquet in batch:
        try:
            if combined is not None:
                scores = combined[start:start + len(rows)]
                start += len(rows)
            else:
                scores = _decision(det, rows)
            out.append(_answer(entry, rows, scores, threshold, want_parquet, sorted_cal))
            seen_rows.append(rows)
            seen_scores.append(scores)
        except Exception as exc:  # noqa: BLE001 - raised again in that request's handler
            out.append(exc)
    if monitors is not None and seen_rows:  # the drift window of GET /v1/models/{name}/drift
        if len(seen_rows) == 1:
            monitors.observe(entry, seen_rows[0], seen_scores[0])
        else:
            monitors.observe(entry, list(chain.from_iterable(seen_rows)), np.concatenate(seen_scores))
    return out


class ModelScorer:
    """One model version's sorted calibration scores and its queue of small requests.

    Used from the event loop only. While one combined call for the model runs in the scoring
    pool, small requests for it queue; when the call returns, the queue goes into the next call.
    One client at a time gets one call per request, as before; many clients share the model's
    per-call cost (input checks, a forward pass, scikit-learn's per-call overhead) instead of
    queueing for the pool one by one.
    """

    def __init__(self, entry: ModelEntry):
        self.entry = entry
        cal = entry.detector.calibration_scores_  # None: a model without them (ONNX export)
        self.sorted_cal = None if cal is None else np.sort(np.asarray(cal, dtype=np.float64).ravel())
        self._queue: deque = deque()
        self._task: asyncio.Task | None = None

    async def score(self, pool, monitors, rows: list, threshold: float, want_parquet: bool):
        fut = asyncio.get_running_loop().create_future()
        self._queue.append((rows, threshold, want_parquet, fut))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drain(pool, monitors))
        return await fut

    async def _drain(self, pool, monitors) -> None:
        loop = asyncio.get_running_loop()
        batch: list = []
        try:
            while self._queue:
                batch, n = [], 0
                while self._queue and (not batch or n + len(self._queue[0][0]) <= BATCH_ROWS):
                    item = self._queue.popleft()
                    if not item[3].done():  # not given up by its client meanwhile
                        batch.append(item)
                        n += len(item[0])
                if not batch:
                    continue
                answers = await loop.run_in_executor(pool, _score_small, self.entry, self.sorted_cal,
                                                     [item[:3] for item in batch], monitors)
                for item, answer in zip(batch, answers):
                    if not item[3].done():
                        if isinstance(answer, BaseException):
                            item[3].set_exception(answer)
                        else:
                            item[3].set_result(answer)
                batch = []
        except BaseException as exc:  # the pool shut down, or this task was cancelled
            for item in [*batch, *self._queue]:
                if not item[3].done():
                    item[3].set_exception(exc if isinstance(exc, Exception) else RuntimeError("server stopping"))
            self._queue.clear()
            if not isinstance(exc, Exception):
                raise
        finally:
            self._task = None


def scorer(svc, entry: ModelEntry) -> ModelScorer:
    """The :class:`ModelScorer` of this model version (a new one after an upload)."""
    have = svc.scorers.get(entry.name)
    if have is None or have.entry is not entry:
        have = svc.scorers[entry.name] = ModelScorer(entry)
    return have


# ------------------------------------------------------------------ routes
router = APIRouter()
v1 = APIRouter(prefix="/v1", responses=_ERRORS)


@router.get("/healthz", tags=["health"], summary="Liveness: the process answers")
async def healthz():
    return {"status": "ok"}


@router.get("/readyz", tags=["health"], summary="Readiness: models are loaded",
            responses={503: {"model": ErrorResponse}})
async def readyz(request: Request):
    reg = request.app.state.genad.registry
    if not reg.loaded or len(reg) == 0:
        raise APIError(503, "not_ready", f"no model loaded from {reg.folder.name}/; add a .genad file "
                       "there or upload one with PUT /v1/models/{name}")
    return {"status": "ready", "models": len(reg), "failed": sorted(reg.failed)}


@v1.get("/models", tags=["models"], response_model=ModelList, summary="Loaded models",
        dependencies=[require("score")])
async def list_models(request: Request):
    reg = request.app.state.genad.registry
    return {"models": [e.info() for e in reg.entries()], "failed": dict(reg.failed)}


@v1.get("/models/{name}", tags=["models"], response_model=ModelInfo, summary="One model",
        dependencies=[require("score")])
async def get_model(request: Request, name: str):
    return _entry(request, name).info()


@v1.post(
    "/models/{name}/score",
    tags=["scoring"],
    summary="Score rows: anomaly scores, 0/1 labels and conformal p-values",
    description="Body: JSON `{\"rows\": [[...], ...]}` or `{\"records\": [{\"col\": value}, ...]}`, "
                "or a CSV or Parquet table. Send `Accept: application/vnd.apache.parquet` to get "
                "a Parquet table (score, label, p_value) back.",
    openapi_extra={"requestBody": _SCORE_BODY},
    responses={200: {"model": ScoreResponse}},
    dependencies=[require("score")],
)
async def score(
    request: Request,
    name: str,
    threshold: Optional[float] = Query(None, description="label at this score threshold, this call only"),
    fpr: Optional[float] = Query(None, gt=0, lt=1, description="label at the threshold with this "
                                 "false-positive rate on the model's calibration scores, this call only"),
):
    return await score_request(request, name, threshold, fpr)


async def score_request(request: Request, name: str, threshold: Optional[float], fpr: Optional[float]) -> Response:
    """Answer a score request whose caller is authorised (the route and :class:`ScoreRoute`)."""
    svc = request.app.state.genad
    entry = _entry(request, name)  # this version serves the request even if replaced meanwhile
    media = _media_type(request)
    want_parquet = PARQUET in request.headers.get("accept", "")
    with svc.gate:
        body = await request.body()
        model = scorer(svc, entry)
        field = data = None
        if media in _JSON_TYPES and len(body) <= SMALL_BODY:
            # a small JSON body is parsed here, in microseconds; its rows join the model's next call
            limit = decision_threshold(entry.detector, threshold, fpr)
            field, data = json_rows(load_json(body), svc.max_rows)
        if field == "rows":
            request.scope["state"]["rows"] = len(data)
            out, kind = await model.score(svc.pool, svc.monitors, data, limit, want_parquet)
        else:
            loop = asyncio.get_running_loop()
            out, kind = await loop.run_in_executor(
                svc.pool, _score_job, entry, media, body, svc.max_rows, threshold, fpr, want_parquet,
                request.scope["state"], svc.monitors, model.sorted_cal)
    return Response(out, media_type=kind, headers={"X-Genad-Model": entry.name, "X-Genad-Digest": entry.digest})


@v1.put(
    "/models/{name}",
    tags=["models"],
    summary="Upload a .genad model file or an .onnx file written by genad's export (raw body); replaces "
            "the old one once the new one loads",
    openapi_extra={"requestBody": _UPLOAD_BODY},
    response_model=ModelInfo,
    responses={201: {"model": ModelInfo}},
    dependencies=[require("admin")],
)
async def put_model(request: Request, name: str, response: Response):
    svc = request.app.state.genad
    name = _model_name(request, name)
    media = _media_type(request)
    if media not in _UPLOAD_TYPES:
        raise APIError(415, "unsupported_media_type", f"content type {media!r} is not accepted; "
                       "send the .genad file as application/octet-stream")
    with svc.gate:
        fd, tmp = svc.registry.new_upload()
        size = 0
        try:
            with os.fdopen(fd, "wb") as f:
                async for chunk in request.stream():
                    f.write(chunk)
                    size += len(chunk)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if size == 0:
            tmp.unlink(missing_ok=True)
            raise APIError(400, "bad_request", "empty upload; send the .genad file as the request body")
        loop = asyncio.get_running_loop()
        try:
            entry, replaced = await loop.run_in_executor(svc.pool, svc.registry.install, name, tmp)
        except ValueError as exc:
            raise APIError(422, "invalid_model", f"model {name!r} not replaced: {exc}"
                           if svc.registry.get(name) else f"model {name!r} not stored: {exc}") from None
    response.status_code = 200 if replaced else 201
    return entry.info()


@v1.delete("/models/{name}", tags=["models"], summary="Delete a model (file and entry)",
           dependencies=[require("admin")])
async def delete_model(request: Request, name: str):
    svc = request.app.state.genad
    name = _model_name(request, name)
    svc.scorers.pop(name, None)
    if not svc.registry.delete(name):
        raise APIError(404, "not_found", f"no model named {name!r}")
    return {"deleted": name}


_SCORE_PATH = re.compile(r"/v1/models/([^/]+)/score")


class ScoreRoute:
    """ASGI middleware: ``POST /v1/models/{name}/score`` without a query string, answered here.

    The same checks in the same order and the same answers as the route (:func:`authorize`, then
    :func:`score_request`; errors through ``on_error``, the app's handlers), without FastAPI's
    per-request routing and dependency resolution, a large share of a single-row request's CPU
    time. Everything else, including score requests with ``?threshold=`` or ``?fpr=``, goes on to
    the app.
    """

    def __init__(self, app, on_error):
        self.app = app
        self.on_error = on_error

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("query_string") \
                and not scope.get("root_path"):
            match = _SCORE_PATH.fullmatch(scope["path"])
            if match is not None:
                request = Request(scope, receive)
                try:
                    authorize(request, bearer_key(request.headers.get("authorization")), "score")
                    response = await score_request(request, match.group(1), None, None)
                except Exception as exc:
                    response = self.on_error(exc)
                    if response is None:
                        raise
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def error_content(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
