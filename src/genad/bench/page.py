"""Regenerate ``docs/results.md`` from every results file under ``benchmarks/``.

    PYTHONPATH=src python -m genad.bench.page            # from the repository root
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .report import result_files, write_results_page


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=".", help="repository root (default: the current folder)")
    args = ap.parse_args(argv)
    root = Path(args.root)
    page = write_results_page(root=root)
    print(f"wrote {page} from {len(result_files(root))} results files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
