# One-off measurement behind benchmarks/scaling/README.md ("Mechanisms measured"); recorded in results/probes/<name>.json.
import numpy as np
from sklearn.neighbors import KernelDensity
from scipy.special import logsumexp
from _record import recorder
rec=recorder(__file__,"max |log density - exact logsumexp| of KernelDensity's trees",["max_abs_error"])
rng=np.random.default_rng(0); d=18
C=rng.normal(size=(1000,d)); Q=rng.normal(size=(200,d)); h=0.6
d2=((Q[:,None,:]-C[None])**2).sum(-1)
ex=logsumexp(-d2/(2*h*h),axis=1)-np.log(len(C))-0.5*d*np.log(2*np.pi*h*h)
for kw in [{}, dict(algorithm="ball_tree"), dict(rtol=1e-8), dict(breadth_first=False)]:
    r=KernelDensity(bandwidth=h,**kw).fit(C).score_samples(Q)
    print(kw, np.abs(r-ex).max())
    rec.add(dataset="gaussian-18d-1000",detector="KernelDensity",variant=str(kw),seed=0,max_abs_error=np.abs(r-ex).max())
rec.write()
