"""Which features make a point (or a group) anomalous: per-feature contributions to the score.

``det.explain(X)`` returns an :class:`Explanation`: one contribution per input cell (rows
``(n, d)``: per feature; sequences ``(n, t, d)``: per time step and feature; images
``(n, c, h, w)``: per pixel and channel), in units of the anomaly score, with the feature names.
What a contribution means depends on the detector family:

``"reconstruction"`` -- AutoEncoder, VAE and AdversarialAutoEncoder scoring the reconstruction
    error, Seq2Seq: the share of the reconstruction error each cell carries,
    ``c_j = (x_j - x^_j)^2 / D`` (``D`` cells per sample), so the contributions sum to the score
    (``base_values`` are 0). A VAE averages over the same noise vectors its score uses.
``"residual"`` -- ADGAN and AnoGAN (scores found by a latent search): the residual
    ``|x - G(z*)|`` (AnoGAN: of the best-matching seed) or squared residual averaged over the
    seeds (ADGAN), rescaled to sum to the score.
``"integrated_gradients"`` -- every other differentiable (torch) score: VAE probability/ELBO,
    AAE latent/combined, BiGAN, GANomaly, ...: integrated gradients (Sundararajan et al. 2017)
    of the score along the straight path from the baseline ``b`` to ``x``,
    ``c_j = (x_j - b_j) * mean_a dS/dx_j (b + a (x - b))``, with ``steps`` midpoints; they sum to
    ``score(x) - score(b)`` up to the path discretisation (``base_values`` = ``score(b)``).
``"shapley"`` -- classic detectors (PCA, OCSVM, IsolationForest, KDE, GMM, KNN) and any other
    score: Shapley values of the score with features absent drawn from background rows of normal
    data (the interventional game of SHAP's permutation explainer), estimated with antithetic
    random permutations, each paired with one background row (the rows in turn). They sum
    exactly to ``score(x) - mean score(background)`` (``base_values``; the mean over the samples). At most ``max_evals`` scores are
    computed per explained row (the budget).

Group detectors (``group_det.explain(X, groups)``) return a :class:`GroupExplanation` found by
occlusion: per point, how much the group's score drops when that point is replaced by the
baseline point; per feature, how much it drops when that feature is set to the baseline in the
few points that drive the score most: which points and which features make the group anomalous.

Every family explains the detector's own score, not the data: when a detector's score hardly
responds to a change (IsolationForest's path lengths stop growing once a value leaves the
training range, so a 6-sd shift counts about as much as an ordinary 3-sd value elsewhere), the
contributions name what the score does respond to. ``benchmarks/explain`` measures both: whether
the top features are the planted ones, and whether resetting the named features moves the score as
much as resetting the planted ones.

The baseline and background live in the detector's scaled space. By default they are the
training mean (``preprocessing="standard"``), the mid-range (``"minmax"``) or the origin (no
scaling); KNN and KDE use a sample of their own reference rows. Pass ``background=`` (rows of
normal data, in the input's units) for a better reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Explanation", "GroupExplanation", "explain", "explain_groups", "method_for"]


# ----------------------------------------------------------------------------- results
@dataclass
class Explanation:
    """Per-cell contributions to the anomaly score of ``n`` samples.

    Attributes
    ----------
    values : ndarray of shape ``(n, *sample_shape)``
        Contribution of every cell (feature; time step x feature; channel x pixel), in score units.
    scores : ndarray (n,)
        The anomaly scores explained (``decision_function``).
    base_values : ndarray (n,)
        What the contributions start from: ``scores ~= base_values + values.sum(cells)``.
    feature_names : list of str
        Names of the features (rows, sequences: the last axis; images: the channels).
    method : str
        ``"reconstruction"``, ``"residual"``, ``"integrated_gradients"`` or ``"shapley"``.
    """

    values: np.ndarray
    scores: np.ndarray
    base_values: np.ndarray
    feature_names: list[str]
    method: str
    extra: dict = field(default_factory=dict)

    @property
    def cell_names(self) -> list[str]:
        """One name per cell of a sample, in C order: ``f`` for rows, ``t<k>:f`` for sequences,
        ``f[y,x]`` for images."""
        shape = self.values.shape[1:]
        if len(shape) == 1:
            return list(self.feature_names)
        if len(shape) == 2:
            return [f"t{t}:{f}" for t in range(shape[0]) for f in self.feature_names]
        c, h, w = shape
        return [f"{self.feature_names[k]}[{i},{j}]" for k in range(c) for i in range(h) for j in range(w)]

    def top(self, k: int = 5) -> list[list[tuple[str, float]]]:
        """The ``k`` cells with the largest contributions of every sample, largest first."""
        if int(k) < 1:
            raise ValueError(f"k must be at least 1; got {k!r}.")
        flat = self.values.reshape(len(self.values), -1)
        names = self.cell_names
        k = min(int(k), flat.shape[1])
        order = np.argsort(-flat, axis=1, kind="stable")[:, :k]
        return [[(names[j], float(flat[i, j])) for j in row] for i, row in enumerate(order)]

    def to_frame(self):
        """A pandas DataFrame with one column per cell (rows: one per sample)."""
        import pandas as pd

        return pd.DataFrame(self.values.reshape(len(self.values), -1), columns=self.cell_names)


@dataclass
class GroupExplanation:
    """Contributions to the scores of ``m`` groups.

    Attributes
    ----------
    values : ndarray (m, d)
        Per feature: score drop when that feature is set to the baseline in one of the group's
        leading points (those with the largest ``point_values``), averaged over them with the
        points' contributions as weights.
    point_values : list of m ndarrays (n_i,)
        Per point: score drop when that point is replaced by the baseline point.
    scores : ndarray (m,)
    feature_names : list of str
    method : str (``"occlusion"``)
    """

    values: np.ndarray
    point_values: list
    scores: np.ndarray
    feature_names: list[str]
    method: str = "occlusion"

    def top(self, k: int = 5) -> list[list[tuple[str, float]]]:
        """The ``k`` features with the largest contributions of every group."""
        return Explanation(self.values, self.scores, np.zeros(len(self.scores)), self.feature_names,
                           self.method).top(k)

    def top_points(self, k: int = 5) -> list[np.ndarray]:
        """Indices (within each group) of the ``k`` points that drive its score most."""
        return [np.argsort(-p, kind="stable")[: int(k)] for p in self.point_values]


# ----------------------------------------------------------------------------- helpers
def feature_names(det) -> list[str]:
    names = getattr(det, "feature_names_in_", None)
    if names is not None:
        return [str(v) for v in names]
    shape = tuple(det.input_shape_)
    d = shape[0] if len(shape) == 3 else shape[-1]
    prefix = "c" if len(shape) == 3 else "x"
    return [f"{prefix}{j}" for j in range(d)]


def _baseline(det) -> np.ndarray:
    """The default reference sample in the detector's scaled space, shape ``(1, *sample_shape)``."""
    kind = getattr(det.scaler_, "kind", None)
    ref = getattr(det, "model_", None)
    fit_x = getattr(ref, "_fit_X", None)
    if fit_x is not None and not hasattr(fit_x, "tocsr"):
        return np.asarray(fit_x)
    if getattr(det, "centres_", None) is not None:
        return np.asarray(det.centres_)
    means = getattr(ref, "means_", None)  # GMM: the mixture's component means
    if means is not None:
        return np.asarray(means)
    value = 0.5 if kind == "minmax" else 0.0
    if kind is None:  # the origin of the input's units
        return np.zeros((1, *det.input_shape_))
    base = det.scaler_.transform(np.zeros((1, *det.input_shape_), dtype=np.float64))
    return np.full_like(base, value)


