"""Drift tests: their false-alarm rate without drift, detection of each kind of drift, shapes,
bad input and concurrent use."""

from __future__ import annotations

import json
import threading

import numpy as np
import pandas as pd
import pytest

import genad
from genad.monitor import DriftReport, Monitor, attach_reference, feature_drift, mmd_test, score_drift


@pytest.fixture(scope="module")
def knn():
    rng = np.random.default_rng(0)
    return genad.KNN().fit(rng.normal(size=(6000, 4)))  # hold-out calibration: scores tested against it


@pytest.fixture(scope="module")
def ae():
    rng = np.random.default_rng(1)
    return genad.AutoEncoder(random_state=0, latent_dim=2, epochs=5, batch_size=64, patience=None).fit(
        rng.normal(size=(800, 6)))


def test_score_test_false_alarm_rate_without_drift(knn):
    """Independent windows of normal rows: the alarm rate stays near alpha (binomial bound)."""
    rng = np.random.default_rng(5)
    alarms = []
    for _ in range(80):
        mon = Monitor(knn, alpha=0.05, inputs=False, window=300)
        alarms.append(mon.update(rng.normal(size=(300, 4))).drift)
    # 80 checks at 5%: expected 4, P(>= 12) < 0.001 under the null
    assert sum(alarms) < 12, sum(alarms)


def test_score_drift_detected_with_since(knn):
    rng = np.random.default_rng(6)
    mon = Monitor(knn, inputs=False, window=200)
    first = mon.update(rng.normal(size=(200, 4)))
    assert not first.drift and first.since is None
    shifted = [mon.update(rng.normal(size=(200, 4)) * 1.5) for _ in range(3)]
    assert all(r.drift for r in shifted)
    assert [r.since for r in shifted] == [2, 2, 2] and shifted[-1].batch == 4
    assert shifted[0].tests["score"]["p_value"] < 1e-6 and 0 < shifted[0].statistic <= 1
    back = [mon.update(rng.normal(size=(200, 4))) for _ in range(2)]
    assert not back[-1].drift and back[-1].since is None


def test_cross_conformal_model_takes_its_score_reference_from_the_stream():
    """Calibration scores from five other models are not exchangeable with the final model's:
    the first rows monitored become the score reference, and are not tested."""
    rng = np.random.default_rng(12)
    det = genad.IsolationForest(random_state=0).fit(rng.normal(size=(1000, 4)))
    assert det.calibration_.startswith("cross-conformal")
    mon = Monitor(det, reference_size=400, inputs=False)
    assert mon.score_reference == "stream"
    r1 = mon.update(rng.normal(size=(300, 4)))
    assert r1.tests["score"]["status"] == "waiting: score reference 300 of 400 rows" and r1.window == 0
    r2 = mon.update(rng.normal(size=(300, 4)))
    assert r2.window == 200 and r2.tests["score"]["reference"] == "stream"
    assert mon.update(rng.normal(size=(300, 4)) * 2).drift
    assert Monitor(det, score_reference="calibration").score_reference == "calibration"
    with pytest.raises(ValueError, match="score_reference"):
        Monitor(det, score_reference="train")


def test_score_test_direction():
    rng = np.random.default_rng(0)
    cal = rng.normal(size=500)
    assert score_drift(cal, rng.normal(size=500) - 1)["p_value"] > 0.5          # lower scores: not an alarm
    assert score_drift(cal, rng.normal(size=500) - 1, "two-sided")["p_value"] < 1e-6
    assert score_drift(cal, rng.normal(size=500) + 1)["p_value"] < 1e-6
    with pytest.raises(ValueError, match="alternative"):
        score_drift(cal, cal, "up")


def test_feature_drift_names_only_shifted_features_with_fdr():
    rng = np.random.default_rng(2)
    ref = np.column_stack([rng.normal(size=(1000, 5)), rng.integers(0, 3, 1000)])
    new = np.column_stack([rng.normal(size=(500, 5)), rng.choice(3, 500, p=[0.6, 0.2, 0.2])])
    new[:, 1] += 0.5
    res = feature_drift(ref, new, names=list("abcdef"))
    assert res["features"] == ["b", "f"] or sorted(res["features"]) == ["b", "f"]
    assert res["per_feature"]["f"]["test"] == "chi2" and res["per_feature"]["a"]["test"] == "ks"
    adj = [v["p_adjusted"] for v in res["per_feature"].values()]
    raw = [v["p_value"] for v in res["per_feature"].values()]
    assert all(a >= r - 1e-12 for a, r in zip(adj, raw))  # BH never lowers a p-value
    same = feature_drift(ref, ref[rng.permutation(1000)[:500]])
    assert same["features"] == [] and same["p_value"] > 0.01


def test_mmd_permutation_test():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(200, 3))
    same = mmd_test(a, rng.normal(size=(200, 3)), n_permutations=200)
    moved = mmd_test(a, rng.normal(size=(200, 3)) + [0.6, 0, 0], n_permutations=200)
    assert same["p_value"] > 0.05
    assert moved["p_value"] == pytest.approx(1 / 201) and moved["statistic"] > same["statistic"]
    with pytest.raises(ValueError, match="same width"):
        mmd_test(a, rng.normal(size=(20, 2)))


def test_latent_test_on_model_codes(ae):
    rng = np.random.default_rng(4)
    mon = Monitor(ae, reference=rng.normal(size=(800, 6)), window=300, score_reference="calibration")
    assert mon.latent
    calm = mon.update(rng.normal(size=(300, 6)))
    assert calm.tests["latent"]["status"] == "ok" and calm.tests["latent"]["p_value"] > 0.01
    moved = Monitor(ae, reference=rng.normal(size=(800, 6)), window=300, inputs=False,
                    score_reference="calibration").update(
        rng.normal(size=(300, 6)) + 1.0)
    assert moved.drift and moved.tests["latent"]["p_value"] < 0.01
    assert not Monitor(genad.KNN().fit(rng.normal(size=(50, 6)))).latent
    with pytest.raises(ValueError, match="encode"):
        Monitor(genad.KNN().fit(rng.normal(size=(50, 6))), latent=True)


