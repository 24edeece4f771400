"""REPEN: LeSiNN scores, outlier candidates by Cantelli's inequality, the learned representation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import genad
from genad import REPEN
from genad.detectors.repen import cantelli_candidates, lesinn_scores


def test_lesinn_is_the_mean_nearest_neighbour_distance_over_subsamples():
    rng = np.random.default_rng(0)
    X, ref = rng.normal(size=(30, 4)), rng.normal(size=(5, 3, 4))
    want = np.mean([np.linalg.norm(X[:, None] - ref[e][None], axis=2).min(1) for e in range(5)], axis=0)
    got = lesinn_scores(torch.as_tensor(X), torch.as_tensor(ref), batch_size=7).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_cantelli_candidates():
    s = np.r_[np.zeros(99), 10.0]
    np.testing.assert_array_equal(np.flatnonzero(cantelli_candidates(s, 1.7321)), [99])
    flat = np.ones(20)  # nothing passes the cut: the 10 highest, never every row
    assert cantelli_candidates(flat, 1.7321).sum() == 10
    assert cantelli_candidates(np.ones(3), 1.7321).sum() == 2


def test_training_separates_triplets_and_the_score_uses_the_learned_space(blobs):
    X, X_test, y_test = blobs
    det = REPEN(epochs=10, batch_size=64, random_state=0)
    det.calibration_folds = 0
    det.fit(X)
    assert det.history_["loss"][-1] < det.history_["loss"][0]
    E, psi = det.n_estimators, det.max_samples
    assert det.reference_codes_.shape == (E, psi, 20)
    codes = det.encode(X_test)
    assert codes.shape == (len(X_test), 20) and (codes >= 0).all()  # ReLU units
    want = lesinn_scores(torch.as_tensor(codes), torch.as_tensor(det.reference_codes_)).numpy()
    np.testing.assert_allclose(det.decision_function(X_test), want, rtol=1e-5)
    assert 1 <= det.outlier_candidates_ < len(X)


def test_fewer_rows_than_a_subsample_and_images_flattened(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 1, 4, 4)).astype(np.float32)
    det = REPEN(epochs=2, random_state=0).fit(X)
    assert det.reference_codes_.shape[1] == min(det.max_samples, len(X))
    s = det.decision_function(X)
    det.save(tmp_path / "m.genad")
    np.testing.assert_array_equal(genad.load(tmp_path / "m.genad").decision_function(X), s)


def test_bad_hyper_parameters_are_named(blobs):
    for name, bad in (("margin", 0.0), ("n_estimators", 0), ("max_samples", 0), ("cantelli_a", -1.0)):
        with pytest.raises(ValueError, match=name):
            REPEN(**{name: bad}).fit(blobs[0])
