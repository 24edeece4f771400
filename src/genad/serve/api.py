"""The REST API: health, readiness and ``/v1`` (list, score, upload, delete models).

Request bodies are read as bytes and parsed, validated and scored in the scoring thread pool, so
the event loop only moves bytes. Input errors carry the library's own ``ValueError`` words.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
from typing import Any, Optional

import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
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


def require(role: str):
    """Dependency: a key with ``role`` (or auth off), then the caller's rate limit."""

    async def check(request: Request, creds: Optional[HTTPAuthorizationCredentials] = Depends(_bearer)):
        svc = request.app.state.genad
        if svc.keys is None:
            who = request.client.host if request.client else "local"
        else:
            if creds is None:
                raise APIError(401, "unauthorized", "missing API key: send the header "
                               "'Authorization: Bearer <key>' (make a key with genad serve --new-key NAME)",
                               {"WWW-Authenticate": "Bearer"})
            key = svc.keys.match(creds.credentials)
            if key is None:
                raise APIError(401, "unauthorized", "invalid API key", {"WWW-Authenticate": "Bearer"})
            if not key.allows(role):
                raise APIError(403, "forbidden", f"this key has the role {key.role!r}; "
                               f"this operation needs a key with the role {role!r}")
            who = "key:" + key.name
        request.state.caller = who
        svc.buckets.take(who)

    return Depends(check)


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
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise APIError(400, "bad_request", f"request body is not valid JSON ({exc})") from None
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
            return data, len(data)
        if not all(isinstance(r, dict) for r in data):
            raise APIError(422, "invalid_input", '"records" must be a list of objects ({"column": value, ...})')
        return _records_frame(data), len(data)
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


def score_rows(entry: ModelEntry, X, threshold: float) -> dict:
    det = entry.detector
    try:
        scores = det.decision_function(X)
    except ValueError as exc:
        raise APIError(422, "invalid_input", str(exc)) from None
    except (TypeError, OverflowError) as exc:  # numbers JSON can hold but float64 cannot
        raise APIError(422, "invalid_input", f"X could not be read as numbers ({exc})") from None
    return {
        "scores": scores,
        "labels": (scores > threshold).astype(np.int64),
        "p_values": (None if det.calibration_scores_ is None
                     else _th.conformal_p_values(det.calibration_scores_, scores)),
    }


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
        "scores": res["scores"].tolist(),
        "labels": res["labels"].tolist(),
        "p_values": None if res["p_values"] is None else res["p_values"].tolist(),
    }
    return json.dumps(doc, allow_nan=False, separators=(",", ":")).encode(), "application/json"


def _score_job(entry, media, body, max_rows, threshold, fpr, want_parquet, state, monitors=None):
    threshold = decision_threshold(entry.detector, threshold, fpr)
    X, n = parse_rows(media, body, max_rows)
    state["rows"] = n
    res = score_rows(entry, X, threshold)
    if not np.isfinite(res["scores"]).all():
        raise APIError(422, "invalid_input", "the model produced non-finite scores for these rows "
                       "(values far outside the training range?)")
    if monitors is not None:  # the drift window of GET /v1/models/{name}/drift
        monitors.observe(entry, X, res["scores"])
    return _render(entry, res, threshold, want_parquet)


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
    svc = request.app.state.genad
    entry = _entry(request, name)  # this version serves the request even if replaced meanwhile
    media = _media_type(request)
    want_parquet = PARQUET in request.headers.get("accept", "")
    with svc.gate:
        body = await request.body()
        loop = asyncio.get_running_loop()
        out, kind = await loop.run_in_executor(
            svc.pool, _score_job, entry, media, body, svc.max_rows, threshold, fpr, want_parquet,
            request.scope["state"], svc.monitors)
    headers = {"X-Genad-Model": entry.name, "X-Genad-Digest": entry.digest}
    return Response(out, media_type=kind, headers=headers)


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
    if not svc.registry.delete(name):
        raise APIError(404, "not_found", f"no model named {name!r}")
    return {"deleted": name}


def error_content(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
