"""The recorder of one probe: ``benchmarks/scaling/results/probes/<probe>.json`` (genad-bench/2)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "src"))

from genad.bench import Recorder  # noqa: E402

RESULTS = ROOT / "benchmarks" / "scaling" / "results" / "probes"


def recorder(probe_file: str, title: str, metrics) -> Recorder:
    name = Path(probe_file).stem
    return Recorder("scaling", RESULTS / f"{name}.json", metrics=list(metrics), title=f"scaling probe {name}: {title}")
