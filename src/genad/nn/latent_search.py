"""Latent search: score test points by how well a trained generator can reproduce them.

ADGAN (Deecke et al. 2018) and AnoGAN (Schlegl et al. 2017) score a test point by searching the
generator's latent space -- and, for ADGAN, a copy of the generator's own parameters -- for the
best reconstruction of it. :func:`latent_search` runs that search for a whole batch of test
points at once: every point gets ``n_seeds`` latent starting points (:func:`draw_seeds`) and,
optionally, its own copy of the generator; one Adam (:class:`genad.nn.optim.TensorAdam`)
updates all of them. :class:`PerPointGenerator` runs those per-point generator copies as
batched matrix products (transposed convolutions as ``bmm`` + fold, channels-last, batch norm
folded into the weights).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

from . import backbones as B
from .optim import TensorAdam

__all__ = ["latent_search", "PerPointGenerator", "draw_seeds", "search_chunks"]


def latent_search(
    generator: nn.Module,
    x: torch.Tensor,
    seeds: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    steps: int,
    lr: float,
    generator_lr: float = 0.0,
    adapt_generator: bool = False,
    impl: str = "auto",
):
    """Search the latent space (and per-point generator copies) for each row of ``x``.

    Every test point ``i`` starts from the same ``S`` latent seeds ``seeds`` (S, k) and, when
    ``adapt_generator``, from a fresh copy ``theta_i`` of the generator's parameters. Each of
    ``steps`` Adam steps minimises ``loss_fn(G_theta_i(z_is), x_i, z_is)`` over ``z_is``
    (rate ``lr``) and ``theta_i`` (rate ``generator_lr``). The per-point losses are independent,
    so the gradient of their sum gives every point's own gradient; the per-point generators run
    as one batched call. No loop over test points.

    Returns ``(loss, z, x_hat)``: the final per-(point, seed) loss (P, S), latents (P, S, k) and
    generated samples (P, S, *shape).

    ``impl="bmm"`` runs the per-point generators of the MLP/DCGAN backbones through
    :class:`PerPointGenerator` (batched matrix products; transposed convolutions as ``bmm`` + an
    in-place fold); ``impl="vmap"`` uses ``torch.func.vmap(functional_call)`` (grouped
    convolutions); ``"auto"`` picks bmm on a CPU (faster than vmap and than a per-point loop
    over torch's layers there: benchmarks/gan/README.md) and for MLP generators everywhere, and
    vmap for convolutional generators on other devices (grouped convolutions are cuDNN kernels
    there; not measured here: no GPU was available). Generators with layers that
    :class:`PerPointGenerator` does not know fall back to vmap.
    """
    P, (S, k) = x.shape[0], seeds.shape
    params = {n: p.detach() for n, p in generator.named_parameters()}
    buffers = {n: b.detach() for n, b in generator.named_buffers()}
    z = seeds.to(x).unsqueeze(0).expand(P, S, k).clone()

    if adapt_generator:
        if impl not in ("auto", "bmm", "vmap"):
            raise ValueError(f'impl must be "auto", "bmm" or "vmap"; got {impl!r}.')
        per_point = PerPointGenerator.build(generator) if impl != "vmap" else None
        if impl == "auto" and per_point is not None and per_point.has_conv and x.device.type != "cpu":
            per_point = None  # off the CPU, grouped convolutions under vmap (cuDNN) are kept
        if per_point is not None:  # batched matmuls; transposed convolutions as bmm + fold
            theta = per_point.init_theta(params, buffers, P)

            def gen(th, zz):
                return per_point(th, zz)
        else:
            theta = {n: p.unsqueeze(0).expand(P, *p.shape).clone() for n, p in params.items()}

            def one(th, zp):  # one test point: its parameter copy, its S latents
                return functional_call(generator, (th, buffers), (zp,))

            batched = vmap(one, in_dims=(0, 0))

            def gen(th, zz):
                return batched(th, zz)
    else:
        theta = {}

        def gen(th, zz):
            out = functional_call(generator, (params, buffers), (zz.reshape(P * S, k),))
            return out.reshape(P, S, *out.shape[1:])

    names = list(theta)
    leaves = [z] + [theta[n] for n in names]
    # Adam over every point's latents (and generator copy) at once: the update is element-wise,
    # so it is each point's own Adam
    z_opt = TensorAdam(leaves[:1], lr=lr)
    theta_opt = TensorAdam(leaves[1:], lr=generator_lr) if names and generator_lr > 0 else None
    for _ in range(int(steps)):
        with torch.enable_grad():
            req = [leaf.detach().requires_grad_(True) for leaf in leaves]
            th = dict(zip(names, req[1:]))
            loss = loss_fn(gen(th, req[0]), x, req[0])
            grads = torch.autograd.grad(loss.sum(), req if theta_opt is not None else req[:1])
        z_opt.step(grads[:1])
        if theta_opt is not None:
            theta_opt.step(grads[1:])
    with torch.no_grad():
        th = dict(zip(names, leaves[1:]))
        x_hat = gen(th, leaves[0])
        loss = loss_fn(x_hat, x, leaves[0])
    return loss, leaves[0], x_hat


_ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.ELU, nn.GELU, nn.SELU)


def _layer_sequence(module: nn.Module, prefix: str = ""):
    """``[(name, layer)]`` in execution order for the backbones' generators, or None when the
    module holds a layer the batched per-point forward does not know (then vmap is used)."""
    if isinstance(module, B.ConvDecoder):
        parts = [("head", module.head), ("features", module.features)]
    elif isinstance(module, nn.Sequential):
        parts = list(module.named_children())
    elif isinstance(module, (nn.Linear, nn.ConvTranspose2d, nn.BatchNorm2d, nn.BatchNorm1d, B.Unflatten,
                             *_ELEMENTWISE)):
        if isinstance(module, nn.ConvTranspose2d) and (module.groups != 1 or any(module.output_padding)):
            return None
        return [(prefix, module)]
    else:
        return None
    out = []
    for name, child in parts:
        seq = _layer_sequence(child, f"{prefix}.{name}" if prefix else name)
        if seq is None:
            return None
        out.extend(seq)
    return out


def _workspace(ws: dict, name: str, shape, like: torch.Tensor) -> torch.Tensor:
    """A buffer reused across the search's steps: large fresh allocations are page-faulted in
    on every step on a CPU, which costs as much as the matrix products here."""
    buf = ws.get(name)
    if buf is None or buf.shape != tuple(shape) or buf.dtype != like.dtype or buf.device != like.device:
        buf = ws[name] = torch.empty(tuple(shape), dtype=like.dtype, device=like.device)
    return buf


class _ConvTransposePerPoint(torch.autograd.Function):
    """``P`` transposed convolutions, each test point with its own weights, on channels-last
    activations ``x`` (P, S, H, W, C_in); weights ``w`` (P, C_in, k*k*C_out) in (c_in, ky, kx,
    c_out) order, bias ``b`` (P, C_out) or None; stride ``s`` with ``k = kq * s``, padding ``p``;
    optionally a ReLU on the output.

    A transposed convolution adds ``x[iy, ix] . w[:, ky, kx]`` to output ``(s iy + ky - p,
    s ix + kx - p)``. Forward: one batched matrix product gives every contribution
    ``cols[iy, ix, ky, kx]`` (P, S*H*W, k*k*C_out); with ``ky = s a + r`` the contributions of
    each block ``(a, r, b)`` land on disjoint places of the padded output, which starts as the
    bias and receives them by in-place adds (the "fold"). Backward: the gradient of ``cols``
    gathers the output gradient back (overlapping windows of a view), then two batched products
    give the gradients of ``x`` and ``w``. Large buffers live in ``ws`` and are reused by every
    search step.
    """

    @staticmethod
    def forward(ctx, x, w, b, conf, ws):
        s, kq, p, Ho, Wo, cout, relu = conf
        P, S, H, W, cin = x.shape
        k, Hp, Wp = kq * s, H + kq - 1, W + kq - 1
        x = x.contiguous()
        cols = _workspace(ws, "cols", (P, S * H * W, k * k * cout), x)
        torch.bmm(x.view(P, S * H * W, cin), w, out=cols)
        cols = cols.view(P, S, H, W, kq, s, kq, s * cout)  # (.., a, r, b, (q, c_out)), ky = s a + r
        pad = _workspace(ws, "out", (P, S, Hp, s, Wp, s, cout), x)
        if b is None:
            pad.zero_()
        else:
            pad.copy_(b.view(P, 1, 1, 1, 1, 1, cout).expand_as(pad))
        pad = pad.view(P, S, Hp, s, Wp, s * cout)
        for a in range(kq):
            for r in range(s):
                for bb in range(kq):
                    pad[:, :, a : a + H, r, bb : bb + W].add_(cols[:, :, :, :, a, r, bb])
        out = pad.view(P, S, Hp * s, Wp * s, cout)[:, :, p : p + Ho, p : p + Wo]
        if relu:  # one pass: crop to a contiguous tensor (the next layer's input) and rectify
            out = out.clamp(min=0)
        ctx.save_for_backward(x, w, out if relu else None)
        ctx.conf, ctx.ws, ctx.has_bias = conf, ws, b is not None
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, out = ctx.saved_tensors
        s, kq, p, Ho, Wo, cout, relu = ctx.conf
        P, S, H, W, cin = x.shape
        k, Hp, Wp = kq * s, H + kq - 1, W + kq - 1
        gpad = ctx.ws.get("gpad")
        if gpad is None or gpad.shape != (P, S, Hp * s, Wp * s, cout) or gpad.dtype != g.dtype:
            gpad = ctx.ws["gpad"] = g.new_zeros(P, S, Hp * s, Wp * s, cout)  # border stays zero
        inner = gpad[:, :, p : p + Ho, p : p + Wo]
        if relu:
            torch.ops.aten.threshold_backward.grad_input(g, out, 0, grad_input=inner)
        else:
            inner.copy_(g)
        rows = gpad.view(P, S, Hp, s, Wp * s * cout)
        gcols = _workspace(ctx.ws, "gcols", (P, S, H, W, kq, s, k * cout), g)
        for a in range(kq):  # d cols[iy, ix, (a, r), kx] = d out_pad[iy + a, r, s ix + kx]
            for r in range(s):
                gcols[:, :, :, :, a, r] = rows[:, :, a : a + H, r].unfold(-1, k * cout, s * cout)
        gcols = gcols.view(P, S * H * W, k * k * cout)
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = torch.bmm(gcols, w.transpose(1, 2)).view(P, S, H, W, cin)
        if ctx.needs_input_grad[1]:
            gw = torch.bmm(x.view(P, S * H * W, cin).transpose(1, 2), gcols)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = gpad.view(P, -1, cout).sum(1)  # the border is zero
        return gx, gw, gb, None, None


class PerPointGenerator:
    """``P`` copies of a generator (one per test point, parameters of shape (P, ...)) run on
    their own ``S`` latents as batched matrix products -- no loop over test points, no grouped
    convolutions.

    Knows the layers of genad's generators: ``Linear``, ``Unflatten``, ``BatchNorm1d/2d`` (eval
    mode: running statistics), ``ConvTranspose2d`` (square kernel a multiple of the stride, no
    dilation, groups or output padding) and element-wise activations; :meth:`build` returns None
    for anything else (the caller then falls back to ``vmap``). Images are kept channels-last
    inside (so every layer is a plain matrix product over (point, seed, pixel) rows) and
    returned as (P, S, C, H, W). A batch norm after a transposed convolution is folded into the
    convolution's per-point weights and bias (eval mode makes it affine), and a ReLU after it
    is applied in place. The parameter copies are held in a matmul-friendly layout
    (:meth:`init_theta`); every layout change is a permutation, so an element-wise optimiser
    such as Adam gives the same result as on the module's own layout.
    """

    def __init__(self, ops):
        self.ops = ops
        self.has_conv = any(op["kind"] == "convt" for op in ops)

    @classmethod
    def build(cls, generator: nn.Module):
        layers = _layer_sequence(generator)
        if layers is None:
            return None
        ops: list[dict] = []
        for i, (name, m) in enumerate(layers):
            pre = f"{name}." if name else ""
            last = ops[-1] if ops else {}
            if isinstance(m, nn.Linear):
                nxt = layers[i + 1][1] if i + 1 < len(layers) else None
                chw = tuple(nxt.shape) if isinstance(nxt, B.Unflatten) and len(nxt.shape) == 3 else None
                ops.append({"kind": "linear", "pre": pre, "bias": m.bias is not None, "chw": chw})
            elif isinstance(m, B.Unflatten):
                if len(m.shape) != 3:
                    return None
                ops.append({"kind": "unflatten", "chw": tuple(m.shape), "after_linear": last.get("kind") == "linear"})
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                if m.training:
                    raise RuntimeError("the per-point search needs the generator in eval mode")
                bn = {"pre": pre, "eps": m.eps, "affine": m.affine}
                if last.get("kind") == "convt" and last["bn"] is None and not last["relu"]:
                    last["bn"] = bn  # folded into the convolution
                else:
                    ops.append({"kind": "batchnorm", **bn})
            elif isinstance(m, nn.ConvTranspose2d):
                (kh, kw), (sh, sw), (ph, pw) = m.kernel_size, m.stride, m.padding
                if (kh, sh, ph) != (kw, sw, pw) or kh % sh or any(d != 1 for d in m.dilation) \
                        or m.groups != 1 or any(m.output_padding):
                    return None
                ops.append({"kind": "convt", "pre": pre, "s": sh, "kq": kh // sh, "p": ph, "cout": m.out_channels,
                            "bias": m.bias is not None, "bn": None, "relu": False, "ws": {}})
            elif isinstance(m, nn.ReLU) and last.get("kind") == "convt" and not last["relu"]:
                last["relu"] = True
            elif isinstance(m, _ELEMENTWISE):
                ops.append({"kind": "act", "module": m})
            else:
                return None
        return cls(ops)

    def init_theta(self, params: dict, buffers: dict, P: int) -> dict:
        """Fresh copies (P, ...) of the generator's parameters, in this class's layout (batch-norm
        statistics, buffers that are not searched, go into the ops)."""
        theta = {}

        def copies(t):  # always a new tensor: the search updates it in place
            return t.unsqueeze(0).expand(P, *t.shape).clone(memory_format=torch.contiguous_format)

        for op in self.ops:
            kind, pre = op["kind"], op.get("pre", "")
            bn = op if kind == "batchnorm" else op.get("bn")
            if bn is not None:
                bn["mean"] = buffers[bn["pre"] + "running_mean"]
                bn["inv_std"] = torch.rsqrt(buffers[bn["pre"] + "running_var"] + bn["eps"])
                if bn["affine"]:
                    theta[bn["pre"] + "weight"] = copies(params[bn["pre"] + "weight"])
                    theta[bn["pre"] + "bias"] = copies(params[bn["pre"] + "bias"])
            if kind == "linear":
                W, b = params[pre + "weight"], params.get(pre + "bias")
                if op["chw"] is not None:  # emit (h, w, c) order: the next Unflatten is channels-last
                    c, h, w = op["chw"]
                    W = W.reshape(c, h, w, -1).permute(1, 2, 0, 3).reshape(c * h * w, -1)
                    b = None if b is None else b.reshape(c, h, w).permute(1, 2, 0).reshape(-1)
                theta[pre + "weight"] = copies(W.t())  # (P, in, out)
                if op["bias"]:
                    theta[pre + "bias"] = copies(b.unsqueeze(0))  # (P, 1, out)
            elif kind == "convt":
                W = params[pre + "weight"]  # (c_in, c_out, k, k) -> (c_in, ky, kx, c_out)
                theta[pre + "weight"] = copies(W.permute(0, 2, 3, 1).reshape(W.shape[0], -1))
                if op["bias"]:
                    theta[pre + "bias"] = copies(params[pre + "bias"])
        return theta

    @staticmethod
    def _bn_affine(bn: dict, theta: dict, P: int):
        """Eval-mode batch norm as ``h * scale + shift`` per point: (P, C) each."""
        scale, shift = bn["inv_std"].expand(P, -1), -bn["mean"] * bn["inv_std"]
        if bn["affine"]:
            scale = theta[bn["pre"] + "weight"] * bn["inv_std"]
            shift = theta[bn["pre"] + "bias"] - bn["mean"] * scale
        return scale, shift.expand(P, -1)

    def __call__(self, theta: dict, z: torch.Tensor) -> torch.Tensor:
        P, S = z.shape[:2]
        h, image = z, False
        for op in self.ops:
            kind = op["kind"]
            if kind == "linear":  # h (P, S, in) @ W_p + b_p
                W = theta[op["pre"] + "weight"]
                h = torch.baddbmm(theta[op["pre"] + "bias"], h, W) if op["bias"] else torch.bmm(h, W)
            elif kind == "unflatten":
                c, hh, ww = op["chw"]
                if op["after_linear"]:  # the Linear already emitted channels-last order
                    h = h.reshape(P, S, hh, ww, c)
                else:
                    h = h.reshape(P, S, c, hh, ww).permute(0, 1, 3, 4, 2)
                image = True
            elif kind == "batchnorm":
                scale, shift = self._bn_affine(op, theta, P)
                shape = (P,) + (1,) * (h.dim() - 2) + (-1,)
                h = torch.addcmul(shift.reshape(shape), h, scale.reshape(shape))
            elif kind == "convt":
                pre, cout = op["pre"], op["cout"]
                W = theta[pre + "weight"]
                b = theta[pre + "bias"] if op["bias"] else None
                if op["bn"] is not None:  # BN(conv(x, W) + b) = conv(x, W * scale) + b * scale + shift
                    scale, shift = self._bn_affine(op["bn"], theta, P)
                    W = (W.view(P, -1, cout) * scale.unsqueeze(1)).view(W.shape)
                    b = shift if b is None else torch.addcmul(shift, b, scale)
                H, Wd = h.shape[2:4]
                s, kq, p = op["s"], op["kq"], op["p"]
                conf = (s, kq, p, (H - 1) * s - 2 * p + kq * s, (Wd - 1) * s - 2 * p + kq * s, cout, op["relu"])
                h = _ConvTransposePerPoint.apply(h, W, b, conf, op["ws"])
            else:
                h = op["module"](h)
        return h.permute(0, 1, 4, 2, 3) if image else h


def search_chunks(n: int, n_seeds: int, rows: int) -> int:
    """Test points per search chunk so that points x seeds stays near ``rows``."""
    return max(1, int(rows) // max(1, int(n_seeds)))


def draw_seeds(n_seeds: int, latent_dim: int, seed: int) -> np.ndarray:
    """The latent starting points shared by all test points (deterministic given ``seed``)."""
    g = torch.Generator().manual_seed(int(seed) + 7919)
    return torch.randn(int(n_seeds), int(latent_dim), generator=g).numpy().astype(np.float32)
