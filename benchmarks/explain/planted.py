"""Do explanations point at the features that make a row anomalous? Planted-feature benchmark.

Normal rows: 20 features from 5 latent factors (loadings N(0, 0.3^2)) plus noise 0.5, plus one
pair (x0, x1) with correlation 0.95. Anomalies plant a change in known features of normal rows:

* ``shift``: two random features moved by +-6 standard deviations;
* ``scale``: two random features' deviations from the mean multiplied by 8 (rows whose planted
  features end up less than 3 standard deviations out are redrawn);
* ``swap``: the correlated pair made anti-correlated, ``x1 = -x0`` with ``|x0| > 1.5``.

Every detector is fitted on 4,000 normal rows with its defaults; of 300 test anomalies per kind,
the ones above ``threshold_`` (flagged) are explained with ``det.explain``. Recorded per detector
x kind: the share of flagged rows whose top-k contributions contain *all* planted features
(``hit_all_k2`` with k = 2 = the number planted, ``hit_all_k5``) and *any* of them (``hit_any_k2``),
the number flagged, and the time to explain 100 rows. A deletion check tells a wrong explanation from
a detector whose score does not single out the planted features: the planted features, or the
top-2 features of the explanation, are reset to the training mean, and ``unflag_planted`` /
``unflag_top2`` record the share of flagged rows then at or below the threshold, and
``drop_top2_vs_planted`` the median ratio of the score drops (top-2 reset / planted reset; 1 or more:
the features the explanation names move the score at least as much as the planted ones). Usage::

    PYTHONPATH=src python benchmarks/explain/planted.py --seeds 0 1 2

``--latent-rule`` sizes the code of the autoencoder family from the training rows (a rule of
``benchmarks/adbench/latent.py``, for example ``var90``) instead of the default, and records it as
the variant::

    PYTHONPATH=src python benchmarks/explain/planted.py --seeds 0 1 2 --detectors AutoEncoder VAE \\
        --latent-rule var90 --out benchmarks/explain/results/planted_latent_var90.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
D = 20


def normal_rows(n, rng, W):
    Z = rng.normal(size=(n, W.shape[0]))
    X = Z @ W + 0.5 * rng.normal(size=(n, D))
    x0 = rng.normal(size=n)
    X[:, 0], X[:, 1] = x0, 0.95 * x0 + np.sqrt(1 - 0.95**2) * rng.normal(size=n)
    return X


def planted(kind, n, rng, W, sd):
    X = normal_rows(n, rng, W)
    P = np.zeros((n, D), bool)
    for i in range(n):
        if kind == "swap":
            x0 = rng.choice([-1, 1]) * rng.uniform(1.5, 3.0)
            X[i, 0], X[i, 1] = x0, -x0
            P[i, [0, 1]] = True
            continue
        j = rng.choice(np.arange(2, D), 2, replace=False)
        if kind == "shift":
            X[i, j] += rng.choice([-1, 1], 2) * 6 * sd[j]
        else:
            mu = 0.0
            while True:
                dev = rng.normal(size=2) * sd[j]
                if np.all(np.abs(8 * dev) > 3 * sd[j]):
                    break
            X[i, j] = mu + 8 * dev
        P[i, j] = True
    return X, P


def deletion(det, Xf, Pf, values, mean):
    """Score drops when the planted / the top-2 attributed features are reset to ``mean``."""
    s = det.decision_function(Xf)
    top = np.zeros_like(Pf)
    np.put_along_axis(top, np.argsort(-values, axis=1)[:, :2], True, axis=1)
    out = {}
    for label, mask in (("planted", Pf), ("top2", top)):
        Z = np.where(mask, mean[None, :], Xf)
        r = det.decision_function(Z)
        out[label] = (s - r, float(np.mean(r <= det.threshold_)))
    ratio = out["top2"][0] / np.where(out["planted"][0] > 0, out["planted"][0], np.nan)
    return {"unflag_planted": out["planted"][1], "unflag_top2": out["top2"][1],
            "drop_top2_vs_planted": float(np.nanmedian(ratio)) if np.isfinite(ratio).any() else None}


def hits(values, P, k, mode):
    top = np.argsort(-values, axis=1)[:, :k]
    inside = np.take_along_axis(P, top, axis=1).sum(1)
    need = P.sum(1) if mode == "all" else 1
    return float(np.mean(inside >= need))


def main(argv=None):
    import genad
    from genad.bench import Recorder

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--detectors", nargs="+", default=["AutoEncoder", "VAE", "IsolationForest", "KNN", "PCA", "GMM"])
    ap.add_argument("--out", default=str(HERE / "results" / "planted.json"))
    ap.add_argument("--resume", action="store_true", help="add to the records already in --out")
    ap.add_argument("--latent-rule", help="code size of AutoEncoder / VAE / AdversarialAutoEncoder from the "
                    "training rows: a rule of benchmarks/adbench/latent.py (default: the library's)")
    a = ap.parse_args(argv)
    settings = None
    if a.latent_rule:
        import sys

        sys.path.insert(0, str(HERE.parent / "adbench"))
        from latent import settings
    rec = Recorder("explain-planted", a.out, metrics=["hit_all_k2", "hit_all_k5"],
                   title="Planted-feature explanations: top-k contains the planted features",
                   description=__doc__.split("\n\n")[1].replace("\n", " "))
    done = {(r["detector"], r["seed"]) for r in (rec.resume() if a.resume else [])}
    for seed in a.seeds:
        rng = np.random.default_rng(seed)
        W = rng.normal(size=(5, D)) * 0.3
        X = normal_rows(4000, rng, W)
        sd = X.std(0)
        tests = {kind: planted(kind, 300, rng, W, sd) for kind in ("shift", "scale", "swap")}
        for name in a.detectors:
            if (name, seed) in done:
                continue
            params = {}
            if settings is not None and name in ("AutoEncoder", "VAE", "AdversarialAutoEncoder"):
                params = settings(a.latent_rule, X)
            det = getattr(genad, name)(random_state=seed, **params)
            extra = {"variant": a.latent_rule, "params": params} if params else {}
            t0 = time.perf_counter()
            det.fit(X)
            fit_s = time.perf_counter() - t0
            for kind, (Xa, P) in tests.items():
                flagged = det.predict(Xa) == 1
                if not flagged.any():
                    rec.add(dataset=f"planted-{kind}", detector=name, seed=seed, n_flagged=0, status="ok", **extra)
                    continue
                Xf, Pf = Xa[flagged], P[flagged]
                t0 = time.perf_counter()
                e = det.explain(Xf)
                secs = time.perf_counter() - t0
                r = rec.add(dataset=f"planted-{kind}", detector=name, seed=seed, method=e.method,
                            n_flagged=int(flagged.sum()), n_anomalies=len(Xa),
                            hit_all_k2=hits(e.values, Pf, 2, "all"), hit_all_k5=hits(e.values, Pf, 5, "all"),
                            hit_any_k2=hits(e.values, Pf, 2, "any"), **deletion(det, Xf, Pf, e.values, X.mean(0)),
                            explain_s_per_100=100 * secs / len(Xf), fit_seconds=fit_s, **extra)
                print({k: r[k] for k in ("dataset", "detector", "seed", "n_flagged", "hit_all_k2", "hit_all_k5",
                                         "hit_any_k2", "unflag_planted", "unflag_top2",
                                         "drop_top2_vs_planted", "explain_s_per_100")}, flush=True)
            rec.write()  # after every detector: a long run keeps what it measured
    rec.write()


if __name__ == "__main__":
    main()
