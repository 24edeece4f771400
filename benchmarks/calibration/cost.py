"""Fit-time cost of cross-conformal calibration against a single 10% hold-out, interleaved.

On the training rows of breast-cancer (178 normal rows, seed 0) each detector is fitted with the
default calibration (5 extra fits: cross-conformal) and with a single 10% hold-out (the
calibration used before for every size, here forced with ``min_holdout=1``), alternately, and
the CPU seconds of the process are compared (one thread, so the load of other processes counts
less than in wall-clock time). Recorded through :class:`genad.bench.Recorder` in ``--out``
(default results/cost.json, genad-bench/2): one record per detector::

    OMP_NUM_THREADS=1 python benchmarks/calibration/cost.py --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np


def main(argv=None):
    import genad
    from genad.datasets import load

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--detectors", nargs="+",
                    default=["PCA", "OCSVM", "IsolationForest", "KDE", "GMM", "KNN", "AutoEncoder"])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "cost.json")
    args = ap.parse_args(argv)
    from genad.bench import Recorder

    rec = Recorder("calibration", args.out, metrics=["ratio", "cross_conformal_cpu_s"],
                   title="calibration: CPU seconds of cross-conformal calibration against one hold-out")
    X = load("breast-cancer", random_state=0).X_train
    rows = []
    for name in args.detectors:
        cls = getattr(genad, name)
        holdout = type(name, (cls,), {"min_holdout": 1, "__module__": "__cost__"})
        t = {"cross-conformal": [], "holdout": []}
        for _ in range(args.repeats):
            for label, c in (("cross-conformal", cls), ("holdout", holdout)):
                t0 = time.process_time()
                det = c(random_state=0).fit(X)
                t[label].append(time.process_time() - t0)
                assert det.calibration_.startswith(label)
        cc, ho = np.median(t["cross-conformal"]), np.median(t["holdout"])
        rows.append({"detector": name, "n_train": len(X), "cross_conformal_cpu_s": round(cc, 3),
                     "holdout_cpu_s": round(ho, 3), "ratio": round(cc / ho, 2)})
        print(json.dumps(rows[-1]), flush=True)
        rec.add(dataset="breast-cancer", seed=0, **rows[-1])
    print("load average:", os.getloadavg())
    rec.extra["load_average_end"] = os.getloadavg()
    print(f"wrote {rec.write()}")


if __name__ == "__main__":
    main()
