"""One-off: convert the result files written by the older benchmark scripts to the one results
format (genad-bench/2, see genad.bench.results).

    PYTHONPATH=src python benchmarks/convert_results.py PATH [PATH ...]
    PYTHONPATH=src python benchmarks/convert_results.py --from COMMIT PATH [PATH ...]   # from the old file at COMMIT

Each converted file gets one record per dataset x detector x seed where the old file kept them
(seed null where it kept only one run), and the command, commit, machine and date as the old file
recorded them: the command from the old file or the topic README (else the script name with "arguments
not recorded"), the commit that committed the old file, its machine line or "not recorded".
"""

from __future__ import annotations

import ast
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from genad.bench.results import SCHEMA, write_result_json  # noqa: E402

SCRIPTS = [  # (file name pattern, script)
    (r"adbench/results/results_seed\d", "adbench/run.py"), (r"adbench/results/trim", "adbench/trim.py"),
    (r"ecg5000/", "ecg5000/run.py"), (r"ff12/", "ff12/run.py"),
    (r"gan/results/ff12_tuning", "gan/ff12_tune.py"), (r"gan/results/ff12_", "gan/ff12.py"),
    (r"gan/results/speed", "gan/speed.py"), (r"gan/results/(mnist|cifar10)", "gan/images.py"),
    (r"group/results/cifar_flip_signal", "group/cifar_flip_signal.py"), (r"group/results/cifar_flip", "group/run_cifar_flip.py"),
    (r"group/results/group_runs", "group/run_groups.py"), (r"group/results/mixture", "group/run_mixture.py"),
    (r"group/results/tune_scores", "group/tune_scores.py"), (r"mnist/", "mnist/run.py"),
    (r"seq/results/ecg5000", "seq/run_ecg5000.py"), (r"seq/results/ff12", "seq/run_ff12.py"),
    (r"seq/results/nab", "seq/run_nab.py"), (r"seq/results/speed", "seq/run_speed.py"),
    (r"speed/results/results", "speed/run.py"), (r"speed/results/micro", "speed/micro.py"),
    (r"speed/results/dropout_masks", "speed/dropout_masks.py"), (r"speed/results/auc_seeds", "speed/auc_seeds.py"),
    (r"scaling/results/scaling", "scaling/run.py"), (r"scaling/results/adbench_sample_sizes", "scaling/adbench_sample_sizes.py"),
    (r"calibration/results/cost", "calibration/cost.py"), (r"calibration/results/", "calibration/fpr.py"),
    (r"loader/results/bomb", "loader/bomb.py"), (r"sklearn_checks/results/", "sklearn_checks/run.py"), (r"service/results/", "service/run.py"),
]


def _git(*args) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def _script(rel: str) -> str:
    for pat, script in SCRIPTS:
        if re.search(pat, rel):
            return "benchmarks/" + script
    raise ValueError(f"no script known for {rel}")


def _command(rel: str, script: str, old: dict) -> str:
    if isinstance(old, dict) and old.get("command"):
        return str(old["command"])
    readme = ROOT / Path(script).parent / "README.md"
    name = Path(script).name
    stem = Path(rel).stem
    tag = (old.get("settings") or {}).get("tag") if isinstance(old, dict) and isinstance(old.get("settings"), dict) else None
    cands = []
    if readme.exists():
        for line in readme.read_text().splitlines():
            if name in line and ("python" in line):
                cands.append(line.strip().strip("`").lstrip("$ ").strip())
    pick = [c for c in cands if tag and f"--tag {tag}" in c] or \
           [c for c in cands if re.search(r"--(tag|name|out)\s+\S*" + re.escape(stem.split("_", 1)[-1]), c)]
    if not pick and len(cands) == 1 and not tag:
        pick = cands
    if pick:
        return pick[0] + f"  (from {readme.relative_to(ROOT)}; the old file did not record its command)"
    return (f"PYTHONPATH=src python {script}  (arguments not recorded in the old file; see "
            f"{(Path(script).parent / 'README.md').as_posix()})")


