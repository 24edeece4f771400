"""Behaviour AnoGAN, BiGAN and GANomaly share: detection on rows and images, history, model
files, per-point scoring, the divergence warning and the channels-last error."""

import numpy as np
import pytest

import genad
from gan_testing import auc, blobs, fast, fit_images, fit_tabular
from genad import AnoGAN, BiGAN, GANomaly

HISTORY_KEYS = {
    AnoGAN: ["discriminator_loss", "generator_loss", "loss"],
    BiGAN: ["discriminator_loss", "generator_loss", "loss"],
    GANomaly: ["generator_loss", "discriminator_loss", "adversarial", "contextual", "latent", "loss"],
}
CLASSES = list(HISTORY_KEYS)
IDS = [c.__name__ for c in CLASSES]


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_planted_anomalies_tabular(cls):
    det, Xt, y = fit_tabular(cls)
    assert auc(y, det.decision_function(Xt)) > 0.8


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_planted_anomalies_images(cls):
    det, Xt, y = fit_images(cls)
    assert det.out_activation_ == "tanh"
    assert auc(y, det.decision_function(Xt)) > 0.8


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_history_keys(cls):
    det, _, _ = fit_tabular(cls)
    for k in HISTORY_KEYS[cls]:
        assert len(det.history_[k]) == 10, k


@pytest.mark.parametrize("fit", [fit_tabular, fit_images], ids=["tab", "img"])
@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_save_load_identical_scores(cls, fit, tmp_path):
    det, Xt, _ = fit(cls)
    det.save(tmp_path / "m.genad")
    np.testing.assert_array_equal(det.decision_function(Xt), genad.load(tmp_path / "m.genad").decision_function(Xt))


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_score_alone_equals_score_in_batch(cls):
    det, Xt, _ = fit_images(cls)
    full = det.decision_function(Xt)
    np.testing.assert_allclose(det.decision_function(Xt[3:4])[0], full[3], rtol=1e-4)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_divergence_warning(cls):
    X, _, _ = blobs(n=120)
    with pytest.warns(RuntimeWarning, match="training diverged"):
        cls(**{**fast(cls), "epochs": 4}, lr=100.0, random_state=0).fit(X)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_channels_last_error(cls):
    with pytest.raises(ValueError, match="channels-last"):
        cls(**fast(cls)).fit(np.zeros((20, 8, 8, 3), dtype=np.float32))
