"""Count scikit-learn's estimator checks passed / expected-failed / failed per genad detector.

Runs ``sklearn.utils.estimator_checks.check_estimator`` (legacy checks included) on every
public point detector and every group detector with the small settings of
``tests/test_sklearn_checks.py`` and prints one row per detector. Expected failures are the ones
a detector declares itself (``genad.base.expected_failed_checks``, when it exists).

    PYTHONPATH=src python benchmarks/sklearn_checks/run.py [--failures] [--only VAE,KNN]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from sklearn_check_settings import check_instance, detector_classes  # noqa: E402  (tests/)


def expected(est):
    try:
        from genad.base import expected_failed_checks
    except ImportError:  # before the detectors declared their expected failures
        return {}
    return expected_failed_checks(est)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--failures", action="store_true", help="print every unexpected failure")
    ap.add_argument("--only", default="", help="comma-separated class names")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    rows = []
    print(f"{'detector':24s} {'passed':>6s} {'xfail':>6s} {'failed':>6s} {'skipped':>7s} {'time s':>7s}")
    for cls in detector_classes():
        if only and cls.__name__ not in only:
            continue
        est = check_instance(cls)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = check_estimator(est, expected_failed_checks=expected(est), on_fail=None, on_skip=None)
            except Exception as exc:  # the check generator itself refuses the estimator
                print(f"{cls.__name__:24s} checks not generated: {type(exc).__name__}: {str(exc)[:200]}")
                continue
        dt = time.perf_counter() - t0
        c = Counter(r["status"] for r in res)
        rows.append((cls.__name__, c))
        print(f"{cls.__name__:24s} {c['passed']:6d} {c['xfail']:6d} {c['failed']:6d} {c['skipped']:7d} {dt:7.1f}",
              flush=True)
        if args.failures:
            for r in res:
                if r["status"] == "failed":
                    msg = str(r["exception"]).strip().splitlines()
                    print(f"    {r['check_name']}: {type(r['exception']).__name__}: {msg[0][:160] if msg else ''}")
    tot = sum((c for _, c in rows), Counter())
    print(f"{'total':24s} {tot['passed']:6d} {tot['xfail']:6d} {tot['failed']:6d} {tot['skipped']:7d}")


if __name__ == "__main__":
    main()