def _lit(v):
    """Old seq files hold Python reprs of dicts and lists in strings."""
    if isinstance(v, str) and v[:1] in "[{":
        try:
            return ast.literal_eval(v)
        except (ValueError, SyntaxError):
            return v
    return v


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _flatten(d, prefix="") -> dict:
    out = {}
    for k, v in d.items():
        v = _lit(v)
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif _num(v):
            out[key] = v
    return out


# ----------------------------------------------------------------------------- per format
def _ff12_variants(old, rel):
    recs = []
    for row in old:
        first = int(row.get("first_seed", 100 if "seeds100" in rel else 0))
        for i, auc in enumerate(row["roc_auc"]):
            recs.append({"dataset": "kdd99-ff12", "detector": row["detector"], "variant": row["variant"],
                         "seed": first + i, "roc_auc": auc, "fit_seconds_mean_over_seeds": row.get("fit_seconds_mean"),
                         "reference": row.get("reference"), "params": row.get("params")})
    return recs, ["roc_auc"], {}


def _ecg(old, rel):
    recs = []
    for row in old:
        frac = row["abnormal_fraction"]
        ds = "ecg5000" if frac == 0 else f"ecg5000-abn{int(round(frac * 100))}"
        for i, auc in enumerate(row["roc_auc"]):
            recs.append({"dataset": ds, "detector": row["config"].split("(")[0].split()[0], "variant": row["config"],
                         "seed": i, "roc_auc": auc, "fit_seconds_mean_over_seeds": row.get("fit_seconds_mean"),
                         "reference": row.get("anomagram_reference"), "params": row.get("params")})
    return recs, ["roc_auc"], {}


def _seed_rows(old, rel):  # gan/ff12_*.json
    recs = [{"dataset": "kdd99-ff12", "detector": old["detector"], "seed": r["seed"], "roc_auc": r["roc_auc"],
             "fit_seconds": r.get("fit_s"), "score_seconds": r.get("score_s"), "params": old.get("params"),
             "n_train": old.get("n_train"), "n_test": old.get("n_test")} for r in old["rows"]]
    return recs, ["roc_auc", "fit_seconds"], {"references": old.get("reference_ff12")}


def _class_rows(old, rel):  # gan images / mnist
    ds = old.get("dataset", "mnist")
    recs = []
    for r in old["rows"]:
        c = r.get("class", r.get("normal_class"))
        recs.append({"dataset": f"{ds}-{c}", "detector": r["detector"], "seed": None, "roc_auc": r["roc_auc"],
                     "fit_seconds": r.get("fit_s", r.get("fit_seconds")), "score_seconds": r.get("score_s"),
                     "n_train": r.get("n_train"), "n_test": r.get("n_test"),
                     **({"generator_updates": r["generator_updates"]} if "generator_updates" in r else {})})
    settings = old.get("settings") or {k: v for k, v in old.items() if not isinstance(v, (list, dict))}
    return recs, ["roc_auc"], {"settings": settings}


def _jsonl_records(lines, rel):  # adbench/results_seed0.jsonl
    recs = []
    for r in lines:
        recs.append({**r, "seed": r.get("seed")})
    return recs, ["roc_auc", "pr_auc"], {}


def _trim(old, rel):
    det = old.get("detector", "AutoEncoder")
    recs = []
    for ds, v in old["datasets"].items():
        for t, auc in v["roc_auc"].items():
            recs.append({"dataset": f"adbench/{ds}", "detector": det, "variant": f"trim={t}", "seed": old["seed"],
                         "roc_auc": auc, "train_contamination": v.get("train_contamination")})
    return recs, ["roc_auc"], {"settings": {k: old[k] for k in ("max_train", "max_test") if k in old}}


