"""Scoring speed on the CPU: onnxruntime on the exported graph vs genad's own scoring.

Each detector is fitted on 5,000 rows of 40 correlated features, exported with
``det.export_onnx``, and both paths score the same 100,000 rows in one call (genad: validation,
scaling and the model; onnxruntime: the graph, scaling included). The two are timed interleaved,
``--repeats`` times each, and the median rows per second of each is recorded, with the ratio and the
largest relative score difference. Both run with the threads the process gets by default (the
machine's load is in the machine note). Usage::

    PYTHONPATH=src python benchmarks/export/speed.py --repeats 5
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main(argv=None):
    import onnxruntime as ort

    import genad
    from genad.bench import Recorder
    from genad.export import onnx_scores

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--detectors", nargs="+", default=["AutoEncoder", "VAE", "IsolationForest", "PCA", "KNN"])
    ap.add_argument("--out", default=str(HERE / "results" / "onnx_speed.json"))
    a = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    W = rng.normal(size=(8, 40))
    X = rng.normal(size=(5000, 8)) @ W + rng.normal(size=(5000, 40))
    Xt = rng.normal(size=(a.rows, 8)) @ W + rng.normal(size=(a.rows, 40))
    rec = Recorder("export-onnx-speed", a.out, metrics=["onnx_rows_per_s", "genad_rows_per_s"],
                   title="Scoring rows/s: onnxruntime (exported graph) vs genad",
                   description=__doc__.split("\n\n")[1].replace("\n", " "),
                   machine_note=f"load average at start {os.getloadavg()[0]:.1f}")
    for name in a.detectors:
        det = getattr(genad, name)(random_state=0).fit(X)
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "m.onnx"
            det.export_onnx(path)
            sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            t_onnx, t_genad = [], []
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                s_onnx = onnx_scores(sess, Xt)
                t_onnx.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                s_genad = det.decision_function(Xt)
                t_genad.append(time.perf_counter() - t0)
        rel = float(np.max(np.abs(s_onnx - s_genad) / np.maximum(np.abs(s_genad), 1e-12)))
        r = rec.add(dataset="synthetic-40d", detector=name, seed=0, rows=a.rows,
                    onnx_rows_per_s=a.rows / float(np.median(t_onnx)), genad_rows_per_s=a.rows / float(np.median(t_genad)),
                    speedup=float(np.median(t_genad) / np.median(t_onnx)), max_rel_diff=rel,
                    load_average=os.getloadavg()[0])
        print({k: r[k] for k in ("detector", "onnx_rows_per_s", "genad_rows_per_s", "speedup", "max_rel_diff")}, flush=True)
    rec.write()


if __name__ == "__main__":
    main()
