"""MNIST, CIFAR-10 and ECG5000 on the real shared data."""

from __future__ import annotations

import numpy as np
import pytest

from genad.datasets import load

MNIST = ["mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz",
         "mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"]
# training images per digit in the official MNIST training set
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_mnist_deep_svdd(need):
    need(*MNIST)
    ds = load("mnist", normal_class=3)
    assert ds.X_train.shape == (MNIST_TRAIN_COUNTS[3], 1, 28, 28)
    assert ds.X_train.dtype == np.float32 and ds.y_train.sum() == 0
    assert ds.X_test.shape == (10_000, 1, 28, 28)
    for X in (ds.X_train, ds.X_test):
        assert X.min() == -1.0 and X.max() == 1.0
    lab = np.asarray(ds.metadata["test_labels"])
    np.testing.assert_array_equal(ds.y_test, (lab != 3).astype(np.int64))
    assert (lab == 3).sum() == 1010  # test-set digit 3 count
    assert ds.metadata["class_names"][3] == "3"


def test_mnist_class_only(need):
    """Training images are those of class c only: their mean is the class-c mean."""
    need(*MNIST)
    a, b = load("mnist", normal_class=0), load("mnist", normal_class=1)
    lab = np.asarray(a.metadata["test_labels"])
    mean0_test = a.X_test[lab == 0].mean(0)
    d_own = np.abs(a.X_train.mean(0) - mean0_test).mean()
    d_other = np.abs(b.X_train.mean(0) - mean0_test).mean()
    assert d_own < 0.05 < d_other


def test_mnist_adgan_and_limits(need):
    need(*MNIST)
    ds = load("mnist", normal_class=7, protocol="adgan", random_state=2, max_train=100)
    assert ds.X_test.shape[0] == 5000 and ds.X_train.shape[0] == 100
    again = load("mnist", normal_class=7, protocol="adgan", random_state=2, max_train=100)
    np.testing.assert_array_equal(ds.X_test, again.X_test)
    assert ds.metadata["test_indices"] == again.metadata["test_indices"]
    other = load("mnist", normal_class=7, protocol="adgan", random_state=3, max_train=100)
    assert ds.metadata["test_indices"] != other.metadata["test_indices"]
    small = load("mnist", normal_class=7, max_test=300)
    assert small.X_test.shape[0] == 300
    with pytest.raises(ValueError, match="protocol"):
        load("mnist", normal_class=7, protocol="odd")
    with pytest.raises(ValueError, match="normal_class"):
        load("mnist", normal_class=10)


def test_cifar10_one_class(need):
    need("cifar10/train.zip", "cifar10/test.zip")
    ds = load("cifar10", normal_class=1, max_train=64, protocol="adgan", max_test=400)
    assert ds.X_train.shape == (64, 3, 32, 32) and ds.X_test.shape == (400, 3, 32, 32)
    assert ds.X_train.dtype == np.float32
    for X in (ds.X_train, ds.X_test):
        assert X.min() >= -1.0 and X.max() <= 1.0 and X.std() > 0.1
    assert ds.metadata["class_names"] == ["airplane", "automobile", "bird", "cat", "deer",
                                          "dog", "frog", "horse", "ship", "truck"]
    assert ds.metadata["normal_class_name"] == "automobile"
    lab = np.asarray(ds.metadata["test_labels"])
    np.testing.assert_array_equal(ds.y_test, lab != 1)
    # labels come from the folder names
    for f, l in zip(ds.metadata["test_files"], lab):
        assert f.split("/")[-2] == ds.metadata["class_names"][l]
    assert len(set(lab.tolist())) == 10


@pytest.mark.slow
def test_cifar10_full(need):
    need("cifar10/train.zip", "cifar10/test.zip")
    ds = load("cifar10", normal_class=0)
    assert ds.X_train.shape == (5000, 3, 32, 32) and ds.X_test.shape == (10_000, 3, 32, 32)
    assert np.bincount(ds.metadata["test_labels"]).tolist() == [1000] * 10
    assert ds.y_test.sum() == 9000


# ------------------------------------------------------------ ECG5000

def test_ecg5000(need):
    need("ecg5000/train.json", "ecg5000/test.json")
    ds = load("ecg5000")
    assert ds.X_train.shape == (2627, 140) and ds.y_train.sum() == 0
    assert ds.X_test.shape == (500, 140)
    assert (ds.y_test == 0).sum() == 292 and (ds.y_test == 1).sum() == 208
    assert ds.X_train.dtype == np.float32 and ds.y_test.dtype == np.int64
    seq = load("ecg5000", as_sequences=True)
    assert seq.X_train.shape == (2627, 140, 1) and seq.X_test.shape == (500, 140, 1)


@pytest.mark.parametrize("f", [0.1, 0.3, 0.5, 0.7])
def test_ecg5000_abnormal_fraction(need, f):
    need("ecg5000/train.json", "ecg5000/test.json")
    ds = load("ecg5000", abnormal_fraction=f, random_state=1)
    assert abs(ds.y_train.mean() - f) < 0.002
    assert ds.metadata["abnormal_fraction"] == f
    assert ds.metadata["n_train_anomalies"] == ds.y_train.sum()
    again = load("ecg5000", abnormal_fraction=f, random_state=1)
    np.testing.assert_array_equal(ds.X_train, again.X_train)
    assert ds.X_test.shape == (500, 140)


def test_ecg5000_bad_fraction(need):
    need("ecg5000/train.json", "ecg5000/test.json")
    with pytest.raises(ValueError):
        load("ecg5000", abnormal_fraction=0.9)
