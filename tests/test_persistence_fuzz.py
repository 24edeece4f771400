"""Fuzzing genad.load: damaged, hostile and oddly zipped model files of several detector kinds.

Every case either loads a model that scores exactly like the original or raises ValueError,
within bounded time and memory; never another exception. Mutations that re-sign the file (recompute
its digest, as anyone can) make a different but well-formed file: those must load or raise
ValueError. The default run tries a fixed, small number of cases; ``-m slow`` tries many more,
with bigger inflated entries.
"""

from __future__ import annotations

import io
import json
import os
import struct
import threading
import time
import tracemalloc
import warnings
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import genad
from genad import persistence

#: per-case limits: wall time of one load, Python/numpy memory it may allocate at once (the
#: untouched models need under 1 MB), resident memory it may add (sampled, noisier)
MAX_SECONDS = 10.0
MAX_TRACED = 16e6
MAX_RSS_RISE = 120e6
#: zeros appended to an entry in the inflated cases: twice MAX_TRACED, so a whole read shows
INFLATE = 32_000_000

_rng = np.random.default_rng(0)
_X = _rng.normal(size=(200, 5))
_X_TEST = np.vstack([_rng.normal(size=(20, 5)), _rng.normal(size=(5, 5)) + 6])
_GROUPS = [_rng.normal(_rng.normal(0, 0.5, 3), 1.0, (20, 3)) for _ in range(24)]
_GROUPS_TEST = [_rng.normal(0, 1.0, (20, 3)) for _ in range(4)] + [_rng.normal(4, 1.0, (20, 3))]


def _kinds():
    return {
        "classic": (lambda: genad.IsolationForest(n_estimators=5, random_state=0).fit(_X), _X_TEST),
        "autoencoder": (lambda: genad.AutoEncoder(hidden=[8], latent_dim=2, epochs=2, random_state=0).fit(_X), _X_TEST),
        "gan": (lambda: genad.ADGAN(hidden=[8], latent_dim=2, epochs=2, min_steps=0, random_state=0).fit(_X), _X_TEST),
        "group": (lambda: genad.group.GroupAAE(epochs=2, hidden=[8], random_state=0).fit(_GROUPS), _GROUPS_TEST),
    }


KINDS = list(_kinds())


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """kind -> (entries of the saved file, scores of the original on the test set)."""
    out = {}
    folder = tmp_path_factory.mktemp("fuzz")
    for kind, (fit, X_test) in _kinds().items():
        det = fit()
        path = folder / f"{kind}.genad"
        det.save(path)
        with zipfile.ZipFile(path) as zf:
            entries = [(i.filename, zf.read(i), i.compress_type) for i in zf.infolist()]
        out[kind] = (path.read_bytes(), entries, np.asarray(genad.load(path).decision_function(X_test)), X_test)
    return out


# ----------------------------------------------------------------------------- zip building
class _Unseekable(io.RawIOBase):
    """A sink zipfile cannot seek in: it then writes data descriptors after each entry."""

    def __init__(self):
        self.buf = io.BytesIO()

    def writable(self):
        return True

    def write(self, b):
        return self.buf.write(b)


def _build(entries, *, zip64=False, descriptors=False, comment=b""):
    """A zip of ``entries``: (name, data, compress_type[, flag_bits, extra, comment])."""
    sink = _Unseekable() if descriptors else io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are wanted here
        with zipfile.ZipFile(sink, "w") as zf:
            zf.comment = comment
            for name, data, method, *more in entries:
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = method
                flags, extra, note = (more + [0, b"", b""][len(more):])[:3]
                info.extra, info.comment = extra, note
                if name.endswith("/"):
                    info.external_attr = 0o40775 << 16 | 0x10
                with zf.open(info, "w", force_zip64=zip64) as f:
                    f.write(data)
                info.flag_bits |= flags  # written into the central directory
    return (sink.buf if descriptors else sink).getvalue()


def _declare(data: bytes, name: str, size: int, crc: int | None = None) -> bytes:
    """Make the local and central headers of entry ``name`` declare ``size`` (and ``crc``)."""
    out, key = bytearray(data), name.encode()
    for sig, crc_at, size_at, name_len_at, head in ((b"PK\x03\x04", 14, 22, 26, 30), (b"PK\x01\x02", 16, 24, 28, 46)):
        pos = out.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", out, pos + name_len_at)[0]
            if bytes(out[pos + head : pos + head + n]) == key:
                struct.pack_into("<I", out, pos + size_at, size & 0xFFFFFFFF)
                if crc is not None:
                    struct.pack_into("<I", out, pos + crc_at, crc)
            pos = out.find(sig, pos + 4)
    return bytes(out)


