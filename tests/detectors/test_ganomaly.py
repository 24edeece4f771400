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
    """A(x) = ||G_E(x) - E(G_D(G_E(x)))||^2."""
    det, Xt, _ = tab
    X = torch.as_tensor(det._transform(Xt.astype(np.float32)))
    with torch.no_grad():
        z = det.encoder_(X)
        ref = (z - det.encoder2_(det.decoder_(z))).pow(2).sum(1).numpy()
    np.testing.assert_allclose(det.decision_function(Xt), ref, rtol=1e-5)
