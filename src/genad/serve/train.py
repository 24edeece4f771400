"""Training jobs for the ``/train`` page: datasets, detector forms, jobs streamed by SSE.

A job is one detector fitted on one prepared dataset, in a process of its own (started from a
forkserver that has the training code imported), so a fit never holds the server's GIL or its
thread pools; the process uses one torch thread. At most ``train_workers`` jobs (default 1) run
at once; a job that waits for its turn is ``queued``. Deep detectors report every epoch through
the training loop's callbacks, and the same callback lets a job be paused, resumed and cancelled
between mini-batches; a detector fitted in one call is cancelled by ending its process. The
trained model comes back as a ``.genad`` file read with :func:`genad.load` (no pickle).

Routes (under ``/v1/train``): ``GET datasets``, ``GET detectors``, ``POST uploads`` (a CSV
body), ``POST jobs``, ``GET jobs``, ``GET jobs/{id}``, ``GET jobs/{id}/events`` (server-sent
events), ``POST jobs/{id}/pause|resume|cancel``, ``POST jobs/{id}/score``, ``GET
jobs/{id}/samples/{i}``, ``POST jobs/{id}/save`` (into the models folder, admin role) and ``GET
jobs/{id}/model`` (the ``.genad`` file).
"""

from __future__ import annotations

import asyncio
import inspect
import io
import itertools
import json
import math
import os
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from ..nn.training import Callback
from .api import APIError, require

#: datasets offered first, in this order (the rest of genad.datasets follows when present)
FEATURED = ("ecg5000", "kdd99-ff12", "breast-cancer", "digits")
#: options passed to a dataset's loader by the trainer (rows, one normal class)
LOADER_OPTIONS = {"digits": {"flatten": True}, "mnist": {"normal_class": 0},
                  "cifar10": {"normal_class": 0}}
