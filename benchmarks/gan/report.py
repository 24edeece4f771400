"""Print the markdown tables of benchmarks/gan/README.md from the results files.

    PYTHONPATH=src python benchmarks/gan/report.py > benchmarks/gan/results/summary.md
    PYTHONPATH=src python benchmarks/gan/report.py --readme   # refresh README.md's figures
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
ORDER = ["ADGAN", "AnoGAN", "BiGAN", "GANomaly", "KDE(PCA)", "OCSVM(PCA)", "IsolationForest", "GMM(PCA)"]


MAIN_TAGS = ("", "_rest", "_rest2", "_baselines")  # the reduced one-vs-all run, split over four commands


def image_table(dataset: str, tags=MAIN_TAGS) -> str | None:
    rows = []
    for tag in tags:
        f = RESULTS / f"{dataset}{tag}.json"
        if f.exists():
            rows += json.loads(f.read_text())["rows"]
    if not rows:
        return None
    df = pd.DataFrame(rows).pivot_table(index="class", columns="detector", values="roc_auc")
    df = df[[c for c in ORDER if c in df.columns]]
    n = df.notna().sum()
    df.loc["mean (classes run)"] = df.mean()
    df.loc["classes run"] = n
    fmt = df.copy().astype(object)
    for c in df.columns:
        fmt[c] = [("" if pd.isna(v) else (f"{int(v)}" if i == "classes run" else f"{v:.3f}"))
                  for i, v in zip(df.index, df[c])]
    head = "| class | " + " | ".join(fmt.columns) + " |\n|---|" + "---|" * len(fmt.columns) + "\n"
    return head + "\n".join(f"| {i} | " + " | ".join(fmt.loc[i]) + " |" for i in fmt.index)


def main():
    import contextlib
    import io
    import sys

    if "--readme" in sys.argv:  # rewrite the figures section of README.md in place
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            tables()
        readme = RESULTS.parent / "README.md"
        text = readme.read_text()
        a, b = "<!-- figures:start (written by report.py --readme) -->", "<!-- figures:end -->"
        head, rest = text.split(a)
        _, tail = rest.split(b)
        readme.write_text(head + a + "\n\n" + buf.getvalue().strip() + "\n\n" + b + tail)
        return
    tables()


def tables():
    for ds in ("mnist", "cifar10"):
        t = image_table(ds)
        if t:
            print(f"### {ds}: ROC-AUC per normal class\n\n{t}\n")
        for f in sorted(RESULTS.glob(f"{ds}_*.json")):
            tag = f.stem[len(ds):]
            if tag in MAIN_TAGS:
                continue
            st = json.loads(f.read_text())["settings"]
            t = image_table(ds, (tag,))
            print(f"### {ds}, run `{tag[1:]}` (max_train={st['max_train']}, ADGAN epochs="
                  f"{st['adgan_epochs'] or st['epochs']}, n_critic={st['n_critic']}, batch={st['adgan_batch']})"
                  f"\n\n{t}\n")
    for f in (RESULTS / "ff12_bigan.json", RESULTS / "ff12_bigan-alad.json"):
        if not f.exists():
            continue
        r = json.loads(f.read_text())
        print(f"### FF12 KDD: {r['detector']} (hidden {r['params']['hidden']}, latent {r['params']['latent_dim']}, "
              f"{r['params']['epochs']} epochs)\n")
        print("| seed | ROC-AUC | fit s |\n|---|---|---|")
        for row in r["rows"]:
            print(f"| {row['seed']} | {row['roc_auc']:.4f} | {row['fit_s']:.1f} |")
        print(f"\nmean {r['mean_roc_auc']:.4f}, std {r['std_roc_auc']:.4f}, range "
              f"{r['min_roc_auc']:.4f}-{r['max_roc_auc']:.4f}; FF12 reference BiGAN {r['reference_ff12']['BiGAN']}\n")
    f = RESULTS / "speed.json"
    if f.exists():
        r = json.loads(f.read_text())
        print("### ADGAN scoring speed (CPU, 1 thread)\n")
        print(f"- conv generator ({r['generator_parameters']:,} parameters), n_seeds={r['n_seeds']}, "
              f"search_steps={r['search_steps']}")
        print(f"- batched ({r['batched_points']} points, 64 per chunk): {r['batched_points_per_s']:.2f} points/s; "
              f"per-point loop ({r['loop_points']} points): {r['loop_points_per_s']:.2f} points/s; "
              f"ratio batched/loop {r['speedup']:.2f}")
        for k, v in r.get("batched_by_chunk", {}).items():
            print(f"- batched, {k.split('_')[0]} points per chunk: {v:.2f} points/s")
        print(f"- loop vs batched scores: max relative difference {r['max_relative_score_difference_loop_vs_batched']:.1e}")
        print(f"- FLOPs per test point (search, FlopCounterMode): {r['search_flops_per_point']:.3e} "
              f"= {r['search_flops_per_point_over_forward']:.0f} x one generator forward "
              f"({r['generator_forward_flops_per_sample']:.3e} FLOPs)")
        t = r.get("tabular")
        if t:
            print(f"- MLP generator on FF12 rows ({t['generator_parameters']:,} parameters): batched "
                  f"{t['batched_points_per_s']:.1f} points/s, loop {t['loop_points_per_s']:.1f} points/s, "
                  f"ratio {t['speedup']:.2f}")
        print()


if __name__ == "__main__":
    main()
