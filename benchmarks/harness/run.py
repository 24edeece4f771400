"""Record a harness run under benchmarks/harness/<suite>/ and regenerate docs/results.md.

Usage (from the repository root):

    GENAD_DATA=/path/to/data PYTHONPATH=src python benchmarks/harness/run.py default --with-pyod
    GENAD_DATA=/path/to/data PYTHONPATH=src python benchmarks/harness/run.py ff12-kdd --seeds 3
    GENAD_DATA=/path/to/data PYTHONPATH=src python benchmarks/harness/run.py adbench --seeds 1
    GENAD_DATA=/path/to/data PYTHONPATH=src python benchmarks/harness/run.py ff12-kdd --detectors VAE --seed-list 3,4 --merge
    PYTHONPATH=src python benchmarks/harness/run.py --page-only

Torch runs single-threaded (the machine is shared); timings are therefore per core.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("suite", nargs="?")
    ap.add_argument("--seeds", type=int, default=1, help="number of seeds (0 .. seeds-1)")
    ap.add_argument("--seed-list", default=None, help="comma-separated seeds instead of --seeds (e.g. 3,4)")
    ap.add_argument("--merge", action="store_true",
                    help="add these runs to the recorded results of the suite (same dataset, detector and seed "
                         "replaced) instead of starting the folder afresh")
    ap.add_argument("--detectors", default=None, help="comma-separated names")
    ap.add_argument("--datasets", default=None, help="comma-separated dataset ids of the suite (e.g. adbench/WBC)")
    ap.add_argument("--with-pyod", action="store_true")
    ap.add_argument("--include-slow", action="store_true")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--machine-note", default="no GPU; shared with other concurrent work, so timings are noisy",
                    help="text stored with the machine description")
    ap.add_argument("--page-only", action="store_true", help="only regenerate docs/results.md (the same as "
                                                              "PYTHONPATH=src python -m genad.bench.page)")
    args = ap.parse_args(argv)

    import genad.bench as bench

    if not args.page_only:
        if not args.suite:
            ap.error("give a suite name or --page-only")
        import torch

        torch.set_num_threads(args.threads)
        command = "PYTHONPATH=src python benchmarks/harness/run.py " + " ".join(
            shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
        out = ROOT / "benchmarks" / "harness" / args.suite
        seeds = [int(s) for s in args.seed_list.split(",")] if args.seed_list else args.seeds
        res = bench.run_suite(
            args.suite, out_dir=out, seeds=seeds, write=not args.merge,
            detectors=args.detectors.split(",") if args.detectors else None, with_pyod=args.with_pyod,
            datasets=args.datasets.split(",") if args.datasets else None,
            include_slow=args.include_slow, command=command, machine_note=args.machine_note,
        )
        if args.merge:
            from genad.bench.runner import merge_results

            merge_results(out, res)
        print(f"{len(res.records)} runs, {len(res.failures)} failed, {res.wall_seconds:.0f} s; "
              f"summary: {out / 'summary.md'}")
    page = bench.write_results_page(root=ROOT)
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
