"""Digits one-vs-all as 8x8 images: the GAN detectors with library defaults.

``genad.datasets.load("digits", normal_class=c)``: a stratified 50/50 split of scikit-learn's
8x8 digits (``random_state`` of the split: ``--split-seed``, default 0); about 90 training images
of class c, shape (n, 1, 8, 8), pixels in [-1, 1]; the 899 test images of every class, anomaly =
another digit. Every detector is built with ``random_state=seed`` and nothing else (library
defaults), except the anchor KDE, which gets the flattened pixels (n, 64). ``--params`` passes
settings to every detector (for tuning runs, which use other seeds and other splits).

    PYTHONPATH=src GENAD_DATA=/work/shared/data python benchmarks/digits/run.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import genad
from genad.bench import Recorder
from genad.datasets import load

HERE = Path(__file__).resolve().parent
DETECTORS = ["ADGAN", "AnoGAN", "BiGAN", "GANomaly", "KDE", "AutoEncoder"]
FLAT = {"KDE"}  # anchors scored on the flattened pixels


def table(path) -> str:
    """Markdown: ROC-AUC per normal class (mean over the seeds run; max - min in brackets)."""
    import numpy as np

    from genad.bench.results import expand_records, load_result_json

    recs = [r for r in expand_records(load_result_json(path)) if r.get("status") == "ok"]
    dets = [d for d in [*DETECTORS[:4], "KDE(flat)", "AutoEncoder"] if any(r["detector"] == d for r in recs)]
    cell = {}
    for r in recs:
        cell.setdefault((r["dataset"], r["detector"]), {})[r["seed"]] = r["roc_auc"]
    classes = sorted({r["dataset"] for r in recs}, key=lambda d: int(d.split("-")[1]))
    lines = ["| class | " + " | ".join(dets) + " |", "|---" * (len(dets) + 1) + "|"]
    for c in classes:
        row = []
        for d in dets:
            v = list(cell.get((c, d), {}).values())
            row.append("" if not v else f"{np.mean(v):.3f}" + (f" ({max(v) - min(v):.3f})" if len(v) > 1 else ""))
        lines.append(f"| {c.split('-')[1]} | " + " | ".join(row) + " |")
    for label, fn in (("mean", np.mean), ("largest spread", None)):
        row = []
        for d in dets:
            per = [list(cell[(c, d)].values()) for c in classes if (c, d) in cell]
            if fn is not None:
                row.append(f"{np.mean([np.mean(v) for v in per]):.3f}" if per else "")
            else:
                row.append(f"{max(max(v) - min(v) for v in per):.3f}" if per and all(len(v) > 1 for v in per) else "")
        lines.append(f"| {label} | " + " | ".join(row) + " |")
    seeds = ["classes x seeds run"] + [str(sum(len(cell[(c, d)]) for c in classes if (c, d) in cell)) for d in dets]
    lines.append("| " + " | ".join(seeds) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--classes", type=int, nargs="+", default=list(range(10)))
    ap.add_argument("--detectors", nargs="+", default=DETECTORS)
    ap.add_argument("--split-seed", type=int, default=0, help="random_state of the train/test split")
    ap.add_argument("--params", default="{}", help="JSON settings passed to every detector (tuning runs)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(HERE / "results" / "digits_8x8_defaults.json"))
    ap.add_argument("--resume", action="store_true", help="add to the records already in --out")
    ap.add_argument("--table", action="store_true",
                    help="print the markdown table of --out (mean ROC-AUC per class, seed spread) and stop")
    ap.add_argument("--merge", nargs="+", default=None, metavar="JSON",
                    help="write --out from the records of these results files (one run per detector "
                         "side by side), each record keeping its own command and commit; then stop")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    params = json.loads(a.params)
    rec = Recorder("digits-8x8", a.out, title="Digits one-vs-all as 8x8 images with library defaults",
                   description=__doc__.split("\n\n")[1].replace("\n", " "),
                   split_seed=a.split_seed)
    if a.table:
        print(table(a.out))
        return
    if a.merge:
        from genad.bench.results import expand_records, load_result_json

        for path in a.merge:
            rec.records.extend(expand_records(load_result_json(path)))
        print(f"{len(rec.records)} records -> {rec.write()}")
        return
    done = {(r["dataset"], r["detector"], r["seed"]) for r in (rec.resume() if a.resume else [])}
    data = {c: load("digits", normal_class=c, random_state=a.split_seed) for c in a.classes}
    for seed in a.seeds:  # seed-major: a run cut short keeps whole seeds over all classes
        for c, ds in data.items():
            dataset = f"digits-{c}"
            for name in a.detectors:
                label = f"{name}(flat)" if name in FLAT else name
                if (dataset, label, seed) in done:
                    continue
                det = getattr(genad, name)(random_state=seed, **params)
                kw = {}
                if name in FLAT:
                    kw = {"X_train": ds.X_train.reshape(len(ds.X_train), -1),
                          "X_test": ds.X_test.reshape(len(ds.X_test), -1)}
                r = rec.measure(det, ds, dataset=dataset, seed=seed, name=label, **kw)
                print(f"{dataset} {label} seed {seed}: {r.get('roc_auc', r.get('error'))}"
                      f" fit {r.get('fit_seconds', 0):.1f}s score {r.get('score_seconds', 0):.1f}s", flush=True)
                rec.write()

if __name__ == "__main__":
    main()
