"""The models folder as a registry: one ``NAME.genad`` file per model, loaded with :func:`genad.load`,
or one ``NAME.onnx`` file written by genad's ONNX export, loaded with
:class:`genad.export.OnnxDetector` (scored by onnxruntime; p-values only when the file carries the
calibration scores, see ``has_p_values`` in the model's info).

A model's name is its file name without ``.genad`` / ``.onnx``. Names are checked before they touch the file
system (letters, digits, ``_``, ``-`` and ``.``; no leading dot, no path separator), so a request
can never reach a file outside the folder or a hidden file.

Replacing a model swaps one dictionary entry: a request that already holds the old
:class:`ModelEntry` finishes with it, the next one gets the new version. An upload is streamed to
a hidden temporary file in the same folder, flushed to disk, loaded (which validates it, and runs
nothing from it) and only then renamed over the old file, so a crash or a rejected file never
leaves a half-written model behind.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..persistence import file_sha256 as _sha256_file

SUFFIX = ".genad"
ONNX_SUFFIX = ".onnx"
SUFFIXES = (SUFFIX, ONNX_SUFFIX)
_ZIP_MAGIC = b"PK\x03\x04"  # a .genad file is a zip archive; anything else uploaded is tried as ONNX
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_UPLOAD_PREFIX = ".upload-"


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid model name, else raise ValueError saying what is allowed."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.endswith(SUFFIXES):
        raise ValueError(
            f"invalid model name {name!r}: use 1 to 128 letters, digits, '_', '-' or '.', starting "
            "with a letter or digit (no path separators, no hidden names, without the .genad or .onnx suffix)"
        )
    return name


def model_format(path: str | os.PathLike) -> str:
    """``"onnx"`` for a ``.onnx`` file or an upload that is not a zip archive, else ``"genad"``."""
    path = Path(path)
    if path.suffix in SUFFIXES:
        return path.suffix[1:]
    if path.is_dir():
        return "genad"
    with open(path, "rb") as f:
        return "genad" if f.read(4) == _ZIP_MAGIC else "onnx"


def load_model(path: str | os.PathLike, **load_options: Any):
    """Load one model file; the single place the service reads model files.

    ``load_options`` are passed to :func:`genad.load` unchanged (for example its size limits); an
    ONNX file gets its ``max_bytes``. An ONNX file is loaded by onnxruntime, which parses and
    checks the graph and runs nothing.
    """
    import genad

    if model_format(path) == "onnx":
        from ..export import OnnxDetector

        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            raise ValueError("ONNX models need onnxruntime: pip install 'genad[export]'") from None
        limit = load_options.get("max_bytes")
        return OnnxDetector(path) if limit is None else OnnxDetector(path, max_bytes=limit)
    return genad.load(path, **load_options)


@dataclass(frozen=True)
class ModelEntry:
    """One loaded version of a model. Immutable: a new upload makes a new entry."""

    name: str
    detector: Any
    digest: str
    size: int
    loaded_at: float
    path: Path = field(repr=False)
    #: the loaded file's (inode, size, mtime): another file at ``path`` is another version
    stamp: tuple = field(default=(), repr=False, compare=False)

    def info(self) -> dict:
        det = self.detector
        shape = [int(v) for v in getattr(det, "input_shape_", ())]
        names = getattr(det, "feature_names_in_", None)
        return {
            "name": self.name,
            "detector": getattr(det, "detector_", type(det).__name__),
            "format": self.path.suffix[1:],
            "has_p_values": getattr(det, "calibration_scores_", None) is not None,
            "input": {
                "sample_shape": shape,
                "n_features": getattr(det, "n_features_in_", None),
                "feature_names": None if names is None else [str(v) for v in names],
            },
            "threshold": float(det.threshold_),
            "threshold_rule": getattr(det, "threshold_rule_", None),
            "digest": self.digest,
            "size": self.size,
            "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.loaded_at)),
        }


class Registry:
    """Models of one folder, by name. Thread-safe; reads never block on a load."""

    def __init__(self, folder: str | os.PathLike, load_options: dict | None = None):
        self.folder = Path(folder)
        self.load_options = dict(load_options or {})
        self._models: dict[str, ModelEntry] = {}
        self.failed: dict[str, str] = {}
        self._write_lock = threading.Lock()
        self._failed_stamps: dict[str, tuple] = {}
        self.loaded = False

    # ------------------------------------------------------------------ reading
    def scan(self) -> "Registry":
        """Create the folder if missing, remove stale partial uploads, load every model file.

        A file that fails to load is recorded in :attr:`failed` (name -> reason); the rest serve.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        for stale in self.folder.glob(_UPLOAD_PREFIX + "*"):
            try:
                stale.unlink()
            except OSError:
                pass
        models, failed = {}, {}
        for name, paths in sorted(self._files().items()):
            if len(paths) > 1:
                failed[name] = (f"both {name}{SUFFIX} and {name}{ONNX_SUFFIX} are in the models folder; "
                                "remove one of them")
                continue
            path = paths[0]
            try:
                check_name(name)
                models[name] = self._entry(name, path, path)
            except (ValueError, OSError) as exc:
                failed[name] = f"{path.name}: {exc}"
        self._models, self.failed = models, failed
        self._failed_stamps = {}
        self.loaded = True
        return self

    def _files(self) -> dict[str, list[Path]]:
        """The model files in the folder by name (one path per format present); hidden files are
        never served."""
        found: dict[str, list[Path]] = {}
        for suffix in SUFFIXES:
            for path in sorted(self.folder.glob("*" + suffix)):
                name = path.name[: -len(suffix)]
                if not name.startswith("."):
                    found.setdefault(name, []).append(path)
        return found

    def _entry(self, name: str, source: Path, final: Path) -> ModelEntry:
        det = load_model(source, **self.load_options)
        from ..base import Detector
        from ..export import OnnxDetector

        if not isinstance(det, (Detector, OnnxDetector)):
            raise ValueError(
                f"{type(det).__name__} scores groups of points; the service scores point, sequence "
                "and image detectors only"
            )
        st = source.stat()
        return ModelEntry(name, det, _sha256_file(source), st.st_size, time.time(), final, _stamp(st))

    def get(self, name: str) -> ModelEntry | None:
        return self._models.get(name)

    def entries(self) -> list[ModelEntry]:
        return [self._models[k] for k in sorted(self._models)]

    def __len__(self) -> int:
        return len(self._models)

    def refresh(self) -> dict[str, str]:
        """Pick up what other processes changed in the folder since the last look.

        A model file that is new or was replaced (another inode, size or modification time, as
        ``genad retrain`` does when it promotes a version) is loaded and served in place of the old
        version; a model whose file is gone stops being served. A file that fails to load is
        recorded in :attr:`failed` and the version already in service keeps serving; it is tried
        again once the file changes. Returns ``{name: what happened}`` for the names that changed.
        """
        found = self._files()
        changes: dict[str, str] = {}
        for name, paths in sorted(found.items()):
            if len(paths) > 1:
                continue  # mid-replacement by an upload, or a conflict that scan() reports
            path = paths[0]
            stamp = _stamp_or_none(path)
            if stamp is None:
                continue
            have = self._models.get(name)
            if (have is not None and have.path == path and have.stamp == stamp) \
                    or self._failed_stamps.get(name) == (path, stamp):
                continue
            try:
                check_name(name)
                entry = self._entry(name, path, path)
            except FileNotFoundError:
                continue
            except (ValueError, OSError) as exc:
                with self._write_lock:
                    if self._models.get(name) is have:
                        self.failed[name] = f"{path.name}: {exc}"
                        self._failed_stamps[name] = (path, stamp)
                        changes[name] = f"failed to load: {exc}"
                continue
            with self._write_lock:
                # an upload or another refresh may have changed the name meanwhile: theirs stands
                if self._models.get(name) is not have or entry.stamp != _stamp_or_none(path):
                    continue
                self._models = {**self._models, name: entry}
                self.failed.pop(name, None)
                self._failed_stamps.pop(name, None)
                changes[name] = "loaded" if have is None else "replaced"
        with self._write_lock:
            gone = [n for n, e in self._models.items() if n not in found and not e.path.exists()]
            if gone:
                self._models = {k: v for k, v in self._models.items() if k not in gone}
            for name in gone:
                changes[name] = "removed"
            for name in [n for n in self.failed if n not in found and n not in self._models]:
                self.failed.pop(name)
                self._failed_stamps.pop(name, None)
        return changes

    # ------------------------------------------------------------------ writing
    def new_upload(self) -> tuple[int, Path]:
        """An open file descriptor and the path of a fresh hidden temporary file in the folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_UPLOAD_PREFIX, suffix=".tmp", dir=self.folder)
        return fd, Path(tmp)

    def install(self, name: str, tmp: Path) -> tuple[ModelEntry, bool]:
        """Load the uploaded file ``tmp``; if it loads, rename it to ``NAME.genad`` (a zip archive) or
        ``NAME.onnx`` (anything else, loaded as ONNX) and serve it; a model of the same name in the
        other format is removed.

        Returns the new entry and whether it replaced an existing model. On any error the
        temporary file is removed, the old model stays in place and a ValueError says why.
        """
        check_name(name)
        try:
            fmt = model_format(tmp)
        except FileNotFoundError as exc:
            raise ValueError(f"uploaded model file vanished before it could be loaded ({exc})") from None
        final = self.folder / (name + "." + fmt)
        try:
            try:
                entry = self._entry(name, tmp, final)
            except FileNotFoundError as exc:
                raise ValueError(f"uploaded model file vanished before it could be loaded ({exc})") from None
            except ValueError as exc:
                raise ValueError(str(exc).replace(str(tmp), "the uploaded file")) from None
            with self._write_lock:
                os.replace(tmp, final)
                for other in self._paths(name):
                    if other != final:
                        other.unlink()
                _fsync_dir(self.folder)
                replaced = name in self._models
                self._models = {**self._models, name: entry}
                self.failed.pop(name, None)
            return entry, replaced
        finally:
            if tmp.exists():
                tmp.unlink()

    def _paths(self, name: str) -> list[Path]:
        """The files of model ``name`` in the folder (one per format present)."""
        return [p for p in (self.folder / (name + suffix) for suffix in SUFFIXES) if p.exists()]

    def delete(self, name: str) -> bool:
        """Remove a model (file and entry). False if there was none."""
        check_name(name)
        with self._write_lock:
            files = self._paths(name)
            had = name in self._models or bool(files)
            for path in files:
                path.unlink()
            if files:
                _fsync_dir(self.folder)
            self._models = {k: v for k, v in self._models.items() if k != name}
            self.failed.pop(name, None)
        return had


def _stamp(st: os.stat_result) -> tuple:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _stamp_or_none(path: Path) -> tuple | None:
    try:
        return _stamp(path.stat())
    except FileNotFoundError:
        return None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
