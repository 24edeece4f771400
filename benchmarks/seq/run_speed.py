"""Inference time per 1,000 sequences: Seq2Seq settings vs genad.AutoEncoder, side by side in
one process, one CPU thread.

ECG5000-shaped sequences (140 steps, 1 feature): Seq2Seq with the network of run_ecg5000.py
(encoder and decoder LSTM 32) at its defaults (unconditioned decoder, ``steps_per_cell="auto"``
= 14), with 1 and 7 time steps per LSTM step, with a conditional decoder (teacher forcing /
free running) at 1 and 14 steps per LSTM step, with the FF12 report's smaller network (encoder 10,
decoder 20), with torch's oneDNN (mkldnn) kernels switched off, and with other CPU scoring
batch sizes than the default rule (``Seq2Seq.cpu_score_cells``); the dense ``genad.AutoEncoder`` has the network of run_ecg5000.py.

FF12-shaped rows (KDD, 18 features read as 18 steps of one feature): Seq2Seq with the FF12
report's network (encoder LSTM 10, decoder 20) at its defaults (``steps_per_cell="auto"`` = 2)
and with a conditional decoder, one step per LSTM step, vs AutoEncoder [15, 7] -> 2 on the same rows.

Models are fitted briefly (2 epochs; 1 epoch on 5,000 KDD rows) -- the time depends on the
network sizes, not on how well they are trained -- then ``decision_function`` (the full public
path: validation, scaling, batched scoring) is timed on 5,000 sequences; the median of 15
repeats, interleaved (each round in a new random order), is reported per 1,000 sequences, and as a ratio to the AutoEncoder timed
on the same data in the same loop.

    PYTHONPATH=src:benchmarks/seq python benchmarks/seq/run_speed.py
"""

from __future__ import annotations

import time

import numpy as np
import torch

from genad.bench.protocols import FF12_NETWORK

from _common import dense_autoencoder, write
from run_ecg5000 import DENSE, SEQ2SEQ

from genad import Seq2Seq
from genad.datasets import load

N, REPEATS = 5000, 15
#: the FF12 report's smaller network (encoder LSTM 10, decoder LSTM 20)
SMALL = dict(hidden=[10], decoder_hidden=[20])
FF12_DENSE = {k: FF12_NETWORK[k] for k in ("hidden", "latent_dim", "preprocessing")}  # the FF12 network


def _batch(size, fn):
    def run():
        before = Seq2Seq.cpu_score_batch_size
        Seq2Seq.cpu_score_batch_size = size
        try:
            fn()
        finally:
            Seq2Seq.cpu_score_batch_size = before
    return run


def _no_mkldnn(fn):
    def run():
        with torch.backends.mkldnn.flags(enabled=False):
            fn()
    return run