#: loader option that mixes labelled anomalies into training, where a loader has one
CONTAMINATION_OPTIONS = ("abnormal_fraction", "contamination")
#: detectors whose networks the page's layer composer edits (``hidden``, ``latent_dim``)
COMPOSER = ("AutoEncoder", "VAE", "AdversarialAutoEncoder")
#: parameters the page does not offer (set by the job itself or meaningless in a page)
HIDDEN_PARAMS = {"callbacks", "verbose", "device", "random_state", "contamination"}
CHOICES = {
    "optimizer": ["adam", "adamax", "adadelta", "rmsprop", "momentum", "sgd"],
    "activation": ["relu", "tanh", "elu", "leaky_relu", "sigmoid", "gelu", "selu"],
    "output_activation": [None, "sigmoid", "tanh"],
    "penalty": [None, "l1", "l2", "l1l2"],
    "preprocessing": ["standard", "minmax", None],
}
#: largest test set kept for the page (a random sample beyond it)
MAX_TEST = 10_000
#: most points sent for the 2-D view of the codes
MAX_CODES = 3_000
STATES = ("queued", "running", "paused", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")


class Cancelled(Exception):
    """Raised inside a fit when its job is cancelled."""


# ------------------------------------------------------------------ request bodies
class DataSpec(BaseModel):
    name: Optional[str] = Field(None, description="a genad.datasets name (or use upload)")
    upload: Optional[str] = Field(None, description="id returned by POST /v1/train/uploads")
    label: Optional[str] = Field(None, description="label column of an uploaded CSV (none: no labels)")
    train_size: Optional[int] = Field(None, ge=2, description="training rows (default: all)")
    contamination: float = Field(0.0, ge=0.0, le=0.7,
                                 description="share of labelled anomalies mixed into training")


class JobSpec(BaseModel):
    data: DataSpec
    detector: str = Field(description="class name, e.g. AutoEncoder (GET /v1/train/detectors)")
    params: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0


class SaveSpec(BaseModel):
    name: str


class RowsBody(BaseModel):
    rows: list[list[float]]


# ------------------------------------------------------------------ detectors and their forms
def detector_classes() -> dict[str, type]:
    """Public row detectors (exported by ``genad``), by class name; group detectors are left out."""
    import genad

    from .._registry import registered_detectors

    out = {}
    for cls in registered_detectors().values():
        if getattr(genad, cls.__name__, None) is not cls or cls.__module__.startswith("genad.group"):
            continue
        out.setdefault(cls.__name__, cls)
    return dict(sorted(out.items()))


def _kind(name: str, default: Any) -> str:
    if name in CHOICES:
        return "choice"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        return "str"
    return "json"  # None, lists, dicts: typed as JSON in the page


def detector_form(cls: type) -> dict:
    """The fields of ``cls``'s parameters with their defaults, for a generated form."""
    params = cls().get_params(deep=False)
    doc = inspect.getdoc(cls) or ""
    fields = []
    for name, default in params.items():
        if name in HIDDEN_PARAMS:
            continue
        f = {"name": name, "default": default, "kind": _kind(name, default)}
        if name in CHOICES:
            f["choices"] = CHOICES[name]
        fields.append(f)
    return {"name": cls.__name__, "summary": doc.split("\n", 1)[0], "fields": fields,
            "composer": cls.__name__ in COMPOSER,
            "streams": "callbacks" in params}


def _number_or_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return value
    return number if math.isfinite(number) else value


def make_detector(name: str, params: dict, seed: int):
    """A detector of class ``name`` with ``params``; ValueError naming a wrong one."""
    classes = detector_classes()
    cls = classes.get(name)
    if cls is None:
        raise ValueError(f"unknown detector {name!r}; choose one of {', '.join(classes)}")
    allowed = cls().get_params(deep=False)
    unknown = sorted(set(params) - (set(allowed) - HIDDEN_PARAMS))
    if unknown:
        raise ValueError(f"{name} has no parameter(s) {unknown}; its parameters are "
                         f"{', '.join(k for k in allowed if k not in HIDDEN_PARAMS)}")
    # a parameter that takes a word or a number (trim="auto" or 0.1, gamma="scale" or 0.5) comes
    # from the page's text field as a string: a number written as text is passed as the number
    params = {k: _number_or_text(v) for k, v in params.items()}
    det = cls(**params)
    if "random_state" in allowed:
        det.set_params(random_state=seed)
    if "verbose" in allowed:
        det.set_params(verbose=0)
    validate = getattr(det, "_validate_params", None)
    if validate is not None and getattr(cls, "_parameter_constraints", None):
        try:
            validate()
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from None
    return det


# ------------------------------------------------------------------ data
def dataset_list() -> list[dict]:
    """Datasets the page offers: name, description, whether their files are present."""
    from ..datasets import list_datasets

    rows = []
    for d in list_datasets(expand=True):
        name = d["name"]
        if name.startswith(("nab", "sdss-groups", "synthetic-groups")) or "<" in name:
            continue
        rows.append({"name": name, "description": d.get("description", ""), "present": bool(d["present"])})
    order = {n: i for i, n in enumerate(FEATURED)}
    rows.sort(key=lambda r: (order.get(r["name"], len(order)), r["name"]))
    default = next((r["name"] for r in rows if r["present"]), None)
    return [dict(r, default=r["name"] == default) for r in rows]


@dataclass
class Prepared:
    X_train: np.ndarray
    X_test: np.ndarray
    y_test: Optional[np.ndarray]
    feature_names: Optional[list]
    info: dict


def _subsample(rng, n_keep: Optional[int], *arrays):
    n = len(arrays[0])
    if n_keep is None or n_keep >= n:
        return arrays
    idx = np.sort(rng.choice(n, size=int(n_keep), replace=False))
    return tuple(a[idx] for a in arrays)


def _mix(rng, X_norm, X_anom, contamination, test=None):
    """Training rows: the normal rows plus labelled anomalies making up ``contamination``."""
    from ..datasets._base import add_contamination

    X = np.concatenate([X_norm, X_anom]) if len(X_anom) else X_norm
    idx, info = add_contamination(np.arange(len(X_norm)), len(X_norm) + np.arange(len(X_anom)),
                                  contamination, rng)
    y = (idx >= len(X_norm)).astype(np.int64)
    return X[idx], y, info, idx


def prepare_builtin(spec: DataSpec, seed: int) -> Prepared:
    from ..datasets import dataset_options, load

    options = dict(LOADER_OPTIONS.get(spec.name, {}))
    accepted = dataset_options(spec.name)
    own = next((o for o in CONTAMINATION_OPTIONS if o in accepted), None)
    if own is not None:
        options[own] = spec.contamination
    if "random_state" in accepted:
        options["random_state"] = seed
    ds = load(spec.name, **options)
    if ds.is_grouped:
        raise ValueError(f"dataset {spec.name!r} holds groups of points; the trainer takes rows")
    rng = np.random.default_rng(seed)
    X_tr, y_tr = np.asarray(ds.X_train), np.asarray(ds.y_train)
    X_te, y_te = np.asarray(ds.X_test), np.asarray(ds.y_test)
    info = {"dataset": spec.name, "moved_from_test": 0}
    if own is None and spec.contamination > 0:
        # no loader option: move labelled anomalies of the test split into training
        anom = np.nonzero(y_te == 1)[0]
        X_mix, y_mix, mix_info, idx = _mix(rng, X_tr[y_tr == 0], X_te[anom], spec.contamination)
        used = anom[idx[idx >= (y_tr == 0).sum()] - (y_tr == 0).sum()]
        keep = np.setdiff1d(np.arange(len(y_te)), used)
        X_tr, y_tr, X_te, y_te = X_mix, y_mix, X_te[keep], y_te[keep]
        info["moved_from_test"] = int(len(used))
    if spec.train_size is not None and spec.train_size < len(X_tr):
        # stratified, so the anomaly share of training stays what was asked
        from sklearn.model_selection import train_test_split

        if 0 < y_tr.sum() < len(y_tr) and min(np.bincount(y_tr)) >= 2:
            X_tr, _, y_tr, _ = train_test_split(X_tr, y_tr, train_size=int(spec.train_size),
                                                stratify=y_tr, random_state=seed)
        else:
            X_tr, y_tr = _subsample(rng, spec.train_size, X_tr, y_tr)
    if len(X_te) > MAX_TEST:
        X_te, y_te = _subsample(rng, MAX_TEST, X_te, y_te)
    return Prepared(X_tr.astype(np.float32), X_te.astype(np.float32), y_te.astype(np.int64),
                    ds.feature_names, info)


def _labels_of(column) -> np.ndarray:
    """1 = anomaly: 0/1 values as they are; otherwise the most common value is normal."""
    import pandas as pd

    values = column.dropna()
    if len(values) != len(column):
        raise ValueError(f"label column {column.name!r} has empty cells; fill them or choose no label column")
    uniq = set(pd.unique(values))
    if uniq <= {0, 1}:
        return values.to_numpy().astype(np.int64)
    normal = values.value_counts().idxmax()
    return (values != normal).to_numpy().astype(np.int64)


def check_upload(frame, label: Optional[str]) -> list[str]:
    """Feature columns of an uploaded table; ValueError naming a column the trainer cannot use."""
    import pandas as pd

    if label is not None and label not in frame.columns:
        raise ValueError(f"label column {label!r} is not in the CSV; its columns are {', '.join(map(str, frame.columns))}")
    features = [c for c in frame.columns if c != label]
    if not features:
        raise ValueError("the CSV has no feature column besides the label column")
    for c in features:
        if not pd.api.types.is_numeric_dtype(frame[c]):
            sample = frame[c].dropna().astype(str).head(1).tolist()
            example = f" (e.g. {sample[0]!r})" if sample else ""
            raise ValueError(f"column {c!r} holds text{example}; choose it as the label column, "
                             "or remove or encode it as numbers in the CSV")
    if len(frame) < 4:
        raise ValueError(f"the CSV has {len(frame)} rows; the trainer needs at least 4")
    return features


def prepare_upload(frame, spec: DataSpec, seed: int) -> Prepared:
    features = check_upload(frame, spec.label)
    X = frame[features].to_numpy(dtype=np.float32)
    rng = np.random.default_rng(seed)
    info = {"dataset": "upload", "moved_from_test": 0}
    if spec.label is None:
        X_tr, = _subsample(rng, spec.train_size, X)
        return Prepared(X_tr, X, None, [str(c) for c in features], info)
    from sklearn.model_selection import train_test_split

    y = _labels_of(frame[spec.label])
    strat = y if 0 < y.sum() < len(y) and min(np.bincount(y)) >= 2 else None
    X_a, X_te, y_a, y_te = train_test_split(X, y, test_size=0.5, stratify=strat, random_state=seed)
    X_tr, y_tr, mix_info, _ = _mix(rng, X_a[y_a == 0], X_a[y_a == 1], spec.contamination)
    X_tr, y_tr = _subsample(rng, spec.train_size, X_tr, y_tr)
    info.update(mix_info)
    return Prepared(X_tr, X_te, y_te, [str(c) for c in features], info)


# ------------------------------------------------------------------ the training process
class _Control:
    """The child process's side of a job: events to the server, pause and cancel from it."""

    def __init__(self, events, resume, cancel):
        self.events, self.resume, self.cancel = events, resume, cancel

    def emit(self, name: str, data: dict) -> None:
        self.events.put((name, data))

    def checkpoint(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()
        if not self.resume.is_set():
            self.emit("state", {"state": "paused"})
            while not self.resume.wait(0.2):
                if self.cancel.is_set():
                    raise Cancelled()
            if self.cancel.is_set():
                raise Cancelled()
            self.emit("state", {"state": "running"})


class _JobCallback(Callback):
    """Streams epochs and obeys pause / cancel between mini-batches."""

    def __init__(self, control: _Control):
        self.control = control

    def __deepcopy__(self, memo):  # estimator clones share the control (it holds queues)
        return self

    def on_batch_end(self, info):
        self.control.checkpoint()

    def on_epoch_end(self, info):
        hist = info.get("history") or {}
        losses = {k: float(v) for k, v in (info.get("losses") or {}).items()
                  if isinstance(v, (int, float)) and math.isfinite(float(v))}
        val = hist.get("val_loss") or []
        self.control.emit("epoch", {"epoch": int(info["epoch"]), "epochs": int(info.get("epochs") or 0),
                                    "loss": losses.get("loss", next(iter(losses.values()), None)),
                                    "val_loss": float(val[-1]) if val else None, "losses": losses})
        self.control.checkpoint()


def _train_in_child(spec: dict, frame, model_path: str, events, resume, cancel) -> None:
    """Entry point of a job's process: prepare the data, fit, write the model file, send results.

    The model travels back as a ``.genad`` file (read with :func:`genad.load`); the rest as plain
    arrays and dicts."""
    import torch

    torch.set_num_threads(1)  # this process only: the server's scoring keeps the other cores
    control = _Control(events, resume, cancel)
    try:
        job = JobSpec(**spec)
        data = (prepare_upload(frame, job.data, job.seed) if frame is not None
                else prepare_builtin(job.data, job.seed))
        control.emit("data", {"n_train": len(data.X_train), "n_test": len(data.X_test),
                              "n_features": int(data.X_train.shape[1]), "info": data.info})
        det = make_detector(job.detector, dict(job.params), job.seed)
        streams = "callbacks" in det.get_params(deep=False)
        if streams:
            det.set_params(callbacks=[_JobCallback(control)])
        control.checkpoint()
        det.fit(data.X_train)
        if streams:
            det.set_params(callbacks=None)
        control.checkpoint()
        results = _results(det, data)
        det.save(model_path)
        control.emit("finished", {"results": results, "X_test": data.X_test, "y_test": data.y_test,
                                  "feature_names": data.feature_names, "info": data.info})
    except Cancelled:
        control.emit("cancelled", {})
    except Exception as exc:  # reported to the page; the server keeps serving
        control.emit("failed", {"message": str(exc) if isinstance(exc, ValueError)
                                else f"{type(exc).__name__}: {exc}"})


_CONTEXT = None
#: imported once by the forkserver, so that a job's process starts with them in memory
PRELOAD = ["genad.serve.train", "genad.group", "genad.datasets", "sklearn.model_selection", "sklearn.decomposition"]


def _context():
    """A forkserver context that has genad's training code imported once: a job's process
    starts in a fraction of a second and shares nothing with the server's threads."""
    global _CONTEXT
    if _CONTEXT is None:
        import multiprocessing as mp

        ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
        if ctx.get_start_method() == "forkserver":
            import genad

            # every detector module (what genad.__getattr__ would import on first use)
            modules = sorted({"genad" + m for m in genad._EXPORTS.values()})
            ctx.set_forkserver_preload(PRELOAD + modules)
        _CONTEXT = ctx
    return _CONTEXT


# ------------------------------------------------------------------ jobs
@dataclass
class Job:
    id: str
    spec: JobSpec
    detector: Any
    frame: Any = None
    state: str = "queued"
    message: str = ""
    created: float = field(default_factory=time.time)
    started: Optional[float] = None
    finished: Optional[float] = None
    epochs: list = field(default_factory=list)
    events: list = field(default_factory=list)
    results: Optional[dict] = None
    data: Optional[Prepared] = None
    _resume: Any = None
    _cancel: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        ctx = _context()
        self._resume, self._cancel = ctx.Event(), ctx.Event()
        self._resume.set()

    def emit(self, name: str, data: dict) -> None:
        with self._lock:
            self.events.append((name, data))

    def set_state(self, state: str, message: str = "") -> None:
        self.state, self.message = state, message
        self.emit("state", self.summary())

    @property
    def pausable(self) -> bool:
        return "callbacks" in self.detector.get_params(deep=False)

    def pause(self) -> None:
        if self.state not in ("running", "queued") or not self.pausable:
            raise ValueError(f"job {self.id} is {self.state}" + ("" if self.pausable else
                             f"; {type(self.detector).__name__} trains in one call and cannot pause"))
        self._resume.clear()

    def resume(self) -> None:
        if self._resume.is_set() and self.state != "paused":
            raise ValueError(f"job {self.id} is {self.state}, not paused")
        self._resume.set()

    def cancel(self) -> None:
        if self.state in FINISHED:
            raise ValueError(f"job {self.id} is already {self.state}")
        self._cancel.set()
        self._resume.set()
        if self.state == "queued":
            self.set_state("cancelled", "cancelled before it started")

    def summary(self) -> dict:
        return {"id": self.id, "state": self.state, "message": self.message,
                "detector": self.spec.detector, "dataset": self.spec.data.name or "upload",
                "pausable": self.pausable, "paused_requested": not self._resume.is_set(),
                "created": self.created, "started": self.started, "finished": self.finished,
                "epochs": len(self.epochs)}


def _results(det, data: Prepared) -> dict:
    """What the page shows after training: test scores and labels, threshold, views."""
    from ..metrics import evaluate

    scores = det.decision_function(data.X_test).astype(np.float64)
    out = {"scores": scores.tolist(), "labels": None if data.y_test is None else data.y_test.tolist(),
           "threshold": float(det.threshold_), "n_train": int(len(data.X_train)),
           "n_test": int(len(data.X_test)), "n_features": int(data.X_test.shape[1]),
           "feature_names": data.feature_names, "info": data.info,
           "history": {k: [float(v) for v in vals] for k, vals in (getattr(det, "history_", None) or {}).items()
                       if isinstance(vals, list) and all(isinstance(v, (int, float)) for v in vals)},
           "reconstruction": hasattr(det, "reconstruct"),
           "x_min": float(np.min(data.X_test)), "x_max": float(np.max(data.X_test))}
    if data.y_test is not None:
        out["evaluate"] = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                           for k, v in evaluate(data.y_test, scores, det.threshold_).items()}
        normal = data.X_test[data.y_test == 0]
        if len(normal):
            out["normal_mean"] = normal.mean(axis=0).astype(np.float64).tolist()
    if hasattr(det, "encode"):
        idx = np.arange(len(data.X_test))
        if len(idx) > MAX_CODES:
            idx = np.sort(np.random.default_rng(0).choice(idx, MAX_CODES, replace=False))
        codes = np.asarray(det.encode(data.X_test[idx]), dtype=np.float64).reshape(len(idx), -1)
        how = "codes"
        if codes.shape[1] > 2:
            from sklearn.decomposition import PCA

            codes, how = PCA(n_components=2, random_state=0).fit_transform(codes), "PCA of the codes"
        elif codes.shape[1] == 1:
            codes, how = np.column_stack([codes[:, 0], scores[idx]]), "code vs score"
        out["codes"] = {"index": idx.tolist(), "x": codes[:, 0].tolist(), "y": codes[:, 1].tolist(),
                        "how": how}
    return out


class JobManager:
    """Training jobs: a bounded pool of worker threads, a bounded queue, finished jobs kept."""

    def __init__(self, registry, workers: int = 1, max_queued: int = 8, keep: int = 32,
                 max_uploads: int = 8):
        if workers < 1:
            raise ValueError(f"train_workers must be at least 1, got {workers}")
        self.registry = registry
        self.workers, self.max_queued, self.keep = int(workers), int(max_queued), int(keep)
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="genad-train")
        self.jobs: "OrderedDict[str, Job]" = OrderedDict()
        self.uploads: "OrderedDict[str, Any]" = OrderedDict()
        self.max_uploads = int(max_uploads)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise APIError(404, "not_found", f"no training job {job_id!r}; GET /v1/train/jobs lists them")
        return job

    def add_upload(self, frame) -> str:
        with self._lock:
            uid = f"u{next(self._ids)}"
            self.uploads[uid] = frame
            while len(self.uploads) > self.max_uploads:
                self.uploads.popitem(last=False)
        return uid

    def submit(self, spec: JobSpec) -> Job:
        d = spec.data
        if (d.name is None) == (d.upload is None):
            raise ValueError("give exactly one of data.name (a dataset) or data.upload (an uploaded CSV)")
        frame = None
        if d.upload is not None:
            frame = self.uploads.get(d.upload)
            if frame is None:
                raise ValueError(f"no uploaded CSV {d.upload!r} (uploads are kept for the last "
                                 f"{self.max_uploads}); upload it again")
            check_upload(frame, d.label)
        else:
            from ..datasets._registry import _lookup

            _lookup(d.name)
        det = make_detector(spec.detector, dict(spec.params), spec.seed)
        with self._lock:
            waiting = sum(j.state == "queued" for j in self.jobs.values())
            if waiting >= self.max_queued:
                raise APIError(429, "too_many_jobs", f"{waiting} training jobs are already queued; "
                               "wait for one to finish or cancel one", {"Retry-After": "5"})
            job = Job(id=f"j{next(self._ids)}", spec=spec, detector=det, frame=frame)
            self.jobs[job.id] = job
            finished = [k for k, j in self.jobs.items() if j.state in FINISHED]
            for k in finished[: max(0, len(self.jobs) - self.keep)]:
                del self.jobs[k]
        job.emit("state", job.summary())
        self.pool.submit(self._run, job)
        return job

    def _run(self, job: Job) -> None:
        """One job, in a pool thread: start its process and relay what it sends."""
        import queue as _queue

        from ..persistence import load

        if job._cancel.is_set():
            return
        job.started = time.time()
        job.set_state("running")
        ctx = _context()
        events = ctx.Queue()
        with tempfile.TemporaryDirectory(prefix="genad-train-") as tmp:
            model_path = str(Path(tmp) / "model.genad")
            proc = ctx.Process(target=_train_in_child, name=f"genad-train-{job.id}", daemon=True,
                               args=(job.spec.model_dump(), job.frame, model_path, events, job._resume, job._cancel))
            proc.start()
            job.frame = None
            end, cancelled_at = None, None
            while end is None:
                try:
                    name, data = events.get(timeout=0.2)
                except _queue.Empty:
                    if job._cancel.is_set():
                        cancelled_at = cancelled_at or time.monotonic()
                        # a fit without callbacks cannot stop itself: end its process
                        if not job.pausable or time.monotonic() - cancelled_at > 10:
                            proc.terminate()
                            end = ("cancelled", "cancelled by the user")
                    elif not proc.is_alive():
                        end = ("failed", f"the training process ended unexpectedly (exit code {proc.exitcode})")
                    continue
                if name == "epoch":
                    job.epochs.append(data)
                    job.emit("epoch", data)
                elif name == "data":
                    job.emit("data", data)
                elif name == "state":
                    job.set_state(data["state"])
                elif name == "finished":
                    try:
                        job.detector = load(model_path)
                        job.data = Prepared(np.empty((0, data["X_test"].shape[1]), np.float32), data["X_test"],
                                            data["y_test"], data["feature_names"], data["info"])
                        job.results = data["results"]
                        end = ("done", None)
                    except ValueError as exc:
                        end = ("failed", f"the trained model could not be read back: {exc}")
                elif name == "cancelled":
                    end = ("cancelled", "cancelled by the user")
                elif name == "failed":
                    end = ("failed", data["message"])
            job.finished = time.time()
            state, message = end
            job.set_state(state, message or f"trained in {job.finished - job.started:.1f} s")
            # the process has sent its last word; its slot frees once it has exited
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
            events.close()

    def shutdown(self) -> None:
        for job in list(self.jobs.values()):
            if job.state not in FINISHED:
                job._cancel.set()
                job._resume.set()
        self.pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------ routes
