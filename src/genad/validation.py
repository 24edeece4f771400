"""Input checks shared by every detector.

Every public entry point funnels its input through :func:`check_X`, so that a user who passes
NaN, strings, the wrong number of columns or a 1-D vector gets one ``ValueError`` that names the
problem and says how to fix it, instead of a numpy or torch traceback.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["check_X", "check_groups", "check_fitted", "NotFittedError"]

from sklearn.exceptions import NotFittedError


def _is_dataframe(X: Any) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _to_numpy(X: Any) -> np.ndarray:
    """Turn a torch tensor, list, pandas object or array into a numpy array (no copy if possible)."""
    if hasattr(X, "detach") and hasattr(X, "cpu"):  # torch.Tensor without importing torch
        return X.detach().cpu().numpy()
    if hasattr(X, "to_numpy"):
        return X.to_numpy()
    return np.asarray(X)


def _column_label(names: Sequence[str] | None, j: int) -> str:
    return f'column "{names[j]}"' if names is not None else f"feature {j}"


def check_X(
    X: Any,
    *,
    dtype: Any = np.float64,
    allow_nd: bool = False,
    min_samples: int = 1,
    feature_names: Sequence[str] | None = None,
    input_shape: Sequence[int] | None = None,
    what: str = "X",
) -> np.ndarray:
    """Validate and convert input to a finite float array.

    Parameters
    ----------
    X : array-like, pandas DataFrame or torch tensor
        ``(n, d)`` rows; with ``allow_nd`` also ``(n, t, d)`` sequences and ``(n, c, h, w)`` images.
    dtype : numpy dtype
        Output dtype (float64 for scikit-learn parts, float32 for networks).
    allow_nd : bool
        Accept 3-D and 4-D input.
    min_samples : int
        Fewest rows accepted (``fit`` needs at least 2).
    feature_names : list of str, optional
        Column names seen in ``fit``. A DataFrame is reordered to match them; a missing or
        extra column is an error.
    input_shape : tuple, optional
        Shape of one sample seen in ``fit``; a different shape is an error.

    Returns
    -------
    numpy.ndarray of ``dtype``.
    """
    if X is None:
        raise ValueError(f"{what} is None; pass an array of shape (n_samples, n_features).")
    names: list[str] | None = None
    if _is_dataframe(X):
        cols = [str(c) for c in X.columns]
        X = X.set_axis(cols, axis=1)
        if feature_names is not None:
            missing = [c for c in feature_names if c not in cols]
            extra = [c for c in cols if c not in set(feature_names)]
            if missing or extra:
                parts = []
                if missing:
                    parts.append(f"missing column(s) {missing}")
                if extra:
                    parts.append(f"unexpected column(s) {extra}")
                raise ValueError(
                    f"{what} does not have the columns the model was fitted on: "
                    + "; ".join(parts)
                    + f". Pass a table with exactly these columns: {list(feature_names)}."
                )
            X = X.loc[:, list(feature_names)] if list(X.columns) != list(feature_names) else X
            cols = list(feature_names)
        bad = [c for j, c in enumerate(cols) if not _numeric_series(X.iloc[:, j])]
        if bad:
            raise ValueError(
                f"{what} has non-numeric column(s) {bad}. Encode them as numbers "
                "(for example one-hot with pandas.get_dummies) or drop them."
            )
        names = cols
        arr = X.to_numpy(dtype=np.float64, na_value=np.nan) if hasattr(X, "to_numpy") else np.asarray(X)
    else:
        try:
            arr = _to_numpy(X)
        except Exception as exc:  # ragged lists and similar
            raise ValueError(f"{what} could not be read as a numeric array ({exc}).") from None
    if arr.dtype == object or arr.dtype.kind in "USVMm":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"{what} contains non-numeric values (dtype {arr.dtype}). Convert strings and "
                "categories to numbers (for example one-hot encoding) before fitting or scoring."
            ) from None
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{what} has unsupported dtype {arr.dtype}; pass numbers.")
    if arr.ndim == 0:
        raise ValueError(f"{what} is a scalar; pass an array of shape (n_samples, n_features).")
    if arr.ndim == 1:
        raise ValueError(
            f"{what} is 1-D (shape {arr.shape}); detectors need a 2-D array (n_samples, n_features). "
            "Use X.reshape(-1, 1) if it is one feature, or X.reshape(1, -1) if it is one sample."
        )
    if arr.ndim > 2 and not allow_nd:
        raise ValueError(
            f"{what} has {arr.ndim} dimensions (shape {arr.shape}) but this detector takes 2-D "
            "tabular input (n_samples, n_features). Flatten it with X.reshape(len(X), -1)."
        )
    if arr.ndim > 4:
        raise ValueError(
            f"{what} has {arr.ndim} dimensions; expected (n, d), (n, t, d) sequences or (n, c, h, w) images."
        )
    n = arr.shape[0]
    if n < min_samples:
        if n == 0:
            raise ValueError(f"{what} has 0 rows; pass at least {min_samples} sample(s).")
        raise ValueError(
            f"{what} has {n} row(s); at least {min_samples} are needed to fit. Pass more training data."
        )
    if arr.ndim >= 2 and int(np.prod(arr.shape[1:])) == 0:
        raise ValueError(f"{what} has 0 features (shape {arr.shape}); pass at least one column.")
    if input_shape is not None and tuple(arr.shape[1:]) != tuple(input_shape):
        if len(input_shape) == 1 and arr.ndim == 2:
            raise ValueError(
                f"{what} has {arr.shape[1]} features, but the model was fitted on {input_shape[0]} features."
                " Pass the same columns, in the same order, as in fit."
            )
        raise ValueError(
            f"{what} has samples of shape {tuple(arr.shape[1:])}, but the model was fitted on samples "
            f"of shape {tuple(input_shape)}."
        )
    arr = np.asarray(arr, dtype=dtype)
    if not np.isfinite(arr).all():
        flat = arr.reshape(n, -1) if arr.ndim == 2 else np.moveaxis(arr, 0, -1).reshape(-1, n).T
        bad_cols = np.flatnonzero(~np.isfinite(flat).all(axis=0))
        j = int(bad_cols[0])
        kind = "NaN" if np.isnan(flat[:, j]).any() else "infinite values"
        rows = np.flatnonzero(~np.isfinite(flat[:, j]))
        where = _column_label(names if arr.ndim == 2 else None, j) if arr.ndim == 2 else f"element {j} of each sample"
        more = f" (and {len(bad_cols) - 1} more column(s))" if len(bad_cols) > 1 else ""
        raise ValueError(
            f"{what} contains {kind} in {where}{more}, first at row {int(rows[0])} "
            f"({len(rows)} row(s) affected). Impute or drop those rows before fitting or scoring."
        )
    return arr


def _numeric_series(s: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))
    except Exception:  # pragma: no cover
        return False


def dataframe_feature_names(X: Any) -> list[str] | None:
    """Column names of a DataFrame as strings, else None."""
    if _is_dataframe(X):
        return [str(c) for c in X.columns]
    return None


def check_groups(groups: Any, n_samples: int, *, min_group_size: int = 2, what: str = "groups") -> np.ndarray:
    """Validate one group id per point; every group needs ``min_group_size`` points."""
    if groups is None:
        raise ValueError(
            f"{what} is required: pass one group id per row (groups=ids), or a list of (n_i, d) arrays."
        )
    g = _to_numpy(groups)
    if g.ndim != 1:
        raise ValueError(f"{what} must be 1-D with one id per row; got shape {g.shape}.")
    if len(g) != n_samples:
        raise ValueError(f"{what} has {len(g)} ids but X has {n_samples} rows; pass one group id per row.")
    if g.dtype == object:
        try:
            g = g.astype(str)
        except Exception:
            raise ValueError(f"{what} ids must be numbers or strings.") from None
    if g.dtype.kind == "f" and not np.isfinite(g).all():
        raise ValueError(f"{what} contains NaN or infinite ids; give every row a group id.")
    ids, counts = np.unique(g, return_counts=True)
    small = ids[counts < min_group_size]
    if len(small):
        raise ValueError(
            f"{len(small)} group(s) have fewer than {min_group_size} points (first: {small[0]!r}); "
            f"each group needs at least {min_group_size} points. Merge or drop them."
        )
    return g


def check_fitted(est: Any, attribute: str = "threshold_") -> None:
    """Raise NotFittedError with a helpful message if ``est`` is not fitted."""
    if not hasattr(est, attribute):
        raise NotFittedError(
            f"This {type(est).__name__} is not fitted yet. Call fit(X) before scoring or saving."
        )
