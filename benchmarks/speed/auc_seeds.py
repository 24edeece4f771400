"""ROC-AUC of genad's AutoEncoder on the FF12 speed benchmark's two settings over a few seeds,
for the genad found on PYTHONPATH: run it once per version to see what a change of training
mechanism does to the results (the report's plain network; PyOD's regularisation with dropout).

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/speed/auc_seeds.py OUT.json
"""

from __future__ import annotations

import json
import sys

import numpy as np
from sklearn.metrics import roc_auc_score

import genad
from genad.datasets import load

SEEDS = range(5)
SETTINGS = {"plain": dict(preprocessing="minmax"),
            "pyod_settings": dict(preprocessing="standard", dropout=0.2, weight_decay=1e-5)}


def main() -> None:
    ds = load("kdd99-ff12")
    res = {"genad": genad.__file__}
    for name, settings in SETTINGS.items():
        aucs = []
        for seed in SEEDS:
            det = genad.AutoEncoder(hidden=[15, 7], latent_dim=2, epochs=14, batch_size=128, lr=0.01, trim=0.0,
                                    validation_fraction=0.0, patience=None, random_state=seed, **settings)
            aucs.append(float(roc_auc_score(ds.y_test, det.fit(ds.X_train).decision_function(ds.X_test))))
        res[name] = dict(roc_auc=aucs, mean=float(np.mean(aucs)))
        print(name, np.round(aucs, 4), round(float(np.mean(aucs)), 4), flush=True)
    with open(sys.argv[1], "w") as f:
        json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
