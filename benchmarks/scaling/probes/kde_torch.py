# One-off measurement behind benchmarks/scaling/README.md ("Mechanisms measured"); recorded in results/probes/<name>.json.
import time, numpy as np, sys, torch
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3] / "src"))
from genad.detectors.classic import _gaussian_log_density as A
from _record import recorder  # noqa: E402
rec = recorder(__file__, 'torch.addmm + torch.logsumexp against NumPy', ["rows_per_s", "max_abs_error"])
def T(X, centres, bandwidth, dtype=torch.float64):
    m, d = centres.shape
    Cs = torch.from_numpy(centres / bandwidth).to(dtype)
    half_sq = 0.5 * (Cs * Cs).sum(1)
    out = np.empty(len(X)); step = max(1, (1<<20) // m)
    with torch.inference_mode():
        for s in range(0, len(X), step):
            Xs = torch.from_numpy(X[s:s + step] / bandwidth).to(dtype)
            a = torch.addmm(-half_sq, Xs, Cs.T)
            out[s:s+step] = (torch.logsumexp(a, dim=1).double() - 0.5 * (Xs.double() ** 2).sum(1)).numpy()
    return out - np.log(m) - 0.5 * d * np.log(2 * np.pi) - d * np.log(bandwidth)
rng=np.random.default_rng(0); Q=rng.normal(size=(20000,18)); C=rng.normal(size=(2000,18)); h=0.8
ref=A(Q,C,h)
print(torch.get_num_threads())
for rep in range(2):
    for name,f in [("np f64",lambda:A(Q,C,h)),("torch f64",lambda:T(Q,C,h)),("torch f32",lambda:T(Q,C,h,torch.float32))]:
        t=time.perf_counter(); r=f(); s=time.perf_counter()-t
        print(rep,name,f"{len(Q)/s:,.0f} rows/s err {np.abs(r-ref).max():.2e}",flush=True)
        rec.add(dataset="gaussian-18d-2000", detector="KDE evaluation" if name != "iforest" else "IsolationForest", variant=name, seed=None, round=rep, rows_per_s=len(Q) / s, max_abs_error=np.abs(r-ref).max())
rec.write()
