"""det.explain(X): shapes, names, what the contributions add up to, and that they point at the
feature that makes a row anomalous, for every point and group detector."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import genad
from genad.explain import method_for
from genad_testing import exported_detectors, make_fast, training_data

D = 6
PLANTED = 2


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(0)
    cols = [f"f{j}" for j in range(D)]
    X = pd.DataFrame(rng.normal(size=(400, D)), columns=cols)
    Xt = rng.normal(size=(8, D))
    Xt[:, PLANTED] += 7.0
    return X, pd.DataFrame(Xt, columns=cols)


@pytest.fixture(scope="module", params=exported_detectors(), ids=lambda c: c.__name__)
def fitted(request, rows):
    X, _ = rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_fast(request.param).fit(*training_data(request.param, X))


def test_explain_rows(fitted, rows):
    _, Xt = rows
    e = fitted.explain(Xt)
    assert e.values.shape == (len(Xt), D)
    assert e.feature_names == list(Xt.columns)
    np.testing.assert_allclose(e.scores, fitted.decision_function(Xt), rtol=1e-6, atol=1e-9)
    total = e.base_values + e.values.sum(axis=1)
    # exact for reconstruction shares and Shapley values; integrated gradients up to the path sum
    tol = 0.1 if e.method == "integrated_gradients" else 1e-5
    np.testing.assert_allclose(total, e.scores, rtol=tol, atol=tol * np.abs(e.scores).max())
    assert e.method == method_for(fitted)
    top = e.top(2)
    assert len(top) == len(Xt) and all(len(r) == 2 for r in top)
    assert all(r[0][1] >= r[1][1] for r in top)
    assert e.to_frame().shape == (len(Xt), D)


@pytest.mark.parametrize("name", ["AutoEncoder", "VAE", "IsolationForest", "KNN", "PCA", "KDE", "GMM"])
def test_planted_feature_ranks_first(name, rows):
    X, Xt = rows
    det = make_fast(getattr(genad, name)).fit(X)
    top = det.explain(Xt).top(1)
    assert sum(r[0][0] == f"f{PLANTED}" for r in top) >= 7, top


def test_shapley_budget_and_background(rows):
    X, Xt = rows
    det = genad.IsolationForest(random_state=0).fit(X)
    a = det.explain(Xt, max_evals=64)
    b = det.explain(Xt, background=X.iloc[:50], max_evals=4096)
    for e in (a, b):
        np.testing.assert_allclose(e.base_values + e.values.sum(1), e.scores, rtol=1e-9)
    # more evaluations and a real background agree on the planted feature
    assert (b.values.argmax(1) == PLANTED).all()
    with pytest.raises(ValueError, match="max_evals"):
        det.explain(Xt, max_evals=1)
    with pytest.raises(ValueError, match="method"):
        det.explain(Xt, method="nope")
    with pytest.raises(ValueError, match="not differentiable"):
        det.explain(Xt, method="integrated_gradients")


def test_vae_elbo_uses_integrated_gradients(rows):
    X, Xt = rows
    det = genad.VAE(score_type="elbo", epochs=5, random_state=0).fit(X)
    e = det.explain(Xt, steps=64)
    assert e.method == "integrated_gradients"
    assert (e.values.argmax(1) == PLANTED).mean() >= 0.75


def test_sequences_and_images():
    rng = np.random.default_rng(0)
    S = rng.normal(size=(120, 10, 3))
    St = rng.normal(size=(4, 10, 3))
    St[:, 6, 1] += 8.0
    for det in (genad.Seq2Seq(epochs=3, random_state=0), genad.AutoEncoder(epochs=3, random_state=0)):
        e = det.fit(S).explain(St)
        assert e.values.shape == St.shape and e.feature_names == ["x0", "x1", "x2"]
        np.testing.assert_allclose(e.values.sum((1, 2)), e.scores, rtol=1e-5)
        assert [r[0][0] for r in e.top(1)] == ["t6:x1"] * 4
    img = rng.normal(size=(80, 1, 8, 8))
    it = rng.normal(size=(3, 1, 8, 8))
    it[:, 0, 2, 5] += 10.0
    det = genad.AutoEncoder(epochs=2, random_state=0).fit(img)
    e = det.explain(it)
    assert e.values.shape == it.shape and e.top(1)[0][0][0] == "c0[2,5]"
    g = genad.GANomaly(epochs=1, min_steps=0, random_state=0).fit(img)
    assert g.explain(it).values.shape == it.shape


def test_sampled_shapley_values_match_exact_ones():
    """Against the interventional Shapley values computed over every feature subset."""
    from itertools import combinations
    from math import factorial

    from genad.explain import _shapley

    rng = np.random.default_rng(5)
    d = 4
    B = rng.normal(size=(8, d))
    x = np.array([[2.0, -1.5, 3.0, 0.5]])

    def f(Z):  # interactions between features, so that the order of the features matters
        return Z[:, 0] * Z[:, 1] * Z[:, 2] + np.maximum(Z[:, 2], 0.0) ** 2 + np.abs(Z[:, 3] - Z[:, 0] + Z[:, 1])

    def v(S):
        Z = B.copy()
        Z[:, list(S)] = x[0, list(S)]
        return f(Z).mean()

    exact = np.zeros(d)
    for j in range(d):
        others = [k for k in range(d) if k != j]
        for size in range(d):
            for S in combinations(others, size):
                w = factorial(size) * factorial(d - size - 1) / factorial(d)
                exact[j] += w * (v(S + (j,)) - v(S))
    phi, base = _shapley(f, x, B, max_evals=2 * (d + 1) * 8 * 40, seed=0)  # 40 pairs per background row
    assert base[0] == pytest.approx(f(B).mean())
    assert phi.sum() + base[0] == pytest.approx(f(x)[0], rel=1e-12)
    np.testing.assert_allclose(phi[0], exact, atol=0.08 * np.abs(exact).max())
