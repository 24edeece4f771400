"""How much signal is there in CIFAR-10 cats vs upside-down cats? (diagnosis for run_cifar_flip.py)

Uses the 5,000 CIFAR-10 *training* cats only (never the test set). A random half is flipped
upside down (``default_rng(5)``); 3-fold cross-validated ROC-AUC of a *supervised* logistic
regression (labels used: an optimistic bound on what a linear read-out of these features can
do, far more than an unsupervised detector gets) on

* ``row_profile``: mean colour of each pixel row (32 x 3; colour versus height only);
* ``top_minus_bottom``: mean colour of the top half minus the bottom half (3);
* ``pixels_8x8`` / ``pixels_16x16``: the whole image, block-averaged (192 / 768).

Writes results/cifar_flip_signal.json.

    GENAD_DATA=/work/shared/data PYTHONPATH=src python benchmarks/group/cifar_flip_signal.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from genad.bench import Recorder
from genad.datasets import load

OUT = Path(__file__).resolve().parent / "results"


def block_mean(A: np.ndarray, f: int) -> np.ndarray:
    n, c, h, w = A.shape
    return A.reshape(n, c, h // f, f, w // f, f).mean(axis=(3, 5)).reshape(n, -1)


def main():
    X = load("cifar10", normal_class=3, max_train=None).X_train.copy()
    rng = np.random.default_rng(5)
    y = np.zeros(len(X), int)
    y[rng.choice(len(X), len(X) // 2, replace=False)] = 1
    X[y == 1] = X[y == 1][:, :, ::-1, :]
    h = X.shape[2] // 2
    feats = {
        "row_profile": X.mean(axis=3).reshape(len(X), -1),
        "top_minus_bottom": X[:, :, :h].mean(axis=(2, 3)) - X[:, :, h:].mean(axis=(2, 3)),
        "pixels_8x8": block_mean(X, 4),
        "pixels_16x16": block_mean(X, 2),
    }
    res = {}
    for name, F in feats.items():
        best = max(
            (float(cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=3000)), F, y,
                                   cv=3, scoring="roc_auc").mean()), C)
            for C in (0.001, 0.01, 0.1, 1.0))
        res[name] = {"n_features": int(F.shape[1]), "cv_roc_auc": best[0], "best_C": best[1]}
        print(f"{name:18s} {F.shape[1]:4d} features  supervised 3-fold ROC-AUC {best[0]:.3f} (C={best[1]})", flush=True)
    rec = Recorder("group", OUT / "cifar_flip_signal.json", metrics=["cv_roc_auc"],
                   title="Flipped CIFAR cats: supervised signal bound", n_images=len(X), n_flipped=int(y.sum()))
    for name, v in res.items():
        rec.add(dataset="cifar10-flipped", detector="supervised logistic", variant=name, seed=None, **v)
    rec.write()


if __name__ == "__main__":
    main()