def test_reference_from_first_rows_then_input_test(knn):
    rng = np.random.default_rng(7)
    mon = Monitor(knn, reference_size=300, window=300)
    r1 = mon.update(rng.normal(size=(200, 4)))
    assert r1.tests["inputs"]["status"].startswith("waiting: reference 200 of 300")
    mon.update(rng.normal(size=(200, 4)))
    moved = rng.normal(size=(300, 4))
    moved[:, 3] = moved[:, 3] * 0.3 + 2.0
    r3 = mon.update(moved)
    assert r3.tests["inputs"]["status"] == "ok" and r3.drift and r3.features == ["x3"]


def test_reference_saved_with_the_model(tmp_path):
    rng = np.random.default_rng(8)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["dur", "bytes", "pkts"])
    det = attach_reference(genad.IsolationForest(n_estimators=30, random_state=0).fit(X), X, n=100)
    assert det.monitor_reference_.shape == (100, 3)
    det.save(tmp_path / "m.genad")
    back = genad.load(tmp_path / "m.genad")
    new = X.sample(200, random_state=0).copy()
    new["bytes"] += 2
    rep = Monitor(back, reference_size=100).update(new)  # 100 stream rows: the score reference
    assert rep.drift and rep.features == ["bytes"]


def test_sequences_and_images_are_tested_per_channel():
    rng = np.random.default_rng(9)
    fast = {"epochs": 2, "batch_size": 64, "patience": None, "random_state": 0}
    seq = genad.AutoEncoder(**fast).fit(rng.normal(size=(200, 5, 2)).astype(np.float32))
    new = rng.normal(size=(150, 5, 2)).astype(np.float32)
    new[:, :, 1] *= 3
    rep = Monitor(seq, reference=rng.normal(size=(200, 5, 2)), latent=False, score_reference="calibration").update(new)
    assert "feature1:std" in rep.features and not any(f.startswith("feature0") for f in rep.features)
    img = genad.AutoEncoder(**fast).fit(rng.normal(size=(100, 1, 8, 8)).astype(np.float32))
    rep = Monitor(img, reference=rng.normal(size=(100, 1, 8, 8)), score_reference="calibration").update(
        rng.normal(size=(60, 1, 8, 8)) + 1)
    assert rep.drift and "channel0:mean" in rep.features and rep.tests["latent"]["status"] == "ok"


def test_report_is_json_and_printable(knn):
    rng = np.random.default_rng(10)
    rep = Monitor(knn, min_rows=10).update(rng.normal(size=(5, 4)))
    assert isinstance(rep, DriftReport) and not rep.drift and rep.p_value == 1.0
    assert rep.tests["score"]["status"].startswith("waiting")
    doc = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert doc["statistic"] is None and doc["batch"] == 1
    rep = Monitor(knn, reference=rng.normal(size=(300, 4))).update(rng.normal(size=(300, 4)) + 3)
    text = str(rep)
    assert "drift: YES" in text and "drifting features: " in text and "score" in text


def test_bad_input(knn):
    with pytest.raises(ValueError, match="alpha"):
        Monitor(knn, alpha=0)
    with pytest.raises(ValueError, match="min_rows"):
        Monitor(knn, window=10, min_rows=20)
    with pytest.raises(ValueError, match="fit"):
        Monitor(genad.KNN())
    mon = Monitor(knn)
    with pytest.raises(ValueError, match="4 features"):
        mon.update(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="NaN"):
        mon.update(np.full((10, 4), np.nan))
    with pytest.raises(ValueError, match="scores"):
        mon.observe(np.zeros((10, 4)), scores=np.zeros(9))
    assert mon.rows_seen == 0  # nothing half-added


def test_window_keeps_recent_rows_and_threads(knn):
    rng = np.random.default_rng(11)
    mon = Monitor(knn, window=250, inputs=False)
    batches = [rng.normal(size=(40, 4)) for _ in range(16)]
    threads = [threading.Thread(target=mon.observe, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rep = mon.check()
    assert mon.rows_seen == 640 and rep.window == 250
    scores = knn.decision_function(np.zeros((7, 4)))
    mon.observe(np.zeros((7, 4)), scores=scores)
    assert mon.rows_seen == 647


def test_score_only_monitor_takes_scores_without_rows():
    """A monitor with the score test only needs the scores, not the rows; the window and the
    score reference (cross-conformal model: the first scores seen) work as with rows."""
    rng = np.random.default_rng(13)
    det = genad.IsolationForest(random_state=0).fit(rng.normal(size=(1000, 4)))
    mon = Monitor(det, inputs=False, latent=False, window=300, min_rows=50, reference_size=300)
    first = mon.update(None, det.decision_function(rng.normal(size=(300, 4))))
    assert first.tests["score"]["status"] == "waiting: 0 of 50 rows" and mon.rows_seen == 300
    calm = mon.update(None, det.decision_function(rng.normal(size=(250, 4))))
    assert calm.window == 250 and not calm.drift and calm.tests["score"]["reference"] == "stream"
    shifted = mon.update(None, det.decision_function(rng.normal(size=(250, 4)) * 2))
    assert shifted.drift and shifted.since == 3 and shifted.window == 300
    with pytest.raises(ValueError, match="inputs=False, latent=False"):
        Monitor(det).observe(None, np.zeros(10))
    with pytest.raises(ValueError, match="X is None"):
        Monitor(det, inputs=False, latent=False).observe(None)