router = APIRouter(prefix="/v1/train", tags=["train"])


def _jobs(request: Request) -> JobManager:
    return request.app.state.genad_jobs


def _bad(exc: ValueError) -> APIError:
    return APIError(400, "bad_request", str(exc))


def _finished(job: Job) -> Job:
    if job.state != "done":
        raise APIError(409, "not_ready", f"job {job.id} is {job.state}; results come when it is done")
    return job


@router.get("/datasets", summary="Datasets the trainer offers", dependencies=[require("score")])
async def datasets():
    return {"datasets": await asyncio.to_thread(dataset_list)}


@router.get("/detectors", summary="Detectors with their parameter forms", dependencies=[require("score")])
async def detectors():
    return {"detectors": [detector_form(c) for c in (await asyncio.to_thread(detector_classes)).values()]}


@router.post("/uploads", summary="Upload a CSV (text/csv body) to train on",
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
             dependencies=[require("score")])
async def upload(request: Request):
    import pandas as pd

    body = await request.body()
    if not body.strip():
        raise APIError(400, "bad_request", "empty upload; send the CSV as the request body")

    def parse():
        try:
            frame = pd.read_csv(io.BytesIO(body))
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise ValueError(f"could not read the CSV: {exc}") from None
        if frame.shape[1] == 0 or len(frame) == 0:
            raise ValueError("the CSV has no rows or no columns")
        return frame

    try:
        frame = await asyncio.to_thread(parse)
    except ValueError as exc:
        raise _bad(exc) from None
    uid = _jobs(request).add_upload(frame)
    cols = [{"name": str(c), "numeric": bool(pd.api.types.is_numeric_dtype(frame[c])),
             "dtype": str(frame[c].dtype)} for c in frame.columns]
    return {"id": uid, "rows": int(len(frame)), "columns": cols}


