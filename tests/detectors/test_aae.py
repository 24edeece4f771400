"""Adversarial autoencoder: alternating steps, score modes, latent prior, saving."""

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import genad
from genad import AdversarialAutoEncoder

from test_autoencoder import planted  # noqa: E402

FAST = dict(epochs=30, batch_size=32, random_state=0, latent_dim=2, trim=0.0)  # the plain AAE


@pytest.fixture(scope="module")
def fitted():
    Xtr, X, y = planted()
    return AdversarialAutoEncoder(**FAST).fit(Xtr), X, y, Xtr


def test_history_has_three_steps(fitted):
    det, *_ = fitted
    assert {"reconstruction_loss", "discriminator_loss", "generator_loss", "loss", "val_loss"} <= set(det.history_)
    np.testing.assert_allclose(
        det.history_["loss"],
        np.add.reduce([det.history_[k] for k in ("reconstruction_loss", "discriminator_loss", "generator_loss")]),
        rtol=1e-6,
    )


def test_codes_pushed_towards_prior(fitted):
    det, X, y, Xtr = fitted
    z = det.encode(Xtr)
    # N(0, I) prior: codes of training rows roughly centred with unit scale (30 epochs on these
    # 400 rows, random_state 0-3: largest mean 0.71-1.06, mean std 0.67-2.16)
    assert np.abs(z.mean(axis=0)).max() < 1.25
    assert 0.3 < z.std(axis=0).mean() < 2.5


@pytest.mark.parametrize("score", ["reconstruction", "both"])
def test_score_modes_detect_planted(fitted, score):
    det, X, y, _ = fitted
    det.set_params(score_type=score)
    try:
        assert roc_auc_score(y, det.decision_function(X)) > 0.9
    finally:
        det.set_params(score_type="reconstruction")


def test_score_definitions(fitted):
    det, X, _, _ = fitted
    s = {}
    for score in ("reconstruction", "latent", "both"):
        det.set_params(score_type=score)
        s[score] = det.decision_function(X)
    det.set_params(score_type="reconstruction")
    z = det.encode(X).astype(np.float64)
    lat = 0.5 * (z**2).sum(axis=1) + 0.5 * z.shape[1] * math.log(2 * math.pi)
    np.testing.assert_allclose(s["latent"], lat, rtol=1e-4)
    m0, s0, m1, s1 = det.score_stats_
    np.testing.assert_allclose(s["both"], (s["reconstruction"] - m0) / s0 + (s["latent"] - m1) / s1, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(det.feature_errors(X).mean(axis=1), s["reconstruction"], rtol=1e-4, atol=1e-6)


def test_save_load_identical_scores(tmp_path, fitted):
    det, X, _, _ = fitted
    det.set_params(score_type="both")
    try:
        det.save(tmp_path / "aae.genad")
        det2 = genad.load(tmp_path / "aae.genad")
        np.testing.assert_array_equal(det.decision_function(X), det2.decision_function(X))
    finally:
        det.set_params(score_type="reconstruction")


def test_images_and_sequences():
    rng = np.random.default_rng(0)
    img = rng.random(size=(30, 3, 16, 16)).astype(np.float32)
    det = AdversarialAutoEncoder(epochs=1, latent_dim=4, score_type="both", random_state=0).fit(img)
    assert det.decision_function(img).shape == (30,)
    seq = rng.normal(size=(30, 10, 3)).astype(np.float32)
    det = AdversarialAutoEncoder(epochs=1, hidden=[8], latent_dim=2, score_type="latent", random_state=0).fit(seq)
    assert np.isfinite(det.decision_function(seq)).all()


def test_bad_score_mode():
    Xtr, _, _ = planted()
    with pytest.raises(ValueError, match="score_type must be one of"):
        AdversarialAutoEncoder(score_type="prior", epochs=1).fit(Xtr)


@pytest.mark.slow  # two 30-epoch fits; the trimmed loss itself is tested fast in test_autoencoder and test_vae
def test_trim_keeps_training_anomalies_out():
    from test_autoencoder import contaminated

    Xtr, X, y = contaminated()
    auc = {t: roc_auc_score(y, genad.AdversarialAutoEncoder(trim=t, epochs=30, batch_size=32, latent_dim=3,
                                                           random_state=0).fit(Xtr).decision_function(X))
           for t in (0.0, 0.25)}
    assert auc[0.25] > 0.98 and auc[0.25] > auc[0.0] + 0.1
    with pytest.raises(ValueError, match=r"'trim' parameter of \w+ must be .*\[0(\.0)?, 0\.5\)"):
        genad.AdversarialAutoEncoder(trim=-0.1, epochs=1).fit(Xtr)
