"""Scoring and fitting past one machine, on a Dask cluster (``pip install 'genad[distributed]'``).

* :func:`score_parquet` maps :mod:`genad.batch`'s streaming core over the parts of a Parquet data
  set (:func:`genad.batch.plan_parts`), one Dask task per part. The model travels as its file's
  bytes, never as a pickled object: each worker loads it once with :func:`genad.load` and keeps
  it (:func:`worker_model`). Each task writes its part under a temporary name and renames it
  into place, so a task that Dask runs again after a worker died replaces its file with the same
  rows: the output has every input row exactly once and no half-written file.
* :func:`fit_many` fits a list or a grid of detectors in parallel (Dask tasks with a client,
  else joblib on the local cores); fitted models come back as model files.
* GridSearchCV over genad detectors runs on the cluster through joblib's Dask backend::

      with joblib.parallel_backend("dask"):
          GridSearchCV(genad.IsolationForest(), grid, scoring=genad.distributed.roc_auc_scorer).fit(X, y)

Scheduling, retries after a lost worker and data transfer are Dask's; nothing here replaces them.
The output folder must be reachable under the same path by the workers (a shared or network
file system, or one machine).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import batch as _batch

__all__ = ["score_parquet", "fit_many", "worker_model", "model_bytes", "model_from_bytes", "roc_auc_scorer",
           "connect", "local_cluster", "WORKER_CONFIG"]

#: seconds to wait for a scheduler given by address
CONNECT_TIMEOUT = "10s"
#: seconds that a failed job waits for its running tasks to stop (each stops at its next batch)
STOP_TIMEOUT = 120
#: seconds between a running scoring task's checks that its job has not been stopped
STOP_POLL = 0.5
#: models kept per worker process (by the SHA-256 of their file)
_CACHE_SIZE = 8
_cache: "OrderedDict[str, Any]" = OrderedDict()
_cache_lock = threading.Lock()

#: Dask settings for the worker processes of a cluster that scores with genad (applied by
#: :func:`local_cluster`; for a cluster of your own, set them in its Dask configuration).
#:
#: * Dask's nannies set ``MALLOC_TRIM_THRESHOLD_=65536`` in their workers' environment. Setting
#:   any trim threshold turns off glibc's adaptive mmap threshold, so every large array (a
#:   batch of rows, a layer's activations) is mapped and unmapped afresh: scoring ran 24% slower
#:   in one process with it (IsolationForest, 1M rows, ``benchmarks/scale``). Streaming keeps
#:   memory bounded by the batch size without it.
#: * The workers' statistical profiler samples every thread's stack every 10 ms; it cost about
#:   10% of the scoring rate and only feeds a dashboard.
WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


# ----------------------------------------------------------------------------- models as files
def model_bytes(det) -> bytes:
    """The bytes of ``det``'s model file (:meth:`Detector.save`)."""
    with tempfile.TemporaryDirectory(prefix="genad-") as d:
        path = Path(d) / "model.genad"
        det.save(path)
        return path.read_bytes()


def model_from_bytes(data: bytes, **load_options):
    """A detector from a model file's bytes, through :func:`genad.load` (never unpickles)."""
    from .persistence import load

    with tempfile.TemporaryDirectory(prefix="genad-") as d:
        path = Path(d) / "model.genad"
        path.write_bytes(data)
        return load(path, **load_options)


def worker_model(data: bytes, digest: str | None = None):
    """The detector of a model file's bytes, loaded once per process and kept (the last
    :data:`_CACHE_SIZE` models, by SHA-256). Scoring does not change a loaded detector, so the
    threads of a worker share it."""
    digest = digest or hashlib.sha256(data).hexdigest()
    with _cache_lock:
        det = _cache.get(digest)
        if det is None:
            det = model_from_bytes(data)
            _cache[digest] = det
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        else:
            _cache.move_to_end(digest)
        return det


