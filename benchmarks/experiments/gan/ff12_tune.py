"""Tuning of BiGAN for the FF12 KDD protocol WITHOUT the FF12 test sample.

Validation data: a random sample of KDD Cup 99's ``corrected`` test file (8,000 normal + 2,000
attack rows, the same 18 columns), a file the FF12 protocol does not use. Training: the FF12
training rows (the 97,278 ``normal.`` rows of the 10% file). Seeds 100-102 (the reported figures
use seeds 0-4). For each fitted model the EGBAD score is split into its reconstruction and
feature-matching parts so that ``alpha`` is tuned without refitting.

    GENAD_DATA=/work/shared/data PYTHONPATH=src python benchmarks/gan/ff12_tune.py --config base
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

import genad
from genad.bench import Recorder
from genad.bench.protocols import FF12_GAN
from genad.datasets import load
from genad.datasets.tabular import KDD_FEATURES, _kdd_frame

RESULTS = Path(__file__).resolve().parent
BASE = dict(FF12_GAN)
CONFIGS = {
    "base": {},
    "epochs20": {"epochs": 20},
    "latent32": {"latent_dim": 32},
    "h128": {"hidden": [128, 64]},
    "lr1e-4_e20": {"lr": 1e-4, "epochs": 20},
    "standard": {"preprocessing": "standard"},
    "dropout0.5": {"dropout": 0.5},
    "bs64": {"batch_size": 64},
}
ALPHAS = [0.0, 0.1, 0.5, 0.9, 0.99, 1.0]


def validation_set(cols, n_normal=8000, n_attack=2000, seed=0):
    import os
    path = Path(os.environ["GENAD_DATA"]) / "kdd99" / "corrected.gz"
    df = _kdd_frame(path, KDD_FEATURES + ["label"])
    rng = np.random.default_rng(seed)
    norm = df[df["label"] == "normal."]
    att = df[df["label"] != "normal."]
    norm = norm.iloc[rng.choice(len(norm), n_normal, replace=False)]
    att = att.iloc[rng.choice(len(att), n_attack, replace=False)]
    X = np.concatenate([norm[cols].to_numpy(np.float32), att[cols].to_numpy(np.float32)])
    y = np.r_[np.zeros(n_normal), np.ones(n_attack)]
    return X, y


def score_parts(det, X):
    """(reconstruction L1, reconstruction L2, feature matching L1) per row."""
    x = torch.as_tensor(det._transform(X))
    for m in det._modules():
        m.eval()
    with torch.inference_mode():
        ex = det.encoder_(x)
        rec = det.generator_(ex)
        d = (x - rec)
        fm = (det.discriminator_.features(x, ex) - det.discriminator_.features(rec, ex)).abs().sum(1)
        return d.abs().sum(1).numpy(), d.pow(2).sum(1).sqrt().numpy(), fm.numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="base")
    ap.add_argument("--seeds", default="100,101,102")
    ap.add_argument("--params", default="{}", help="extra JSON params on top of the config")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = load("kdd99-ff12")
    Xv, yv = validation_set(ds.feature_names)
    params = {**BASE, **CONFIGS.get(args.config, {}), **json.loads(args.params)}
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        t0 = time.perf_counter()
        det = genad.BiGAN(**params, random_state=seed).fit(ds.X_train)
        r1, r2, fm = score_parts(det, Xv)
        row = {"seed": seed, "fit_s": time.perf_counter() - t0, "val_auc_default": float(roc_auc_score(yv, det.decision_function(Xv)))}
        for a in ALPHAS:
            row[f"val_auc_l1_alpha{a}"] = float(roc_auc_score(yv, a * r1 + (1 - a) * fm))
            row[f"val_auc_l2_alpha{a}"] = float(roc_auc_score(yv, a * r2 + (1 - a) * fm))
        rows.append(row)
    keys = [k for k in rows[0] if k.startswith("val_auc")]
    summary = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    rec = Recorder("gan", RESULTS / "ff12_tuning.json", metrics=["val_auc_default"], title="BiGAN on FF12: tuning")
    path = RESULTS / "ff12_tuning.json"
    if path.exists():  # one file for every configuration: keep the others
        old = json.loads(path.read_text())
        rec.records = [{**{k: old.get(k) for k in ("command", "commit", "machine", "date")}, **r}
                       for r in old["records"] if r.get("variant") != args.config]
    for r in rows:
        r = dict(r)
        rec.add(dataset="kdd99-ff12 (validation)", detector="BiGAN", variant=args.config, seed=r.pop("seed"),
                params=params, fit_seconds=r.pop("fit_s"), **r)
    rec.write()
    best = max(summary, key=summary.get)
    print(args.config, json.dumps(params), "default %.4f" % summary["val_auc_default"], "best", best, "%.4f" % summary[best], flush=True)


if __name__ == "__main__":
    main()
