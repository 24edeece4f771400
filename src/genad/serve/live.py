"""The live detector comparison: the page ``/live`` and the streams API under ``/v1/streams``.

A *stream* runs rows through two or more models of the folder side by side. Rows come from a
labelled dataset replayed at a chosen rate (the FF12 KDD99 test rows by default, any labelled
``genad.datasets`` name, a NAB series) and from rows another program posts to
``POST /v1/streams/{id}/rows``, which are scored at once and answered (real live scoring). Every
scored batch goes to the page as a server-sent event: per model the score, p-value and flag of
each row, running confusion counts against the truth where labels exist, scoring latency, and a
drift check: :class:`genad.monitor.Monitor`'s score test (Kolmogorov-Smirnov, the recent scores
against the model's calibration scores, alarming when they are larger), the test behind
``GET /v1/models/{name}/drift``.

The models of a stream are pinned when it starts: a model replaced in the folder meanwhile does
not change a running stream. Thresholds set in a stream are the stream's own; the model file is
never changed.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import secrets
import threading
import time
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from .api import APIError, _ERRORS, _media_type, parse_rows, require, score_rows
from .registry import ModelEntry, check_name


#: most streams open at once; the oldest idle one is closed to make room
MAX_STREAMS = 8
#: models compared in one stream
MAX_MODELS = 8
#: rows a stream keeps scores of (counts and threshold changes cover these)
MAX_SCORES = 200_000
#: rows a stream keeps the values of (for the row detail view)
MAX_VALUES = 20_000
#: rows sent to a page that (re)connects, so it can draw the recent past
SNAPSHOT_ROWS = 300
#: scores in the rolling drift window, fewest before testing, and the test's level
DRIFT_WINDOW, DRIFT_MIN, DRIFT_ALPHA = 500, 100, 0.01
#: replay rate bounds, rows per second
MIN_RATE, MAX_RATE = 0.1, 2000.0
#: a stream nobody has listened to or asked about for this long pauses, and is closed when
#: another stream needs its place
IDLE_SECONDS = 600.0
#: an events response ends after this long and the page reconnects: uvicorn waits for open
#: responses before it shuts down and tells the app nothing, so none may be endless
EVENTS_SECONDS = 15.0
#: rows of the FF12 training set a starter model is fitted on (bounded: seconds, not minutes)
STARTER_ROWS = 20_000
#: the data set the starter models are fitted on and the default source
FF12 = "kdd99-ff12"
#: datasets that are not point data sets of rows (groups, or one-vs-all images with a required class)
_NOT_STREAMABLE = {"sdss-groups", "synthetic-groups", "mnist", "cifar10"}


# ------------------------------------------------------------------ sources
@dataclass
class Source:
    """Rows to replay (``X``, truth ``y`` or None) or none at all (posted rows only)."""

    name: str
    X: Optional[np.ndarray] = None
    y: Optional[np.ndarray] = None
    feature_names: Optional[list] = None

    @property
    def total(self) -> int:
        return 0 if self.X is None else len(self.X)


def load_source(name: str, order: str, seed: int) -> Source:
    """The test rows of a labelled dataset (``nab/<series>`` included), in file order or shuffled."""
    if name == "post":
        return Source("post")
    if name.split("/")[0] in _NOT_STREAMABLE:
        raise APIError(422, "invalid_input", f"source {name!r} is not a data set of rows; pick a tabular, "
                       "sequence or NAB source (GET /v1/live/sources lists them)")
    from ..datasets import DatasetNotFoundError, load

    try:
        ds = load(name)
    except DatasetNotFoundError as exc:
        raise APIError(422, "data_not_found", str(exc)) from None
    except ValueError as exc:
        raise APIError(422, "invalid_input", f"source: {exc}") from None
    X, y = ds.X_test, ds.y_test
    if order == "shuffled":
        idx = np.random.default_rng(seed).permutation(len(X))
        X, y = X[idx], y[idx]
    return Source(ds.name, np.ascontiguousarray(X), np.asarray(y, np.int64), ds.feature_names)


def list_sources() -> dict:
    """Sources present in the data folder: FF12 first, then labelled datasets, then NAB series."""
    from ..datasets import list_datasets

    datasets, nab = [], []
    for d in list_datasets(expand=True):
        name = d["name"]
        if not d["present"] or name.split("/")[0] in _NOT_STREAMABLE or "<" in name:
            continue
        item = {"id": name, "label": d["description"] if "/" not in name else name,
                "order": "file" if name.startswith("nab/") else "shuffled"}
        (nab if name.startswith("nab/") else datasets).append(item)
    datasets.sort(key=lambda d: d["id"] != FF12)
    return {"datasets": datasets, "nab": nab, "default": FF12 if any(d["id"] == FF12 for d in datasets) else None}


# ------------------------------------------------------------------ per-model state
def _metrics(tp: int, fp: int, tn: int, fn: int) -> dict:
    """Accuracy, precision, recall and F1 of confusion counts (0.0 where a ratio is 0/0, as
    :func:`genad.metrics.decision_metrics`)."""

    def div(a, b):
        return float(a / b) if b else 0.0

    p, r = div(tp, tp + fp), div(tp, tp + fn)
    return {"accuracy": div(tp + tn, tp + fp + tn + fn), "precision": p, "recall": r,
            "f1": div(2 * p * r, p + r)}


@dataclass
class Track:
    """One model in a stream: its scores, counts at the stream's threshold, latency, drift."""

    entry: ModelEntry
    threshold: float
    scores: deque = field(default_factory=lambda: deque(maxlen=MAX_SCORES))
    counts: dict = field(default_factory=lambda: dict(tp=0, fp=0, tn=0, fn=0, flagged=0, passed=0))
    latency_ms: float = 0.0  # last batch, per row
    latency_total_s: float = 0.0
    latency_rows: int = 0
    monitor: object = None  # genad.monitor.Monitor on the scores (None: the model cannot be monitored)
    monitor_error: Optional[str] = None
    report: object = None  # the monitor's last DriftReport

    def __post_init__(self) -> None:
        from ..monitor import Monitor

        try:
            # the live scores against the calibration scores, whatever the calibration: a stream
            # replays labelled rows, anomalies included, so its own first rows are no reference
            self.monitor = Monitor(self.entry.detector, alpha=DRIFT_ALPHA, window=DRIFT_WINDOW, min_rows=DRIFT_MIN,
                                   inputs=False, latent=False, score_reference="calibration")
        except ValueError as exc:
            self.monitor_error = str(exc)

    def add(self, scores: np.ndarray, y: np.ndarray, seconds: float) -> None:
        flags = scores > self.threshold
        self.scores.extend(scores.tolist())
        if self.monitor is not None:
            self.report = self.monitor.update(None, scores)
        self._count(flags, y)
        n = len(scores)
        self.latency_ms = 1000.0 * seconds / max(n, 1)
        self.latency_total_s += seconds
        self.latency_rows += n

    def _count(self, flags: np.ndarray, y: np.ndarray) -> None:
        c = self.counts
        c["tp"] += int((flags & (y == 1)).sum())
        c["fp"] += int((flags & (y == 0)).sum())
        c["tn"] += int((~flags & (y == 0)).sum())
        c["fn"] += int((~flags & (y == 1)).sum())
        c["flagged"] += int(flags.sum())
        c["passed"] += int((~flags).sum())

    def recount(self, y_all: deque) -> None:
        """Counts over the kept rows at the current threshold."""
        self.counts = dict(tp=0, fp=0, tn=0, fn=0, flagged=0, passed=0)
        if self.scores:
            s = np.fromiter(self.scores, float, len(self.scores))
            y = np.fromiter(y_all, np.int64, len(y_all))[-len(s):]
            self._count(s > self.threshold, y)

    def drift(self) -> dict:
        """The last check of the stream's drift monitor: a small p-value means the live scores
        are larger than the calibration scores (the data look more anomalous to the model)."""
        out = {"window": 0, "min_rows": DRIFT_MIN, "alpha": DRIFT_ALPHA, "statistic": None, "p_value": None,
               "warning": False, "since": None, "status": self.monitor_error or "waiting"}
        r = self.report
        if r is not None:
            score = r.tests["score"]
            out.update(window=r.window, status=score["status"])
            if score["status"] == "ok":
                out.update(statistic=score["statistic"], p_value=score["p_value"], warning=r.drift,
                           since=r.since, test=score["test"])
        return out

    def stats(self) -> dict:
        c = self.counts
        return {
            "threshold": self.threshold,
            "model_threshold": float(self.entry.detector.threshold_),
            **c,
            **_metrics(c["tp"], c["fp"], c["tn"], c["fn"]),
            "latency_ms": self.latency_ms,
            "latency_mean_ms": 1000.0 * self.latency_total_s / self.latency_rows if self.latency_rows else 0.0,
            "drift": self.drift(),
        }