# ----------------------------------------------------------------------------- cluster
def connect(client=None):
    """``(client, close)``: the given :class:`distributed.Client`; a client of the scheduler at an
    address (``"tcp://host:8786"``); or, for None, a new local cluster with one single-threaded
    worker process per core. ``close()`` shuts down what this call started."""
    from distributed import Client

    if client is not None and not isinstance(client, str):
        return client, lambda: None
    if isinstance(client, str):
        try:
            c = Client(client, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ValueError(
                f"cannot reach the Dask scheduler at {client!r} ({type(exc).__name__}: {exc}); check the address "
                "(for example tcp://host:8786) and that the scheduler is running, or leave --scheduler out for a "
                "local cluster"
            ) from None
        return c, c.close
    cluster = local_cluster()
    c = Client(cluster)

    def close():
        c.close()
        cluster.close()

    return c, close


def local_cluster(n_workers: int | None = None, **kwargs):
    """A :class:`distributed.LocalCluster` for scoring: ``n_workers`` single-threaded worker
    processes (None: one per core), no dashboard, and :data:`WORKER_CONFIG`. Other keyword
    arguments go to ``LocalCluster`` (for example ``memory_limit="4GiB"``)."""
    import dask
    from distributed import LocalCluster

    options = dict(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                   dashboard_address=None)
    options.update(kwargs)
    with dask.config.set(WORKER_CONFIG):
        return LocalCluster(**options)


def _identity(x):
    return x


class JobStopped(RuntimeError):
    """Raised in a scoring task whose job was stopped (another task failed, or the caller was
    interrupted); its part is not written."""


def _stop_check(stop: str):
    """A per-batch check that raises :class:`JobStopped` once the job's Dask event is set. It asks
    the scheduler at most every :data:`STOP_POLL` seconds: asking after every batch cost nothing
    measurable at the default batch size, but 16% of PCA's scoring rate at 2,000 rows per batch
    (``benchmarks/scale/stop_check.py``)."""
    from distributed import Event

    event = Event(stop)
    last = [-float("inf")]

    def check(_rows: int = 0):
        now = time.monotonic()
        if now - last[0] < STOP_POLL:
            return
        last[0] = now
        if event.is_set():
            raise JobStopped(f"the scoring job {stop} was stopped")

    return check


def _score_task(part, data, digest, out_dir, cols, batch_size, stop):
    check = _stop_check(stop)
    try:
        check()  # a task that starts after the job stopped writes nothing
        return _batch.score_part(worker_model(data, digest), part, out_dir, cols, batch_size=batch_size,
                                 on_rows=check)
    except JobStopped:  # not a failure of its own: the worker logs no error for it
        return {"part": part.index, "rows": 0, "flagged": 0, "stopped": True}


# ----------------------------------------------------------------------------- scoring
def _spread(source, parts, n_parts: int):
    """Parts cut smaller, in whole row groups, until there are at least ``n_parts`` of them (or
    one per row group), so that every worker has several tasks and none waits for the last."""
    target = -(-sum(p.rows for p in parts) // n_parts)
    while len(parts) < n_parts and target >= 1:
        parts, _ = _batch.plan_parts(source, rows_per_part=max(1, target))
        target //= 2
    return parts


def score_parquet(model_path, source, out, client=None, *, keep: Sequence[str] | None = None,
                  drop: Sequence[str] | None = None, batch_size: int = _batch.BATCH_SIZE,
                  rows_per_part: int | None = None, progress: bool | None = False) -> "_batch.ScoreSummary":
    """Score a Parquet data set on a Dask cluster into a folder of ``part-NNNNN.parquet`` files.

    Parameters
    ----------
    model_path : model file written by :meth:`Detector.save`
    source : Parquet file, folder, glob (``"flows/*.parquet"``) or list of files
    out : output folder (created; it must not hold parts of an earlier run)
    client : :class:`distributed.Client`, a scheduler address, or None for a local cluster (one
        worker process per core, closed at the end)
    keep, drop, batch_size : as in :func:`genad.batch.score_dataset`
    rows_per_part : rows per task and output part; None: :data:`genad.batch.ROWS_PER_PART`, less
        when that leaves fewer than 4 parts per worker (whole row groups: a part is never smaller
        than one)
    progress : a progress bar with rows/s on stderr (None: when stderr is a terminal)

    The columns, the model and the output are checked here before a task starts; the scores equal
    :func:`genad.batch.score_dataset`'s. A task that fails (an unreadable file, a bad value)
    stops the job with its error: the other tasks stop at their next batch, and once none is left
    running the parts written so far are removed.
    """
    from tqdm.auto import tqdm

    model_path = Path(model_path)
    if not model_path.is_file():
        raise FileNotFoundError(f"model file {model_path} does not exist")
    data = model_path.read_bytes()
    _, parts, cols, out, _ = _batch.prepare(model_path, source, out, keep=keep, drop=drop,
                                           rows_per_part=rows_per_part or _batch.ROWS_PER_PART, folder_only=True)
    digest = hashlib.sha256(data).hexdigest()
    out = out.resolve()
    summary = _batch.ScoreSummary(renamed={k: v for k, v in cols.out.items() if k != v})
    c, close = connect(client)
    t0 = time.perf_counter()
    futures, stop = [], None
    try:
        n_workers = max(1, len(c.scheduler_info().get("workers", {})))
        if rows_per_part is None and all(p.row_groups is not None for p in parts):
            parts = _spread(source, parts, 4 * n_workers)
        from distributed import as_completed

        # the model's bytes are one task's result: kept by the cluster, recomputed if a worker is lost
        model_f = c.submit(_identity, data, key=f"genad-model-{digest}", pure=False)
        job = hashlib.sha256(f"{digest}{out}{time.time_ns()}".encode()).hexdigest()[:16]
        stop = f"genad-stop-{job}"
        futures = [c.submit(_score_task, p, model_f, digest, str(out), cols, batch_size, stop,
                            key=f"genad-score-{job}-{p.index}", pure=False) for p in parts]
        total = sum(p.rows for p in parts) if all(p.row_groups is not None for p in parts) else None
        with tqdm(total=total, unit="rows", unit_scale=True, desc="scoring", dynamic_ncols=True,
                  disable=None if progress is None else not progress) as bar:
            for fut in as_completed(futures):
                res = fut.result()  # a task's error is raised here, with its own type and message
                summary.rows += res["rows"]
                summary.flagged += res["flagged"]
                bar.update(res["rows"])
        summary.files = [str(out / p.name) for p in parts]
    except BaseException:
        if futures:
            _stop_job(c, stop, futures)
        for p in parts:
            (out / p.name).unlink(missing_ok=True)
        raise
    finally:
        _batch.remove_temporaries(out)
        close()
    summary.seconds = time.perf_counter() - t0
    return summary


def _stop_job(c, stop: str, futures) -> None:
    """Stop a failed job's tasks and return once none can still write a part.

    Cancelling a Dask future does not stop a task that is already running: it would go on and
    rename its part into the output folder after the caller had cleaned it. So the job's event is
    set, every task (running or queued) stops at its next batch or at its start, and this waits
    for all of them. A task still running after :data:`STOP_TIMEOUT` seconds (a worker that
    does not answer) is cancelled with a warning that its part may appear later."""
    from distributed import Event, wait

    event = Event(stop, client=c)
    try:
        event.set()
        wait(futures, timeout=STOP_TIMEOUT)
    except TimeoutError:
        running = [f.key for f in futures if not f.done()]
        warnings.warn(f"{len(running)} scoring task(s) did not stop within {STOP_TIMEOUT} s after the job "
                      f"failed; their parts may still appear in the output folder (first: {running[0]})",
                      RuntimeWarning, stacklevel=3)
    except Exception:  # noqa: BLE001  (the scheduler is gone: its workers cannot write either)
        pass
    finally:
        for f in futures:
            f.cancel()
        with contextlib.suppress(Exception):
            event.clear()  # the scheduler forgets the event


# ----------------------------------------------------------------------------- fitting
def _detector_class(spec):
    import genad
    from .base import Detector

    if isinstance(spec, str):
        lookup = {n.lower(): n for n in genad.__all__}
        name = lookup.get(spec.lower())
        if name is None:
            raise ValueError(f"unknown detector {spec!r}; choose one of: {', '.join(genad.__all__)}")
        spec = getattr(genad, name)
    if not (isinstance(spec, type) and issubclass(spec, Detector)):
        raise ValueError(f"{spec!r} is not a genad detector class")
    return spec


def _expand(specs) -> list[tuple[type, dict]]:
    from sklearn.model_selection import ParameterGrid

    if isinstance(specs, dict):
        return [(_detector_class(k), dict(p)) for k, grid in specs.items() for p in ParameterGrid(grid or {})]
    out = []
    for item in specs:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[1], dict)):
            raise ValueError(f"each spec is a (detector class or name, params dict) pair; got {item!r}")
        out.append((_detector_class(item[0]), dict(item[1])))
    if not out:
        raise ValueError("no detectors to fit: pass a list of (class, params) or a grid {class: {param: [values]}}")
    return out


