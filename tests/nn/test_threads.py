"""Scoring from several threads at once: per-thread CPU thread limits, same scores as one at a time."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from genad import VAE, AutoEncoder, IsolationForest
from genad.nn.threads import limit_threads, thread_limits_available


def _in_thread(fn):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("value", fn()))
    t.start()
    t.join()
    return out["value"]


@pytest.fixture
def two_threads():
    """torch's process default at 2 threads for this test (the suite may run on one)."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(before)


def test_limit_threads_leaves_other_threads_alone(two_threads):
    if not thread_limits_available()["openmp"]:
        pytest.skip("torch is not built with OpenMP here: no per-thread limit to check")
    default = two_threads
    inside, release, seen = threading.Event(), threading.Event(), {}

    def limited():
        with limit_threads(1):
            seen["inside"] = torch.get_num_threads()
            inside.set()
            release.wait(30)
        seen["after"] = torch.get_num_threads()

    worker = threading.Thread(target=limited)
    worker.start()
    inside.wait(30)
    try:
        seen["other"] = torch.get_num_threads()
        # a thread that starts using torch during the block gets the process default, not 1
        seen["started_meanwhile"] = _in_thread(torch.get_num_threads)
    finally:
        release.set()
        worker.join()
    assert seen == {"inside": 1, "other": default, "started_meanwhile": default, "after": default}


def test_concurrent_scoring_matches_one_at_a_time():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    models = [
        AutoEncoder(epochs=2, batch_size=64, patience=None, random_state=0).fit(X),
        VAE(epochs=2, batch_size=64, patience=None, n_samples=2, random_state=0).fit(X),
        IsolationForest(n_estimators=20, random_state=0).fit(X),
    ]
    inputs = [rng.normal(size=(int(rng.integers(1, 120)), 6)).astype(np.float32) for _ in range(12)]
    jobs = [(m, i) for m in range(len(models)) for i in range(len(inputs))] * 3
    expected = {(m, i): models[m].decision_function(inputs[i]) for m, i in set(jobs)}
    threads_before = torch.get_num_threads()

    order = np.random.default_rng(1).permutation(len(jobs))
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [(jobs[k], pool.submit(models[jobs[k][0]].decision_function, inputs[jobs[k][1]])) for k in order]
        results = [(job, f.result()) for job, f in futures]

    for (m, i), scores in results:
        np.testing.assert_allclose(scores, expected[m, i], rtol=1e-6, atol=0,
                                   err_msg=f"{type(models[m]).__name__} on input {i}")
    assert torch.get_num_threads() == threads_before
    assert _in_thread(torch.get_num_threads) == threads_before


def test_scoring_leaves_a_recurrent_model_untouched():
    """Scoring must not rebuild module state another thread may be reading: ``Module.to`` on an
    LSTM empties and refills its flat-weight list even when nothing moves, and a forward pass in
    another thread then failed ("zip() argument 2 is longer than argument 1")."""
    rng = np.random.default_rng(0)
    S = rng.normal(size=(80, 4, 3)).astype(np.float32)
    det = AutoEncoder(epochs=1, batch_size=32, patience=None, random_state=0).fit(S)
    lstms = [m for net in det._modules() for m in net.modules() if isinstance(m, torch.nn.LSTM)]
    assert lstms, "the sequence AutoEncoder is expected to hold LSTM layers"
    refs = [m._flat_weight_refs for m in lstms]
    want = det.decision_function(S[:5])
    assert all(m._flat_weight_refs is r for m, r in zip(lstms, refs))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: det.decision_function(S[i % 5:5]), range(400)))
    for i, got in enumerate(results):
        np.testing.assert_allclose(got, want[i % 5:], rtol=1e-6, atol=0)
