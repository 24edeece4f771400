"""DeepSVDD settings on rows: the harness's ADBench datasets on *tuning* split seeds.

The image setting (``lr=1e-4``, ``validation.py``) is checked here against the rows' default
before it is applied to rows. Each dataset of the ``genad.bench`` suite ``adbench`` (the same
caps and protocol: stratified 70/30 split, training part with its anomalies) is drawn with split
seeds that the harness does not report (default 100 and 101; it reports 0-2), and every variant
is fitted with ``random_state`` = the split seed, calibrated on a 10% hold-out (one fit).

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/deep_svdd/rows.py \\
        --variants '{"defaults": {}, "lr 1e-4": {"lr": 0.0001}}'

Results: ``results/rows_adbench_tuning.json`` (one record per dataset, split seed and variant; a
rerun adds to the file); the means per variant and split seed are printed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

import genad
from genad.bench import Recorder
from genad.bench.suites import get_suite

OUT = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default='{"defaults": {}}', help="JSON: {label: DeepSVDD parameters}")
    ap.add_argument("--seeds", type=int, nargs="+", default=[100, 101], help="split seeds (not 0-2)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    variants = json.loads(args.variants)
    rec = Recorder("deep-svdd", OUT / "rows_adbench_tuning.json",
                   title="DeepSVDD settings on ADBench tuning splits (rows)",
                   description=__doc__.split("\n\n")[0], machine_note=f"torch threads {args.threads}")
    rec.resume()
    for spec in get_suite("adbench").resolve():
        for seed in args.seeds:
            ds = spec.load(seed)
            for label, params in variants.items():
                det = genad.DeepSVDD(random_state=seed, **params)
                det.min_holdout = 1  # hold-out calibration: one fit on 90% of the training part
                rec.measure(det, ds, dataset=spec.name, seed=seed, name="DeepSVDD", variant=label)
            rec.write()
    for label in variants:
        for seed in args.seeds:
            auc = [r["roc_auc"] for r in rec.records
                   if r.get("variant") == label and r.get("seed") == seed and r.get("status", "ok") == "ok"]
            print(f"{label:16s} split seed {seed}: mean ROC-AUC {np.mean(auc):.4f} over {len(auc)} datasets")


if __name__ == "__main__":
    main()
