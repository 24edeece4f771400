"""ECG5000 heartbeats with the Anomagram split."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from ._base import Dataset, add_contamination, as_x, check_fraction, require_file

ECG_SOURCE = (
    "https://github.com/victordibia/anomagram (ECG5000 train.json / test.json; "
    "original data: UCR archive, https://www.timeseriesclassification.com/description.php?Dataset=ECG5000)"
)
ECG_CLASSES = {
    "1": "normal", "2": "R-on-T premature ventricular contraction",
    "3": "premature ventricular contraction", "4": "supraventricular premature or ectopic beat",
    "5": "unclassified beat",
}


@functools.lru_cache(maxsize=4)
def _read_json(path: str, mtime: float):
    with open(path) as f:
        items = json.load(f)
    X = np.asarray([it["data"] for it in items], dtype=np.float32)
    target = np.asarray([str(it["target"]) for it in items])
    index = np.asarray([int(it["index"]) for it in items], dtype=np.int64)
    return X, target, index


def load_ecg5000(
    data_home: Path, *, abnormal_fraction: float = 0.0, as_sequences: bool = False,
    random_state: int = 0,
) -> Dataset:
    """ECG5000 (Anomagram): train on normal beats of ``train.json``, test on ``test.json``.

    Class 1 is normal, 2-5 abnormal. ``abnormal_fraction`` f in [0, 0.7] mixes
    abnormal beats of ``train.json`` into training so that they make up a share f
    of the training set: all 2,627 normal beats are kept and
    round(f * 2627 / (1 - f)) abnormal ones are drawn (``random_state``); when
    ``train.json`` has fewer abnormal beats (1,873) than that, all are used and the
    normal beats are subsampled to keep the share exact (metadata says so).
    Test: the 500 beats of ``test.json`` (292 normal, 208 abnormal).
    Shape ``(n, 140)``, or ``(n, 140, 1)`` with ``as_sequences=True``.
    Note: train.json values are rounded to 2 decimals, test.json has full precision.
    """
    name = "ecg5000"
    check_fraction("abnormal_fraction", abnormal_fraction, 0.0, 0.7)
    f_tr = require_file(data_home, "ecg5000/train.json", name, ECG_SOURCE)
    f_te = require_file(data_home, "ecg5000/test.json", name, ECG_SOURCE)
    Xtr, ttr, _ = _read_json(str(f_tr), f_tr.stat().st_mtime)
    Xte, tte, _ = _read_json(str(f_te), f_te.stat().st_mtime)
    rng = np.random.default_rng(random_state)
    abn = ttr != "1"
    idx, info = add_contamination(
        np.nonzero(~abn)[0], np.nonzero(abn)[0], abnormal_fraction, rng
    )
    info["abnormal_fraction"] = info.pop("contamination")
    Xa, Xb = Xtr[idx], Xte
    if as_sequences:
        Xa, Xb = Xa[..., None], Xb[..., None]
    return Dataset(
        name=name,
        X_train=as_x(Xa), y_train=abn[idx].astype(np.int64),
        X_test=as_x(Xb), y_test=(tte != "1").astype(np.int64),
        feature_names=None if as_sequences else [f"t{i}" for i in range(Xtr.shape[1])],
        metadata={
            "source": "ECG5000 (UCR) as shipped by victordibia/anomagram",
            "protocol": "Anomagram: train on class-1 beats of train.json "
            "(optionally with abnormal beats mixed in), test on test.json",
            "class_names": dict(ECG_CLASSES),
            "train_classes": ttr[idx].tolist(), "test_classes": tte.tolist(),
            "random_state": random_state,
            "note": "train.json is rounded to 2 decimals; test.json is full precision",
            **info,
        },
    )
