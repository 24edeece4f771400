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


def test_alad_egbad_score_is_the_egbad_formula():
    """alad_score="egbad" scores an ALAD-trained model with alpha * L1 reconstruction + (1 - alpha)
    * discriminator feature distance, not with D_xx features."""
    X, Xt, _ = blobs(n=150)
    det = BiGAN(**FAST, alad=True, alad_score="egbad", alpha=0.7, random_state=0).fit(X)
    s = det.decision_function(Xt)
    x = torch.as_tensor(det._transform(Xt.astype(np.float32)))
    with torch.no_grad():
        ex = det.encoder_(x)
        rec = det.generator_(ex)
        D = det.discriminator_.eval()
        ref = 0.7 * (x - rec).abs().sum(1) + 0.3 * (D.features(x, ex) - D.features(rec, ex)).abs().sum(1)
    np.testing.assert_allclose(s, ref.numpy(), rtol=1e-5)
    assert not np.allclose(s, det.set_params(alad_score="features").decision_function(Xt))


def test_spectral_norm_and_feature_matching(tmp_path):
    import genad

    X, Xt, y = blobs(n=150)
    det = BiGAN(**{**FAST, "epochs": 8, "lr": 1e-3}, spectral_norm=True, feature_matching=1.0, random_state=0).fit(X)
    lin = [m for m in det.discriminator_.modules() if isinstance(m, torch.nn.Linear)]
    assert lin and all(torch.nn.utils.parametrize.is_parametrized(m, "weight") for m in lin)
    W = lin[0].weight.detach()
    assert torch.linalg.matrix_norm(W, ord=2) < 1.1  # spectral norm ~ 1 after power iteration
    s = det.decision_function(Xt)
    assert auc(y, s) > 0.8
    det.save(tmp_path / "b.genad")
    np.testing.assert_array_equal(genad.load(tmp_path / "b.genad").decision_function(Xt), s)
    plain = BiGAN(**{**FAST, "epochs": 8, "lr": 1e-3}, spectral_norm=True, random_state=0).fit(X)
    assert plain.history_["generator_loss"] != det.history_["generator_loss"]  # the term is in the loss


def test_bad_bigan_params():
    X, _, _ = blobs(n=60)
    with pytest.raises(ValueError, match="'alad_score' parameter of BiGAN"):
        BiGAN(**FAST, alad=True, alad_score="nope").fit(X)
    with pytest.raises(ValueError, match="'feature_matching' parameter of BiGAN"):
        BiGAN(**FAST, feature_matching=-1.0).fit(X)


def test_validation_fraction_keeps_the_epoch_with_lowest_normal_score():
    X, _, _ = blobs(n=200)
    det = BiGAN(**{**FAST, "epochs": 4}, validation_fraction=0.2, alpha=1.0, random_state=0).fit(X)
    val = det.history_["val_loss"]
    assert len(val) == 4 and np.all(np.isfinite(val))
    assert det.history_["best_epoch"][0] == int(np.argmin(val)) + 1


def test_cycle_consistency_is_in_the_loss_and_the_default_ranks_outliers():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(2, 8))  # normal rows near a plane in 8-D, anomalies off it
    X = (rng.normal(size=(150, 2)) @ W + 0.05 * rng.normal(size=(150, 8))).astype(np.float32)
    Xt = np.vstack([rng.normal(size=(40, 2)) @ W, 2 * rng.normal(size=(40, 8))]).astype(np.float32)
    y = np.r_[np.zeros(40), np.ones(40)]
    kw = {**FAST, "epochs": 8, "lr": 1e-3}
    plain = BiGAN(**kw, cycle_consistency=0.0, random_state=0).fit(X)
    cycle = BiGAN(**kw, random_state=0).fit(X)  # cycle_consistency=1.0 by default
    assert cycle.history_["generator_loss"] != plain.history_["generator_loss"]
    assert auc(y, cycle.decision_function(Xt)) > 0.9
    with pytest.raises(ValueError, match="'cycle_consistency' parameter of BiGAN"):
        BiGAN(**FAST, cycle_consistency=-1.0).fit(X)
