"""VAE: planted anomalies for each score type, deterministic scoring, saving."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import genad
from genad import VAE

from test_autoencoder import planted  # noqa: E402

FAST = dict(epochs=30, batch_size=32, random_state=0, n_samples=4)


@pytest.fixture(scope="module")
def fitted():
    Xtr, X, y = planted()
    return VAE(**FAST).fit(Xtr), X, y


@pytest.mark.parametrize("score", ["reconstruction", "probability", "elbo"])
def test_score_types_detect_planted(fitted, score):
    det, X, y = fitted
    det.set_params(score_type=score)
    try:
        assert roc_auc_score(y, det.decision_function(X)) > 0.9
    finally:
        det.set_params(score_type="reconstruction")


def test_score_relations(fitted):
    det, X, _ = fitted
    s = {}
    for score in ("reconstruction", "probability", "elbo"):
        det.set_params(score_type=score)
        s[score] = det.decision_function(X)
    det.set_params(score_type="reconstruction")
    # -ELBO = -log p(x|z) + beta * KL with the same code draws, and KL >= 0
    assert (s["elbo"] >= s["probability"] - 1e-4).all()
    assert not np.allclose(s["elbo"], s["probability"])
    assert not np.allclose(s["reconstruction"], s["probability"])


def test_scoring_is_deterministic(fitted):
    det, X, _ = fitted
    np.testing.assert_array_equal(det.decision_function(X), det.decision_function(X))


def test_history_has_elbo_terms(fitted):
    det, _, _ = fitted
    assert {"loss", "nll", "kl", "val_loss"} <= set(det.history_)
    assert det.noise_.log_var.shape == (8,)


def test_beta_zero_and_encode(fitted):
    Xtr, X, y = planted()
    det = VAE(beta=0.0, latent_dim=3, **{**FAST, "epochs": 5}).fit(Xtr)
    assert det.encode(X).shape == (len(X), 3)
    assert det.reconstruct(X).shape == X.shape


def test_save_load_identical_scores(tmp_path, fitted):
    det, X, _ = fitted
    det.save(tmp_path / "vae.genad")
    det2 = genad.load(tmp_path / "vae.genad")
    np.testing.assert_array_equal(det.decision_function(X), det2.decision_function(X))


def test_images_and_sequences():
    rng = np.random.default_rng(0)
    img = rng.random(size=(30, 1, 8, 8)).astype(np.float32)
    det = VAE(epochs=1, latent_dim=4, n_samples=2, score_type="probability", random_state=0).fit(img)
    assert det.decision_function(img).shape == (30,)
    seq = rng.normal(size=(30, 10, 3)).astype(np.float32)
    det = VAE(epochs=1, hidden=[8], latent_dim=2, n_samples=2, score_type="elbo", random_state=0).fit(seq)
    assert np.isfinite(det.decision_function(seq)).all()


def test_bad_score_type():
    Xtr, _, _ = planted()
    with pytest.raises(ValueError, match="score_type must be one of"):
        VAE(score_type="likelihood", epochs=1).fit(Xtr)
    with pytest.raises(ValueError, match="n_samples must be at least 1"):
        VAE(n_samples=0, epochs=1).fit(Xtr)


def test_trim_leaves_the_worst_rows_out_of_the_loss():
    from test_autoencoder import contaminated

    Xtr, X, y = contaminated()
    fits = {t: genad.VAE(trim=t, epochs=20, batch_size=32, latent_dim=3, random_state=0).fit(Xtr) for t in (0.0, 0.25)}
    assert roc_auc_score(y, fits[0.25].decision_function(X)) > 0.98
    # the trimmed -ELBO leaves out each batch's worst quarter: clearly below the full one
    assert fits[0.25].history_["loss"][-1] < fits[0.0].history_["loss"][-1] - 0.5
    with pytest.raises(ValueError, match=r"trim must be in \[0, 0.5\)"):
        genad.VAE(trim=0.7, epochs=1).fit(Xtr)
