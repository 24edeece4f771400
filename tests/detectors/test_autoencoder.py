"""AutoEncoder: planted anomalies, helpers, backbones by input rank, saving, errors."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

import genad
from genad import AutoEncoder


def planted(n=400, d=8, n_out=20, seed=0):
    """Normal rows on a 2-D subspace plus noise; anomalies off it."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(2, d))
    Xtr = rng.normal(size=(n, 2)) @ basis + 0.1 * rng.normal(size=(n, d))
    Xin = rng.normal(size=(200, 2)) @ basis + 0.1 * rng.normal(size=(200, d))
    Xout = rng.normal(size=(n_out, d)) * 3
    X = np.vstack([Xin, Xout]).astype(np.float32)
    y = np.r_[np.zeros(200), np.ones(n_out)]
    return Xtr.astype(np.float32), X, y


FAST = dict(epochs=15, batch_size=32, random_state=0)


def test_planted_anomalies_auc():
    Xtr, X, y = planted()
    det = AutoEncoder(**FAST).fit(Xtr)
    assert roc_auc_score(y, det.decision_function(X)) > 0.9
    assert {"loss", "val_loss", "epoch_time", "best_epoch"} <= set(det.history_)


def test_denoising_planted():
    Xtr, X, y = planted()
    det = AutoEncoder(denoising=0.1, **FAST).fit(Xtr)
    assert roc_auc_score(y, det.decision_function(X)) > 0.9


def contaminated(seed=0, frac=0.15, d=10):
    """Training rows on one 3-D subspace with 15% anomalies from another (learnable) one."""
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(3, d)), rng.normal(size=(3, d))
    n, m = 600, int(600 * frac)
    Xtr = np.vstack([rng.normal(size=(n - m, 3)) @ A, rng.normal(size=(m, 3)) @ B + 3])
    X = np.vstack([rng.normal(size=(200, 3)) @ A, rng.normal(size=(40, 3)) @ B + 3])
    Xtr += 0.05 * rng.normal(size=Xtr.shape)
    X += 0.05 * rng.normal(size=X.shape)
    return Xtr.astype(np.float32), X.astype(np.float32), np.r_[np.zeros(200), np.ones(40)]


def test_trim_keeps_training_anomalies_out():
    Xtr, X, y = contaminated()
    auc = {t: roc_auc_score(y, AutoEncoder(trim=t, epochs=30, batch_size=32, latent_dim=3, random_state=0)
                            .fit(Xtr).decision_function(X)) for t in (0.0, 0.25)}
    assert auc[0.0] < 0.9  # the plain loss learns the contaminating subspace too
    assert auc[0.25] > 0.98 and auc[0.25] > auc[0.0] + 0.1


def test_auto_trim_holds_where_a_fixed_trim_is_too_small():
    """35% planted anomalies from a learnable subspace: the fixed 0.2 trim learns them, the
    default trim="auto" estimates their share and keeps them out."""
    Xtr, X, y = contaminated(frac=0.35)
    fits = {t: AutoEncoder(trim=t, epochs=30, batch_size=32, latent_dim=3, random_state=0).fit(Xtr)
            for t in (0.2, "auto")}
    auc = {t: roc_auc_score(y, d.decision_function(X)) for t, d in fits.items()}
    assert auc[0.2] < 0.8
    assert auc["auto"] > 0.97
    assert 0.25 < fits["auto"].contamination_estimate_ < 0.45
    assert AutoEncoder().trim == "auto"


def test_auto_trim_on_clean_data_leaves_little_out():
    Xtr, X, y = planted()
    det = AutoEncoder(**FAST).fit(Xtr)
    assert det.contamination_estimate_ < 0.1
    assert roc_auc_score(y, det.decision_function(X)) > 0.9


def test_trim_fast_backward_and_autograd_agree(monkeypatch):
    Xtr, X, _ = contaminated()
    fast = AutoEncoder(trim=0.2, **FAST).fit(Xtr).decision_function(X)
    monkeypatch.setattr(AutoEncoder, "_fast_backward", False)
    slow = AutoEncoder(trim=0.2, **FAST).fit(Xtr).decision_function(X)
    np.testing.assert_allclose(fast, slow, rtol=1e-2, atol=1e-4)


