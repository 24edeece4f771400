"""Seq2Seq: planted anomalous sequences, conditional and unconditioned decoders, several time
steps per LSTM step, rows as sequences, save/load, options."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

import genad
from genad import Seq2Seq


def _sines(rng, n, T=40):
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    freq = rng.uniform(0.8, 1.2, (n, 1))
    t = np.linspace(0, 4 * np.pi, T)[None]
    return (np.sin(freq * t + phase) + 0.05 * rng.normal(size=(n, T)))[..., None].astype(np.float32)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    train, normal = _sines(rng, 300), _sines(rng, 60)
    spike = _sines(rng, 60)
    where = rng.integers(8, 32, 60)
    spike[np.arange(60), where, 0] += rng.choice([-2.5, 2.5], 60)
    brk = _sines(rng, 60)
    brk[:, 20:, 0] = -brk[:, 20:, 0]  # phase break half-way
    return train, normal, spike, brk


@pytest.fixture(scope="module")
def fitted(data):
    torch.set_num_threads(1)
    return Seq2Seq(hidden=[16], epochs=25, batch_size=32, conditional=True, decode="teacher_forcing",
                   steps_per_cell=1, random_state=0).fit(data[0])


@pytest.fixture(scope="module")
def uncond(data):
    torch.set_num_threads(1)
    # lr 3e-3: at 1e-3 this small network sits on its starting plateau long enough for early
    # stopping (patience 5) to end the run
    return Seq2Seq(hidden=[16], epochs=50, batch_size=32, lr=3e-3, random_state=0).fit(data[0])


def _auc(normal_scores, anomaly_scores):
    y = np.r_[np.zeros(len(normal_scores)), np.ones(len(anomaly_scores))]
    return roc_auc_score(y, np.r_[normal_scores, anomaly_scores])


def test_planted_spikes_and_phase_breaks_detected(fitted, data):
    _, normal, spike, brk = data
    s0 = fitted.decision_function(normal)
    assert _auc(s0, fitted.decision_function(spike)) > 0.9
    assert _auc(s0, fitted.decision_function(brk)) > 0.9
    assert fitted.history_["loss"][-1] < fitted.history_["loss"][0]
    assert set(fitted.encoder_.state_dict()) and fitted.decode == "teacher_forcing"


def test_free_running_decoding_works(fitted, data):
    _, normal, spike, brk = data
    # the documented defaults: unconditioned decoder; decode (for conditional ones) None
    assert (Seq2Seq().conditional, Seq2Seq().decode, Seq2Seq().steps_per_cell) == (False, None, "auto")
    assert Seq2Seq(conditional=True)._decode_mode(True) == "free_running"
    fr = clone(fitted).set_params(decode="free_running")
    # same weights, other decoding: copy the fitted state instead of retraining
    fr.__dict__.update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
    s0 = fr.decision_function(normal)
    assert np.isfinite(s0).all()
    assert not np.allclose(s0, fitted.decision_function(normal))
    assert _auc(s0, fr.decision_function(brk)) > 0.75
    # reconstruct(decode=...) overrides per call and keeps the input's shape and units
    rec_tf = fitted.reconstruct(normal[:5])
    rec_fr = fitted.reconstruct(normal[:5], decode="free_running")
    assert rec_tf.shape == rec_fr.shape == (5, 40, 1)
    assert np.abs(rec_tf - normal[:5]).mean() < np.abs(rec_fr - normal[:5]).mean()
    with pytest.raises(ValueError, match="decode must be one of"):
        fitted.reconstruct(normal[:2], decode="beam")


def test_step_errors_locate_the_spike(fitted, data):
    rng = np.random.default_rng(1)
    x = _sines(rng, 20)
    x[:, 25, 0] += 3.0
    err = fitted.step_errors(x)
    assert err.shape == (20, 40)
    assert np.mean(np.argmax(err, axis=1) == 25) > 0.8


def test_scores_are_batched_and_independent_of_batching(fitted, data):
    normal = data[1]
    full = fitted.decision_function(normal)
    parts = np.r_[fitted.decision_function(normal[:7]), fitted.decision_function(normal[7:])]
    np.testing.assert_allclose(full, parts, rtol=1e-5, atol=1e-7)


def test_two_d_rows_read_as_sequences():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 350, 1))
    X = (a * np.sin(np.arange(12.0)) + b + 0.05 * rng.normal(size=(350, 12))).astype(np.float32)
    det = Seq2Seq(hidden=[16], epochs=30, batch_size=32, lr=0.01, random_state=0).fit(X[:250])
    assert det.input_shape_ == (12,)
    assert det.steps_per_cell_ == 2 and det.encoder_.layers[0].input_size == 2  # 2 columns per LSTM step
    out = X[300:].copy()
    out[np.arange(50), rng.integers(0, 12, 50)] += 3.0 * X.std(axis=0).mean()  # one odd column
    assert _auc(det.decision_function(X[250:300]), det.decision_function(out)) > 0.9
    assert det.reconstruct(X[:3]).shape == (3, 12)
    with pytest.raises(ValueError, match="12"):
        det.decision_function(X[:, :10])


def test_images_read_one_pixel_row_per_step():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2, 5, 4)).astype(np.float32)
    det = Seq2Seq(hidden=[8], epochs=2, random_state=0).fit(X)
    assert det.encoder_.layers[0].input_size == 8  # c * w features per step
    S = det._as_sequences(X)
    assert S.shape == (120, 5, 8)
    np.testing.assert_array_equal(S[3, 2], np.r_[X[3, 0, 2], X[3, 1, 2]])
    np.testing.assert_array_equal(det._from_sequences(S), X)
    assert det.reconstruct(X[:4]).shape == (4, 2, 5, 4)
    assert det.step_errors(X[:4]).shape == (4, 5)


def test_save_load_identical_scores(fitted, data, tmp_path):
    path = tmp_path / "s2s.genad"
    fitted.save(path)
    loaded = genad.load(path)
    assert isinstance(loaded, Seq2Seq)
    np.testing.assert_array_equal(loaded.decision_function(data[2]), fitted.decision_function(data[2]))
    assert loaded.threshold_ == fitted.threshold_


def test_bidirectional_and_stacked_options(data):
    train, normal, spike, _ = data
    det = Seq2Seq(hidden=[12, 8], decoder_hidden=[10], bidirectional=True, latent_dim=6, epochs=15,
                  batch_size=32, random_state=0).fit(train[:200])
    assert det.encoder_.layers[0].bidirectional and det.encoder_.layers[1].input_size == 24
    assert det.encoder_.head.in_features == 2 * 2 * 8 and det.encoder_.head.out_features == 6
    assert [m.hidden_size for m in det.decoder_.layers] == [10]
    assert _auc(det.decision_function(normal), det.decision_function(spike)) > 0.9


def test_same_seed_same_scores(data):
    train, normal = data[0][:100], data[1]
    a = Seq2Seq(hidden=[8], epochs=2, random_state=3).fit(train).decision_function(normal)
    b = Seq2Seq(hidden=[8], epochs=2, random_state=3).fit(train).decision_function(normal)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("params, X, msg", [
    ({"decode": "greedy", "conditional": True}, np.zeros((20, 5, 1)), "'decode' parameter of Seq2Seq"),
    ({"decode": "teacher_forcing"}, np.zeros((20, 5, 1)), "applies to a conditional decoder only"),
    ({"conditional": "yes"}, np.zeros((20, 5, 1)), "'conditional' parameter of Seq2Seq"),
    ({"steps_per_cell": 0}, np.zeros((20, 5, 1)), "'steps_per_cell' parameter of Seq2Seq"),
    ({"steps_per_cell": "big"}, np.zeros((20, 5, 1)), "'steps_per_cell' parameter of Seq2Seq"),
    ({"hidden": [0]}, np.zeros((20, 5, 1)), "hidden must be a positive integer"),
    ({"latent_dim": 0}, np.zeros((20, 5, 1)), "'latent_dim' parameter of Seq2Seq"),
    ({}, np.zeros((20, 1, 3, 3, 2)), "5 dimensions"),
    ({}, np.zeros((20, 1, 3)), "at least 2 time steps"),
])
def test_bad_input_and_params(params, X, msg):
    with pytest.raises(ValueError, match=msg):
        Seq2Seq(epochs=1, **params).fit(X)


def test_fast_params_and_export():
    assert "Seq2Seq" in genad.__all__
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    import time

    t = time.perf_counter()
    det = Seq2Seq(**Seq2Seq._fast_params, random_state=0).fit(X)
    assert time.perf_counter() - t < 5.0
    assert det.predict(X).mean() < 0.2


def test_registered_in_suites():
    from genad.bench.registry import suites_of

    assert {"default", "ecg5000", "ff12-kdd"} <= set(suites_of("Seq2Seq"))


def test_free_running_matches_step_by_step_forward():
    from genad.detectors.seq2seq import SequenceDecoder

    torch.manual_seed(0)
    dec = SequenceDecoder(2, [6, 5], 3).eval()
    z = torch.randn(7, 3)
    with torch.inference_mode():
        states, y, outs = dec.initial_state(z), torch.zeros(7, 1, 2), []
        for _ in range(9):  # the decoder's own forward, one step at a time, fed its output
            y, states = dec(y, states)
            outs.append(y)
        np.testing.assert_allclose(dec.free_running(z, 9, 2).numpy(), torch.cat(outs, 1).numpy(), atol=1e-6)
        # teacher forcing feeds the true previous values: step t sees x_{t-1}
        x = torch.randn(7, 9, 2)
        tf = dec.teacher_forcing(z, x)
        y1, st = dec(torch.zeros(7, 1, 2), dec.initial_state(z))
        y2, _ = dec(x[:, :1], st)
        np.testing.assert_allclose(tf[:, :2].numpy(), torch.cat([y1, y2], 1).numpy(), atol=1e-6)


# ------------------------------------------------------------ unconditioned decoder, cells
def test_unconditioned_decoder_learns_and_detects(uncond, data):
    _, normal, spike, brk = data
    assert uncond.conditional_ is False and uncond.steps_per_cell_ == 4  # auto: ceil(40 / 10)
    assert uncond.decoder_.layers[0].input_size == 1  # no input: a single zero feature
    assert uncond.encoder_.layers[0].input_size == 4  # 4 time steps per LSTM step
    s0 = uncond.decision_function(normal)
    # standard-scaled sines have variance ~1 (the error of predicting the mean, or of an
    # untrained network): reconstructing from the code alone must do far better
    assert s0.mean() < 0.3
    assert _auc(s0, uncond.decision_function(brk)) > 0.9
    assert _auc(s0, uncond.decision_function(spike)) > 0.9
    with pytest.raises(ValueError, match="applies to a conditional decoder only"):
        uncond.reconstruct(normal[:2], decode="teacher_forcing")


def test_unconditioned_beats_free_running_conditional_on_shapes(uncond, fitted, data):
    """The unconditioned decoder (trained as it scores) separates phase breaks at least about
    as well as a conditional decoder run free at scoring time (a train/score mismatch)."""
    _, normal, _, brk = data
    fr = lambda X: fitted.reconstruct(X, decode="free_running")  # noqa: E731
    err = lambda X: ((fr(X) - X) ** 2).mean(axis=(1, 2))  # noqa: E731
    auc_fr = _auc(err(normal), err(brk))
    auc_un = _auc(uncond.decision_function(normal), uncond.decision_function(brk))
    assert auc_un >= auc_fr - 0.02


def test_cells_pad_and_map_back():
    from genad.detectors.seq2seq import auto_steps_per_cell, from_cells, to_cells

    x = torch.arange(3 * 10 * 2, dtype=torch.float32).reshape(3, 10, 2)
    c = to_cells(x, 4)
    assert c.shape == (3, 3, 8)  # ceil(10 / 4) cells of 4 steps x 2 features
    np.testing.assert_array_equal(c[1, 1].numpy(), x[1, 4:8].reshape(-1).numpy())
    np.testing.assert_array_equal(c[2, 2, 4:].numpy(), np.zeros(4))  # the padded tail
    np.testing.assert_array_equal(from_cells(c, 10, 2).numpy(), x.numpy())
    np.testing.assert_array_equal(to_cells(x, 1).numpy(), x.numpy())
    assert [auto_steps_per_cell(t) for t in (2, 10, 11, 18, 21, 32, 140)] == [1, 1, 2, 2, 3, 4, 14]


@pytest.mark.parametrize("conditional", [False, True])
def test_cells_with_padding_score_real_steps_only(data, conditional, tmp_path):
    train, normal = data[0][:150], data[1][:20]
    det = Seq2Seq(hidden=[8], epochs=3, steps_per_cell=3, conditional=conditional, random_state=0).fit(train)
    assert det.steps_per_cell_ == 3 and det.encoder_.layers[0].input_size == 3  # 40 = 13 * 3 + 1
    err = det.step_errors(normal)
    assert err.shape == (20, 40)
    assert det.reconstruct(normal).shape == (20, 40, 1)
    # the score is the mean error over the 40 real steps: the 2 padded steps do not count
    np.testing.assert_allclose(det.decision_function(normal), err.mean(axis=1), rtol=1e-5)
    # the fitted cell size is used, whatever the parameter says later; save/load keeps it
    before = det.decision_function(normal)
    det.set_params(steps_per_cell=5)
    np.testing.assert_array_equal(det.decision_function(normal), before)
    det.save(tmp_path / "m.genad")
    loaded = genad.load(tmp_path / "m.genad")
    assert (loaded.steps_per_cell_, loaded.conditional_) == (3, conditional)
    np.testing.assert_array_equal(loaded.decision_function(normal), before)


def test_steps_per_cell_auto_and_clipped():
    rng = np.random.default_rng(0)
    ecg_like = rng.normal(size=(40, 140, 1)).astype(np.float32)
    assert Seq2Seq(hidden=[4], epochs=1, random_state=0).fit(ecg_like).steps_per_cell_ == 14
    rows = rng.normal(size=(40, 6)).astype(np.float32)
    assert Seq2Seq(hidden=[4], epochs=1, random_state=0).fit(rows).steps_per_cell_ == 1
    big = Seq2Seq(hidden=[4], epochs=1, steps_per_cell=50, random_state=0).fit(rows)
    assert big.steps_per_cell_ == 6 and big.step_errors(rows[:3]).shape == (3, 6)


def test_unconditioned_decoder_is_one_batched_pass():
    """The unconditioned decoder equals the LSTM stepped one step at a time from the code's
    state with zero input, and it has no teacher-forcing / free-running path."""
    from genad.detectors.seq2seq import SequenceDecoder

    torch.manual_seed(0)
    dec = SequenceDecoder(3, [6, 5], 4, conditional=False).eval()
    z = torch.randn(7, 4)
    with torch.inference_mode():
        states, outs = dec.initial_state(z), []
        for _ in range(9):
            y, states = dec(torch.zeros(7, 1, 1), states)
            outs.append(y)
        np.testing.assert_allclose(dec.unconditioned(z, 9).numpy(), torch.cat(outs, 1).numpy(), atol=1e-6)
        with pytest.raises(ValueError, match="unconditioned"):
            dec.teacher_forcing(z, torch.zeros(7, 9, 3))
        with pytest.raises(ValueError, match="conditional"):
            SequenceDecoder(3, [6], 4).unconditioned(z, 9)