def _score_all(tracks: list[Track], X) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Score ``X`` with every model of the stream (in a worker thread), timing each."""
    out = []
    for t in tracks:
        t0 = time.perf_counter()
        try:
            res = score_rows(t.entry, X, t.threshold)
        except APIError as exc:
            raise APIError(exc.status, exc.code, f"model {t.entry.name!r}: {exc.message}") from None
        seconds = time.perf_counter() - t0
        scores = np.asarray(res["scores"], float)
        if not np.isfinite(scores).all():
            raise APIError(422, "invalid_input", f"model {t.entry.name!r} produced non-finite scores "
                           "for these rows (values far outside the training range?)")
        out.append((scores, np.asarray(res["p_values"], float), seconds))
    return out


def _row_items(X) -> list:
    """One model input per row, kept for the row detail view (a 1-row frame for tables)."""
    if hasattr(X, "iloc"):
        return [X.iloc[[i]] for i in range(len(X))]
    X = np.asarray(X, dtype=np.float64) if not isinstance(X, np.ndarray) else X
    return [X[i:i + 1] for i in range(len(X))]


#: what a contribution of each explanation family means (see genad.explain)
EXPLANATION_KINDS = {
    "reconstruction": "share of the reconstruction error (the contributions sum to the score)",
    "residual": "share of the residual of the best latent match (the contributions sum to the score)",
    "integrated_gradients": "integrated gradients of the score from typical normal data "
                            "(they sum to the score minus the score of that baseline)",
    "shapley": "Shapley value of the score, features absent drawn from normal rows "
               "(they sum to the score minus the mean normal score)",
}


def _explanation(det, item) -> dict:
    """Per-feature contributions to the score of one row, or why there are none."""
    if not callable(getattr(det, "explain", None)):
        return {"contribution": None, "contribution_kind": None,
                "contribution_note": "no explanation: the model is an exported ONNX graph"}
    try:
        e = det.explain(item)
    except ValueError as exc:
        return {"contribution": None, "contribution_kind": None, "contribution_note": str(exc)}
    return {"contribution": [_jsonable(v) for v in e.values.ravel().tolist()], "contribution_method": e.method,
            "contribution_kind": EXPLANATION_KINDS.get(e.method, e.method),
            "contribution_base": _jsonable(float(e.base_values[0]))}


# ------------------------------------------------------------------ streams
class Stream:
    """Rows flowing through several models; the page listens by server-sent events."""

    def __init__(self, hub: "Hub", sid: str, source: Source, tracks: list[Track], rate: float):
        self.hub, self.id, self.source, self.tracks = hub, sid, source, tracks
        self.rate = rate
        self.paused = False
        self.cursor = 0  # next source row
        self.n = 0  # rows scored (source and posted)
        self.y: deque = deque(maxlen=MAX_SCORES)  # truth per scored row, -1 = unknown
        self.items: deque = deque(maxlen=MAX_VALUES)  # (index, origin, model input)
        self.recent: deque = deque(maxlen=SNAPSHOT_ROWS)  # row events, for pages that connect later
        self.listeners: set[asyncio.Queue] = set()
        self.last_seen = time.monotonic()
        self.lock = asyncio.Lock()
        self.wake = asyncio.Event()
        self.closed = False
        self.error: Optional[str] = None
        self.task: Optional[asyncio.Task] = None

    # ---------------------------------------------------------------- state
    @property
    def done(self) -> bool:
        return self.source.X is not None and self.cursor >= self.source.total

    def status(self) -> dict:
        return {"id": self.id, "source": self.source.name, "total": self.source.total,
                "cursor": self.cursor, "rows": self.n, "rate": self.rate, "paused": self.paused,
                "done": self.done, "error": self.error,
                "feature_names": self.source.feature_names,
                "models": {t.entry.name: t.stats() for t in self.tracks}}

    def describe(self) -> dict:
        return {**self.status(),
                "detectors": {t.entry.name: {"detector": getattr(t.entry.detector, "detector_",
                                                                 type(t.entry.detector).__name__),
                                             "digest": t.entry.digest,
                                             "contribution": callable(getattr(t.entry.detector, "explain", None)),
                                             "calibration": _quantiles(t.entry.detector.calibration_scores_)}
                              for t in self.tracks}}

    # ---------------------------------------------------------------- events
    def publish(self, kind: str, data: dict) -> None:
        msg = f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'), allow_nan=False)}\n\n"
        for q in list(self.listeners):
            try:
                q.put_nowait(msg)
            except asyncio.QueueFull:  # a page that does not read: drop it, it reconnects
                self.listeners.discard(q)

    def publish_status(self) -> None:
        self.publish("status", self.status())

    # ---------------------------------------------------------------- scoring
    async def ingest(self, X, y: np.ndarray, origin: str, replay_to: Optional[int] = None) -> Optional[dict]:
        """Score rows with every model, record them, tell the listeners; returns the results.

        A replayed batch (``replay_to``: the source position after it) moves the source cursor
        once it is recorded; one that finds the stream paused once it holds the lock is not
        scored, so a pause stops the counts.
        """
        pool = self.hub.pool
        async with self.lock:
            if replay_to is not None and (self.paused or self.closed):
                return None
            loop = asyncio.get_running_loop()
            results = await loop.run_in_executor(pool, _score_all, self.tracks, X)
            first = self.n
            n = len(y)
            for t, (s, _, sec) in zip(self.tracks, results):
                t.add(s, y, sec)
            self.y.extend(y.tolist())
            for k, item in enumerate(_row_items(X)):
                self.items.append((first + k, origin, item))
            self.n += n
            if replay_to is not None:
                self.cursor = replay_to
            rows = []
            for k in range(n):
                rows.append({"i": first + k, "y": None if y[k] < 0 else int(y[k]), "origin": origin,
                             "s": {t.entry.name: float(r[0][k]) for t, r in zip(self.tracks, results)},
                             "p": {t.entry.name: float(r[1][k]) for t, r in zip(self.tracks, results)}})
            self.recent.extend(rows)
            self.publish("rows", {**self.status(), "batch": rows})
            return {"first": first, "n": n, "models": {
                t.entry.name: {"scores": r[0].tolist(),
                               "labels": (r[0] > t.threshold).astype(int).tolist(),
                               "p_values": r[1].tolist(), "threshold": t.threshold}
                for t, r in zip(self.tracks, results)}}

    async def run(self) -> None:
        """Replay the source at ``rate`` rows per second (batches of about 0.1 s)."""
        try:
            while not self.closed and not self.done:
                if not self.listeners and time.monotonic() - self.last_seen > IDLE_SECONDS:
                    self.paused = True  # nobody is watching: stop spending the scoring pool on it
                    self.publish_status()
                if self.paused:
                    self.wake.clear()
                    await self.wake.wait()
                    continue
                tick = 0.1 if self.rate >= 10 else 1.0 / self.rate
                k = max(1, int(round(self.rate * tick)))
                t0 = time.monotonic()
                a, b = self.cursor, min(self.cursor + k, self.source.total)
                await self.ingest(self.source.X[a:b], self.source.y[a:b], "source", replay_to=b)
                if self.done:
                    self.publish_status()
                    break
                left = tick - (time.monotonic() - t0)
                if left > 0:
                    self.wake.clear()
                    try:  # a rate change or a pause wakes the loop early
                        await asyncio.wait_for(self.wake.wait(), left)
                    except asyncio.TimeoutError:
                        pass
        except asyncio.CancelledError:
            raise
        except APIError as exc:
            self.error = exc.message
            self.paused = True
            self.publish_status()
        except Exception as exc:  # pragma: no cover - reported to the page, the server keeps serving
            self.error = f"{type(exc).__name__}: {exc}"
            self.paused = True
            self.publish_status()

    def start(self) -> None:
        if self.source.X is not None:
            self.task = asyncio.get_running_loop().create_task(self.run(), name=f"stream-{self.id}")

    def control(self, rate: Optional[float], paused: Optional[bool], thresholds: dict) -> None:
        names = {t.entry.name: t for t in self.tracks}
        unknown = sorted(set(thresholds) - set(names))
        if unknown:
            raise APIError(422, "invalid_input", f"thresholds for model(s) {unknown} not in this stream; "
                           f"its models: {sorted(names)}")
        for name, value in thresholds.items():
            if value is None or not math.isfinite(value):
                raise APIError(422, "invalid_input", f"threshold of {name!r} must be a finite number")
        if rate is not None:
            self.rate = _check_rate(rate)
        if paused is not None:
            self.paused = bool(paused)
        for name, value in thresholds.items():
            track = names[name]
            track.threshold = float(value)
            track.recount(self.y)
        self.wake.set()
        self.publish_status()

    def detail(self, i: int) -> dict:
        """Values of row ``i`` and, per model, its score and the explanation of that score
        (``det.explain``: per-feature contributions, in score units, and what they mean)."""
        k = i - (self.n - len(self.items))  # kept rows are the last len(items), in order
        found = self.items[k] if 0 <= k < len(self.items) and i < self.n else None
        if found is None:
            if 0 <= i < self.n:
                raise APIError(404, "not_found", f"row {i} is no longer kept (this stream keeps the values "
                               f"of its last {MAX_VALUES} rows)")
            raise APIError(404, "not_found", f"no row {i} in this stream yet ({self.n} rows scored)")
        _, origin, item = found
        if hasattr(item, "columns"):
            names = [str(c) for c in item.columns]
            values = [_jsonable(v) for v in item.iloc[0].tolist()]
        else:
            values = [_jsonable(v) for v in np.asarray(item, float).ravel().tolist()]
            names = self.source.feature_names if self.source.feature_names and \
                len(self.source.feature_names) == len(values) else [f"x{j}" for j in range(len(values))]
        offset = self.n - len(self.y)
        y = self.y[i - offset] if i >= offset else -1
        models = {}
        for t in self.tracks:
            k = i - (self.n - len(t.scores))
            score = t.scores[k] if 0 <= k < len(t.scores) else None
            det = t.entry.detector
            models[t.entry.name] = {
                "detector": getattr(det, "detector_", type(det).__name__), "score": score,
                "threshold": t.threshold, "flagged": None if score is None else bool(score > t.threshold),
                **_explanation(det, item),
            }
        return {"i": i, "y": None if y < 0 else int(y), "origin": origin, "feature_names": names,
                "values": values, "models": models}

    async def close(self) -> None:
        self.closed = True
        self.wake.set()
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):
                pass
        for q in list(self.listeners):
            if not q.full():  # a full queue's reader sees ``closed`` once it drains
                q.put_nowait(None)
        self.listeners.clear()


def _quantiles(scores) -> dict:
    """Summary of a model's calibration scores, for the page's threshold slider and chart scale."""
    q = np.quantile(np.asarray(scores, float), [0.0, 0.5, 0.99, 1.0])
    return dict(zip(("min", "median", "q99", "max"), (float(v) for v in q)))


def _jsonable(v):
    if isinstance(v, (np.floating, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    return v if isinstance(v, (int, str, bool)) or v is None else str(v)


def _check_rate(rate: float) -> float:
    if not (isinstance(rate, (int, float)) and math.isfinite(rate) and MIN_RATE <= rate <= MAX_RATE):
        raise APIError(422, "invalid_input", f"rate must be between {MIN_RATE} and {MAX_RATE:g} rows "
                       f"per second, got {rate}")
    return float(rate)


class Hub:
    """The streams of one app, and the starter-model fit."""

    def __init__(self, app):
        self.app = app
        self.streams: dict[str, Stream] = {}
        self.starter = StarterFit()

    @property
    def pool(self):
        return self.app.state.genad.pool

    @property
    def registry(self):
        return self.app.state.genad.registry

    def get(self, sid: str) -> Stream:
        s = self.streams.get(sid)
        if s is None:
            raise APIError(404, "not_found", f"no stream {sid!r}; start one with POST /v1/streams")
        return s

    async def add(self, stream: Stream) -> None:
        now = time.monotonic()
        for s in [s for s in self.streams.values() if not s.listeners and now - s.last_seen > IDLE_SECONDS]:
            await self.remove(s.id)
        if len(self.streams) >= MAX_STREAMS:
            idle = sorted((s for s in self.streams.values() if not s.listeners), key=lambda s: s.last_seen)
            if not idle:
                raise APIError(429, "too_many_streams", f"{MAX_STREAMS} streams are open and listened to; "
                               "stop one (DELETE /v1/streams/{id}) and retry", {"Retry-After": "5"})
            await self.remove(idle[0].id)
        self.streams[stream.id] = stream
        stream.start()

    async def remove(self, sid: str) -> bool:
        s = self.streams.pop(sid, None)
        if s is None:
            return False
        await s.close()
        return True

    async def close(self) -> None:
        self.starter.stopping.set()
        for sid in list(self.streams):
            await self.remove(sid)


def _hub(request: Request) -> Hub:
    state = request.app.state
    hub = getattr(state, "genad_live", None)
    if hub is None:
        hub = state.genad_live = Hub(request.app)
    return hub


# ------------------------------------------------------------------ starter models (Blip's set)
BLIP_SET = ("AutoEncoder", "VAE", "BiGAN", "Seq2Seq", "OCSVM", "PCA")


def starter_detector(kind: str, seed: int = 0):
    """A detector of Blip's set with the FF12 report's settings (min-max scaling on the training rows)."""
    from .. import AutoEncoder, BiGAN, OCSVM, PCA, VAE, Seq2Seq
    from ..bench.protocols import FF12_EPOCHS, FF12_GAN, FF12_NETWORK, FF12_SEQ2SEQ

    quiet = dict(verbose=0, random_state=seed)
    if kind == "AutoEncoder":
        return AutoEncoder(**{**FF12_NETWORK, "epochs": FF12_EPOCHS["AutoEncoder"]}, **quiet)
    if kind == "VAE":
        return VAE(**{**FF12_NETWORK, "epochs": FF12_EPOCHS["VAE"]}, **quiet)
    if kind == "BiGAN":
        return BiGAN(**FF12_GAN, **quiet)
    if kind == "Seq2Seq":
        return Seq2Seq(**FF12_SEQ2SEQ, **quiet)
    if kind == "OCSVM":  # the report: rbf, outlier fraction 0.01, gamma 0.5
        return OCSVM(kernel="rbf", nu=0.01, gamma=0.5, preprocessing="minmax", random_state=seed)
    if kind == "PCA":  # the report: 2 components
        return PCA(n_components=2, preprocessing="minmax", random_state=seed)
    raise ValueError(f"unknown starter detector {kind!r}; choose from {list(BLIP_SET)}")


class StarterFit:
    """Fits Blip's set on FF12 training rows in one background thread, one fit at a time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state = "idle"
        self.current: Optional[str] = None
        self.fitted: list[str] = []
        self.errors: dict[str, str] = {}
        self.rows = 0
        self.thread: Optional[threading.Thread] = None
        self.stopping = threading.Event()

    def status(self) -> dict:
        return {"state": self.state, "current": self.current, "fitted": list(self.fitted),
                "errors": dict(self.errors), "rows": self.rows, "detectors": list(BLIP_SET)}

    def start(self, registry, detectors: list[str], rows: int, prefix: str) -> None:
        with self.lock:
            if self.state == "running":
                raise APIError(409, "busy", "starter models are being fitted; wait for that to finish")
            if len(registry):
                raise APIError(409, "not_empty", f"the models folder already holds {len(registry)} model(s); "
                               "the starter set is fitted into an empty folder only (train more on the "
                               "Train page or upload with PUT /v1/models/{name})")
            self.state, self.current, self.fitted, self.errors = "running", None, [], {}
            self.thread = threading.Thread(target=self._fit, args=(registry, detectors, rows, prefix),
                                           name="genad-live-starter", daemon=True)
            self.thread.start()

    def _fit(self, registry, detectors, rows, prefix) -> None:
        try:
            from ..datasets import load

            ds = load(FF12)
            rng = np.random.default_rng(0)
            n = min(rows, len(ds.X_train))
            X = ds.X_train[np.sort(rng.choice(len(ds.X_train), n, replace=False))]
            self.rows = n
            for kind in detectors:
                if self.stopping.is_set():  # the app is shutting down
                    self.errors[kind] = "not fitted: the server stopped"
                    break
                self.current = kind
                name = f"{prefix}{kind.lower()}"
                try:
                    det = starter_detector(kind).fit(X)
                    fd, tmp = registry.new_upload()
                    os.close(fd)
                    det.save(tmp)
                    registry.install(name, tmp)
                    self.fitted.append(name)
                except Exception as exc:  # one failed model does not stop the others
                    self.errors[name] = f"{type(exc).__name__}: {exc}"
            self.state = "done" if not self.errors else "failed" if not self.fitted else "done"
        except Exception as exc:
            self.errors["data"] = f"{type(exc).__name__}: {exc}"
            self.state = "failed"
        finally:
            self.current = None