@router.post("/jobs", status_code=202, summary="Start a training job", dependencies=[require("score")])
async def create_job(request: Request, spec: JobSpec):
    try:
        job = await asyncio.to_thread(_jobs(request).submit, spec)
    except ValueError as exc:
        raise _bad(exc) from None
    return job.summary()


@router.get("/jobs", summary="Training jobs", dependencies=[require("score")])
async def list_jobs(request: Request):
    return {"jobs": [j.summary() for j in _jobs(request).jobs.values()]}


@router.get("/jobs/{job_id}", summary="One job, with its results once done", dependencies=[require("score")])
async def get_job(request: Request, job_id: str):
    job = _jobs(request).get(job_id)
    return dict(job.summary(), history=job.epochs, results=job.results)


async def _sse_auth(request: Request, key: Optional[str]) -> None:
    """EventSource cannot send headers: the key may come as the ``key`` query parameter."""
    creds = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=header[7:].strip())
    elif key:
        creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=key)
    await require("score").dependency(request, creds)


@router.get("/jobs/{job_id}/events", summary="Server-sent events: state, data, epoch; ends with end",
            response_class=StreamingResponse)
async def job_events(request: Request, job_id: str, key: Optional[str] = None):
    await _sse_auth(request, key)
    job = _jobs(request).get(job_id)

    async def stream():
        sent = 0
        last = time.monotonic()
        while True:
            events = job.events[sent:]
            for name, data in events:
                yield f"event: {name}\ndata: {json.dumps(data)}\n\n"
            sent += len(events)
            if events:
                last = time.monotonic()
            if job.state in FINISHED and sent >= len(job.events):
                yield f"event: end\ndata: {json.dumps(job.summary())}\n\n"
                return
            if await request.is_disconnected():
                return
            if time.monotonic() - last > 15:
                yield ": keep-alive\n\n"
                last = time.monotonic()
            await asyncio.sleep(0.1)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _control(action: str):
    async def handler(request: Request, job_id: str):
        job = _jobs(request).get(job_id)
        try:
            getattr(job, action)()
        except ValueError as exc:
            raise APIError(409, "conflict", str(exc)) from None
        return job.summary()

    return handler


