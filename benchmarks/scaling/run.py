"""How each detector's cost grows with the training set: fit seconds and scoring rows/s.

Training sets of 10,000, 100,000 and 1,000,000 rows of 18 independent standard Gaussian
features (seed 0); every detector at its library defaults; scoring ``--n-score`` (20,000) fresh
rows of the same distribution once the fit is done. Each (detector, size) runs in its own
process with a wall-clock cap (``--cap`` seconds for fit + scoring, default 300): a run past the
cap is killed and recorded as ``timeout``; once a detector's fit at one size took more than a
tenth of the cap, its larger sizes are recorded as ``skipped`` (ten times the rows would not
finish in the cap). The load average (``/proc/loadavg``) before and after each run is recorded
beside it: the machine is shared, so compare rows of one run, not figures across runs.

    PYTHONPATH=src python benchmarks/scaling/run.py                       # every detector
    PYTHONPATH=src python benchmarks/scaling/run.py --detectors KNN KDE --label after
    PYTHONPATH=src python benchmarks/scaling/run.py --summarize    # results/scaling*.json -> scaling.md

Recorded through :class:`genad.bench.Recorder` in ``results/scaling.json`` (``--out``, a
genad-bench/2 file; a rerun adds to the records there): one record per (detector, size), dataset
``gaussian-18d-<rows>``, variant = the label, with the settings and the load before and after.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "scaling.json"
CLASSIC = ["PCA", "OCSVM", "IsolationForest", "KDE", "GMM", "KNN"]
DEEP = ["AutoEncoder", "VAE", "AdversarialAutoEncoder", "ADGAN", "AnoGAN", "BiGAN", "GANomaly", "Seq2Seq"]
N_FEATURES = 18


def _load() -> list[float]:
    return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]


def _data(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, N_FEATURES))


def _child(name: str, n: int, n_score: int, queue) -> None:
    import genad

    X, X_score = _data(n, 0), _data(n_score, 1)
    t0 = time.perf_counter()
    det = getattr(genad, name)(random_state=0).fit(X)
    fit_s = time.perf_counter() - t0
    queue.put({"fit_seconds": fit_s})
    t0 = time.perf_counter()
    det.decision_function(X_score)
    score_s = time.perf_counter() - t0
    queue.put({"score_seconds": score_s, "score_rows_per_s": n_score / score_s})


def _commit() -> str:
    """Commit of the imported genad (which may be another checkout than this one)."""
    import genad
    from genad.bench.results import git_commit

    return git_commit(Path(genad.__file__).resolve().parents[2])


def run_one(name: str, n: int, n_score: int, cap: float) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(name, n, n_score, queue), daemon=True)
    row: dict = {"load_1min_before": _load()[0]}
    t0 = time.perf_counter()
    proc.start()
    while proc.is_alive() and time.perf_counter() - t0 < cap:
        proc.join(timeout=0.5)
    while not queue.empty():
        row.update(queue.get())
    if proc.is_alive():
        proc.kill()
        proc.join()
        row.update(status="timeout", error=f"timeout (cap {cap:.0f} s for fit + scoring)")
    elif proc.exitcode != 0:
        row.update(status="error", error=f"error (exit code {proc.exitcode})")
    else:
        row["status"] = "ok"
    row["load_1min_after"] = _load()[0]
    return row


def summarize(paths: list[Path]) -> str:
    from genad.bench.results import expand_records, load_result_json

    rows = [r for path in paths for r in expand_records(load_result_json(path))]
    sizes = sorted({r["n_train"] for r in rows})
    lines = []
    for label in dict.fromkeys(r["variant"] for r in rows):
        rs = [r for r in rows if r["variant"] == label]
        head = rs[0]
        lines += [f"### {label} (genad {head['commit']}, cap {head['cap_s']:.0f} s, scoring {head['n_score']:,} rows)",
                  "", "| detector | " + " | ".join(f"fit s @ {n:,}" for n in sizes) + " | "
                  + " | ".join(f"score rows/s @ {n:,}" for n in sizes) + " | load avg (1 min) during |",
                  "|---|" + "---:|" * (2 * len(sizes)) + "---|"]
        for det in dict.fromkeys(r["detector"] for r in rs):
            by = {r["n_train"]: r for r in rs if r["detector"] == det}
            fit = [f"{by[n]['fit_seconds']:.2f}" if "fit_seconds" in by.get(n, {}) else
                   (by[n]["status"] if n in by else "") for n in sizes]
            sc = [f"{by[n]['score_rows_per_s']:,.0f}" if "score_rows_per_s" in by.get(n, {}) else
                  (by[n]["status"] if n in by else "") for n in sizes]
            loads = [by[n]["load_1min_before"] for n in sizes if n in by and "load_1min_before" in by[n]]
            load = f"{min(loads):.1f}-{max(loads):.1f}" if loads else ""
            lines.append(f"| {det} | " + " | ".join(fit) + " | " + " | ".join(sc) + f" | {load} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--detectors", nargs="+", default=CLASSIC + DEEP)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--n-score", type=int, default=20_000)
    ap.add_argument("--cap", type=float, default=300.0, help="seconds for one fit + scoring before it is killed")
    ap.add_argument("--label", default="library defaults")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--commit", default=None, help="genad commit to record (default: git HEAD of the imported genad)")
    ap.add_argument("--summarize", action="store_true",
                    help="write scaling.md from every scaling*.json beside --out and stop")
    args = ap.parse_args()
    if args.summarize:
        (args.out.parent / "scaling.md").write_text(summarize(sorted(args.out.parent.glob("scaling*.json"))))
        return
    import genad
    from genad.bench import Recorder

    rec = Recorder("scaling", args.out, metrics=["fit_seconds", "score_rows_per_s"],
                   title="scaling: fit seconds and scoring rows/s against training rows")
    rec.resume()
    commit = args.commit or _commit()
    for name in args.detectors:
        slow_at = None
        for n in args.sizes:
            row = dict(n_train=n, n_features=N_FEATURES, n_score=args.n_score, cap_s=args.cap, commit=commit,
                       genad_version=genad.__version__)
            if slow_at is not None:
                row.update(status="skipped", error=f"skipped (fit at {slow_at[0]:,} rows took {slow_at[1]:.0f} s > cap / 10)")
            else:
                row.update(run_one(name, n, args.n_score, args.cap))
                fit_s = row.get("fit_seconds")
                if fit_s is None or fit_s > args.cap / 10:
                    slow_at = (n, fit_s if fit_s is not None else args.cap)
            rec.add(dataset=f"gaussian-{N_FEATURES}d-{n}", detector=name, seed=0, variant=args.label, **row)
            rec.write()
            print(f"{args.label} {name:24s} {n:>9,} fit {row.get('fit_seconds', float('nan')):8.2f} s  "
                  f"score {row.get('score_rows_per_s', float('nan')):>12,.0f} rows/s  {row['status']}  "
                  f"load {row.get('load_1min_before', '')}", flush=True)


if __name__ == "__main__":
    main()
