"""Property-based tests (hypothesis) for input validation, thresholds and metrics."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

from genad import thresholds as T
from genad.metrics import evaluate
from genad.validation import check_X

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
shapes = st.tuples(st.integers(1, 30), st.integers(1, 6))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, shapes, elements=finite))
def test_finite_arrays_pass_unchanged(X):
    out = check_X(X)
    np.testing.assert_array_equal(out, X)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, shapes, elements=finite), st.data(), st.sampled_from([np.nan, np.inf, -np.inf]))
def test_any_non_finite_value_is_named(X, data, bad):
    i = data.draw(st.integers(0, X.shape[0] - 1))
    j = data.draw(st.integers(0, X.shape[1] - 1))
    X = X.copy()
    X[i, j] = bad
    with pytest.raises(ValueError) as err:
        check_X(X)
    msg = str(err.value)
    assert ("NaN" in msg) if np.isnan(bad) else ("infinite" in msg)
    first_bad_col = int(np.flatnonzero(~np.isfinite(X).all(axis=0))[0])
    assert f"feature {first_bad_col}" in msg


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, shapes, elements=finite), st.integers(1, 6))
def test_feature_count_mismatch(X, d):
    if d == X.shape[1]:
        assert check_X(X, input_shape=(d,)).shape == X.shape
    else:
        with pytest.raises(ValueError, match=f"{X.shape[1]} features, but the model was fitted on {d}"):
            check_X(X, input_shape=(d,))


labelled = st.integers(4, 60).flatmap(
    lambda n: st.tuples(
        arrays(np.int64, n, elements=st.integers(0, 1)).filter(lambda y: 0 < y.sum() < len(y)),
        arrays(np.float64, n, elements=st.floats(-100, 100, allow_nan=False)),
    )
)


@settings(max_examples=80, deadline=None)
@given(labelled)
def test_evaluate_matches_sklearn(data):
    y, s = data
    out = evaluate(y, s, threshold=0.0)
    assert out["roc_auc"] == pytest.approx(roc_auc_score(y, s))
    assert out["pr_auc"] == pytest.approx(average_precision_score(y, s))
    assert out["f1"] == pytest.approx(f1_score(y, s > 0.0, zero_division=0))
    assert out["tp"] + out["fp"] + out["tn"] + out["fn"] == len(y)


@settings(max_examples=80, deadline=None)
@given(labelled)
def test_oracle_threshold_is_best_f1_and_labelled(data):
    y, s = data
    out = evaluate(y, s)
    assert "f1" not in out and "oracle_f1" in out
    candidates = np.r_[np.unique(s), s.min() - 1]
    best = max(f1_score(y, s > t, zero_division=0) for t in candidates)
    assert out["oracle_f1"] == pytest.approx(best)


@settings(max_examples=80, deadline=None)
@given(arrays(np.float64, st.integers(1, 200), elements=st.floats(-1e3, 1e3, allow_nan=False)),
       st.floats(0.0, 0.5))
def test_fpr_threshold_bounds_false_alarms(cal, fpr):
    t = T.by_fpr(cal, fpr)
    assert (cal > t).mean() <= fpr + 1e-12


@settings(max_examples=80, deadline=None)
@given(arrays(np.float64, st.integers(1, 100), elements=st.floats(-1e3, 1e3, allow_nan=False)),
       arrays(np.float64, st.integers(1, 50), elements=st.floats(-1e3, 1e3, allow_nan=False)))
def test_conformal_p_values(cal, s):
    p = T.conformal_p_values(cal, s)
    assert ((p > 0) & (p <= 1)).all()
    order = np.argsort(s)
    assert (np.diff(p[order]) <= 1e-15).all()  # higher score -> smaller p-value
    brute = (1 + (cal[None, :] >= s[:, None]).sum(1)) / (len(cal) + 1)
    np.testing.assert_allclose(p, brute)


def test_from_labels_metrics():
    y = np.array([0, 0, 0, 0, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.9, 0.8, 0.95])
    t_f1 = T.from_labels(y, s, "f1")
    assert f1_score(y, s > t_f1) == pytest.approx(0.8)
    t_rec = T.from_labels(y, s, "precision_at_recall", min_recall=1.0)
    assert ((s > t_rec) & (y == 1)).sum() == 2
    assert T.from_labels(y, s, "accuracy") >= 0.3
    with pytest.raises(ValueError, match="unknown metric"):
        T.from_labels(y, s, "auc")
    with pytest.raises(ValueError, match="both normal"):
        T.from_labels(np.zeros(6), s)
    assert T.by_mad([1, 1, 1, 1, 10], 3) == pytest.approx(1.0)
    assert T.by_std([0.0, 2.0], 1) == pytest.approx(2.0)
