"""THE training loop every deep detector in genad uses.

A detector hands :func:`train` its data (tensors already on the device), one or more
:class:`Step` objects -- a set of parameters and a ``loss(batch)`` function -- and the shared
hyper-parameters. Autoencoders pass one step; adversarial models pass their alternating steps
(discriminator, generator, ...) and the loop runs them on every mini-batch.

The loop owns: optimizer choice and learning rate, weight decay and l1/l2 penalties, mini-batches
as slices of a shuffled index of a tensor that stays on the device, gradient clipping, a
validation split with early stopping and restoring the best weights, stopping with a clear error
when the loss becomes NaN or infinite, a tqdm progress bar, callbacks (the web app streams
training through them) and seeding.
"""

from __future__ import annotations

import contextlib
import copy
import math
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import torch
from torch import nn

from .fast_mlp import pack_parameters, unpack_parameters
from .optim import TensorAdam
from .threads import limit_threads

__all__ = [
    "Step",
    "Callback",
    "TrainingDivergedError",
    "train",
    "make_optimizer",
    "resolve_device",
    "seed_everything",
    "OPTIMIZERS",
    "batched",
    "small_model_threads",
]

OPTIMIZERS = ("adam", "adamax", "adadelta", "rmsprop", "momentum", "sgd")
PENALTIES = (None, "l1", "l2", "l1l2")
#: networks with at most this many parameters train on one CPU thread (see :func:`train`)
SMALL_MODEL_PARAMS = 100_000


class TrainingDivergedError(ValueError):
    """The loss became NaN or infinite; the message says what to change."""


@dataclass
class Step:
    """One optimisation step applied on every ``every``-th mini-batch.

    Parameters
    ----------
    name : str
        Used in ``history`` (``"<name>_loss"``) when there are several steps.
    modules : list of nn.Module or parameters
        What this step updates; its optimizer sees only these parameters.
    loss : callable(batch) -> Tensor or dict
        Returns a scalar loss, or a dict with key ``"loss"`` and other scalars to log.
    every : int
        Run on every k-th mini-batch (WGAN updates the generator every ``n_critic`` batches).
    repeat : int
        Run this many times on each of its mini-batches.
    lr, optimizer : override the shared learning rate / optimizer for this step.
    clip_value : float, optional
        Clamp parameters to [-c, c] after each update (original WGAN weight clipping).
    penalize : bool
        Add the shared l1/l2 ``penalty`` to this step's loss.
    grad_fn : callable(batch) -> Tensor or dict, optional
        A faster equivalent of ``loss`` that also writes the gradients of the loss into every
        parameter's ``.grad`` itself (a hand-written backward such as
        :func:`genad.nn.fast_mlp.mlp_mse_grad_fn`); the loop then skips autograd's ``backward``
        for the loss (a penalty is still differentiated by autograd and added). It must return
        the same loss as ``loss`` and leave gradients identical to ``loss(batch).backward()``.
        A lone step with a ``grad_fn`` and no penalty trains one packed parameter
        (:func:`genad.nn.fast_mlp.pack_parameters`); with Adam, :class:`genad.nn.optim.TensorAdam`
        updates it.
    """

    name: str
    modules: Sequence[Any]
    loss: Callable[..., Any]
    every: int = 1
    repeat: int = 1
    lr: float | None = None
    optimizer: str | None = None
    optimizer_kwargs: dict = field(default_factory=dict)
    clip_value: float | None = None
    penalize: bool = True
    grad_fn: Callable[..., Any] | None = None


class Callback:
    """Hooks called by :func:`train`. Return ``True`` from a hook to stop training.

    ``info`` holds ``epoch``, ``epochs``, ``step`` (global mini-batch count), ``losses`` (this
    epoch's or this batch's mean losses by name), ``history`` and ``score`` -- a function
    ``score(X) -> ndarray`` giving current anomaly scores when the detector provides one.
    """

    def on_train_begin(self, info: dict) -> bool | None:  # pragma: no cover - default no-op
        return None

    def on_batch_end(self, info: dict) -> bool | None:  # pragma: no cover - default no-op
        return None

    def on_epoch_end(self, info: dict) -> bool | None:  # pragma: no cover - default no-op
        return None

    def on_train_end(self, info: dict) -> bool | None:  # pragma: no cover - default no-op
        return None


class _FunctionCallback(Callback):
    def __init__(self, fn):
        self.fn = fn

    def on_epoch_end(self, info):
        return self.fn(info)


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"`` means CUDA when available, else the CPU."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f'device must be "auto", "cpu", "cuda" or "cuda:N"; got {device!r}.') from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError('device="cuda" was requested but no CUDA GPU is available; use device="auto" or "cpu".')
    return dev


