"""group_det.explain: which features and which points drive a group's score."""

from __future__ import annotations

import numpy as np
import pytest

import genad.group as gg
from group_testdata import blobs


@pytest.mark.parametrize("cls", [pytest.param(c, marks=pytest.mark.slow) for c in (gg.GroupAAE, gg.GroupVAE)]
                         + [gg.OCSMM, gg.MGM, gg.PointAggregate], ids=lambda c: getattr(c, "__name__", str(c)))
def test_group_explanations(cls):
    train = blobs(30, seed=0)
    det = (cls(**cls._fast_params, random_state=0) if cls is not gg.PointAggregate
           else gg.PointAggregate(random_state=0)).fit(train)
    test = blobs(3, seed=4)
    for G in test:
        G[:3, 1] += 12.0  # three points, one feature
    e = det.explain(test)
    assert e.values.shape == (3, 3) and e.feature_names == ["x0", "x1", "x2"]
    np.testing.assert_allclose(e.scores, det.decision_function(test), rtol=1e-5)
    assert [len(p) for p in e.point_values] == [len(G) for G in test]
    if cls is not gg.MGM:  # MGM scores mixtures of point types, not point values
        assert [r[0][0] for r in e.top(1)].count("x1") >= 2
        assert sum(len(set(p) & {0, 1, 2}) for p in e.top_points(3)) >= 6