# ------------------------------------------------------------------ API
class StreamRequest(BaseModel):
    models: list[str] = Field(description="names of models from GET /v1/models (1 to 8; compare two or more)")
    source: str = Field(FF12, description="dataset name whose test rows are replayed (nab/<series> for a "
                        "NAB series), or 'post' for rows posted to POST /v1/streams/{id}/rows only")
    rate: float = Field(20.0, description="rows per second replayed from the source")
    order: Optional[str] = Field(None, description="'shuffled' or 'file' (default: file order for NAB, "
                                 "shuffled otherwise)")
    seed: int = 0
    paused: bool = False


class ControlRequest(BaseModel):
    rate: Optional[float] = None
    paused: Optional[bool] = None
    thresholds: dict[str, float] = Field(default_factory=dict,
                                         description="model name -> threshold, for this stream only")


class StarterRequest(BaseModel):
    detectors: list[str] = Field(default_factory=lambda: list(BLIP_SET))
    rows: int = Field(default_factory=lambda: STARTER_ROWS, gt=0, le=100_000, description="FF12 training rows used")
    prefix: str = Field("ff12-", description="model names are prefix + detector in lower case")


@asynccontextmanager
async def _lifespan(app):
    yield
    hub = getattr(app.state, "genad_live", None)
    if hub is not None:
        await hub.close()


