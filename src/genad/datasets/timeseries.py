"""Time-series helpers: cut a series into windows for sequence detectors, and map window scores
back to time points and to labelled anomaly windows (NAB).

* :func:`sliding_windows` -- ``(n, d)`` series -> ``(n_windows, length, d)`` (a strided view);
* :func:`calendar_windows` -- one equal-length window per day / week / hour ... (pandas);
* :func:`difference`, :func:`seasonal_features` -- simple transforms;
* :class:`WindowScaler` -- per-feature scaling fitted on training windows only;
* :func:`window_scores_to_points`, :func:`points_to_window_labels` -- between windows and points;
* :func:`rolling_zscore` -- the classic baseline: distance from a trailing mean in trailing stds;
* :func:`nab_window_scores`, :func:`nab_score` -- scores per labelled NAB window, and NAB's
  own scoring rule (application profiles); defined in :mod:`genad.metrics`, importable here.

A window ``i`` of :func:`sliding_windows` covers points ``i*stride .. i*stride + length - 1``;
every function here uses that convention.

A typical run (train on the first 15% of a series, score every point)::

    from genad import Seq2Seq
    from genad.datasets import load_nab_series
    from genad.datasets.timeseries import sliding_windows, window_scores_to_points

    df, windows = load_nab_series("realKnownCause/nyc_taxi")
    W = sliding_windows(df["value"].to_numpy(), 48)           # (n - 47, 48, 1)
    n_train = int(0.15 * len(df))
    det = Seq2Seq(epochs=30, random_state=0).fit(W[: n_train - 47])
    point_scores = window_scores_to_points(det.decision_function(W), len(df), 48)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

# NAB's scoring lives with the other metrics; importable from here as before
from ..metrics import NAB_PROFILES, nab_score, nab_window_scores  # noqa: F401

__all__ = [
    "sliding_windows",
    "calendar_windows",
    "CalendarWindows",
    "difference",
    "seasonal_features",
    "WindowScaler",
    "window_scores_to_points",
    "points_to_window_labels",
    "window_starts",
    "rolling_zscore",
    "nab_window_scores",
    "nab_score",
    "NAB_PROFILES",
]


# ----------------------------------------------------------------------------- helpers
def _as_series(values, name: str = "values") -> tuple[np.ndarray, bool]:
    """``(n, d)`` float array and whether the input was 1-D."""
    arr = np.asarray(values)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric; got dtype {arr.dtype}.")
    if arr.ndim == 1:
        return arr[:, None], True
    if arr.ndim == 2:
        return arr, False
    raise ValueError(f"{name} must be a 1-D series (n,) or a 2-D series (n, d); got shape {arr.shape}.")


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def _n_windows(n_points: int, length: int, stride: int) -> int:
    if length > n_points:
        raise ValueError(f"window length {length} is longer than the series ({n_points} points); "
                         "use a shorter length.")
    return (n_points - length) // stride + 1


def window_starts(n_points: int, length: int, stride: int = 1) -> np.ndarray:
    """First point of every window of :func:`sliding_windows` (``0, stride, 2*stride, ...``)."""
    length, stride = _positive_int(length, "length"), _positive_int(stride, "stride")
    return np.arange(_n_windows(int(n_points), length, stride)) * stride


# ----------------------------------------------------------------------------- windows
def sliding_windows(values, length: int, stride: int = 1) -> np.ndarray:
    """Overlapping windows of a series: ``(n_windows, length, d)``.

    ``values`` is ``(n,)`` or ``(n, d)``; window ``i`` is ``values[i*stride : i*stride+length]``
    and ``n_windows = (n - length) // stride + 1`` (a trailing remainder shorter than a stride
    is not covered). The result is a read-only strided *view* (no copy); use ``np.array(...)``
    for a writable copy.

    >>> sliding_windows(np.arange(5), 3, stride=2)[..., 0]
    array([[0, 1, 2],
           [2, 3, 4]])
    """
    arr, _ = _as_series(values)
    length, stride = _positive_int(length, "length"), _positive_int(stride, "stride")
    _n_windows(len(arr), length, stride)
    view = np.lib.stride_tricks.sliding_window_view(arr, length, axis=0)  # (n-L+1, d, L)
    return view[::stride].transpose(0, 2, 1)


class CalendarWindows(NamedTuple):
    """Result of :func:`calendar_windows`."""

    windows: np.ndarray  # (n_periods, length, d)
    starts: pd.DatetimeIndex  # first timestamp of each period
    coverage: np.ndarray  # share of each window's slots that had data before filling


def calendar_windows(timestamps, values, freq: str = "D", *, step=None, min_coverage: float = 0.5) -> CalendarWindows:
    """One window per calendar period (``freq``: "D" day, "W" week, "h" hour, "M" month ...).

    Equal lengths come from this rule:

    1. the series is resampled to a regular grid of ``step`` (default: the median spacing of
       the timestamps), each slot holding the mean of the points that fall in it;
    2. each period's window has one slot per ``step`` from the period's start to its end
       (a day of 5-minute data: 288 slots);
    3. empty slots are filled by linear interpolation inside the period (the nearest value at
       its edges); periods with less than ``min_coverage`` of their slots observed (such as a
       partial first or last day) are dropped;
    4. when periods differ in length (months), shorter windows are padded at the end by
       repeating their last value up to the longest period.

    Returns ``CalendarWindows(windows, starts, coverage)``.
    """
    arr, _ = _as_series(values)
    ts = pd.DatetimeIndex(pd.to_datetime(np.asarray(timestamps)))
    if len(ts) != len(arr):
        raise ValueError(f"timestamps has {len(ts)} entries but values has {len(arr)} rows.")
    if len(ts) < 2:
        raise ValueError("calendar_windows needs at least 2 time points.")
    if not 0.0 <= float(min_coverage) <= 1.0:
        raise ValueError(f"min_coverage must be in [0, 1]; got {min_coverage!r}.")
    df = pd.DataFrame(np.asarray(arr, dtype=np.float64), index=ts).sort_index()
    if step is None:
        diffs = pd.Series(df.index).diff()
        diffs = diffs[diffs > pd.Timedelta(0)]
        if len(diffs) == 0:
            raise ValueError("all timestamps are equal; pass step= explicitly.")
        step = diffs.median()
    step = pd.Timedelta(step)
    if step <= pd.Timedelta(0):
        raise ValueError(f"step must be a positive duration; got {step!r}.")
    try:
        periods = df.index.to_period(freq)
    except (ValueError, TypeError) as err:
        raise ValueError(f"freq={freq!r} is not a pandas period frequency (try 'D', 'W', 'h', 'M'): {err}") from None
    wins, starts, cov = [], [], []
    for period in pd.unique(periods):
        start, end = period.start_time, period.end_time
        grid = pd.date_range(start, end, freq=step)
        part = df.loc[start:end]
        if len(part) == 0 or len(grid) == 0:
            continue
        slots = ((part.index - start) // step).to_numpy()
        binned = part.groupby(slots).mean()
        full = pd.DataFrame(np.nan, index=np.arange(len(grid)), columns=df.columns)
        keep = binned.index[(binned.index >= 0) & (binned.index < len(grid))]
        full.loc[keep] = binned.loc[keep].to_numpy()
        c = float(full.notna().all(axis=1).mean())
        if c < min_coverage or c == 0.0:
            continue
        full = full.interpolate(method="linear", limit_direction="both")
        wins.append(full.to_numpy())
        starts.append(start)
        cov.append(c)
    if not wins:
        raise ValueError(f"no {freq!r} period has at least min_coverage={min_coverage} of its slots observed.")
    L = max(len(w) for w in wins)
    out = np.stack([np.concatenate([w, np.repeat(w[-1:], L - len(w), axis=0)]) if len(w) < L else w for w in wins])
    return CalendarWindows(out, pd.DatetimeIndex(starts), np.asarray(cov))


def difference(values, lag: int = 1) -> np.ndarray:
    """``values[t] - values[t - lag]`` for ``t = lag .. n-1`` (``n - lag`` rows, same trailing shape)."""
    arr = np.asarray(values)
    lag = _positive_int(lag, "lag")
    if arr.ndim == 0 or lag >= len(arr):
        raise ValueError(f"difference needs more than lag={lag} points; got {arr.shape[0] if arr.ndim else 0}.")
    return arr[lag:] - arr[:-lag]


def seasonal_features(timestamps) -> np.ndarray:
    """Cyclic calendar features ``(n, 4)``: sin and cos of the hour of day (minutes and seconds
    included, period 24 h) and of the day of week (Monday = 0, period 7 days, the time of day
    included), so that 23:59 sits next to 00:00 and Sunday next to Monday.

    Columns: ``hour_sin, hour_cos, dow_sin, dow_cos``.
    """
    ts = pd.DatetimeIndex(pd.to_datetime(np.asarray(timestamps)))
    hour = ts.hour + ts.minute / 60.0 + ts.second / 3600.0
    day = ts.day_of_week + hour / 24.0
    a, b = 2 * np.pi * np.asarray(hour) / 24.0, 2 * np.pi * np.asarray(day) / 7.0
    return np.column_stack([np.sin(a), np.cos(a), np.sin(b), np.cos(b)])


class WindowScaler:
    """Per-feature scaling of windows ``(n, length, d)``, fitted on training windows only.

    kind : "standard" (subtract the mean, divide by the std) or "minmax" (to [0, 1]) over all
        training windows and time steps of each feature. Constant features get scale 1.
    ``transform`` accepts windows ``(n, L, d)`` of any length or a raw series ``(n, d)`` / ``(n,)``
    with the same features.
    """

    def __init__(self, kind: str = "standard"):
        self.kind = kind

    def fit(self, windows) -> "WindowScaler":
        if self.kind not in ("standard", "minmax"):
            raise ValueError(f'kind must be "standard" or "minmax"; got {self.kind!r}.')
        W = np.asarray(windows, dtype=np.float64)
        if W.ndim != 3 or len(W) == 0:
            raise ValueError(f"fit expects training windows of shape (n, length, d); got {W.shape}.")
        flat = W.reshape(-1, W.shape[2])
        if self.kind == "standard":
            self.offset_, scale = flat.mean(axis=0), flat.std(axis=0)
        else:
            self.offset_ = flat.min(axis=0)
            scale = flat.max(axis=0) - self.offset_
        self.scale_ = np.where(scale > 1e-12 * np.maximum(1.0, np.abs(self.offset_)), scale, 1.0)
        self.n_features_in_ = int(W.shape[2])
        return self

    def _check(self, X) -> np.ndarray:
        if not hasattr(self, "scale_"):
            raise ValueError("WindowScaler is not fitted yet; call fit(training_windows) first.")
        X = np.asarray(X, dtype=np.float64)
        d = 1 if X.ndim == 1 else X.shape[-1]
        if d != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features (last axis); got {d}.")
        return X

    def transform(self, X) -> np.ndarray:
        X = self._check(X)
        off, sc = (self.offset_[0], self.scale_[0]) if X.ndim == 1 else (self.offset_, self.scale_)
        return (X - off) / sc

    def inverse_transform(self, X) -> np.ndarray:
        X = self._check(X)
        off, sc = (self.offset_[0], self.scale_[0]) if X.ndim == 1 else (self.offset_, self.scale_)
        return X * sc + off

    def fit_transform(self, windows) -> np.ndarray:
        return self.fit(windows).transform(windows)


# ----------------------------------------------------------------------------- windows <-> points
def window_scores_to_points(window_scores, n_points: int, length: int, stride: int = 1, agg: str = "max") -> np.ndarray:
    """Score of every time point from the scores of the windows that contain it.

    ``agg="max"``: the highest score of a window covering the point (an anomaly is flagged
    wherever any window around it is); ``agg="mean"``: their average. Points that no window
    covers (the last ``(n_points - length) % stride`` points) take the score of the last window.

    >>> window_scores_to_points([1.0, 5.0, 2.0], 5, 3)
    array([1., 5., 5., 5., 2.])
    """
    s = np.asarray(window_scores, dtype=np.float64).ravel()
    length, stride = _positive_int(length, "length"), _positive_int(stride, "stride")
    n_points = _positive_int(n_points, "n_points")
    n_win = _n_windows(n_points, length, stride)
    if len(s) != n_win:
        raise ValueError(f"expected {n_win} window scores for {n_points} points (length={length}, "
                         f"stride={stride}); got {len(s)}.")
    if agg not in ("max", "mean"):
        raise ValueError(f'agg must be "max" or "mean"; got {agg!r}.')
    idx = (np.arange(n_win) * stride)[:, None] + np.arange(length)[None, :]  # points of each window
    vals = np.broadcast_to(s[:, None], idx.shape)
    if agg == "max":
        out = np.full(n_points, -np.inf)
        np.maximum.at(out, idx.ravel(), vals.ravel())
    else:
        tot, cnt = np.zeros(n_points), np.zeros(n_points)
        np.add.at(tot, idx.ravel(), vals.ravel())
        np.add.at(cnt, idx.ravel(), 1.0)
        out = np.divide(tot, cnt, out=np.full(n_points, -np.inf), where=cnt > 0)
    covered_to = (n_win - 1) * stride + length
    out[covered_to:] = s[-1]
    return out


def points_to_window_labels(point_labels, length: int, stride: int = 1, min_points: int = 1) -> np.ndarray:
    """Label of every window: 1 when at least ``min_points`` of its points are labelled 1.

    >>> points_to_window_labels([0, 0, 1, 0, 0, 0], 2, stride=2)
    array([0, 1, 0])
    """
    y = np.asarray(point_labels)
    if y.ndim != 1:
        raise ValueError(f"point_labels must be 1-D; got shape {y.shape}.")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("point_labels must hold only 0 (normal) and 1 (anomaly).")
    min_points = _positive_int(min_points, "min_points")
    return (sliding_windows(y.astype(np.int64), length, stride)[..., 0].sum(axis=1) >= min_points).astype(np.int64)


# ----------------------------------------------------------------------------- baseline
def rolling_zscore(values, window: int, min_periods: int | None = None) -> np.ndarray:
    """Point scores ``|x_t - mean| / std`` against the ``window`` points *before* t.

    For several features the score is the largest absolute z over features. The first points,
    with fewer than ``min_periods`` (default ``window // 2``, at least 2) earlier points, score 0.
    A zero trailing std counts as a tiny one (1e-12 times the level, at least 1e-12), so any
    change after a flat stretch scores high.

    >>> rolling_zscore([1.0, 1.0, 2.0, 1.0, 3.0], window=2, min_periods=2).round(3).tolist()
    [0.0, 0.0, 1000000000000.0, 1.0, 3.0]
    """
    arr, _ = _as_series(values)
    window = _positive_int(window, "window")
    mp = max(2, window // 2) if min_periods is None else _positive_int(min_periods, "min_periods")
    df = pd.DataFrame(np.asarray(arr, dtype=np.float64))
    past = df.shift(1).rolling(window, min_periods=mp)
    mu, sd = past.mean(), past.std(ddof=0)
    floor = np.maximum(1e-12, 1e-12 * mu.abs())
    z = ((df - mu).abs() / np.maximum(sd, floor)).to_numpy()
    z = np.nan_to_num(z, nan=0.0)
    return z.max(axis=1)
