"""Per-feature scaling of rows, sequences and images (the ``preprocessing`` parameter)."""

from __future__ import annotations

import numpy as np

__all__ = ["Scaler"]


class Scaler:
    """Per-feature standard or min-max scaling for rows, sequences and images.

    The feature axis is the last one for 2-D ``(n, d)`` and 3-D ``(n, t, d)`` input and the
    channel axis for 4-D ``(n, c, h, w)`` images. Constant features get scale 1, so they map to
    0 instead of NaN. Fitted on a scipy sparse matrix it only divides by the scale (no offset,
    like ``StandardScaler(with_mean=False)``), so sparse data stay sparse.
    """

    def __init__(self, kind: str | None = "standard"):
        if kind not in ("standard", "minmax", None):
            raise ValueError(f'preprocessing must be "standard", "minmax" or None; got {kind!r}.')
        self.kind = kind

    @staticmethod
    def _axes(ndim: int):
        if ndim == 4:
            return (0, 2, 3), (1, -1, 1, 1)
        return tuple(range(ndim - 1)), (1,) * (ndim - 1) + (-1,)

    def fit(self, X: np.ndarray) -> "Scaler":
        if _issparse(X):
            return self._fit_sparse(X)
        axes, _ = self._axes(X.ndim)
        if self.kind == "standard":
            self.offset_ = X.mean(axis=axes, dtype=np.float64)
            scale = X.std(axis=axes, dtype=np.float64)
        elif self.kind == "minmax":
            self.offset_ = X.min(axis=axes).astype(np.float64)
            scale = X.max(axis=axes).astype(np.float64) - self.offset_
        else:
            n_feat = X.shape[1] if X.ndim == 4 else X.shape[-1]
            self.offset_, scale = np.zeros(n_feat), np.ones(n_feat)
        scale = np.where(scale > 1e-12 * np.maximum(1.0, np.abs(self.offset_)), scale, 1.0)
        self.scale_ = scale
        return self

    def _fit_sparse(self, X) -> "Scaler":
        from sklearn.utils.sparsefuncs import mean_variance_axis, min_max_axis

        self.offset_ = np.zeros(X.shape[1])
        if self.kind == "standard":
            scale = np.sqrt(mean_variance_axis(X.tocsr(), axis=0)[1]).astype(np.float64)
        elif self.kind == "minmax":
            lo, hi = min_max_axis(X.tocsr(), axis=0)
            scale = np.asarray(hi, dtype=np.float64) - np.asarray(lo, dtype=np.float64)
        else:
            scale = np.ones(X.shape[1])
        self.scale_ = np.where(scale > 1e-12, scale, 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        if self.kind is None:
            return X
        if _issparse(X):
            if np.any(self.offset_ != 0):  # fitted on dense data: the offset needs dense input
                return self.transform(X.toarray())
            return X.multiply((1.0 / self.scale_).astype(X.dtype)[None, :]).tocsr()
        _, shape = self._axes(X.ndim)
        off = self.offset_.reshape(shape).astype(X.dtype)
        sc = self.scale_.reshape(shape).astype(X.dtype)
        return (X - off) / sc

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        if self.kind is None:
            return X
        _, shape = self._axes(X.ndim)
        return X * self.scale_.reshape(shape).astype(X.dtype) + self.offset_.reshape(shape).astype(X.dtype)


def _issparse(X) -> bool:
    return hasattr(X, "tocsr") and hasattr(X, "nnz")