def _resign(entries):
    """Recompute the digest in config.json over the (mutated) parts, as anyone can."""
    parts = {n: d for n, d, *_ in entries}
    try:
        cfg = json.loads(parts["config.json"])
        cfg.pop("sha256", None)
        cfg["sha256"] = persistence._digest(cfg, parts["weights.safetensors"],
                                            {n: d for n, d in parts.items() if n.startswith("sklearn/")})
    except Exception:
        return entries
    data = json.dumps(cfg).encode()
    return [(n, data if n == "config.json" else d, *rest) for n, d, *rest in entries]


def _inflate(data: bytes, size: int) -> bytes:
    return data + bytes(size)


# ----------------------------------------------------------------------------- the property
class _Memory:
    """Peak memory of a block: Python and numpy allocations (tracemalloc, exact) and the resident
    memory of the process (sampled, for what tracemalloc does not see)."""

    def __enter__(self):
        self._tracing = tracemalloc.is_tracing()
        if not self._tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._traced0 = tracemalloc.get_traced_memory()[0]
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _rss(self):
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:  # no /proc: resident memory is not measured
            return 0

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.traced = tracemalloc.get_traced_memory()[1] - self._traced0
        if not self._tracing:
            tracemalloc.stop()
        self.rise = max(self.peak, self._rss()) - self.start


def _check(path, original, X_test, resigned, limits):
    t0 = time.perf_counter()
    with _Memory() as mem:
        try:
            det = genad.load(path, **limits)
        except ValueError as exc:
            det, msg = None, str(exc)
    elapsed = time.perf_counter() - t0
    assert elapsed < MAX_SECONDS, f"load took {elapsed:.1f} s"
    assert mem.traced < MAX_TRACED, f"load allocated {mem.traced / 1e6:.0f} MB"
    assert mem.rise < MAX_RSS_RISE, f"load added {mem.rise / 1e6:.0f} MB of resident memory"
    if det is None:
        assert str(path) in msg, msg  # the message names the file
    elif not resigned:
        np.testing.assert_array_equal(det.decision_function(X_test), original)
    return det


# ----------------------------------------------------------------------------- mutations
_NAMES = ["config.json", "weights.safetensors", "sklearn/model_.skops", "sklearn/", "config.json/", "x/../config.json"]
_METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]


def _mutations(inflate_sizes):
    idx = st.integers(0, 1 << 30)
    return st.one_of(
        st.tuples(st.just("swap"), idx, idx),
        st.tuples(st.just("rename"), idx, st.sampled_from(_NAMES)),
        st.tuples(st.just("duplicate"), idx, idx),
        st.tuples(st.just("inflate"), idx, st.sampled_from(inflate_sizes)),
        st.tuples(st.just("directory"), st.sampled_from(["sklearn/", "config.json/", "weights.safetensors/"])),
        st.tuples(st.just("encrypted"), idx),
        st.tuples(st.just("method"), idx, st.sampled_from(_METHODS)),
        st.tuples(st.just("extra"), idx, st.binary(max_size=24)),
        st.tuples(st.just("nested"), idx),
        st.tuples(st.just("edit"), idx, idx, st.binary(min_size=1, max_size=8)),
        st.tuples(st.just("drop"), idx),
    )


def _apply(op, entries):
    entries = list(entries)
    if not entries:
        return entries
    i = op[1] % len(entries) if len(op) > 1 and isinstance(op[1], int) else 0
    name, data, method, *more = entries[i]
    kind = op[0]
    if kind == "swap":
        j = op[2] % len(entries)
        entries[i], entries[j] = (name, entries[j][1], method, *more), (entries[j][0], data, *entries[j][2:])
    elif kind == "rename":
        entries[i] = (op[2], data, method, *more)
    elif kind == "duplicate":
        entries.append((name, entries[op[2] % len(entries)][1], method))
    elif kind == "inflate":
        entries[i] = (name, _inflate(data, op[2]), zipfile.ZIP_DEFLATED, *more)
    elif kind == "directory":
        entries.append((op[1], b"", zipfile.ZIP_STORED))
    elif kind == "encrypted":
        entries[i] = (name, data, method, 0x1)
    elif kind == "method":
        entries[i] = (name, data, op[2], *more)
    elif kind == "extra":
        entries[i] = (name, data, method, 0, op[2], b"note")
    elif kind == "nested":
        entries[i] = (name, _build([entries[i]]), method)
    elif kind == "edit" and data:
        at = op[2] % len(data)
        entries[i] = (name, data[:at] + op[3] + data[at + len(op[3]):], method, *more)
    elif kind == "drop":
        del entries[i]
    return entries


