"""Tabular loaders on the real shared data: counts stated in shared/data/README.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genad.datasets import DatasetNotFoundError, list_adbench, load
from genad.datasets.tabular import KDD_FEATURES


def _check_basic(ds):
    assert ds.X_train.dtype == np.float32 and ds.X_test.dtype == np.float32
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
    assert len(ds.X_train) == len(ds.y_train) and len(ds.X_test) == len(ds.y_test)
    assert set(np.unique(ds.y_test)) <= {0, 1}
    assert np.isfinite(ds.X_train).all() and np.isfinite(ds.X_test).all()


# ------------------------------------------------------------ sklearn toys

def test_breast_cancer():
    ds = load("breast-cancer")
    _check_basic(ds)
    assert ds.y_train.sum() == 0 and ds.X_train.shape[1] == 30
    # stratified half: 569 rows, 212 malignant -> 285 test rows, 106 malignant
    assert len(ds.y_test) == 285 and ds.y_test.sum() == 106
    c = load("breast-cancer", contamination=0.1)
    assert abs(c.y_train.mean() - 0.1) < 0.01
    np.testing.assert_array_equal(c.y_test, ds.y_test)
    with pytest.raises(ValueError):
        load("breast-cancer", contamination=1.5)


def test_digits():
    ds = load("digits", normal_class=4)
    _check_basic(ds)
    assert ds.X_train.shape[1:] == (1, 8, 8)
    assert ds.X_train.min() >= -1 and ds.X_train.max() <= 1 and ds.X_train.min() == -1
    lab = np.asarray(ds.metadata["test_labels"])
    np.testing.assert_array_equal(ds.y_test, lab != 4)
    flat = load("digits", normal_class=4, flatten=True)
    assert flat.X_train.shape == (len(ds.X_train), 64)
    with pytest.raises(ValueError):
        load("digits", normal_class=10)


# ------------------------------------------------------------ KDD

def test_ff12(need):
    home = need("kdd99/kddcup.data_10_percent.gz", "kdd99/ffl_test_inliers.csv")
    ds = load("kdd99-ff12")
    _check_basic(ds)
    assert ds.X_train.shape == (97_278, 18) and ds.y_train.sum() == 0
    assert ds.X_test.shape == (10_000, 18)
    assert (ds.y_test == 0).sum() == 8_000 and (ds.y_test == 1).sum() == 2_000
    # the FF12 header uses the standard KDD names: the last 18 columns
    header = list(pd.read_csv(home / "kdd99/ffl_test_inliers.csv", nrows=0).columns)
    assert ds.feature_names == header[:-1] == KDD_FEATURES[23:]
    # raw values, not scaled
    assert ds.X_train[:, 0].max() > 1 and ds.X_train[:, ds.feature_names.index("dst_host_count")].max() == 255
    # every shipped test row exists (these 18 columns) in the KDD corrected set: checked
    # offline; here check the test sample's value ranges are those of KDD
    assert ds.X_test.min() >= 0 and ds.X_test[:, 1:8].max() <= 1


def test_kdd99(need):
    need("kdd99/kddcup.data_10_percent.gz", "kdd99/corrected.gz")
    ds = load("kdd99")
    _check_basic(ds)
    assert len(ds.X_train) == 97_278 and ds.y_train.sum() == 0
    assert len(ds.X_test) == 311_029 and (ds.y_test == 0).sum() == 60_593
    names = ds.feature_names
    assert len(names) == ds.X_train.shape[1] == 38 + sum(len(v) for v in ds.metadata["categories"].values())
    oh = np.array([n.startswith("protocol_type=") for n in names])
    assert (ds.X_train[:, oh].sum(1) == 1).all()
    svc = np.array([n.startswith("service=") for n in names])
    assert set(np.unique(ds.X_test[:, svc].sum(1))) <= {0.0, 1.0}
    atk = ds.metadata["test_attacks"]
    cat = ds.metadata["test_attack_categories"]
    assert len(atk) == len(cat) == len(ds.y_test)
    assert set(cat) <= {"normal", "dos", "probe", "r2l", "u2r"}  # no "unknown"
    np.testing.assert_array_equal(ds.y_test, np.array(cat) != "normal")
    assert "smurf" in atk and "snmpgetattack" in atk  # novel test-only attack

    s = load("kdd99", test_sample=5000, random_state=1, contamination=0.02)
    assert len(s.y_test) == 5000 and len(s.metadata["test_attacks"]) == 5000
    assert abs(s.y_train.mean() - 0.02) < 1e-3
    assert s.X_train.shape[1] == ds.X_train.shape[1]
    s2 = load("kdd99", test_sample=5000, random_state=1, contamination=0.02)
    np.testing.assert_array_equal(s.X_test, s2.X_test)


def test_nsl_kdd(need):
    home = need("nsl-kdd/KDDTrain+_20Percent.txt", "nsl-kdd/KDDTest+.txt", "nsl-kdd/field_names.csv")
    ds = load("nsl-kdd")
    _check_basic(ds)
    raw_tr = pd.read_csv(home / "nsl-kdd/KDDTrain+_20Percent.txt", header=None)
    assert len(ds.y_train) == (raw_tr[41] == "normal").sum() == 13_449
    assert len(ds.y_test) == 22_544
    assert (ds.y_test == 0).sum() == 9_711
    assert len(ds.metadata["test_difficulty"]) == 22_544
    assert "unknown" not in set(ds.metadata["test_attack_categories"])


# ------------------------------------------------------------ ADBench

def test_list_adbench(need):
    need("adbench/7_Cardiotocography.npz")
    names = list_adbench()
    assert len(names) == 33 and "Cardiotocography" in names and "http" in names
    assert names[0] == "ALOI"  # ADBench numeric order (1_ALOI)


@pytest.mark.parametrize("alias", ["adbench/Cardiotocography", "adbench/cardiotocography",
                                   "adbench/7_Cardiotocography", "ADBENCH/CARDIOTOCOGRAPHY"])
def test_adbench_names(need, alias):
    need("adbench/7_Cardiotocography.npz")
    assert load(alias).name == "adbench/Cardiotocography"


def test_adbench_protocol(need):
    home = need("adbench/7_Cardiotocography.npz")
    raw = np.load(home / "adbench/7_Cardiotocography.npz")
    ds = load("adbench/Cardiotocography", random_state=0)
    _check_basic(ds)
    n = len(raw["y"])
    assert len(ds.y_train) + len(ds.y_test) == n
    assert abs(len(ds.y_test) - 0.3 * n) <= 1
    rate = raw["y"].mean()
    assert ds.y_train.sum() > 0  # training keeps its anomalies
    assert abs(ds.y_train.mean() - rate) < 0.005 and abs(ds.y_test.mean() - rate) < 0.005
    # no scaling: the training values are the raw ones
    assert np.isin(ds.X_train[:, 0], raw["X"][:, 0].astype(np.float32)).all()
    same = load("adbench/Cardiotocography", random_state=0)
    other = load("adbench/Cardiotocography", random_state=1)
    np.testing.assert_array_equal(ds.X_train, same.X_train)
    assert not np.array_equal(ds.X_train, other.X_train)
    small = load("adbench/Cardiotocography", max_train=200)
    assert len(small.y_train) == 200 and abs(small.y_train.mean() - rate) < 0.01
    np.testing.assert_array_equal(small.y_test, ds.y_test)


def test_adbench_unknown_name(need):
    need("adbench/7_Cardiotocography.npz")
    with pytest.raises(DatasetNotFoundError) as e:
        load("adbench/cardio")
    assert "Cardiotocography" in str(e.value)  # lists what is present


def test_adbench_all_load(need):
    need("adbench/7_Cardiotocography.npz")
    for n in list_adbench():
        ds = load(f"adbench/{n}", max_train=500)
        assert ds.y_train.sum() >= 0 and ds.y_test.sum() > 0, n
        assert ds.X_train.dtype == np.float32
