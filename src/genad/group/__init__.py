"""Group anomaly detection: one score per collection of points with known membership.

``fit(X, groups=ids)`` (one id per point) or ``fit(list_of_arrays)``;
``decision_function(X, groups=ids)`` gives one score per group in ``np.unique(groups)`` order
(higher = more anomalous). See :class:`GroupDetector`.

* :class:`GroupAAE`, :class:`GroupVAE` -- deep generative models on the points, group scores from
  their latent codes (Chalapathy, Toth & Chawla 2018);
* :class:`OCSMM` -- one-class SVM on kernel mean embeddings (Muandet & Schoelkopf 2013);
* :class:`MGM` -- mixture of Gaussian mixtures (after Xiong et al. 2011);
* :class:`PointAggregate` -- mean / max of a point detector's scores.
"""

from .aggregate import PointAggregate
from .base import GroupDetector, as_groups
from .deep import SCORES, GroupAAE, GroupVAE
from .images import images_to_groups
from .kernels import gaussian_kernel, group_kernel, median_bandwidth, mmd2
from .mgm import MGM
from .ocsmm import OCSMM

__all__ = [
    "GroupDetector",
    "GroupAAE",
    "GroupVAE",
    "OCSMM",
    "MGM",
    "PointAggregate",
    "SCORES",
    "images_to_groups",
    "as_groups",
    "gaussian_kernel",
    "group_kernel",
    "median_bandwidth",
    "mmd2",
]