def _inner_mutation(entries, inflate):
    """Deflate the entries inside a scikit-learn part and inflate one of them with zeros."""
    out = []
    for name, data, method, *more in entries:
        if name.startswith("sklearn/") and data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                inner = [(i.filename, zf.read(i), zipfile.ZIP_DEFLATED) for i in zf.infolist()]
            if inflate:
                inner[-1] = (inner[-1][0], _inflate(inner[-1][1], inflate), zipfile.ZIP_DEFLATED)
            data = _build(inner)
        out.append((name, data, method, *more))
    return out


def _case(draw, inflate_sizes):
    return {
        "ops": draw(st.lists(_mutations(inflate_sizes), max_size=3)),
        "inner": draw(st.sampled_from([None, 0, *inflate_sizes])),
        "resign": draw(st.booleans()),
        "zip64": draw(st.booleans()),
        "descriptors": draw(st.booleans()),
        "comment": draw(st.sampled_from([b"", b"x" * 100, b"PK\x05\x06"])),
        "flips": draw(st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 7)), max_size=3)),
        "truncate": draw(st.one_of(st.none(), st.integers(0, 1 << 30))),
        "lie": draw(st.one_of(st.none(), st.tuples(st.sampled_from(_NAMES[:3]), st.integers(0, 1 << 32 - 1)))),
        "limits": draw(st.fixed_dictionaries({}, optional={
            "max_bytes": st.sampled_from([1_000, 100_000, 10_000_000]),
            "max_config_bytes": st.sampled_from([100, 10_000]),
            "max_ratio": st.sampled_from([1.5, 10.0]),
            "max_entries": st.sampled_from([1, 3]),
        })),
    }


def _make(models, kind, case):
    _, entries, original, X_test = models[kind]
    if case["inner"] is not None:
        entries = _inner_mutation(entries, case["inner"])
    for op in case["ops"]:
        entries = _apply(op, entries)
    if case["resign"]:
        entries = _resign(entries)
    data = _build(entries, zip64=case["zip64"], descriptors=case["descriptors"], comment=case["comment"])
    if case["lie"] is not None:
        name, size = case["lie"]
        data = _declare(data, name, size)
    if case["flips"] or case["truncate"] is not None:
        data = bytearray(data)
        for pos, bit in case["flips"]:
            data[pos % len(data)] ^= 1 << bit
        if case["truncate"] is not None:
            data = data[: case["truncate"] % (len(data) + 1)]
        data = bytes(data)
    # anything that changes the parts' bytes but is not re-signed must fail the checksum
    resigned = case["resign"] or case["inner"] is not None
    return data, original, X_test, resigned


def _run(models, tmp_path, kind, case):
    data, original, X_test, resigned = _make(models, kind, case)
    path = tmp_path / f"{kind}.genad"
    path.write_bytes(data)
    _check(path, original, X_test, resigned, case["limits"])


_FAST = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                        HealthCheck.data_too_large])
_SLOW = settings(_FAST, max_examples=150, derandomize=False)


@pytest.mark.parametrize("kind", KINDS)
@_FAST
@given(data=st.data())
def test_fuzz_load(models, tmp_path, kind, data):
    _run(models, tmp_path, kind, _case(data.draw, [2_000, INFLATE]))


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@_SLOW
@given(data=st.data())
def test_fuzz_load_many(models, tmp_path, kind, data):
    _run(models, tmp_path, kind, _case(data.draw, [2_000, INFLATE, 300_000_000]))


# ----------------------------------------------------------------------------- fixed cases
@pytest.mark.parametrize("kind", KINDS)
def test_untouched_and_odd_but_valid_zips_load_identically(models, tmp_path, kind):
    raw, entries, original, X_test = models[kind]
    variants = {
        "as saved": raw,
        "zip64": _build(entries, zip64=True),
        "data descriptors": _build(entries, descriptors=True),
        "comments and extra fields": _build([(n, d, m, 0, b"\xfe\xca\x04\x00abcd", b"hi") for n, d, m in entries],
                                            comment=b"a comment"),
        "all deflated": _build([(n, d, zipfile.ZIP_DEFLATED) for n, d, _ in entries]),
        "all stored": _build([(n, d, zipfile.ZIP_STORED) for n, d, _ in entries]),
        "inner parts deflated": _build(_inner_mutation(entries, 0)),
    }
    for what, data in variants.items():
        path = tmp_path / "m.genad"
        path.write_bytes(data)
        resigned = what == "inner parts deflated"
        if resigned:  # the parts' bytes changed: re-sign, the model is the same
            path.write_bytes(_build(_resign(_inner_mutation(entries, 0))))
        det = _check(path, original, X_test, False, {})
        assert det is not None, what