def main():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    ecg = load("ecg5000", as_sequences=True)
    X = ecg.X_train[rng.integers(0, len(ecg.X_train), N)]
    fit = dict(SEQ2SEQ, epochs=2)
    seq = {
        "Seq2Seq (defaults)": Seq2Seq(random_state=0, **fit),
        "Seq2Seq uncond k=1": Seq2Seq(random_state=0, steps_per_cell=1, **fit),
        "Seq2Seq uncond k=7": Seq2Seq(random_state=0, steps_per_cell=7, **fit),
        "Seq2Seq cond k=1": Seq2Seq(random_state=0, conditional=True, steps_per_cell=1, **fit),
        "Seq2Seq cond k=14": Seq2Seq(random_state=0, conditional=True, steps_per_cell=14, **fit),
        "Seq2Seq[10/20] (defaults)": Seq2Seq(random_state=0, **dict(fit, **SMALL)),
        "Seq2Seq[10/20] cond k=1": Seq2Seq(random_state=0, conditional=True, steps_per_cell=1, **dict(fit, **SMALL)),
    }
    for det in seq.values():
        det.fit(ecg.X_train)
    ae, ae_name = dense_autoencoder(random_state=0, **dict(DENSE, epochs=2))
    ae.fit(ecg.X_train[..., 0])

    kdd = load("kdd99-ff12")
    R = kdd.X_test[rng.integers(0, len(kdd.X_test), N)]
    kdd_train = kdd.X_train[rng.permutation(len(kdd.X_train))[:N]]
    ff12_params = dict(SMALL, epochs=1, batch_size=256, preprocessing="minmax", random_state=0)
    ff_seq = Seq2Seq(**ff12_params).fit(kdd_train)
    ff_cond = Seq2Seq(conditional=True, steps_per_cell=1, **ff12_params).fit(kdd_train)
    ff_ae, _ = dense_autoencoder(random_state=0, epochs=1, **FF12_DENSE)
    ff_ae.fit(kdd_train)

    def score(det, decode=None, data=X):
        return lambda: det.set_params(decode=decode).decision_function(data)

    default = score(seq["Seq2Seq (defaults)"])
    ecg_fns = {
        "Seq2Seq (defaults)": default,
        "Seq2Seq uncond k=1": score(seq["Seq2Seq uncond k=1"]),
        "Seq2Seq uncond k=7": score(seq["Seq2Seq uncond k=7"]),
        **{f"{k} {d}": score(seq[k], d) for k in ("Seq2Seq cond k=1", "Seq2Seq cond k=14")
           for d in ("teacher_forcing", "free_running")},
        "Seq2Seq[10/20] (defaults)": score(seq["Seq2Seq[10/20] (defaults)"]),
        **{f"Seq2Seq[10/20] cond k=1 {d}": score(seq["Seq2Seq[10/20] cond k=1"], d)
           for d in ("teacher_forcing", "free_running")},
        "Seq2Seq (defaults), oneDNN off": _no_mkldnn(default),
        "Seq2Seq uncond k=1, oneDNN off": _no_mkldnn(score(seq["Seq2Seq uncond k=1"])),
        **{f"Seq2Seq (defaults), score batch {b}": _batch(b, default) for b in (64, 256, 1024, N)},
        **{f"Seq2Seq uncond k=1, score batch {b}": _batch(b, score(seq["Seq2Seq uncond k=1"])) for b in (1024, N)},
        ae_name: lambda: ae.decision_function(X[..., 0]),
    }
    ff_fns = {
        "FF12 Seq2Seq[10/20] (defaults)": score(ff_seq, data=R),
        "FF12 Seq2Seq[10/20] cond k=1 teacher_forcing": score(ff_cond, "teacher_forcing", R),
        "FF12 Seq2Seq[10/20] cond k=1 free_running": score(ff_cond, "free_running", R),
        "FF12 " + ae_name: lambda: ff_ae.decision_function(R),
    }
    fns = {**ecg_fns, **ff_fns}
    for f in fns.values():  # warm up
        f()
    times = {k: [] for k in fns}
    names = list(fns)
    for _ in range(REPEATS):  # every round in a new random order: no model always runs first
        for i in rng.permutation(len(names)):
            t = time.perf_counter()
            fns[names[i]]()
            times[names[i]].append(time.perf_counter() - t)
    ms = {k: 1000.0 * float(np.median(v)) * 1000 / N for k, v in times.items()}
    ratios = {k: ms[k] / ms[ae_name] for k in ecg_fns if k != ae_name}
    ratios.update({k: ms[k] / ms["FF12 " + ae_name] for k in ff_fns if k != "FF12 " + ae_name})
    for k, v in ms.items():
        print(f"{k:44s} {v:9.3f} ms / 1,000 sequences  {ratios.get(k, 1.0):6.1f}x")
    write("speed.json", {
        "ecg_shape": [N, 140, 1], "ff12_shape": [N, 18], "repeats": REPEATS, "statistic": "median",
        "seq2seq_params": SEQ2SEQ, "seq2seq_small_params": SMALL, "dense_params": DENSE,
        "ff12_dense_params": FF12_DENSE, "dense_model": ae_name,
        "steps_per_cell": {k: d.steps_per_cell_ for k, d in seq.items()},
        "score_batch_size": {k: d.score_batch_size for k, d in seq.items()},
        "ff12_score_batch_size": ff_seq.score_batch_size,
        "ff12_steps_per_cell": ff_seq.steps_per_cell_,
        "ms_per_1000": ms, "ratio_to_dense": ratios,
        "parameters": {**{k: d.n_parameters() for k, d in seq.items()}, ae_name: ae.n_parameters(),
                       "FF12 Seq2Seq[10/20] (defaults)": ff_seq.n_parameters(),
                       "FF12 Seq2Seq[10/20] cond k=1": ff_cond.n_parameters(), "FF12 " + ae_name: ff_ae.n_parameters()},
        "reference": "FF12 report: Seq2Seq inference ~1,400x slower than its AE; target within 20x"})


if __name__ == "__main__":
    main()
