"""Group anomaly data: SDSS galaxy groups and synthetic Gaussian-mixture groups.

Group datasets hold one row per point in ``X_*``, one group id per point in
``groups_*`` and one label per group in ``y_*``, ordered like
``np.unique(groups_*)``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from ._base import Dataset, check_fraction, require_file

SDSS_SOURCE = (
    "https://github.com/jorjasso/SMDD-group-anomaly-detection (file spectrum_s1_pca.csv)"
)

# ---------------------------------------------------------------- synthetic

MEANS = np.array([[-1.7, -1.0], [1.7, -1.0], [0.0, 2.0]])
#: Point-based normal groups: one of these two weight vectors (fair coin per group).
POINT_NORMAL_WEIGHTS = ((0.33, 0.64, 0.03), (0.33, 0.03, 0.64))
#: Distribution-based covariances: same determinant as 0.2 I (geometric-mean
#: variance 0.2) but anisotropic, eigenvalues 0.32 and 0.125, major axis along x
#: for normal groups and rotated by 45 degrees for anomalous groups.
DIST_EIGENVALUES = (0.32, 0.125)
ROTATION_DEG = 45.0


def _rot(deg: float) -> np.ndarray:
    t = np.deg2rad(deg)
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def distribution_covariance(angle_deg: float = 0.0) -> np.ndarray:
    """Component covariance of distribution-based groups, major axis at ``angle_deg``."""
    R = _rot(angle_deg)
    return R @ np.diag(DIST_EIGENVALUES) @ R.T


def _mixture_sample(rng, n, means, weights, covs) -> np.ndarray:
    weights = np.asarray(weights, float)
    comp = rng.choice(len(weights), size=n, p=weights / weights.sum())
    out = np.empty((n, 2))
    for k in range(len(weights)):
        m = comp == k
        if m.any():
            out[m] = rng.multivariate_normal(means[k], covs[k], size=int(m.sum()))
    return out


def _point_anomaly(rng, n, kind):
    cov02 = 0.2 * np.eye(2)
    if kind == 1:  # a single broad Gaussian
        return rng.multivariate_normal([-0.4, 1.0], np.eye(2), size=n)
    if kind == 2:
        means = np.vstack([MEANS, [0.6, -1.0]])
        return _mixture_sample(rng, n, means, (0.1, 0.08, 0.07, 0.75), [cov02] * 4)
    means = np.vstack([MEANS, [-0.5, 1.0]])
    return _mixture_sample(rng, n, means, (0.14, 0.1, 0.28, 0.48), [cov02] * 4)


def make_gaussian_mixture_groups(
    n_normal: int = 50,
    n_anomalous: int = 0,
    kind: str = "point",
    mean_group_size: float = 100.0,
    random_state=None,
    first_group_id: int = 0,
):
    """Synthetic 2-D Gaussian-mixture groups (Muandet & Schoelkopf 2013 style).

    Group sizes are Poisson(``mean_group_size``) (at least 2). Component means
    (-1.7,-1), (1.7,-1), (0,2).

    ``kind="point"``: normal groups have covariance 0.2 I and weights
    (0.33, 0.64, 0.03) or (0.33, 0.03, 0.64) (fair coin per group). Anomalous
    group i (i = 0, 1, ...) has type ``i % 3 + 1``: 1 = N((-0.4, 1), I);
    2 = the three components plus a fourth at (0.6, -1), weights
    (0.1, 0.08, 0.07, 0.75); 3 = plus a fourth at (-0.5, 1), weights
    (0.14, 0.1, 0.28, 0.48); all mixture components have covariance 0.2 I.

    ``kind="distribution"``: every group has equal weights (1/3 each). Since
    0.2 I is unchanged by rotation, components use the anisotropic covariance
    R diag(0.32, 0.125) R^T (determinant 0.04 = det(0.2 I)): normal groups with
    R = identity (major axis along x), anomalous groups with R = rotation by 45
    degrees. Every anomalous point is plausible under the normal model; only
    the group's shape (orientation) differs.

    Returns ``X`` (n_points, 2) float32, ``groups`` (n_points,) int64 with ids
    ``first_group_id, first_group_id + 1, ...`` (normal groups first, then the
    anomalous ones), and ``y`` (n_groups,) int64, one label per group in the
    order of ``np.unique(groups)``.
    """
    if kind not in ("point", "distribution"):
        raise ValueError(f"kind must be 'point' or 'distribution', got {kind!r}")
    if n_normal < 0 or n_anomalous < 0:
        raise ValueError("n_normal and n_anomalous must be >= 0")
    rng = np.random.default_rng(random_state)
    n_groups = n_normal + n_anomalous
    sizes = np.maximum(rng.poisson(mean_group_size, size=n_groups), 2)
    Xs, gs = [], []
    cov_n = [distribution_covariance(0.0)] * 3
    cov_a = [distribution_covariance(ROTATION_DEG)] * 3
    for g in range(n_groups):
        n = int(sizes[g])
        anomalous = g >= n_normal
        if kind == "point":
            if not anomalous:
                w = POINT_NORMAL_WEIGHTS[int(rng.integers(2))]
                pts = _mixture_sample(rng, n, MEANS, w, [0.2 * np.eye(2)] * 3)
            else:
                pts = _point_anomaly(rng, n, (g - n_normal) % 3 + 1)
        else:
            pts = _mixture_sample(rng, n, MEANS, (1 / 3, 1 / 3, 1 / 3),
                                  cov_a if anomalous else cov_n)
        Xs.append(pts)
        gs.append(np.full(n, first_group_id + g, dtype=np.int64))
    X = np.vstack(Xs).astype(np.float32) if Xs else np.zeros((0, 2), np.float32)
    groups = np.concatenate(gs) if gs else np.zeros(0, np.int64)
    y = np.r_[np.zeros(n_normal, np.int64), np.ones(n_anomalous, np.int64)]
    return X, groups, y


def load_synthetic_groups(
    data_home: Path, *, kind: str = "point", n_train_groups: int = 50,
    n_test_normal: int = 50, n_test_anomalous: int = 10, mean_group_size: float = 100.0,
    random_state: int = 0,
) -> Dataset:
    """Synthetic Gaussian-mixture groups; see :func:`make_gaussian_mixture_groups`.

    Training: ``n_train_groups`` normal groups (ids 0..n_train_groups-1). Test:
    ``n_test_normal`` normal then ``n_test_anomalous`` anomalous groups, ids
    continuing after the training ids. No data files are needed.
    """
    rng = np.random.default_rng(random_state)
    s1, s2 = rng.integers(2**31, size=2)
    Xtr, gtr, ytr = make_gaussian_mixture_groups(
        n_train_groups, 0, kind, mean_group_size, int(s1), 0)
    Xte, gte, yte = make_gaussian_mixture_groups(
        n_test_normal, n_test_anomalous, kind, mean_group_size, int(s2), n_train_groups)
    meta = {
        "source": "synthetic (genad.datasets.make_gaussian_mixture_groups)",
        "protocol": f"{kind}-based group anomalies (Muandet & Schoelkopf 2013)",
        "kind": kind, "means": MEANS.tolist(), "mean_group_size": mean_group_size,
        "random_state": random_state,
    }
    if kind == "point":
        meta["covariance"] = "0.2 I"
        meta["normal_weights"] = [list(w) for w in POINT_NORMAL_WEIGHTS]
        meta["anomaly_types"] = {
            "1": "N((-0.4, 1), I)",
            "2": "mixture + 4th component at (0.6, -1), weights (0.1, 0.08, 0.07, 0.75)",
            "3": "mixture + 4th component at (-0.5, 1), weights (0.14, 0.1, 0.28, 0.48)",
        }
        meta["test_anomaly_type"] = [0] * n_test_normal + [
            i % 3 + 1 for i in range(n_test_anomalous)]
    else:
        meta["covariance"] = (
            "anisotropic, eigenvalues (0.32, 0.125) (det = det(0.2 I)); major axis "
            "along x for normal groups, rotated 45 degrees for anomalous groups")
        meta["normal_covariance"] = distribution_covariance(0.0).tolist()
        meta["anomalous_covariance"] = distribution_covariance(ROTATION_DEG).tolist()
        meta["weights"] = [1 / 3] * 3
    return Dataset(
        name="synthetic-groups", X_train=Xtr, y_train=ytr, X_test=Xte, y_test=yte,
        feature_names=["x1", "x2"], groups_train=gtr, groups_test=gte, metadata=meta,
    )


# ---------------------------------------------------------------- SDSS


@functools.lru_cache(maxsize=2)
def _read_sdss(path: str, mtime: float):
    df = pd.read_csv(path, skip_blank_lines=True).dropna(how="all")
    gid = df["GroupID"].to_numpy(np.int64)
    X = df.drop(columns=["GroupID"]).to_numpy(np.float64)
    return X, gid, [c for c in df.columns if c != "GroupID"]


def _sdss_anomalous_group(rng, kind, size, X, sizes, cov):
    if kind == 1:  # random galaxies from all groups
        return X[rng.choice(len(X), size=size, replace=False)]
    # 3-component mixture, means = means of random sets of galaxies
    means = [X[rng.choice(len(X), size=int(rng.choice(sizes)), replace=False)].mean(0)
             for _ in range(3)]
    comp = rng.integers(3, size=size)
    out = np.empty((size, X.shape[1]))
    for k in range(3):
        m = comp == k
        if m.any():
            out[m] = rng.multivariate_normal(means[k], cov, size=int(m.sum()))
    return out


def load_sdss_groups(
    data_home: Path, *, anomaly_type: int = 1, n_anomalous: int = 50,
    train_fraction: float = 0.5, random_state: int = 0,
) -> Dataset:
    """SDSS galaxy groups (505 normal groups, 7,530 galaxies, 4 PCA features).

    The normal groups are split by group (``train_fraction`` to training); test
    gets the other normal groups plus ``n_anomalous`` injected anomalous groups
    (Muandet & Schoelkopf 2013; Guevara et al.), each with a size drawn from
    the normal groups' sizes:

    - ``anomaly_type=1``: points drawn at random (without replacement) from all
      7,530 galaxies;
    - ``2``: a 3-component Gaussian mixture with equal weights; each component
      mean is the mean of a random set of galaxies (set size drawn from the
      normal group sizes, galaxies drawn from all galaxies); covariance
      0.5 x the mean within-group covariance (average over the 505 groups of
      their sample covariance);
    - ``3``: the same with 1.0 x the mean within-group covariance.

    Normal groups keep their SDSS ``GroupID`` (0..504); anomalous groups get ids
    505, 506, ... Labels are one per group in ``np.unique(groups)`` order.
    """
    if anomaly_type not in (1, 2, 3):
        raise ValueError(f"anomaly_type must be 1, 2 or 3, got {anomaly_type!r}")
    if not isinstance(n_anomalous, (int, np.integer)) or n_anomalous < 0:
        raise ValueError(f"n_anomalous must be an int >= 0, got {n_anomalous!r}")
    check_fraction("train_fraction", train_fraction, 0.01, 0.99)
    f = require_file(data_home, "sdss/spectrum_s1_pca.csv", "sdss-groups", SDSS_SOURCE)
    X, gid, feats = _read_sdss(str(f), f.stat().st_mtime)
    ids, sizes = np.unique(gid, return_counts=True)
    rng = np.random.default_rng(random_state)
    perm = rng.permutation(ids)
    n_tr = int(round(train_fraction * len(ids)))
    tr_ids, te_ids = np.sort(perm[:n_tr]), np.sort(perm[n_tr:])
    # mean within-group covariance over all normal groups
    covs = [np.cov(X[gid == g].T) for g in ids]
    mean_cov = np.mean(covs, axis=0)
    factor = {1: None, 2: 0.5, 3: 1.0}[anomaly_type]
    next_id = int(ids.max()) + 1
    anom_X, anom_g = [], []
    for i in range(n_anomalous):
        size = int(rng.choice(sizes))
        pts = _sdss_anomalous_group(
            rng, anomaly_type, size, X, sizes,
            None if factor is None else factor * mean_cov)
        anom_X.append(pts)
        anom_g.append(np.full(size, next_id + i, np.int64))
    m_tr, m_te = np.isin(gid, tr_ids), np.isin(gid, te_ids)
    Xte = np.vstack([X[m_te]] + anom_X)
    gte = np.concatenate([gid[m_te]] + anom_g)
    order = np.argsort(gte, kind="stable")
    Xte, gte = Xte[order], gte[order]
    y_te = (np.unique(gte) >= next_id).astype(np.int64)
    return Dataset(
        name="sdss-groups",
        X_train=X[m_tr].astype(np.float32), y_train=np.zeros(len(tr_ids), np.int64),
        X_test=Xte.astype(np.float32), y_test=y_te,
        feature_names=feats, groups_train=gid[m_tr].copy(), groups_test=gte,
        metadata={
            "source": "SDSS galaxy groups, spectrum_s1_pca.csv "
            "(jorjasso/SMDD-group-anomaly-detection)",
            "protocol": "normal groups split by group; anomalous groups injected "
            "into test only (Muandet & Schoelkopf 2013)",
            "anomaly_type": anomaly_type,
            "anomaly_description": {
                1: "points drawn at random from all galaxies",
                2: "3-component Gaussian mixture, means = means of random sets of "
                   "galaxies, covariance 0.5 x mean within-group covariance",
                3: "same as 2 with 1.0 x mean within-group covariance",
            }[anomaly_type],
            "n_anomalous": int(n_anomalous),
            "n_anomalous_note": "number of injected anomalous test groups "
            "(default 50, about 20% of the test groups)",
            "train_fraction": train_fraction, "random_state": random_state,
            "train_group_ids": tr_ids.tolist(), "test_normal_group_ids": te_ids.tolist(),
            "anomalous_group_ids": list(range(next_id, next_id + n_anomalous)),
            "mean_within_group_covariance": mean_cov.tolist(),
        },
    )
