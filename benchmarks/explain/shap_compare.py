"""genad's sampled Shapley values vs SHAP's PermutationExplainer: time and agreement.

IsolationForest and KNN (defaults) fitted on 4,000 rows of the planted-feature benchmark
(``planted.py``, seed 0); 100 shifted rows explained by both with the same background (32 normal
rows, in the detector's scaled space) and the same number of scored rows per explained row. SHAP's
explainer gets the detector's scaled-space score function and ``max_evals`` masked samples, each
scored against the 32 background rows; genad's gets ``max_evals = 32 x`` that (each of its
evaluations is one scored row). Recorded: seconds for the 100 rows, the top-2 features agreeing with the planted
ones (``hit_all_k2``), and the mean per-row correlation between the two attributions. For
IsolationForest also SHAP's exact TreeExplainer (path-dependent, on the forest's mean path length,
sign flipped so that positive = more anomalous), compared with genad's default explanation
(``det.explain(rows)``, against the origin). Needs the shap package (``pip install shap``). Usage::

    PYTHONPATH=src python benchmarks/explain/shap_compare.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(argv=None):
    import genad
    from genad.bench import Recorder
    from genad.explain import background_rows
    from planted import D, hits, normal_rows, planted

    try:
        import shap
    except ImportError:
        raise SystemExit("shap is not installed (pip install shap); nothing to compare.")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budgets", type=int, nargs="+", default=[512, 2048])
    ap.add_argument("--out", default=str(HERE / "results" / "shap_compare.json"))
    a = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    W = rng.normal(size=(5, D)) * 0.3
    X = normal_rows(4000, rng, W)
    Xa, P = planted("shift", 100, rng, W, X.std(0))
    rec = Recorder("explain-shap-compare", a.out, metrics=["seconds_100_rows", "hit_all_k2"],
                   title="Sampled Shapley values: genad vs SHAP's PermutationExplainer",
                   description=__doc__.split("\n\n")[1].replace("\n", " "))
    for name in ("IsolationForest", "KNN"):
        det = getattr(genad, name)(random_state=0).fit(X)
        B = background_rows(det, X, n_background=32, seed=0)
        Xs = det._transform(det._validate(Xa, fitting=False))
        for budget in a.budgets:
            t0 = time.perf_counter()
            mine = det.explain(Xa, background=X, n_background=32, max_evals=32 * budget).values
            t_mine = time.perf_counter() - t0
            explainer = shap.PermutationExplainer(det._score, shap.maskers.Independent(B, max_samples=32), seed=0)
            t0 = time.perf_counter()
            theirs = explainer(Xs, max_evals=budget, silent=True).values
            t_shap = time.perf_counter() - t0
            corr = float(np.mean([np.corrcoef(m, t)[0, 1] for m, t in zip(mine, theirs)]))
            for impl, secs, vals in (("genad", t_mine, mine), ("shap", t_shap, theirs)):
                r = rec.add(dataset="planted-shift", detector=name, seed=0, variant=f"{impl}, {32 * budget} scored rows per row",
                            seconds_100_rows=secs, hit_all_k2=hits(vals, P, 2, "all"),
                            hit_all_k5=hits(vals, P, 5, "all"), correlation_genad_shap=corr)
                print(r["detector"], r["variant"], f"{secs:.2f}s", r["hit_all_k2"], f"corr {corr:.3f}", flush=True)
            rec.write()
        if name == "IsolationForest":
            t0 = time.perf_counter()
            tree = -shap.TreeExplainer(det.model_).shap_values(Xs)
            t_tree = time.perf_counter() - t0
            t0 = time.perf_counter()
            default = det.explain(Xa).values
            t_default = time.perf_counter() - t0
            corr = float(np.mean([np.corrcoef(m, t)[0, 1] for m, t in zip(default, tree)]))
            for variant, secs, vals in (("shap TreeExplainer, exact path-dependent", t_tree, tree),
                                        ("genad default (origin baseline)", t_default, default)):
                r = rec.add(dataset="planted-shift", detector=name, seed=0, variant=variant, seconds_100_rows=secs,
                            hit_all_k2=hits(vals, P, 2, "all"), hit_all_k5=hits(vals, P, 5, "all"),
                            correlation_default_tree=corr)
                print(r["detector"], r["variant"], f"{secs:.2f}s", r["hit_all_k2"], f"corr {corr:.3f}", flush=True)
            rec.write()


if __name__ == "__main__":
    main()
