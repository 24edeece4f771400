# One-off measurement behind benchmarks/scaling/README.md ("Mechanisms measured"); recorded in results/probes/<name>.json.
import time, numpy as np
from sklearn.neighbors import KernelDensity
from sklearn.metrics.pairwise import euclidean_distances
from _record import recorder
rec=recorder(__file__,"KDE evaluation speed and max |difference| to KernelDensity(kd_tree, rtol=0)",["rows_per_s","max_abs_difference"])
rng=np.random.default_rng(0)
d=18
Q=rng.normal(size=(5000,d))
def brute(Q,C,h,dt,chunk=1024):
    Q=Q.astype(dt); C=C.astype(dt)
    cn=(C*C).sum(1)
    out=np.empty(len(Q))
    for i in range(0,len(Q),chunk):
        q=Q[i:i+chunk]
        d2=(q*q).sum(1)[:,None]+cn[None,:]-2*q@C.T
        np.maximum(d2,0,out=d2)
        a=d2*(-0.5/h**2)
        mx=a.max(1,keepdims=True)
        np.exp(a-mx,out=a)
        out[i:i+chunk]=np.log(a.sum(1,dtype=np.float64))+mx[:,0]
    return out - np.log(len(C)) - 0.5*d*np.log(2*np.pi*h*h)
for m in [1000,2000,5000]:
    C=rng.normal(size=(m,d)); h=0.6
    ref=KernelDensity(bandwidth=h).fit(C)
    t=time.perf_counter(); r=ref.score_samples(Q[:1000]); s=time.perf_counter()-t; print(m,"kd rtol0",f"{1000/s:,.0f}"); rec.add(dataset=f"gaussian-18d-{m}",detector="KernelDensity",variant="kd rtol0",seed=0,rows_per_s=1000/s)
    kd=KernelDensity(bandwidth=h,rtol=1e-2).fit(C)
    t=time.perf_counter(); r2=kd.score_samples(Q[:1000]); s=time.perf_counter()-t; print(m,"kd rtol1e-2",f"{1000/s:,.0f}", np.abs(r2-r).max()); rec.add(dataset=f"gaussian-18d-{m}",detector="KernelDensity",variant="kd rtol1e-2",seed=0,rows_per_s=1000/s,max_abs_difference=np.abs(r2-r).max())
    for dt in [np.float64,np.float32]:
        t=time.perf_counter(); b=brute(Q,C,h,dt); s=time.perf_counter()-t
        print(m,"brute",dt.__name__,f"{len(Q)/s:,.0f}", np.abs(b[:1000]-r).max(),flush=True)
        rec.add(dataset=f"gaussian-18d-{m}",detector="brute",variant=f"brute {dt.__name__}",seed=0,rows_per_s=len(Q)/s,max_abs_difference=np.abs(b[:1000]-r).max())
rec.write()