def seed_everything(seed: int | None) -> torch.Generator:
    """Seed torch, numpy and random; return a generator for batch shuffling."""
    seed = 0 if seed is None else int(seed)
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))
    random.seed(seed)
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def small_model_threads(modules: Iterable[Any], device: torch.device | str = "cpu"):
    """Run the block on one CPU thread when the networks are small (at most
    :data:`SMALL_MODEL_PARAMS` parameters).

    Each op of a tiny network is a few microseconds of memory-bound work; extra threads only add
    synchronisation (and, on a shared machine, contention), so one thread is faster there. The
    limit applies to the calling thread only (:func:`genad.nn.threads.limit_threads`), so
    models scored or trained at the same time in other threads are unaffected.
    """
    dev = torch.device(device)
    if dev.type == "cpu" and sum(p.numel() for p in _params(modules)) <= SMALL_MODEL_PARAMS:
        return limit_threads(1)
    return contextlib.nullcontext()


def _params(modules: Iterable[Any]) -> list[torch.nn.Parameter]:
    out, seen = [], set()
    for m in modules:
        ps = m.parameters() if isinstance(m, nn.Module) else [m]
        for p in ps:
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                out.append(p)
    return out


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0, **kwargs) -> torch.optim.Optimizer:
    """Build one of :data:`OPTIMIZERS`."""
    name = (name or "adam").lower()
    params = list(params)
    if name in ("adam", "sgd", "momentum") and "fused" not in kwargs and all(
        p.dtype in (torch.float32, torch.float64) and p.device.type in ("cpu", "cuda") for p in params
    ):
        # one kernel for the whole update instead of a dozen small ops per tensor
        kwargs["fused"] = True
    if not lr > 0:
        raise ValueError(f"lr must be positive; got {lr!r}.")
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, **kwargs)
    if name == "adamax":
        return torch.optim.Adamax(params, lr=lr, weight_decay=weight_decay, **kwargs)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, weight_decay=weight_decay, **kwargs)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay, **kwargs)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=kwargs.pop("momentum", 0.9), weight_decay=weight_decay, **kwargs)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay, **kwargs)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {OPTIMIZERS}.")


def _penalty(params, kind: str | None, weight: float) -> torch.Tensor | None:
    if kind is None or weight == 0:
        return None
    ws = [p for p in params if p.dim() > 1]  # weights, not biases
    if not ws:
        return None
    terms = []
    if kind in ("l1", "l1l2"):
        terms.append(sum(p.abs().sum() for p in ws))
    if kind in ("l2", "l1l2"):
        terms.append(sum((p * p).sum() for p in ws))
    return weight * sum(terms)


def _split_loss(out) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    if isinstance(out, dict):
        if "loss" not in out:
            raise TypeError("a loss function returning a dict must include the key 'loss'")
        return out["loss"], {k: v for k, v in out.items() if k != "loss"}
    return out, {}


def _n_rows(data) -> int:
    return int(data[0].shape[0]) if isinstance(data, (tuple, list)) else int(data.shape[0])


def _take(data, idx):
    if isinstance(data, (tuple, list)):
        return tuple(d.index_select(0, idx) if isinstance(d, torch.Tensor) else d[idx.cpu().numpy()] for d in data)
    return data.index_select(0, idx)


def batched(data, batch_size: int):
    """Yield consecutive slices of ``data`` (a tensor or tuple of tensors)."""
    n = _n_rows(data)
    for i in range(0, n, batch_size):
        if isinstance(data, (tuple, list)):
            yield tuple(d[i : i + batch_size] for d in data)
        else:
            yield data[i : i + batch_size]


