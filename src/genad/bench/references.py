"""Published numbers to print beside measured ones, each with its source.

Only numbers that can be cited are stored. A :class:`Reference` names the benchmark suite and
dataset of the harness it corresponds to (``dataset="mean"`` means the mean over the suite's
datasets, as papers report one-vs-all image results), the genad detector name it maps to, the
metric, the value and a source string. ``kind="target"`` marks a goal set by this project rather
than a number from a paper; the report prints it as such.

The FF12 report's cost table (model size, inference time, parameters, training time per model) is
stored as :data:`FF12_COST` and printed beside genad's measured costs by the ``ff12-kdd`` suite.

Not stored, because it could not be verified from a source available when this file was written:
per-class ADGAN numbers. See :data:`MISSING`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

__all__ = ["Reference", "REFERENCES", "MISSING", "NAME_MAP", "canonical_name", "find", "for_suite",
           "CostReference", "FF12_COST", "FF12_COST_CAPTION", "cost_for", "costs_for_suite"]

FF12 = ("Cloudera Fast Forward Labs, 'Deep Learning for Anomaly Detection' (FF12, 2020), "
        "KDD99 comparison table, https://ff12.fastforwardlabs.com")
DEEP_SVDD = ("Ruff et al., 'Deep One-Class Classification', ICML 2018, Table 1 "
             "(One-Class Deep SVDD, mean over the 10 one-vs-all classes)")
ANOMAGRAM = ("Dibia, Anomagram (Cloudera Fast Forward Labs, 2020), ECG5000 autoencoder, "
             "https://github.com/victordibia/anomagram")
ISSUE = "genad project issue (target, not a published number)"
FF12_COST_SOURCE = ("Cloudera Fast Forward Labs, 'Deep Learning for Anomaly Detection' (FF12, 2020), "
                    "KDD99 cost table (model size, inference time, parameters, training time), "
                    "https://ff12.fastforwardlabs.com")


@dataclass(frozen=True)
class Reference:
    suite: str
    dataset: str  # dataset id in the suite, or "mean" for the mean over the suite's datasets
    detector: str  # genad detector name
    metric: str  # "roc_auc", ...
    value: float
    source: str
    published_name: str = ""
    kind: str = "published"  # "published" or "target" (">= value")
    note: str = ""

    def label(self) -> str:
        v = f"{self.value:.3f}"
        return f">= {v} (target)" if self.kind == "target" else v

    def to_dict(self) -> dict:
        return asdict(self)


#: published model name -> genad detector name
NAME_MAP = {
    "BiGAN": "BiGAN",
    "AE": "AutoEncoder",
    "Autoencoder": "AutoEncoder",
    "OCSVM": "OCSVM",
    "VAE": "VAE",
    "Seq2Seq": "Seq2Seq",
    "PCA": "PCA",
    "One-Class Deep SVDD": "DeepSVDD",
    "ADGAN": "ADGAN",
}

#: other spellings of genad names that other modules may register (matched case-insensitively)
ALIASES = {
    "autoencoder": "AutoEncoder", "ae": "AutoEncoder", "deepsvdd": "DeepSVDD", "deep-svdd": "DeepSVDD",
    "seq2seq": "Seq2Seq", "seq2seqae": "Seq2Seq", "bigan": "BiGAN", "vae": "VAE", "adgan": "ADGAN",
    "ocsvm": "OCSVM", "pca": "PCA",
}


def _ref(suite, dataset, published, metric, value, source, **kw) -> Reference:
    return Reference(suite, dataset, NAME_MAP.get(published, published), metric, value, source,
                     published_name=published, **kw)


_FF12_NOTE = "threshold chosen for best accuracy on the test labels in the report; ROC-AUC is threshold-free"

REFERENCES: list[Reference] = [
    # FF12 report, KDD99 (18 columns, min-max scaled, trained on normal rows)
    _ref("ff12-kdd", "kdd99-ff12", "BiGAN", "roc_auc", 0.972, FF12, note=_FF12_NOTE),
    _ref("ff12-kdd", "kdd99-ff12", "AE", "roc_auc", 0.963, FF12, note=_FF12_NOTE),
    _ref("ff12-kdd", "kdd99-ff12", "OCSVM", "roc_auc", 0.957, FF12, note=_FF12_NOTE),
    _ref("ff12-kdd", "kdd99-ff12", "VAE", "roc_auc", 0.946, FF12, note=_FF12_NOTE),
    _ref("ff12-kdd", "kdd99-ff12", "Seq2Seq", "roc_auc", 0.919, FF12, note=_FF12_NOTE),
    _ref("ff12-kdd", "kdd99-ff12", "PCA", "roc_auc", 0.771, FF12, note=_FF12_NOTE),
    # Deep SVDD, one-vs-all, mean over classes
    _ref("mnist", "mean", "One-Class Deep SVDD", "roc_auc", 0.948, DEEP_SVDD),
    _ref("cifar10", "mean", "One-Class Deep SVDD", "roc_auc", 0.648, DEEP_SVDD),
    # ADGAN: the project's targets (the paper's table could not be verified here)
    _ref("mnist", "mean", "ADGAN", "roc_auc", 0.95, ISSUE, kind="target",
         note="Deecke et al., ECML-PKDD 2018 protocol (ADGAN); value is the project's target"),
    _ref("cifar10", "mean", "ADGAN", "roc_auc", 0.62, ISSUE, kind="target",
         note="Deecke et al., ECML-PKDD 2018 protocol (ADGAN); value is the project's target"),
    # Anomagram ECG5000 autoencoder, by share of abnormal beats in training (approximate)
    _ref("ecg5000", "ecg5000", "AE", "roc_auc", 0.96, ANOMAGRAM, note="about 0.96, 0% abnormal in training"),
    _ref("ecg5000", "ecg5000-abn30", "AE", "roc_auc", 0.93, ANOMAGRAM, note="about 0.93, 30% abnormal in training"),
    _ref("ecg5000", "ecg5000-abn50", "AE", "roc_auc", 0.56, ANOMAGRAM, note="about 0.56, 50% abnormal in training"),
]

#: published numbers deliberately not stored, and why
MISSING = {
    "adgan-published": "ADGAN per-class / mean ROC-AUC from Deecke et al. 2018: not verified here; only the "
                       "project's targets (MNIST >= 0.95, CIFAR-10 >= 0.62) are stored.",
    "group-anomaly": "Group anomaly papers (Muandet & Schoelkopf 2013; Guevara et al.): no citeable number "
                     "for this exact protocol was verified; none stored.",
}


def canonical_name(name: str) -> str:
    """genad name a detector name maps to: strips a ``pyod:`` prefix and a configuration suffix
    such as ``(report)``, and applies aliases."""
    base = name.split(":", 1)[1] if name.lower().startswith("pyod:") else name
    base = re.sub(r"\s*\([^()]*\)\s*$", "", base)
    return ALIASES.get(base.lower(), base)


def find(suite: str, dataset: str, detector: str, metric: str = "roc_auc") -> Reference | None:
    """The reference for ``detector`` on ``dataset`` of ``suite`` (``dataset="mean"`` for the mean)."""
    key = canonical_name(detector)
    for r in REFERENCES:
        if r.suite == suite and r.dataset == dataset and r.metric == metric and r.detector == key:
            return r
    return None


def for_suite(suite: str) -> list[Reference]:
    return [r for r in REFERENCES if r.suite == suite]


# ----------------------------------------------------------------------------- costs
@dataclass(frozen=True)
class CostReference:
    """One row of a published cost table. ``None`` where the source gives no figure."""

    suite: str
    detector: str  # genad detector name
    published_name: str
    model_kb: float | None
    inference_seconds: float | None  # scoring the whole test set
    parameters: int | None
    training_seconds: float | None
    source: str

    def to_dict(self) -> dict:
        return asdict(self)


def _cost(published, kb, inf, params, train) -> CostReference:
    return CostReference("ff12-kdd", NAME_MAP.get(published, published), published, kb, inf, params, train,
                         FF12_COST_SOURCE)


#: The FF12 report's cost table for its KDD99 protocol (10,000 test rows)
FF12_COST: list[CostReference] = [
    _cost("BiGAN", 47.945, 1.26, 714, 111.726),
    _cost("Autoencoder", 22.008, 0.279, 842, 32.751),
    _cost("OCSVM", 10.77, 0.029, None, 0.417),
    _cost("VAE", 23.797, 0.391, 858, 27.922),
    _cost("Seq2Seq", 33.109, 400.131, 2741, 645.448),
    _cost("PCA", 1.233, 0.003, None, 0.213),
]

#: what the report's figures measured, printed as the caption of the cost table
FF12_COST_CAPTION = (
    "Report: TensorFlow/Keras on an Intel Xeon 2.30 GHz CPU with an NVIDIA T4 GPU for the deep models "
    "(this machine has no GPU); inference = scoring the 10,000 test rows; training = total time to the "
    "best validation accuracy; model size = the saved Keras / scikit-learn model. genad: the genad model "
    "file (weights, scaler, calibration), decision_function on the 10,000 rows, fit including the "
    "threshold calibration, on the machine named above. Ratio = genad / report (below 1: genad is "
    "smaller or faster)."
)


def cost_for(suite: str, detector: str) -> CostReference | None:
    """The published cost row for ``detector`` (configuration suffixes such as ``(report)`` ignored)."""
    key = canonical_name(detector)
    return next((c for c in FF12_COST if c.suite == suite and c.detector == key), None)


def costs_for_suite(suite: str) -> list[CostReference]:
    return [c for c in FF12_COST if c.suite == suite]
