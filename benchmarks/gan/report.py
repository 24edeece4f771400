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
            r = json.loads(f.read_text())
            st = r["settings"]
            t = image_table(ds, (tag,))
            ups = sorted({row["generator_updates"] for row in r["rows"] if "generator_updates" in row})
            extra = (f", lr={st['lr_wgan']:g}, n_seeds={st['n_seeds']}, search_steps={st['search_steps']}, "
                     f"generator updates={'/'.join(map(str, ups))}, {st.get('threads', 1)} torch threads, "
                     f"{r['total_s'] / 60:.0f} min") if ups else ""
            print(f"### {ds}, run `{tag[1:]}` (max_train={st['max_train']}, ADGAN epochs="
                  f"{st['adgan_epochs'] or st['epochs']}, n_critic={st['n_critic']}, batch={st['adgan_batch']}{extra})"
                  f"\n\n{t}\n")
    for f in sorted(RESULTS.glob("ff12_*.json")):
        r = json.loads(f.read_text())
        prm = {k: v for k, v in r["params"].items() if k not in ("hidden", "latent_dim", "epochs")}
        print(f"### FF12 KDD: {r['detector']} (hidden {r['params']['hidden']}, latent {r['params']['latent_dim']}, "
              f"{r['params']['epochs']} epochs; {json.dumps(prm)})\n")
        print("| seed | ROC-AUC | fit s |\n|---|---|---|")
        for row in r["rows"]:
            print(f"| {row['seed']} | {row['roc_auc']:.4f} | {row['fit_s']:.1f} |")
        print(f"\nmean {r['mean_roc_auc']:.4f}, std {r['std_roc_auc']:.4f}, range "
              f"{r['min_roc_auc']:.4f}-{r['max_roc_auc']:.4f}; FF12 reference BiGAN {r['reference_ff12']['BiGAN']}\n")
    f = RESULTS / "speed.json"
    if f.exists():
        r = json.loads(f.read_text())
        print(f"### ADGAN scoring speed (CPU, {r['threads']} thread)\n")
        print(f"- conv generator ({r['generator_parameters']:,} parameters), n_seeds={r['n_seeds']}, "
              f"search_steps={r['search_steps']}; {r['batched_points']} MNIST test points batched, "
              f"{r['loop_points']} in the loops, {r['rounds']} alternating rounds\n")
        print("| variant | points/s | GFLOP/s | max rel. score diff. vs torch-layer loop |\n|---|---|---|---|")
        diffs = r["max_relative_score_difference_vs_loop_torch_layers"]
        for k, v in r["points_per_s"].items():
            d = diffs.get(k)
            print(f"| {k.replace('_', ' ')} | {v:.2f} | {r['achieved_gflop_per_s'][k]:.1f} | "
                  f"{'reference' if d is None else f'{d:.1e}'} |")
        print(f"\n- batched / loop with torch layers: 64 points per chunk "
              f"{r['speedup_batched64_over_loop_torch_layers']:.2f}x, 16 points "
              f"{r['speedup_batched16_over_loop_torch_layers']:.2f}x, 4 points "
              f"{r['speedup_batched4_over_loop_torch_layers']:.2f}x; batched (64) / one point per call "
              f"{r['speedup_batched64_over_loop_one_point_per_call']:.2f}x")
        print(f"- FLOPs per test point (search, FlopCounterMode): {r['search_flops_per_point']:.3e} "
              f"= {r['search_flops_per_point_over_forward']:.0f} x one generator forward "
              f"({r['generator_forward_flops_per_sample']:.3e} FLOPs)")
        t = r.get("tabular")
        if t:
            print(f"- MLP generator on FF12 rows ({t['generator_parameters']:,} parameters): batched "
                  f"{t['batched_points_per_s']:.1f} points/s, loop {t['loop_points_per_s']:.1f} points/s, "
                  f"ratio {t['speedup']:.2f}, max rel. score diff. {t['max_relative_score_difference_loop_vs_batched']:.1e}")
        print()
    f = RESULTS / "ff12_tuning.jsonl"
    if f.exists():
        print("### FF12 KDD: BiGAN tuning (validation on KDD `corrected`, seeds 100-102; not the FF12 test)\n")
        print("| config | changed parameters | val ROC-AUC, default score | best score variant | its val ROC-AUC |")
        print("|---|---|---|---|---|")
        base = None
        for line in f.read_text().splitlines():
            r = json.loads(line)
            if base is None:
                base = r["params"]
            changed = {k: v for k, v in r["params"].items() if base.get(k) != v}
            m = r["mean"]
            best = max(m, key=m.get)
            print(f"| {r['config']} | {json.dumps(changed) if changed else '(base)'} | {m['val_auc_default']:.4f} | "
                  f"{best.replace('val_auc_', '')} | {m[best]:.4f} |")
        print()


if __name__ == "__main__":
    main()
