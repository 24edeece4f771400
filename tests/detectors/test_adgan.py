import numpy as np
import pytest
import torch

import genad
from genad import ADGAN
from gan_testing import auc, blobs, digit_images
from genad.detectors._gan import draw_seeds, latent_search


FAST = dict(ADGAN._fast_params)


@pytest.fixture(scope="module")
def tab():
    X, Xt, y = blobs()
    det = ADGAN(epochs=5, n_critic=1, n_seeds=8, search_steps=3, lr=1e-3, random_state=0).fit(X)
    return det, Xt, y


@pytest.fixture(scope="module")
def img():
    X, Xt, y = digit_images()
    det = ADGAN(epochs=3, n_critic=1, n_seeds=6, search_steps=3, base_channels=8, latent_dim=8,
                lr=1e-3, random_state=0).fit(X)
    return det, Xt, y


def test_planted_anomalies_tabular(tab):
    det, Xt, y = tab
    assert auc(y, det.decision_function(Xt)) > 0.8


def test_planted_anomalies_images(img):
    det, Xt, y = img
    assert det.out_activation_ == "tanh"  # images in [-1, 1] -> tanh generator output
    assert auc(y, det.decision_function(Xt)) > 0.8


def test_history_keys(tab):
    det, _, _ = tab
    for k in ("discriminator_loss", "generator_loss", "wasserstein", "gradient_penalty", "loss"):
        assert len(det.history_[k]) == 5


@pytest.mark.parametrize("which", ["tab", "img"])
def test_batched_search_equals_per_point_loop(which, request):
    det, Xt, _ = request.getfixturevalue(which)
    X = torch.as_tensor(det._transform(Xt[:5].astype(np.float32)))
    batched = det._search(X)[0].mean(1)
    looped = torch.cat([det._search(X[i : i + 1])[0].mean(1) for i in range(len(X))])
    torch.testing.assert_close(batched, looped, rtol=1e-4, atol=1e-4)


def test_generator_copy_reset_per_test_point(img):
    det, Xt, _ = img
    before = [p.detach().clone() for p in det.generator_.parameters()]
    full = det.decision_function(Xt)
    alone = np.array([det.decision_function(Xt[i : i + 1])[0] for i in (0, 7, len(Xt) - 1)])
    np.testing.assert_allclose(alone, full[[0, 7, len(Xt) - 1]], rtol=1e-4)
    # the same point twice in one batch gets the same score: no state leaks between points
    twice = det.decision_function(np.concatenate([Xt[:1], Xt[:1]]))
    np.testing.assert_allclose(twice[0], twice[1], rtol=1e-5)
    for p, q in zip(before, det.generator_.parameters()):
        assert torch.equal(p, q)  # the trained generator itself is never changed


def test_manual_adam_matches_torch_adam():
    """The hand-written, vectorised Adam gives torch.optim.Adam's latents (generator frozen)."""
    torch.manual_seed(0)
    G = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 4))
    x = torch.randn(2, 4)
    seeds = torch.as_tensor(draw_seeds(5, 3, 0))

    def rec(xh, xx, z):
        return (xh - xx.unsqueeze(1)).pow(2).sum(-1)

    loss, z, _ = latent_search(G, x, seeds, rec, steps=4, lr=0.1)
    zr = seeds.unsqueeze(0).repeat(2, 1, 1).requires_grad_(True)
    opt = torch.optim.Adam([zr], lr=0.1)
    for _ in range(4):
        opt.zero_grad()
        rec(G(zr), x, zr).sum().backward()
        opt.step()
    torch.testing.assert_close(z, zr.detach(), rtol=1e-5, atol=1e-6)


def test_freeze_generator(tab):
    det, Xt, y = tab
    adapt = det.decision_function(Xt)
    frozen = det.set_params(freeze_generator=True).decision_function(Xt)
    no_rate = det.set_params(freeze_generator=False, search_generator_lr=1e-12).decision_function(Xt)
    det.set_params(freeze_generator=False, search_generator_lr=5e-5)
    assert not np.allclose(adapt, frozen)  # the per-point generator copy does move
    np.testing.assert_allclose(no_rate, frozen, rtol=1e-4)  # ... and only through its own rate
    assert auc(y, frozen) > 0.8


@pytest.mark.parametrize("score", ["discriminator", "prior"])
def test_ablation_scores(tab, score):
    det, Xt, _ = tab
    s = det.set_params(score=score).decision_function(Xt)
    det.set_params(score="reconstruction")
    assert s.shape == (len(Xt),) and np.isfinite(s).all()


def test_save_load_identical_scores(img, tmp_path):
    det, Xt, _ = img
    det.save(tmp_path / "adgan.genad")
    det2 = genad.load(tmp_path / "adgan.genad")
    np.testing.assert_array_equal(det.decision_function(Xt), det2.decision_function(Xt))


def test_deterministic_given_random_state():
    X, Xt, _ = blobs(n=120)
    a = ADGAN(**FAST, random_state=3).fit(X).decision_function(Xt)
    b = ADGAN(**FAST, random_state=3).fit(X).decision_function(Xt)
    np.testing.assert_array_equal(a, b)


def test_divergence_warning():
    X, _, _ = blobs(n=120)
    with pytest.warns(RuntimeWarning, match="training diverged"):
        ADGAN(epochs=4, n_critic=1, n_seeds=2, search_steps=1, lr=100.0, random_state=0).fit(X)


def test_channels_last_error():
    X = np.zeros((20, 8, 8, 1), dtype=np.float32)
    with pytest.raises(ValueError, match="channels-last"):
        ADGAN(**FAST).fit(X)


def test_bad_params():
    X, _, _ = blobs(n=60)
    with pytest.raises(ValueError, match="score must be one of"):
        ADGAN(**FAST, score="nope").fit(X)
    with pytest.raises(ValueError, match="n_seeds must be a positive integer"):
        ADGAN(**{**FAST, "n_seeds": 0}).fit(X)


@pytest.mark.parametrize("which", ["tab", "img"])
def test_bmm_and_vmap_searches_agree(which, request):
    det, Xt, _ = request.getfixturevalue(which)
    x = torch.as_tensor(det._transform(Xt[:4].astype(np.float32)))
    seeds = torch.as_tensor(draw_seeds(5, det._latent_dim(), 0))

    def rec(xh, xx, z):
        return (xh - xx.unsqueeze(1)).flatten(2).pow(2).sum(-1)

    a = latent_search(det.generator_, x, seeds, rec, steps=3, lr=0.25, generator_lr=1e-3, adapt_generator=True, impl="bmm")
    b = latent_search(det.generator_, x, seeds, rec, steps=3, lr=0.25, generator_lr=1e-3, adapt_generator=True, impl="vmap")
    torch.testing.assert_close(a[0], b[0], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(a[1], b[1], rtol=1e-4, atol=1e-4)
