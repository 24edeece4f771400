"""GAN detectors on small data sets and tiny images: the fewest-rows error, ``min_steps``, the
latent size of tiny images, and defaults that rank real anomalies of 8x8 digits (one digit normal,
the others anomalous) above the normal ones."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from gan_testing import auc
from genad import ADGAN, AnoGAN, BiGAN, GANomaly

GANS = [ADGAN, AnoGAN, BiGAN, GANomaly]
IDS = [c.__name__ for c in GANS]


def one_vs_rest(normal=0, n_train=60, n_test=40, seed=0):
    """8x8 digits in [-1, 1]: ``n_train`` images of digit ``normal``; a test set of ``n_test``
    further images of it and ``n_test`` images of the other digits (the anomalies)."""
    d = load_digits()
    X = (d.images / 8.0 - 1.0).astype(np.float32)[:, None]
    rng = np.random.default_rng(seed)
    norm = rng.permutation(np.flatnonzero(d.target == normal))
    other = rng.permutation(np.flatnonzero(d.target != normal))[:n_test]
    Xt = np.concatenate([X[norm[n_train : n_train + n_test]], X[other]])
    y = np.r_[np.zeros(n_test), np.ones(n_test)]
    return X[norm[:n_train]], Xt, y


@pytest.mark.parametrize("cls", GANS, ids=IDS)
def test_too_few_rows_is_a_clear_error(cls):
    X = np.random.default_rng(0).normal(size=(9, 4)).astype(np.float32)
    with pytest.raises(ValueError, match=r"needs at least 10 training rows.*got 9"):
        cls(**cls._fast_params).fit(X)


def test_min_steps_raises_the_epochs_on_small_data():
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    # 40 rows at batch 16: 3 iterations per epoch; 30 iterations need 10 epochs
    det = GANomaly(epochs=2, batch_size=16, min_steps=30, random_state=0)
    det.fit(X)
    assert len(det.history_["loss"]) == 10
    det = GANomaly(epochs=2, batch_size=16, min_steps=0, random_state=0).fit(X)
    assert len(det.history_["loss"]) == 2
    det = GANomaly(epochs=12, batch_size=16, min_steps=30, random_state=0).fit(X)
    assert len(det.history_["loss"]) == 12  # epochs above the minimum are kept


def test_latent_size_of_tiny_images():
    det = GANomaly()
    det.input_shape_ = (1, 8, 8)
    assert det._latent_dim() == 16  # not 100 codes for 64 pixels
    det.input_shape_ = (1, 28, 28)
    assert det._latent_dim() == 100  # the DCGAN size for MNIST and larger
    det.input_shape_ = (12,)
    assert det._latent_dim() == 3  # rows: about a quarter of the width


@pytest.mark.parametrize("cls", [BiGAN, GANomaly], ids=["BiGAN", "GANomaly"])
def test_tiny_images_rank_other_digits_above_the_normal_one(cls):
    """Library defaults except a shorter minimum training (60 iterations instead of 300)."""
    X, Xt, y = one_vs_rest()
    det = cls(min_steps=60, random_state=0).fit(X)
    assert auc(y, det.decision_function(Xt)) > 0.85


def test_ganomaly_scores_far_outliers_with_its_combined_score():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    Xt = np.vstack([rng.normal(size=(40, 5)), rng.normal(size=(40, 5)) + 6.0]).astype(np.float32)
    y = np.r_[np.zeros(40), np.ones(40)]
    det = GANomaly(min_steps=200, random_state=0).fit(X)
    assert det.score_scale_.shape == (2,) and np.all(det.score_scale_ > 0)
    assert auc(y, det.decision_function(Xt)) > 0.95


ADGAN_FAILS = pytest.mark.xfail(reason="ADGAN's defaults are not reliable on ~90 images (digit 1: ROC-AUC 0.199 in "
                                        "benchmarks/digits; digit 8: 0.65 on a tuning split)", strict=False)


@pytest.mark.slow
@pytest.mark.parametrize("cls", [pytest.param(ADGAN, marks=ADGAN_FAILS), AnoGAN, BiGAN, GANomaly], ids=IDS)
@pytest.mark.parametrize("normal", [0, 8])
def test_library_defaults_on_tiny_images(cls, normal):
    """Nothing set but the seed: every GAN detector ranks the other digits above the normal one."""
    X, Xt, y = one_vs_rest(normal, n_train=90, n_test=60)
    det = cls(random_state=0).fit(X)
    assert auc(y, det.decision_function(Xt)) > 0.8