def train(
    steps: Step | Sequence[Step],
    data,
    *,
    modules: Sequence[nn.Module],
    epochs: int = 10,
    batch_size: int = 128,
    lr: float = 1e-3,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    penalty: str | None = None,
    penalty_weight: float = 1e-4,
    validation_data=None,
    validation_loss: Callable[..., Any] | None = None,
    patience: int | None = None,
    min_delta: float = 0.0,
    restore_best: bool = True,
    clip_grad_norm: float | None = None,
    callbacks: Sequence[Any] | None = None,
    score_fn: Callable[[Any], np.ndarray] | None = None,
    verbose: int = 0,
    generator: torch.Generator | None = None,
    drop_last: bool = False,
    desc: str = "training",
    sampler: Callable[[torch.Generator | None], torch.Tensor] | None = None,
) -> dict[str, list[float]]:
    """Train ``modules`` with the given steps; return the per-epoch history.

    Parameters
    ----------
    steps : Step or list of Step
    data : Tensor or tuple of Tensors with the same first dimension, already on the device.
    modules : every module being trained (switched to train/eval mode, saved for best weights).
    validation_data : Tensor or tuple, optional
        Held-out normal data; ``validation_loss(batch)`` (default: the first step's loss) is
        averaged over it after each epoch, recorded as ``val_loss``, and drives early stopping.
    patience : int or None
        Stop after this many epochs without a ``min_delta`` improvement of the monitored loss
        (validation loss if any, else the training loss). None trains all epochs.
    restore_best : bool
        Put back the weights of the epoch with the lowest monitored loss (with validation data).
    clip_grad_norm : float, optional
        Clip the global gradient norm of each step's parameters.
    callbacks : list of Callback or callables ``f(info)`` (called at each epoch end).
    score_fn : callable(X) -> scores, exposed to callbacks as ``info["score"]``.
    sampler : callable(generator) -> index tensor, optional
        The row indices of one epoch, in mini-batch order (consecutive runs of ``batch_size``
        form the batches; repeats allowed), drawn afresh every epoch; default: a random
        permutation of every row.

    Returns
    -------
    history : dict of lists -- ``loss`` (and ``<step>_loss`` per step when there are several,
    plus any extra logged terms), ``val_loss`` when validation data is given, ``epoch_time``.
    """
    import time

    steps = [steps] if isinstance(steps, Step) else list(steps)
    if not steps:
        raise ValueError("train() needs at least one Step")
    epochs = int(epochs)
    batch_size = int(batch_size)
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1; got {epochs}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}.")
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {PENALTIES}; got {penalty!r}.")
    n = _n_rows(data)
    if n == 0:
        raise ValueError("no training rows")
    device = (data[0] if isinstance(data, (tuple, list)) else data).device
    multi = len(steps) > 1
    cbs = [cb if isinstance(cb, Callback) else _FunctionCallback(cb) for cb in (callbacks or [])]
    # only callbacks with their own on_batch_end cost a device sync per mini-batch
    batch_cbs = [cb for cb in cbs if type(cb).on_batch_end is not Callback.on_batch_end]
    for cb in cbs:
        if not isinstance(cb, Callback) and not callable(cb):
            raise ValueError("callbacks must be genad.nn.training.Callback objects or callables")

    use_penalty = penalty is not None and penalty_weight != 0
    opt_list, packed = [], []
    for st in steps:
        params = _params(st.modules)
        if not params:
            raise ValueError(f"step {st.name!r} has no trainable parameters")
        opt_params = params
        if st.grad_fn is not None and not (use_penalty and st.penalize) and len(steps) == 1:
            # a hand-written backward writes straight into views of one flat gradient buffer
            flat = pack_parameters(params)
            if flat is not None:
                opt_params = [flat]
                packed.append(params)
        opt_name = (st.optimizer or optimizer or "adam").lower()
        if opt_params is not params and opt_name == "adam" and not st.optimizer_kwargs:
            # torch's fused Adam kernel on the one packed tensor, without torch.optim's per-step
            # bookkeeping (genad.nn.optim)
            opt = TensorAdam(opt_params, lr=st.lr or lr, weight_decay=weight_decay)
        else:
            opt = make_optimizer(opt_name, opt_params, st.lr or lr, weight_decay, **st.optimizer_kwargs)
        key = f"{st.name}_loss" if multi else "loss"
        opt_list.append((st, params, opt, key, max(int(st.every), 1), max(int(st.repeat), 1)))

    threads = small_model_threads(modules or [p for _, ps, *_ in opt_list for p in ps], device)

    val_fn = validation_loss or steps[0].loss
    history: dict[str, list[float]] = {"loss": []}
    best, best_state, best_epoch, wait = math.inf, None, -1, 0
    gstep = 0
    info: dict[str, Any] = {"epochs": epochs, "history": history, "score": score_fn, "n_train": n}
    for cb in cbs:
        if cb.on_train_begin(dict(info, epoch=0, step=0, losses={})):
            return history

    use_bar = verbose and verbose > 0
    bar = None
    if use_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc=desc, unit="epoch", leave=False)
    stop = False
    n_batches = n // batch_size if (drop_last and n >= batch_size) else math.ceil(n / batch_size)
    tensor_data = isinstance(data, torch.Tensor)
    try:
        threads.__enter__()
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            for m in modules:
                m.train()
            if sampler is None:
                perm = torch.randperm(n, generator=generator).to(device)
            else:
                perm = torch.as_tensor(sampler(generator), dtype=torch.int64).to(device)
                n_batches = math.ceil(len(perm) / batch_size)
            # per-batch losses stay tensors (no device sync per step); averaged at epoch end
            logged: dict[str, list[torch.Tensor]] = {}
            for b in range(n_batches):
                idx = perm[b * batch_size : (b + 1) * batch_size]
                batch = data.index_select(0, idx) if tensor_data else _take(data, idx)
                batch_losses = {}
                for st, params, opt, key, every, repeat in opt_list:
                    if every > 1 and b % every:
                        continue
                    for _ in range(repeat):
                        pen = _penalty(params, penalty, penalty_weight) if (use_penalty and st.penalize) else None
                        if st.grad_fn is not None:
                            # hand-written backward: the function writes the gradients itself
                            loss, extra = _split_loss(st.grad_fn(batch))
                            if pen is not None:
                                pen.backward()
                        else:
                            loss, extra = _split_loss(st.loss(batch))
                            opt.zero_grad(set_to_none=True)
                            (loss if pen is None else loss + pen).backward()
                        if clip_grad_norm is not None:
                            torch.nn.utils.clip_grad_norm_(params, clip_grad_norm)
                        opt.step()
                        if st.clip_value is not None:
                            with torch.no_grad():
                                for p in params:
                                    p.clamp_(-st.clip_value, st.clip_value)
                    batch_losses[key] = loss.detach() if loss.requires_grad else loss
                    for k, v in extra.items():
                        batch_losses[k] = v.detach() if isinstance(v, torch.Tensor) else torch.tensor(float(v))
                for k, v in batch_losses.items():
                    lst = logged.get(k)
                    if lst is None:
                        logged[k] = [v]
                    else:
                        lst.append(v)
                gstep += 1
                if batch_cbs:
                    bl = {k: float(v) for k, v in batch_losses.items()}
                    _check_finite(bl, epoch, lr, b)
                    for cb in batch_cbs:
                        if cb.on_batch_end(dict(info, epoch=epoch, step=gstep, losses=bl)):
                            stop = True
                    if stop:
                        break
            epoch_losses = {k: float(torch.stack(v).float().mean()) for k, v in logged.items()}
            _check_finite(epoch_losses, epoch, lr)
            if multi:
                epoch_losses["loss"] = sum(v for k, v in epoch_losses.items() if k.endswith("_loss"))
            for k, v in epoch_losses.items():
                history.setdefault(k, [float("nan")] * (epoch - 1)).append(v)
            monitored = epoch_losses["loss"]
            if validation_data is not None and _n_rows(validation_data) > 0:
                vl = evaluate_loss(val_fn, validation_data, modules, batch_size=max(batch_size, 4096))
                if not math.isfinite(vl):
                    raise TrainingDivergedError(
                        f"validation loss became {vl} at epoch {epoch}; lower the learning rate (lr={lr}) "
                        "or scale the input (preprocessing='standard')."
                    )
                history.setdefault("val_loss", []).append(vl)
                monitored = vl
            history.setdefault("epoch_time", []).append(time.perf_counter() - t0)
            if monitored < best - min_delta:
                best, best_epoch, wait = monitored, epoch, 0
                if restore_best and validation_data is not None:
                    best_state = [copy.deepcopy(m.state_dict()) for m in modules]
            else:
                wait += 1
            if bar is not None:
                bar.set_postfix({k: f"{v:.4g}" for k, v in epoch_losses.items() if k.endswith("loss")}
                                | ({"val_loss": f"{history['val_loss'][-1]:.4g}"} if "val_loss" in history else {}))
                bar.update(1)
            for cb in cbs:
                if cb.on_epoch_end(dict(info, epoch=epoch, step=gstep, losses=epoch_losses)):
                    stop = True
            if stop or (patience is not None and wait >= patience):
                break
    finally:
        threads.__exit__(None, None, None)
        for params in packed:
            unpack_parameters(params)
        if bar is not None:
            bar.close()
    if best_state is not None and restore_best:
        for m, sd in zip(modules, best_state):
            m.load_state_dict(sd)
    history["best_epoch"] = [best_epoch]
    for m in modules:
        m.eval()
    for cb in cbs:
        cb.on_train_end(dict(info, epoch=len(history["loss"]), step=gstep, losses={}))
    return history


def _check_finite(losses: dict[str, float], epoch: int, lr: float, batch: int | None = None) -> None:
    for k, v in losses.items():
        if not math.isfinite(v):
            where = f"epoch {epoch}" + (f", batch {batch}" if batch is not None else "")
            raise TrainingDivergedError(
                f"training diverged: {k} became {v} at {where}. Lower the learning rate (lr={lr}), "
                "scale the input (preprocessing='standard' or 'minmax'), or set clip_grad_norm."
            )


def evaluate_loss(loss_fn, data, modules: Sequence[nn.Module], batch_size: int = 4096) -> float:
    """Mean of ``loss_fn`` over ``data`` in eval mode without gradients (weighted by batch size)."""
    for m in modules:
        m.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in batched(data, batch_size):
            loss, _ = _split_loss(loss_fn(batch))
            k = _n_rows(batch)
            total += float(loss) * k
            count += k
    for m in modules:
        m.train()
    return total / max(count, 1)
