"""Windowing, transforms and NAB mapping in genad.datasets.timeseries: exact small examples."""

import numpy as np
import pandas as pd
import pytest

from genad.datasets.timeseries import (
    NAB_PROFILES,
    WindowScaler,
    calendar_windows,
    difference,
    nab_score,
    nab_window_scores,
    points_to_window_labels,
    rolling_zscore,
    seasonal_features,
    sliding_windows,
    window_scores_to_points,
    window_starts,
)


# ----------------------------------------------------------------------------- sliding windows
def test_sliding_windows_1d_exact():
    W = sliding_windows(np.arange(6), 3)
    assert W.shape == (4, 3, 1)
    np.testing.assert_array_equal(W[..., 0], [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]])


def test_sliding_windows_stride_and_2d_exact():
    x = np.arange(14).reshape(7, 2)  # column 0 even, column 1 odd
    W = sliding_windows(x, 3, stride=2)
    assert W.shape == (3, 3, 2)
    np.testing.assert_array_equal(W[1], [[4, 5], [6, 7], [8, 9]])
    np.testing.assert_array_equal(window_starts(7, 3, 2), [0, 2, 4])


def test_sliding_windows_is_a_view_and_remainder_dropped():
    x = np.arange(8.0)
    W = sliding_windows(x, 3, stride=3)  # windows at 0 and 3; points 6, 7 uncovered
    assert W.shape == (2, 3, 1)
    assert np.shares_memory(W, x)
    with pytest.raises(ValueError):
        W[0, 0, 0] = 1.0


