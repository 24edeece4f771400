import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import genad
from genad import ADGAN
from gan_testing import auc, blobs, digit_images
from genad.nn.latent_search import PerPointGenerator, _ConvTransposePerPoint, draw_seeds, latent_search


FAST = dict(ADGAN._fast_params)


@pytest.fixture(scope="module")
def tab():
    X, Xt, y = blobs()
    det = ADGAN(epochs=5, min_steps=0, n_critic=1, n_seeds=8, search_steps=3, lr=1e-3, random_state=0).fit(X)
    return det, Xt, y


@pytest.fixture(scope="module")
def img():
    X, Xt, y = digit_images()
    det = ADGAN(epochs=3, min_steps=0, n_critic=1, n_seeds=6, search_steps=3, base_channels=8, latent_dim=8,
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


def _double_search(det, x, impl="auto", steps=3, generator_lr=1e-3, n_seeds=5):
    """The search in float64 on a copy of the generator: exact agreement up to rounding."""
    G = copy.deepcopy(det.generator_).double().eval()
    seeds = torch.as_tensor(draw_seeds(n_seeds, det._latent_dim(), 0)).double()

    def rec(xh, xx, z):
        return (xh - xx.unsqueeze(1)).flatten(2).pow(2).sum(-1)

    return latent_search(G, x.double(), seeds, rec, steps=steps, lr=0.25, generator_lr=generator_lr,
                         adapt_generator=True, impl=impl)


@pytest.mark.parametrize("which", ["tab", "img"])
def test_batched_search_equals_per_point_loop(which, request):
    det, Xt, _ = request.getfixturevalue(which)
    X = torch.as_tensor(det._transform(Xt[:5].astype(np.float32)))
    batched = _double_search(det, X)
    looped = [_double_search(det, X[i : i + 1]) for i in range(len(X))]
    for j in range(3):  # loss, latents, generated samples
        torch.testing.assert_close(batched[j], torch.cat([r[j] for r in looped]), rtol=1e-9, atol=1e-9)
    # the detector's own float32 scores: a chunk and single points (and the generator unchanged)
    before = [p.detach().clone() for p in det.generator_.parameters()]
    s32 = det._search(X)[0].mean(1)
    one = torch.cat([det._search(X[i : i + 1])[0].mean(1) for i in range(len(X))])
    torch.testing.assert_close(s32, one, rtol=1e-4, atol=1e-4)
    assert all(torch.equal(p, q) for p, q in zip(before, det.generator_.parameters()))


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


def test_search_adam_matches_torch_adam():
    """The search's Adam over all points at once gives torch.optim.Adam's latents (generator frozen)."""
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
    s = det.set_params(score_type=score).decision_function(Xt)
    det.set_params(score_type="auto")
    assert s.shape == (len(Xt),) and np.isfinite(s).all()


def test_auto_score_is_the_residual_for_rows_and_the_critic_for_images(tab, img):
    # chosen on tuning splits (see the score_type docstring): the pixel residual misranks small
    # images, the critic misranks rows
    for (det, Xt, _), meant in ((tab, "reconstruction"), (img, "discriminator")):
        assert det.score_type == "auto" and det._score_type() == meant
        np.testing.assert_array_equal(det.decision_function(Xt),
                                      det.set_params(score_type=meant).decision_function(Xt))
        det.set_params(score_type="auto")


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
        ADGAN(epochs=4, min_steps=0, n_critic=1, n_seeds=2, search_steps=1, lr=100.0, random_state=0).fit(X)


def test_channels_last_error():
    X = np.zeros((20, 8, 8, 1), dtype=np.float32)
    with pytest.raises(ValueError, match="channels-last"):
        ADGAN(**FAST).fit(X)


def test_bad_params():
    X, _, _ = blobs(n=60)
    with pytest.raises(ValueError, match="score_type must be one of"):
        ADGAN(**FAST, score_type="nope").fit(X)
    with pytest.raises(ValueError, match="'n_seeds' parameter of ADGAN"):
        ADGAN(**{**FAST, "n_seeds": 0}).fit(X)


@pytest.mark.parametrize("which", ["tab", "img"])
def test_bmm_and_vmap_searches_agree(which, request):
    """The batched-matmul search (transposed convolutions as bmm + fold, batch norm folded into
    the per-point weights) equals vmap over torch's own layers, in float64 to 1e-9."""
    det, Xt, _ = request.getfixturevalue(which)
    x = torch.as_tensor(det._transform(Xt[:4].astype(np.float32)))
    a = _double_search(det, x, impl="bmm")
    b = _double_search(det, x, impl="vmap")
    for u, v in zip(a, b):
        torch.testing.assert_close(u, v, rtol=1e-9, atol=1e-9)


def test_cpu_search_uses_batched_matmuls(img):
    det, Xt, _ = img
    assert PerPointGenerator.build(det.generator_) is not None
    x = torch.as_tensor(det._transform(Xt[:3].astype(np.float32)))
    a, b = _double_search(det, x, impl="auto"), _double_search(det, x, impl="bmm")
    assert all(torch.equal(u, v) for u, v in zip(a, b))


def _torch_convt(x, w, b, stride, padding, relu):
    """Reference: one torch transposed convolution per point (channels-first)."""
    outs = [F.conv_transpose2d(x[i], w[i], None if b is None else b[i], stride=stride, padding=padding)
            for i in range(len(x))]
    out = torch.stack(outs)
    return out.clamp(min=0) if relu else out


@pytest.mark.parametrize("k,s,p,bias,relu", [(4, 2, 1, True, True), (4, 2, 1, False, False),
                                             (2, 2, 0, True, False), (3, 1, 1, True, True), (6, 3, 2, False, True)])
def test_per_point_conv_transpose_equals_torch(k, s, p, bias, relu):
    """Forward and all three gradients of the bmm + fold transposed convolution equal torch's
    conv_transpose2d run point by point."""
    g = torch.Generator().manual_seed(k * 10 + s)
    P, S, cin, cout, H, W = 3, 2, 5, 4, 6, 5
    x = torch.randn(P, S, cin, H, W, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(P, cin, cout, k, k, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(P, cout, generator=g, dtype=torch.float64, requires_grad=True) if bias else None
    ref = _torch_convt(x, w, b, s, p, relu)
    Ho, Wo = (H - 1) * s - 2 * p + k, (W - 1) * s - 2 * p + k
    x_cl = x.permute(0, 1, 3, 4, 2)
    w_int = w.permute(0, 1, 3, 4, 2).reshape(P, cin, -1)
    out = _ConvTransposePerPoint.apply(x_cl, w_int, b, (s, k // s, p, Ho, Wo, cout, relu), {})
    out = out.permute(0, 1, 4, 2, 3)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    cot = torch.randn(ref.shape, generator=g, dtype=torch.float64)
    inputs = [x, w] + ([b] if bias else [])
    g_ref = torch.autograd.grad((ref * cot).sum(), inputs)
    g_new = torch.autograd.grad((out * cot).sum(), inputs)
    for u, v in zip(g_new, g_ref):
        torch.testing.assert_close(u, v, rtol=1e-11, atol=1e-11)
