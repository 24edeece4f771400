"""Print the README's tables (markdown) from the result files in results/.

    python benchmarks/seq/tables.py
"""

from __future__ import annotations

import json
from pathlib import Path

R = Path(__file__).resolve().parent / "results"


def load(name):
    p = R / name
    return json.loads(p.read_text()) if p.exists() else None


def ecg():
    d = load("ecg5000.json")
    if not d:
        return
    print(f"### ECG5000 ({d['written']})\n\n| model | mean ROC-AUC (3 seeds) | std | per seed |\n|---|---|---|---|")
    for k, v in d["mean_roc_auc"].items():
        if k.startswith("Seq2Seq"):
            key = "roc_auc_" + k.split()[1]
            seeds = [r[key] for r in d["runs"] if r["model"] == "Seq2Seq"]
        else:
            seeds = [r["roc_auc"] for r in d["runs"] if r["model"] == k]
        print(f"| {k} | {v:.4f} | {d['std_roc_auc'][k]:.4f} | {', '.join(f'{s:.4f}' for s in seeds)} |")
    fit = [r["fit_s"] for r in d["runs"] if r["model"] == "Seq2Seq"]
    print(f"\nSeq2Seq fit time per seed: {', '.join(f'{s:.0f}' for s in fit)} s\n")


def ff12():
    d = load("ff12.json")
    if not d:
        return
    print(f"### FF12 KDD rows as sequences ({d['written']})\n\n| decoding | mean ROC-AUC (3 seeds) | std | per seed | reference |\n|---|---|---|---|---|")
    for k, v in d["mean_roc_auc"].items():
        seeds = [r[f"roc_auc_{k}"] for r in d["runs"]]
        print(f"| {k} | {v:.4f} | {d['std_roc_auc'][k]:.4f} | {', '.join(f'{s:.4f}' for s in seeds)} | 0.919 |")
    fits = ", ".join(f"{r['fit_s']:.0f}" for r in d["runs"])
    eps = ", ".join(str(r["epochs_run"]) for r in d["runs"])
    print(f"\nfit time per seed: {fits} s; epochs run: {eps}\n")


def speed():
    d = load("speed.json")
    if not d:
        return
    print(f"### Inference speed ({d['written']}, torch threads {d['torch_threads']})\n\n| model | ms per 1,000 sequences | ratio to {d['dense_model']} |\n|---|---|---|")
    for k, v in d["ms_per_1000"].items():
        print(f"| {k} | {v:.2f} | {d['ratio_to_dense'].get(k, 1.0):.1f}x |")
    print(f"\nparameters: Seq2Seq {d['seq2seq_parameters']}, Seq2Seq[10/20] {d.get('seq2seq_small_parameters')}, "
          f"dense {d['dense_parameters']}\n")


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
    ecg()
    ff12()
    speed()
    nab()
