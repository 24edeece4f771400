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

__all__ = ["DatasetSpec", "Suite", "SUITES", "get_suite"]


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of a suite.

    id : label in tables (unique in the suite).
    name : name for :func:`genad.datasets.load`.
    options : keyword options for the loader (``random_state`` is set from the seed).
    flatten : reshape samples to one row of features (the ``default`` suite's digits).
    max_test : stratified subsample of the test rows (seeded), to bound CPU time; None keeps all.
    """

    id: str
    name: str
    options: dict = field(default_factory=dict)
    flatten: bool = False
    max_test: int | None = None

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
        return ds

    def describe(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        extra = []
        if self.flatten:
            extra.append("flattened")
        if self.max_test:
            extra.append(f"test capped at {self.max_test} rows (stratified)")
        return f"{self.name}({opts})" + (f" [{'; '.join(extra)}]" if extra else "")


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