router = APIRouter(lifespan=_lifespan)
v1 = APIRouter(prefix="/v1", tags=["live"], responses=_ERRORS)


@v1.get("/live/sources", summary="Sources a live stream can replay (present in the data folder)",
        dependencies=[require("score")])
async def sources(request: Request):
    loop = asyncio.get_running_loop()
    out = await loop.run_in_executor(None, list_sources)
    hub = _hub(request)
    present = out["default"] == FF12
    out["starter"] = {**hub.starter.status(), "available": present,
                      "reason": None if present else f"the {FF12} data files are not in the data folder "
                      "(GENAD_DATA); see genad datasets"}
    return out


@v1.get("/live/starter", summary="Progress of the starter-model fit", dependencies=[require("score")])
async def starter_status(request: Request):
    return _hub(request).starter.status()


@v1.post("/live/starter", status_code=202, dependencies=[require("admin")],
         summary="Fit Blip's detectors (AutoEncoder, VAE, BiGAN, Seq2Seq, OCSVM, PCA) on FF12 training "
                 "rows into the models folder, when it is empty")
async def starter_start(request: Request, body: StarterRequest):
    unknown = sorted(set(body.detectors) - set(BLIP_SET))
    if unknown or not body.detectors:
        raise APIError(422, "invalid_input", f"unknown starter detector(s) {unknown}; choose from {list(BLIP_SET)}"
                       if unknown else "give at least one detector")
    try:
        for kind in body.detectors:
            check_name(f"{body.prefix}{kind.lower()}")
    except ValueError as exc:
        raise APIError(422, "invalid_name", f"prefix: {exc}") from None
    hub = _hub(request)
    hub.starter.start(hub.registry, body.detectors, body.rows, body.prefix)
    return hub.starter.status()


