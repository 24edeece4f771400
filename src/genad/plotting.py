"""Plots for training and results (matplotlib; safe without a display).

Every function returns a :class:`matplotlib.figure.Figure` (built with the object-oriented API,
so nothing is shown or kept in pyplot's global state); save it with ``fig.savefig(path)``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

__all__ = ["plot_history", "plot_reconstruction", "plot_latent", "plot_score_histogram", "plot_roc", "curve_style",
           "plot_explanation"]


def _figure(figsize=(6.0, 4.0)):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _axes(ax, figsize=(6.0, 4.0)):
    """(figure, axes): the given axes and its figure, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig = _figure(figsize)
    return fig, fig.add_subplot()


#: line styles cycled with the colours so that every curve differs in both
LINE_STYLES = ("-", "--", "-.", (0, (1, 1)))


def curve_style(i: int) -> dict:
    """Colour and line style of the ``i``-th curve: 20 colours (tab20) and 4 line styles, combined so
    that no two of the first 80 curves look alike and neighbours differ in both."""
    import matplotlib

    colors = matplotlib.colormaps["tab20"].colors
    return {"color": colors[(2 * i) % 20 + (i // 10) % 2], "linestyle": LINE_STYLES[(i + i // 20) % len(LINE_STYLES)]}


def plot_history(history: Mapping[str, Sequence[float]], *, title: str | None = None, ax=None):
    """Training curves: every per-epoch loss in ``history`` (a detector's ``history_``).

    Keys ending in ``loss`` (``loss``, ``val_loss``, ``<step>_loss``) and extra logged terms
    (``nll``, ``kl``...) are drawn against the epoch; ``epoch_time`` and ``best_epoch`` are
    skipped; the best epoch is marked with a vertical line. ``ax``: draw on this axes.
    """
    if not isinstance(history, Mapping) or not history:
        raise ValueError("history must be a non-empty dict of per-epoch lists (a detector's history_).")
    fig, ax = _axes(ax)
    n_lines = 0
    for key, values in history.items():
        if key in ("epoch_time", "best_epoch"):
            continue
        v = np.asarray(values, dtype=float)
        if v.ndim != 1 or len(v) == 0:
            continue
        ax.plot(np.arange(1, len(v) + 1), v, label=key, linestyle="--" if key.startswith("val") else "-")
        n_lines += 1
    if n_lines == 0:
        raise ValueError(f"history has no per-epoch losses to plot; keys: {sorted(history)}.")
    best = history.get("best_epoch")
    if best and best[0] and best[0] > 0:
        ax.axvline(best[0], color="grey", linestyle=":", label=f"best epoch ({best[0]})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title or "training history")
    ax.legend()
    return fig


def plot_reconstruction(x, x_hat, *, title: str | None = None, feature_names: Sequence[str] | None = None):
    """An input beside its reconstruction.

    ``x`` and ``x_hat`` with the same shape: a row ``(d,)`` (bars per feature), a sequence
    ``(t,)`` or ``(t, d)`` with ``t > d`` treated as time (lines), or an image ``(h, w)``,
    ``(c, h, w)`` (input, reconstruction and squared error side by side).
    """
    x, x_hat = np.asarray(x, dtype=float), np.asarray(x_hat, dtype=float)
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have the same shape; got {x.shape} and {x_hat.shape}.")
    if x.ndim == 3 or (x.ndim == 2 and min(x.shape) > 4):
        img = lambda a: a if a.ndim == 2 else (a[0] if a.shape[0] == 1 else np.moveaxis(a, 0, -1))  # noqa: E731
        fig = _figure((9.0, 3.2))
        axes = fig.subplots(1, 3)
        a, b = img(x), img(x_hat)
        lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
        norm = (lambda v: (v - lo) / (hi - lo)) if hi > lo and a.ndim == 3 else (lambda v: v)  # noqa: E731
        kw = {"cmap": "gray"} if a.ndim == 2 else {}
        axes[0].imshow(norm(a), **kw)
        axes[1].imshow(norm(b), **kw)
        err = (x - x_hat) ** 2
        axes[2].imshow(err if err.ndim == 2 else err.mean(axis=0), cmap="magma")
        for ax, t in zip(axes, ("input", "reconstruction", "squared error")):
            ax.set_title(t)
            ax.set_axis_off()
        if title:
            fig.suptitle(title)
        return fig
    fig = _figure((7.0, 3.5))
    ax = fig.add_subplot()
    if x.ndim == 1 and feature_names is not None:
        pos = np.arange(len(x))
        ax.bar(pos - 0.2, x, width=0.4, label="input")
        ax.bar(pos + 0.2, x_hat, width=0.4, label="reconstruction")
        ax.set_xticks(pos, [str(n) for n in feature_names], rotation=90)
    else:
        xs = x.reshape(len(x), -1)
        hs = x_hat.reshape(len(x_hat), -1)
        t = np.arange(len(xs))
        for j in range(xs.shape[1]):
            ax.plot(t, xs[:, j], color=f"C{j % 10}", label="input" if j == 0 else None)
            ax.plot(t, hs[:, j], color=f"C{j % 10}", linestyle="--", label="reconstruction" if j == 0 else None)
        ax.fill_between(t, xs[:, 0], hs[:, 0], color="C3", alpha=0.15, label="error")
        ax.set_xlabel("time step" if x.ndim == 2 else "feature")
    ax.set_title(title or "reconstruction")
    ax.legend()
    return fig


def plot_latent(Z, y=None, *, title: str | None = None, labels: Mapping[int, str] | None = None):
    """Scatter of latent codes ``Z`` (n, k), coloured by label ``y``; codes wider than 2 are
    projected to their first two principal components."""
    Z = np.asarray(Z, dtype=float)
    if Z.ndim != 2 or len(Z) == 0:
        raise ValueError(f"Z must be a 2-D array of codes (n, k); got shape {Z.shape}.")
    if y is not None and len(y) != len(Z):
        raise ValueError(f"y has {len(y)} labels but Z has {len(Z)} rows.")
    xlabel, ylabel = "z1", "z2"
    if Z.shape[1] == 1:
        Z = np.column_stack([Z[:, 0], np.zeros(len(Z))])
    elif Z.shape[1] > 2:
        from sklearn.decomposition import PCA

        Z = PCA(n_components=2).fit_transform(Z)
        xlabel, ylabel = "PC1", "PC2"
    fig = _figure((5.0, 4.5))
    ax = fig.add_subplot()
    if y is None:
        ax.scatter(Z[:, 0], Z[:, 1], s=8, alpha=0.6)
    else:
        y = np.asarray(y)
        for i, cls in enumerate(np.unique(y)):
            m = y == cls
            name = labels.get(cls, str(cls)) if labels else ("anomaly" if cls == 1 else "normal") if set(np.unique(y)) <= {0, 1} else str(cls)
            ax.scatter(Z[m, 0], Z[m, 1], s=8, alpha=0.6, color=f"C{i % 10}", label=name)
        ax.legend()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or "latent space")
    return fig


def plot_score_histogram(scores, y=None, threshold: float | None = None, *, bins: int = 50,
                         title: str | None = None, log: bool = False, clip: float | None = None, ax=None):
    """Histogram of anomaly scores per class (``y``: 1 = anomaly) with the threshold line.

    ``clip``: draw only the central ``1 - 2 * clip`` quantile range of the scores (widened to
    include the threshold); ``ax``: draw on this matplotlib axes (a panel of a larger figure).
    """
    scores = np.asarray(scores, dtype=float).ravel()
    if len(scores) == 0:
        raise ValueError("scores is empty.")
    fig, ax = _axes(ax)
    finite = scores[np.isfinite(scores)]
    if clip:
        lo, hi = np.quantile(finite, [clip, 1 - clip])
        if threshold is not None and np.isfinite(threshold):
            lo, hi = min(lo, float(threshold)), max(hi, float(threshold))
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5
        scores, finite = np.clip(scores, lo, hi), np.clip(finite, lo, hi)
    edges = np.histogram_bin_edges(finite, bins=bins)
    if y is None:
        ax.hist(scores, bins=edges, alpha=0.7, label="scores")
    else:
        y = np.asarray(y).ravel()
        if len(y) != len(scores):
            raise ValueError(f"y has {len(y)} labels but there are {len(scores)} scores.")
        for cls, name, col in ((0, "normal", "C0"), (1, "anomaly", "C3")):
            if (y == cls).any():
                ax.hist(scores[y == cls], bins=edges, alpha=0.6, color=col, label=name)
    if threshold is not None:
        ax.axvline(float(threshold), color="k", linestyle="--", label=f"threshold {float(threshold):.4g}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("anomaly score")
    ax.set_ylabel("count")
    ax.set_title(title or "score distribution")
    ax.legend()
    return fig


def plot_roc(curves: Mapping[str, tuple], *, title: str | None = None, ax=None):
    """ROC curves, one per entry: ``{name: (y_true, scores)}`` (labels 0/1) or
    ``{name: (fpr, tpr)}`` (increasing false-positive rates); the legend shows each ROC-AUC.
    Every curve gets its own colour and line style (:func:`curve_style`)."""
    from sklearn.metrics import auc, roc_curve

    if not curves:
        raise ValueError("curves must be a non-empty dict {name: (y_true, scores)}.")
    fig, ax = _axes(ax, (5.0, 4.5))
    for i, (name, (a, b)) in enumerate(curves.items()):
        a, b = np.asarray(a), np.asarray(b, dtype=float)
        # labels are only 0 and 1; a false-positive-rate array has values in between
        if set(np.unique(a).tolist()) <= {0, 1}:
            fpr, tpr, _ = roc_curve(a, b)
        else:
            fpr, tpr = a.astype(float), b
        ax.plot(fpr, tpr, lw=1.3, label=f"{name} (AUC {auc(fpr, tpr):.3f})", **curve_style(i))
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.6, alpha=0.6, label="chance")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title or "ROC")
    ax.legend(loc="lower right", fontsize=7 if len(curves) > 6 else None)
    return fig


def plot_explanation(explanation, rows=None, *, top: int = 10, ax=None):
    """Contributions of a :class:`genad.explain.Explanation` (``det.explain(X)``).

    Rows ``(n, d)``: one panel of horizontal bars per row in ``rows`` (default the first 4),
    the ``top`` largest contributions by magnitude, positive (raising the score) in red. Sequences
    ``(n, t, d)``: a heat map of time step x feature per row; images: a heat map of the pixels
    (summed over channels). ``ax``: draw one row on this axes.
    """
    values = np.asarray(getattr(explanation, "values", None))
    if values.ndim < 2:
        raise ValueError("explanation must be what det.explain(X) returns (values of shape (n, ...)).")
    n = len(values)
    rows = list(range(min(n, 4))) if rows is None else [int(r) for r in np.atleast_1d(rows)]
    if not rows or any(not 0 <= r < n for r in rows):
        raise ValueError(f"rows must be indices in [0, {n}); got {rows}.")
    if ax is not None and len(rows) != 1:
        raise ValueError("ax= draws one row; pass rows=<index>.")
    if ax is not None:
        fig, axes = ax.figure, [ax]
    else:
        fig = _figure((5.0 * min(len(rows), 4), 3.5 * ((len(rows) + 3) // 4)))
        grid = fig.subplots((len(rows) + 3) // 4, min(len(rows), 4), squeeze=False)
        axes = list(grid.ravel())
        for extra in axes[len(rows):]:
            extra.set_visible(False)
    names = explanation.feature_names
    for a, r in zip(axes, rows):
        v = values[r]
        title = f"row {r}: score {float(explanation.scores[r]):.4g}"
        if v.ndim == 1:
            k = min(int(top), len(v))
            order = np.argsort(-np.abs(v), kind="stable")[:k][::-1]
            a.barh([names[j] for j in order], v[order], color=["tab:red" if v[j] > 0 else "tab:blue" for j in order])
            a.axvline(0, color="black", linewidth=0.8)
            a.set_xlabel(f"contribution ({explanation.method})")
        else:
            img = v if v.ndim == 2 else v.sum(axis=0)
            lim = float(np.abs(img).max()) or 1.0
            im = a.imshow(img.T if v.ndim == 2 else img, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim,
                          interpolation="nearest")
            if v.ndim == 2:
                a.set_xlabel("time step")
                a.set_yticks(range(len(names)), names)
            fig.colorbar(im, ax=a, label="contribution")
        a.set_title(title)
    return fig