def test_autograd_and_fast_backward_agree(monkeypatch):
    Xtr, X, _ = planted()
    fast = AutoEncoder(**FAST).fit(Xtr).decision_function(X)
    monkeypatch.setattr(AutoEncoder, "_fast_backward", False)
    slow = AutoEncoder(**FAST).fit(Xtr).decision_function(X)
    np.testing.assert_allclose(fast, slow, rtol=1e-2, atol=1e-4)


def test_helpers_shapes_and_consistency():
    Xtr, X, _ = planted()
    det = AutoEncoder(latent_dim=3, **FAST).fit(Xtr)
    assert det.encode(X).shape == (len(X), 3)
    rec = det.reconstruct(X)
    assert rec.shape == X.shape
    fe = det.feature_errors(X)
    assert fe.shape == X.shape and (fe >= 0).all()
    # the score is the mean of the per-feature errors
    np.testing.assert_allclose(fe.mean(axis=1), det.decision_function(X), rtol=1e-4, atol=1e-6)
    # reconstructions are in the input's units: close to normal rows
    assert np.abs(rec[:200] - X[:200]).mean() < np.abs(X[:200]).mean()


def test_defaults_any_width():
    rng = np.random.default_rng(0)
    for d in (1, 3, 50):
        X = rng.normal(size=(120, d)).astype(np.float32)
        det = AutoEncoder(epochs=2).fit(X)
        assert det.decision_function(X).shape == (120,)


def test_sequences_and_images():
    rng = np.random.default_rng(0)
    seq = rng.normal(size=(60, 12, 2)).astype(np.float32)
    det = AutoEncoder(epochs=2, hidden=[8], latent_dim=4, random_state=0).fit(seq)
    assert det.decision_function(seq).shape == (60,)
    assert det.reconstruct(seq[:3]).shape == (3, 12, 2)
    img = rng.random(size=(40, 1, 28, 28)).astype(np.float32)
    det = AutoEncoder(epochs=1, latent_dim=8, random_state=0).fit(img)
    assert det.decision_function(img[:5]).shape == (5,)
    assert det.feature_errors(img[:2]).shape == (2, 1, 28, 28)


def test_channels_last_images_rejected():
    X = np.random.default_rng(0).random((20, 28, 28, 1)).astype(np.float32)
    with pytest.raises(ValueError, match=r"channels-last images.*X.transpose\(0, 3, 1, 2\)"):
        AutoEncoder(epochs=1).fit(X)


def test_save_load_identical_scores(tmp_path):
    Xtr, X, _ = planted()
    det = AutoEncoder(**FAST).fit(Xtr)
    det.save(tmp_path / "ae.genad")
    det2 = genad.load(tmp_path / "ae.genad")
    np.testing.assert_array_equal(det.decision_function(X), det2.decision_function(X))
    assert det2.threshold_ == det.threshold_


def test_same_seed_identical_scores_and_clone():
    Xtr, X, _ = planted()
    det = AutoEncoder(**FAST)
    a = det.fit(Xtr).decision_function(X)
    b = clone(det).fit(Xtr).decision_function(X)
    np.testing.assert_array_equal(a, b)
    c = AutoEncoder(**{**FAST, "random_state": 1}).fit(Xtr).decision_function(X)
    assert not np.array_equal(a, c)


def test_penalty_and_optimizers_via_detector():
    Xtr, X, y = planted()
    for opt in ("rmsprop", "momentum"):
        det = AutoEncoder(epochs=10, optimizer=opt, penalty="l1l2", lr=0.005, random_state=0).fit(Xtr)
        assert np.isfinite(det.decision_function(X)).all()


def test_bad_params():
    Xtr, _, _ = planted()
    with pytest.raises(ValueError, match=r"'trim' parameter of \w+ must be .*\[0(\.0)?, 0\.5\)"):
        AutoEncoder(trim=0.5, epochs=1).fit(Xtr)
    with pytest.raises(ValueError, match="'denoising' parameter of AutoEncoder"):
        AutoEncoder(denoising=-1, epochs=1).fit(Xtr)
    with pytest.raises(ValueError, match="'latent_dim' parameter of AutoEncoder"):
        AutoEncoder(latent_dim=0, epochs=1).fit(Xtr)
    with pytest.raises(ValueError, match="'validation_fraction' parameter of AutoEncoder"):
        AutoEncoder(validation_fraction=1.5, epochs=1).fit(Xtr)
