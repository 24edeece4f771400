"""FF12 KDD protocol: each 18-feature row read as a sequence of 18 steps (one feature each).

Train on the 97,278 normal rows of kddcup.data_10_percent (MinMax scaling fitted on them), score
the 10,000 FF12 test rows; ROC-AUC over 3 seeds. The FF12 report's network: encoder LSTM 10,
decoder LSTM 20. Reference: the report's Seq2Seq ROC-AUC 0.919. Variants: the default
unconditioned decoder with 1 and 2 steps per LSTM step, and a conditional decoder with 1 step
per LSTM step scored by teacher forcing and free running (one fitted model).

    PYTHONPATH=src:benchmarks/seq python benchmarks/seq/run_ff12.py            # ~10 min
    PYTHONPATH=src:benchmarks/seq python benchmarks/seq/run_ff12.py --quick    # seed 0 only
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from _common import fitted_variants, write

from genad.datasets import load

SEEDS = (0, 1, 2)
PARAMS = dict(hidden=[10], decoder_hidden=[20], epochs=10, batch_size=256, lr=1e-3, patience=3,
              preprocessing="minmax")
#: name -> (extra Seq2Seq params, decodings scored from the one fitted model)
VARIANTS = {
    **{f"uncond k={k}": ({"steps_per_cell": k}, [None]) for k in (1, 2)},
    "cond k=1": ({"conditional": True, "steps_per_cell": 1}, ["teacher_forcing", "free_running"]),
}


def main():
    torch.set_num_threads(1)
    seeds = SEEDS[:1] if "--quick" in sys.argv else SEEDS
    ds = load("kdd99-ff12")
    runs = []
    for seed in seeds:
        for label, det, fit_s in fitted_variants(ds.X_train, PARAMS, VARIANTS, seed):
            t = time.perf_counter()
            s = det.decision_function(ds.X_test)
            runs.append({"model": label, "seed": seed, "fit_s": fit_s, "score_s": time.perf_counter() - t,
                         "epochs_run": len(det.history_["loss"]), "roc_auc": float(roc_auc_score(ds.y_test, s))})
            print(runs[-1], flush=True)
    models = list(dict.fromkeys(r["model"] for r in runs))
    mean = {m: float(np.mean([r["roc_auc"] for r in runs if r["model"] == m])) for m in models}
    std = {m: float(np.std([r["roc_auc"] for r in runs if r["model"] == m])) for m in models}
    print("mean ROC-AUC", mean)
    write("ff12_quick.json" if len(seeds) < len(SEEDS) else "ff12.json", {
        "dataset": "kdd99-ff12", "protocol": ds.metadata.get("protocol"), "seeds": list(seeds), "params": PARAMS,
        "variants": {k: v[0] for k, v in VARIANTS.items()}, "mean_roc_auc": mean, "std_roc_auc": std,
        "runs": runs, "reference": {"FF12 report Seq2Seq ROC-AUC": 0.919}})


if __name__ == "__main__":
    main()
