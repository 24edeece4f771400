"""ROC-AUC of genad's AutoEncoder on the FF12 speed benchmark's two settings over a few seeds,
for the genad found on PYTHONPATH: run it once per version to see what a change of training
mechanism does to the results (the report's plain network; PyOD's regularisation with dropout).

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/speed/auc_seeds.py OUT.json

The network is :data:`genad.bench.protocols.FF12_NETWORK`. Recorded through
:class:`genad.bench.Recorder` in OUT.json (genad-bench/2): one record per setting x seed; the
commit recorded is that of the genad imported (``PYTHONPATH`` may name another checkout).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

import genad
from genad.bench import Recorder
from genad.bench.protocols import FF12_EPOCHS, FF12_NETWORK
from genad.bench.results import git_commit
from genad.datasets import load

SEEDS = range(5)
SETTINGS = {"plain": dict(preprocessing="minmax"),
            "pyod_settings": dict(preprocessing="standard", dropout=0.2, weight_decay=1e-5)}


def main() -> None:
    ds = load("kdd99-ff12")
    rec = Recorder("speed", sys.argv[1], metrics=["roc_auc"], title="speed: ROC-AUC over seeds, FF12 network",
                   genad_source=genad.__file__)
    rec.commit = git_commit(Path(genad.__file__).resolve().parents[2])
    for name, settings in SETTINGS.items():
        aucs = []
        for seed in SEEDS:
            det = genad.AutoEncoder(**{**FF12_NETWORK, "epochs": FF12_EPOCHS["AutoEncoder"], "random_state": seed,
                                       **settings})
            aucs.append(float(roc_auc_score(ds.y_test, det.fit(ds.X_train).decision_function(ds.X_test))))
            rec.add(dataset="kdd99-ff12", detector="AutoEncoder", variant=name, seed=seed, roc_auc=aucs[-1])
        print(name, np.round(aucs, 4), round(float(np.mean(aucs)), 4), flush=True)
    rec.write()


if __name__ == "__main__":
    main()
