"""Where a 10,000-row score request spends its time inside the server, without the HTTP transport.

The batch phase of ``run.py`` compares rows/s over HTTP with in-process ``decision_function`` on
the same rows. This script times, in one process and on the same fitted models (IsolationForest
defaults and the FF12 AutoEncoder, on the FF12 KDD data, the first 10,000 test rows), each piece
of work the server's scoring job does for one request, best of ``--repeats`` calls, the pieces
interleaved within each repeat:

* ``decision_function``: the model alone (the anchor of the batch phase);
* ``parse``: the body to numbers (Parquet read into a float64 array; JSON parsed and its rows
  turned into an array);
* ``p_values_labels``: conformal p-values against the sorted calibration scores and the labels;
* ``render``: the answer written (Parquet table or JSON document);
* ``job``: the whole scoring job the server runs per request (``genad.serve.api._score_job``),
  from the body bytes to the answer bytes.

``bound_share`` = decision_function / job: the share of in-process rows/s that HTTP scoring could
reach if the transport (sockets, HTTP parsing, the hop to the worker thread) cost nothing.

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/service/request_parts.py --repeats 30
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

HERE = Path(__file__).resolve().parent


def main(argv=None):
    import pandas as pd

    import genad
    from genad.bench import Recorder
    from genad.bench.protocols import FF12_EPOCHS, FF12_NETWORK
    from genad.datasets import load
    from genad.serve import api

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--out", default=str(HERE / "results" / "request_parts.json"))
    a = ap.parse_args(argv)

    ds = load("kdd99-ff12")
    X_train = np.asarray(ds.X_train, dtype=np.float64)
    X = np.asarray(ds.X_test, dtype=np.float64)[:10_000]
    buf = io.BytesIO()
    pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])]).to_parquet(buf)
    bodies = {"parquet": buf.getvalue(), "json": json.dumps({"rows": X.tolist()}).encode()}
    rec = Recorder("service-request-parts", a.out,
                   metrics=["decision_function_ms", "parse_ms", "p_values_labels_ms", "render_ms", "job_ms",
                            "bound_share"],
                   title="service: a 10,000-row score request's work inside the server, by part",
                   description=__doc__.split("\n\n")[1].replace("\n", " "),
                   machine_note=f"load average at start {os.getloadavg()[0]:.1f}",
                   body_bytes={k: len(v) for k, v in bodies.items()})
    models = {"iforest": genad.IsolationForest(random_state=0),
              "autoencoder": genad.AutoEncoder(random_state=0, **FF12_NETWORK, epochs=FF12_EPOCHS["AutoEncoder"])}
    for name, det in models.items():
        det.fit(X_train)
        entry = SimpleNamespace(detector=det, name=name, digest="0" * 64)
        sorted_cal = np.sort(det.calibration_scores_)
        threshold = float(det.threshold_)
        scores = det.decision_function(X)
        res = api.score_rows(entry, X, threshold, scores, sorted_cal)

        def parse_json():
            _, rows = api.json_rows(api.load_json(bodies["json"]), 100_000)
            return np.asarray(rows, dtype=np.float64)

        parts = {
            "decision_function": lambda: det.decision_function(X),
            "parse parquet": lambda: api._parquet_numbers(det, bodies["parquet"], 100_000),
            "parse json": parse_json,
            "p_values_labels": lambda: api.score_rows(entry, X, threshold, scores, sorted_cal),
            "render parquet": lambda: api._render(entry, res, threshold, True),
            "render json": lambda: api._render(entry, res, threshold, False),
            "job parquet": lambda: api._score_job(entry, api.PARQUET, bodies["parquet"], 100_000, None, None,
                                                  True, {}, None, sorted_cal),
            "job json": lambda: api._score_job(entry, "application/json", bodies["json"], 100_000, None, None,
                                               False, {}, None, sorted_cal),
        }
        times = {k: [] for k in parts}
        for r in range(a.repeats):
            for k in (list(parts) if r % 2 == 0 else list(parts)[::-1]):
                t0 = time.perf_counter()
                parts[k]()
                times[k].append(time.perf_counter() - t0)
        ms = {k: 1e3 * min(v) for k, v in times.items()}
        for fmt in ("parquet", "json"):
            rec.add(dataset="kdd99-ff12, 10,000 test rows", detector=name, seed=0, variant=fmt,
                    decision_function_ms=ms["decision_function"], parse_ms=ms[f"parse {fmt}"],
                    p_values_labels_ms=ms["p_values_labels"], render_ms=ms[f"render {fmt}"],
                    job_ms=ms[f"job {fmt}"], bound_share=ms["decision_function"] / ms[f"job {fmt}"],
                    repeats=a.repeats)
            print(f"{name:>11} {fmt:>7}: model {ms['decision_function']:.2f} ms, parse {ms[f'parse {fmt}']:.2f}, "
                  f"p-values+labels {ms['p_values_labels']:.2f}, render {ms[f'render {fmt}']:.2f}, "
                  f"job {ms[f'job {fmt}']:.2f} ms -> at most {ms['decision_function'] / ms[f'job {fmt}']:.0%} "
                  "of in-process rows/s", flush=True)
    print(rec.write())


if __name__ == "__main__":
    main()