@v1.post("/streams", status_code=201, summary="Start a live stream comparing models",
         dependencies=[require("score")])
async def create_stream(request: Request, body: StreamRequest):
    hub = _hub(request)
    if not 1 <= len(body.models) <= MAX_MODELS or len(set(body.models)) != len(body.models):
        raise APIError(422, "invalid_input", f"pick 1 to {MAX_MODELS} different models (two or more to compare)")
    tracks = []
    for name in body.models:
        try:
            check_name(name)
        except ValueError as exc:
            raise APIError(400, "invalid_name", str(exc)) from None
        entry = hub.registry.get(name)
        if entry is None:
            raise APIError(404, "not_found", f"no model named {name!r}; GET /v1/models lists the models")
        if getattr(entry.detector, "calibration_scores_", None) is None:
            raise APIError(422, "invalid_input", f"model {name!r} carries no calibration scores (an ONNX file "
                           "exported without them); a live stream needs its p-values: export it again")
        tracks.append(Track(entry, float(entry.detector.threshold_)))
    rate = _check_rate(body.rate)
    order = body.order or ("file" if body.source.startswith("nab/") else "shuffled")
    if order not in ("file", "shuffled"):
        raise APIError(422, "invalid_input", f"order must be 'file' or 'shuffled', got {order!r}")
    loop = asyncio.get_running_loop()
    source = await loop.run_in_executor(hub.pool, load_source, body.source, order, body.seed)
    if source.X is not None:  # every model must take the source's rows: try the first
        if source.total == 0:
            raise APIError(422, "invalid_input", f"source {source.name!r} has no test rows")
        await loop.run_in_executor(hub.pool, _score_all, tracks, source.X[:1])
    stream = Stream(hub, secrets.token_urlsafe(8), source, tracks, rate)
    stream.paused = body.paused
    await hub.add(stream)
    return stream.describe()


