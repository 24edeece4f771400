"""Model files: no pickle, atomic writes, clear errors for damaged or foreign files."""

import json
import zipfile

import numpy as np
import pytest

import genad
from genad import persistence


@pytest.fixture()
def saved(tmp_path, blobs):
    det = genad.IsolationForest(n_estimators=20, random_state=0).fit(blobs[0])
    path = tmp_path / "m.genad"
    det.save(path)
    return det, path


def _rewrite(path, out, mutate):
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    mutate(parts)
    with zipfile.ZipFile(out, "w") as zf:
        for n, b in parts.items():
            zf.writestr(n, b)


def test_file_layout_and_schema(saved):
    det, path = saved
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        config = json.loads(zf.read("config.json"))
    assert {"config.json", "weights.safetensors"} <= names
    assert all(n.endswith((".json", ".safetensors", ".skops")) for n in names)
    assert config["format"] == "genad-model" and config["genad_version"] == genad.__version__
    assert config["input_schema"]["n_features"] == 5
    assert config["class"] == "genad.detectors.classic.IsolationForest"


def test_no_pickle_in_package():
    import pathlib

    src = pathlib.Path(genad.__file__).parent
    for f in src.rglob("*.py"):
        text = f.read_text()
        assert "import pickle" not in text and "torch.load(" not in text, f


def test_truncated_file(saved, tmp_path):
    _, path = saved
    data = path.read_bytes()
    bad = tmp_path / "trunc.genad"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="damaged or not a genad model"):
        genad.load(bad)


def test_tampered_weights(saved, tmp_path):
    _, path = saved

    def flip(parts):
        w = bytearray(parts["weights.safetensors"])
        w[-1] ^= 0xFF
        parts["weights.safetensors"] = bytes(w)

    bad = tmp_path / "tampered.genad"
    _rewrite(path, bad, flip)
    with pytest.raises(ValueError, match="checksum"):
        genad.load(bad)


def test_tampered_threshold_in_config(saved, tmp_path):
    _, path = saved

    def edit(parts):
        cfg = json.loads(parts["config.json"])
        cfg["state"]["threshold_"] = -1.0
        parts["config.json"] = json.dumps(cfg).encode()

    bad = tmp_path / "edited.genad"
    _rewrite(path, bad, edit)
    with pytest.raises(ValueError, match="modified"):
        genad.load(bad)


@pytest.mark.parametrize("field,value,match", [
    ("format_version", 99, "format"),
    ("genad_version", "999.0.0", "newer"),
    ("format", "something-else", "not a genad model"),
])
def test_wrong_version_or_type(saved, tmp_path, field, value, match):
    _, path = saved

    def edit(parts):
        cfg = json.loads(parts["config.json"])
        cfg[field] = value
        parts["config.json"] = json.dumps(cfg).encode()

    bad = tmp_path / "v.genad"
    _rewrite(path, bad, edit)
    with pytest.raises(ValueError, match=match):
        genad.load(bad)


def test_unknown_class_is_refused(saved, tmp_path):
    _, path = saved

    def edit(parts):
        cfg = json.loads(parts["config.json"])
        cfg["class"] = "os.system"
        cfg.pop("sha256")
        cfg["sha256"] = persistence._digest(cfg, parts["weights.safetensors"],
                                            {n: b for n, b in parts.items() if n.startswith("sklearn/")})
        parts["config.json"] = json.dumps(cfg).encode()

    bad = tmp_path / "cls.genad"
    _rewrite(path, bad, edit)
    with pytest.raises(ValueError, match="not a genad detector"):
        genad.load(bad)


def test_not_a_zip_and_missing(tmp_path):
    junk = tmp_path / "junk.genad"
    junk.write_bytes(b"hello, not a model")
    with pytest.raises(ValueError, match="damaged or not a genad model"):
        genad.load(junk)
    with pytest.raises(FileNotFoundError):
        genad.load(tmp_path / "nope.genad")
    empty_zip = tmp_path / "empty.genad"
    with zipfile.ZipFile(empty_zip, "w"):
        pass
    with pytest.raises(ValueError, match="config.json"):
        genad.load(empty_zip)


def test_failed_save_keeps_previous_model(saved, monkeypatch, blobs):
    det, path = saved
    before = path.read_bytes()
    other = genad.PCA().fit(blobs[0])

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", boom)
    with pytest.raises(OSError, match="disk full"):
        other.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    np.testing.assert_array_equal(genad.load(path).decision_function(blobs[1]), det.decision_function(blobs[1]))


def test_unfitted_save_and_bad_paths(tmp_path, blobs):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted"):
        genad.PCA().save(tmp_path / "x.genad")
    det = genad.PCA().fit(blobs[0])
    with pytest.raises(ValueError, match="does not exist"):
        det.save(tmp_path / "no" / "such" / "x.genad")
    with pytest.raises(ValueError, match="folder"):
        det.save(tmp_path)


def test_untrusted_skops_types_are_refused():
    import skops.io as sio

    from sklearn.preprocessing import FunctionTransformer

    blob = sio.dumps(FunctionTransformer(func=eval))
    with pytest.raises(ValueError, match=r"untrusted types \['builtins.eval'\]"):
        persistence._load_skops(blob)
