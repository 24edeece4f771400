"""DeepSVDD, DeepSAD and DevNet: what their papers require of them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

import genad
from genad.nn import backbones as B

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    anomalies = rng.normal(size=(20, 6)) * 0.5 + 3.0
    X_test = np.vstack([rng.normal(size=(100, 6)), rng.normal(size=(20, 6)) * 0.5 + 3.0])
    y_test = np.r_[np.zeros(100), np.ones(20)]
    return X, anomalies, X_test, y_test


@pytest.mark.parametrize("shape", [(6,), (10, 3), (1, 28, 28), (3, 32, 32)])
def test_bias_free_encoder_for_every_input_shape(shape):
    net = B.encoder(shape, None, 8, bias=False, activation="leaky_relu")
    assert not [n for n, _ in net.named_parameters() if "bias" in n]
    assert net(torch.zeros(2, *shape)).abs().max() == 0  # no bias: phi(0) = 0
    assert [n for n, _ in B.encoder(shape, None, 8).named_parameters() if "bias" in n]


def test_deep_svdd_center_fixed_from_initial_pass(data):
    X = data[0]
    det = genad.DeepSVDD(epochs=1, pretrain_epochs=0, random_state=0)
    det.fit(X)
    # without pretraining, the centre is the initial network's mean output (entries near 0 pushed
    # to +-0.1), then fixed:
    # rebuild the initial network with the same seed and compare
    again = genad.DeepSVDD(epochs=1, random_state=0)
    again.input_shape_ = det.input_shape_
    from genad.nn.training import seed_everything

    seed_everything(det._seed())
    again._build_networks()
    Xs = torch.as_tensor(det.scaler_.transform(X.astype(np.float32)))
    again.network_.eval()
    with torch.no_grad():
        c0 = again.network_(Xs).mean(0).numpy()
    c0 = np.where(np.abs(c0) < 0.1, np.where(c0 < 0, -0.1, 0.1), c0)
    np.testing.assert_allclose(det.center_, c0, rtol=1e-4, atol=1e-5)
    assert not any(p.shape == det.center_.shape and "bias" in n for n, p in det.network_.named_parameters())
    assert not any("bias" in n for n, _ in det.network_.named_parameters())


def test_deep_svdd_one_class_separates(data):
    X, _, X_test, y_test = data
    det = genad.DeepSVDD(epochs=20, random_state=0).fit(X)
    s = det.decision_function(X_test)
    assert roc_auc_score(y_test, s) > 0.9
    # the score is the squared distance of the representation to the centre (eq. 5)
    z = det.encode(X_test)
    np.testing.assert_allclose(s, ((z - det.center_) ** 2).sum(1), rtol=1e-4)
    assert det.history_["loss"][-1] < det.history_["loss"][0]
    assert det.radius_ == 0.0


def test_deep_svdd_soft_boundary_radius(data):
    X, _, X_test, y_test = data
    det = genad.DeepSVDD(objective="soft-boundary", nu=0.1, warm_up_epochs=2, epochs=10, random_state=0).fit(X)
    assert det.radius_ > 0
    # R is the (1 - nu)-quantile of mini-batch distances: about nu of the training rows lie outside
    outside = (det.decision_function(X) > 0).mean()
    assert 0.02 <= outside <= 0.3
    assert roc_auc_score(y_test, det.decision_function(X_test)) > 0.85
    with pytest.raises(ValueError, match="objective"):
        genad.DeepSVDD(objective="hard").fit(X)


def test_deep_sad_pushes_labelled_anomalies_out(data):
    X, anomalies, X_test, y_test = data
    X_mix = np.vstack([X, anomalies])
    y = np.r_[np.full(len(X), -1), np.ones(len(anomalies))]
    with pytest.raises(ValueError, match="DeepSAD is weakly supervised and needs some labelled anomalies"):
        genad.DeepSAD().fit(X_mix)
    with pytest.raises(ValueError, match="y has no 1"):
        genad.DeepSAD().fit(X_mix, np.full(len(X_mix), -1))
    sad = genad.DeepSAD(epochs=15, random_state=0).fit(X_mix, y)
    svdd = genad.DeepSVDD(epochs=15, random_state=0).fit(X_mix)  # the anomalies unlabelled
    d_sad = sad.decision_function(anomalies) / np.median(sad.decision_function(X))
    d_svdd = svdd.decision_function(anomalies) / np.median(svdd.decision_function(X))
    assert np.median(d_sad) > 2 * np.median(d_svdd)  # inverse-distance term: pushed far out
    assert roc_auc_score(y_test, sad.decision_function(X_test)) > 0.95


def test_devnet_deviation_loss(data):
    X, anomalies, X_test, y_test = data
    X_mix = np.vstack([X, anomalies[:5]])
    y = np.r_[np.full(len(X), -1), np.ones(5)]
    with pytest.raises(ValueError, match="DevNet is weakly supervised and needs some labelled anomalies"):
        genad.DevNet().fit(X_mix)
    # standardised inputs converge within 10 epochs (min-max ones, the default, need the paper's 50)
    det = genad.DevNet(epochs=10, preprocessing="standard", random_state=0).fit(X_mix, y)
    s_norm, s_anom = det.decision_function(X), det.decision_function(anomalies[5:])
    # normal scores are pulled to the prior's mean (0), labelled-like anomalies pushed towards a = 5
    assert abs(np.median(s_norm)) < 1.0
    assert np.median(s_anom) > 2.5
    assert roc_auc_score(y_test, det.decision_function(X_test)) > 0.95
    assert det.history_["loss"] and len(det.history_["loss"]) == 10


@pytest.mark.parametrize("cls", [genad.DeepSVDD, genad.DeepSAD, genad.DevNet], ids=lambda c: c.__name__)
@pytest.mark.parametrize("shape", [(10, 3), (1, 8, 8)], ids=["sequences", "images"])
def test_backbones_by_input_shape_and_save_load(cls, shape, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, *shape)).astype(np.float32)
    y = np.r_[np.ones(4), np.full(56, -1)] if cls._learns_from_labels else None
    det = cls(epochs=2, random_state=0).fit(X, y)
    kind = torch.nn.LSTM if len(shape) == 2 else torch.nn.Conv2d
    assert any(isinstance(m, kind) for m in det.network_.modules())
    det.save(tmp_path / "m.genad")
    loaded = genad.load(tmp_path / "m.genad")
    np.testing.assert_array_equal(loaded.decision_function(X), det.decision_function(X))


@pytest.mark.parametrize("cls", [genad.DeepSVDD, genad.DeepSAD], ids=lambda c: c.__name__)
def test_autoencoder_pretraining_before_the_centre(cls, data, monkeypatch):
    X, anomalies = data[0][:200], data[1][:3]
    X_mix = np.vstack([X, anomalies])
    y = np.r_[np.full(len(X), -1), np.ones(3)] if cls._learns_from_labels else None
    seen = {}
    orig_pretrain, orig_center = cls._pretrain, cls._set_center

    def pretrain(self, Xt):
        seen["rows"] = len(Xt)
        seen["before"] = [p.detach().clone() for p in self.network_.parameters()]
        orig_pretrain(self, Xt)

    def set_center(self, Xt):
        seen["moved"] = any(not torch.equal(a, p) for a, p in zip(seen["before"], self.network_.parameters()))
        orig_center(self, Xt)

    monkeypatch.setattr(cls, "_pretrain", pretrain)
    monkeypatch.setattr(cls, "_set_center", set_center)
    det = cls(epochs=1, pretrain_epochs=3, random_state=0)
    det.min_holdout = 1
    det.fit(X_mix if y is not None else X, y)
    assert seen["moved"]  # the encoder's weights are the pretrained ones when c is fixed
    n_fit = len(det.decision_scores_) - round(0.1 * (len(X)))  # hold-out rows are not fitted on
    assert seen["rows"] <= len(X) and seen["rows"] >= n_fit - 3  # known anomalies never pretrained on
    cls(epochs=1, pretrain_epochs=0, random_state=0).fit(X_mix if y is not None else X, y)
    assert not seen["moved"]  # no pretraining: c from the initial weights


@pytest.mark.parametrize("shape, lr", [((6,), 1e-3), ((10, 3), 1e-3), ((1, 8, 8), 1e-4)],
                         ids=["rows", "sequences", "images"])
def test_deep_svdd_auto_learning_rate_follows_the_input(shape, lr):
    """lr="auto" (the default) is the paper's 1e-4 on images and 1e-3 otherwise: the fit is the
    one that the explicit rate gives, and not the one that the other rate gives."""
    X = np.random.default_rng(0).normal(size=(64, *shape)).astype(np.float32)
    kw = dict(epochs=3, batch_size=32, random_state=0)
    auto = genad.DeepSVDD(**kw).fit(X)
    assert auto.lr == "auto" and auto._lr() == lr
    np.testing.assert_allclose(auto.decision_scores_, genad.DeepSVDD(lr=lr, **kw).fit(X).decision_scores_, rtol=1e-6)
    other = genad.DeepSVDD(lr=1e-3 if lr == 1e-4 else 1e-4, **kw).fit(X)
    assert not np.allclose(auto.decision_scores_, other.decision_scores_, rtol=1e-3)


def test_learning_rate_rejects_an_unknown_word():
    with pytest.raises(ValueError, match="lr"):
        genad.DeepSVDD(lr="fast").fit(np.zeros((20, 3)))


@pytest.mark.parametrize("shape, epochs", [((6,), 10), ((10, 3), 0), ((1, 8, 8), 0)],
                         ids=["rows", "sequences", "images"])
def test_deep_svdd_auto_pretraining_on_rows_only(shape, epochs):
    """pretrain_epochs="auto" (the default) pretrains 10 epochs on rows and not on other inputs:
    the fit is the one that the explicit number gives."""
    X = np.random.default_rng(0).normal(size=(64, *shape)).astype(np.float32)
    kw = dict(epochs=2, batch_size=32, random_state=0)
    auto = genad.DeepSVDD(**kw).fit(X)
    assert auto.pretrain_epochs == "auto" and auto._pretrain_epochs() == epochs
    np.testing.assert_allclose(auto.decision_scores_,
                               genad.DeepSVDD(pretrain_epochs=epochs, **kw).fit(X).decision_scores_, rtol=1e-6)
    if epochs:
        assert not np.allclose(auto.decision_scores_, genad.DeepSVDD(pretrain_epochs=0, **kw).fit(X).decision_scores_,
                               rtol=1e-3)