@pytest.mark.parametrize("kwargs, msg", [
    ({"length": 10}, "longer than the series"),
    ({"length": 0}, "length must be a positive integer"),
    ({"length": 2, "stride": 0}, "stride must be a positive integer"),
])
def test_sliding_windows_errors(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        sliding_windows(np.arange(5.0), **kwargs)


def test_sliding_windows_rejects_3d():
    with pytest.raises(ValueError, match="1-D series"):
        sliding_windows(np.zeros((4, 2, 2)), 2)


# ----------------------------------------------------------------------------- calendar windows
def test_calendar_windows_days_exact():
    ts = pd.date_range("2024-01-01", periods=72, freq="h")  # three whole days, hourly
    vals = np.arange(72.0)
    res = calendar_windows(ts, vals, freq="D")
    assert res.windows.shape == (3, 24, 1)
    np.testing.assert_array_equal(res.windows[1, :, 0], np.arange(24.0, 48.0))
    assert list(res.starts) == list(pd.date_range("2024-01-01", periods=3, freq="D"))
    np.testing.assert_array_equal(res.coverage, [1.0, 1.0, 1.0])


def test_calendar_windows_fill_and_drop_partial():
    ts = pd.date_range("2024-01-01", periods=30, freq="h")  # one day plus 6 hours of the next
    vals = np.arange(30.0)
    keep = np.ones(30, bool)
    keep[5] = False  # a missing hour: filled by linear interpolation
    res = calendar_windows(ts[keep], vals[keep], freq="D", step="1h")
    assert res.windows.shape == (1, 24, 1)  # 6/24 of day 2 observed < min_coverage 0.5: dropped
    np.testing.assert_allclose(res.windows[0, :, 0], np.arange(24.0))
    np.testing.assert_allclose(res.coverage, [23 / 24])
    res2 = calendar_windows(ts, vals, freq="D", min_coverage=0.2)
    assert res2.windows.shape == (2, 24, 1)
    # the second day's missing hours are filled with its nearest observed value (29)
    np.testing.assert_allclose(res2.windows[1, :, 0], np.r_[np.arange(24.0, 30.0), np.full(18, 29.0)])


def test_calendar_windows_months_padded_and_averaged():
    ts = pd.date_range("2023-02-01", "2023-03-31 23:00", freq="12h")  # Feb: 56 slots, Mar: 62
    vals = np.ones(len(ts))
    vals[ts.month == 3] = 2.0
    res = calendar_windows(ts, vals, freq="M")
    assert res.windows.shape == (2, 62, 1)
    np.testing.assert_array_equal(res.windows[0, :, 0], np.ones(62))  # padded with its last value
    # 30-minute data averaged into hourly slots
    ts2 = pd.date_range("2024-01-01", periods=48, freq="30min")
    res2 = calendar_windows(ts2, np.arange(48.0), freq="D", step="1h")
    np.testing.assert_allclose(res2.windows[0, :, 0], np.arange(24) * 2 + 0.5)


def test_calendar_windows_errors():
    ts = pd.date_range("2024-01-01", periods=5, freq="h")
    with pytest.raises(ValueError, match="timestamps has 5 entries but values has 4"):
        calendar_windows(ts, np.zeros(4))
    with pytest.raises(ValueError, match="no 'D' period"):
        calendar_windows(ts, np.zeros(5), freq="D", step="1h")


# ----------------------------------------------------------------------------- transforms
def test_difference_exact():
    np.testing.assert_array_equal(difference([1, 4, 9, 16]), [3, 5, 7])
    np.testing.assert_array_equal(difference([1, 4, 9, 16], lag=2), [8, 12])
    np.testing.assert_array_equal(difference(np.array([[1, 10], [3, 30]])), [[2, 20]])
    with pytest.raises(ValueError, match="more than lag=4"):
        difference([1, 2, 3], lag=4)


def test_seasonal_features_exact():
    ts = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 06:00", "2024-01-01 18:00", "2024-01-04 12:00"])
    F = seasonal_features(ts)  # 2024-01-01 is a Monday
    assert F.shape == (4, 4)
    np.testing.assert_allclose(F[0], [0, 1, 0, 1], atol=1e-12)
    np.testing.assert_allclose(F[1, :2], [1, 0], atol=1e-12)
    np.testing.assert_allclose(F[2, :2], [-1, 0], atol=1e-12)
    # Thursday noon = 3.5 days into the week: half a turn
    np.testing.assert_allclose(F[3], [0, -1, 0, -1], atol=1e-12)


def test_window_scaler_fitted_on_training_only():
    train = np.array([[[0.0], [2.0]], [[4.0], [6.0]]])  # mean 3, std sqrt(5)
    sc = WindowScaler().fit(train)
    np.testing.assert_allclose(sc.offset_, [3.0])
    np.testing.assert_allclose(sc.scale_, [np.sqrt(5.0)])
    test = np.array([[[3.0], [3.0 + np.sqrt(5.0)]]])
    np.testing.assert_allclose(sc.transform(test), [[[0.0], [1.0]]])
    np.testing.assert_allclose(sc.inverse_transform(sc.transform(test)), test)
    mm = WindowScaler("minmax").fit(train)
    np.testing.assert_allclose(mm.transform(np.array([0.0, 3.0, 6.0])), [0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="expected 1 features"):
        sc.transform(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="not fitted"):
        WindowScaler().transform(train)
    with pytest.raises(ValueError, match=r"\(n, length, d\)"):
        WindowScaler().fit(np.zeros((4, 2)))


# ----------------------------------------------------------------------------- windows <-> points
def test_window_scores_to_points_max_and_mean():
    s = [1.0, 5.0, 2.0]  # windows [0,1,2], [1,2,3], [2,3,4] of 5 points
    np.testing.assert_array_equal(window_scores_to_points(s, 5, 3, agg="max"), [1, 5, 5, 5, 2])
    np.testing.assert_allclose(window_scores_to_points(s, 5, 3, agg="mean"),
                               [1, 3, 8 / 3, 3.5, 2])


def test_window_scores_to_points_stride_and_uncovered_tail():
    # 8 points, length 3, stride 2: windows at 0, 2, 4; points 7 uncovered -> last window's score
    out = window_scores_to_points([1.0, 3.0, 2.0], 8, 3, stride=2)
    np.testing.assert_array_equal(out, [1, 1, 3, 3, 3, 2, 2, 2])
    with pytest.raises(ValueError, match="expected 3 window scores"):
        window_scores_to_points([1.0, 2.0], 8, 3, stride=2)
    with pytest.raises(ValueError, match='agg must be "max" or "mean"'):
        window_scores_to_points([1.0, 3.0, 2.0], 8, 3, stride=2, agg="median")


def test_points_to_window_labels_exact():
    y = [0, 0, 1, 0, 0, 1, 1, 0]
    np.testing.assert_array_equal(points_to_window_labels(y, 3), [1, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(points_to_window_labels(y, 2, stride=2), [0, 1, 1, 1])
    np.testing.assert_array_equal(points_to_window_labels(y, 3, min_points=2), [0, 0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="only 0"):
        points_to_window_labels([0, 2, 1], 2)


def test_rolling_zscore_exact_and_detects_spike():
    z = rolling_zscore([1.0, 3.0, 1.0, 3.0, 7.0], window=4, min_periods=2)
    # t=2: past [1,3] mean 2 std 1 -> 1; t=3: past [1,3,1] mean 5/3 std 0.943 -> 1.414;
    # t=4: past [1,3,1,3] mean 2 std 1 -> 5
    np.testing.assert_allclose(z, [0, 0, 1, (3 - 5 / 3) / np.std([1, 3, 1]), 5])
    rng = np.random.default_rng(0)
    x = rng.normal(size=500)
    x[400] += 10
    assert int(np.argmax(rolling_zscore(x, 50))) == 400
    two = np.c_[x, np.zeros(500)]  # several features: the largest |z| per point
    assert int(np.argmax(rolling_zscore(two, 50))) == 400


# ----------------------------------------------------------------------------- NAB
def _nab_example():
    ts = pd.date_range("2024-01-01", periods=20, freq="h")
    windows = [[ts[5].isoformat(), ts[9].isoformat()], [ts[14].isoformat(), ts[15].isoformat()]]
    return ts, windows


def test_nab_window_scores_exact():
    ts, windows = _nab_example()
    s = np.zeros(20)
    s[7], s[15], s[2] = 3.0, 1.0, 2.0
    wmax, outside = nab_window_scores(s, ts, windows)
    np.testing.assert_array_equal(wmax, [3.0, 1.0])
    assert len(outside) == 20 - 5 - 2 and outside.max() == 2.0


def test_nab_score_rules():
    ts, windows = _nab_example()
    none = nab_score(np.zeros(20), ts, windows)
    assert none["raw"] == -2.0 and none["null"] == -2.0 and none["normalized"] == 0.0
    perfect = np.zeros(20)
    perfect[[5, 14]] = 1  # both windows at their first point
    r = nab_score(perfect, ts, windows)
    assert r["raw"] == pytest.approx(2.0) and r["normalized"] == pytest.approx(100.0)
    # a later detection in the same window is ignored; a detection late in a window earns less
    late = perfect.copy()
    late[[6, 7]] = 1
    assert nab_score(late, ts, windows)["raw"] == pytest.approx(2.0)
    at_end = np.zeros(20)
    at_end[9] = 1  # last point of a 5-point window: sigma(-1/5) / sigma(-1)
    sig = lambda y: 2 / (1 + np.exp(5 * y)) - 1  # noqa: E731
    assert nab_score(at_end, ts, windows)["raw"] == pytest.approx(sig(-0.2) / sig(-1.0) - 1.0)
    # a false positive before any window costs A_fp; one right after a window costs less
    fp = perfect.copy()
    fp[0] = 1
    assert nab_score(fp, ts, windows)["raw"] == pytest.approx(2.0 - NAB_PROFILES["standard"]["fp"])
    fp2 = perfect.copy()
    fp2[10] = 1  # 1 point after a window of width 5: y = 1 / 4
    assert nab_score(fp2, ts, windows)["raw"] == pytest.approx(2.0 + 0.11 * sig(0.25))
    # reward_low_FN_rate doubles the cost of a miss; probation ignores early points
    assert nab_score(np.zeros(20), ts, windows, profile="reward_low_FN_rate")["raw"] == -4.0
    assert nab_score(fp, ts, windows, probation=1)["raw"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="profile must be one of"):
        nab_score(fp, ts, windows, profile="nope")


def _nab_reference(det, spans, probation, w):
    """NAB's sweeper, point by point (as in numenta/NAB), for comparison."""
    sig = lambda y: -1.0 if y > 3.0 else 2 / (1 + np.exp(5 * y)) - 1  # noqa: E731
    raw, done, prev = 0.0, set(), None
    for i in range(len(det)):
        cur = next((j for j, (a, b) in enumerate(spans) if a <= i <= b), None)
        if i >= probation and det[i]:
            if cur is not None:
                if cur not in done:
                    a, b = spans[cur]
                    raw += w["tp"] * sig(-(b - i + 1) / (b - a + 1)) / sig(-1.0)
                    done.add(cur)
            elif prev is None:
                raw -= w["fp"]
            else:
                a, b = prev
                raw += w["fp"] * sig(abs(b - i) / (b - a))
        if cur is not None and i == spans[cur][1]:
            prev = spans[cur]
    return raw - w["fn"] * sum(1 for j, s in enumerate(spans) if s[1] >= probation and j not in done)


@pytest.mark.parametrize("seed", range(5))
def test_nab_score_matches_point_by_point_reference(seed):
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2024-01-01", periods=300, freq="5min")
    spans = [(40, 69), (150, 160), (230, 259)]
    windows = [[ts[a].isoformat(), ts[b].isoformat()] for a, b in spans]
    det = rng.random(300) < 0.05
    for profile, w in NAB_PROFILES.items():
        got = nab_score(det, ts, windows, profile=profile, probation=45)["raw"]
        assert got == pytest.approx(_nab_reference(det, spans, 45, w))


def test_nab_metrics_live_in_genad_metrics_and_keep_their_old_path():
    import genad.datasets.timeseries as old
    import genad.metrics as metrics

    for name in ("nab_score", "nab_window_scores", "NAB_PROFILES"):
        assert getattr(old, name) is getattr(metrics, name)