@v1.get("/streams", summary="Open streams", dependencies=[require("score")])
async def list_streams(request: Request):
    return {"streams": [s.status() for s in _hub(request).streams.values()]}


@v1.get("/streams/{sid}", summary="A stream's state: counts, metrics, latency, drift per model",
        dependencies=[require("score")])
async def get_stream(request: Request, sid: str):
    s = _hub(request).get(sid)
    s.last_seen = time.monotonic()
    return s.describe()


@v1.post("/streams/{sid}/control", summary="Pause, resume, change the rate or a model's threshold",
         dependencies=[require("score")])
async def control_stream(request: Request, sid: str, body: ControlRequest):
    s = _hub(request).get(sid)
    s.last_seen = time.monotonic()
    async with s.lock:  # a threshold change recounts between batches, never during one
        s.control(body.rate, body.paused, body.thresholds)
    return s.status()


@v1.delete("/streams/{sid}", summary="Stop and remove a stream", dependencies=[require("score")])
async def delete_stream(request: Request, sid: str):
    if not await _hub(request).remove(sid):
        raise APIError(404, "not_found", f"no stream {sid!r}")
    return {"deleted": sid}


@v1.get("/streams/{sid}/rows/{i}", summary="One scored row: values, scores, per-feature contribution",
        dependencies=[require("score")])
