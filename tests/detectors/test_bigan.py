"""BiGAN-specific behaviour; what the GAN detectors share is in test_gan_common.py."""

import numpy as np
import pytest
import torch

from gan_testing import auc, blobs, fast, fit_tabular
from genad import BiGAN

FAST = fast(BiGAN)


@pytest.fixture(scope="module")
def tab():
    return fit_tabular(BiGAN)


def test_alad_option(tab):
    _, Xt, y = tab
    X, _, _ = blobs(n=150)
    det = BiGAN(**{**FAST, "epochs": 8, "lr": 1e-3}, alad=True, random_state=0).fit(X)
    assert hasattr(det, "discriminator_xx_") and hasattr(det, "discriminator_zz_")
    assert auc(y, det.decision_function(Xt)) > 0.8


def test_score_formula(tab):
    """alpha=1 leaves the L1 reconstruction error through the encoder."""
    det, Xt, _ = tab
    s = det.set_params(alpha=1.0).decision_function(Xt)
    det.set_params(alpha=0.9)
    X = torch.as_tensor(det._transform(Xt.astype(np.float32)))
    with torch.no_grad():
        ref = (X - det.generator_(det.encoder_(X))).abs().sum(1).numpy()
    np.testing.assert_allclose(s, ref, rtol=1e-5)
