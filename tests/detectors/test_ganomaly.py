import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score

import genad
from genad import GANomaly


def blobs(seed=0, n=300, n_test=40, d=5, shift=6.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    Xt = np.vstack([rng.normal(size=(n_test, d)), rng.normal(size=(n_test, d)) + shift]).astype(np.float32)
    y = np.r_[np.zeros(n_test), np.ones(n_test)]
    return X, Xt, y


def digit_images(n_normal=150, n_test=25):
    """8x8 digits in [-1, 1] (dark background): digits 0 and 1 are normal; the planted
    anomalies are held-out digits with inverted intensities (bright background)."""
    d = load_digits()
    X = (d.images[d.target <= 1] / 8.0 - 1.0).astype(np.float32)[:, None]
    normal_test = X[n_normal : n_normal + n_test]
    Xt = np.concatenate([normal_test, -X[n_normal + n_test : n_normal + 2 * n_test]])
    y = np.r_[np.zeros(n_test), np.ones(n_test)]
    return X[:n_normal], Xt, y


def auc(y, s):
    return roc_auc_score(y, s)


FAST = dict(GANomaly._fast_params)
KEYS = "generator_loss,discriminator_loss,adversarial,contextual,latent,loss".split(",")


@pytest.fixture(scope="module")
def tab():
    X, Xt, y = blobs()
    return GANomaly(**{**FAST, "epochs": 10, "lr": 1e-3}, random_state=0).fit(X), Xt, y


@pytest.fixture(scope="module")
def img():
    X, Xt, y = digit_images()
    det = GANomaly(**{**FAST, "epochs": 4, "lr": 1e-3}, base_channels=8, latent_dim=8, random_state=0).fit(X)
    return det, Xt, y


def test_planted_anomalies_tabular(tab):
    det, Xt, y = tab
    assert auc(y, det.decision_function(Xt)) > 0.8


def test_planted_anomalies_images(img):
    det, Xt, y = img
    assert det.out_activation_ == "tanh"
    assert auc(y, det.decision_function(Xt)) > 0.8


def test_history_keys(tab):
    det, _, _ = tab
    for k in KEYS:
        assert len(det.history_[k]) == 10, k


@pytest.mark.parametrize("which", ["tab", "img"])
def test_save_load_identical_scores(which, request, tmp_path):
    det, Xt, _ = request.getfixturevalue(which)
    det.save(tmp_path / "m.genad")
    np.testing.assert_array_equal(det.decision_function(Xt), genad.load(tmp_path / "m.genad").decision_function(Xt))


def test_score_alone_equals_score_in_batch(img):
    det, Xt, _ = img
    full = det.decision_function(Xt)
    np.testing.assert_allclose(det.decision_function(Xt[3:4])[0], full[3], rtol=1e-4)


def test_divergence_warning():
    X, _, _ = blobs(n=120)
    with pytest.warns(RuntimeWarning, match="training diverged"):
        GANomaly(**{**FAST, "epochs": 4}, lr=100.0, random_state=0).fit(X)


def test_channels_last_error():
    with pytest.raises(ValueError, match="channels-last"):
        GANomaly(**FAST).fit(np.zeros((20, 8, 8, 3), dtype=np.float32))


def test_score_formula(tab):
    """A(x) = ||G_E(x) - E(G_D(G_E(x)))||^2."""
    det, Xt, _ = tab
    X = torch.as_tensor(det._transform(Xt.astype(np.float32)))
    with torch.no_grad():
        z = det.encoder_(X)
        ref = (z - det.encoder2_(det.decoder_(z))).pow(2).sum(1).numpy()
    np.testing.assert_allclose(det.decision_function(Xt), ref, rtol=1e-5)
