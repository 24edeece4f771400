# One-off measurement behind benchmarks/scaling/README.md ("Mechanisms measured"); output in results/probes.txt.
import time, numpy as np
from sklearn.neighbors import NearestNeighbors
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
