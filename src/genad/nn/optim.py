"""Adam on plain tensors: torch's own fused Adam update, without ``torch.optim``'s bookkeeping.

``torch.optim.Adam(fused=True)`` runs one kernel for the whole update, but each ``step()``
first walks its parameter groups, state dictionaries, hooks and profiler records, which on the
tiny networks of tabular data costs more than the update itself (on one packed parameter of the
FF12 network: benchmarks/speed/README.md). :class:`TensorAdam` keeps the state as plain tensors
and calls the same fused kernel directly, so it gives exactly ``torch.optim.Adam(fused=True)``'s
result (tested). It serves the two places that update tensors which are not ordinary module
parameters: the packed parameter of a hand-written training step (:mod:`genad.nn.fast_mlp`)
and the latents and per-point generator copies of a latent search
(:mod:`genad.nn.latent_search`). Everything else builds a ``torch.optim`` optimizer
(:func:`genad.nn.training.make_optimizer`, whose Adam is fused wherever this one is).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch.optim.adam import adam as _functional_adam

__all__ = ["TensorAdam", "adam_step"]


def _fused_ok(tensors: Sequence[torch.Tensor]) -> bool:
    """The fused kernel walks each tensor's memory in order: contiguous CPU/CUDA float tensors."""
    return hasattr(torch, "_fused_adam_") and all(
        t.device.type in ("cpu", "cuda") and t.dtype in (torch.float32, torch.float64) and t.is_contiguous()
        for t in tensors)


@torch.no_grad()
def adam_step(params, grads, exp_avgs, exp_avg_sqs, steps, *, lr: float, betas=(0.9, 0.999),
              eps: float = 1e-8, weight_decay: float = 0.0, fused: bool | None = None,
              ones: Sequence[torch.Tensor] | None = None) -> None:
    """One Adam step (Kingma & Ba 2015) in place on lists of tensors, as ``torch.optim.Adam``
    computes it::

        g <- g + weight_decay * p
        m <- b1 m + (1 - b1) g            v <- b2 v + (1 - b2) g^2
        p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    ``steps`` holds one float tensor per parameter (the step count ``t``, advanced here). Runs
    torch's fused kernel (``fused=True``) on contiguous CPU/CUDA float tensors (gradients made
    contiguous), else torch's functional single-tensor Adam. A caller that steps the same tensors
    many times may pass ``fused`` (the result of that check) and ``ones`` (one-valued tensors like
    ``steps``): the counts then advance without a Python number wrapped into a tensor per call.
    """
    b1, b2 = betas
    if fused is None:
        fused = _fused_ok(params)
    if fused:
        grads = [g if g.is_contiguous() else g.contiguous() for g in grads]
        torch._foreach_add_(steps, 1 if ones is None else ones)
        try:
            torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, lr=float(lr), beta1=b1,
                               beta2=b2, weight_decay=float(weight_decay), eps=float(eps), amsgrad=False,
                               maximize=False)
            return
        except RuntimeError:  # an older torch without this kernel for the device
            torch._foreach_add_(steps, -1)  # the kernel failed before touching anything: undo the count
    _functional_adam(params, grads, exp_avgs, exp_avg_sqs, [], steps, foreach=False, amsgrad=False,
                     beta1=b1, beta2=b2, lr=float(lr), weight_decay=float(weight_decay), eps=float(eps),
                     maximize=False)


class TensorAdam:
    """Adam over a list of tensors (updated in place) with the state of ``torch.optim.Adam``.

    ``step(grads)`` applies one update with the given gradients (default: each tensor's
    ``.grad``; tensors without one are skipped).
    """

    def __init__(self, tensors, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        if not lr > 0:
            raise ValueError(f"lr must be positive; got {lr!r}.")
        self.tensors = list(tensors)
        self.lr, self.betas, self.eps, self.weight_decay = float(lr), tuple(betas), float(eps), float(weight_decay)
        self.exp_avgs = [torch.zeros_like(t, memory_format=torch.preserve_format) for t in self.tensors]
        self.exp_avg_sqs = [torch.zeros_like(t, memory_format=torch.preserve_format) for t in self.tensors]
        self.steps = [torch.zeros((), dtype=torch.float32, device=t.device) for t in self.tensors]
        # fixed for the optimizer's life, so a step does not check them again
        self._fused = _fused_ok(self.tensors)
        self._ones = [torch.ones_like(s) for s in self.steps]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for t in self.tensors:
            if t.grad is not None:
                t.grad.zero_()

    def step(self, grads: Sequence[torch.Tensor] | None = None) -> None:
        if grads is None:
            grads = [t.grad for t in self.tensors]
        state = (self.tensors, grads, self.exp_avgs, self.exp_avg_sqs, self.steps, self._ones)
        if not all(g is not None for g in grads):  # only the tensors with a gradient
            live = [i for i, g in enumerate(grads) if g is not None]
            if not live:
                return
            state = tuple([seq[i] for i in live] for seq in state)
        *tensors, ones = state
        adam_step(*tensors, fused=self._fused, ones=ones, lr=self.lr, betas=self.betas, eps=self.eps,
                  weight_decay=self.weight_decay)
