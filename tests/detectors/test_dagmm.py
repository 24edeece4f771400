"""DAGMM: the mixture estimate (Eq. 5), the sample energy (Eq. 6), the objective's parts, backbones
by input shape, and saving."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

import genad
from genad import DAGMM
from genad.detectors.dagmm import COVARIANCE_EPS, covariance_penalty, gmm_energy, gmm_parameters


def _mixture(seed=0, n=50, k=3, m=4):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, m))
    gamma = rng.dirichlet(np.ones(k), size=n)
    return torch.as_tensor(gamma), torch.as_tensor(z)


def test_mixture_parameters_are_the_membership_weighted_moments():
    gamma, z = _mixture()
    phi, mu, cov = gmm_parameters(gamma, z)
    g, x = gamma.numpy(), z.numpy()
    for k in range(g.shape[1]):
        w = g[:, k]
        assert phi[k].item() == pytest.approx(w.mean())
        mean = (w[:, None] * x).sum(0) / w.sum()
        np.testing.assert_allclose(mu[k].numpy(), mean, rtol=1e-8)
        d = x - mean
        np.testing.assert_allclose(cov[k].numpy(), (w[:, None, None] * d[:, :, None] * d[:, None, :]).sum(0) / w.sum(),
                                   rtol=1e-8)
    assert phi.sum().item() == pytest.approx(1.0)


def test_energy_is_the_negative_mixture_log_density():
    gamma, z = _mixture(1)
    phi, mu, cov = gmm_parameters(gamma, z)
    e = gmm_energy(z, phi, mu, cov).numpy()
    eye = np.eye(z.shape[1]) * COVARIANCE_EPS
    dens = sum(phi[k].item() * multivariate_normal(mu[k].numpy(), cov[k].numpy() + eye).pdf(z.numpy())
               for k in range(len(phi)))
    np.testing.assert_allclose(e, -np.log(dens), rtol=1e-6)


def test_covariance_penalty_grows_as_a_variance_shrinks():
    cov = torch.eye(3, dtype=torch.float64).repeat(2, 1, 1)
    assert covariance_penalty(cov).item() == pytest.approx(6.0, rel=1e-5)
    cov[0, 1, 1] = 1e-3
    assert covariance_penalty(cov).item() > 900


def test_training_lowers_the_objective_and_keeps_its_parts(blobs):
    X, X_test, y_test = blobs
    det = DAGMM(epochs=15, batch_size=64, lr=3e-3, patience=None, validation_fraction=0.0, random_state=0)
    det.calibration_folds = 0  # one fit: the training history is the final model's
    det.fit(X)
    h = det.history_
    assert {"loss", "reconstruction", "energy", "cov_penalty"} <= set(h)
    assert h["loss"][-1] < h["loss"][0]
    K = det.n_components
    assert det.gmm_weights_.shape == (K,) and det.gmm_weights_.sum() == pytest.approx(1.0)
    m = det._latent_dim() + 2  # z = [z_c, relative error, cosine similarity]
    assert det.gmm_means_.shape == (K, m) and det.gmm_covariances_.shape == (K, m, m)


@pytest.mark.parametrize("shape", [(12, 3), (1, 8, 8)], ids=["sequences", "images"])
def test_backbone_follows_the_input_and_saves(shape, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, *shape)).astype(np.float32)
    det = DAGMM(epochs=2, batch_size=32, random_state=0).fit(X)
    kind = {2: genad.nn.backbones.LSTMEncoder, 3: genad.nn.backbones.ConvEncoder}[len(shape)]
    assert isinstance(det.encoder_, kind)
    s = det.decision_function(X[:5])
    assert s.shape == (5,) and np.isfinite(s).all()
    det.save(tmp_path / "m.genad")
    np.testing.assert_array_equal(genad.load(tmp_path / "m.genad").decision_function(X[:5]), s)


def test_bad_hyper_parameters_are_named(blobs):
    with pytest.raises(ValueError, match="n_components"):
        DAGMM(n_components=0).fit(blobs[0])
    with pytest.raises(ValueError, match="estimation_dropout"):
        DAGMM(estimation_dropout=1.0).fit(blobs[0])
    with pytest.raises(ValueError, match="estimation_hidden"):
        DAGMM(estimation_hidden=[10, 0], epochs=1).fit(blobs[0])
