"""A rerun that resumes a results file keeps the recorded runs with their own provenance."""
import pytest

from genad.bench import Recorder
from genad.bench.results import expand_records, load_result_json


def test_resume_keeps_recorded_runs_and_their_provenance(tmp_path):
    path = tmp_path / "r.json"
    first = Recorder("topic", path, command="python first.py")
    first.add(dataset="d", detector="PCA", seed=0, roc_auc=0.9)
    first.write()

    second = Recorder("topic", path, command="python second.py")
    kept = second.resume()
    assert [(r["detector"], r["command"]) for r in kept] == [("PCA", "python first.py")]
    second.add(dataset="d", detector="KNN", seed=0, roc_auc=0.8)
    second.write()

    recs = expand_records(load_result_json(path))
    assert [(r["detector"], r["command"]) for r in recs] == [("PCA", "python first.py"), ("KNN", "python second.py")]


def test_resume_without_a_file_keeps_nothing(tmp_path):
    assert Recorder("topic", tmp_path / "none.json", command="x").resume() == []


def test_commit_is_dirty_for_code_not_for_result_files(tmp_path):
    import shutil
    import subprocess

    from genad.bench.results import git_commit

    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "src").mkdir()
    (tmp_path / "benchmarks" / "x").mkdir(parents=True)
    (tmp_path / "src" / "m.py").write_text("a = 1\n")
    (tmp_path / "benchmarks" / "x" / "run.py").write_text("b = 1\n")
    (tmp_path / "benchmarks" / "x" / "results.json").write_text("{}")
    git("init", "-q")
    git("add", "-A")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    clean = git_commit(tmp_path)
    assert clean != "unknown" and not clean.endswith("-dirty")
    (tmp_path / "benchmarks" / "x" / "results.json").write_text('{"records": []}')  # a run's own output
    (tmp_path / "benchmarks" / "x" / "README.md").write_text("notes")
    assert git_commit(tmp_path) == clean
    (tmp_path / "benchmarks" / "x" / "run.py").write_text("b = 2\n")  # the benchmark's code
    assert git_commit(tmp_path) == clean + "-dirty"
    git("checkout", "--", "benchmarks/x/run.py")
    (tmp_path / "src" / "m.py").write_text("a = 2\n")  # the library's
    assert git_commit(tmp_path) == clean + "-dirty"
