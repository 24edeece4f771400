"""A hand-written forward and backward for plain MLP autoencoders: the CPU fast path.

A plain MLP autoencoder (Linear layers, element-wise activations, dropout) is a chain of small
matrix products. For the tiny networks of tabular data, autograd's per-op bookkeeping costs
more than the arithmetic, so a detector may opt in to :func:`mlp_mse_grad_fn`: the same loss
and the same gradients (tested against autograd), computed with the same torch ops under
``no_grad``. :func:`genad.nn.training.train` runs such a step on one packed parameter
(:func:`pack_parameters`) updated by :class:`genad.nn.optim.TensorAdam`.

Where it applies (measured in benchmarks/speed; the rule is in :func:`mlp_mse_grad_fn`): on the
CPU, for networks made only of Linear layers, ReLU/LeakyReLU/Tanh/Sigmoid and one dropout rate,
with the mean squared reconstruction error (optionally on noisy inputs, optionally trimmed).
Anything else (another device, batch norm, other activations) returns None and the step is
differentiated by autograd; the reason is logged at DEBUG level on the ``genad.nn.fast_mlp``
logger.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from .losses import kept_index

__all__ = ["mlp_mse_grad_fn", "dropout_masks", "pack_parameters", "unpack_parameters"]

log = logging.getLogger(__name__)

#: activation type -> (in-place forward, backward(grad, output, module)); the forward overwrites
#: the fresh output of its Linear layer
_ACTS = {
    nn.ReLU: (torch.relu_, lambda g, out, m: torch.ops.aten.threshold_backward(g, out, 0)),
    nn.Tanh: (torch.tanh_, lambda g, out, m: torch.ops.aten.tanh_backward(g, out)),
    nn.Sigmoid: (torch.sigmoid_, lambda g, out, m: torch.ops.aten.sigmoid_backward(g, out)),
    # the output has the sign of the input for a positive slope
    nn.LeakyReLU: (None, lambda g, out, m: torch.ops.aten.leaky_relu_backward(g, out, m.negative_slope, False)),
}

#: random numbers drawn at once for the dropout masks of many steps
MASK_BLOCK_UNITS = 1 << 18


def _linear_chain(modules) -> tuple[list | None, str]:
    """``([(linear, activation or None, dropout probability), ...], "")`` if the modules are
    only Linear layers, each followed by a supported activation and then an optional Dropout,
    else ``(None, reason)``."""
    chain: list = []
    for seq in modules:
        for m in seq.modules() if isinstance(seq, nn.Sequential) else [seq]:
            if isinstance(m, nn.Sequential) or type(m) is nn.Identity:
                continue
            if type(m) is nn.Linear:
                chain.append([m, None, 0.0])
            elif type(m) in _ACTS and chain and chain[-1][1] is None and chain[-1][2] == 0.0:
                if isinstance(m, nn.LeakyReLU) and not m.negative_slope > 0:
                    return None, "a leaky ReLU without a positive slope"
                chain[-1][1] = m
            elif type(m) is nn.Dropout and chain and chain[-1][2] == 0.0 and 0.0 <= m.p < 1.0:
                chain[-1][2] = float(m.p)
            else:
                return None, f"a {type(m).__name__} layer"
    return ([tuple(c) for c in chain], "") if chain else (None, "no Linear layer")


def dropout_masks(p: float, widths):
    """``draw(n, like)``: inverted-dropout masks (0 with probability ``p``, else ``1 / (1 - p)``)
    of shapes ``(n, w) for w in widths``, with ``like``'s dtype and device.

    The masks of many steps (about :data:`MASK_BLOCK_UNITS` units) are drawn at once from
    torch's global generator (so ``torch.manual_seed`` fixes them), one contiguous block per
    width; a step takes its masks as views. For the small batches of tabular training, drawing
    each step's few thousand numbers separately costs more in per-call overhead than the
    numbers themselves.
    """
    widths = [int(w) for w in widths]
    scale = 1.0 / (1.0 - p)
    blocks: dict = {}  # n -> [the next steps' masks, one (k, n, w) tensor per width; next index]

    def draw(n, like):
        block = blocks.get(n)
        if block is None or block[1] == len(block[0][0]) or block[0][0].dtype != like.dtype:
            k = max(1, MASK_BLOCK_UNITS // (n * sum(widths)))
            masks = [torch.rand(k, n, w, device=like.device, dtype=like.dtype).ge_(p).mul_(scale) for w in widths]
            block = blocks[n] = [masks, 0]
        i = block[1]
        block[1] += 1
        return [m[i] for m in block[0]]

    return draw


def mlp_mse_grad_fn(modules, noise: float = 0.0, trim: float = 0.0):
    """A :class:`genad.nn.training.Step` ``grad_fn`` for ``mse(net(x + noise * eps), x)`` where
    ``net`` chains ``modules``; None (autograd is used, the reason logged at DEBUG level) unless
    the parameters are on the CPU and the modules are only Linear layers, ReLU/LeakyReLU/Tanh/
    Sigmoid and dropout of one rate. With ``trim`` > 0 the loss is the mean over the
    ``kept_rows(n, trim)`` rows of the batch with the smallest errors (with an
    :class:`genad.nn.losses.AdaptiveTrim`, over the rows it keeps: :func:`~genad.nn.losses.kept_index`). Dropout masks come from
    :func:`dropout_masks`; ``grad_fn.last_masks`` holds the last step's.

    Forward: ``h_i = a_i(h_{i-1} W_i^T + b_i)``. Backward from ``g = dL/dh_L = 2 (h_L - x) / (n d)``
    (``m_r 2 (h_L - x) / (k d)`` when trimmed, ``m_r`` = 1 for the k kept rows, else 0):
    ``g <- g * a_i'``, ``dL/dW_i = g^T h_{i-1}``, ``dL/db_i = sum_rows g``, ``g <- g W_i``.
    """
    chain, reason = _linear_chain(modules)
    if chain is None:
        log.debug("hand-written MLP backward not used (%s); autograd differentiates the loss", reason)
        return None
    device = chain[0][0].weight.device
    if device.type != "cpu":
        log.debug("hand-written MLP backward not used on %s (measured on the CPU only); autograd "
                  "differentiates the loss", device)
        return None
    rates = {c[2] for c in chain if c[2] > 0}
    if len(rates) > 1:
        log.debug("hand-written MLP backward not used (dropout rates %s differ); autograd differentiates "
                  "the loss", sorted(rates))
        return None
    layers = []
    for lin, act, drop in chain:
        fwd = bwd = None
        if act is not None:
            fwd, bwd = _ACTS[type(act)]
            if fwd is None:  # leaky relu
                slope = act.negative_slope
                fwd = lambda h, slope=slope: torch.nn.functional.leaky_relu_(h, slope)  # noqa: E731
        layers.append((lin.weight, lin.bias, fwd, bwd, act, drop))
    for w, b, *_ in layers:
        for p in (w, b):
            if p is not None and p.grad is None:
                p.grad = torch.zeros_like(p)
    addmm, mm, tsum, dot = torch.addmm, torch.mm, torch.sum, torch.dot
    drop_p = rates.pop() if rates else 0.0
    dropped = [i for i, lay in enumerate(layers) if lay[5] > 0]
    last = len(layers) - 1
    # ReLU and leaky ReLU outputs may be masked in place: their backward only needs the sign of
    # the output, which a mask >= 0 keeps wherever the gradient is not already zeroed by the mask
    mask_in_place = [lay[4] is not None and type(lay[4]) in (nn.ReLU, nn.LeakyReLU) for lay in layers]
    draw_masks = dropout_masks(drop_p, [layers[i][0].shape[0] for i in dropped]) if dropped else None
    weights = [lay[0] for lay in layers]
    # Per-step constants as 0-d tensors (a Python number is wrapped into a new tensor on every
    # call) and the transposed weights as views, made again only when the weights' storage moves
    # (pack_parameters): each op of these tiny layers costs microseconds, most of them overhead.
    consts: dict = {}
    transposed: list = [None, []]

    def weights_t():
        ptrs = [w.data_ptr() for w in weights]
        if transposed[0] != ptrs:
            transposed[0], transposed[1] = ptrs, [w.t() for w in weights]
        return transposed[1]

    @torch.no_grad()
    def grad_fn(x):
        h = x + noise * torch.randn_like(x) if noise > 0 else x
        inputs, acts, masks = [h], [], [None] * len(layers)
        if dropped:
            for i, mask in zip(dropped, draw_masks(len(x), x)):
                masks[i] = mask
        for i, ((_, b, fwd, _, _, _), wt) in enumerate(zip(layers, weights_t())):
            h = addmm(b, h, wt) if b is not None else mm(h, wt)  # h W^T + b
            if fwd is not None:
                h = fwd(h)
            if masks[i] is not None and mask_in_place[i]:
                h = h.mul_(masks[i])
            acts.append(h)
            if masks[i] is not None and not mask_in_place[i]:
                h = h * masks[i]
            inputs.append(h)
        grad_fn.last_masks = masks
        diff = h - x
        if trim:
            kept = kept_index(diff.pow(2).mean(1), trim)
            k = len(kept)
            weight = torch.zeros(len(diff), 1, device=diff.device, dtype=diff.dtype)
            weight[kept] = 2.0 / (k * diff.shape[1])
            loss = diff[kept].pow(2).mean()
            g = diff.mul_(weight)
        else:
            c = consts.get((diff.numel(), diff.dtype))
            if c is None:  # 1 / (n d) and 2 / (n d)
                c = consts[diff.numel(), diff.dtype] = [torch.tensor(v / diff.numel(), dtype=diff.dtype,
                                                                     device=diff.device) for v in (1.0, 2.0)]
            flat = diff.view(-1)
            loss = dot(flat, flat).mul_(c[0])  # L = ||h_L - x||^2 / (n d)
            g = diff.mul_(c[1])  # dL/dh_L
        for i in range(last, -1, -1):
            w, b, _, bwd, act, _ = layers[i]
            if masks[i] is not None:
                g = g.mul_(masks[i])  # g is this step's own tensor (diff or a fresh product)
            if bwd is not None:
                g = bwd(g, acts[i], act)
            hp = inputs[i]
            if w.grad is None:
                w.grad = torch.empty_like(w)
            mm(g.t(), hp, out=w.grad)
            if b is not None:
                if b.grad is None:
                    b.grad = torch.empty_like(b)
                tsum(g, 0, out=b.grad)
            if i:
                g = mm(g, w)
        return loss

    return grad_fn


def pack_parameters(params: list[torch.nn.Parameter]) -> torch.nn.Parameter | None:
    """Make ``params`` (and their gradients) views into one flat parameter; return it, or None
    when they differ in device or dtype. A hand-written backward then writes straight into one
    flat gradient buffer, and the optimizer updates one tensor instead of one per layer."""
    dev, dt = params[0].device, params[0].dtype
    if any(p.device != dev or p.dtype != dt or p.is_sparse for p in params):
        return None
    total = sum(p.numel() for p in params)
    flat = nn.Parameter(torch.empty(total, device=dev, dtype=dt))
    flat.grad = torch.zeros_like(flat)
    i = 0
    with torch.no_grad():
        for p in params:
            k = p.numel()
            flat[i : i + k].copy_(p.reshape(-1))
            p.data = flat.data[i : i + k].view_as(p)
            p.grad = flat.grad[i : i + k].view_as(p)
            i += k
    return flat


def unpack_parameters(params: list[torch.nn.Parameter]) -> None:
    """Give packed parameters their own storage back (and drop the gradient views)."""
    with torch.no_grad():
        for p in params:
            p.data = p.data.clone()
            p.grad = None
