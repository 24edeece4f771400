"""Inference time per 1,000 ECG5000-shaped sequences (140 steps, 1 feature): Seq2Seq (both
decodings) vs the dense autoencoder, side by side in one process, one CPU thread.

Seq2Seq is timed with the network of run_ecg5000.py (encoder and decoder LSTM 32) and with
the FF12 report's smaller one (encoder 10, decoder 20); the dense autoencoder has the network
of run_ecg5000.py. Models are fitted briefly (2 epochs) on the ECG5000 training beats (the
time depends on the network sizes, not on how well they are trained), then
``decision_function`` (the full public path: validation, scaling, batched scoring) is timed on
5,000 sequences; the median of 7 repeats, interleaved, is reported per 1,000 sequences.

    PYTHONPATH=src python benchmarks/seq/run_speed.py
"""

from __future__ import annotations

import time

import numpy as np
import torch

from _common import dense_autoencoder, write
from run_ecg5000 import DENSE, SEQ2SEQ

from genad import Seq2Seq
from genad.datasets import load

N, REPEATS = 5000, 7
#: the FF12 report's smaller network (encoder LSTM 10, decoder LSTM 20), for comparison
SMALL = dict(SEQ2SEQ, hidden=[10], decoder_hidden=[20])


def main():
    torch.set_num_threads(1)
    ds = load("ecg5000", as_sequences=True)
    rng = np.random.default_rng(0)
    X = ds.X_train[rng.integers(0, len(ds.X_train), N)]
    s2s = Seq2Seq(random_state=0, **dict(SEQ2SEQ, epochs=2)).fit(ds.X_train)
    small = Seq2Seq(random_state=0, **dict(SMALL, epochs=2)).fit(ds.X_train)
    ae, ae_name = dense_autoencoder(random_state=0, **dict(DENSE, epochs=2))
    ae.fit(ds.X_train[..., 0])
    fns = {
        "Seq2Seq teacher_forcing": lambda: s2s.set_params(decode="teacher_forcing").decision_function(X),
        "Seq2Seq free_running": lambda: s2s.set_params(decode="free_running").decision_function(X),
        "Seq2Seq[10/20] teacher_forcing": lambda: small.set_params(decode="teacher_forcing").decision_function(X),
        "Seq2Seq[10/20] free_running": lambda: small.set_params(decode="free_running").decision_function(X),
        ae_name: lambda: ae.decision_function(X[..., 0]),
    }
    for f in fns.values():  # warm up
        f()
    times = {k: [] for k in fns}
    for _ in range(REPEATS):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    per_1000_ms = {k: 1000.0 * float(np.median(v)) * 1000 / N for k, v in times.items()}
    ratios = {k: per_1000_ms[k] / per_1000_ms[ae_name] for k in per_1000_ms if k != ae_name}
    for k, v in per_1000_ms.items():
        print(f"{k:28s} {v:9.3f} ms / 1,000 sequences")
    print("ratio to", ae_name, ratios)
    write("speed.json", {"shape": [N, 140, 1], "repeats": REPEATS, "statistic": "median",
                         "seq2seq_params": SEQ2SEQ, "dense_params": DENSE, "dense_model": ae_name,
                         "ms_per_1000": per_1000_ms, "ratio_to_dense": ratios,
                         "seq2seq_parameters": s2s.n_parameters(),
                         "seq2seq_small_params": SMALL, "seq2seq_small_parameters": small.n_parameters(),
                         "dense_parameters": ae.n_parameters(),
                         "reference": "FF12 report: Seq2Seq inference ~1,400x slower than its AE; target within 20x"})


if __name__ == "__main__":
    main()
