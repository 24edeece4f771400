# One-off measurement behind benchmarks/scaling/README.md ("Mechanisms measured"); recorded in results/probes/<name>.json.
import time, numpy as np
from sklearn.neighbors import NearestNeighbors
import pynndescent
from _record import recorder
rec=recorder(__file__,"pynndescent index of 100,000 rows against exact search",["fit_seconds","rows_per_s","recall_at_5"])
rng=np.random.default_rng(0); d=18
Q=rng.normal(size=(20000,d)).astype(np.float32)
# warm-up compile
t=time.perf_counter(); i=pynndescent.NNDescent(rng.normal(size=(2000,d)).astype(np.float32),n_neighbors=15,random_state=0); i.prepare(); i.query(Q[:100],k=5); compile_s=time.perf_counter()-t; print("compile",compile_s,flush=True)
for n in [100000]:
    R=rng.normal(size=(n,d)).astype(np.float32)
    t=time.perf_counter(); idx=pynndescent.NNDescent(R,n_neighbors=15,random_state=0); idx.prepare(); fit=time.perf_counter()-t
    t=time.perf_counter(); ind,dist=idx.query(Q,k=5); s=time.perf_counter()-t
    nn=NearestNeighbors(n_neighbors=5).fit(R); t=time.perf_counter(); de,_=nn.kneighbors(Q[:2000]); se=time.perf_counter()-t
    rec_=np.mean([len(set(a)&set(b))/5 for a,b in zip(ind[:2000], _)])
    rec.add(dataset=f"gaussian-18d-{n}",detector="NNDescent",seed=0,compile_seconds=compile_s,fit_seconds=fit,rows_per_s=len(Q)/s,exact_rows_per_s=2000/se,recall_at_5=rec_)
    print(n,"nnd fit",round(fit,1),"s query",f"{len(Q)/s:,.0f} rows/s","exact",f"{2000/se:,.0f} rows/s","recall@5",rec_,flush=True)
rec.write()
