"""Do dropout masks from NumPy random bits (genad's former CPU masks) train as well as masks
from torch's generator drawn for many steps at once (genad's masks now)? Same network, data and
seeds; only the mask source differs.

FF12 KDD data, the report's network (18-15-7-2-7-15-18), 14 epochs, batch 128, lr 0.01, with
PyOD's regularisation (standardised inputs, dropout 0.2) and no trimming, seeds 0-29. ROC-AUC on
the 10,000 FF12 test rows. Writes results/dropout_masks.json.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/speed/dropout_masks.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

import genad
from genad.datasets import load
from genad.nn import fast_mlp

OUT = Path(__file__).resolve().parent / "results"
SEEDS = range(30)


def numpy_dropout_masks(p: float, widths):
    """The former CPU masks: 16 random bits per unit from NumPy's PCG64 generator (seeded from
    torch's generator), many steps per draw; the drop probability is ``p`` rounded to a multiple
    of 2**-16 and the scale ``1 / (1 - rounded p)``. Same interface as
    :func:`genad.nn.fast_mlp.dropout_masks`."""
    widths = [int(w) for w in widths]
    bits = np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item())).bit_generator
    cut = min(int(round(p * 65536)), 65535)
    keep_from, scale = np.uint16(cut), np.float32(65536 / (65536 - cut))
    blocks: dict = {}

    def draw(n, like):
        block = blocks.get(n)
        if block is None or block[1] == len(block[0][0]):
            k = max(1, (1 << 18) // (n * sum(widths)))
            masks = []
            for w in widths:
                r = bits.random_raw((k * n * w + 3) // 4).view(np.uint16)[: k * n * w].reshape(k, n, w)
                mask = np.empty((k, n, w), np.float32)
                np.multiply(r >= keep_from, scale, out=mask)
                masks.append(torch.from_numpy(mask))
            block = blocks[n] = [masks, 0]
        i = block[1]
        block[1] += 1
        return [m[i].to(like.dtype) for m in block[0]]

    return draw


def main() -> None:
    ds = load("kdd99-ff12")
    res = {"load_average_start": os.getloadavg()}
    for name, masks in (("torch block masks", fast_mlp.dropout_masks), ("numpy block masks", numpy_dropout_masks)):
        saved, fast_mlp.dropout_masks = fast_mlp.dropout_masks, masks
        aucs = []
        try:
            for seed in SEEDS:
                det = genad.AutoEncoder(hidden=[15, 7], latent_dim=2, epochs=14, batch_size=128, lr=0.01,
                                        dropout=0.2, preprocessing="standard", trim=0.0, validation_fraction=0.0,
                                        patience=None, random_state=seed).fit(ds.X_train)
                aucs.append(float(roc_auc_score(ds.y_test, det.decision_function(ds.X_test))))
        finally:
            fast_mlp.dropout_masks = saved
        res[name] = dict(roc_auc=aucs, mean=float(np.mean(aucs)), std=float(np.std(aucs)),
                         min=float(np.min(aucs)), below_0_965=int(np.sum(np.less(aucs, 0.965))))
        print(f"{name:18s} mean {np.mean(aucs):.4f} +- {np.std(aucs):.4f} min {np.min(aucs):.4f}", flush=True)
    diff = np.subtract(res["numpy block masks"]["roc_auc"], res["torch block masks"]["roc_auc"])
    res["paired_difference_numpy_minus_torch"] = dict(mean=float(diff.mean()),
                                                      standard_error=float(diff.std(ddof=1) / np.sqrt(len(diff))))
    print("paired difference", res["paired_difference_numpy_minus_torch"])
    res["load_average_end"] = os.getloadavg()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "dropout_masks.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
