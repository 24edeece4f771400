"""Saving and loading detectors without pickle.

A model file is a zip archive holding

* ``config.json`` -- format version, library version, detector class, hyper-parameters, input
  schema (sample shape, feature names, dtype), and every fitted attribute that is plain data
  (threshold, calibration scores' location, training history, ...);
* ``weights.safetensors`` -- every array and network weight;
* ``sklearn/<name>.skops`` -- fitted scikit-learn parts, loaded by skops with an allow-list of
  scikit-learn, numpy and scipy types.

Nothing in a model file is ever executed: the class named in ``config.json`` must be a genad
detector class already imported, networks are rebuilt by the detector from its own
hyper-parameters and then filled from the safetensors file. The file is written under a
temporary name in the same folder and renamed into place, so a failed save leaves an existing
model untouched. A SHA-256 digest over the configuration and every stored part turns a
truncated or modified file into a clear ``ValueError``.

Loading reads a file from a stranger with bounded memory and time. Before a byte is
decompressed, every entry's declared sizes are checked: ``config.json`` against
``max_config_bytes``, all parts together against ``max_bytes``, and an entry that declares more
than ``max_ratio`` times its compressed size is refused as a decompression bomb. The weights entry
must be exactly as long as its safetensors header says, the header may name only the arrays and
networks ``config.json`` refers to, and the networks the configuration describes are first built
without memory (torch's ``meta`` device) and compared with the stored shapes, so neither the
weights nor the networks can grow past what the file's own architecture needs. Entries are read
in chunks through a counter that stops at the declared size even when the zip headers lie, and
are hashed as they stream; the scikit-learn parts (zip archives themselves) get the same checks
for their inner entries before skops opens them. The defaults are the module constants
:data:`MAX_BYTES`, :data:`MAX_CONFIG_BYTES`, :data:`MAX_RATIO` and :data:`MAX_ENTRIES`.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["save", "load", "count_parameters", "count_learned", "FORMAT", "FORMAT_VERSION",
           "MAX_BYTES", "MAX_CONFIG_BYTES", "MAX_RATIO", "MAX_ENTRIES"]

FORMAT = "genad-model"
FORMAT_VERSION = 1
_MARK = "__genad__"
_TRUSTED_PREFIXES = ("sklearn.",)  # skops already trusts plain numpy/scipy containers
# CSR training data of a KNN or OCSVM fitted on sparse input (skops reads it with load_npz, no pickle)
_TRUSTED_EXACT: set[str] = {"scipy.sparse._csr.csr_matrix", "scipy.sparse._csr.csr_array"}

#: default of ``load(max_bytes=)``: the uncompressed size of all parts of a model file together
#: (configuration, weights, scikit-learn parts and the entries inside them); 1 GiB
MAX_BYTES = 1 << 30
#: default of ``load(max_config_bytes=)``: ``config.json`` and the header of the weights; 8 MiB
MAX_CONFIG_BYTES = 8 << 20
#: default of ``load(max_ratio=)``: largest uncompressed / compressed size of an entry (entries up
#: to :data:`RATIO_FREE_BYTES` are exempt); real parts stay under 10, a bomb of zeros reaches 1000
MAX_RATIO = 100
#: default of ``load(max_entries=)``: entries in the model file and in each scikit-learn part
MAX_ENTRIES = 10_000
#: entries this small are never refused for their compression ratio
RATIO_FREE_BYTES = 1 << 20
_CHUNK = 1 << 20  # bytes decompressed per read: the most memory one read can take beyond its entry


def _version() -> str:
    from ._version import __version__

    return __version__


# ----------------------------------------------------------------------------- encoding
class _Encoder:
    def __init__(self):
        self.tensors: dict[str, Any] = {}
        self.blobs: dict[str, bytes] = {}

    def encode(self, value: Any, key: str) -> Any:
        import torch
        from sklearn.base import BaseEstimator

        from ._registry import is_registered
        from .scaling import Scaler

        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, (float, np.floating)):
            f = float(value)
            return f if math.isfinite(f) else {_MARK: "float", "value": repr(f)}
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, tuple):
            return {_MARK: "tuple", "items": [self.encode(v, f"{key}.{i}") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, f"{key}.{i}") for i, v in enumerate(value)]
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError(f"cannot save {key}: dictionary keys must be strings")
            return {_MARK: "dict", "items": {k: self.encode(v, f"{key}.{k}") for k, v in value.items()}}
        if isinstance(value, np.ndarray):
            if value.dtype == object or value.dtype.kind in "US":
                return {_MARK: "strarray", "items": [str(v) for v in value.ravel().tolist()], "shape": list(value.shape)}
            self.tensors[key] = torch.from_numpy(np.ascontiguousarray(value).copy())
            return {_MARK: "ndarray", "key": key}
        if isinstance(value, torch.Tensor):
            self.tensors[key] = value.detach().cpu().contiguous().clone()
            return {_MARK: "tensor", "key": key}
        if isinstance(value, torch.nn.Module):
            for k, v in value.state_dict().items():
                self.tensors[f"{key}/{k}"] = v.detach().cpu().contiguous().clone()
            return {_MARK: "module", "prefix": key}
        if isinstance(value, Scaler):
            return {
                _MARK: "scaler",
                "kind": value.kind,
                "offset": self.encode(value.offset_, f"{key}.offset"),
                "scale": self.encode(value.scale_, f"{key}.scale"),
            }
        if is_registered(value):
            return {_MARK: "detector", **self.detector(value, key)}
        if isinstance(value, BaseEstimator):
            import skops.io as sio

            name = f"sklearn/{key}.skops"
            self.blobs[name] = sio.dumps(value)
            return {_MARK: "sklearn", "file": name}
        raise TypeError(
            f"cannot save attribute {key!r} of type {type(value).__name__}: only arrays, tensors, "
            "networks, scikit-learn estimators and JSON data can be stored."
        )

    def params(self, est) -> dict:
        from ._registry import is_registered

        out = {}
        for name, value in est.get_params(deep=False).items():
            if name == "callbacks":
                out[name] = None  # callables are never stored
                continue
            if is_registered(value):
                out[name] = {_MARK: "estimator", "class": _class_name(value), "params": self.params(value)}
                continue
            try:
                out[name] = self.encode(value, f"params.{name}")
            except TypeError:
                raise TypeError(
                    f"cannot save hyper-parameter {name}={value!r}: use numbers, strings, lists or genad detectors."
                ) from None
        return out

    def detector(self, est, prefix: str) -> dict:
        state = {}
        for name, value in vars(est).items():
            if name.endswith("_") and not name.startswith("_"):
                state[name] = self.encode(value, f"{prefix}{name}")
        return {"class": _class_name(est), "params": self.params(est), "state": state}


def _class_name(est) -> str:
    from ._registry import class_name

    return class_name(est)


class _Decoder:
    def __init__(self, tensors: dict, blobs: dict[str, bytes]):
        self.tensors, self.blobs = tensors, blobs

    def decode(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        kind = node.get(_MARK)
        if kind == "float":
            return float(node["value"])
        if kind == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if kind == "dict":
            return {k: self.decode(v) for k, v in node["items"].items()}
        if kind == "strarray":
            return np.asarray(node["items"], dtype=object).reshape(node["shape"])
        if kind == "ndarray":
            return self.tensors[node["key"]].numpy()
        if kind == "tensor":
            return self.tensors[node["key"]]
        if kind == "scaler":
            from .scaling import Scaler

            sc = Scaler(node["kind"])
            sc.offset_, sc.scale_ = self.decode(node["offset"]), self.decode(node["scale"])
            return sc
        if kind == "sklearn":
            return _load_skops(self.blobs[node["file"]])
        if kind == "estimator":
            return _resolve(node["class"])(**self.params(node["params"]))
        if kind == "detector":
            return self.detector(node)
        if kind == "module":
            return node  # filled in by detector()
        raise ValueError(f"unknown entry type {kind!r}")

    def params(self, params: dict) -> dict:
        return {k: self.decode(v) for k, v in params.items()}

    def detector(self, node: dict):
        cls = _resolve(node["class"])
        est = cls(**self.params(node["params"]))
        modules = {}
        for name, value in node["state"].items():
            if not (name.isidentifier() and name.endswith("_") and not name.startswith("_")):
                raise ValueError(f"{node['class']} state names {name!r}, not a fitted attribute (name_)")
            if isinstance(value, dict) and value.get(_MARK) == "module":
                modules[name] = value["prefix"]
            else:
                setattr(est, name, self.decode(value))
        if modules:
            build = getattr(est, "_build_networks", None)
            if build is None:
                raise ValueError(f"{node['class']} stores networks but cannot rebuild them")
            self.check_networks(est, build, modules, node["class"])
            build()
            for name, prefix in modules.items():
                module = getattr(est, name)
                sd = {k[len(prefix) + 1 :]: v for k, v in self.tensors.items() if k.startswith(prefix + "/")}
                module.load_state_dict(sd, strict=True)
                module.eval()
            after = getattr(est, "_after_load", None)
            if after is not None:
                after()
        return est

    def check_networks(self, est, build, modules: dict[str, str], cls: str) -> None:
        """Build the networks the configuration describes on torch's ``meta`` device (no memory)
        and refuse stored weights of other shapes, before the real networks are allocated."""
        import torch

        with torch.device("meta"):
            build()
        for name, prefix in modules.items():
            module = getattr(est, name, None)
            if not isinstance(module, torch.nn.Module):
                raise ValueError(f"{cls} has no network {name!r} to fill")
            want = {k: tuple(v.shape) for k, v in module.state_dict().items()}
            have = {k[len(prefix) + 1 :]: tuple(v.shape) for k, v in self.tensors.items() if k.startswith(prefix + "/")}
            if want != have:
                diff = sorted(k for k in want.keys() | have.keys() if want.get(k) != have.get(k))[:3]
                raise ValueError(
                    f"the stored weights of {name} do not fit the network config.json describes "
                    f"({', '.join(f'{k}: stored {have.get(k)}, network {want.get(k)}' for k in diff)})"
                )


def _resolve(name: str):
    from ._registry import detector_class

    return detector_class(name)


def _load_skops(data: bytes):
    import skops.io as sio

    untrusted = sio.get_untrusted_types(data=data)
    bad = [t for t in untrusted if not (t.startswith(_TRUSTED_PREFIXES) or t in _TRUSTED_EXACT)]
    if bad:
        raise ValueError(f"refusing to load scikit-learn part with untrusted types {bad}")
    return sio.loads(data, trusted=untrusted)


# ----------------------------------------------------------------------------- digest
def _hasher(config: dict):
    """SHA-256 started with the configuration; the weights, then each scikit-learn part (name and
    bytes, in name order) follow."""
    h = hashlib.sha256()
    h.update(json.dumps(config, sort_keys=True, allow_nan=False).encode())
    return h


def _digest(config: dict, weights: bytes, blobs: dict[str, bytes]) -> str:
    h = _hasher(config)
    h.update(weights)
    for name in sorted(blobs):
        h.update(name.encode())
        h.update(blobs[name])
    return h.hexdigest()


@contextmanager
def replaced_atomically(path):
    """A fresh hidden temporary file beside ``path`` to write; renamed over ``path`` in one step
    when the block ends, removed if it fails (the previous ``path`` is never half-written)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def file_sha256(path) -> str:
    """SHA-256 of a file's bytes (hex), read in chunks: the digest a model file is known by."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


# ----------------------------------------------------------------------------- bounded reads
class _Refused(ValueError):
    """A refusal whose message is complete (file, entry, limit); re-raised as a plain ValueError."""


class _Budget:
    """Bytes left to decompress under ``max_bytes``, shared by every entry of one load."""

    def __init__(self, max_bytes: int):
        self.max_bytes = self.left = int(max_bytes)

    def take(self, n: int, what: str) -> None:
        if n > self.left:
            raise _Refused(
                f"{what} declares {n:,} bytes, over the {self.left:,} bytes left of the limit on a model's "
                f"parts (max_bytes={self.max_bytes:,}); if the file is trusted, load it with a larger max_bytes"
            )
        self.left -= n


class _Archive:
    """One zip archive read with bounded memory: entries are checked (name given once, not
    encrypted, stored or deflated, declared size within its limit, compression ratio within
    ``max_ratio``) before any byte is decompressed, then streamed in chunks through a counter
    that stops at the declared size even when the headers lie."""

    def __init__(self, zf: zipfile.ZipFile, where: str, budget: _Budget, max_ratio: float, max_entries: int):
        self.zf, self.where, self.budget, self.max_ratio = zf, where, budget, max_ratio
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise _Refused(f"{where} has {len(infos):,} entries, over the limit of max_entries={max_entries:,}")
        self.entries: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.filename in self.entries:
                raise _Refused(f"{where} holds entry {info.filename!r} twice; each part of a model is stored once")
            self.entries[info.filename] = info

    def check(self, name: str, limit: int | None = None, limit_name: str = "") -> zipfile.ZipInfo:
        """Refuse entry ``name`` on its declared sizes, and take them from the budget."""
        info, what = self.entries[name], f"{self.where}: entry {name!r}"
        if info.is_dir():
            raise _Refused(f"{what} is a folder, not a file")
        if info.flag_bits & 0x1:
            raise _Refused(f"{what} is encrypted; genad model files never are")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Refused(f"{what} uses zip compression method {info.compress_type}; genad reads stored or "
                           "deflated entries only")
        if limit is not None and info.file_size > limit:
            raise _Refused(f"{what} declares {info.file_size:,} bytes, over the limit of {limit_name}={limit:,}")
        if info.file_size > RATIO_FREE_BYTES and info.file_size > self.max_ratio * info.compress_size:
            raise _Refused(
                f"{what} declares {info.file_size:,} bytes from {info.compress_size:,} compressed bytes, a "
                f"compression ratio over the limit of max_ratio={self.max_ratio:g} (a decompression bomb?)"
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise _Refused(f"{what} is stored uncompressed but declares {info.compress_size:,} bytes stored "
                           f"for {info.file_size:,}")
        self.budget.take(info.file_size, what)
        return info

    def stream(self, name: str, sink) -> None:
        """Feed entry ``name`` to ``sink`` chunk by chunk; refuse it past its declared size."""
        info, n = self.entries[name], 0
        with self.zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                n += len(chunk)
                if n > info.file_size:
                    raise _Refused(f"{self.where}: entry {name!r} is longer than the {info.file_size:,} bytes it declares")
                sink(chunk)
        if n != info.file_size:
            raise _Refused(f"{self.where}: entry {name!r} ends after {n:,} of the {info.file_size:,} bytes it declares")

    def read(self, name: str, hasher=None) -> bytes:
        chunks: list[bytes] = []
        self.stream(name, chunks.append if hasher is None else lambda c: (chunks.append(c), hasher.update(c)))
        return b"".join(chunks)


#: bytes per element of the safetensors dtypes
_DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
                "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8, "C64": 8}


def _weight_refs(config: dict) -> tuple[set[str], set[str]]:
    """The array keys and network prefixes ``config.json`` refers to: the only tensors a model
    file may hold."""
    keys, prefixes, stack = set(), set(), [config]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            kind = node.get(_MARK)
            if kind in ("ndarray", "tensor") and isinstance(node.get("key"), str):
                keys.add(node["key"])
            elif kind == "module" and isinstance(node.get("prefix"), str):
                prefixes.add(node["prefix"] + "/")
            stack.extend(node.values())
    return keys, prefixes


def _check_weights_header(raw: bytes, size: int, config: dict, what: str) -> None:
    """Refuse a weights entry whose safetensors header names tensors ``config.json`` does not use,
    declares sizes that disagree with the tensors' shapes and dtypes, or does not add up to the
    entry's size. Runs on the header alone, before the tensors are read."""
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _Refused(f"{what} has a damaged safetensors header ({type(exc).__name__}: {exc})") from None
    if not isinstance(header, dict):
        raise _Refused(f"{what} has a damaged safetensors header (not a JSON object)")
    keys, prefixes = _weight_refs(config)
    total = 0
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        if name not in keys and not name.startswith(tuple(prefixes)):
            raise _Refused(f"{what} holds tensor {name!r}, which config.json does not use")
        if not isinstance(spec, dict):
            raise _Refused(f"{what}: tensor {name!r} has a damaged header entry")
        dtype, shape, offsets = spec.get("dtype"), spec.get("shape"), spec.get("data_offsets")
        if (dtype not in _DTYPE_BYTES or not isinstance(shape, list) or not isinstance(offsets, list)
                or len(offsets) != 2 or not all(type(v) is int and v >= 0 for v in shape + offsets)):
            raise _Refused(f"{what}: tensor {name!r} has a damaged header entry "
                           f"(dtype {dtype!r}, shape {shape!r}, offsets {offsets!r})")
        nbytes = math.prod(shape) * _DTYPE_BYTES[dtype]
        if offsets[1] - offsets[0] != nbytes:
            raise _Refused(f"{what}: tensor {name!r} of shape {shape} and dtype {dtype} takes {nbytes:,} bytes, "
                           f"its offsets say {offsets[1] - offsets[0]:,}")
        total += nbytes
    missing = sorted(keys - set(header))
    if missing:
        raise _Refused(f"{what} lacks the arrays {missing[:5]} that config.json refers to")
    if 8 + len(raw) + total != size:
        raise _Refused(f"{what} is {size:,} bytes long, its safetensors header accounts for {8 + len(raw) + total:,}")