def _csv_rows(path, rel, dataset_key=None, dataset=None):
    recs = []
    with open(path) as f:
        for r in csv.DictReader(f):
            rec = {"dataset": r.pop(dataset_key) if dataset_key else dataset, "detector": r.pop("detector"),
                   "seed": int(r.pop("seed"))}
            for k, v in r.items():
                try:
                    rec[k] = float(v)
                except (TypeError, ValueError):
                    rec[k] = v
            recs.append(rec)
    return recs


def _seq_runs(old, rel):
    runs = _lit(old.get("runs"))
    ds = old.get("dataset", Path(rel).stem)
    recs = []
    if isinstance(runs, list):
        for r in runs:
            r = dict(r)
            model = r.pop("model", r.pop("detector", "Seq2Seq"))
            name = r.pop("series", None)
            rec = {"dataset": name or ds, "detector": model.split()[0] if model.startswith(("Seq2Seq", "AutoEncoder", "VAE")) else "Seq2Seq",
                   "variant": model, "seed": r.pop("seed", None)}
            for k, v in r.items():
                if _num(v) or isinstance(v, (str, bool)):
                    rec["fit_seconds" if k == "fit_s" else "score_seconds" if k == "score_s" else k] = v
            recs.append(rec)
    return recs


def _generic(old, rel):
    """Numeric leaves: one record per top-level entry (a measured configuration) and one per row
    of a list of rows; seed null unless the row has one."""
    recs = []
    top = {k: _lit(v) for k, v in old.items()} if isinstance(old, dict) else {"value": old}
    scalars = {k: v for k, v in top.items() if _num(v)}
    if scalars:
        recs.append({"dataset": Path(rel).stem, "detector": "(run)", "seed": None, **scalars})
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(v.get("roc_auc"), list):  # per-seed values of one variant
            for i, x in enumerate(v["roc_auc"]):
                recs.append({"dataset": Path(rel).stem, "detector": str(k), "seed": i, "roc_auc": x})
        elif isinstance(v, dict):
            flat = _flatten(v)
            if flat:
                recs.append({"dataset": Path(rel).stem, "detector": str(k), "seed": None, **flat})
        elif isinstance(v, list) and v and all(_num(x) for x in v) and re.search("auc|seconds|_s$|ms", k):
            for i, x in enumerate(v):
                recs.append({"dataset": Path(rel).stem, "detector": str(k), "seed": i, "value": x})
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for x in v:
                flat = _flatten(x)
                recs.append({"dataset": str(x.get("series") or x.get("dataset") or Path(rel).stem),
                             "detector": str(x.get("model") or x.get("detector") or k), "seed": x.get("seed"),
                             **{a: b for a, b in flat.items() if a != "seed"}})
    return recs


def _generic_metrics(recs) -> list[str]:
    keys = list(dict.fromkeys(k for r in recs for k in r if k not in ("dataset", "detector", "seed") and _num(r[k])))
    pref = [k for k in keys if re.search(r"roc_auc|speed|per_s|ms_|_ms|mean", k)]
    return (pref or keys)[:6]


def _readme_commands(script: str) -> list[str]:
    """The commands of ``script`` in its topic README (continuation lines joined)."""
    readme = ROOT / Path(script).parent / "README.md"
    text = readme.read_text().replace("\\\n", " ") if readme.exists() else ""
    return [" ".join(line.split()) for line in text.splitlines() if Path(script).name in line and "python" in line]


