"""Which features each KDD Cup 99 attack type lights up, per detector.

Data: ``kdd99/kddcup.data_10_percent.gz`` from the data folder (``GENAD_DATA`` or ``--data-home``),
the 38 numeric features (the categorical protocol_type, service and flag left out so that every
contribution names one column). Each detector is fitted with its defaults on 20,000 rows labelled
``normal.`` (drawn with the seed); from the other rows, up to 100 of each attack type are scored and
the flagged ones (above ``threshold_``) explained with ``det.explain``. Recorded per detector x attack
type: rows and flagged rows, the three features with the largest mean share of the positive
contributions (``top_features``, with their shares), and ``top1_agreement``, the share of flagged
rows whose own largest contribution is the type's first feature. Usage::

    PYTHONPATH=src python benchmarks/explain/kdd99.py --seed 0
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def load(data_home, seed, n_normal=20000, per_type=100):
    import pandas as pd

    from genad.datasets import get_data_home
    from genad.datasets.tabular import KDD_CATEGORICAL, KDD_FEATURES

    path = Path(get_data_home(data_home)) / "kdd99" / "kddcup.data_10_percent.gz"
    if not path.exists():
        raise SystemExit(f"{path} is missing; see the data folder's README (kdd99/).")
    df = pd.read_csv(path, header=None, names=KDD_FEATURES + ["label"])
    cols = [c for c in KDD_FEATURES if c not in KDD_CATEGORICAL]
    label = df["label"].astype(str).str.rstrip(".")
    rng = np.random.default_rng(seed)
    normal = np.flatnonzero(label.to_numpy() == "normal")
    train = df.iloc[rng.choice(normal, n_normal, replace=False)][cols].astype(np.float64)
    tests = {}
    for attack in sorted(set(label) - {"normal"}):
        idx = np.flatnonzero(label.to_numpy() == attack)
        idx = rng.choice(idx, min(per_type, len(idx)), replace=False)
        tests[attack] = df.iloc[idx][cols].astype(np.float64)
    return train, tests


def main(argv=None):
    import genad
    from genad.bench import Recorder

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-home", default=None)
    ap.add_argument("--detectors", nargs="+", default=["AutoEncoder", "VAE", "IsolationForest", "KNN"])
    ap.add_argument("--out", default=str(HERE / "results" / "kdd99_attacks.json"))
    ap.add_argument("--resume", action="store_true", help="add to the records already in --out")
    a = ap.parse_args(argv)
    train, tests = load(a.data_home, a.seed)
    rec = Recorder("explain-kdd99", a.out, metrics=["top1_agreement"],
                   title="KDD Cup 99: the features each attack type lights up",
                   description=__doc__.split("\n\n")[1].replace("\n", " "))
    done = {r["detector"] for r in (rec.resume() if a.resume else [])}
    for name in a.detectors:
        if name in done:
            continue
        det = getattr(genad, name)(random_state=a.seed)
        t0 = time.perf_counter()
        det.fit(train)
        fit_s = time.perf_counter() - t0
        for attack, rows in tests.items():
            flagged = det.predict(rows) == 1
            if not flagged.any():
                rec.add(dataset=f"kdd99-{attack}", detector=name, seed=a.seed, n_rows=len(rows), n_flagged=0)
                continue
            t0 = time.perf_counter()
            e = det.explain(rows[flagged])
            secs = time.perf_counter() - t0
            pos = np.clip(e.values, 0, None)
            share = pos / np.maximum(pos.sum(1, keepdims=True), 1e-300)
            mean_share = share.mean(0)
            top = np.argsort(-mean_share)[:3]
            agree = float(np.mean(e.values.argmax(1) == top[0]))
            r = rec.add(dataset=f"kdd99-{attack}", detector=name, seed=a.seed, method=e.method,
                        n_rows=len(rows), n_flagged=int(flagged.sum()), top1_agreement=agree,
                        top_features=", ".join(f"{e.feature_names[j]} {mean_share[j]:.2f}" for j in top),
                        explain_s_per_100=100 * secs / int(flagged.sum()), fit_seconds=fit_s)
            print(name, attack, r["n_flagged"], "/", len(rows), r["top_features"], f"agree {agree:.2f}", flush=True)
        rec.write()  # after every detector: a long run keeps what it measured
    rec.write()


if __name__ == "__main__":
    main()
