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
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["save", "load", "count_parameters", "count_learned", "FORMAT", "FORMAT_VERSION"]

FORMAT = "genad-model"
FORMAT_VERSION = 1
_MARK = "__genad__"
_TRUSTED_PREFIXES = ("sklearn.",)  # skops already trusts plain numpy/scipy containers
_TRUSTED_EXACT: set[str] = set()


def _version() -> str:
    from . import __version__

    return __version__


# ----------------------------------------------------------------------------- encoding
class _Encoder:
    def __init__(self):
        self.tensors: dict[str, Any] = {}
        self.blobs: dict[str, bytes] = {}

    def encode(self, value: Any, key: str) -> Any:
        import torch
        from sklearn.base import BaseEstimator

        from .base import Detector, Scaler

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
        if isinstance(value, Detector):
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
        from .base import Detector

        out = {}
        for name, value in est.get_params(deep=False).items():
            if name == "callbacks":
                out[name] = None  # callables are never stored
                continue
            if isinstance(value, Detector):
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
    return f"{type(est).__module__}.{type(est).__qualname__}"


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
            from .base import Scaler

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
            if isinstance(value, dict) and value.get(_MARK) == "module":
                modules[name] = value["prefix"]
            else:
                setattr(est, name, self.decode(value))
        if modules:
            build = getattr(est, "_build_networks", None)
            if build is None:
                raise ValueError(f"{node['class']} stores networks but cannot rebuild them")
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


def _resolve(name: str):
    from .base import registered_detectors

    _import_all()
    cls = registered_detectors().get(name)
    if cls is None:
        raise ValueError(f"the model file names class {name!r}, which is not a genad detector")
    return cls


def _import_all() -> None:
    """Import genad's public API so that every detector class is registered."""
    import genad  # noqa: F401

    for mod in ("genad.group", "genad.bench.adapters"):
        try:
            __import__(mod)
        except ImportError:
            pass


def _load_skops(data: bytes):
    import skops.io as sio

    untrusted = sio.get_untrusted_types(data=data)
    bad = [t for t in untrusted if not (t.startswith(_TRUSTED_PREFIXES) or t in _TRUSTED_EXACT)]
    if bad:
        raise ValueError(f"refusing to load scikit-learn part with untrusted types {bad}")
    return sio.loads(data, trusted=untrusted)


# ----------------------------------------------------------------------------- digest
def _digest(config: dict, weights: bytes, blobs: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(config, sort_keys=True, allow_nan=False).encode())
    h.update(weights)
    for name in sorted(blobs):
        h.update(name.encode())
        h.update(blobs[name])
    return h.hexdigest()


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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("config.json", json.dumps(config, indent=1, allow_nan=False))
            zf.writestr("weights.safetensors", weights, compress_type=zipfile.ZIP_STORED)
            for name, blob in enc.blobs.items():
                zf.writestr(name, blob)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path):
    """Load a detector saved with :meth:`Detector.save`. Never unpickles.

    Raises
    ------
    FileNotFoundError if the file does not exist; ValueError if it is not a genad model, is
    damaged or modified, or was written by an incompatible version.
    """
    from safetensors.torch import load as st_load

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {path} does not exist")
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a genad model file")
    where = f"model file {path}"
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "config.json" not in names or "weights.safetensors" not in names:
                raise ValueError(f"{where} is not a genad model (config.json or weights.safetensors missing)")
            config = json.loads(zf.read("config.json"))
            weights = zf.read("weights.safetensors")
            blobs = {n: zf.read(n) for n in names if n.startswith("sklearn/")}
    except json.JSONDecodeError as exc:  # a ValueError too: say which file is damaged
        raise ValueError(f"{where} is damaged: its config.json is not valid JSON ({exc})") from None
    except ValueError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where} is damaged or not a genad model ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # zlib errors and similar from a truncated archive
        raise ValueError(f"{where} is damaged or not a genad model ({type(exc).__name__}: {exc})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{where} is not a genad model file (format tag missing)")
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{where} uses model format {config.get('format_version')!r}, this genad {_version()} "
            f"reads format {FORMAT_VERSION}; load it with the genad version that wrote it "
            f"({config.get('genad_version')}) or refit"
        )
    if _version_tuple(config.get("genad_version", "0")) [:2] > _version_tuple(_version())[:2]:
        raise ValueError(
            f"{where} was written by genad {config.get('genad_version')}, newer than this genad "
            f"{_version()}; upgrade genad to load it"
        )
    stored = config.pop("sha256", None)
    if stored != _digest(config, weights, blobs):
        raise ValueError(f"{where} is damaged or was modified after saving (checksum mismatch)")
    try:
        tensors = st_load(weights)
        return _Decoder(tensors, blobs).detector(config)
    except ValueError as exc:
        raise ValueError(f"{where} cannot be loaded: {exc}") from None
    except Exception as exc:
        raise ValueError(f"{where} cannot be loaded ({type(exc).__name__}: {exc})") from None


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