@pytest.mark.parametrize("kind,entry", [
    ("classic", "config.json"), ("classic", "weights.safetensors"), ("classic", "sklearn/model_.skops"),
    ("classic", "inner"), ("autoencoder", "config.json"), ("autoencoder", "weights.safetensors"),
])
@pytest.mark.parametrize("lying", [False, True], ids=["declared", "lying"])
def test_inflated_entries_are_refused_quickly(models, tmp_path, kind, entry, lying):
    """Each part inflated with zeros (a thousand times its compressed size): refused from the
    declared sizes, or, when the headers declare the original size, read no further than that.
    ("inner": an entry inside the scikit-learn part, with the file re-signed.)"""
    _, entries, original, X_test = models[kind]
    size = INFLATE
    if entry == "inner":
        mutated = _resign(_inner_mutation(entries, size))
    else:
        mutated = [(n, _inflate(d, size) if n == entry else d, zipfile.ZIP_DEFLATED) for n, d, _ in entries]
    data = _build(mutated)
    if lying and entry != "inner":
        original_bytes = dict((n, d) for n, d, _ in entries)[entry]
        data = _declare(data, entry, len(original_bytes), zlib.crc32(original_bytes))
    path = tmp_path / "bomb.genad"
    path.write_bytes(data)
    det = _check(path, original, X_test, False, {})
    if not lying:
        assert det is None


def test_limits_name_the_entry_and_the_limit(models, tmp_path):
    raw, entries, original, X_test = models["classic"]
    path = tmp_path / "m.genad"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=r"entry 'config.json' declares [\d,]+ bytes, over the limit of max_config_bytes=100"):
        genad.load(path, max_config_bytes=100)
    with pytest.raises(ValueError, match=r"entry 'sklearn/model_.skops' declares .*max_bytes=20,000"):
        genad.load(path, max_bytes=20_000)
    with pytest.raises(ValueError, match=r"compression ratio over the limit of max_ratio=1.01"):
        big = tmp_path / "big.genad"
        big.write_bytes(_build([(n, _inflate(d, 2_000_000) if n == "weights.safetensors" else d, zipfile.ZIP_DEFLATED)
                                for n, d, _ in entries]))
        genad.load(big, max_ratio=1.01)
    with pytest.raises(ValueError, match="max_entries=2"):
        genad.load(path, max_entries=2)
    dup = tmp_path / "dup.genad"
    dup.write_bytes(_build(entries + [entries[0]]))
    with pytest.raises(ValueError, match="holds entry 'config.json' twice"):
        genad.load(dup)
    enc = tmp_path / "enc.genad"
    enc.write_bytes(_build([(n, d, m, 0x1 if n == "weights.safetensors" else 0) for n, d, m in entries]))
    with pytest.raises(ValueError, match="entry 'weights.safetensors' is encrypted"):
        genad.load(enc)
    assert genad.load(path, max_bytes=10_000_000) is not None
    with pytest.raises(ValueError, match="max_ratio must be a positive number; got None"):
        genad.load(path, max_ratio=None)


def test_weights_must_fit_the_configured_networks(models, tmp_path):
    """A re-signed file whose configuration asks for other networks than its weights hold is
    refused before the networks are allocated."""
    _, entries, original, X_test = models["autoencoder"]
    parts = {n: d for n, d, _ in entries}
    cfg = json.loads(parts["config.json"])
    cfg["params"]["hidden"] = [4096, 4096, 4096]
    mutated = _resign([(n, json.dumps(cfg).encode() if n == "config.json" else d, m) for n, d, m in entries])
    path = tmp_path / "arch.genad"
    path.write_bytes(_build(mutated))
    with _Memory() as mem, pytest.raises(ValueError, match="do not fit the network config.json describes"):
        genad.load(path)
    assert mem.rise < 100e6  # the 3 x 4096^2 network (200 MB) was never allocated


def test_weights_header_is_checked_against_config(models, tmp_path):
    from safetensors.torch import load as st_load, save as st_save

    _, entries, original, X_test = models["autoencoder"]
    parts = {n: d for n, d, _ in entries}
    tensors = st_load(parts["weights.safetensors"])
    tensors["unused"] = __import__("torch").zeros(3)
    mutated = _resign([(n, st_save(tensors) if n == "weights.safetensors" else d, m) for n, d, m in entries])
    path = tmp_path / "extra.genad"
    path.write_bytes(_build(mutated))
    with pytest.raises(ValueError, match="holds tensor 'unused', which config.json does not use"):
        genad.load(path)
