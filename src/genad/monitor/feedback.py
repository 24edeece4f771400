"""Analysts' verdicts on scored items: an append-only label store in SQLite.

One record per verdict: the item's ``key`` (the id the analyst sees: a row id, a flow id, a
timestamp), ``verdict`` (1 = anomaly, 0 = normal), ``who`` gave it and ``when`` (UTC, ISO 8601),
optionally the ``model`` that flagged it, its ``score`` and the item's ``row`` (its values, so
the store alone can recalibrate). Records are never changed or deleted (SQLite triggers refuse
it); a later verdict on the same key supersedes the earlier one in :meth:`FeedbackStore.labels`.

By default the store of ``models/NAME.genad`` is ``models/NAME.feedback.sqlite``. Several
threads and processes may write at once: every write is one transaction under SQLite's write
lock (write-ahead log, busy timeout), so none is lost.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import numpy as np

__all__ = ["FeedbackStore", "store_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    key     TEXT NOT NULL,
    verdict INTEGER NOT NULL CHECK (verdict IN (0, 1)),
    who     TEXT NOT NULL,
    at      TEXT NOT NULL,
    model   TEXT,
    score   REAL,
    row     TEXT
);
CREATE INDEX IF NOT EXISTS feedback_key ON feedback (key);
CREATE TRIGGER IF NOT EXISTS feedback_no_update BEFORE UPDATE ON feedback
    BEGIN SELECT RAISE(ABORT, 'the feedback store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS feedback_no_delete BEFORE DELETE ON feedback
    BEGIN SELECT RAISE(ABORT, 'the feedback store is append-only'); END;
"""
_MAX_KEY = 512


def store_path(model_path) -> Path:
    """The default store of a model file: ``NAME.feedback.sqlite`` beside ``NAME.genad``."""
    p = Path(model_path)
    stem = p.name[: -len(".genad")] if p.name.endswith(".genad") else p.stem
    return p.with_name(stem + ".feedback.sqlite")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _record(i: int, rec: dict) -> tuple:
    """Validate one verdict; ``i`` names it in the message."""
    if not isinstance(rec, dict):
        raise ValueError(f"verdict {i}: expected an object with key, verdict and who; got {type(rec).__name__}.")
    unknown = set(rec) - {"key", "verdict", "who", "when", "model", "score", "row"}
    if unknown:
        raise ValueError(f"verdict {i}: unknown field(s) {sorted(unknown)}; use key, verdict, who, "
                         "and optionally when, model, score, row.")
    key = rec.get("key")
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        key = str(int(key))
    if not isinstance(key, str) or not key.strip() or len(key) > _MAX_KEY:
        raise ValueError(f"verdict {i}: key must be a non-empty text of at most {_MAX_KEY} characters "
                         f"(the scored item's id); got {rec.get('key')!r}.")
    verdict = rec.get("verdict")
    if isinstance(verdict, (bool, np.bool_)) or verdict not in (0, 1) or isinstance(verdict, float) and not verdict.is_integer():
        raise ValueError(f"verdict {i}: verdict must be 1 (anomaly) or 0 (normal); got {verdict!r}.")
    who = rec.get("who")
    if not isinstance(who, str) or not who.strip() or len(who) > 200:
        raise ValueError(f"verdict {i}: who must name the analyst (non-empty text); got {who!r}.")
    when = rec.get("when")
    if when is None:
        when = _now()
    else:
        try:
            stamp = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"verdict {i}: when must be an ISO 8601 time such as 2026-11-30T05:00:00Z; "
                             f"got {when!r}.") from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=timezone.utc)
        when = stamp.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    model = rec.get("model")
    if model is not None and not isinstance(model, str):
        raise ValueError(f"verdict {i}: model must be a text; got {model!r}.")
    score = rec.get("score")
    if score is not None:
        try:
            score = float(score)
        except (TypeError, ValueError):
            raise ValueError(f"verdict {i}: score must be a number; got {score!r}.") from None
        if not math.isfinite(score):
            raise ValueError(f"verdict {i}: score must be finite; got {score!r}.")
    row = rec.get("row")
    if row is not None:
        try:
            arr = np.asarray(row, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"verdict {i}: row must be the item's values (numbers); got {row!r:.80}.") from None
        if arr.size == 0 or not np.isfinite(arr).all():
            raise ValueError(f"verdict {i}: row must be non-empty finite numbers.")
        row = json.dumps(arr.tolist())
    return key, int(verdict), who, when, model, score, row


