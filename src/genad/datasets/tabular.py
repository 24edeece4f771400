"""Tabular loaders: scikit-learn toys, KDD Cup 99 (full and FF12), NSL-KDD, ADBench."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ._base import (
    Dataset,
    DatasetNotFoundError,
    add_contamination,
    as_x,
    as_y,
    check_fraction,
    require_file,
)

# ---------------------------------------------------------------- sources

KDD99_SOURCE = (
    "the UCI KDD archive, http://kdd.ics.uci.edu/databases/kddcup99/kddcup99.html "
    "(files kddcup.data_10_percent.gz and corrected.gz; mirror: "
    "https://github.com/potash/brf-example)"
)
FF12_SOURCE = (
    "https://github.com/fastforwardlabs/deepad (folder data/kdd/8020/: "
    "ffl_test_inliers.csv, ffl_test_outliers.csv)"
)
NSL_SOURCE = (
    "https://github.com/defcom17/NSL_KDD (official page: "
    "https://www.unb.ca/cic/datasets/nsl.html)"
)
ADBENCH_SOURCE = (
    "https://github.com/Minqi824/ADBench (folder adbench/datasets/Classical/)"
)

# The 41 feature names of KDD Cup 99 (kddcup.names); NSL-KDD uses the same.
KDD_FEATURES = [
    "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes",
    "land", "wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in",
    "num_compromised", "root_shell", "su_attempted", "num_root",
    "num_file_creations", "num_shells", "num_access_files", "num_outbound_cmds",
    "is_host_login", "is_guest_login", "count", "srv_count", "serror_rate",
    "srv_serror_rate", "rerror_rate", "srv_rerror_rate", "same_srv_rate",
    "diff_srv_rate", "srv_diff_host_rate", "dst_host_count", "dst_host_srv_count",
    "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate",
    "dst_host_serror_rate", "dst_host_srv_serror_rate", "dst_host_rerror_rate",
    "dst_host_srv_rerror_rate",
]
KDD_CATEGORICAL = ["protocol_type", "service", "flag"]

# Attack -> category. The 22 training attacks follow kdd99/training_attack_types.txt;
# the 17 attacks new in the test sets follow the usual mapping (Tavallaee et al.
# 2009 / the DARPA 1998-99 attack taxonomy); httptunnel is counted as u2r.
ATTACK_CATEGORIES = {
    "back": "dos", "land": "dos", "neptune": "dos", "pod": "dos", "smurf": "dos",
    "teardrop": "dos", "apache2": "dos", "mailbomb": "dos", "processtable": "dos",
    "udpstorm": "dos",
    "ipsweep": "probe", "nmap": "probe", "portsweep": "probe", "satan": "probe",
    "mscan": "probe", "saint": "probe",
    "ftp_write": "r2l", "guess_passwd": "r2l", "imap": "r2l", "multihop": "r2l",
    "phf": "r2l", "spy": "r2l", "warezclient": "r2l", "warezmaster": "r2l",
    "named": "r2l", "sendmail": "r2l", "snmpgetattack": "r2l", "snmpguess": "r2l",
    "worm": "r2l", "xlock": "r2l", "xsnoop": "r2l",
    "buffer_overflow": "u2r", "loadmodule": "u2r", "perl": "u2r", "rootkit": "u2r",
    "httptunnel": "u2r", "ps": "u2r", "sqlattack": "u2r", "xterm": "u2r",
    "normal": "normal",
}


def attack_category(name: str) -> str:
    return ATTACK_CATEGORIES.get(name.rstrip("."), "unknown")


# ---------------------------------------------------------------- sklearn toys


def _split_normal(y, anomaly_mask, test_size, random_state, contamination=0.0):
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    tr, te = train_test_split(
        idx, test_size=test_size, stratify=y, random_state=random_state
    )
    rng = np.random.default_rng(random_state)
    tr_norm, tr_anom = tr[~anomaly_mask[tr]], tr[anomaly_mask[tr]]
    tr_idx, info = add_contamination(tr_norm, tr_anom, contamination, rng)
    return tr_idx, np.sort(te), info


def load_breast_cancer(
    data_home: Path, *, random_state: int = 0, test_size: float = 0.5,
    contamination: float = 0.0,
) -> Dataset:
    """Wisconsin breast cancer (scikit-learn bundled); malignant = anomaly.

    Stratified split (``test_size``, ``random_state``); training keeps the benign
    rows of the training split plus, with ``contamination`` c > 0, malignant rows
    making up a share c of the training set. Test: the whole held-out split.
    """
    from sklearn.datasets import load_breast_cancer as _lbc

    check_fraction("test_size", test_size, 0.01, 0.99)
    check_fraction("contamination", contamination, 0.0, 0.9)
    b = _lbc()
    y = (b.target == 0).astype(np.int64)  # sklearn: 0 = malignant
    tr, te, info = _split_normal(y, y == 1, test_size, random_state, contamination)
    return Dataset(
        name="breast-cancer",
        X_train=as_x(b.data[tr]), y_train=as_y(y[tr]),
        X_test=as_x(b.data[te]), y_test=as_y(y[te]),
        feature_names=list(b.feature_names),
        metadata={
            "source": "sklearn.datasets.load_breast_cancer (UCI WDBC)",
            "protocol": "stratified split; train on benign rows of the training split",
            "anomaly": "malignant", "random_state": random_state,
            "test_size": test_size, **info,
        },
    )


def load_digits(
    data_home: Path, *, normal_class: int = 0, random_state: int = 0,
    test_size: float = 0.5, flatten: bool = False,
) -> Dataset:
    """Optical digits 8x8 (scikit-learn bundled), one class normal.

    Stratified split; train on ``normal_class`` images of the training split,
    test on all of the held-out split (anomaly = other digits). Pixels scaled
    from 0..16 to [-1, 1]; images ``(n, 1, 8, 8)`` or ``(n, 64)`` with
    ``flatten=True``.
    """
    from sklearn.datasets import load_digits as _ld

    normal_class = _check_class(normal_class)
    check_fraction("test_size", test_size, 0.01, 0.99)
    d = _ld()
    X = d.data / 8.0 - 1.0
    labels = d.target
    anom = labels != normal_class
    tr, te, _ = _split_normal(labels, anom, test_size, random_state)
    shape = (-1, 64) if flatten else (-1, 1, 8, 8)
    return Dataset(
        name="digits",
        X_train=as_x(X[tr].reshape(shape)), y_train=as_y(anom[tr]),
        X_test=as_x(X[te].reshape(shape)), y_test=as_y(anom[te]),
        feature_names=[f"pixel_{i}_{j}" for i in range(8) for j in range(8)]
        if flatten else None,
        metadata={
            "source": "sklearn.datasets.load_digits (UCI optdigits 8x8)",
            "protocol": "one-vs-all: train on normal_class of a stratified split",
            "normal_class": normal_class, "class_names": [str(i) for i in range(10)],
            "test_labels": labels[te].tolist(), "random_state": random_state,
            "value_range": [-1.0, 1.0],
        },
    )


def _check_class(c) -> int:
    if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c <= 9:
        raise ValueError(f"normal_class must be an int in 0..9, got {c!r}")
    return int(c)


# ---------------------------------------------------------------- KDD Cup 99


@functools.lru_cache(maxsize=4)
def _read_kdd_csv(path: str, mtime: float, names: tuple) -> pd.DataFrame:
    # float32 numerics and categorical strings keep the cached frames small
    # (the loaders return float32 anyway).
    dtypes = {n: "float32" for n in names}
    for c in KDD_CATEGORICAL + ["label"]:
        dtypes[c] = "category"
    if "difficulty" in names:
        dtypes["difficulty"] = "int64"
    return pd.read_csv(path, header=None, names=list(names), dtype=dtypes)


def _kdd_frame(path: Path, names) -> pd.DataFrame:
    # lru_cache keyed on path + mtime; callers must not modify the frame.
    return _read_kdd_csv(str(path), path.stat().st_mtime, tuple(names))


def load_kdd99_ff12(data_home: Path) -> Dataset:
    """KDD Cup 99 with the FF12 report's protocol (Cloudera Fast Forward).

    Features: the 18 columns of ``kdd99/ffl_test_inliers.csv`` (all but
    ``target``; they carry the standard KDD names, columns 24-41). Train: the
    97,278 rows of ``kddcup.data_10_percent.gz`` labelled ``normal.``; test: the
    8,000 + 2,000 shipped rows of ``ffl_test_inliers.csv`` / ``ffl_test_outliers.csv``.
    Raw values; the report min-max scales on the training rows (do it in the
    detector).
    """
    name = "kdd99-ff12"
    f_train = require_file(data_home, "kdd99/kddcup.data_10_percent.gz", name, KDD99_SOURCE)
    f_in = require_file(data_home, "kdd99/ffl_test_inliers.csv", name, FF12_SOURCE)
    f_out = require_file(data_home, "kdd99/ffl_test_outliers.csv", name, FF12_SOURCE)
    inl, outl = pd.read_csv(f_in), pd.read_csv(f_out)
    cols = [c for c in inl.columns if c != "target"]
    if list(outl.columns) != list(inl.columns):
        raise ValueError("ffl_test_inliers.csv and ffl_test_outliers.csv columns differ")
    unknown = [c for c in cols if c not in KDD_FEATURES]
    if unknown:
        raise ValueError(f"FF12 columns not in the KDD feature names: {unknown}")
    tr = _kdd_frame(f_train, KDD_FEATURES + ["label"])
    tr = tr[tr["label"] == "normal."]
    test = pd.concat([inl, outl], ignore_index=True)
    return Dataset(
        name=name,
        X_train=as_x(tr[cols].to_numpy()), y_train=np.zeros(len(tr), np.int64),
        X_test=as_x(test[cols].to_numpy()), y_test=as_y(test["target"].to_numpy()),
        feature_names=cols,
        metadata={
            "source": "KDD Cup 99 10% (UCI) + FF12 test sample (fastforwardlabs/deepad)",
            "protocol": "FF12: train on normal. rows of the 10% file, 18 columns; "
            "test on the 10,000 shipped rows; min-max scale on training rows "
            "(not done by the loader)",
            "scaling": "none (raw values)",
            "n_test_inliers": len(inl), "n_test_outliers": len(outl),
            "note": "FF12 labelled test attack types absent from "
            "training_attack_types.txt as normal; the shipped sample inherits that",
        },
    )


def _one_hot(train: pd.DataFrame, test: pd.DataFrame, cat_source: pd.DataFrame):
    """One-hot the categorical columns with categories of ``cat_source``."""
    num_cols = [c for c in KDD_FEATURES if c not in KDD_CATEGORICAL]
    names = list(num_cols)
    parts_tr, parts_te = [train[num_cols].to_numpy(np.float32)], [test[num_cols].to_numpy(np.float32)]
    categories = {}
    for c in KDD_CATEGORICAL:
        cats = sorted(str(v) for v in cat_source[c].unique())
        categories[c] = cats
        for df, parts in ((train, parts_tr), (test, parts_te)):
            codes = pd.Index(cats).get_indexer(df[c].astype(str).to_numpy())  # -1 if unknown
            oh = np.zeros((len(df), len(cats)), np.float32)
            ok = codes >= 0
            oh[np.nonzero(ok)[0], codes[ok]] = 1.0
            parts.append(oh)
        names += [f"{c}={v}" for v in cats]
    return np.hstack(parts_tr), np.hstack(parts_te), names, categories


def _kdd_like(
    name, train_df, test_df, *, contamination, test_sample, random_state, meta
) -> Dataset:
    check_fraction("contamination", contamination, 0.0, 0.9)
    rng = np.random.default_rng(random_state)
    lab_tr = train_df["label"].astype(str).str.rstrip(".").to_numpy()
    is_anom = lab_tr != "normal"
    idx_tr, info = add_contamination(
        np.nonzero(~is_anom)[0], np.nonzero(is_anom)[0], contamination, rng
    )
    idx_te = np.arange(len(test_df))
    if test_sample is not None:
        if not isinstance(test_sample, (int, np.integer)) or test_sample < 1:
            raise ValueError(f"test_sample must be a positive int or None, got {test_sample!r}")
        if test_sample < len(idx_te):
            idx_te = np.sort(rng.choice(idx_te, size=int(test_sample), replace=False))
    tr = train_df.iloc[idx_tr]
    te = test_df.iloc[idx_te]
    X_tr, X_te, feat, cats = _one_hot(tr, te, train_df)
    lab_te = te["label"].astype(str).str.rstrip(".").to_numpy()
    y_tr = (lab_tr[idx_tr] != "normal").astype(np.int64)
    y_te = (lab_te != "normal").astype(np.int64)
    metadata = {
        **meta,
        "categorical_encoding": "one-hot; categories of the whole training file; "
        "unseen test categories -> all zeros",
        "categories": cats,
        "scaling": "none (raw values)",
        "random_state": random_state, "test_sample": test_sample,
        "test_indices": idx_te.tolist() if test_sample is not None else None,
        "train_attacks": [str(v) for v in lab_tr[idx_tr]],
        "test_attacks": [str(v) for v in lab_te],
        "test_attack_categories": [attack_category(v) for v in lab_te],
        "attack_category_map": dict(ATTACK_CATEGORIES),
        **info,
    }
    return Dataset(name, as_x(X_tr), y_tr, as_x(X_te), y_te, feat, metadata=metadata)


def load_kdd99(
    data_home: Path, *, contamination: float = 0.0, test_sample: int | None = None,
    random_state: int = 0,
) -> Dataset:
    """KDD Cup 99, all 41 features (3 categoricals one-hot encoded).

    Train: ``normal.`` rows of ``kddcup.data_10_percent.gz`` (97,278), plus with
    ``contamination`` c > 0 random attack rows making up a share c of the
    training set. Test: ``corrected.gz`` (311,029 rows; 60,593 normal), or a
    random subsample of ``test_sample`` rows. Metadata: attack names and
    categories (dos / probe / r2l / u2r) of the test rows.
    """
    name = "kdd99"
    f_tr = require_file(data_home, "kdd99/kddcup.data_10_percent.gz", name, KDD99_SOURCE)
    f_te = require_file(data_home, "kdd99/corrected.gz", name, KDD99_SOURCE)
    names = KDD_FEATURES + ["label"]
    return _kdd_like(
        name, _kdd_frame(f_tr, names), _kdd_frame(f_te, names),
        contamination=contamination, test_sample=test_sample,
        random_state=random_state,
        meta={
            "source": "KDD Cup 1999 (UCI): kddcup.data_10_percent.gz, corrected.gz",
            "protocol": "train on normal rows of the 10% file, test on corrected",
        },
    )


def load_kdd99_dagmm(data_home: Path, *, random_state: int = 0) -> Dataset:
    """KDD Cup 99 with DAGMM's protocol (Zong et al. 2018, KDDCUP).

    ``kddcup.data_10_percent.gz`` (494,021 rows), 41 features with the 3 categoricals one-hot
    encoded (categories of the whole file). The ``normal.`` rows (20%) are the anomalous class,
    the attacks the normal one. A random half of the rows (drawn with ``random_state``) is the
    training part, of which only the attack rows are kept; the other half, both classes, is the
    test part. Raw values (the paper's data are min-max scaled: do it in the detector). The
    paper flags the 20% highest scores of the test part and reports precision, recall and F1.
    """
    name = "kdd99-dagmm"
    f_tr = require_file(data_home, "kdd99/kddcup.data_10_percent.gz", name, KDD99_SOURCE)
    df = _kdd_frame(f_tr, KDD_FEATURES + ["label"])
    lab = df["label"].astype(str).str.rstrip(".").to_numpy()
    y = (lab == "normal").astype(np.int64)  # 1 = anomaly: the "normal." connections
    perm = np.random.default_rng(random_state).permutation(len(df))
    half = len(df) // 2
    idx_tr = np.sort(perm[:half][y[perm[:half]] == 0])
    idx_te = np.sort(perm[half:])
    X_tr, X_te, feat, cats = _one_hot(df.iloc[idx_tr], df.iloc[idx_te], df)
    metadata = {
        "source": "KDD Cup 1999 (UCI): kddcup.data_10_percent.gz",
        "protocol": "DAGMM (Zong et al. 2018): 'normal.' rows are the anomalies; random 50/50 split; "
                    "training keeps the attack rows of its half; threshold at the top 20% of test scores",
        "categorical_encoding": "one-hot; categories of the whole file",
        "categories": cats, "scaling": "none (raw values)", "random_state": random_state,
        "test_attacks": [str(v) for v in lab[idx_te]],
    }
    return Dataset(name, as_x(X_tr), np.zeros(len(idx_tr), np.int64), as_x(X_te), y[idx_te], feat,
                   metadata=metadata)


def load_nsl_kdd(
    data_home: Path, *, contamination: float = 0.0, test_sample: int | None = None,
    random_state: int = 0,
) -> Dataset:
    """NSL-KDD: train on normal rows of ``KDDTrain+_20Percent.txt``, test on ``KDDTest+.txt``.

    Same encoding and options as ``kdd99``; column names from
    ``field_names.csv``. Metadata also has the per-row ``test_difficulty``.
    """
    name = "nsl-kdd"
    f_names = require_file(data_home, "nsl-kdd/field_names.csv", name, NSL_SOURCE)
    f_tr = require_file(data_home, "nsl-kdd/KDDTrain+_20Percent.txt", name, NSL_SOURCE)
    f_te = require_file(data_home, "nsl-kdd/KDDTest+.txt", name, NSL_SOURCE)
    fields = pd.read_csv(f_names, header=None)[0].str.strip().tolist()
    if fields != KDD_FEATURES:
        raise ValueError(f"{f_names}: unexpected field names {fields}")
    names = fields + ["label", "difficulty"]
    train_df, test_df = _kdd_frame(f_tr, names), _kdd_frame(f_te, names)
    ds = _kdd_like(
        name, train_df, test_df, contamination=contamination,
        test_sample=test_sample, random_state=random_state,
        meta={
            "source": "NSL-KDD (defcom17/NSL_KDD): KDDTrain+_20Percent.txt, KDDTest+.txt",
            "protocol": "train on normal rows of KDDTrain+_20Percent, test on KDDTest+",
        },
    )
    idx = ds.metadata["test_indices"]
    diff = test_df["difficulty"].to_numpy()
    ds.metadata["test_difficulty"] = (diff if idx is None else diff[idx]).tolist()
    return ds


# ---------------------------------------------------------------- ADBench

_ADB_RE = re.compile(r"^(\d+)_(.+)\.npz$")


def _adbench_files(data_home: Path) -> list[tuple[int, str, Path]]:
    folder = data_home / "adbench"
    if not folder.is_dir():
        return []
    out = []
    for p in folder.iterdir():
        m = _ADB_RE.match(p.name)
        if m:
            out.append((int(m.group(1)), m.group(2), p))
    return sorted(out)


def list_adbench(data_home=None) -> list[str]:
    """Names of the ADBench datasets present (e.g. ``"Cardiotocography"``), in ADBench order."""
    from ._base import get_data_home

    return [n for _, n, _ in _adbench_files(get_data_home(data_home))]


def _find_adbench(data_home: Path, name: str) -> tuple[str, Path]:
    files = _adbench_files(data_home)
    key = name.lower()
    for num, n, p in files:
        if key in (n.lower(), f"{num}_{n}".lower()):
            return n, p
    present = ", ".join(n for _, n, _ in files) or "none"
    raise DatasetNotFoundError(
        f"Dataset 'adbench/{name}': no file '<number>_{name}.npz' in folder "
        f"'{data_home / 'adbench'}' (datasets present there: {present}). Download it "
        f"from {ADBENCH_SOURCE} into that folder, or point data_home= / GENAD_DATA "
        "at a folder that has it. genad does not download data itself."
    )


def load_adbench(
    data_home: Path, dataset: str, *, random_state: int = 0, test_size: float = 0.3,
    max_train: int | None = None,
) -> Dataset:
    """An ADBench classical dataset with the ADBench protocol.

    70/30 stratified split (``random_state`` = seed); the training part keeps
    its anomalies (``y_train`` has the real labels: unsupervised detectors are
    fit on contaminated data). ``max_train`` takes a stratified subsample of
    the training part. No scaling: ADBench min-max scales, do it in the detector.
    """
    from sklearn.model_selection import train_test_split

    n, path = _find_adbench(data_home, dataset)
    check_fraction("test_size", test_size, 0.01, 0.99)
    with np.load(path, allow_pickle=False) as d:
        X, y = d["X"], d["y"].astype(np.int64)
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=test_size, stratify=y, random_state=random_state)
    if max_train is not None:
        if not isinstance(max_train, (int, np.integer)) or max_train < 2:
            raise ValueError(f"max_train must be an int >= 2 or None, got {max_train!r}")
        if max_train < len(tr):
            strat = y[tr] if min(np.bincount(y[tr], minlength=2)) >= 2 else None
            try:
                tr, _ = train_test_split(tr, train_size=int(max_train), stratify=strat,
                                         random_state=random_state)
            except ValueError:  # too few anomalies to stratify at this size
                tr, _ = train_test_split(tr, train_size=int(max_train), random_state=random_state)
    tr, te = np.sort(tr), np.sort(te)
    return Dataset(
        name=f"adbench/{n}",
        X_train=as_x(X[tr]), y_train=as_y(y[tr]), X_test=as_x(X[te]), y_test=as_y(y[te]),
        feature_names=[f"x{i}" for i in range(X.shape[1])],
        metadata={
            "source": f"ADBench (Han et al., NeurIPS 2022), file adbench/{path.name}",
            "protocol": "ADBench: stratified 70/30 split, training keeps its anomalies",
            "scaling": "none; ADBench min-max scales (fit on the training part) "
            "in the detector",
            "random_state": random_state, "test_size": test_size,
            "max_train": max_train, "file": path.name,
            "n_total": int(len(y)), "anomaly_rate_total": float(y.mean()),
        },
    )
