"""Drift tests for a deployed detector: scores, inputs and latent codes.

A :class:`Monitor` watches the rows a fitted detector scores and answers, after every batch, one
question: *do the recent rows still look like the data the model was calibrated on?* Three
families of tests, each a valid test at the monitor's level ``alpha`` on its own:

* **score drift** -- the scores of the recent window against reference scores, two-sample
  Kolmogorov-Smirnov test. Under no drift both samples come from the same distribution, so the
  test is exact whatever the score's scale. The reference scores (``score_reference="auto"``) are
  the model's calibration scores when they come from a hold-out (``calibration_ ==
  "holdout:..."``: rows the final model was not fitted on, scored by it, exchangeable with new
  normal rows); with cross-conformal calibration they come from five *other* models, each with
  its own offset, which a large window tells apart from the final model's scores (measured: 12-20%
  false alarms per check at alpha 1% with IsolationForest) -- so the final model's scores of the
  first ``reference_size`` rows it monitors are the reference instead (drift *since monitoring
  began*). One-sided by default (``score_alternative="greater"``: alarm when new scores are
  *larger*, i.e. the data look more anomalous to the model).
* **input drift** -- every feature of the recent window against a reference sample of training
  rows: KS for continuous features, chi-square on the category counts for features with at most
  ``max_categories`` distinct values; the per-feature p-values are corrected for the number of
  features with Benjamini-Hochberg's false-discovery-rate procedure
  (:func:`scipy.stats.false_discovery_control`). Sequences ``(n, t, d)`` and images
  ``(n, c, h, w)`` are tested per channel on each sample's mean and standard deviation over the
  time steps or pixels (one value per sample, so the samples stay independent).
* **latent drift** -- for detectors with codes (``encode``): the maximum mean discrepancy with
  a Gaussian kernel (bandwidth: median pairwise distance) between the codes of the window and of
  the reference, with a permutation test (Gretton et al. 2012).

The families are combined with Bonferroni's correction: the report's ``p_value`` is
``min(1, k * min p)`` over the ``k`` families that ran, and ``drift`` is ``p_value < alpha``.
So a check of data without drift alarms with probability at most ``alpha`` (averaged over
calibration sets). Checks on overlapping windows are correlated; the number of false alarms per
10,000 rows therefore depends on how often one checks: it is at most
``alpha x checks per 10,000 rows``, and measured in ``benchmarks/monitor``. Every test assumes
independent rows: on overlapping sliding windows of a time series the rate is several times
``alpha`` (measured there on NAB); monitor non-overlapping windows instead.

Reference rows for the input and latent tests: ``reference=`` (training rows), else the rows
stored in the model by :func:`attach_reference`, else the first ``reference_size`` rows the
monitor sees (those checks report the tests as waiting until it is full). Rows taken from the
stream as a reference are not in the tested window.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["Monitor", "DriftReport", "score_drift", "feature_drift", "mmd_test", "attach_reference"]


# ----------------------------------------------------------------------------- the report
@dataclass(frozen=True)
class DriftReport:
    """The answer of one check.

    drift : bool -- the combined p-value is below ``alpha``.
    p_value : float -- Bonferroni-combined p-value of the families that ran.
    statistic : float -- KS statistic of the score test (largest gap between the two CDFs).
    features : list of str -- features whose FDR-adjusted p-value is below ``alpha / k``.
    since : int or None -- batch number (1-based) where the current run of alarms began.
    batch : int -- number of this check; ``rows_seen``: rows observed so far; ``window``: rows
        tested; ``alpha``: the level; ``tests``: each family's statistic, p-value and details.
    """

    drift: bool
    p_value: float
    statistic: float
    features: list[str]
    since: int | None
    batch: int
    rows_seen: int
    window: int
    alpha: float
    tests: dict[str, Any] = field(default_factory=dict)
    time: float = 0.0

    def to_dict(self) -> dict:
        """A JSON-ready dictionary (non-finite numbers become None)."""
        return _json(asdict(self))

    def __str__(self) -> str:
        head = (f"drift: {'YES' if self.drift else 'no'} (p = {self.p_value:.3g}, alpha = {self.alpha}; "
                f"batch {self.batch}, {self.window} rows tested of {self.rows_seen} seen"
                + (f"; drifting since batch {self.since}" if self.since is not None else "") + ")")
        lines = [head]
        for name, t in self.tests.items():
            if t.get("status") != "ok":
                lines.append(f"  {name:<7} {t.get('status')}")
                continue
            lines.append(f"  {name:<7} {t['test']}: statistic {t['statistic']:.4g}, p = {t['p_value']:.3g}")
        if self.features:
            more = f" (+{len(self.features) - 10} more)" if len(self.features) > 10 else ""
            lines.append("  drifting features: " + ", ".join(self.features[:10]) + more)
        return "\n".join(lines)


def _json(v):
    if isinstance(v, dict):
        return {str(k): _json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    return v


# ----------------------------------------------------------------------------- the tests
def _check_alpha(alpha) -> float:
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}; 0.01 alarms on 1% of checks without drift.")
    return alpha


def score_drift(calibration_scores, scores, alternative: str = "greater") -> dict:
    """Two-sample KS test of new ``scores`` against ``calibration_scores``.

    alternative : "greater" (new scores stochastically larger: more anomalous), "less" or
        "two-sided".
    """
    if alternative not in ("greater", "less", "two-sided"):
        raise ValueError(f"alternative must be 'greater', 'less' or 'two-sided', got {alternative!r}.")
    new = np.asarray(scores, dtype=np.float64).ravel()
    ref = np.asarray(calibration_scores, dtype=np.float64).ravel()
    if len(new) == 0 or len(ref) == 0:
        raise ValueError("score_drift needs at least one new score and one calibration score.")
    # scipy: alternative "less" means the CDF of the first sample lies below the second's
    alt = {"greater": "less", "less": "greater", "two-sided": "two-sided"}[alternative]
    res = stats.ks_2samp(new, ref, alternative=alt, method="asymp")
    return {"status": "ok", "test": f"KS ({alternative})", "statistic": float(res.statistic),
            "p_value": float(res.pvalue), "n": int(len(new)), "n_reference": int(len(ref)),
            "mean_p_value": float(np.mean((1.0 + len(ref) - np.searchsorted(np.sort(ref), new, side="left"))
                                          / (len(ref) + 1.0)))}


def _feature_test(ref: np.ndarray, new: np.ndarray, max_categories: int) -> tuple[str, float, float]:
    values = np.unique(ref)
    if len(values) <= max_categories:
        cats = np.union1d(values, np.unique(new))
        if len(cats) <= max_categories + 5:  # a few unseen values are still counted as categories
            counts = np.stack([np.bincount(np.searchsorted(cats, ref), minlength=len(cats)),
                               np.bincount(np.searchsorted(cats, new), minlength=len(cats))])
            counts = counts[:, counts.sum(0) > 0]
            # categories expected fewer than 5 times in the smaller sample are pooled (the
            # chi-square approximation needs it; rare categories would otherwise raise false alarms)
            expected = counts.sum(0) * counts.sum(1).min() / counts.sum()
            rare = expected < 5
            if rare.any():
                counts = np.column_stack([counts[:, ~rare], counts[:, rare].sum(1)])
            if counts.shape[1] < 2:
                return "chi2", 0.0, 1.0
            chi2, p, _, _ = stats.chi2_contingency(counts, correction=False)
            return "chi2", float(chi2), float(p)
    res = stats.ks_2samp(new, ref, method="asymp")
    return "ks", float(res.statistic), float(res.pvalue)


def feature_drift(reference, X, names=None, alpha: float = 0.01, max_categories: int = 10) -> dict:
    """Per-feature drift of the rows ``X`` against ``reference`` (both ``(n, d)``), with the
    Benjamini-Hochberg correction over the ``d`` features.

    Returns a dict with the family's ``p_value`` (smallest adjusted p-value), ``statistic`` (the
    largest per-feature statistic of the KS-tested features), ``features`` (adjusted p < alpha)
    and ``per_feature`` (name -> test, statistic, p, adjusted p).
    """
    alpha = _check_alpha(alpha)
    ref = np.asarray(reference, dtype=np.float64)
    new = np.asarray(X, dtype=np.float64)
    if ref.ndim != 2 or new.ndim != 2 or ref.shape[1] != new.shape[1]:
        raise ValueError(f"reference and X must be (n, d) with the same d; got {ref.shape} and {new.shape}.")
    if len(ref) < 2 or len(new) < 2:
        raise ValueError("feature_drift needs at least 2 reference rows and 2 new rows.")
    d = ref.shape[1]
    names = [f"x{j}" for j in range(d)] if names is None else [str(v) for v in names]
    kinds, statistics, ps = [], [], []
    for j in range(d):
        kind, s, p = _feature_test(ref[:, j], new[:, j], max_categories)
        kinds.append(kind), statistics.append(s), ps.append(p)
    ps = np.nan_to_num(np.asarray(ps), nan=1.0)
    adjusted = stats.false_discovery_control(ps, method="bh") if d > 1 else ps
    order = np.argsort(adjusted, kind="stable")
    drifting = [names[j] for j in order if adjusted[j] < alpha]
    ks_stats = [s for k, s in zip(kinds, statistics) if k == "ks"]
    return {
        "status": "ok", "test": "KS / chi-square per feature, Benjamini-Hochberg",
        "statistic": float(max(ks_stats)) if ks_stats else float(max(statistics)),
        "p_value": float(adjusted.min()), "features": drifting, "n": int(len(new)), "n_reference": int(len(ref)),
        "per_feature": {names[j]: {"test": kinds[j], "statistic": statistics[j], "p_value": float(ps[j]),
                                   "p_adjusted": float(adjusted[j])} for j in range(d)},
    }


def mmd_test(A, B, n_permutations: int = 200, random_state=0) -> dict:
    """Maximum mean discrepancy between the rows of ``A`` and ``B`` with a Gaussian kernel (width:
    median pairwise distance of the pooled rows), and its permutation p-value
    ``(1 + #{permuted MMD >= observed}) / (n_permutations + 1)``.

    MMD^2 (biased V-statistic) = mean k(a, a') + mean k(b, b') - 2 mean k(a, b) = w' K w with
    w = (1/m, ..., -1/n, ...): every permutation is one more quadratic form of the same K.
    """
    from sklearn.metrics.pairwise import euclidean_distances, rbf_kernel

    A = np.asarray(A, dtype=np.float64).reshape(len(A), -1)
    B = np.asarray(B, dtype=np.float64).reshape(len(B), -1)
    if len(A) < 2 or len(B) < 2 or A.shape[1] != B.shape[1]:
        raise ValueError(f"mmd_test needs two samples of at least 2 rows with the same width; got {A.shape}, {B.shape}.")
    Z = np.vstack([A, B])
    d2 = euclidean_distances(Z, squared=True)
    med = float(np.median(d2[np.triu_indices(len(Z), 1)]))
    gamma = 1.0 / med if med > 0 else 1.0
    K = rbf_kernel(Z, gamma=gamma)
    m, n = len(A), len(B)
    w = np.concatenate([np.full(m, 1.0 / m), np.full(n, -1.0 / n)])
    observed = float(w @ K @ w)
    rng = np.random.default_rng(random_state)
    W = rng.permuted(np.tile(w, (int(n_permutations), 1)), axis=1)
    null = np.einsum("ij,ij->i", W @ K, W)
    p = (1.0 + np.sum(null >= observed - 1e-12)) / (n_permutations + 1.0)
    return {"status": "ok", "test": f"MMD permutation ({n_permutations})", "statistic": observed,
            "p_value": float(p), "n": int(n), "n_reference": int(m), "bandwidth": float(np.sqrt(med / 2) if med > 0 else 1.0)}


# ----------------------------------------------------------------------------- views of the input
def feature_view(X: np.ndarray, names=None) -> tuple[np.ndarray, list[str]]:
    """``(n, d)`` values the per-feature test compares, and their names: the columns of rows;
    each channel's per-sample mean and standard deviation for sequences and images."""
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=np.float64)
    if X.ndim == 2:
        return X, ([f"x{j}" for j in range(X.shape[1])] if names is None else [str(v) for v in names])
    if X.ndim == 3:  # (n, t, d): channels last
        per = X.transpose(0, 2, 1)
        label = "feature"
    else:  # (n, c, h, w)
        per = X.reshape(X.shape[0], X.shape[1], -1)
        label = "channel"
    values = np.concatenate([per.mean(axis=2), per.std(axis=2)], axis=1)
    c = per.shape[1]
    return values, [f"{label}{j}:mean" for j in range(c)] + [f"{label}{j}:std" for j in range(c)]