async def row_detail(request: Request, sid: str, i: int):
    s = _hub(request).get(sid)
    loop = asyncio.get_running_loop()
    async with s.lock:  # no batch is recorded while the row is read
        return await loop.run_in_executor(_hub(request).pool, s.detail, i)


_ROWS_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {
                "rows": {"type": "array", "items": {"type": "array", "items": {}}},
                "records": {"type": "array", "items": {"type": "object"}},
                "labels": {"type": "array", "items": {"type": ["integer", "null"]},
                           "description": "truth per row: 1 anomaly, 0 normal, null unknown"}}},
            "example": {"rows": [[0.0] * 3], "labels": [0]},
        },
        "text/csv": {"schema": {"type": "string"}},
    },
}


def _parse_posted(media: str, body: bytes, max_rows: int, label: Optional[str]):
    """Rows of a post and their truth (-1 where unknown)."""
    labels = None
    if media in ("application/json", ""):
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise APIError(400, "bad_request", f"request body is not valid JSON ({exc})") from None
        if isinstance(doc, dict) and "labels" in doc:
            labels = doc.pop("labels")
            body = json.dumps(doc).encode()
    X, n = parse_rows(media, body, max_rows)
    if label is not None:
        if not hasattr(X, "columns") or label not in X.columns:
            raise APIError(422, "invalid_input", f"?label={label!r} names no column of the rows; send "
                           "records or a table with that column, or leave ?label= out")
        labels = [None if v != v else v for v in X[label].tolist()]
        X = X.drop(columns=[label])
    if labels is None:
        return X, np.full(n, -1, np.int64)
    if not isinstance(labels, list) or len(labels) != n:
        raise APIError(422, "invalid_input", f'"labels" must be a list with one entry per row ({n})')
    bad = [v for v in labels if v not in (0, 1, None) or isinstance(v, bool)]
    if bad:
        raise APIError(422, "invalid_input", f"labels must be 1 (anomaly), 0 (normal) or null, got {bad[0]!r}")
    return X, np.array([-1 if v is None else int(v) for v in labels], np.int64)


