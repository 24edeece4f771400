"""Detectors know nothing about benchmarks; the harness still sees every registration."""

import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _fresh(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={"PYTHONPATH": str(SRC), "PATH": ""})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_detectors_and_groups_import_nothing_from_bench():
    code = (
        "import importlib, pkgutil, sys\n"
        "import genad.detectors, genad.group\n"
        "for pkg in (genad.detectors, genad.group):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(pkg.__name__ + '.' + m.name)\n"
        "import genad\n"
        "print(sorted(k for k in sys.modules if k == 'genad.bench' or k.startswith('genad.bench.')))\n"
    )
    assert _fresh(code) == "[]"


def test_no_detector_source_mentions_the_registry():
    root = SRC / "genad"
    offenders = [str(p.relative_to(root)) for d in ("detectors", "group") for p in (root / d).glob("*.py")
                 if "bench" in "".join(l for l in p.read_text().splitlines(True) if l.lstrip().startswith(("from", "import")))]
    assert offenders == []


def test_harness_registrations_load_with_the_entries_modules():
    code = (
        "from genad.bench.registry import entries\n"
        "print(sorted({e.name for s in ('default', 'ff12-kdd', 'adbench', 'synthetic-groups') for e in entries(s)}))\n"
    )
    names = _fresh(code)
    for name in ("AutoEncoder", "VAE", "AdversarialAutoEncoder", "ADGAN", "AnoGAN", "BiGAN", "GANomaly",
                 "Seq2Seq", "PCA", "KNN", "GroupAAE", "MGM", "OCSMM"):
        assert f"'{name}'" in names


def test_ff12_network_written_once():
    from genad.bench import protocols
    from genad.bench.registry import entries

    ae = next(e for e in entries("ff12-kdd") if e.name == "AutoEncoder").factory(None, 0)
    for k, v in protocols.FF12_NETWORK.items():
        assert getattr(ae, k) == v
    assert ae.epochs == protocols.FF12_EPOCHS["AutoEncoder"]


def test_every_results_file_under_benchmarks_is_in_the_one_schema():
    from genad.bench.report import result_files
    from genad.bench.results import expand_records, load_result_json

    root = SRC.parent
    files = result_files(root)
    assert len(files) > 20
    # the harness writes results.csv beside results.json (the same records as a table)
    stray = [p for p in (root / "benchmarks").rglob("*") if p.suffix in (".jsonl", ".csv")
             and not (p.name == "results.csv" and (p.parent / "results.json").exists())]
    assert stray == [], f"results outside the schema: {stray}"
    for p in files:
        doc = load_result_json(p)
        for r in expand_records(doc):
            assert r["command"] and r["commit"] and r["machine"] and r["date"], p


def test_no_import_circle_inside_genad_bench():
    import ast

    pkg = SRC / "genad" / "bench"
    graph = {}
    for p in pkg.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(p.read_text())):  # module-level and deferred imports alike
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(a.name for a in node.names)
        graph[p.stem] = {d for d in deps if (pkg / f"{d}.py").exists()}

    def reaches(a, b, seen=()):
        return any(n == b or (n not in seen and reaches(n, b, (*seen, n))) for n in graph.get(a, ()))

    circles = sorted(m for m in graph if reaches(m, m))
    assert circles == [], f"modules on an import circle: {circles}"
    assert "runner" not in graph["report"] and "report" not in graph["results"]


def test_ff12_report_settings_are_registered_beside_genads():
    from genad.bench import protocols
    from genad.bench.references import cost_for, costs_for_suite
    from genad.bench.registry import entries

    by_name = {e.name: e for e in entries("ff12-kdd")}
    # every row of the report's cost table has a genad counterpart with the report's settings
    for ref in costs_for_suite("ff12-kdd"):
        det = by_name[f"{ref.detector}(report)"].factory(None, 0)
        for k, v in protocols.FF12_REPORT[ref.detector].items():
            assert getattr(det, k) == v, (ref.detector, k)
        assert cost_for("ff12-kdd", f"{ref.detector}(report)") is ref
    assert by_name["PCA(report)"].factory(None, 0).n_components == 2
    assert by_name["PCA"].factory(None, 0).n_components != 2  # genad's default beside it
    assert cost_for("ff12-kdd", "KNN") is None


def test_cost_table_puts_genad_beside_the_report_with_ratios():
    from genad.bench.report import bench_report, cost_rows, cost_table

    recs = [{"suite": "ff12-kdd", "dataset": "kdd99-ff12", "detector": d, "seed": s, "status": "ok",
             "roc_auc": 0.9, "model_bytes": 2048 * (s + 1), "score_seconds": 0.1, "n_parameters": 842,
             "fit_seconds": 10.0 * (s + 1)} for d in ("AutoEncoder(report)", "KNN") for s in range(3)]
    doc = {"suite": "ff12-kdd", "records": recs, "options": {"detectors": ["AutoEncoder(report)", "KNN"]}}
    rows = cost_rows(doc)
    assert [r["detector"] for r in rows] == ["AutoEncoder(report)"]  # KNN is not in the report's table
    r = rows[0]
    assert r["model_kb"] == 4.0 and r["fit_seconds"] == 20.0 and r["parameters"] == 842  # medians
    assert abs(r["fit_seconds_ratio"] - 20.0 / 32.751) < 1e-12
    assert abs(r["parameters_ratio"] - 1.0) < 1e-12
    md = cost_table(doc)
    assert "20 / 32.8 (0.61x)" in md and "T4 GPU" in md
    assert cost_table({**doc, "suite": "adbench"}) == ""

    class _Res:
        failures, wall_seconds, out_dir = [], 1.0, None

        def to_json(self):
            return {**doc, "options": {"detectors": ["AutoEncoder(report)", "KNN"], "seeds": [0, 1, 2]}}

    text = bench_report(_Res(), width=100)
    assert "Cost beside the report's" in text and max(len(line) for line in text.splitlines()) <= 100
