"""How much does a bigger shift in two features raise the score? Detector saturation probe.

The normal rows of the planted-feature benchmark (``planted.py``: 20 features, 4,000 training
rows, same seed) and 300 fresh normal rows in which two features (x5 and x9, not the correlated
pair) are moved by ``k`` standard deviations, k in 0, 2, 3, 4, 6, 12. Recorded per detector x k:
the mean score, the share flagged (above ``threshold_``) and the threshold. A detector whose score
stops growing with ``k`` cannot tell a 6-sd shift from an ordinary 3-sd tail value in another
feature, so neither can an attribution of its score. Usage::

    PYTHONPATH=src python benchmarks/explain/saturation.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(argv=None):
    import genad
    from genad.bench import Recorder
    from planted import D, normal_rows

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--detectors", nargs="+", default=["IsolationForest", "KNN", "AutoEncoder", "VAE"])
    ap.add_argument("--out", default=str(HERE / "results" / "saturation.json"))
    a = ap.parse_args(argv)
    rec = Recorder("explain-saturation", a.out, metrics=["score_mean", "flagged"],
                   title="Score saturation: mean score as two features move k standard deviations",
                   description=__doc__.split("\n\n")[1].replace("\n", " "))
    for seed in a.seeds:
        rng = np.random.default_rng(seed)
        W = rng.normal(size=(5, D)) * 0.3
        X = normal_rows(4000, rng, W)
        sd = X.std(0)
        Z = normal_rows(300, rng, W)
        for name in a.detectors:
            det = getattr(genad, name)(random_state=seed).fit(X)
            for k in (0, 2, 3, 4, 6, 12):
                A = Z.copy()
                A[:, [5, 9]] += k * sd[[5, 9]]
                s = det.decision_function(A)
                r = rec.add(dataset=f"shift-{k}sd", detector=name, seed=seed, shift_sd=k,
                            score_mean=float(s.mean()), flagged=float(np.mean(s > det.threshold_)),
                            threshold=float(det.threshold_))
                print({key: r[key] for key in ("dataset", "detector", "seed", "score_mean", "flagged")}, flush=True)
            rec.write()
    rec.write()


if __name__ == "__main__":
    main()
