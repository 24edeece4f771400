"""Benchmark suites: which datasets, loaded with which protocol options.

A suite is a list of :class:`DatasetSpec`; the detectors of a suite are whatever registered
itself for it (:func:`genad.bench.registry.register`). The seed of a run is passed to the loader
as ``random_state`` whenever the loader takes one (so seeds give different splits where the
protocol has a random split) and to the detector factory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["DatasetSpec", "Suite", "SUITES", "ADBENCH_SEMI", "get_suite", "semi_supervised_labels"]


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of a suite.

    id : label in tables (unique in the suite).
    name : name for :func:`genad.datasets.load`.
    options : keyword options for the loader (``random_state`` is set from the seed).
    flatten : reshape samples to one row of features (the ``default`` suite's digits).
    max_test : stratified subsample of the test rows (seeded), to bound CPU time; None keeps all.
    labelled : semi-supervised protocol (ADBench): this fraction of the training anomalies gets its
        label (at least one, drawn with the seed); the loaded dataset's ``y_fit`` holds the labels
        ``fit`` receives (1 known anomaly, -1 unlabelled). None: unsupervised, ``fit(X)``.
    """

    id: str
    name: str
    options: dict = field(default_factory=dict)
    flatten: bool = False
    max_test: int | None = None
    labelled: float | None = None

    def load(self, seed: int, data_home=None):
        from ..datasets import dataset_options, load

        opts = dict(self.options)
        if "random_state" in dataset_options(self.name) and "random_state" not in opts:
            opts["random_state"] = int(seed)
        ds = load(self.name, data_home=data_home, **opts)
        if self.flatten and ds.X_train.ndim > 2:
            ds.X_train = ds.X_train.reshape(len(ds.X_train), -1)
            ds.X_test = ds.X_test.reshape(len(ds.X_test), -1)
            ds.feature_names = None
        if self.max_test is not None and ds.groups_test is None and len(ds.y_test) > self.max_test:
            idx = _stratified_subsample(ds.y_test, self.max_test, seed)
            ds.X_test, ds.y_test = ds.X_test[idx], ds.y_test[idx]
            ds.metadata = dict(ds.metadata, harness_max_test=self.max_test)
        if self.labelled is not None:
            ds.y_fit = semi_supervised_labels(ds.y_train, self.labelled, seed)
            ds.metadata = dict(ds.metadata, labelled_anomalies=int(np.sum(ds.y_fit == 1)))
        return ds

    def describe(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        extra = []
        if self.flatten:
            extra.append("flattened")
        if self.max_test:
            extra.append(f"test capped at {self.max_test} rows (stratified)")
        if self.labelled is not None:
            extra.append(f"{self.labelled:.0%} of the training anomalies labelled")
        return f"{self.name}({opts})" + (f" [{'; '.join(extra)}]" if extra else "")


def semi_supervised_labels(y_train: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """ADBench's semi-supervised protocol: ``fraction`` of the training anomalies (at least one)
    keep their label (1), every other training row is unlabelled (-1)."""
    rng = np.random.default_rng(20_000 + int(seed))
    anomalies = np.flatnonzero(np.asarray(y_train) == 1)
    out = np.full(len(y_train), -1, dtype=np.int64)
    if len(anomalies):
        k = min(len(anomalies), max(1, int(round(fraction * len(anomalies)))))
        out[rng.choice(anomalies, size=k, replace=False)] = 1
    return out


def _stratified_subsample(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(10_000 + int(seed))
    out = []
    for cls in np.unique(y):
        idx = np.nonzero(y == cls)[0]
        k = max(1, int(round(n * len(idx) / len(y))))
        out.append(rng.choice(idx, size=min(k, len(idx)), replace=False))
    return np.sort(np.concatenate(out))


@dataclass
class Suite:
    """A named benchmark: description, dataset kind and the datasets (fixed or computed)."""

    name: str
    description: str
    kind: str = "point"  # "point" or "group": the detector kind the suite's data need
    specs: tuple[DatasetSpec, ...] = ()
    expand: Callable[[object], list[DatasetSpec]] | None = None  # data_home -> specs
    notes: str = ""

    def resolve(self, data_home=None) -> list[DatasetSpec]:
        """The datasets of the suite (ADBench lists the files present in the data folder)."""
        return list(self.expand(data_home)) if self.expand is not None else list(self.specs)

    @property
    def datasets(self) -> list[str]:
        try:
            ids = [s.id for s in self.resolve()]
        except Exception:  # data folder missing: show the pattern
            ids = [s.id for s in self.specs]
        return ids or [f"{self.name}/<name>"]


#: ADBench: training rows capped for CPU; very large test sets capped too (stratified)
ADBENCH_MAX_TRAIN = 10_000
ADBENCH_MAX_TEST = 10_000


def _adbench_specs(data_home=None) -> list[DatasetSpec]:
    from ..datasets import list_adbench

    return [
        DatasetSpec(f"adbench/{n}", f"adbench/{n}", {"max_train": ADBENCH_MAX_TRAIN}, max_test=ADBENCH_MAX_TEST)
        for n in list_adbench(data_home)
    ]


#: fraction of the training anomalies labelled in each semi-supervised ADBench suite
ADBENCH_SEMI = {"adbench-semi-1": 0.01, "adbench-semi-5": 0.05, "adbench-semi-10": 0.10}


def _adbench_semi_specs(fraction: float):
    from dataclasses import replace

    return lambda data_home=None: [replace(s, labelled=fraction) for s in _adbench_specs(data_home)]


SUITES: dict[str, Suite] = {
    s.name: s
    for s in [
        Suite(
            "default",
            "Bundled scikit-learn data, runs in minutes on a laptop CPU: breast-cancer (malignant = "
            "anomaly) and digits one-vs-rest for every normal class 0-9 (8x8 images flattened to 64 "
            "features); stratified 50/50 split drawn with the seed, training keeps normal rows only.",
            specs=(DatasetSpec("breast-cancer", "breast-cancer"),)
            + tuple(DatasetSpec(f"digits-{c}", "digits", {"normal_class": c}, flatten=True) for c in range(10)),
            notes="tiny training sets (about 90 normal rows per digit class, 178 for breast-cancer), so the "
                  "deep detectors fit thousands of weights to fewer than 200 rows with short budgets and "
                  "their scores differ little from each other; the 8x8 digits are flattened to 64 features, "
                  "so no model sees them as images; a smoke test of the "
                  "whole harness rather than a ranking of methods (see ff12-kdd, adbench, mnist for those).",
        ),
        Suite(
            "ff12-kdd",
            "KDD Cup 99 with the FF12 report's protocol: 18 columns, train on the 97,278 normal rows of "
            "the 10% file, test on the report's 10,000-row sample (fixed split; seeds vary the detector).",
            specs=(DatasetSpec("kdd99-ff12", "kdd99-ff12"),),
            notes="one fixed split, so the seed spread is the detectors' own (initialisation, batches); the "
                  "published FF12 numbers came from a different implementation (Keras), and its cost table "
                  "from a machine with a T4 GPU for the deep models; '<name>(report)' rows use the report's "
                  "own settings, the plain names genad's.",
        ),
        Suite(
            "ecg5000",
            "ECG5000 heartbeats (Anomagram split, 140 points per beat as features) with 0%, 30% and 50% "
            "abnormal beats mixed into training (drawn with the seed).",
            specs=(
                DatasetSpec("ecg5000", "ecg5000", {"abnormal_fraction": 0.0}),
                DatasetSpec("ecg5000-abn30", "ecg5000", {"abnormal_fraction": 0.3}),
                DatasetSpec("ecg5000-abn50", "ecg5000", {"abnormal_fraction": 0.5}),
            ),
        ),
        Suite(
            "mnist",
            "MNIST one-vs-all, Deep SVDD protocol: train on one digit, test on the full 10,000-image test "
            "set; images (n, 1, 28, 28) in [-1, 1]. Report the mean over the 10 classes.",
            specs=tuple(DatasetSpec(f"mnist-{c}", "mnist", {"normal_class": c, "protocol": "deep-svdd"})
                        for c in range(10)),
        ),
        Suite(
            "cifar10",
            "CIFAR-10 one-vs-all, Deep SVDD protocol (JPEG copy): train on one class, test on the full "
            "test set; images (n, 3, 32, 32). Report the mean over the 10 classes.",
            specs=tuple(DatasetSpec(f"cifar10-{c}", "cifar10", {"normal_class": c, "protocol": "deep-svdd"})
                        for c in range(10)),
        ),
        Suite(
            "adbench",
            f"Every ADBench classical dataset in the data folder, ADBench protocol: stratified 70/30 split "
            f"drawn with the seed, detectors fit on the training part with its anomalies. CPU caps: at most "
            f"{ADBENCH_MAX_TRAIN:,} training rows (stratified, by the loader) and {ADBENCH_MAX_TEST:,} test "
            f"rows (stratified, by the harness).",
            expand=_adbench_specs,
            notes="detectors train on contaminated data (the anomalies of the training part included) and the "
                  "CPU caps subsample the largest datasets; the mean over 33 datasets hides a wide per-dataset "
                  "spread (see the per-dataset table).",
        ),
        *(
            Suite(
                name,
                f"The adbench suite's datasets and splits with ADBench's semi-supervised protocol: "
                f"{fraction:.0%} of the training anomalies labelled (at least one, drawn with the seed), "
                f"every other training row unlabelled; fit(X, y) gets y = 1 / -1 (unsupervised detectors "
                f"leave the labelled anomalies out, weakly supervised ones learn from them).",
                expand=_adbench_semi_specs(fraction),
                notes="same CPU caps as adbench; unlabelled anomalies stay in the training data.",
            )
            for name, fraction in ADBENCH_SEMI.items()
        ),
        Suite(
            "sdss-groups",
            "SDSS galaxy groups (505 normal) with injected anomalous groups of type 1 (random galaxies), "
            "2 and 3 (Gaussian mixtures with 0.5x / 1x the within-group covariance); seeded.",
            kind="group",
            specs=tuple(DatasetSpec(f"sdss-type{t}", "sdss-groups", {"anomaly_type": t}) for t in (1, 2, 3)),
        ),
        Suite(
            "synthetic-groups",
            "Synthetic 2-D Gaussian-mixture groups: point-based and distribution-based group anomalies; seeded.",
            kind="group",
            specs=(
                DatasetSpec("synthetic-point", "synthetic-groups", {"kind": "point"}),
                DatasetSpec("synthetic-distribution", "synthetic-groups", {"kind": "distribution"}),
            ),
        ),
    ]
}


def get_suite(suite: str | Suite) -> Suite:
    if isinstance(suite, Suite):
        return suite
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; choose one of: {', '.join(SUITES)}.")
    return SUITES[suite]


def loader_takes_seed(name: str) -> bool:
    from ..datasets import dataset_options

    return "random_state" in dataset_options(name)
