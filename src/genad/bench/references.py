"""Published numbers to print beside measured ones, each with its source.

Only numbers that can be cited are stored. A :class:`Reference` names the benchmark suite and
dataset of the harness it corresponds to (``dataset="mean"`` means the mean over the suite's
datasets, as papers report one-vs-all image results), the genad detector name it maps to, the
metric, the value and a source string. ``kind="target"`` marks a goal set by this project rather
than a number from a paper; the report prints it as such.

Not stored, because it could not be verified from a source available when this file was written:
the FF12 report's timing table (training / inference seconds per model), and per-class ADGAN
numbers. See :data:`MISSING`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Reference", "REFERENCES", "MISSING", "NAME_MAP", "canonical_name", "find", "for_suite"]

FF12 = ("Cloudera Fast Forward Labs, 'Deep Learning for Anomaly Detection' (FF12, 2020), "
        "KDD99 comparison table, https://ff12.fastforwardlabs.com")
DEEP_SVDD = ("Ruff et al., 'Deep One-Class Classification', ICML 2018, Table 1 "
             "(One-Class Deep SVDD, mean over the 10 one-vs-all classes)")
ANOMAGRAM = ("Dibia, Anomagram (Cloudera Fast Forward Labs, 2020), ECG5000 autoencoder, "
             "https://github.com/victordibia/anomagram")
ISSUE = "genad project issue (target, not a published number)"


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
    "ff12-timing": "FF12 report timing table: not verifiable from a source available here; not stored.",
    "adgan-published": "ADGAN per-class / mean ROC-AUC from Deecke et al. 2018: not verified here; only the "
                       "project's targets (MNIST >= 0.95, CIFAR-10 >= 0.62) are stored.",
    "group-anomaly": "Group anomaly papers (Muandet & Schoelkopf 2013; Guevara et al.): no citeable number "
                     "for this exact protocol was verified; none stored.",
}


def canonical_name(name: str) -> str:
    """genad name a detector name maps to: strips a ``pyod:`` prefix and applies aliases."""
    base = name.split(":", 1)[1] if name.lower().startswith("pyod:") else name
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
