"""What every deep detector shares: device handling, seeding, the validation split, the call
into the one training loop, and batched scoring under ``torch.inference_mode``.

A subclass implements

* ``_build_networks()`` -- create its modules as fitted attributes (``encoder_``, ...) from the
  hyper-parameters and ``self.input_shape_`` (also used to rebuild them when loading a file);
* ``_steps()`` -- the :class:`genad.nn.training.Step` list (one for an autoencoder; alternating
  steps for adversarial models);
* ``_score_batch(x)`` -- anomaly scores of a batch tensor (higher = more anomalous).

Optionally ``_validation_loss(batch)`` (default: the first step's loss) and
``_before_training(X)`` / ``_after_training(X)`` hooks.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch

from ..base import Detector
from ..nn import training as T

__all__ = ["DeepDetector"]


class DeepDetector(Detector):
    """Base of the deep detectors (see module docstring).

    Shared parameters (set by subclasses' ``__init__``): ``hidden``, ``latent_dim``, ``epochs``,
    ``batch_size``, ``lr``, ``optimizer``, ``weight_decay``, ``validation_fraction``,
    ``patience``, ``preprocessing``, ``device``, ``random_state``, ``verbose``, ``callbacks``;
    optional ``penalty``/``penalty_weight``, ``clip_grad_norm``.
    """

    _allow_nd: ClassVar[bool] = True
    _dtype: ClassVar[Any] = np.float32
    #: rows per scoring batch (large: scoring is memory-bound, not compute-bound)
    score_batch_size: ClassVar[int] = 65536
    #: scikit-learn checks failed on purpose, besides Detector's (see genad.base.expected_failed_checks)
    _sklearn_expected_failures: ClassVar[dict] = {
        "check_methods_subset_invariance": "float32 networks: a row's score is the same in any batch up to "
        "float32 rounding (batch-size-dependent matrix products, about 1e-7 relative) and the check asks for "
        "rtol=1e-7; tests/test_sklearn_checks.py checks it at rtol=1e-5",
    }

    # ------------------------------------------------------------- device
    def _device(self) -> torch.device:
        return T.resolve_device(getattr(self, "device", "auto"))

    def _modules(self) -> list[torch.nn.Module]:
        return [v for k, v in vars(self).items() if k.endswith("_") and isinstance(v, torch.nn.Module)]

    def _to_device(self) -> torch.device:
        dev = self._device()
        for m in self._modules():
            m.to(dev)
        return dev

    def _check_input(self, X: np.ndarray) -> None:
        if X.ndim == 4 and X.shape[1] not in (1, 3) and X.shape[-1] in (1, 3):
            raise ValueError(
                f"X looks like channels-last images (shape {X.shape}); genad expects (n, c, h, w). "
                "Transpose with X.transpose(0, 3, 1, 2)."
            )

    # ------------------------------------------------------------- hooks
    def _build_networks(self) -> None:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} must implement _build_networks")

    def _steps(self) -> list[T.Step]:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} must implement _steps")

    def _score_batch(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} must implement _score_batch")

    def _validation_loss(self):
        return None

    def _before_training(self, X: torch.Tensor) -> None:
        """Called with the training tensor after the networks are built."""

    def _after_training(self, X: torch.Tensor) -> None:
        """Called with the training tensor after training (e.g. fit latent statistics)."""

    # ------------------------------------------------------------- fit / score
    def _fit(self, X: np.ndarray) -> None:
        dev = self._device()
        gen = T.seed_everything(self._seed())
        self._build_networks()
        self._to_device()
        Xt = torch.as_tensor(X, device=dev)
        vf = float(getattr(self, "validation_fraction", 0.0) or 0.0)
        if not 0.0 <= vf < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1); got {vf}.")
        n_val = int(round(len(Xt) * vf))
        if n_val >= 1 and len(Xt) - n_val >= 2:
            perm = torch.randperm(len(Xt), generator=gen).to(dev)
            X_val, X_train = Xt[perm[:n_val]], Xt[perm[n_val:]]
        else:
            X_val, X_train = None, Xt
        self._before_training(X_train)
        modules = self._modules()
        cbs = getattr(self, "callbacks", None)
        self.history_ = T.train(
            self._steps(),
            X_train,
            modules=modules,
            epochs=getattr(self, "epochs", 10),
            batch_size=getattr(self, "batch_size", 128),
            lr=getattr(self, "lr", 1e-3),
            optimizer=getattr(self, "optimizer", "adam"),
            weight_decay=getattr(self, "weight_decay", 0.0) or 0.0,
            penalty=getattr(self, "penalty", None),
            penalty_weight=getattr(self, "penalty_weight", 1e-4),
            validation_data=X_val,
            validation_loss=self._validation_loss(),
            patience=getattr(self, "patience", None),
            clip_grad_norm=getattr(self, "clip_grad_norm", None),
            callbacks=list(cbs) if cbs else None,
            score_fn=self._live_scores if cbs else None,
            verbose=getattr(self, "verbose", 0),
            generator=gen,
            desc=type(self).__name__,
        )
        for m in modules:
            m.eval()
        self._after_training(X_train)

    def _live_scores(self, X) -> np.ndarray:
        """Current scores during training (for callbacks): validated and scaled like ``fit``."""
        from ..validation import check_X

        arr = check_X(X, dtype=self._dtype, allow_nd=True, input_shape=self.input_shape_)
        modules = self._modules()
        was = [m.training for m in modules]
        try:
            return self._score(self._transform(arr))
        finally:
            for m, w in zip(modules, was):
                m.train(w)

    def _score(self, X: np.ndarray) -> np.ndarray:
        dev = self._to_device()
        for m in self._modules():
            m.eval()
        out = np.empty(len(X), dtype=np.float64)
        bs = int(self.score_batch_size)
        with torch.inference_mode(), T.small_model_threads(self._modules(), dev):
            for i in range(0, len(X), bs):
                xb = torch.as_tensor(X[i : i + bs], device=dev)
                out[i : i + bs] = self._score_batch(xb).float().cpu().numpy()
        return out

    def _forward_batched(self, fn, X: np.ndarray) -> np.ndarray:
        """Apply ``fn(tensor) -> tensor`` to ``X`` in scoring batches (reconstructions, latents...)."""
        dev = self._to_device()
        for m in self._modules():
            m.eval()
        out = []
        bs = int(self.score_batch_size)
        with torch.inference_mode(), T.small_model_threads(self._modules(), dev):
            for i in range(0, len(X), bs):
                out.append(fn(torch.as_tensor(X[i : i + bs], device=dev)).float().cpu())
            return torch.cat(out).numpy()