for _action in ("pause", "resume", "cancel"):
    router.add_api_route(f"/jobs/{{job_id}}/{_action}", _control(_action), methods=["POST"],
                         summary=f"{_action.capitalize()} a job", dependencies=[require("score")])


@router.post("/jobs/{job_id}/score", summary="Score rows with a trained job's model "
             "(with reconstructions for reconstruction models)", dependencies=[require("score")])
async def score_rows(request: Request, job_id: str, body: RowsBody):
    job = _finished(_jobs(request).get(job_id))
    det = job.detector

    def run():
        X = np.asarray(body.rows, dtype=np.float32)
        out = {"scores": det.decision_function(X).astype(np.float64).tolist(),
               "threshold": float(det.threshold_)}
        out["labels"] = [int(s > det.threshold_) for s in out["scores"]]
        if hasattr(det, "reconstruct"):
            out["reconstructions"] = np.asarray(det.reconstruct(X), dtype=np.float64).tolist()
        return out

    try:
        return await asyncio.to_thread(run)
    except ValueError as exc:
        raise _bad(exc) from None


@router.get("/jobs/{job_id}/samples/{index}", summary="One test sample: input, reconstruction and "
            "per-feature error", dependencies=[require("score")])
async def sample(request: Request, job_id: str, index: int):
    job = _finished(_jobs(request).get(job_id))
    data, det = job.data, job.detector
    if not 0 <= index < len(data.X_test):
        raise APIError(404, "not_found", f"sample {index} is outside 0..{len(data.X_test) - 1}")

    def run():
        x = data.X_test[index:index + 1]
        out = {"index": index, "input": x[0].astype(np.float64).tolist(),
               "score": float(det.decision_function(x)[0]),
               "label": None if data.y_test is None else int(data.y_test[index])}
        if hasattr(det, "reconstruct"):
            out["reconstruction"] = np.asarray(det.reconstruct(x), dtype=np.float64)[0].tolist()
            out["feature_errors"] = np.asarray(det.feature_errors(x), dtype=np.float64)[0].tolist()
        return out

    return await asyncio.to_thread(run)


