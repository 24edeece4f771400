"""IsolationForest scoring time by call size: genad's packed trees against scikit-learn's loop.

``genad.IsolationForest`` scores up to ``_PACKED_MAX_ROWS`` rows by walking every tree at once
over packed arrays (``genad.detectors.classic._PackedForest``) and larger calls with
scikit-learn's ``score_samples``, which loops over the trees through joblib. This times both on
the same fitted forest (defaults, 100 trees, fitted on 3,000 rows of 41 features) for calls of
1 to 4,096 rows, interleaved, best of ``--repeats`` per size, and checks that the scores agree.
The cut-over between the two is chosen from these ratios. Usage::

    PYTHONPATH=src python benchmarks/speed/iforest_small.py --repeats 20
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main(argv=None):
    import genad
    from genad.bench import Recorder
    from genad.detectors.classic import _PACKED_MAX_ROWS, _PackedForest

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--out", default=str(HERE / "results" / "iforest_small.json"))
    a = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 41))
    det = genad.IsolationForest(random_state=0).fit(X)
    packed = _PackedForest.of(det.model_)
    rec = Recorder("iforest-small-calls", a.out, metrics=["packed_ms", "sklearn_ms", "speedup"],
                   title="IsolationForest scoring time per call: packed trees vs scikit-learn's loop",
                   description=__doc__.split("\n\n")[1].replace("\n", " "),
                   machine_note=f"load average at start {os.getloadavg()[0]:.1f}", cut_over_rows=_PACKED_MAX_ROWS)
    for n in (1, 16, 64, 256, 512, 1024, 4096):
        x = rng.normal(size=(n, 41)) * 2
        tp, ts = [], []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            sp = packed.score(x)
            tp.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ss = -det.model_.score_samples(x)
            ts.append(time.perf_counter() - t0)
        diff = float(np.max(np.abs(sp - ss)))
        rec.add(dataset="gaussian-41", detector="IsolationForest", seed=0, variant=f"{n} rows", rows=n,
                packed_ms=1e3 * min(tp), sklearn_ms=1e3 * min(ts), speedup=min(ts) / min(tp), max_abs_diff=diff)
        print(f"{n:>5} rows: packed {1e3 * min(tp):.3f} ms, scikit-learn {1e3 * min(ts):.3f} ms, "
              f"x{min(ts) / min(tp):.1f}, max |diff| {diff:.1e}", flush=True)
    print(rec.write())


if __name__ == "__main__":
    main()
