# One-off measurement behind benchmarks/scaling/README.md ("Mechanisms measured"); recorded in results/probes/<name>.json.
import time, numpy as np
from sklearn.neighbors import NearestNeighbors
from _record import recorder
rec=recorder(__file__,"k-NN search speed of scikit-learn's NearestNeighbors, k=5",["rows_per_s"])
rng=np.random.default_rng(0)
d=18
Q=rng.normal(size=(20000,d))
for m in [2000,5000,10000]:
    R=rng.normal(size=(m,d))
    for algo in ["brute","kd_tree","ball_tree"]:
        for dt in [np.float64, np.float32]:
            nn=NearestNeighbors(n_neighbors=5,algorithm=algo).fit(R.astype(dt))
            t=time.perf_counter(); nn.kneighbors(Q.astype(dt)); s=time.perf_counter()-t
            print(m,algo,dt.__name__,f"{len(Q)/s:,.0f} rows/s",flush=True)
            rec.add(dataset=f"gaussian-18d-{m}",detector="NearestNeighbors",variant=f"{algo} {dt.__name__}",seed=0,rows_per_s=len(Q)/s,n_queries=len(Q))
rec.write()
