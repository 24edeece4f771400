"""ONNX export: the graph's scores equal decision_function (1e-5 relative) on rows, sequences and
images, with a dynamic batch dimension and the threshold in the metadata."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="the [export] extra (onnx, onnxruntime, skl2onnx) is not installed")

import genad  # noqa: E402
from genad.export import REFUSED, onnx_scores  # noqa: E402
from genad_testing import exported_detectors, make_fast, training_data  # noqa: E402

RTOL = 1e-5
EXPORTABLE = [c for c in exported_detectors() if c.__name__ not in REFUSED]


def check_parity(det, X, path):
    det.export_onnx(path)
    for batch in (X, X[:1], X[:7]):  # dynamic batch dimension
        a, b = det.decision_function(batch), onnx_scores(path, batch)
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=RTOL * np.abs(a).max())


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5)) + 3.0
    return X, 2.0 * rng.normal(size=(40, 5)) + 3.0


@pytest.mark.parametrize("cls", EXPORTABLE, ids=lambda c: c.__name__)
def test_rows_parity_and_metadata(cls, rows, tmp_path):
    import onnxruntime as ort

    X, Xt = rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = make_fast(cls).fit(*training_data(cls, X))
    path = tmp_path / "m.onnx"
    check_parity(det, Xt, path)
    meta = ort.InferenceSession(str(path)).get_modelmeta().custom_metadata_map
    assert float(meta["genad.threshold"]) == det.threshold_
    assert meta["genad.detector"] == cls.__name__
    assert json.loads(meta["genad.feature_names"]) == [f"x{j}" for j in range(5)]
    assert json.loads(meta["genad.named_features"]) is False
    np.testing.assert_array_equal(json.loads(meta["genad.calibration_scores"]), det.calibration_scores_)


@pytest.mark.parametrize("name", ["VAE"])
@pytest.mark.parametrize("score_type", ["probability", "elbo"])
def test_vae_scores_parity(name, score_type, rows, tmp_path):
    X, Xt = rows
    det = genad.VAE(score_type=score_type, epochs=2, random_state=0).fit(X)
    check_parity(det, Xt, tmp_path / "v.onnx")


@pytest.mark.parametrize("cls", [genad.AutoEncoder, genad.VAE, genad.Seq2Seq, genad.AdversarialAutoEncoder],
                         ids=lambda c: c.__name__)
def test_sequences_parity(cls, tmp_path):
    rng = np.random.default_rng(1)
    S = rng.normal(size=(80, 12, 3))
    det = make_fast(cls).fit(S)
    check_parity(det, rng.normal(size=(9, 12, 3)) * 2, tmp_path / "s.onnx")


@pytest.mark.parametrize("cls", [genad.AutoEncoder, genad.VAE] + [
    pytest.param(c, marks=pytest.mark.slow) for c in (genad.GANomaly, genad.BiGAN, genad.Seq2Seq)],
    ids=lambda c: c.__name__)
def test_images_parity(cls, tmp_path):
    rng = np.random.default_rng(2)
    img = rng.uniform(-1, 1, size=(64, 1, 16, 16))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = make_fast(cls, epochs=1).fit(img)
    check_parity(det, rng.uniform(-1, 1, size=(8, 1, 16, 16)), tmp_path / "i.onnx")


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_detectors_say_why(name, rows, tmp_path):
    X, _ = rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = make_fast(getattr(genad, name)).fit(*training_data(getattr(genad, name), X[:60]))
    with pytest.raises(ValueError, match=f"cannot be exported to ONNX: {REFUSED[name][:40]}"):
        det.export_onnx(tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def test_unsupported_settings_are_refused(rows, tmp_path):
    X, _ = rows
    with pytest.raises(ValueError, match="kernel='rbf'"):
        genad.OCSVM(kernel="linear").fit(X).export_onnx(tmp_path / "o.onnx")
    with pytest.raises(ValueError, match="covariance_type='full'"):
        genad.GMM(covariance_type="diag").fit(X).export_onnx(tmp_path / "g.onnx")


def test_cli_export(rows, tmp_path):
    from typer.testing import CliRunner

    from genad.cli import app

    X, Xt = rows
    det = genad.PCA().fit(X)
    det.save(tmp_path / "m.genad")
    runner = CliRunner()
    res = runner.invoke(app, ["export", "--model", str(tmp_path / "m.genad"), "--format", "onnx"])
    assert res.exit_code == 0, res.output
    np.testing.assert_allclose(onnx_scores(tmp_path / "m.onnx", Xt), det.decision_function(Xt), rtol=RTOL)
    res = runner.invoke(app, ["export", "--model", str(tmp_path / "m.genad"), "--format", "tflite"])
    assert res.exit_code == 2 and "--format" in res.output


def test_onnx_detector_scores_predicts_and_p_values_like_the_detector(tmp_path):
    import pandas as pd

    from genad.export import OnnxDetector

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=["u", "v", "w", "z"])
    Xt = pd.concat([X.iloc[:20], X.iloc[:5] + 5.0])
    S = rng.normal(size=(60, 6, 2))
    cases = [(genad.IsolationForest(n_estimators=30, random_state=0).fit(X), Xt),
             (genad.KDE().fit(X.to_numpy()), Xt.to_numpy()),
             (make_fast(genad.AutoEncoder).fit(S), S[:9] * 3)]
    for det, T in cases:
        det.export_onnx(tmp_path / "m.onnx")
        for o in (OnnxDetector(tmp_path / "m.onnx"), OnnxDetector((tmp_path / "m.onnx").read_bytes())):
            a, b = det.decision_function(T), o.decision_function(T)
            np.testing.assert_allclose(b, a, rtol=RTOL, atol=RTOL * np.abs(a).max())
            assert o.threshold_ == det.threshold_ and o.input_shape_ == det.input_shape_
            assert np.array_equal(o.predict(T), (b > det.threshold_).astype(int))
            np.testing.assert_array_equal(o.p_values(T), genad.thresholds.conformal_p_values(det.calibration_scores_, b))
    o = OnnxDetector(tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="shape"):
        o.decision_function(np.zeros((2, 5, 2)))
    named = genad.IsolationForest(n_estimators=30, random_state=0).fit(X)
    named.export_onnx(tmp_path / "n.onnx")
    o = OnnxDetector(tmp_path / "n.onnx")
    assert list(o.feature_names_in_) == ["u", "v", "w", "z"]
    np.testing.assert_allclose(o.decision_function(Xt[["z", "w", "v", "u"]]), named.decision_function(Xt), rtol=RTOL)
    with pytest.raises(ValueError, match="z"):
        o.decision_function(Xt.drop(columns="z"))
    with pytest.raises(ValueError, match="not an ONNX model"):
        OnnxDetector(b"\x08\x07 not a graph")
    with pytest.raises(ValueError, match="cannot be refitted"):
        o._validate(Xt, fitting=True)