def _read_weights(archive: _Archive, name: str, config: dict, hasher, max_header: int) -> bytes:
    """The weights entry, hashed as it streams; its header is checked as soon as it has arrived."""
    info, what = archive.entries[name], f"{archive.where}: entry {name!r}"
    chunks: list[bytes] = []
    state = {"have": 0, "need": 8, "checked": False}

    def sink(chunk: bytes) -> None:
        chunks.append(chunk)
        hasher.update(chunk)
        state["have"] += len(chunk)
        if state["checked"] or state["have"] < state["need"]:
            return
        head = b"".join(chunks)
        if state["need"] == 8:
            n = int.from_bytes(head[:8], "little")
            if n > max_header:
                raise _Refused(f"{what} declares a safetensors header of {n:,} bytes, over the limit of "
                               f"max_config_bytes={max_header:,}")
            state["need"] = 8 + n
        if state["have"] >= state["need"]:
            _check_weights_header(head[8 : state["need"]], info.file_size, config, what)
            state["checked"] = True

    archive.stream(name, sink)
    if not state["checked"]:
        raise _Refused(f"{what} is too short for its safetensors header")
    return b"".join(chunks)


def _clean_skops(data: bytes, where: str, budget: _Budget, max_ratio: float, max_entries: int) -> bytes:
    """A scikit-learn part (a zip archive of its own) after the same checks as the model file,
    rewritten with every entry stored, so that skops' whole-entry reads cannot inflate."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zf, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as clean:
        archive = _Archive(zf, where, budget, max_ratio, max_entries)
        for name in archive.entries:
            info = archive.check(name)
            with clean.open(zipfile.ZipInfo(name), "w", force_zip64=True) as dst:
                archive.stream(name, dst.write)
    return out.getvalue()


# ----------------------------------------------------------------------------- public
def save(detector, path) -> None:
    """Save a fitted detector to ``path`` without pickle (see module docstring)."""
    from safetensors.torch import save as st_save

    from .validation import check_fitted

    check_fitted(detector)
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name such as model.genad.")
    if not path.parent.exists():
        raise ValueError(f"folder {path.parent} does not exist; create it first.")
    enc = _Encoder()
    body = enc.detector(detector, "")
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "genad_version": _version(),
        "input_schema": {
            "sample_shape": list(getattr(detector, "input_shape_", ())),
            "n_features": getattr(detector, "n_features_in_", None),
            "feature_names": [str(v) for v in getattr(detector, "feature_names_in_", [])] or None,
            "dtype": np.dtype(getattr(detector, "_dtype", np.float64)).name,
        },
        **body,
    }
    weights = st_save(enc.tensors) if enc.tensors else st_save({})
    config["sha256"] = _digest(config, weights, enc.blobs)
    with replaced_atomically(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("config.json", json.dumps(config, indent=1, allow_nan=False))
            zf.writestr("weights.safetensors", weights, compress_type=zipfile.ZIP_STORED)
            for name, blob in enc.blobs.items():
                zf.writestr(name, blob)


def load(path, *, max_bytes: int = MAX_BYTES, max_config_bytes: int = MAX_CONFIG_BYTES,
         max_ratio: float = MAX_RATIO, max_entries: int = MAX_ENTRIES):
    """Load a detector saved with :meth:`Detector.save`. Never unpickles.

    The file may come from a stranger: its memory and time are bounded by the limits below, each
    checked on the zip's declared sizes before a byte is decompressed and again on the bytes as
    they stream (see the module docstring).

    Parameters
    ----------
    path : str or Path
    max_bytes : int, default :data:`MAX_BYTES` (1 GiB)
        Limit on the uncompressed size of all parts together (configuration, weights,
        scikit-learn parts and the entries inside them).
    max_config_bytes : int, default :data:`MAX_CONFIG_BYTES` (8 MiB)
        Limit on ``config.json`` and on the header of the weights.
    max_ratio : float, default :data:`MAX_RATIO` (100)
        Largest uncompressed / compressed size of an entry over 1 MiB.
    max_entries : int, default :data:`MAX_ENTRIES` (10,000)
        Limit on the entries of the file and of each scikit-learn part.

    Raises
    ------
    FileNotFoundError if the file does not exist; ValueError if it is not a genad model, is
    damaged or modified, was written by an incompatible version, or exceeds a limit (the message
    names the file, the entry and the limit).
    """
    from safetensors.torch import load as st_load

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {path} does not exist")
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a genad model file")
    for name, limit in (("max_bytes", max_bytes), ("max_config_bytes", max_config_bytes), ("max_ratio", max_ratio),
                        ("max_entries", max_entries)):
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
            raise ValueError(f"{name} must be a positive number; got {limit!r}")
    where = f"model file {path}"
    budget = _Budget(max_bytes)
    try:
        with zipfile.ZipFile(path) as zf:
            archive = _Archive(zf, where, budget, max_ratio, max_entries)
            names = set(archive.entries)
            if "config.json" not in names or "weights.safetensors" not in names:
                raise _Refused(f"{where} is not a genad model (config.json or weights.safetensors missing)")
            archive.check("config.json", max_config_bytes, "max_config_bytes")
            config = json.loads(archive.read("config.json"))
            _check_config(config, where)
            stored = config.pop("sha256", None)
            hasher = _hasher(config)
            archive.check("weights.safetensors")
            weights = _read_weights(archive, "weights.safetensors", config, hasher, max_config_bytes)
            blobs = {}
            for name in sorted(n for n in names if n.startswith("sklearn/") and not n.endswith("/")):
                archive.check(name)
                hasher.update(name.encode())
                blobs[name] = archive.read(name, hasher)
    except _Refused as exc:
        raise ValueError(str(exc)) from None
    except Exception as exc:  # zip, zlib, JSON and Unicode errors from a damaged or foreign file
        raise ValueError(f"{where} is damaged or not a genad model ({type(exc).__name__}: {exc})") from None
    if stored != hasher.hexdigest():
        raise ValueError(f"{where} is damaged or was modified after saving (checksum mismatch)")
    try:
        blobs = {n: _clean_skops(b, f"{where}, part {n}", budget, max_ratio, max_entries) for n, b in blobs.items()}
        tensors = st_load(weights)
        del weights
        return _Decoder(tensors, blobs).detector(config)
    except ValueError as exc:
        raise ValueError(f"{where} cannot be loaded: {exc}") from None
    except Exception as exc:
        raise ValueError(f"{where} cannot be loaded ({type(exc).__name__}: {exc})") from None


def _check_config(config, where: str) -> None:
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise _Refused(f"{where} is not a genad model file (format tag missing)")
    if config.get("format_version") != FORMAT_VERSION:
        raise _Refused(
            f"{where} uses model format {config.get('format_version')!r}, this genad {_version()} "
            f"reads format {FORMAT_VERSION}; load it with the genad version that wrote it "
            f"({config.get('genad_version')}) or refit"
        )
    if _version_tuple(config.get("genad_version", "0")) [:2] > _version_tuple(_version())[:2]:
        raise _Refused(
            f"{where} was written by genad {config.get('genad_version')}, newer than this genad "
            f"{_version()}; upgrade genad to load it"
        )


def _version_tuple(v: str) -> tuple:
    out = []
    for part in str(v).split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


#: fitted attributes that are scores or bookkeeping, not learned parameters
_NOT_PARAMETERS = ("decision_scores_", "calibration_scores_", "scaler_", "history_", "labels_",
                   "X_train", "train_scores")


def count_learned(obj, roots: tuple[str, ...] = ("genad", "sklearn")) -> int:
    """Learned numbers in ``obj``: network weights, float arrays (tree node tables counted per
    field), walking lists, dicts and the fitted attributes (``name_``) of ``obj`` itself and of
    the objects inside it that come from the packages in ``roots`` (and the state of their compiled parts, such as trees and neighbour
    indexes)."""
    import torch

    seen: set[int] = set()

    def walk(obj, depth=0) -> int:
        if depth > 12 or id(obj) in seen:
            return 0
        seen.add(id(obj))
        if isinstance(obj, torch.nn.Module):
            return sum(p.numel() for p in obj.parameters())
        if isinstance(obj, np.ndarray):
            if obj.dtype.kind == "V" and obj.dtype.names:  # tree node tables
                return int(obj.size) * len(obj.dtype.names)
            return int(obj.size) if obj.dtype.kind in "fc" else 0
        if isinstance(obj, (list, tuple)):
            return sum(walk(v, depth + 1) for v in obj)
        if isinstance(obj, dict):
            return sum(walk(v, depth + 1) for v in obj.values())
        if depth and type(obj).__module__.split(".")[0] not in roots:
            return 0
        if hasattr(obj, "__dict__") and vars(obj):
            return sum(
                walk(v, depth + 1) for k, v in vars(obj).items()
                if k not in _NOT_PARAMETERS
                and (k.endswith("_") or k == "_fit_X" or isinstance(v, torch.nn.Module))
            )
        state = getattr(obj, "__getstate__", None)  # compiled trees and neighbour indexes
        if state is not None:
            try:
                return walk(state(), depth + 1)
            except Exception:
                return 0
        return 0

    return int(walk(obj))


def count_parameters(detector) -> int:
    """Learned parameters of a genad detector: network weights, plus the arrays inside
    scikit-learn parts."""
    return count_learned(detector)


def model_size_bytes(detector) -> int:
    """Size of the detector's model file in bytes (saved to a temporary file)."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m.genad"
        save(detector, p)
        return p.stat().st_size


