"""Realised false-positive rate of the default threshold on clean test data.

Every detector is fitted with its defaults on normal training rows only; ``threshold_`` is the
default one (nominal 1% false-positive rate); the script records the fraction of *normal* test
rows above it. Datasets:

* ``default``: the default benchmark suite (breast-cancer, digits one-vs-rest 0-9), its
  stratified 50/50 split drawn with the seed; test normals = the normal rows of the test half.
* ``adbench``: the normal rows (y = 0) of every ADBench classical file in the data folder,
  split 50/50 with the seed; training capped at ``--max-train`` rows and test at ``--max-test``.

Recorded through :class:`genad.bench.Recorder` (genad-bench/2): one record per dataset x detector
x seed, with the commit of the genad that runs (``PYTHONPATH`` may name another checkout; it needs
``genad.bench.Recorder``). Usage (one file per run; ``--markdown`` prints the table for the README)::

    python benchmarks/calibration/fpr.py --suite default --seeds 0 1 2 --out results/after_default.json
    python benchmarks/calibration/fpr.py --markdown results/before_default.json results/after_default.json

The numbers depend only on the public API (``fit``, ``threshold_``, ``decision_function``), so
the same script measures any version of genad put first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CLASSIC = ["PCA", "OCSVM", "IsolationForest", "KDE", "GMM", "KNN"]


def default_datasets(seed: int):
    from genad.datasets import load

    yield "breast-cancer", load("breast-cancer", random_state=seed)
    for c in range(10):
        ds = load("digits", normal_class=c, random_state=seed)
        yield f"digits-{c}", ds


def _flat(X):
    X = np.asarray(X, dtype=np.float64)
    return X.reshape(len(X), -1)


def adbench_normals(seed: int, max_train: int, max_test: int, data_home=None):
    from genad.datasets import get_data_home, list_adbench

    home = Path(get_data_home(data_home)) / "adbench"
    files = {p.name.split("_", 1)[1][:-4]: p for p in home.glob("*_*.npz")}
    for name in list_adbench(data_home):
        with np.load(files[name]) as f:
            X, y = np.asarray(f["X"], dtype=np.float64), np.asarray(f["y"]).ravel()
        normal = X[y == 0]
        perm = np.random.default_rng(seed).permutation(len(normal))
        half = len(normal) // 2
        tr, te = perm[:half][:max_train], perm[half:][:max_test]
        yield f"adbench/{name}", normal[tr], normal[te]


def measure(det_name: str, X_train, X_test_normal, seed: int) -> dict:
    import genad

    det = getattr(genad, det_name)(random_state=seed)
    t0 = time.perf_counter()
    det.fit(X_train)
    fit_s = time.perf_counter() - t0
    s = det.decision_function(X_test_normal)
    return {
        "detector": det_name, "seed": seed, "n_train": int(len(X_train)),
        "n_test_normal": int(len(X_test_normal)),
        "n_calibration": int(len(det.calibration_scores_)),
        "calibration": getattr(det, "calibration_", "holdout" if len(det.calibration_scores_) < len(X_train) else "training"),
        "threshold_rule": det.threshold_rule_,
        "fpr": float(np.mean(s > det.threshold_)),
        "fit_seconds": round(fit_s, 3),
    }


def run(args):
    """Measure every (seed, dataset, detector); return the :class:`genad.bench.Recorder` holding them."""
    import genad
    from genad.bench import Recorder

    rec = Recorder("calibration", args.out or Path(tempfile.gettempdir()) / "fpr.json", metrics=["fpr"],
                   title=f"calibration: realised FPR of the default threshold, {args.suite} suite",
                   description="realised FPR of the default threshold (nominal 1%) on clean test rows",
                   genad_source=str(Path(genad.__file__).parent))
    for seed in args.seeds:
        if args.suite == "default":
            items = ((n, _flat(ds.X_train), _flat(ds.X_test)[np.asarray(ds.y_test) == 0]) for n, ds in default_datasets(seed))
        else:
            items = adbench_normals(seed, args.max_train, args.max_test)
        for name, Xtr, Xte in items:
            for det_name in args.detectors:
                try:
                    r = rec.add(dataset=name, **measure(det_name, Xtr, Xte, seed))
                except Exception as exc:  # record and go on
                    r = rec.add(dataset=name, detector=det_name, seed=seed, status="error",
                                error=f"{type(exc).__name__}: {exc}")
                print(json.dumps(r), flush=True)
    return rec


def table(paths: list[str]) -> str:
    """Per file and detector: datasets, median / mean realised FPR, share within [0.5%, 3%]."""
    lines = ["| result | detector | runs (n_train >= 100) | calibration | median FPR | mean FPR | max FPR | in [0.5%, 3%] "
             "| < 0.5% | > 3% | runs (n_train < 100) | mean FPR there |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in paths:
        from genad.bench.results import load_result_json

        res = load_result_json(p)
        recs = [r for r in res["records"] if "fpr" in r and r["n_train"] >= 100]
        small = [r for r in res["records"] if "fpr" in r and r["n_train"] < 100]
        for det in sorted({r["detector"] for r in recs}, key=lambda d: (d not in CLASSIC, d)):
            f = np.array([r["fpr"] for r in recs if r["detector"] == det])
            fs = np.array([r["fpr"] for r in small if r["detector"] == det])
            cal = sorted({r["calibration"].split(":")[0] for r in recs if r["detector"] == det})
            inside = np.mean((f >= 0.005) & (f <= 0.03))
            lines.append(f"| {Path(p).stem} | {det} | {len(f)} | {', '.join(cal)} | {100 * np.median(f):.2f}% | "
                         f"{100 * f.mean():.2f}% | {100 * f.max():.1f}% | {100 * inside:.0f}% | {int((f < 0.005).sum())} | "
                         f"{int((f > 0.03).sum())} | {len(fs)} | "
                         + (f"{100 * fs.mean():.2f}% |" if len(fs) else "- |"))
        failed = [r for r in res["records"] if "error" in r]
        if failed:
            lines.append(f"| {Path(p).stem} | ({len(failed)} failed runs: see the JSON) |" + " |" * 10)
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", choices=["default", "adbench"], default="default")
    ap.add_argument("--detectors", nargs="+", default=CLASSIC)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--max-train", type=int, default=6000)
    ap.add_argument("--max-test", type=int, default=5000)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--markdown", nargs="+", metavar="RESULT_JSON", help="print the summary table of result files")
    args = ap.parse_args(argv)
    if args.markdown:
        print(table(args.markdown))
        return
    rec = run(args)
    if args.out:
        rec.write()
    print(table([str(args.out)]) if args.out else "")


if __name__ == "__main__":
    main()
