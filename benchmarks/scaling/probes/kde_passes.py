# One-off measurement behind benchmarks/scaling/README.md ("Mechanisms measured"); recorded in results/probes/<name>.json.
# Exact Gaussian KDE evaluation: the earlier block evaluation (max-shifted log-sum-exp, 2^20-entry
# blocks) against smaller blocks and a one-pass form (the row shift folded into the matrix product).
import sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "src"))
from genad.detectors import classic
from _record import recorder  # noqa: E402
rec = recorder(__file__, 'block sizes and a one-pass form of the exact KDE evaluation', ["rows_per_s", "max_abs_error"])

def shifted(X, C, h, block):
    m, d = C.shape
    Cs = C / h
    half = 0.5 * np.einsum("ij,ij->i", Cs, Cs)
    out = np.empty(len(X)); step = max(1, block // m)
    for s in range(0, len(X), step):
        Xs = X[s:s + step] / h
        a = Xs @ Cs.T; a -= half
        top = a.max(axis=1); a -= top[:, None]; np.exp(a, out=a)
        out[s:s + step] = np.log(a.sum(axis=1)) + top - 0.5 * np.einsum("ij,ij->i", Xs, Xs)
    return out - np.log(m) - 0.5 * d * np.log(2 * np.pi) - d * np.log(h)

def one_pass(X, C, h, block):
    m, d = C.shape
    Cs = C / h
    Ca = np.hstack([Cs, -0.5 * np.einsum("ij,ij->i", Cs, Cs)[:, None], -np.ones((m, 1))]).T.copy()
    out = np.empty(len(X)); step = max(1, block // m)
    for s in range(0, len(X), step):
        Xs = X[s:s + step] / h
        Xa = np.hstack([Xs, np.ones((len(Xs), 1)), 0.5 * np.einsum("ij,ij->i", Xs, Xs)[:, None]])
        a = Xa @ Ca  # = -|x - c|^2 / 2h^2 <= 0 (up to rounding)
        np.exp(a, out=a)
        out[s:s + step] = np.log(a.sum(axis=1))
    return out - np.log(m) - 0.5 * d * np.log(2 * np.pi) - d * np.log(h)

rng = np.random.default_rng(0); Q = rng.normal(size=(20000, 18)); C = rng.normal(size=(2000, 18)); h = 0.8
ref = classic._gaussian_log_density(Q, C, h)
from sklearn.ensemble import IsolationForest
iso = IsolationForest(random_state=0).fit(rng.normal(size=(10000, 18)))
for rep in range(2):
    for name, f in [("shifted 2^20", lambda: shifted(Q, C, h, 1 << 20)), ("shifted 2^16", lambda: shifted(Q, C, h, 1 << 16)),
                    ("one-pass 2^20", lambda: one_pass(Q, C, h, 1 << 20)), ("one-pass 2^16", lambda: one_pass(Q, C, h, 1 << 16)),
                    ("one-pass 2^14", lambda: one_pass(Q, C, h, 1 << 14)), ("iforest", lambda: iso.score_samples(Q))]:
        t = time.perf_counter(); r = f(); s = time.perf_counter() - t
        err = np.abs(r - ref).max() if name != "iforest" else 0.0
        print(rep, name, f"{len(Q) / s:,.0f} rows/s err {err:.1e}", flush=True)
        rec.add(dataset="gaussian-18d-2000", detector="KDE evaluation" if name != "iforest" else "IsolationForest", variant=name, seed=None, round=rep, rows_per_s=len(Q) / s, max_abs_error=err)
rec.write()