def _scaling_rows(lines, rel, script):
    """scaling/results/scaling*.jsonl: one line per (label, detector, size), commit per line; the
    command of each label from the topic README."""
    cmds = {}
    for c in _readme_commands(script):
        m = re.search(r'--label "([^"]*)"', c)
        if m:
            cmds[m.group(1).replace("(...)", "").replace("...", "").strip()] = c.split("  #")[0]
    recs = []
    for r in lines:
        r = dict(r)
        label = r.pop("label")
        match = max((k for k in cmds if label.startswith(k)), key=len, default=None)
        status = r.pop("status", "ok")
        n, d = r["n_train"], r["n_features"]
        before, after = r.pop("load_before", None), r.pop("load_after", None)
        recs.append({"dataset": f"gaussian-{d}d-{n}", "detector": r.pop("detector"), "variant": label, "seed": 0,
                     "status": status.split(" ")[0], **({"error": status} if status != "ok" else {}),
                     "commit": r.pop("commit"),
                     "command": (cmds[match] + "  (from benchmarks/scaling/README.md; the old file did not record "
                                 "its command)") if match else None,
                     **{k: v for k, v in r.items() if _num(v) or isinstance(v, str)},
                     "load_1min_before": before[0] if before else None, "load_1min_after": after[0] if after else None})
    return recs, ["fit_seconds", "score_rows_per_s"], {}


def _sample_size_rows(lines, rel):
    recs = [{"dataset": f"adbench/{r['dataset']}", "detector": r["detector"], "seed": r["seed"],
             "variant": f"max_samples={r['max_samples']}", "params": {"max_samples": r["max_samples"]},
             "roc_auc": r["roc_auc"], "n_train": r.get("n_train")} for r in lines]
    return recs, ["roc_auc"], {}


def _auc_seeds(old, rel):
    """speed/results/auc_seeds_<commit>.json: ROC-AUC per seed and setting; the commit of the
    measured genad is in the file name."""
    recs = []
    for setting, v in old.items():
        if isinstance(v, dict) and isinstance(v.get("roc_auc"), list):
            for seed, auc in enumerate(v["roc_auc"]):
                recs.append({"dataset": "kdd99-ff12", "detector": "AutoEncoder", "variant": setting, "seed": seed,
                             "roc_auc": auc})
    return recs, ["roc_auc"], {"genad_source": old.get("genad")}


def _bomb(old, rel):
    recs = [{"dataset": r["file"], "detector": "genad.load", "variant": r["src"], "seed": None,
             "outcome": r["outcome"], **{k: v for k, v in r.items() if _num(v)}} for r in old["rows"]]
    return recs, ["wall_s", "peak_rss_rise_mb"], {"settings": {"inflated_zeros_bytes": old.get("inflated_zeros_bytes")},
                                                  "uptime": old.get("uptime")}


