"""Print the README's tables (markdown) from the result files in results/.

    python benchmarks/seq/tables.py            # add --quick for the *_quick.json files
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

R = Path(__file__).resolve().parent / "results"


def load(name):
    p = R / name
    return json.loads(p.read_text()) if p.exists() else None


def _models_table(d, reference=None):
    ref_head, ref_sep = (" reference |", "---|") if reference is not None else ("", "")
    n = len(d["seeds"])
    print(f"| model | mean ROC-AUC ({n} seeds) | std | per seed | mean fit s |{ref_head}\n|---|---|---|---|---|{ref_sep}")
    for m, v in d["mean_roc_auc"].items():
        rs = [r for r in d["runs"] if r["model"] == m]
        ref = f" {reference} |" if reference is not None else ""
        seeds = ", ".join(f"{r['roc_auc']:.4f}" for r in rs)
        print(f"| {m} | {v:.4f} | {d['std_roc_auc'][m]:.4f} | {seeds} | "
              f"{np.mean([r['fit_s'] for r in rs]):.0f} |{ref}")


def ecg(name="ecg5000.json"):
    d = load(name)
    if not d:
        return
    print(f"### ECG5000 ({name}, {d['written']})\n")
    _models_table(d)
    eps = sorted({r["epochs_run"] for r in d["runs"] if "epochs_run" in r})
    print(f"\nSeq2Seq epochs run: {eps} (of {d['seq2seq_params']['epochs']})\n")


def ff12(name="ff12.json"):
    d = load(name)
    if not d:
        return
    print(f"### FF12 KDD rows as sequences ({name}, {d['written']})\n")
    _models_table(d, reference=d["reference"]["FF12 report Seq2Seq ROC-AUC"])
    eps = sorted({r["epochs_run"] for r in d["runs"]})
    print(f"\nepochs run: {eps} (of {d['params']['epochs']})\n")


def speed():
    d = load("speed.json")
    if not d:
        return
    print(f"### Inference speed ({d['written']}, torch threads {d['torch_threads']}, median of {d['repeats']})\n\n"
          f"| model | ms per 1,000 sequences | ratio to {d['dense_model']} on the same data |\n|---|---|---|")
    for k, v in d["ms_per_1000"].items():
        print(f"| {k} | {v:.2f} | {d['ratio_to_dense'].get(k, 1.0):.1f}x |")
    print(f"\nsteps_per_cell: {d['steps_per_cell']}; FF12 defaults: {d['ff12_steps_per_cell']}\n")
    print(f"CPU scoring batch (default rule): {d['score_batch_size']}; FF12 defaults: {d['ff12_score_batch_size']}\n")
    print("parameters: " + ", ".join(f"{k} {v}" for k, v in d["parameters"].items()) + "\n")


def nab(name="nab.json"):
    d = load(name)
    if not d:
        return
    print(f"### NAB ({name}, {d['written']}; {len(d['series'])} series, window {d['window_length']}, "
          f"wall {d['wall_s']:.0f} s)\n")
    print("| method | mean window ROC-AUC | mean F1 (fixed threshold) | mean F1 (ORACLE threshold) | total fit s |\n|---|---|---|---|---|")
    for m, v in d["summary"].items():
        print(f"| {m} | {v['mean_roc_auc']:.3f} | {v['mean_f1_fixed_threshold']:.3f} | {v['mean_f1_oracle']:.3f} | {v['total_fit_s']:.0f} |")
    print("\nNAB normalized score (corpus; 100 = perfect, 0 = no detections):\n")
    profs = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
    print("| method | alarms | " + " | ".join(f"{p} fixed" for p in profs) + " | " + " | ".join(f"{p} tuned (level)" for p in profs) + " |")
    print("|---|---|" + "---|" * 6)
    for m, v in d["summary"].items():
        for kind in ("points", "onsets"):
            fixed = " | ".join(f"{v['nab_normalized'][kind][p]:.1f}" for p in profs)
            tuned = " | ".join(f"{v['nab_normalized_tuned_level'][kind][p]['normalized']:.1f} ({v['nab_normalized_tuned_level'][kind][p]['level']})" for p in profs)
            print(f"| {m} | {kind} | {fixed} | {tuned} |")
    short = [r["series"] for r in d["per_series"] if r["train_fraction"] > d["probation"] + 1e-9]
    print(f"\nseries whose training part exceeds 15% (at least {d['min_train_windows']} training windows): "
          f"{len(short)}: {', '.join(short)}\n")


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    ecg("ecg5000_quick.json" if quick else "ecg5000.json")
    ff12("ff12_quick.json" if quick else "ff12.json")
    speed()
    nab("nab_quick.json" if quick else "nab.json")
