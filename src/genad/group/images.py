"""Images as groups of pixels (the image setting of Chalapathy et al. 2018).

An image is a group; each pixel is a point with features ``(channel values..., x, y)``: its
colour and its position, both in [0, 1] for 8-bit images or as given for float images. A
vertically flipped image has the same pixel colours as a normal one (each point looks normal)
but colours at unusual heights (sky below, ground above): a distribution-based group anomaly.

The range of the coordinates relative to the colours does not matter to genad's group
detectors, which standard-scale every feature on the training points by default
(``preprocessing="standard"``). How much such a group anomaly shows depends on the images:
for CIFAR-10 cats, which look much the same either way up in colour per height, every group
detector is at chance (benchmarks/group/README.md, "Images as groups of pixels").
"""

from __future__ import annotations

import numpy as np

__all__ = ["images_to_groups"]


def images_to_groups(images, stride: int = 1, channels_last: bool | None = None):
    """Turn ``images`` into ``(X_points, groups)`` for a group detector.

    Parameters
    ----------
    images : array (n, c, h, w) (genad's layout), (n, h, w, c) or (n, h, w)
        ``channels_last=None`` guesses the layout: a last axis of 1 or 3 with a second axis
        that is not means channels-last. Integer images are divided by 255.
    stride : int
        Keep every ``stride``-th pixel along both axes (``stride=2`` keeps a quarter).

    Returns
    -------
    X_points : (n * h' * w', c + 2) float32 -- channel values, then x (column) and y (row)
        scaled to [0, 1].
    groups : (n * h' * w',) int64 -- the image index of each pixel.
    """
    A = np.asarray(images)
    if A.ndim == 3:
        A = A[:, None]
    if A.ndim != 4:
        raise ValueError(f"images must have shape (n, c, h, w), (n, h, w, c) or (n, h, w); got {A.shape}.")
    if channels_last is None:
        channels_last = A.shape[-1] in (1, 3) and A.shape[1] not in (1, 3)
    if channels_last:
        A = A.transpose(0, 3, 1, 2)
    if not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive integer; got {stride!r}.")
    A = A[:, :, ::stride, ::stride]
    n, c, h, w = A.shape
    vals = A.astype(np.float32) / (255.0 if A.dtype.kind in "ui" else 1.0)
    yy, xx = np.meshgrid(np.linspace(0, 1, h, dtype=np.float32), np.linspace(0, 1, w, dtype=np.float32),
                         indexing="ij")
    coords = np.broadcast_to(np.stack([xx, yy]), (n, 2, h, w))
    X = np.concatenate([vals, coords], axis=1).transpose(0, 2, 3, 1).reshape(n * h * w, c + 2)
    groups = np.repeat(np.arange(n, dtype=np.int64), h * w)
    return np.ascontiguousarray(X), groups
