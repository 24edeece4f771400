"""Core types shared by all loaders: :class:`Dataset`, the data folder, errors."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ENV_VAR = "GENAD_DATA"
DEFAULT_HOME = "~/genad_data"


class DatasetNotFoundError(FileNotFoundError):
    """A data file a loader needs is not in the data folder.

    The message names the missing file, the folder that was searched and the
    official source to download it from. genad never downloads anything itself.
    """


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Folder the loaders read from.

    ``data_home`` if given, else the ``GENAD_DATA`` environment variable, else
    ``~/genad_data``. The folder is not created.
    """
    if data_home is None:
        data_home = os.environ.get(ENV_VAR) or DEFAULT_HOME
    return Path(data_home).expanduser()


def require_file(
    data_home: Path, relpath: str, dataset: str, source: str
) -> Path:
    """Return ``data_home / relpath`` or raise :class:`DatasetNotFoundError`."""
    path = data_home / relpath
    if not path.exists():
        raise DatasetNotFoundError(
            f"Dataset '{dataset}': file '{relpath}' not found in data folder "
            f"'{data_home}' (looked for '{path}'). Download it from {source} "
            f"and save it as '{path}', or point data_home= / the {ENV_VAR} "
            "environment variable at a folder that has it. genad does not "
            "download data itself (no network access is assumed)."
        )
    return path


def _rate(y: np.ndarray | None) -> str:
    if y is None or len(y) == 0:
        return "n/a"
    return f"{float(np.mean(y)):.3f}"


@dataclass(repr=False)
class Dataset:
    """A train/test split for anomaly detection.

    Labels are int64 with 1 = anomaly. Arrays are float32: tabular ``(n, d)``,
    sequences ``(n, t, d)``, images ``(n, c, h, w)``. For group datasets
    ``X_*`` holds one row per point, ``groups_*`` one group id per point and
    ``y_*`` one label per group in the order of ``np.unique(groups_*)``.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str] | None = None
    groups_train: np.ndarray | None = None
    groups_test: np.ndarray | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def is_grouped(self) -> bool:
        return self.groups_train is not None

    def __repr__(self) -> str:
        parts = [
            f"name={self.name!r}",
            f"X_train={tuple(self.X_train.shape)}",
            f"train_anomaly_rate={_rate(self.y_train)}",
            f"X_test={tuple(self.X_test.shape)}",
            f"test_anomaly_rate={_rate(self.y_test)}",
        ]
        if self.groups_train is not None:
            parts.append(f"train_groups={len(self.y_train)}")
        if self.groups_test is not None:
            parts.append(f"test_groups={len(self.y_test)}")
        return f"Dataset({', '.join(parts)})"


def as_x(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def as_y(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.int64))


def check_fraction(name: str, value: float, low: float, high: float) -> float:
    value = float(value)
    if not (low <= value <= high):
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return value


def add_contamination(
    idx_normal: np.ndarray,
    idx_anomal: np.ndarray,
    contamination: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, dict]:
    """Indices of a training set whose anomaly share is ``contamination``.

    All normal indices are kept and ``round(c * n_normal / (1 - c))`` anomalies
    drawn without replacement are added. When there are not enough anomalies,
    all of them are used and the normal part is subsampled so that the share
    is still exact (as far as rounding allows). Returns sorted indices and a
    dict describing what was done.
    """
    c = contamination
    n_norm, n_anom_avail = len(idx_normal), len(idx_anomal)
    if c <= 0:
        return np.sort(idx_normal), {"contamination": 0.0, "n_train_anomalies": 0}
    n_anom = int(round(c * n_norm / (1.0 - c)))
    subsampled = n_anom > n_anom_avail
    if subsampled:
        n_anom = n_anom_avail
        n_norm = int(round(n_anom * (1.0 - c) / c))
        idx_normal = rng.choice(idx_normal, size=n_norm, replace=False)
    chosen = rng.choice(idx_anomal, size=n_anom, replace=False)
    idx = np.sort(np.concatenate([idx_normal, chosen]))
    info = {
        "contamination": c,
        "n_train_anomalies": int(n_anom),
        "n_train_normals": int(n_norm),
        "normals_subsampled": bool(subsampled),
    }
    return idx, info