def _fit_task(cls, params, X_train, X_val, y_val):
    det = cls(**params)
    t0 = time.perf_counter()
    det.fit(X_train)
    figures = {"fit_seconds": time.perf_counter() - t0, "n_train": len(X_train)}
    if X_val is not None and len(X_val):
        s = det.decision_function(X_val)
        figures["n_validation"] = len(X_val)
        figures["flagged_fraction"] = float(np.mean(s > det.threshold_))
        if y_val is not None and len(np.unique(y_val)) == 2:
            from .metrics import evaluate

            m = evaluate(y_val, s, threshold=float(det.threshold_))
            figures.update({k: m[k] for k in ("roc_auc", "pr_auc", "f1", "precision", "recall") if k in m})
    return model_bytes(det), figures


def _rows(X, idx):
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


def fit_many(specs, X, y=None, *, client=None, validation_fraction: float = 0.2, random_state: int | None = 0,
             n_jobs: int = -1) -> list[dict]:
    """Fit many detectors or settings at once and report their validation figures.

    Parameters
    ----------
    specs : list of ``(class or class name, params)`` pairs, or a grid ``{class: {param: [values]}}``
        (expanded with :class:`sklearn.model_selection.ParameterGrid`).
    X : training data (array or DataFrame); ``validation_fraction`` of the rows are held out.
    y : optional 0/1 labels (1 = anomaly) of ``X``, used only for the validation figures.
    client : :class:`distributed.Client` or scheduler address: one Dask task per fit; None: joblib
        on the local cores (``n_jobs``).
    validation_fraction : share of rows held out (0: no validation figures).
    random_state : seed of the split.

    Returns
    -------
    One dict per spec, in order: ``detector`` (class name), ``params``, ``model`` (the fitted
    detector, loaded from its model file with :func:`genad.load`), ``fit_seconds``, ``n_train``,
    ``n_validation``, ``flagged_fraction`` (share of held-out rows above the threshold), and
    with ``y``: ``roc_auc``, ``pr_auc``, ``f1``, ``precision``, ``recall`` on the held-out rows.
    """
    jobs = _expand(specs)
    n = len(X)
    if not 0 <= validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    if y is not None:
        y = np.asarray(y).ravel()
        if len(y) != n:
            raise ValueError(f"y has {len(y)} labels but X has {n} rows")
    idx = np.random.default_rng(random_state).permutation(n)
    n_val = int(round(validation_fraction * n))
    tr, va = np.sort(idx[n_val:]), np.sort(idx[:n_val])
    X_train, X_val = _rows(X, tr), (_rows(X, va) if n_val else None)
    y_val = y[va] if (y is not None and n_val) else None
    if client is None:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs)(delayed(_fit_task)(cls, p, X_train, X_val, y_val) for cls, p in jobs)
    else:
        c, close = connect(client)
        try:
            data = c.scatter([X_train, X_val, y_val], broadcast=True)
            futures = [c.submit(_fit_task, cls, p, *data, pure=False) for cls, p in jobs]
            results = c.gather(futures)
        finally:
            close()
    return [{"detector": cls.__name__, "params": p, "model": model_from_bytes(b), **fig}
            for (cls, p), (b, fig) in zip(jobs, results)]


def roc_auc_scorer(estimator, X, y) -> float:
    """ROC-AUC of ``estimator.decision_function(X)`` against ``y`` (1 = anomaly): a ``scoring``
    callable for :class:`sklearn.model_selection.GridSearchCV` over genad detectors."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(y).ravel(), estimator.decision_function(X)))
