"""Why the FF12 report's PCA reaches 0.771 ROC-AUC on its KDD test sample and genad's 0.96.

The report's settings (2 components, min-max scaling; :data:`genad.bench.protocols.FF12_REPORT`)
are not the cause: genad's PCA with those settings scores 0.96. The cause is the score. The
report's code scores a row by the sum of its Euclidean distances to the principal axes' unit
vectors taken as points (``sum_k ||x - w_k||``, fastforwardlabs/deepad ``models/pca.py``,
``compute_anomaly_score_unsupervised``, the one its ``train.py`` evaluates), not by the
reconstruction error ``||x - (mean + W^T W (x - mean))||^2`` that genad (and the PCA literature)
uses. That score also depends on the signs of the axes, which an SVD leaves arbitrary: flipping an
axis ``w_k -> -w_k`` describes the same subspace but changes every distance. This script fits
genad's PCA once per number of components and measures both scores on the same fit, and for 2
components the report's score under each of the four sign choices, so the difference is measured,
not argued.

    PYTHONPATH=src GENAD_DATA=/path/to/data python benchmarks/ff12/pca_score.py
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist

import genad
from genad.bench import Recorder
from genad.bench.protocols import FF12_REPORT
from genad.datasets import load
from genad.metrics import evaluate

OUT = Path(__file__).resolve().parent / "results" / "pca_score.json"


def report_score(det: genad.PCA, X: np.ndarray, signs=None) -> np.ndarray:
    """The report's PCA score on genad's fitted model: summed distance from the scaled row to each
    principal axis vector, read as a point (axes multiplied by ``signs`` when given)."""
    Z = det.scaler_.transform(X) if det.scaler_ is not None else X
    W = det.components_ if signs is None else det.components_ * np.asarray(signs, dtype=float)[:, None]
    return cdist(Z, W).sum(axis=1)


def main() -> None:
    ds = load("kdd99-ff12")
    rec = Recorder("ff12-pca-score", OUT, metrics=["roc_auc"],
                   title="FF12 KDD: the report's PCA score against reconstruction error, same fit")
    for k in (2, 3, 5, 0.9):
        params = {**FF12_REPORT["PCA"], "n_components": k}
        det = genad.PCA(**params, random_state=0).fit(ds.X_train)
        for label, s in (("reconstruction error (genad)", det.decision_function(ds.X_test)),
                         ("sum of distances to the axes (report's code)", report_score(det, ds.X_test))):
            rec.add(dataset="kdd99-ff12", detector=f"PCA({k} components): {label}", seed=None,
                    roc_auc=float(evaluate(ds.y_test, s)["roc_auc"]), n_components=k)
            print(f"{k!s:>4} components  {label:<46} ROC-AUC {rec.records[-1]['roc_auc']:.3f}")
        if k == 2:
            for signs in itertools.product((1, -1), repeat=2):
                auc = float(evaluate(ds.y_test, report_score(det, ds.X_test, signs))["roc_auc"])
                rec.add(dataset="kdd99-ff12", detector=f"PCA(2 components): report's score, axis signs {signs}",
                        seed=None, roc_auc=auc, n_components=k)
                print(f"   2 components  report's score, axis signs {signs!s:<17}             ROC-AUC {auc:.3f}")
    print("wrote", rec.write())


if __name__ == "__main__":
    main()