def _write_model(det, folder: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=".train-", suffix=".genad", dir=folder)
    os.close(fd)
    det.save(tmp)
    return Path(tmp)


@router.post("/jobs/{job_id}/save", summary="Save a trained model into the models folder",
             dependencies=[require("admin")])
async def save(request: Request, job_id: str, body: SaveSpec):
    jobs = _jobs(request)
    job = _finished(jobs.get(job_id))
    reg = jobs.registry
    from .registry import check_name

    try:
        name = check_name(body.name)
    except ValueError as exc:
        raise _bad(exc) from None

    def run():
        reg.folder.mkdir(parents=True, exist_ok=True)
        return reg.install(name, _write_model(job.detector, reg.folder))

    try:
        entry, replaced = await asyncio.to_thread(run)
    except ValueError as exc:
        raise APIError(422, "invalid_model", str(exc)) from None
    return dict(entry.info(), replaced=replaced)


@router.get("/jobs/{job_id}/model", summary="Download the trained model as a .genad file",
            response_class=Response, dependencies=[require("score")])
async def download(request: Request, job_id: str):
    job = _finished(_jobs(request).get(job_id))

    def run():
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "model.genad"
            job.detector.save(path)
            return path.read_bytes()

    data = await asyncio.to_thread(run)
    name = f"{job.spec.detector.lower()}-{job.id}.genad"
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
