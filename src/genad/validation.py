"""Input checks shared by every detector.

Every public entry point funnels its input through :func:`check_X`, so that a user who passes
NaN, strings, the wrong number of columns or a 1-D vector gets one ``ValueError`` that names the
problem and says how to fix it, instead of a numpy or torch traceback.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["check_X", "check_groups", "check_labels", "check_fitted", "NotFittedError", "NonNumericInputError", "SPARSE_REFUSED"]

from sklearn.exceptions import NotFittedError


#: the sentence every detector that cannot take sparse matrices answers them with
SPARSE_REFUSED = "sparse input is not supported; use X.toarray()"


class NonNumericInputError(ValueError, TypeError):
    """Input holds a value that is not a number (a string, a dict, ...).

    A ``ValueError`` like every other input error, and also a ``TypeError`` because the value's
    type is what is wrong (what numpy raises for ``float({})``).
    """


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


def _first_bad_value(values: np.ndarray):
    """(row, value, reason) of the first entry of a 1-D object array that is not a number."""
    for i, v in enumerate(values):
        try:
            float(v)
        except (TypeError, ValueError) as exc:
            return i, v, str(exc)
    return None


def _object_to_float(arr: np.ndarray, names: Sequence[str] | None, what: str) -> np.ndarray:
    """Convert an object (or string) array whose entries are numbers; name the first column that is not."""
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError):
        pass
    flat = arr.reshape(len(arr), -1) if arr.ndim >= 2 else arr.reshape(-1, 1)
    for j in range(flat.shape[1]):
        bad = _first_bad_value(flat[:, j])
        if bad is not None:
            i, v, reason = bad
            where = _column_label(names, j) if arr.ndim == 2 else f"element {j} of each sample"
            raise NonNumericInputError(
                f"{what} contains non-numeric values in {where}, first at row {i}: {v!r} ({reason}). "
                "Convert strings and categories to numbers (for example one-hot encoding) or drop "
                "that column before fitting or scoring."
            )
    raise NonNumericInputError(  # pragma: no cover - astype failed but every entry converts
        f"{what} contains non-numeric values (dtype {arr.dtype}); convert them to numbers."
    )


def _check_sparse(X: Any, *, dtype: Any, min_samples: int, input_shape, estimator_name, what: str):
    """Validate a scipy sparse matrix for detectors that take one; returns CSR of ``dtype``."""
    import scipy.sparse as sp

    if X.ndim != 2:  # pragma: no cover - scipy sparse is 2-D
        raise ValueError(f"{what} must be 2-D; got a sparse array of shape {X.shape}.")
    if np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"Complex data not supported: {what} has dtype {X.dtype}. Pass real numbers.")
    if X.dtype.kind not in "fiub":
        raise ValueError(f"{what} has unsupported dtype {X.dtype}; pass numbers.")
    _check_size(X.shape, min_samples, what)
    _check_feature_count(X.shape[1], input_shape, estimator_name, what)
    out = (sp.csr_array(X) if isinstance(X, getattr(sp, "sparray", ())) else sp.csr_matrix(X)).astype(dtype)
    out.sum_duplicates()
    if not np.isfinite(out.data).all():
        cols = np.unique(out.indices[~np.isfinite(out.data)])
        raise ValueError(
            f"{what} contains NaN or infinite values in {_column_label(None, int(cols[0]))}"
            f"{f' (and {len(cols) - 1} more column(s))' if len(cols) > 1 else ''}. Impute or drop "
            "those rows before fitting or scoring."
        )
    return out


def _check_size(shape: tuple, min_samples: int, what: str) -> None:
    """Enough rows, and at least one feature (the phrases scikit-learn's checks look for included)."""
    n = shape[0]
    if n < min_samples:
        if n == 0:
            raise ValueError(f"{what} has 0 rows; pass at least {min_samples} sample(s).")
        raise ValueError(
            f"{what} has {n} row(s) (n_samples={n}); at least {min_samples} are needed to fit. "
            "Pass more training data."
        )
    if len(shape) >= 2 and int(np.prod(shape[1:])) == 0:
        raise ValueError(
            f"{what} has 0 feature(s) (shape={tuple(shape)}) while a minimum of 1 is required; "
            "pass at least one column."
        )


def _check_feature_count(d: int, input_shape, estimator_name, what: str) -> None:
    if input_shape is not None and len(input_shape) == 1 and d != input_shape[0]:
        expecting = (f"{estimator_name} is expecting {input_shape[0]} features as input (it was fitted on "
                     f"{input_shape[0]} features)") if estimator_name else f"the model was fitted on {input_shape[0]} features"
        raise ValueError(f"{what} has {d} features, but {expecting}. Pass the same columns, in the same order, as in fit.")


def check_X(
    X: Any,
    *,
    dtype: Any = np.float64,
    allow_nd: bool = False,
    min_samples: int = 1,
    feature_names: Sequence[str] | None = None,
    input_shape: Sequence[int] | None = None,
    what: str = "X",
    accept_sparse: bool = False,
    estimator_name: str | None = None,
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
    accept_sparse : bool
        Accept a scipy sparse matrix (returned as CSR); otherwise it is refused with
        :data:`SPARSE_REFUSED`.
    estimator_name : str, optional
        Named in the feature-count message ("X has 3 features, but KNN is expecting 4 ...").

    Object arrays and object (or categorical) DataFrame columns whose entries are numbers are
    converted; the first entry that is not a number is reported with its column and row
    (:class:`NonNumericInputError`).

    Returns
    -------
    numpy.ndarray of ``dtype`` (a CSR matrix for sparse input with ``accept_sparse``).
    """
    if X is None:
        raise ValueError(f"{what} is None; pass an array of shape (n_samples, n_features).")
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):  # scipy.sparse without importing it
        if not accept_sparse:
            who = estimator_name or "this detector"
            raise ValueError(f"{what} is a scipy sparse matrix and {who} takes dense arrays: {SPARSE_REFUSED}.")
        return _check_sparse(X, dtype=dtype, min_samples=min_samples, input_shape=input_shape,
                             estimator_name=estimator_name, what=what)
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
        converted = {}
        bad = []
        for j, c in enumerate(cols):
            col = X.iloc[:, j]
            if _numeric_series(col):
                continue
            values = _convertible_column(col)
            if values is None:
                bad.append(c)
            else:
                converted[c] = values
        if bad:
            raise NonNumericInputError(
                f"{what} has non-numeric column(s) {bad}. Encode them as numbers "
                "(for example one-hot with pandas.get_dummies) or drop them."
            )
        if converted:  # object columns holding numbers (pandas hands these out often)
            X = X.assign(**converted)
        names = cols
        arr = X.to_numpy(dtype=np.float64, na_value=np.nan) if hasattr(X, "to_numpy") else np.asarray(X)
    else:
        try:
            arr = _to_numpy(X)
        except Exception as exc:  # ragged lists and similar
            raise ValueError(f"{what} could not be read as a numeric array ({exc}).") from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        arr = _object_to_float(arr, names, what)
    if arr.dtype.kind == "c":
        raise ValueError(
            f"Complex data not supported: {what} has dtype {arr.dtype}. Pass real numbers "
            "(for example X.real or np.abs(X))."
        )
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{what} has unsupported dtype {arr.dtype}; pass numbers.")
    if arr.ndim == 0:
        raise ValueError(f"{what} is a scalar; pass an array of shape (n_samples, n_features).")
    if arr.ndim == 1:
        raise ValueError(
            f"{what} is 1-D (shape {arr.shape}); detectors need a 2-D array (n_samples, n_features). "
            "Reshape your data with X.reshape(-1, 1) if it is one feature, or X.reshape(1, -1) if "
            "it is one sample."
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
    _check_size(arr.shape, min_samples, what)
    if input_shape is not None and tuple(arr.shape[1:]) != tuple(input_shape):
        if len(input_shape) == 1 and arr.ndim == 2:
            _check_feature_count(arr.shape[1], input_shape, estimator_name, what)
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


def _convertible_column(s: Any) -> np.ndarray | None:
    """float64 values of an object or categorical column whose entries are numbers, else None.

    Strings are not numbers here even when they read as one ("1.5"): a text column is a
    sign of an unparsed file, and silently parsing it would hide that.
    """
    try:
        values = s.to_numpy(dtype=object, na_value=np.nan)
    except (TypeError, ValueError):  # pragma: no cover - exotic extension arrays
        values = np.asarray(s, dtype=object)
    if any(isinstance(v, (str, bytes)) for v in values):
        return None
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError):
        return None


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


#: scikit-learn's semi-supervised convention for ``fit(X, y)``
LABEL_MEANINGS = {1: "known anomaly", 0: "known normal", -1: "unlabelled"}


def check_labels(
    y: Any,
    n_samples: int,
    *,
    units: str = "rows",
    require_anomaly: bool = False,
    estimator_name: str | None = None,
) -> np.ndarray | None:
    """Validate training labels in scikit-learn's semi-supervised convention.

    ``y`` holds one label per training unit (row, or group for group detectors): 1 = known
    anomaly, 0 = known normal, -1 = unlabelled. ``None`` means no labels (every unit unlabelled)
    and is returned as ``None`` unless ``require_anomaly`` (a weakly supervised detector) makes it
    an error. Booleans and integral floats are accepted; anything else -- other values, NaN,
    strings, the wrong length or rank, every unit a known anomaly (nothing left to learn as
    normal), no known anomaly where one is required -- is a ``ValueError`` that says what to pass.

    Returns
    -------
    numpy.ndarray of int64 with values in {-1, 0, 1}, or None.
    """
    who = estimator_name or "this detector"
    if y is None:
        if require_anomaly:
            raise ValueError(
                f"{who} is weakly supervised and needs some labelled anomalies: pass fit(X, y) with "
                "y = 1 for known anomalies, 0 for known normal rows and -1 for unlabelled ones "
                "(a handful of labelled anomalies is enough). Without labels, use an unsupervised "
                "detector such as DeepSVDD or AutoEncoder."
            )
        return None
    try:
        arr = _to_numpy(y)
    except Exception as exc:  # ragged lists and similar
        raise ValueError(f"y could not be read as an array of labels ({exc}).") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D with one label per {units[:-1]}; got shape {arr.shape}.")
    if len(arr) != n_samples:
        raise ValueError(
            f"y has {len(arr)} labels but there are {n_samples} {units}; pass one label per {units[:-1]} "
            "(1 known anomaly, 0 known normal, -1 unlabelled)."
        )
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iuf":
        bad = next((i for i, v in enumerate(arr) if not _is_label(v)), 0)
        raise ValueError(
            f"y must hold the numbers 1 (known anomaly), 0 (known normal) or -1 (unlabelled); got "
            f"{arr.tolist()[bad]!r} at position {bad}. Map your labels to these values."
        )
    ok = np.isin(arr, (-1, 0, 1))
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        values = np.unique(arr[~ok].astype(str))
        raise ValueError(
            f"y must hold only 1 (known anomaly), 0 (known normal) or -1 (unlabelled) -- scikit-learn's "
            f"semi-supervised convention; got {', '.join(values[:5])} (first at position {bad}). "
            "Map your labels to these values (unknown ones to -1)."
        )
    labels = arr.astype(np.int64)
    if (labels == 1).all():
        raise ValueError(
            f"every one of the {n_samples} {units} is labelled a known anomaly (y == 1): nothing is left "
            "to learn as normal. Pass normal or unlabelled data (y = 0 or -1) as well."
        )
    if require_anomaly and not (labels == 1).any():
        raise ValueError(
            f"{who} is weakly supervised and needs some labelled anomalies, but y has no 1: label at "
            "least one known anomaly (y = 1); the rest may stay unlabelled (-1)."
        )
    return labels


def _is_label(v: Any) -> bool:
    try:
        return float(v) in (-1.0, 0.0, 1.0)
    except (TypeError, ValueError):
        return False


def check_fitted(est: Any, attribute: str = "threshold_") -> None:
    """Raise NotFittedError with a helpful message if ``est`` is not fitted."""
    if not hasattr(est, attribute):
        raise NotFittedError(
            f"This {type(est).__name__} is not fitted yet. Call fit(X) before scoring or saving."
        )
