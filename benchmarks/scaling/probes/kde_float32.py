# One-off measurement behind benchmarks/scaling/README.md ("Mechanisms measured"); recorded in results/probes/<name>.json.
import time, numpy as np, sys
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3] / "src"))
from genad.detectors.classic import _gaussian_log_density as A
from _record import recorder  # noqa: E402
rec = recorder(__file__, "float32 in the KDE evaluation; error = max |difference| to genad's float64", ["rows_per_s", "max_abs_error"])
def B(X, centres, bandwidth, f32gemm=False):
    m, d = centres.shape
    Cs = centres / bandwidth
    half_sq = 0.5 * np.einsum("ij,ij->i", Cs, Cs)
    CsT = (Cs.astype(np.float32) if f32gemm else Cs).T.copy()
    out = np.empty(len(X)); step = max(1, (1<<20) // m)
    for s in range(0, len(X), step):
        Xs = X[s:s + step] / bandwidth
        a = (Xs.astype(np.float32) if f32gemm else Xs) @ CsT
        a = a.astype(np.float32, copy=False) if not f32gemm else a
        a -= half_sq.astype(np.float32)
        top = a.max(axis=1)
        a -= top[:, None]
        np.exp(a, out=a)
        out[s:s + step] = np.log(a.sum(axis=1, dtype=np.float64)) + top - 0.5 * np.einsum("ij,ij->i", Xs, Xs)
    return out - np.log(m) - 0.5 * d * np.log(2 * np.pi) - d * np.log(bandwidth)
rng=np.random.default_rng(0); Q=rng.normal(size=(20000,18)); C=rng.normal(size=(2000,18)); h=0.8
ref=A(Q,C,h)
from sklearn.ensemble import IsolationForest
iso=IsolationForest(random_state=0).fit(rng.normal(size=(10000,18)))
for rep in range(2):
    for name,f in [("f64",lambda:A(Q,C,h)),("f32exp",lambda:B(Q,C,h)),("f32all",lambda:B(Q,C,h,True)),("iforest",lambda:iso.score_samples(Q))]:
        t=time.perf_counter(); r=f(); s=time.perf_counter()-t
        err = np.abs(r-ref).max() if name!="iforest" else 0
        print(rep,name,f"{len(Q)/s:,.0f} rows/s err {err:.2e}",flush=True)
        rec.add(dataset="gaussian-18d-2000", detector="KDE evaluation" if name != "iforest" else "IsolationForest", variant=name, seed=None, round=rep, rows_per_s=len(Q) / s, max_abs_error=err)
rec.write()
