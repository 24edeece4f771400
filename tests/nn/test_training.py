"""The one training loop: optimizers, penalties, early stopping, divergence, callbacks, seeding."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from genad.nn import training as T
from genad.nn.backbones import mlp
from genad.detectors.autoencoder import mlp_mse_grad_fn


def _data(n=256, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g)


def _ae(d=6, seed=0, act="relu"):
    torch.manual_seed(seed)
    enc, dec = mlp([d, 8, 3], act), mlp([3, 8, d], act)
    return enc, dec


def _step(enc, dec, **kw):
    return T.Step("rec", [enc, dec], lambda x: F.mse_loss(dec(enc(x)), x), **kw)


def _weights(*mods):
    return torch.cat([p.detach().reshape(-1).clone() for m in mods for p in m.parameters()])


@pytest.mark.parametrize("opt", T.OPTIMIZERS)
def test_each_optimizer_trains(opt):
    X = _data()
    enc, dec = _ae()
    lr = 1.0 if opt == "adadelta" else 0.01
    h = T.train(_step(enc, dec), X, modules=[enc, dec], epochs=8, batch_size=32, lr=lr, optimizer=opt)
    assert len(h["loss"]) == 8
    assert h["loss"][-1] < h["loss"][0]


def test_unknown_optimizer_message():
    enc, dec = _ae()
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        T.train(_step(enc, dec), _data(), modules=[enc, dec], optimizer="lbfgs")


@pytest.mark.parametrize("penalty", ["l1", "l2", "l1l2"])
def test_penalty_changes_weights_and_shrinks_them(penalty):
    X = _data()
    out = {}
    for pen in (None, penalty):
        enc, dec = _ae()
        T.seed_everything(0)
        T.train(_step(enc, dec), X, modules=[enc, dec], epochs=5, batch_size=32, lr=0.01,
                penalty=pen, penalty_weight=0.05, generator=torch.Generator().manual_seed(0))
        out[pen] = _weights(enc, dec)
    assert not torch.allclose(out[None], out[penalty])
    norm = (lambda w: w.abs().sum()) if penalty == "l1" else (lambda w: (w * w).sum())
    assert norm(out[penalty]) < norm(out[None])


def test_penalty_works_with_grad_fn():
    X = _data()
    res = {}
    for fast in (False, True):
        enc, dec = _ae()
        st = _step(enc, dec, grad_fn=mlp_mse_grad_fn([enc, dec]) if fast else None)
        T.train(st, X, modules=[enc, dec], epochs=3, batch_size=32, lr=0.01, penalty="l2",
                penalty_weight=0.01, generator=torch.Generator().manual_seed(0))
        res[fast] = _weights(enc, dec)
    assert torch.allclose(res[False], res[True], atol=1e-5)


def test_early_stopping_stops_and_restores_best_weights():
    X, V = _data(seed=0), _data(n=64, seed=1)
    enc, dec = _ae()
    snapshots = []

    class Snap(T.Callback):
        def on_epoch_end(self, info):
            snapshots.append(_weights(enc, dec))

    # a learning rate so large the validation loss gets worse after the first epochs
    h = T.train(_step(enc, dec), X, modules=[enc, dec], epochs=200, batch_size=16, lr=0.5,
                optimizer="sgd", validation_data=V, patience=2, callbacks=[Snap()], clip_grad_norm=5.0)
    n_run = len(h["loss"])
    assert n_run < 200
    best = h["best_epoch"][0]
    assert h["val_loss"][best - 1] == min(h["val_loss"])
    assert n_run == best + 2
    assert torch.equal(_weights(enc, dec), snapshots[best - 1])
    assert T.evaluate_loss(lambda x: F.mse_loss(dec(enc(x)), x), V, [enc, dec]) == pytest.approx(min(h["val_loss"]), rel=1e-5)


def test_nan_loss_raises_helpful_error():
    enc, dec = _ae()
    X = _data()
    X[5, 2] = float("nan")
    with pytest.raises(T.TrainingDivergedError, match=r"training diverged: loss became nan at epoch 1.*Lower the learning rate"):
        T.train(_step(enc, dec), X, modules=[enc, dec], epochs=2, batch_size=32)


def test_divergence_from_huge_learning_rate():
    enc, dec = _ae()
    X = _data() * 1e3
    with pytest.raises(T.TrainingDivergedError, match="lr=1e\\+30"):
        T.train(_step(enc, dec), X, modules=[enc, dec], epochs=5, batch_size=32, lr=1e30, optimizer="sgd")


def test_callbacks_receive_losses_and_can_stop():
    enc, dec = _ae()
    seen = {"batch": [], "epoch": [], "begin": 0, "end": 0}

    class CB(T.Callback):
        def on_train_begin(self, info):
            seen["begin"] += 1

        def on_batch_end(self, info):
            seen["batch"].append(info["losses"]["loss"])

        def on_epoch_end(self, info):
            seen["epoch"].append((info["epoch"], info["losses"]["loss"]))
            return info["epoch"] >= 3  # stop after three epochs

        def on_train_end(self, info):
            seen["end"] += 1

    h = T.train(_step(enc, dec), _data(), modules=[enc, dec], epochs=50, batch_size=64, callbacks=[CB()])
    assert len(h["loss"]) == 3
    assert [e for e, _ in seen["epoch"]] == [1, 2, 3]
    assert len(seen["batch"]) == 3 * 4
    assert all(isinstance(v, float) and math.isfinite(v) for v in seen["batch"])
    assert seen["epoch"][0][1] == pytest.approx(np.mean(seen["batch"][:4]), rel=1e-5)
    assert seen["begin"] == 1 and seen["end"] == 1


def test_function_callback_can_stop_on_batch():
    enc, dec = _ae()

    class Stop(T.Callback):
        def on_batch_end(self, info):
            return info["step"] >= 2

    h = T.train(_step(enc, dec), _data(), modules=[enc, dec], epochs=10, batch_size=32, callbacks=[Stop()])
    assert len(h["loss"]) == 1


def test_same_seed_identical_results():
    X = _data()
    ws = []
    for _ in range(2):
        enc, dec = _ae(seed=3)
        T.train(_step(enc, dec), X, modules=[enc, dec], epochs=3, batch_size=32,
                generator=T.seed_everything(7))
        ws.append(_weights(enc, dec))
    assert torch.equal(ws[0], ws[1])


def test_grad_fn_gives_same_training_as_autograd():
    X = _data()
    out = {}
    for fast in (False, True):
        enc, dec = _ae(act="tanh")
        st = _step(enc, dec, grad_fn=mlp_mse_grad_fn([enc, dec]) if fast else None)
        h = T.train(st, X, modules=[enc, dec], epochs=4, batch_size=32, lr=0.01,
                    generator=torch.Generator().manual_seed(0))
        out[fast] = (_weights(enc, dec), h["loss"])
        # packed parameters get their own storage back after training
        assert all(p.grad is None or not fast for p in enc.parameters())
    assert torch.allclose(out[False][0], out[True][0], atol=1e-5)
    np.testing.assert_allclose(out[False][1], out[True][1], rtol=1e-4)


def test_grad_fn_gradients_match_autograd_exactly():
    for act in ("relu", "tanh", "sigmoid", "leaky_relu"):
        enc, dec = _ae(act=act)
        x = _data(n=40)
        fn = mlp_mse_grad_fn([enc, dec])
        loss = fn(x)
        g_fast = [p.grad.clone() for m in (enc, dec) for p in m.parameters()]
        for m in (enc, dec):
            m.zero_grad(set_to_none=True)
        ref = F.mse_loss(dec(enc(x)), x)
        ref.backward()
        assert float(loss) == pytest.approx(ref.item(), rel=1e-6)
        for a, p in zip(g_fast, [p for m in (enc, dec) for p in m.parameters()]):
            torch.testing.assert_close(a, p.grad, rtol=1e-5, atol=1e-7)
    assert mlp_mse_grad_fn([mlp([4, 3, 2], "elu"), mlp([2, 3, 4], "elu")]) is None  # unsupported -> autograd


def test_trimmed_grad_fn_matches_autograd_of_the_trimmed_loss():
    from genad.detectors.autoencoder import kept_rows, squared_error, trimmed_mean

    enc, dec = _ae(act="relu")
    x = _data(n=40)
    x[:5] += 6.0  # five far rows: a 0.2 trim must leave them out of the loss
    fn = mlp_mse_grad_fn([enc, dec], trim=0.2)
    loss = fn(x)
    g_fast = [p.grad.clone() for m in (enc, dec) for p in m.parameters()]
    for m in (enc, dec):
        m.zero_grad(set_to_none=True)
    rows = squared_error(x, dec(enc(x)))
    ref = trimmed_mean(rows, 0.2)
    ref.backward()
    assert kept_rows(40, 0.2) == 32
    assert float(loss) == pytest.approx(ref.item(), rel=1e-6)
    assert float(loss) < rows.mean().item()  # the far rows are out
    for a, p in zip(g_fast, [p for m in (enc, dec) for p in m.parameters()]):
        torch.testing.assert_close(a, p.grad, rtol=1e-5, atol=1e-7)


def test_validation_split_is_recorded():
    enc, dec = _ae()
    h = T.train(_step(enc, dec), _data(), modules=[enc, dec], epochs=3, batch_size=32,
                validation_data=_data(n=50, seed=2))
    assert len(h["val_loss"]) == 3 and all(math.isfinite(v) for v in h["val_loss"])
    assert len(h["epoch_time"]) == 3


def test_multi_step_every_and_repeat():
    enc, dec = _ae()
    calls = {"a": 0, "b": 0}

    def la(x):
        calls["a"] += 1
        return F.mse_loss(dec(enc(x)), x)

    def lb(x):
        calls["b"] += 1
        return {"loss": F.mse_loss(dec(enc(x)), x), "extra": torch.tensor(1.0)}

    h = T.train([T.Step("a", [enc], la), T.Step("b", [dec], lb, every=2, repeat=3)], _data(n=128),
                modules=[enc, dec], epochs=1, batch_size=16)
    assert calls == {"a": 8, "b": 4 * 3}
    assert set(h) >= {"a_loss", "b_loss", "extra", "loss"}


def test_small_models_train_on_one_thread_and_restore():
    before = torch.get_num_threads()
    enc, dec = _ae()
    seen = []

    class CB(T.Callback):
        def on_batch_end(self, info):
            seen.append(torch.get_num_threads())

    T.train(_step(enc, dec), _data(n=64), modules=[enc, dec], epochs=1, batch_size=32, callbacks=[CB()])
    assert torch.get_num_threads() == before
    assert set(seen) == {1}


def test_bad_arguments():
    enc, dec = _ae()
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        T.train(_step(enc, dec), _data(), modules=[enc, dec], epochs=0)
    with pytest.raises(ValueError, match="penalty must be one of"):
        T.train(_step(enc, dec), _data(), modules=[enc, dec], penalty="l3")
    with pytest.raises(ValueError, match="lr must be positive"):
        T.train(_step(enc, dec), _data(), modules=[enc, dec], lr=0)


def test_flat_adam_matches_torch_adam():
    torch.manual_seed(0)
    p1 = torch.nn.Parameter(torch.randn(300))
    p2 = torch.nn.Parameter(p1.detach().clone())
    o1 = torch.optim.Adam([p1], lr=0.01, weight_decay=0.01)
    o2 = T.FlatAdam(p2, lr=0.01, weight_decay=0.01)
    for _ in range(50):
        g = torch.randn(300)
        p1.grad, p2.grad = g.clone(), g.clone()
        o1.step()
        o2.step()
    torch.testing.assert_close(p1, p2, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("acts", [("relu", "tanh"), ("leaky_relu", "sigmoid")])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_grad_fn_with_dropout_matches_autograd_with_the_same_masks(acts, dtype):
    torch.manual_seed(0)
    enc, dec = mlp([6, 5, 3], acts[0], dropout=0.3), mlp([3, 5, 6], acts[1], dropout=0.3)
    enc, dec = enc.to(dtype), dec.to(dtype)
    x = _data(n=400).to(dtype)
    fn = mlp_mse_grad_fn([enc, dec])
    assert fn is not None  # dropout stays on the hand-written path
    fn(x)  # a first step, so the masks checked below are not the first ones drawn
    loss = fn(x)
    masks = [m for m in fn.last_masks if m is not None]
    assert len(masks) == 2 and all(m.dtype == dtype for m in masks)
    kept = torch.cat([m.flatten() for m in masks])
    assert torch.isclose(kept, torch.tensor(0.0, dtype=dtype)).logical_or(
        torch.isclose(kept, torch.tensor(1 / 0.7, dtype=dtype))).all()
    assert abs(float((kept == 0).to(dtype).mean()) - 0.3) < 0.05
    g_fast = [p.grad.clone() for m in (enc, dec) for p in m.parameters()]
    # the same network written with autograd and the same masks
    l1, l2 = enc[0], enc[3]
    l3, l4 = dec[0], dec[3]
    for m in (enc, dec):
        m.zero_grad(set_to_none=True)
    h = enc[1](l1(x)) * masks[0]
    h = l2(h)
    h = dec[1](l3(h)) * masks[1]
    ref = F.mse_loss(l4(h), x)
    ref.backward()
    assert float(loss) == pytest.approx(ref.item(), rel=1e-6)
    for a, p in zip(g_fast, [p for m in (enc, dec) for p in m.parameters()]):
        torch.testing.assert_close(a, p.grad, rtol=1e-5, atol=1e-7)


def test_dropout_masks_are_seeded_unbiased_and_fresh_every_step():
    def masks_of(seed, steps, n=128):
        torch.manual_seed(seed)
        enc, dec = mlp([6, 40, 3], "relu", dropout=0.2), mlp([3, 40, 6], "relu", dropout=0.2)
        fn = mlp_mse_grad_fn([enc, dec])
        x = _data(n=n)
        out = []
        for _ in range(steps):
            fn(x)
            out.append(torch.cat([m for m in fn.last_masks if m is not None], 1).clone())
        return out

    a, b, c = masks_of(0, 120), masks_of(0, 120), masks_of(1, 3)
    # torch's seed fixes the masks; every step (also across the blocks drawn at once) gets new ones
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a[0], c[0])
    assert not any(torch.equal(a[i], a[i + 1]) for i in range(len(a) - 1))
    allm = torch.stack(a).double()
    assert abs(float((allm == 0).double().mean()) - 0.2) < 0.003  # 120 x 128 x 80 units
    # inverted dropout: the scale makes each mask's expected value exactly 1
    scale = float(allm.max())
    assert scale * (1 - 13107 / 65536) == pytest.approx(1.0, abs=1e-7)
    # a last batch of another size works and has its own masks
    assert masks_of(0, 2, n=37)[1].shape == (37, 80)


def test_autoencoder_with_dropout_is_reproducible():
    X = _data(n=300).numpy()
    from genad import AutoEncoder

    def scores(seed):
        return AutoEncoder(hidden=[8], latent_dim=3, dropout=0.2, epochs=3, batch_size=32, trim=0.0,
                           random_state=seed).fit(X).decision_function(X)

    a, b, c = scores(0), scores(0), scores(1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
