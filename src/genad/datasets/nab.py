"""Numenta Anomaly Benchmark (NAB) univariate series with labelled anomaly windows."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ._base import Dataset, DatasetNotFoundError, check_fraction, get_data_home, require_file

NAB_SOURCE = "https://github.com/numenta/NAB (folders data/ and labels/)"
WINDOWS_FILE = "nab/labels/combined_windows.json"


@functools.lru_cache(maxsize=2)
def _windows(path: str, mtime: float) -> dict:
    with open(path) as f:
        return json.load(f)


def _all_windows(data_home: Path) -> dict:
    f = require_file(data_home, WINDOWS_FILE, "nab", NAB_SOURCE)
    return _windows(str(f), f.stat().st_mtime)


def list_nab(data_home=None) -> list[str]:
    """Series present, as ``"<family>/<name>"`` (e.g. ``"realKnownCause/nyc_taxi"``)."""
    home = get_data_home(data_home)
    folder = home / "nab" / "data"
    if not folder.is_dir():
        return []
    return sorted(
        f"{p.parent.name}/{p.stem}" for p in folder.glob("*/*.csv")
    )


def _resolve(data_home: Path, name: str) -> str:
    """``family/name`` for ``family/name`` or a bare unique ``name``."""
    name = name.removesuffix(".csv")
    present = list_nab(data_home)
    if "/" in name:
        if name in present:
            return name
    else:
        hits = [p for p in present if p.split("/", 1)[1] == name]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ValueError(f"NAB series name {name!r} is ambiguous: {hits}")
    shown = ", ".join(present) if present else "none"
    raise DatasetNotFoundError(
        f"Dataset 'nab/{name}': no series file 'nab/data/{name if '/' in name else '<family>/' + name}.csv' "
        f"in data folder '{data_home}' (series present: {shown}). Download NAB from "
        f"{NAB_SOURCE} into '{data_home / 'nab'}', or point data_home= / GENAD_DATA "
        "at a folder that has it. genad does not download data itself."
    )


def load_nab_series(name: str, data_home=None) -> tuple[pd.DataFrame, list[list[str]]]:
    """One NAB series: DataFrame ``[timestamp (datetime64), value (float)]`` and its
    anomaly windows as ``[[start, end], ...]`` ISO-8601 strings (inclusive)."""
    home = get_data_home(data_home)
    key = _resolve(home, name)
    f = require_file(home, f"nab/data/{key}.csv", f"nab/{key}", NAB_SOURCE)
    df = pd.read_csv(f)
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    df["value"] = df["value"].astype(np.float64)
    wins = _all_windows(home).get(f"{key}.csv", [])
    windows = [[pd.Timestamp(a).isoformat(), pd.Timestamp(b).isoformat()] for a, b in wins]
    return df[["timestamp", "value"]], windows


def window_labels(timestamps: pd.Series, windows) -> np.ndarray:
    """1 for time points inside any window (bounds inclusive), else 0."""
    ts = pd.to_datetime(pd.Series(timestamps)).to_numpy()
    y = np.zeros(len(ts), np.int64)
    for a, b in windows:
        y[(ts >= np.datetime64(pd.Timestamp(a))) & (ts <= np.datetime64(pd.Timestamp(b)))] = 1
    return y


def load_nab(data_home: Path, series: str, *, train_fraction: float = 0.15) -> Dataset:
    """A NAB series split in time: the first ``train_fraction`` (NAB's 15%
    probationary period) is training, the rest test. ``X`` is ``(n, 1)`` float32;
    ``y`` per time point = 1 inside a labelled anomaly window. ``y_train`` has the
    true labels (windows can reach into the probationary part). Metadata:
    ``windows`` and ISO timestamps ``timestamps_train`` / ``timestamps_test``.
    """
    check_fraction("train_fraction", train_fraction, 0.0, 0.99)
    key = _resolve(data_home, series)
    df, windows = load_nab_series(key, data_home)
    y = window_labels(df["timestamp"], windows)
    n_tr = int(np.floor(train_fraction * len(df)))
    X = df["value"].to_numpy(np.float32)[:, None]
    iso = [t.isoformat() for t in df["timestamp"]]
    return Dataset(
        name=f"nab/{key}",
        X_train=np.ascontiguousarray(X[:n_tr]), y_train=y[:n_tr],
        X_test=np.ascontiguousarray(X[n_tr:]), y_test=y[n_tr:],
        feature_names=["value"],
        metadata={
            "source": f"NAB (numenta/NAB), data/{key}.csv, labels/combined_windows.json",
            "protocol": "first train_fraction of the series (NAB probationary "
            "period, 15%) for training, the rest for testing; y = inside a window",
            "family": key.split("/")[0], "series": key.split("/")[1],
            "train_fraction": train_fraction, "windows": windows,
            "timestamps_train": iso[:n_tr], "timestamps_test": iso[n_tr:],
        },
    )
