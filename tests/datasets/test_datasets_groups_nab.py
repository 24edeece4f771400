"""Group datasets (SDSS, synthetic) and NAB series."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from genad.datasets import list_nab, load, load_nab_series, make_gaussian_mixture_groups
from genad.datasets.groups import MEANS, distribution_covariance


def _check_groups(ds):
    assert ds.groups_train.shape == (len(ds.X_train),)
    assert ds.groups_test.shape == (len(ds.X_test),)
    assert len(ds.y_train) == len(np.unique(ds.groups_train))
    assert len(ds.y_test) == len(np.unique(ds.groups_test))
    assert not set(ds.groups_train) & set(ds.groups_test)
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
    assert ds.X_train.dtype == np.float32
    json.dumps(ds.metadata)


# ------------------------------------------------------------ SDSS

def test_sdss_counts(need):
    home = need("sdss/spectrum_s1_pca.csv")
    raw = pd.read_csv(home / "sdss/spectrum_s1_pca.csv")
    assert raw.dropna().shape == (7530, 5) and raw["GroupID"].nunique() == 505
    ds = load("sdss-groups", n_anomalous=0)
    _check_groups(ds)
    assert len(ds.X_train) + len(ds.X_test) == 7530
    assert len(ds.y_train) + len(ds.y_test) == 505
    assert ds.y_test.sum() == 0 and ds.feature_names == ["X1", "X2", "X3", "X4"]


@pytest.mark.parametrize("atype", [1, 2, 3])
def test_sdss_anomalies(need, atype):
    need("sdss/spectrum_s1_pca.csv")
    ds = load("sdss-groups", anomaly_type=atype, seed=4)
    _check_groups(ds)
    ids = np.unique(ds.groups_test)
    anom_ids = set(ds.metadata["anomalous_group_ids"])
    assert len(anom_ids) == 50 == ds.y_test.sum() == ds.metadata["n_anomalous"]
    # label order matches np.unique(groups_test)
    np.testing.assert_array_equal(ds.y_test, [int(i in anom_ids) for i in ids])
    assert ds.y_train.sum() == 0
    assert len(ds.y_train) == 252 and len(ds.y_test) == 253 + 50
    sizes = pd.Series(ds.groups_test).value_counts()
    assert sizes[list(anom_ids)].min() >= 10 and sizes[list(anom_ids)].max() <= 49
    same = load("sdss-groups", anomaly_type=atype, random_state=4)
    np.testing.assert_array_equal(ds.X_test, same.X_test)


def test_sdss_type_covariances(need):
    """Type 2 groups are tighter than type 3 (0.5x vs 1x the within-group covariance)."""
    need("sdss/spectrum_s1_pca.csv")

    def anom_var(atype):
        ds = load("sdss-groups", anomaly_type=atype, n_anomalous=40)
        m = np.isin(ds.groups_test, ds.metadata["anomalous_group_ids"])
        g = pd.DataFrame(ds.X_test[m]).groupby(ds.groups_test[m])
        return g.var().mean().sum()

    assert anom_var(2) < anom_var(3)


# ------------------------------------------------------------ synthetic

def test_make_groups_basic():
    X, g, y = make_gaussian_mixture_groups(20, 7, kind="point", random_state=0)
    assert X.shape[1] == 2 and X.dtype == np.float32 and len(g) == len(X)
    np.testing.assert_array_equal(np.unique(g), np.arange(27))
    assert y.tolist() == [0] * 20 + [1] * 7
    sizes = np.bincount(g)
    assert 70 < sizes.mean() < 130
    X2, g2, _ = make_gaussian_mixture_groups(20, 7, kind="point", random_state=0)
    np.testing.assert_array_equal(X, X2)
    with pytest.raises(ValueError):
        make_gaussian_mixture_groups(kind="other")


def test_synthetic_point_groups():
    ds = load("synthetic-groups", kind="point", random_state=1)
    _check_groups(ds)
    assert len(ds.y_train) == 50 and len(ds.y_test) == 60 and ds.y_test.sum() == 10
    ids = np.unique(ds.groups_test)
    assert ids.min() == 50  # test ids continue after training ids
    types = ds.metadata["test_anomaly_type"]
    np.testing.assert_array_equal(ds.y_test, np.array(types) > 0)


def _log_density_normal(X):
    """Log density of points under the normal distribution-based mixture."""
    cov = distribution_covariance(0.0)
    inv, det = np.linalg.inv(cov), np.linalg.det(cov)
    dens = 0.0
    for m in MEANS:
        d = X - m
        dens = dens + np.exp(-0.5 * np.einsum("ij,jk,ik->i", d, inv, d)) / (2 * np.pi * np.sqrt(det)) / 3
    return np.log(dens)


def _orientation_deg(pts):
    """Major-axis angle (degrees, -90..90) of points near the first component mean."""
    near = pts[np.linalg.norm(pts - MEANS[0], axis=1) < 1.2] - MEANS[0]
    w, v = np.linalg.eigh(np.cov(near.T))
    a = np.degrees(np.arctan2(v[1, -1], v[0, -1])) % 180
    return a - 180 if a > 90 else a


def test_synthetic_distribution_groups():
    ds = load("synthetic-groups", kind="distribution", n_test_anomalous=20, random_state=2)
    _check_groups(ds)
    ids = np.unique(ds.groups_test)
    anom = np.isin(ds.groups_test, ids[ds.y_test == 1])
    ld = _log_density_normal(ds.X_test.astype(float))
    # per-point densities of anomalous groups are comparable to normal ones
    assert abs(ld[anom].mean() - ld[~anom].mean()) < 0.5
    assert np.quantile(ld[anom], 0.05) > np.quantile(ld[~anom], 0.01)
    # ... while the groups' covariance orientation differs (0 vs 45 degrees)
    ang_n = np.median([_orientation_deg(ds.X_test[ds.groups_test == i]) for i in ids[ds.y_test == 0]])
    ang_a = np.median([_orientation_deg(ds.X_test[ds.groups_test == i]) for i in ids[ds.y_test == 1]])
    assert abs(ang_n) < 12
    assert abs(ang_a - 45) < 12


# ------------------------------------------------------------ NAB

def test_list_nab(need):
    need("nab/labels/combined_windows.json")
    names = list_nab()
    assert len(names) == 58 and "realKnownCause/nyc_taxi" in names


def test_nab_series(need):
    home = need("nab/data/realKnownCause/nyc_taxi.csv", "nab/labels/combined_windows.json")
    df, windows = load_nab_series("realKnownCause/nyc_taxi")
    raw = json.loads((home / "nab/labels/combined_windows.json").read_text())
    assert len(windows) == len(raw["realKnownCause/nyc_taxi.csv"]) == 5
    assert list(df.columns) == ["timestamp", "value"]
    assert np.issubdtype(df["timestamp"].dtype, np.datetime64)
    ds = load("nab/nyc_taxi")
    assert ds.name == "nab/realKnownCause/nyc_taxi"
    n = len(df)
    assert ds.X_train.shape == (int(0.15 * n), 1) and ds.X_test.shape == (n - int(0.15 * n), 1)
    assert ds.X_train.dtype == np.float32
    ts = pd.to_datetime(ds.metadata["timestamps_train"] + ds.metadata["timestamps_test"])
    assert len(ts) == n and (ts == df["timestamp"]).all()
    y = np.r_[ds.y_train, ds.y_test]
    for a, b in ds.metadata["windows"]:
        inside = (ts >= pd.Timestamp(a)) & (ts <= pd.Timestamp(b))
        assert y[inside].all()
    assert y.sum() == sum(((ts >= pd.Timestamp(a)) & (ts <= pd.Timestamp(b))).sum()
                          for a, b in ds.metadata["windows"])
    json.dumps(ds.metadata)
    other = load("nab/realKnownCause/nyc_taxi", train_fraction=0.5)
    assert len(other.y_train) == n // 2


def test_nab_no_anomaly_series(need):
    need("nab/data/artificialNoAnomaly/art_flatline.csv", "nab/labels/combined_windows.json")
    ds = load("nab/art_flatline")
    assert ds.y_train.sum() == 0 and ds.y_test.sum() == 0 and ds.metadata["windows"] == []


def test_nab_all_series_label(need):
    need("nab/labels/combined_windows.json")
    for name in list_nab():
        df, windows = load_nab_series(name)
        assert len(df) > 0 and df["value"].notna().all(), name