def attach_reference(model, X, n: int = 1000, random_state=0):
    """Store up to ``n`` rows of ``X`` (training rows) in the fitted ``model`` as
    ``monitor_reference_``; it is saved with the model, and monitors built on the loaded model
    use it for the input and latent tests. Returns the model."""
    arr = _validated(model, X)
    if len(arr) > n:
        idx = np.sort(np.random.default_rng(random_state).choice(len(arr), n, replace=False))
        arr = arr[idx]
    model.monitor_reference_ = np.ascontiguousarray(arr)
    return model


def _validated(model, X) -> np.ndarray:
    validate = getattr(model, "_validate", None)
    if validate is None:
        raise ValueError(f"{type(model).__name__} is not a genad point detector; Monitor needs one "
                         "(group detectors are not monitored).")
    return validate(X, fitting=False)


def _tail(X, n: int):
    """The last ``n`` rows of anything row-indexable (array, DataFrame, list, tensor)."""
    if hasattr(X, "iloc"):
        return X.iloc[-n:]
    if isinstance(X, list):
        return X[-n:]
    if hasattr(X, "shape") and X.shape[0] > n:
        return X[-n:]
    return X


# ----------------------------------------------------------------------------- the monitor
class Monitor:
    """Watch the rows a fitted detector scores for drift.

    Parameters
    ----------
    model : fitted genad detector (rows, sequences or images).
    reference : array-like, optional
        Training rows for the input and latent tests (see the module docstring for the default).
    alpha : float, default 0.01
        False-alarm level of one check: without drift, a check alarms with probability at most
        ``alpha``.
    window : int, default 1000
        The most recent rows tested at each check.
    min_rows : int, default 50
        Fewest rows in the window before a check tests anything.
    reference_size : int, default 1000
        Reference rows kept (sampled from ``reference``, or the first rows seen).
    inputs : bool, default True
        Run the per-feature input test.
    latent : "auto" or bool, default "auto"
        Run the latent MMD test ("auto": when the model has ``encode``).
    n_permutations : int, default 200
    max_latent_rows : int, default 300
        Rows of each sample in the MMD test (a random subsample beyond it).
    score_alternative : "greater", "less" or "two-sided", default "greater"
    score_reference : "auto", "calibration" or "stream", default "auto"
        Reference of the score test: the calibration scores, or the scores of the first
        ``reference_size`` rows monitored ("auto": the calibration scores when they come from a
        hold-out, see the module docstring).
    random_state : int, default 0

    Examples
    --------
    >>> import numpy as np, genad
    >>> from genad.monitor import Monitor
    >>> rng = np.random.default_rng(0)
    >>> det = genad.KNN().fit(rng.normal(size=(6000, 4)))   # 10% held out: calibration_ "holdout:600"
    >>> mon = Monitor(det, reference=rng.normal(size=(600, 4)))
    >>> mon.update(rng.normal(size=(300, 4))).drift
    False
    >>> report = mon.update(rng.normal(loc=[0, 0, 3, 0], size=(300, 4)))
    >>> report.drift, report.features, report.since
    (True, ['x2'], 2)
    """

    def __init__(self, model, *, reference=None, alpha: float = 0.01, window: int = 1000, min_rows: int = 50,
                 reference_size: int = 1000, inputs: bool = True, latent="auto", n_permutations: int = 200,
                 max_latent_rows: int = 300, score_alternative: str = "greater", score_reference: str = "auto",
                 random_state=0):
        from ..validation import check_fitted

        check_fitted(model)
        if not hasattr(model, "calibration_scores_"):
            raise ValueError(f"{type(model).__name__} has no calibration scores; refit it with this genad version.")
        self.model = model
        self.alpha = _check_alpha(alpha)
        for label, v in (("window", window), ("min_rows", min_rows), ("reference_size", reference_size),
                         ("n_permutations", n_permutations), ("max_latent_rows", max_latent_rows)):
            if int(v) < 2:
                raise ValueError(f"{label} must be at least 2, got {v}.")
        if min_rows > window:
            raise ValueError(f"min_rows ({min_rows}) must not exceed window ({window}).")
        if score_alternative not in ("greater", "less", "two-sided"):
            raise ValueError(f"score_alternative must be 'greater', 'less' or 'two-sided', got {score_alternative!r}.")
        self.window, self.min_rows, self.reference_size = int(window), int(min_rows), int(reference_size)
        self.inputs = bool(inputs)
        self.latent = hasattr(model, "encode") if latent == "auto" else bool(latent)
        if self.latent and not hasattr(model, "encode"):
            raise ValueError(f"latent=True needs a model with codes (encode); {type(model).__name__} has none.")
        self.n_permutations, self.max_latent_rows = int(n_permutations), int(max_latent_rows)
        self.score_alternative = score_alternative
        if score_reference not in ("auto", "calibration", "stream"):
            raise ValueError(f"score_reference must be 'auto', 'calibration' or 'stream', got {score_reference!r}.")
        if score_reference == "auto":
            holdout = str(getattr(model, "calibration_", "")).startswith("holdout")
            score_reference = "calibration" if holdout else "stream"
        self.score_reference = score_reference
        self._score_ref = (np.asarray(model.calibration_scores_, dtype=np.float64)
                           if score_reference == "calibration" else None)
        self._rng = np.random.default_rng(random_state)
        self._seed = random_state
        self._lock = threading.Lock()
        self._rows: deque = deque()     # validated arrays, newest last
        self._scores: deque = deque()
        self._n_window = 0
        self.rows_seen = 0
        self.batch = 0
        self.since: int | None = None
        self.history: deque = deque(maxlen=500)
        self._reference = None
        ref = reference if reference is not None else getattr(model, "monitor_reference_", None)
        if ref is not None:
            self._set_reference(_validated(model, ref))
        self._buffer: list[tuple[np.ndarray | None, np.ndarray]] = []   # stream rows becoming the reference
        self._buffered = 0

    # ------------------------------------------------------------------ reference
    def _set_reference(self, arr: np.ndarray) -> None:
        if len(arr) > self.reference_size:
            idx = np.sort(self._rng.choice(len(arr), self.reference_size, replace=False))
            arr = arr[idx]
        if len(arr) < 2:
            raise ValueError("reference needs at least 2 rows.")
        values, names = feature_view(arr, getattr(self.model, "feature_names_in_", None))
        codes = None
        if self.latent:
            codes = self._codes(arr)
        self._reference = {"values": values, "names": names, "codes": codes, "rows": len(arr)}

    def _codes(self, arr: np.ndarray) -> np.ndarray:
        if len(arr) > self.max_latent_rows:
            arr = arr[np.sort(self._rng.choice(len(arr), self.max_latent_rows, replace=False))]
        return np.asarray(self.model.encode(arr), dtype=np.float64).reshape(len(arr), -1)

    # ------------------------------------------------------------------ feeding
    def observe(self, X, scores=None) -> None:
        """Add rows (and their scores, if already computed) to the window; tests nothing.

        ``X`` may be None when ``scores`` are given and the monitor runs the score test only
        (``inputs=False, latent=False``): the rows are then never looked at.
        """
        if X is None:
            if scores is None or self.inputs or self.latent:
                raise ValueError("X is None: pass the scored rows (the input and latent tests need them), "
                                 "or their scores with a monitor built with inputs=False, latent=False.")
            scores = np.asarray(scores, dtype=np.float64).ravel()
            n_total = len(scores)
            scores = scores[-self.window:]
            arr = None
        elif scores is not None:
            scores = np.asarray(scores, dtype=np.float64).ravel()
            n_total = len(scores)
            if hasattr(X, "__len__") and len(X) != n_total:
                raise ValueError(f"X has {len(X)} rows but {n_total} scores were given.")
            keep = min(n_total, self.window)
            arr = _validated(self.model, _tail(X, keep))
            scores = scores[-keep:]
        else:
            arr = _validated(self.model, X)
            n_total = len(arr)
            arr = arr[-self.window:]
            scores = np.asarray(self.model.decision_function(arr), dtype=np.float64)
        with self._lock:
            self.rows_seen += n_total
            if self._collecting():
                take = min(self.reference_size - self._buffered, len(scores))
                self._buffer.append((None if arr is None else arr[:take], scores[:take]))
                self._buffered += take
                arr, scores = (None if arr is None else arr[take:]), scores[take:]
                if self._buffered >= self.reference_size:
                    if self._reference is None and (self.inputs or self.latent):
                        self._set_reference(np.concatenate([a for a, _ in self._buffer]))
                    if self._score_ref is None:
                        self._score_ref = np.concatenate([b for _, b in self._buffer])
                    self._buffer, self._buffered = [], 0
            if len(scores) == 0:
                return
            self._rows.append(arr)
            self._scores.append(scores)
            self._n_window += len(scores)
            while self._n_window - len(self._scores[0]) >= self.window:
                self._n_window -= len(self._scores.popleft())
                self._rows.popleft()

    def _collecting(self) -> bool:
        return self._score_ref is None or (self._reference is None and (self.inputs or self.latent))

    def update(self, X, scores=None) -> DriftReport:
        """Add the batch ``X`` and test the window: :meth:`observe` then :meth:`check`."""
        self.observe(X, scores)
        return self.check()

    # ------------------------------------------------------------------ testing
    def check(self) -> DriftReport:
        """Test the current window against the calibration scores and the reference."""
        with self._lock:
            self.batch += 1
            rows = (np.concatenate(list(self._rows))[-self.window:]
                    if self._rows and (self.inputs or self.latent) else None)
            scores = np.concatenate(list(self._scores))[-self.window:] if self._scores else np.empty(0)
            tests: dict[str, Any] = {}
            if self._score_ref is None:
                tests["score"] = {"status": f"waiting: score reference {self._buffered} of {self.reference_size} rows"}
            elif len(scores) < self.min_rows:
                tests["score"] = {"status": f"waiting: {len(scores)} of {self.min_rows} rows"}
            else:
                tests["score"] = score_drift(self._score_ref, scores, self.score_alternative)
                tests["score"]["reference"] = self.score_reference
            ref = self._reference
            if self.inputs or self.latent:
                waiting = None
                if ref is None:
                    waiting = f"waiting: reference {self._buffered} of {self.reference_size} rows"
                elif len(scores) < self.min_rows:
                    waiting = f"waiting: {len(scores)} of {self.min_rows} rows"
                if self.inputs:
                    if waiting:
                        tests["inputs"] = {"status": waiting}
                    else:
                        values, _ = feature_view(rows)
                        tests["inputs"] = feature_drift(ref["values"], values, ref["names"], self.alpha)
                if self.latent:
                    if waiting:
                        tests["latent"] = {"status": waiting}
                    else:
                        tests["latent"] = mmd_test(ref["codes"], self._codes(rows), self.n_permutations,
                                                   random_state=self._rng.integers(2**31))
            ran = [t for t in tests.values() if t.get("status") == "ok"]
            k = len(ran)
            p = min(1.0, k * min(t["p_value"] for t in ran)) if ran else 1.0
            drift = bool(ran) and p < self.alpha
            features = []
            if drift and "inputs" in tests and tests["inputs"].get("status") == "ok":
                per = tests["inputs"]["per_feature"]
                features = [f for f in tests["inputs"]["features"] if per[f]["p_adjusted"] < self.alpha / k]
            if drift and self.since is None:
                self.since = self.batch
            elif not drift:
                self.since = None
            statistic = tests["score"].get("statistic", float("nan"))
            report = DriftReport(drift=drift, p_value=float(p), statistic=float(statistic), features=features,
                                 since=self.since, batch=self.batch, rows_seen=self.rows_seen,
                                 window=int(len(scores)), alpha=self.alpha, tests=tests, time=time.time())
            self.history.append({"batch": report.batch, "rows_seen": report.rows_seen, "time": report.time,
                                 "drift": report.drift, "p_value": report.p_value, "statistic": report.statistic,
                                 **{f"{name}_p_value": t.get("p_value") for name, t in tests.items()}})
            return report
