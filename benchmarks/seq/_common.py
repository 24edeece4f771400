"""Shared bits of the sequence benchmarks: the dense autoencoder baseline, result files."""

from __future__ import annotations

import json
import os
import platform
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


def machine() -> dict:
    return {"machine": "2-core CPU, no GPU, shared with other work", "platform": platform.platform(),
            "torch": torch.__version__, "torch_threads": torch.get_num_threads()}


def write(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"written": time.strftime("%Y-%m-%d %H:%M:%S"), **machine(), **payload}
    path = RESULTS / name
    path.write_text(json.dumps(payload, separators=(",", ":"), default=float) + "\n")
    print(f"wrote {path}")
    return path