class FeedbackStore:
    """Append-only store of analysts' verdicts (SQLite file ``path``, created if missing).

    Examples
    --------
    >>> import tempfile, os
    >>> from genad.monitor import FeedbackStore
    >>> store = FeedbackStore(os.path.join(tempfile.mkdtemp(), "m.feedback.sqlite"))
    >>> store.add("flow-17", 1, who="ana")
    1
    >>> store.add_many([{"key": "flow-18", "verdict": 0, "who": "ben"}, {"key": "flow-17", "verdict": 0, "who": "cy"}])
    2
    >>> store.labels()
    {'flow-17': 0, 'flow-18': 0}
    >>> len(store)
    3
    """

    def __init__(self, path, *, timeout: float = 30.0):
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(f"{self.path} is a folder; give the store's file name (NAME.feedback.sqlite).")
        if not self.path.parent.exists():
            raise ValueError(f"folder {self.path.parent} does not exist; create it first.")
        self.timeout = float(timeout)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(os.fspath(self.path), timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise ValueError(f"cannot open the feedback store {self.path} ({exc}).") from None
        con.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        return _Closing(con)

    # ------------------------------------------------------------------ writing
    def add(self, key, verdict: int, who: str, *, when=None, model=None, score=None, row=None) -> int:
        """Append one verdict; returns the number of records written (1)."""
        return self.add_many([{"key": key, "verdict": verdict, "who": who, "when": when, "model": model,
                               "score": score, "row": row}])

    def add_many(self, records: Iterable[dict]) -> int:
        """Append verdicts in one transaction: all of them, or (on a bad one) none."""
        rows = [_record(i, dict(r) if isinstance(r, dict) else r) for i, r in enumerate(records)]
        if not rows:
            raise ValueError("no verdicts given; send at least one {key, verdict, who}.")
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.executemany("INSERT INTO feedback (key, verdict, who, at, model, score, row) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return len(rows)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def records(self):
        """Every record in the order written, as a pandas DataFrame (``row`` decoded to lists)."""
        import pandas as pd

        with self._connect() as con:
            cur = con.execute("SELECT id, key, verdict, who, at, model, score, row FROM feedback ORDER BY id")
            rows = [(*r[:-1], None if r[-1] is None else json.loads(r[-1])) for r in cur.fetchall()]
        df = pd.DataFrame(rows, columns=["id", "key", "verdict", "who", "when", "model", "score", "row"])
        df["row"] = pd.Series([r[-1] for r in rows], dtype=object, index=df.index)
        return df

    def labels(self) -> dict[str, int]:
        """The latest verdict of every key."""
        with self._connect() as con:
            cur = con.execute("SELECT key, verdict FROM feedback ORDER BY id")
            out: dict[str, int] = {}
            for key, verdict in cur:
                out[key] = int(verdict)
        return dict(sorted(out.items()))

    def labelled_rows(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """``(X, y, keys)`` of the keys whose latest verdict came with the item's ``row``."""
        df = self.records()
        latest = df.groupby("key", sort=True).tail(1)
        latest = latest[[r is not None for r in latest["row"]]]
        if latest.empty:
            return np.empty((0, 0)), np.empty(0, dtype=np.int64), []
        X = np.asarray(latest["row"].tolist(), dtype=np.float64)
        return X, latest["verdict"].to_numpy(np.int64), latest["key"].tolist()

    def summary(self) -> dict[str, Any]:
        lab = self.labels()
        return {"records": len(self), "keys": len(lab), "anomalies": int(sum(lab.values())),
                "normals": int(len(lab) - sum(lab.values()))}


class _Closing:
    """A connection used as ``with``: closed on exit (sqlite3's own ``with`` only commits)."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        return self.con

    def __exit__(self, *exc) -> None:
        self.con.close()

    def execute(self, *a):
        return self.con.execute(*a)
