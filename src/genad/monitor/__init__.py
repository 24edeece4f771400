"""Keeping a deployed detector right: drift tests, analyst feedback and retraining.

* :class:`Monitor` / :class:`DriftReport` (:mod:`genad.monitor.drift`): score, input and latent
  drift of the rows a model scores, at a stated false-alarm level.
* :class:`FeedbackStore` (:mod:`genad.monitor.feedback`): analysts' verdicts on scored items,
  append-only, in SQLite beside the model.
* :func:`retrain` (:mod:`genad.monitor.retrain`): a new model version from the verdicts,
  compared with the one in service on held-out labelled items, promoted only if not worse.
"""

from .drift import DriftReport, Monitor, attach_reference, feature_drift, mmd_test, score_drift
from .feedback import FeedbackStore, store_path
from .retrain import RetrainResult, fit_with_labels, labels_for_keys, retrain, retrain_file

__all__ = ["Monitor", "DriftReport", "attach_reference", "score_drift", "feature_drift", "mmd_test",
           "FeedbackStore", "store_path", "retrain", "retrain_file", "RetrainResult", "fit_with_labels",
           "labels_for_keys"]
