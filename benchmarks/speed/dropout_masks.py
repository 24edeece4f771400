"""Do genad's CPU dropout masks (NumPy random bits, many steps per draw) train as well as
masks from ``torch.rand``? Same network, data and seeds; only the mask source differs.

FF12 KDD data, the report's network (18-15-7-2-7-15-18), 14 epochs, batch 128, lr 0.01, with
PyOD's regularisation (standardised inputs, dropout 0.2) and no trimming, seeds 0-29. ROC-AUC on
the 10,000 FF12 test rows. Writes results/dropout_masks.json.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/speed/dropout_masks.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

import genad
from genad.datasets import load

OUT = Path(__file__).resolve().parent / "results"
SEEDS = range(30)


class _TorchMaskAutoEncoder(genad.AutoEncoder):
    """The AutoEncoder with its fast path's dropout masks drawn by ``torch.rand`` (benchmark only)."""

    _dropout_mask_source = "torch"


def main() -> None:
    ds = load("kdd99-ff12")
    res = {}
    for name, cls in (("torch.rand", _TorchMaskAutoEncoder), ("genad CPU masks", genad.AutoEncoder)):
        aucs = []
        for seed in SEEDS:
            det = cls(hidden=[15, 7], latent_dim=2, epochs=14, batch_size=128, lr=0.01, dropout=0.2,
                      preprocessing="standard", trim=0.0, validation_fraction=0.0, patience=None,
                      random_state=seed).fit(ds.X_train)
            aucs.append(float(roc_auc_score(ds.y_test, det.decision_function(ds.X_test))))
        res[name] = dict(roc_auc=aucs, mean=float(np.mean(aucs)), std=float(np.std(aucs)),
                         min=float(np.min(aucs)))
        print(f"{name:16s} mean {np.mean(aucs):.4f} +- {np.std(aucs):.4f} min {np.min(aucs):.4f}", flush=True)
    diff = np.subtract(res["genad CPU masks"]["roc_auc"], res["torch.rand"]["roc_auc"])
    res["paired_difference"] = dict(mean=float(diff.mean()),
                                    standard_error=float(diff.std(ddof=1) / np.sqrt(len(diff))))
    print("paired difference", res["paired_difference"])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "dropout_masks.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