def background_rows(det, background=None, n_background: int = 32, seed: int = 0) -> np.ndarray:
    """Scaled background rows: ``background`` (input units) or the detector's default reference,
    subsampled to ``n_background`` rows."""
    if background is not None:
        B = det._transform(det._validate(background, fitting=False))
    else:
        B = _baseline(det)
    B = np.asarray(B.toarray() if hasattr(B, "toarray") else B, dtype=np.float64)
    if len(B) > n_background:
        B = B[np.sort(np.random.default_rng(seed).choice(len(B), int(n_background), replace=False))]
    return B


def is_deep(det) -> bool:
    """Whether ``det`` scores with torch networks (a :class:`genad.detectors.deep.DeepDetector`)."""
    return callable(getattr(det, "_score_batch", None)) and callable(getattr(det, "_modules", None))


def method_for(det) -> str:
    """The explanation family of a fitted point detector (see the module docstring)."""
    name = type(det).__name__
    if name in ("ADGAN", "AnoGAN"):
        return "residual"
    if name == "Seq2Seq" or (name in ("AutoEncoder", "VAE", "AdversarialAutoEncoder")
                             and getattr(det, "score_type", "reconstruction") == "reconstruction"):
        return "reconstruction"
    if is_deep(det):
        return "integrated_gradients"
    return "shapley"