def _service(old, rel):
    """service/results/results.json: the records benchmarks/service/run.py makes of its results."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("service_run", ROOT / "benchmarks" / "service" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    settings = {k: v for k, v in old.items() if k not in (*run.MEASURED, "command", "commit")}
    return run.records(old), ["rows_per_s", "req_per_s", "p99_ms"], {"settings": settings}


def _calibration(old, rel):
    """calibration/results/*.json: already one record per dataset x detector x seed with the run's
    command, commit, machine and date; a failed run has ``error``."""
    recs = [{**r, **({"status": "error"} if "error" in r else {})} for r in old["records"]]
    return recs, ["fpr"], {"what": old.get("what"), "genad_source": old.get("genad")}


def _cost_lines(path, rel):
    """calibration/results/cost.txt: the JSON lines benchmarks/calibration/cost.py prints, then the
    load average."""
    recs, load = [], None
    for line in Path(path).read_text().splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            recs.append({"dataset": "breast-cancer", "detector": r.pop("detector"), "seed": 0, **r})
        elif line.startswith("load average"):
            load = line.split(":", 1)[1].strip()
    machine = f"2 CPU cores, shared; one thread (OMP_NUM_THREADS=1); load average {load} at the end"
    command = ("OMP_NUM_THREADS=1 python benchmarks/calibration/cost.py --repeats 2  (from the docstring of "
               "benchmarks/calibration/cost.py; the old file did not record its command)")
    return recs, ["ratio", "cross_conformal_cpu_s"], {"machine": machine, "command": command}


def _check_table(path, rel):
    """sklearn_checks/results/*.txt: the table benchmarks/sklearn_checks/run.py prints, its first
    comment lines naming the scikit-learn version, the commit and the command."""
    recs, notes = [], []
    for line in Path(path).read_text().splitlines():
        if line.startswith("#"):
            notes.append(line.lstrip("# ").strip())
            continue
        parts = line.split()
        if not parts or parts[0] in ("detector", "total"):
            continue
        if "checks not generated" in line:
            recs.append({"dataset": "estimator checks", "detector": parts[0], "seed": None, "status": "error",
                         "error": line.split(None, 1)[1].strip()})
        else:
            nums = [int(x) for x in parts[1:5]] + [float(x) for x in parts[5:]]
            recs.append({"dataset": "estimator checks", "detector": parts[0], "seed": None,
                         **dict(zip(("passed", "xfail", "failed", "skipped", "seconds"), nums))})
    command = next((n.split("   (")[0] for n in notes if "python" in n), None)
    machine = next((n.split("(", 1)[1].rstrip(")") for n in notes if "load average" in n), None)
    commit = next(iter(re.findall(r"on commit ([0-9a-f]{7,})", " ".join(notes))), None)
    return recs, ["passed", "xfail", "failed"], {"notes": notes, "command": command, "machine": machine,
                                                 "commit": commit}


def _probe_record(probe: str, line: str) -> dict | None:
    """One printed line of a scaling probe as the probe records it now."""
    num = lambda t: float(t.replace(",", ""))  # noqa: E731
    t = line.split()
    if probe == "knn_search":
        return {"dataset": f"gaussian-18d-{t[0]}", "detector": "NearestNeighbors", "variant": f"{t[1]} {t[2]}",
                "seed": 0, "rows_per_s": num(t[3]), "n_queries": 20000}
    if probe == "kde_evaluation":
        brute = t[1] == "brute"
        return {"dataset": f"gaussian-18d-{t[0]}", "detector": "brute" if brute else "KernelDensity",
                "variant": f"{t[1]} {t[2]}", "seed": 0, "rows_per_s": num(t[3]),
                **({"max_abs_difference": float(t[4])} if len(t) > 4 else {})}
    if probe == "kde_tree_error":
        kw, err = line.rsplit(" ", 1)
        return {"dataset": "gaussian-18d-1000", "detector": "KernelDensity", "variant": kw, "seed": 0,
                "max_abs_error": float(err)}
    if probe.startswith(("kde_float32", "kde_torch", "kde_passes")):
        m = re.match(r"(\d+) (.+?) ([\d,]+) rows/s err (\S+)", line)
        return {"dataset": "gaussian-18d-2000", "detector": "IsolationForest" if m[2] == "iforest" else "KDE evaluation",
                "variant": m[2], "seed": None, "round": int(m[1]), "rows_per_s": num(m[3]), "max_abs_error": float(m[4])}
    if probe == "pynndescent_100k" and not line.startswith("compile"):
        m = re.match(r"(\d+) nnd fit (\S+) s query ([\d,]+) rows/s exact ([\d,]+) rows/s recall@5 (\S+)", line)
        return {"dataset": f"gaussian-18d-{m[1]}", "detector": "NNDescent", "seed": 0, "fit_seconds": float(m[2]),
                "rows_per_s": num(m[3]), "exact_rows_per_s": num(m[4]), "recall_at_5": float(m[5])}
    return None


def convert_probes(path: Path) -> list[Path]:
    """scaling/results/probes.txt (the printed outputs of benchmarks/scaling/probes/*.py, one section
    per run) -> results/probes/<probe>.json, one record per printed measurement; the section header's
    load average as the machine line."""
    rel = path.resolve().relative_to(ROOT).as_posix()
    intro, sections = [], []
    for line in path.read_text().splitlines():
        if line.startswith("== "):
            sections.append([line[3:], []])
        elif sections and line.startswith("   ") and not sections[-1][1]:
            sections[-1][0] += " " + line.strip()
        elif sections:
            if line.strip():
                sections[-1][1].append(line)
        else:
            intro.append(line)
    commit = _git("log", "-1", "--format=%h", "--", str(path))
    date = _git("log", "-1", "--format=%cI", "--", str(path))
    out = []
    for head, lines in sections:
        script = re.search(r"(\w+)\.py", head)[1]
        env = head.split(" python ")[0] + " " if " python " in head else ""
        probe = script + ("_one_thread" if env else "")
        note = head.split("  (", 1)[1].rstrip(")") if "  (" in head else ""
        compile_s = None
        recs, notes = [], []
        for line in lines:
            if line.startswith("compile"):
                compile_s = float(line.split()[1])
            try:
                r = _probe_record(script, line)
            except (TypeError, ValueError, IndexError):
                r = None
            if r is None:
                notes.append(line)
            else:
                recs.append(r)
        if compile_s is not None:
            for r in recs:
                r["compile_seconds"] = compile_s
        metrics = [m for m in ("rows_per_s", "fit_seconds", "max_abs_error", "max_abs_difference", "recall_at_5")
                   if any(m in r for r in recs)]
        doc = {"schema": SCHEMA, "suite": "scaling", "title": f"scaling probe {probe}", "description": " ".join(notes),
               "metrics": metrics,
               "command": f". /work/venv/bin/activate; {env}python benchmarks/scaling/probes/{script}.py  (from the "
                          f"header of {rel})",
               "commit": "eb9f40b" if script in ("kde_float32", "kde_torch") else commit,
               "machine": f"the shared 2-core development machine ({note})", "date": date,
               "provenance": f"converted from the '{head}' section of {rel} by benchmarks/convert_results.py; the "
                             f"commit is the one the file names for this probe, else the one that committed it",
               "intro": " ".join(x.strip() for x in intro if x.strip()), "records": recs}
        out.append(write_result_json(path.parent / "probes" / f"{probe}.json", doc))
    return out


_SPEED_DETECTOR = {"genad": "AutoEncoder", "genad_pyod_settings": "AutoEncoder"}


def _speed_rounds(old, rel):
    """speed/results/results*.json as benchmarks/speed/run.py records them: one record per round x
    configuration, one ``ratios`` record per round."""
    recs = []
    for r, rd in enumerate(old["rounds"]):
        for config, row in rd.items():
            if config == "ratios":
                recs.append({"dataset": "kdd99-ff12", "detector": "ratios", "variant": f"round {r}", "seed": None,
                             "round": r, **row})
                continue
            row = dict(row)
            before, after = row.pop("load_1min_before_after", (None, None))
            recs.append({"dataset": "kdd99-ff12", "detector": _SPEED_DETECTOR.get(config, "PyOD AutoEncoder"),
                         "variant": config, "seed": 0, "round": r, "fit_seconds": row.pop("fit_s"),
                         "load_1min_before": before, "load_1min_after": after, **row})
    extra = {k: v for k, v in old.items() if k not in ("rounds", "command", "machine")}
    return recs, ["fit_seconds", "score_rows_per_s", "roc_auc"], extra


def _micro_values(old, rel):
    """speed/results/micro.json as benchmarks/speed/micro.py records it: one record per quantity."""
    extra = {k: old[k] for k in ("torch_threads_default", "load_average_start", "load_average_end") if k in old}
    recs = [{"dataset": "random-18d", "detector": "FF12 network", "variant": k, "seed": None,
             ("rows_per_s" if "rows_per_s" in k else "ms"): v} for k, v in old.items() if k not in extra and _num(v)]
    return recs, ["ms", "rows_per_s"], extra


def _mask_seeds(old, rel):
    """speed/results/dropout_masks.json as benchmarks/speed/dropout_masks.py records it: one record
    per mask source x seed."""
    recs = [{"dataset": "kdd99-ff12", "detector": "AutoEncoder", "variant": name, "seed": seed, "roc_auc": auc}
            for name, v in old.items() if isinstance(v, dict) and isinstance(v.get("roc_auc"), list)
            for seed, auc in enumerate(v["roc_auc"])]
    extra = {k: v for k, v in old.items() if not (isinstance(v, dict) and "roc_auc" in v)}
    return recs, ["roc_auc"], extra


def reconvert(path: Path, old_commit: str) -> Path:
    """Convert again from the old file as it was at ``old_commit`` (for a file an earlier generic
    conversion turned into too coarse records), keeping the command, commit, machine and date the
    first conversion took from it."""
    doc = json.loads(path.read_text())
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not a converted genad-bench/2 file")
    rel = path.resolve().relative_to(ROOT).as_posix()
    old = json.loads(_git("show", f"{old_commit}:{rel}"))
    name = path.stem
    conv = _speed_rounds if name.startswith("results") else _micro_values if name == "micro" else _mask_seeds
    recs, metrics, extra = conv(old, rel)
    new = {**{k: doc[k] for k in ("schema", "suite", "title", "description", "command", "commit", "machine", "date")},
           "metrics": metrics,
           "provenance": f"converted from {rel} at commit {old_commit} by benchmarks/convert_results.py --from "
                         f"{old_commit}; command, commit, machine and date as the first conversion took them from it",
           **{k: v for k, v in extra.items() if v is not None},
           "records": [{k: v for k, v in r.items() if v is not None or k == "seed"} for r in recs]}
    write_result_json(path, new)
    return path


#: (path prefix under benchmarks/, converter of an old JSON file), first match wins
JSON_CONVERTERS = [
    ("ff12/", _ff12_variants), ("ecg5000/", _ecg), ("gan/results/ff12_", _seed_rows), ("gan/", _class_rows),
    ("mnist/", _class_rows), ("speed/results/auc_seeds", _auc_seeds), ("loader/results/bomb", _bomb),
    ("service/results/", _service), ("adbench/results/trim", _trim), ("calibration/results/", _calibration),
]


# ----------------------------------------------------------------------------- driver
def convert(path: Path, out: Path | None = None) -> Path:
    rel = path.resolve().relative_to(ROOT / "benchmarks").as_posix()
    script = _script(rel) if "harness/" not in rel else "benchmarks/harness/run.py"
    extra: dict = {}
    metrics = ["roc_auc"]
    old = None
    if path.suffix == ".txt" and rel.startswith("calibration/"):
        recs, metrics, extra = _cost_lines(path, rel)
        old = {k: extra.pop(k) for k in ("machine", "command")}
    elif path.suffix == ".txt" and rel.startswith("sklearn_checks/"):
        recs, metrics, extra = _check_table(path, rel)
        old = {k: extra.pop(k) for k in ("command", "commit", "machine")}
    elif path.suffix == ".csv":
        if "group_runs" in rel:
            recs = _csv_rows(path, rel, dataset_key="type")
        else:
            recs = _csv_rows(path, rel, dataset="cifar10-flipped" if "cifar" in rel else "mixture")
        metrics = ["roc_auc", "pr_auc"]
        if (path.with_suffix(".json")).exists():
            side = json.loads(path.with_suffix(".json").read_text())
            extra["settings"] = side.get("settings") or {k: v for k, v in side.items() if not isinstance(v, (dict, list))}
    elif path.suffix == ".jsonl":
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if "ff12_tuning" in rel:
            recs = []
            for cfg in lines:
                for r in cfg["rows"]:
                    r = dict(r)
                    seed = r.pop("seed")
                    recs.append({"dataset": "kdd99-ff12 (validation)", "detector": "BiGAN", "variant": cfg["config"],
                                 "seed": seed, "params": cfg.get("params"),
                                 **{("fit_seconds" if k == "fit_s" else k): v for k, v in r.items() if _num(v)}})
            metrics = ["val_auc_default"]
        elif rel.startswith("scaling/results/scaling"):
            recs, metrics, extra = _scaling_rows(lines, rel, script)
        elif rel.startswith("scaling/results/adbench_sample_sizes"):
            recs, metrics, extra = _sample_size_rows(lines, rel)
        else:
            recs, metrics, extra = _jsonl_records(lines, rel)
    else:
        old = json.loads(path.read_text())
        if isinstance(old, dict) and old.get("schema") == "genad-bench/1":  # a harness run: same records
            from genad.bench.results import machine_line

            doc = {**old, "schema": SCHEMA, "metrics": ["roc_auc", "pr_auc"],
                   "commit": _git("log", "-1", "--format=%h", "--", str(path)) or "unknown",
                   "machine": machine_line(old.get("environment") or {}),
                   "date": old.get("finished") or old.get("started"),
                   "provenance": "converted from genad-bench/1 by benchmarks/convert_results.py; commit = the commit "
                                 "that recorded the file"}
            write_result_json(out or path, doc)
            return out or path
        conv = next((fn for prefix, fn in JSON_CONVERTERS if rel.startswith(prefix)
                     and (fn is not _class_rows or "rows" in old)), None)
        if conv is not None:
            recs, metrics, extra = conv(old, rel)
        elif rel.startswith("seq/") and _lit(old.get("runs")):
            recs = _seq_runs(old, rel)
            metrics = [m for m in ("roc_auc", "fit_seconds") if any(m in r for r in recs)] or ["fit_seconds"]
            extra["settings"] = {k: _lit(v) for k, v in old.items() if k not in ("runs",) and not k.startswith(("mean_", "std_"))}
        else:
            recs = _generic(old, rel)
            metrics = _generic_metrics(recs)
    commit = (old or {}).get("commit") if isinstance(old, dict) else None
    if isinstance(old, dict) and old.get("dirty"):
        commit = f"{commit}-dirty"
    if rel.startswith("speed/results/auc_seeds_"):  # the measured genad's commit is in the name
        commit = path.stem.rsplit("_", 1)[1]
    commit = commit or _git("log", "-1", "--format=%h", "--", str(path)) or "unknown"
    date = ((old or {}).get("written") or (old or {}).get("finished") or (old or {}).get("date")
            if isinstance(old, dict) else None)
    date = date or _git("log", "-1", "--format=%cI", "--", str(path)) or "unknown"
    machine = (old or {}).get("machine") if isinstance(old, dict) else None
    if not machine and isinstance(old, dict) and old.get("torch_threads"):
        machine = f"torch threads {old['torch_threads']}"
    if not machine and isinstance(old, dict) and old.get("cpus"):
        machine = f"{old['cpus']} CPU cores, Python {old.get('python')} (load: {old.get('uptime_start', '')})"
    if not machine and isinstance(old, dict) and old.get("uptime"):
        machine = f"not recorded in the old file (uptime at the run: {old['uptime']})"
    doc = {
        "schema": SCHEMA, "suite": rel.split("/")[0], "title": f"{rel.split('/')[0]}: {path.stem}",
        "description": "", "metrics": metrics,
        "command": _command(rel, script, old if isinstance(old, dict) else {}),
        "commit": commit, "machine": machine or "not recorded in the old file", "date": date,
        "provenance": f"converted from {('benchmarks/' + rel)} by benchmarks/convert_results.py; command, commit "
                      f"(where the old file kept none, the commit that recorded it), machine and date as recorded there",
        **{k: v for k, v in extra.items() if v is not None},
        "records": [{k: v for k, v in r.items() if v is not None or k == "seed"} for r in recs],
    }
    out = out or path.with_suffix(".json")
    write_result_json(out, doc)
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--from"]:  # --from COMMIT PATH...: convert again from the old file at COMMIT
        for p in args[2:]:
            print(reconvert(Path(p), args[1]))
    else:
        for p in args:
            if Path(p).name == "probes.txt":
                print(*convert_probes(Path(p)), sep="\n")
            else:
                print(convert(Path(p)))