@v1.post("/streams/{sid}/rows", summary="Score posted rows with every model of the stream, live",
         description="Body as for POST /v1/models/{name}/score (JSON rows or records, CSV, Parquet); "
                     "JSON may add `labels` (1/0/null per row), tables name their truth column with "
                     "`?label=`. The rows are scored at once and appear on the stream's page.",
         openapi_extra={"requestBody": _ROWS_BODY}, dependencies=[require("score")])
async def post_rows(request: Request, sid: str,
                    label: Optional[str] = Query(None, description="column holding the truth (1/0)")):
    svc = request.app.state.genad
    s = _hub(request).get(sid)
    media = _media_type(request)
    with svc.gate:
        body = await request.body()
        loop = asyncio.get_running_loop()
        X, y = await loop.run_in_executor(svc.pool, _parse_posted, media, body, svc.max_rows, label)
        return await s.ingest(X, y, "posted")


@v1.get("/streams/{sid}/events", summary="Server-sent events of a stream (rows, status)",
        dependencies=[require("score")])
async def events(request: Request, sid: str):
    s = _hub(request).get(sid)
    q: asyncio.Queue = asyncio.Queue(maxsize=2000)
    s.listeners.add(q)
    s.last_seen = time.monotonic()
    first = "event: hello\ndata: " + json.dumps({**s.describe(), "recent": list(s.recent)},
                                                 allow_nan=False, separators=(",", ":")) + "\n\n"

    async def gen():
        end = time.monotonic() + EVENTS_SECONDS
        try:
            yield first
            while not s.closed and time.monotonic() < end:
                try:
                    msg = await asyncio.wait_for(q.get(), max(0.01, min(5.0, end - time.monotonic())))
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        break
                    yield ": keep-alive\n\n"
                    continue
                if msg is None or q not in s.listeners:
                    break
                yield msg
        finally:
            s.listeners.discard(q)
            s.last_seen = time.monotonic()

    return StreamingResponse(gen(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


router.include_router(v1)