# ----------------------------------------------------------------------------- families
def _reconstruction(det, Xs: np.ndarray) -> np.ndarray:
    import torch

    name = type(det).__name__
    if name == "Seq2Seq":
        S = det._as_sequences(Xs)
        mode = det._decode_mode(det.conditional_)
        rec = det._forward_batched(lambda x: det._reconstruct_tensor(x, mode), S)
        return det._from_sequences((S - rec) ** 2 / (S.shape[1] * S.shape[2]))
    if name == "VAE":
        def per_cell(x):
            mu, logvar = det._posterior(x)
            std = torch.exp(0.5 * logvar)
            noise = det._score_noise(mu.shape[1], mu.dtype, x.device)
            return sum((x - det.decoder_(mu + std * eps)).pow(2) for eps in noise) / len(noise)

        err = det._forward_batched(per_cell, Xs)
    else:
        err = (Xs - det._forward_batched(det._reconstruct_tensor, Xs)) ** 2
    return err / int(np.prod(Xs.shape[1:]))


def _residual(det, Xs: np.ndarray, scores: np.ndarray) -> np.ndarray:
    import torch

    dev = det._to_device()
    for m in det._modules():
        m.eval()
    out = []
    with torch.inference_mode(False):
        for i in range(0, len(Xs), 256):
            x = torch.as_tensor(Xs[i:i + 256], device=dev)
            loss, _, x_hat = det._search(x)
            r = (x.unsqueeze(1) - x_hat.detach())
            if type(det).__name__ == "AnoGAN":
                best = loss.detach().argmin(1)
                r = r[torch.arange(len(x)), best].abs()
            else:
                r = r.pow(2).mean(1)
            out.append(r.double().cpu().numpy())
    r = np.concatenate(out)
    total = r.reshape(len(r), -1).sum(1)
    share = np.divide(r, total.reshape((-1,) + (1,) * (r.ndim - 1)),
                      out=np.zeros_like(r), where=total.reshape((-1,) + (1,) * (r.ndim - 1)) > 0)
    return share * scores.reshape((-1,) + (1,) * (r.ndim - 1))


