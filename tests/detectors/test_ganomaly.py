"""GANomaly-specific behaviour; what the GAN detectors share is in test_gan_common.py."""

import numpy as np
import pytest
import torch

from gan_testing import fit_tabular
from genad import GANomaly

@pytest.fixture(scope="module")
def tab():
    return fit_tabular(GANomaly)


def test_score_formula(tab):
    """latent: A(x) = ||G_E(x) - E(G_D(G_E(x)))||^2 (eq. 5); reconstruction: ||x - G(x)||_1;
    combined (default): each divided by its mean over the training rows, summed."""
    det, Xt, _ = tab
    X = torch.as_tensor(det._transform(Xt.astype(np.float32)))
    with torch.no_grad():
        z = det.encoder_(X)
        x_hat = det.decoder_(z)
        lat = (z - det.encoder2_(x_hat)).pow(2).sum(1).numpy()
        rec = (X - x_hat).abs().sum(1).numpy()
    assert det.score_type == "combined"
    combined = det.decision_function(Xt)
    np.testing.assert_allclose(combined, lat / det.score_scale_[0] + rec / det.score_scale_[1], rtol=1e-4)
    np.testing.assert_allclose(det.set_params(score_type="latent").decision_function(Xt), lat, rtol=1e-5)
    np.testing.assert_allclose(det.set_params(score_type="reconstruction").decision_function(Xt), rec, rtol=1e-5)
    det.set_params(score_type="combined")
