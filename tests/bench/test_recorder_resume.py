"""A rerun that resumes a results file keeps the recorded runs with their own provenance."""

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
