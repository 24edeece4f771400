"""Shared bits of the sequence benchmarks: the dense autoencoder baseline, result files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DATA = os.environ.setdefault("GENAD_DATA", str(HERE.parents[2].parent / "shared" / "data"))
if not Path(DATA).is_dir():  # worktrees live one level deeper (/work/wt/<name>)
    DATA = os.environ["GENAD_DATA"] = str(HERE.parents[3] / "shared" / "data")


def dense_autoencoder(**params):
    """The dense baseline: ``genad.AutoEncoder`` and its label in the results."""
    from genad import AutoEncoder

    # the plain loss, as Seq2Seq has no trimmed loss (and as the recorded runs were made)
    params.setdefault("trim", 0.0)
    return AutoEncoder(**params), "AutoEncoder"


def fitted_variants(X_train, base: dict, variants: dict, seed: int):
    """Fit one ``Seq2Seq(**base, **extra)`` per variant ``name: (extra, decodes)`` and yield
    ``(label, detector set to that decoding, fit seconds)`` for each of its decodings."""
    from genad import Seq2Seq

    for name, (extra, decodes) in variants.items():
        t = time.perf_counter()
        det = Seq2Seq(random_state=seed, **base, **extra).fit(X_train)
        fit_s = time.perf_counter() - t
        for decode in decodes:
            yield (name if decode is None else f"{name} {decode}"), det.set_params(decode=decode), fit_s


def _detector(model: str) -> str:
    head = model.split()[0].split("[")[0]
    return head if head in ("Seq2Seq", "AutoEncoder", "RollingZScore") else "Seq2Seq"


def write(name: str, payload: dict) -> Path:
    """Record the runs of a sequence benchmark through genad.bench.Recorder: one record per model
    (``variant``), dataset or NAB series and seed; the other payload keys are kept as settings."""
    from genad.bench import Recorder

    rows = payload.get("runs") or []
    series = payload.get("per_series") or []
    timed = {k: v for k, v in payload.items() if k in ("ms_per_1000", "ratio_to_dense", "parameters")}
    settings = {k: v for k, v in payload.items() if k not in ("runs", "per_series", *timed)}
    metrics = ["roc_auc", "fit_seconds"] if rows or series else ["ms_per_1000", "ratio_to_dense"]
    rec = Recorder("seq", RESULTS / name, metrics=metrics, machine_note=f"torch threads {torch.get_num_threads()}",
                   settings=settings)
    for r in rows:
        r = dict(r)
        model = r.pop("model")
        rec.add(dataset=str(payload.get("dataset", "sequences")), detector=_detector(model), variant=model,
                seed=r.pop("seed", None), **{("fit_seconds" if k == "fit_s" else "score_seconds" if k == "score_s" else k): v
                                             for k, v in r.items()})
    for s in series:
        for model, v in s["methods"].items():
            rec.add(dataset=s["series"], detector=_detector(model), variant=model, seed=None,
                    roc_auc=v.get("roc_auc"), f1_fixed_threshold=v.get("f1_fixed_threshold"),
                    f1_oracle=v.get("f1_oracle"), fit_seconds=v.get("fit_s"), nab=v.get("nab"))
    for model, ms in (timed.get("ms_per_1000") or {}).items():
        rec.add(dataset="scoring time", detector=_detector(model), variant=model, seed=None, ms_per_1000=ms,
                ratio_to_dense=(timed.get("ratio_to_dense") or {}).get(model),
                n_parameters=(timed.get("parameters") or {}).get(model))
    path = rec.write()
    print(f"wrote {path}")
    return path