def _integrated_gradients(det, Xs: np.ndarray, base: np.ndarray, steps: int) -> np.ndarray:
    import torch

    dev = det._to_device()
    for m in det._modules():
        m.eval()
    b = torch.as_tensor(base.mean(axis=0, keepdims=True), device=dev, dtype=torch.float32)
    alphas = ((torch.arange(steps, dtype=torch.float32) + 0.5) / steps).to(dev)
    alphas = alphas.reshape((-1,) + (1,) * (Xs.ndim - 1))
    per = max(1, int(getattr(det, "score_batch_size", 4096)) // steps)
    out = []
    with torch.inference_mode(False), torch.enable_grad():
        for i in range(0, len(Xs), per):
            x = torch.as_tensor(Xs[i:i + per], device=dev, dtype=torch.float32)
            path = (b.unsqueeze(0) + alphas.unsqueeze(1) * (x - b).unsqueeze(0)).reshape(-1, *x.shape[1:])
            path = path.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(det._score_batch(path).sum(), path)
            g = g.reshape(steps, len(x), *x.shape[1:]).mean(0)
            out.append(((x - b) * g).double().cpu().numpy())
    return np.concatenate(out)


def _shapley(score, Xs: np.ndarray, B: np.ndarray, max_evals: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Permutation-sampling Shapley values of ``score`` (scaled rows -> scores) for every row of
    ``Xs`` against background rows ``B``; about ``max_evals`` scores per row.

    Every sample is one random permutation paired with one background row (antithetic pairs: a
    permutation and its reverse share the row), the background rows taken in turn, so the budget
    buys as many different permutations as it can. The telescoping sums add up exactly to
    ``score(x)`` minus the mean score of the background rows over the samples (the base value).
    """
    n, d = Xs.shape
    pairs = max(1, int(max_evals) // (2 * (d + 1)))  # antithetic pairs per explained row
    m = min(len(B), pairs)
    P = 2 * pairs  # samples (paths of d + 1 scores) per explained row
    rng = np.random.default_rng(seed)
    B = B[rng.choice(len(B), m, replace=False)] if len(B) > m else B
    bg = np.tile(np.arange(pairs) % m, 2)  # sample p and its reverse p + P/2 share a row
    base_value = float(np.mean(np.asarray(score(B), dtype=np.float64)[bg]))
    phi = np.zeros((n, d))
    rows_per_call = max(1, 50_000 // (P * (d + 1)))
    for start in range(0, n, rows_per_call):
        xs = Xs[start:start + rows_per_call]
        r = len(xs)
        half = np.argsort(rng.random((r, P // 2, d)), axis=2)  # random permutations
        perms = np.concatenate([half, half[:, :, ::-1]], axis=1)  # (r, P, d)
        rank = np.argsort(perms, axis=2)  # position of each feature in its permutation
        # on[r, p, k, j]: feature j comes from x at step k (its position < k)
        on = rank[:, :, None, :] < np.arange(d + 1)[None, None, :, None]
        Z = np.where(on, xs[:, None, None, :], B[bg][None, :, None, :])  # (r, P, d+1, d)
        s = np.asarray(score(Z.reshape(-1, d)), dtype=np.float64).reshape(r, P, d + 1)
        delta = np.diff(s, axis=2)  # (r, P, d): gain of the feature added at step k
        contrib = np.zeros((r, P, d))
        np.put_along_axis(contrib, perms, delta, axis=2)
        phi[start:start + r] = contrib.mean(axis=1)
    # telescoping: sum(phi) = s(x) - mean over the samples of s(background row) = s(x) - base_value
    return phi, np.full(n, base_value)


# ----------------------------------------------------------------------------- entry points
def explain(det, X, *, background=None, method: str | None = None, max_evals: int = 2048,
            n_background: int = 32, steps: int = 32, random_state: int = 0) -> Explanation:
    """Per-cell contributions to ``det.decision_function(X)``; see the module docstring.

    Parameters
    ----------
    det : a fitted point detector
    X : rows, sequences or images, as accepted by ``det.decision_function``
    background : rows of normal data (input units) for the baseline (integrated gradients) and
        the absent features (Shapley values); default: the detector's reference (see above).
    method : force ``"shapley"`` or ``"integrated_gradients"`` instead of the family's default.
    max_evals : score evaluations per explained row for ``"shapley"`` (the budget).
    n_background : most background rows used.
    steps : path points of integrated gradients.
    random_state : seed of the permutations and of the background subsample.
    """
    from .validation import check_fitted

    check_fitted(det)
    if method not in (None, "shapley", "integrated_gradients", "reconstruction", "residual"):
        raise ValueError(f'method must be None, "shapley", "integrated_gradients", "reconstruction" or '
                         f'"residual"; got {method!r}.')
    if int(max_evals) < 4 or int(steps) < 1 or int(n_background) < 1:
        raise ValueError("max_evals must be >= 4, steps and n_background >= 1.")
    Xs = det._transform(det._validate(X, fitting=False))
    if hasattr(Xs, "toarray"):
        Xs = Xs.toarray()
    Xs = np.asarray(Xs)
    scores = np.asarray(det._score(Xs), dtype=np.float64)
    chosen = method or method_for(det)
    if chosen in ("reconstruction", "residual") and chosen != method_for(det):
        raise ValueError(f"{type(det).__name__} has no {chosen!r} explanation; use method=None.")
    zeros = np.zeros(len(Xs))
    if chosen == "reconstruction":
        values, base = _reconstruction(det, Xs), zeros
    elif chosen == "residual":
        values, base = _residual(det, Xs, scores), zeros
    elif chosen == "integrated_gradients":
        if not is_deep(det):
            raise ValueError(f"{type(det).__name__} is not differentiable; use method='shapley'.")
        B = background_rows(det, background, n_background, random_state)
        Bs = B.mean(axis=0, keepdims=True)
        values = _integrated_gradients(det, Xs, Bs, int(steps))
        base = np.full(len(Xs), float(det._score(Bs.astype(Xs.dtype))[0]))
    else:
        if Xs.ndim != 2:
            raise ValueError("Shapley values are computed for rows (n, d); sequences and images of "
                             f"{type(det).__name__} are explained with method=None.")
        B = background_rows(det, background, n_background, random_state)
        values, base = _shapley(lambda Z: det._score(Z.astype(Xs.dtype, copy=False)), Xs, B,
                                int(max_evals), int(random_state))
    return Explanation(values=np.asarray(values, dtype=np.float64), scores=scores, base_values=base,
                       feature_names=feature_names(det), method=chosen)


def _score_variants(det, variants: list) -> np.ndarray:
    off = np.concatenate([[0], np.cumsum([len(v) for v in variants])]).astype(np.int64)
    return np.asarray(det._score_groups(np.concatenate(variants), off), dtype=np.float64)


def explain_groups(det, X, groups=None, *, n_points: int = 5) -> GroupExplanation:
    """Occlusion contributions of the points and features of every group (see the module docstring).

    Every point is replaced by the baseline point in turn (``point_values``); then, in the
    ``n_points`` points with the largest contributions, every feature is set to the baseline in
    turn, and a feature's contribution (``values``) is the mean of its score drops over them,
    weighted by the points' (positive) contributions.
    """
    if int(n_points) < 1:
        raise ValueError(f"n_points must be at least 1; got {n_points!r}.")
    pts, offsets, _ = det._input(X, groups, fitting=False)
    Xs = det.scaler_.transform(pts)
    base = background_rows(det).mean(axis=0)
    groups_ = [Xs[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]
    d = Xs.shape[1]
    variants = []
    for G in groups_:
        variants.append(G)
        for p in range(len(G)):
            H = G.copy()
            H[p] = base
            variants.append(H)
    s = _score_variants(det, variants)
    scores, points, at = np.empty(len(groups_)), [], 0
    for i, G in enumerate(groups_):
        scores[i] = s[at]
        points.append(s[at] - s[at + 1:at + 1 + len(G)])
        at += 1 + len(G)
    variants, chosen = [], []
    for G, pv in zip(groups_, points):
        top = np.argsort(-pv, kind="stable")[: int(n_points)]
        chosen.append(top)
        for p in top:
            for j in range(d):
                H = G.copy()
                H[p, j] = base[j]
                variants.append(H)
    s = _score_variants(det, variants)
    values, at = np.empty((len(groups_), d)), 0
    for i, top in enumerate(chosen):
        drops = scores[i] - s[at:at + len(top) * d].reshape(len(top), d)
        w = np.clip(points[i][top], 0.0, None)
        w = w / w.sum() if w.sum() > 0 else np.full(len(top), 1.0 / len(top))
        values[i] = w @ drops
        at += len(top) * d
    return GroupExplanation(values=values, point_values=points, scores=scores, feature_names=feature_names(det))
