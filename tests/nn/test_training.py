"""The one training loop: optimizers, penalties, early stopping, divergence, callbacks, seeding."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from genad.nn import training as T
from genad.nn.backbones import mlp


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


def test_sampler_sets_each_epochs_rows_and_batches():
    data = torch.arange(10.0).unsqueeze(1)
    net = torch.nn.Linear(1, 1)
    seen, draws = [], []

    def loss(x):
        seen.append(x[:, 0].tolist())
        return net(x).pow(2).mean()

    def sampler(gen):
        draws.append(gen)
        return torch.tensor([9, 9, 1, 2])  # repeats allowed, rows left out never seen

    hist = T.train(T.Step("s", [net], loss), data, modules=[net], epochs=2, batch_size=3, sampler=sampler)
    assert seen == [[9.0, 9.0, 1.0], [2.0]] * 2  # consecutive runs of batch_size, drawn every epoch
    assert len(draws) == 2 and len(hist["loss"]) == 2
