"""Benchmark registrations of the group detectors (suites ``sdss-groups`` and ``synthetic-groups``).

:func:`genad.bench.registry.load_all` imports this module; the group detector modules know
nothing about benchmarks.
"""

from __future__ import annotations

from ..detectors import classic
from ..group import MGM, OCSMM, GroupAAE, GroupVAE, PointAggregate
from .registrations import Registrations

__all__: list[str] = []

#: the registrations of this module; genad.bench.registry.load_all adds them to the suites
register = Registrations()

GROUP_SUITES = ("sdss-groups", "synthetic-groups")


def _aggregate(point: str, agg: str):
    def make(ds, seed):
        return PointAggregate(getattr(classic, point)(random_state=seed), agg=agg, random_state=seed)

    return make


for _p in ("IsolationForest", "KDE"):
    for _a in ("mean", "max"):
        register(f"PointAggregate({_p},{_a})", _aggregate(_p, _a), suites=GROUP_SUITES, kind="group")
for _cls in (GroupAAE, GroupVAE):
    register(_cls.__name__, (lambda c: lambda ds, seed: c(random_state=seed))(_cls), suites=GROUP_SUITES,
             kind="group")
register("MGM", lambda ds, seed: MGM(random_state=seed), suites=GROUP_SUITES, kind="group")
register("OCSMM", lambda ds, seed: OCSMM(random_state=seed), suites=GROUP_SUITES, kind="group")
register("OCSMM(bandwidth_scale=0.25)", lambda ds, seed: OCSMM(bandwidth_scale=0.25, random_state=seed),
         suites=GROUP_SUITES, kind="group")
