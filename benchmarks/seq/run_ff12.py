"""FF12 KDD protocol: each 18-feature row read as a sequence of 18 steps (one feature each).

Train on the 97,278 normal rows of kddcup.data_10_percent (MinMax scaling fitted on them), score
the 10,000 FF12 test rows; ROC-AUC over 3 seeds. The FF12 report's network: encoder LSTM 10,
decoder LSTM 20. Reference: the report's Seq2Seq ROC-AUC 0.919.

    PYTHONPATH=src python benchmarks/seq/run_ff12.py
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from _common import write

from genad import Seq2Seq
from genad.datasets import load

SEEDS = (0, 1, 2)
PARAMS = dict(hidden=[10], decoder_hidden=[20], epochs=10, batch_size=256, lr=1e-3, patience=3,
              preprocessing="minmax")


def main():
    torch.set_num_threads(1)
    ds = load("kdd99-ff12")
    rows = []
    for seed in SEEDS:
        t = time.perf_counter()
        det = Seq2Seq(random_state=seed, **PARAMS).fit(ds.X_train)
        fit_s = time.perf_counter() - t
        row = {"seed": seed, "fit_s": fit_s, "epochs_run": len(det.history_["loss"])}
        for mode in ("teacher_forcing", "free_running"):
            t = time.perf_counter()
            s = det.set_params(decode=mode).decision_function(ds.X_test)
            row[f"score_s_{mode}"] = time.perf_counter() - t
            row[f"roc_auc_{mode}"] = float(roc_auc_score(ds.y_test, s))
        rows.append(row)
        print(row, flush=True)
    mean = {m: float(np.mean([r[f"roc_auc_{m}"] for r in rows])) for m in ("teacher_forcing", "free_running")}
    std = {m: float(np.std([r[f"roc_auc_{m}"] for r in rows])) for m in ("teacher_forcing", "free_running")}
    print("mean ROC-AUC", mean)
    write("ff12.json", {"dataset": "kdd99-ff12", "protocol": ds.metadata.get("protocol"), "seeds": list(SEEDS),
                        "params": PARAMS, "mean_roc_auc": mean, "std_roc_auc": std, "runs": rows,
                        "reference": {"FF12 report Seq2Seq ROC-AUC": 0.919}})


if __name__ == "__main__":
    main()
