"""Loss helpers shared by the detectors and the training mechanisms."""

from __future__ import annotations

import torch

__all__ = ["kept_rows", "trimmed_mean"]


def kept_rows(n: int, trim: float) -> int:
    """How many of a batch's ``n`` rows a loss trimmed by ``trim`` keeps (at least one)."""
    return max(1, int(round(n * (1.0 - trim))))


def trimmed_mean(row_losses: torch.Tensor, trim: float) -> torch.Tensor:
    """Mean of the ``1 - trim`` smallest per-row losses (all of them when ``trim`` is 0)."""
    if not trim:
        return row_losses.mean()
    k = kept_rows(len(row_losses), trim)
    return torch.topk(row_losses, k, largest=False, sorted=False).values.mean()
