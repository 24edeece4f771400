"""genad.nn.optim: Adam on plain tensors is torch's own Adam update."""

import pytest
import torch

from genad.nn.optim import TensorAdam


def _run(make, steps=50, n=300, dtype=torch.float32):
    torch.manual_seed(0)
    p = torch.nn.Parameter(torch.randn(n, dtype=dtype))
    q = torch.randn(4, 5, dtype=dtype)  # a second tensor of another shape, not a Parameter
    opt = make([p, q])
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        p.grad = torch.randn(n, generator=g, dtype=dtype)
        q.grad = torch.randn(4, 5, generator=g, dtype=dtype)
        opt.step()
    return p.detach(), q


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tensor_adam_is_torch_fused_adam(dtype):
    kw = dict(lr=0.01, betas=(0.5, 0.9), weight_decay=0.01)
    ours = _run(lambda ts: TensorAdam(ts, **kw), dtype=dtype)
    fused = _run(lambda ts: torch.optim.Adam(ts, fused=True, **kw), dtype=dtype)
    plain = _run(lambda ts: torch.optim.Adam(ts, foreach=False, **kw), dtype=dtype)
    for a, b, c in zip(ours, fused, plain):
        assert torch.equal(a, b)  # the same kernel
        torch.testing.assert_close(a, c, rtol=1e-6, atol=1e-7)  # torch's unfused update


def test_tensor_adam_explicit_grads_and_fallback_dtype():
    torch.manual_seed(0)
    z = torch.randn(6, dtype=torch.float16)  # not a fused-kernel dtype on every build: functional Adam
    ref = z.clone().float().requires_grad_(True)
    opt, topt = TensorAdam([z], lr=0.1), torch.optim.Adam([ref], lr=0.1)
    for _ in range(3):
        g = torch.randn(6)
        opt.step([g.half()])
        ref.grad = g
        topt.step()
    torch.testing.assert_close(z.float(), ref.detach(), rtol=1e-2, atol=1e-2)
    with pytest.raises(ValueError, match="lr must be positive"):
        TensorAdam([z], lr=0)


def test_tensor_adam_with_non_contiguous_gradients():
    torch.manual_seed(0)
    a = torch.randn(5, 3)
    b = a.clone()
    opt_a, opt_b = TensorAdam([a], lr=0.1), TensorAdam([b], lr=0.1)
    for _ in range(3):
        g = torch.randn(3, 5)
        opt_a.step([g.t()])  # a transposed view: not contiguous
        opt_b.step([g.t().contiguous()])
    assert torch.equal(a, b)


def test_tensor_adam_falls_back_when_the_fused_kernel_is_missing_for_the_device(monkeypatch):
    """An older torch (before 2.4) has no CPU kernel for fused Adam: the same update, unfused."""
    kw = dict(lr=0.01, betas=(0.5, 0.9), weight_decay=0.01)
    plain = _run(lambda ts: torch.optim.Adam(ts, foreach=False, **kw))

    def no_kernel(*args, **kwargs):
        raise RuntimeError("_fused_adam_ is not implemented for CPU")

    monkeypatch.setattr(torch, "_fused_adam_", no_kernel)
    ours = _run(lambda ts: TensorAdam(ts, **kw))
    for a, c in zip(ours, plain):
        torch.testing.assert_close(a, c, rtol=1e-6, atol=1e-7)
