"""Point-score aggregation: the simplest group detector.

Fit any genad point detector on all training points, score each point of a group, and summarise
the group by the mean or the maximum of its points' scores. It finds groups made of anomalous
points (point-based anomalies) but, by construction, not groups whose points are each normal
while their mixture is not (distribution-based anomalies).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import clone

from ..base import Detector
from .base import GroupDetector

__all__ = ["PointAggregate"]

AGGREGATES = ("mean", "max", "median")


class PointAggregate(GroupDetector):
    """Mean (or max, median) of a point detector's scores over each group.

    Parameters
    ----------
    detector : genad point detector, default ``genad.IsolationForest()``
        Cloned and fitted on the training points (it does its own scaling).
    agg : {"mean", "max", "median"}
    contamination, random_state : as for every group detector (``random_state`` is passed to the
        point detector when it has one and it is None there).

    Attributes
    ----------
    detector_ : the fitted point detector.
    """

    _default_preprocessing: ClassVar[str | None] = None
    _fast_params: ClassVar[dict] = {}

    def __init__(self, detector=None, agg="mean", contamination=None, random_state=None):
        self.detector = detector
        self.agg = agg
        self.contamination = contamination
        self.random_state = random_state

    def _fit_groups(self, X, offsets):
        if self.agg not in AGGREGATES:
            raise ValueError(f"agg must be one of {AGGREGATES}; got {self.agg!r}.")
        if self.detector is None:
            from ..detectors.classic import IsolationForest

            det = IsolationForest()
        elif isinstance(self.detector, Detector):
            det = clone(self.detector)
        else:
            raise ValueError(
                "detector must be a genad point detector (for example genad.IsolationForest()); "
                f"got {type(self.detector).__name__}."
            )
        if "random_state" in det.get_params() and det.get_params()["random_state"] is None:
            det.set_params(random_state=self._seed())
        self.detector_ = det.fit(X)

    def _score_groups(self, X, offsets):
        s = self.detector_.decision_function(X)
        if self.agg == "mean":
            return np.add.reduceat(s, offsets[:-1]) / np.diff(offsets)
        if self.agg == "max":
            return np.maximum.reduceat(s, offsets[:-1])
        return np.array([np.median(g) for g in np.split(s, offsets[1:-1])])
