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

Hyper-parameters are resolved here, once for every family: :attr:`DeepDetector._parameter_constraints`
is the table every parameter is checked against when ``fit`` starts (scikit-learn's
``_parameter_constraints``; a subclass extends it with its own parameters), ``_hidden()`` and
``_latent_dim()`` turn ``hidden`` / ``latent_dim`` into sizes (a family supplies only the
defaults for ``None``: ``_default_hidden()`` / ``_default_latent_dim()``), ``"auto"``
preprocessing is the family's ``_auto_preprocessing()``, ``lr="auto"`` its ``_default_lr()``,
and a renamed parameter's old name keeps working for one release with a ``FutureWarning``
(``_renamed_parameters``, :mod:`genad._deprecation`).
"""

from __future__ import annotations

from itertools import chain
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import Detector
from ..nn import backbones as B
from ..nn import training as T

__all__ = ["DeepDetector", "SHARED_PARAMETERS"]

#: a positive integer (layer sizes, epochs, batch sizes, ...)
POSITIVE_INT = Interval(Integral, 1, None, closed="left")
#: a non-negative real number
NON_NEGATIVE = Interval(Real, 0, None, closed="left")
#: a positive real number
POSITIVE = Interval(Real, 0, None, closed="neither")
#: one size or a list of sizes (entries checked by :meth:`DeepDetector._layer_sizes`)
LAYER_SIZES = [None, POSITIVE_INT, list, tuple, np.ndarray]

#: the parameters every deep detector takes, with the same meaning everywhere
SHARED_PARAMETERS = (
    "hidden", "latent_dim", "epochs", "batch_size", "lr", "optimizer", "weight_decay",
    "validation_fraction", "patience", "preprocessing", "device", "random_state", "verbose",
    "callbacks", "contamination",
)


def _on(t: torch.Tensor, dev: torch.device) -> bool:
    """Whether ``t`` is on ``dev`` ("cuda" without an index: any GPU counts)."""
    return t.device.type == dev.type and (dev.index is None or t.device.index == dev.index)


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

    #: what every parameter may be (checked when ``fit`` starts); subclasses extend it
    _parameter_constraints: ClassVar[dict] = {
        "hidden": LAYER_SIZES,
        "latent_dim": [None, POSITIVE_INT],
        "epochs": [POSITIVE_INT],
        "batch_size": [POSITIVE_INT],
        "lr": [POSITIVE, StrOptions({"auto"})],
        "optimizer": [StrOptions(set(T.OPTIMIZERS))],
        "weight_decay": [None, NON_NEGATIVE],
        "penalty": [None, StrOptions({"l1", "l2", "l1l2"})],
        "penalty_weight": [NON_NEGATIVE],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="left")],
        "patience": [None, Interval(Integral, 0, None, closed="left")],
        "clip_grad_norm": [None, POSITIVE],
        "preprocessing": [None, StrOptions({"auto", "standard", "minmax"})],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [None, list, tuple],
        "contamination": [None, Interval(Real, 0, 0.5, closed="right")],
        "output_activation": [None, StrOptions(set(B.ACTIVATIONS))],
    }
    #: training settings a family does not expose as parameters, and their fixed values
    _fixed_settings: ClassVar[dict] = {
        "penalty": None, "penalty_weight": 1e-4, "clip_grad_norm": None, "batchnorm": False, "dropout": 0.0,
    }
    #: fewest layers ``hidden`` may list (0: a network without hidden layers)
    _min_hidden_layers: ClassVar[int] = 0

    # ------------------------------------------------------------- hyper-parameters
    def fit(self, X, y=None, **kwargs):
        self._validate_params()
        return super().fit(X, y, **kwargs)

    fit.__doc__ = Detector.fit.__doc__

    def _setting(self, name: str):
        """A hyper-parameter's value, or the fixed value of a setting the family does not expose.
        (Renamed parameters: the old name is translated to the new one in ``__init__`` and
        ``set_params``, see :mod:`genad._deprecation`.)"""
        params = self.get_params(deep=False)
        if name in params:
            return params[name]
        return self._fixed_settings[name]

    @staticmethod
    def _layer_sizes(value, name: str, min_layers: int = 0) -> list[int]:
        """``value`` (one size or a list of sizes) as a list of positive ints; ValueError else."""
        sizes = [value] if isinstance(value, (Integral, np.integer)) else list(np.ravel(value))
        if len(sizes) < min_layers or any(
            isinstance(h, bool) or not isinstance(h, (Integral, np.integer)) or h < 1 for h in sizes
        ):
            need = "a non-empty list of them" if min_layers else "a list of them"
            raise ValueError(f"{name} must be a positive integer or {need}; got {value!r}.")
        return [int(h) for h in sizes]

    def _hidden(self) -> list[int] | None:
        """Hidden layer sizes: ``hidden`` checked, or the family's default when it is None."""
        if self.hidden is None:
            return self._default_hidden()
        return self._layer_sizes(self.hidden, "hidden", self._min_hidden_layers)

    def _latent_dim(self) -> int:
        """Code size: ``latent_dim``, or the family's default when it is None."""
        return self._default_latent_dim() if self.latent_dim is None else int(self.latent_dim)

    def _default_hidden(self) -> list[int] | None:
        """``hidden=None``: sizes from the input width (None lets the backbone choose per arch)."""
        return B.default_hidden(int(np.prod(self.input_shape_)))

    def _default_latent_dim(self) -> int:
        """``latent_dim=None``: about a quarter of the input width, between 2 and 32."""
        return B.default_latent_dim(int(np.prod(self.input_shape_)))

    def _auto_preprocessing(self) -> str | None:
        """What ``preprocessing="auto"`` means for this family and input."""
        return "standard"

    def _preprocessing(self) -> str | None:
        p = self.preprocessing
        return self._auto_preprocessing() if p == "auto" else p

    # ------------------------------------------------------------- device
    def _device(self) -> torch.device:
        return T.resolve_device(self.device)

    def _modules(self) -> list[torch.nn.Module]:
        return [v for k, v in vars(self).items() if k.endswith("_") and isinstance(v, torch.nn.Module)]

    def _to_device(self) -> torch.device:
        """Move the networks to the device, if they are not there yet.

        Networks already there are left untouched: ``Module.to`` rebuilds state even when nothing
        moves (a recurrent layer's flat weight list, for one), and scoring must not change the
        model while another thread scores with it.
        """
        dev = self._device()
        for m in self._modules():
            if any(not _on(t, dev) for t in chain(m.parameters(), m.buffers())):
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

    def _n_epochs(self, n_rows: int) -> int:
        """Epochs of this fit on ``n_rows`` training rows (``epochs``; families may raise it on
        small data sets)."""
        return int(self.epochs)

    def _lr(self) -> float:
        """The learning rate of this fit: ``lr``, or the family's ``_default_lr()`` for "auto"."""
        return self._default_lr() if isinstance(self.lr, str) else float(self.lr)

    def _default_lr(self) -> float:
        """``lr="auto"``: Adam's usual 1e-3 (a family may pick another from ``input_shape_``)."""
        return 1e-3

    def _before_training(self, X: torch.Tensor, y: torch.Tensor | None = None) -> None:
        """Called with the training tensor (and labels, for detectors that learn from them)
        after the networks are built."""

    def _after_training(self, X: torch.Tensor) -> None:
        """Called with the training tensor after training (e.g. fit latent statistics)."""

    def _batch_sampler(self, data):
        """The order of the training rows for one epoch (see ``sampler`` of
        :func:`genad.nn.training.train`), or None for a random permutation of every row; called
        with the training data (a tensor, or ``(X, y)`` for detectors that learn from labels)."""
        return None

    def _training_callbacks(self) -> list:
        """The family's own :class:`genad.nn.training.Callback` objects for this fit (run
        before the user's ``callbacks``)."""
        return []

    # ------------------------------------------------------------- fit / score
    def _fit(self, X: np.ndarray, y: np.ndarray | None = None) -> None:
        """Train on scaled rows ``X``; ``y`` (labels 1/0/-1) only for detectors that learn from
        labels: then every batch is a pair ``(x, y)`` and ``_before_training(X, y)`` sees them."""
        dev = self._device()
        gen = T.seed_everything(self._seed())
        self._build_networks()
        self._to_device()
        Xt = torch.as_tensor(X, device=dev)
        data = Xt if y is None else (Xt, torch.as_tensor(y, dtype=torch.int64, device=dev))
        vf = float(self.validation_fraction or 0.0)
        n_val = int(round(len(Xt) * vf))
        if n_val >= 1 and len(Xt) - n_val >= 2:
            perm = torch.randperm(len(Xt), generator=gen).to(dev)
            X_val, X_train = T._take(data, perm[:n_val]), T._take(data, perm[n_val:])
        else:
            X_val, X_train = None, data
        if y is None:
            self._before_training(X_train)
        else:
            self._before_training(*X_train)
        modules = self._modules()
        cbs = [*self._training_callbacks(), *(self.callbacks or [])]
        self.history_ = T.train(
            self._steps(),
            X_train,
            modules=modules,
            epochs=self._n_epochs(T._n_rows(X_train)),
            batch_size=self.batch_size,
            lr=self._lr(),
            optimizer=self.optimizer,
            weight_decay=self.weight_decay or 0.0,
            penalty=self._setting("penalty"),
            penalty_weight=self._setting("penalty_weight"),
            validation_data=X_val,
            validation_loss=self._validation_loss(),
            patience=self.patience,
            clip_grad_norm=self._setting("clip_grad_norm"),
            callbacks=cbs or None,
            score_fn=self._live_scores if self.callbacks else None,
            verbose=self.verbose,
            generator=gen,
            desc=type(self).__name__,
            sampler=self._batch_sampler(X_train),
        )
        for m in modules:
            m.eval()
        self._after_training(X_train if y is None else X_train[0])

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
