"""Shared bits of the sequence benchmarks: the dense autoencoder baseline, result files."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DATA = os.environ.setdefault("GENAD_DATA", str(HERE.parents[2].parent / "shared" / "data"))
if not Path(DATA).is_dir():  # worktrees live one level deeper (/work/wt/<name>)
    DATA = os.environ["GENAD_DATA"] = str(HERE.parents[3] / "shared" / "data")


def dense_autoencoder(**params):
    """``genad.AutoEncoder`` when this checkout has it; otherwise a stand-in with the same
    role (MLP encoder-decoder from genad.nn.backbones, MSE, the shared training loop), named
    ``DenseAE(stand-in)`` in the results so the two are never confused."""
    try:
        from genad import AutoEncoder

        return AutoEncoder(**params), "AutoEncoder"
    except ImportError:
        return _StandInAE(**params), "DenseAE(stand-in)"


from genad.detectors.deep import DeepDetector  # noqa: E402
from genad.nn import backbones as B  # noqa: E402
from genad.nn.training import Step  # noqa: E402


class _StandInAE(DeepDetector):
    def __init__(self, hidden=None, latent_dim=None, epochs=50, batch_size=128, lr=1e-3,
                 validation_fraction=0.1, patience=5, preprocessing="standard", random_state=None,
                 device="auto"):
        self.hidden, self.latent_dim, self.epochs, self.batch_size, self.lr = hidden, latent_dim, epochs, batch_size, lr
        self.validation_fraction, self.patience, self.preprocessing = validation_fraction, patience, preprocessing
        self.random_state, self.device = random_state, device

    def _build_networks(self):
        d = int(np.prod(self.input_shape_))
        self.encoder_, self.decoder_ = B.encoder_decoder((d,), self.hidden, self.latent_dim or B.default_latent_dim(d))

    def _steps(self):
        def loss(x):
            x = x.reshape(len(x), -1)
            return torch.nn.functional.mse_loss(self.decoder_(self.encoder_(x)), x)
        return [Step("reconstruction", [self.encoder_, self.decoder_], loss)]

    def _score_batch(self, x):
        x = x.reshape(len(x), -1)
        return (x - self.decoder_(self.encoder_(x))).pow(2).mean(dim=1)


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
