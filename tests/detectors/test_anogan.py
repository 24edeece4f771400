"""AnoGAN-specific behaviour; what the GAN detectors share is in test_gan_common.py."""

import pytest
import torch

from gan_testing import fit_images, fit_tabular
from genad import AnoGAN

@pytest.fixture(scope="module")
def tab():
    return fit_tabular(AnoGAN)


@pytest.fixture(scope="module")
def img():
    return fit_images(AnoGAN)


def test_batched_search_equals_per_point_loop(img):
    det, Xt, _ = img
    X = torch.as_tensor(Xt[:4])
    batched = det._search(X)[0]
    looped = torch.cat([det._search(X[i : i + 1])[0] for i in range(len(X))])
    torch.testing.assert_close(batched, looped, rtol=1e-4, atol=1e-4)


def test_score_is_final_search_loss(tab):
    """Score = (1 - lambda) residual + lambda feature loss at the final latent; lambda=0 leaves the residual."""
    det, Xt, _ = tab
    det.set_params(lambda_=0.0)
    X = torch.as_tensor(det._transform(Xt[:3]))
    loss, z, x_hat = det._search(X)
    det.set_params(lambda_=0.1)
    with torch.no_grad():
        res = (det.generator_(z[:, 0]) - X).abs().sum(1)
    torch.testing.assert_close(loss[:, 0], res, rtol=1e-5, atol=1e-5)
