"""Name -> loader registry, :func:`load` and :func:`list_datasets`."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

from . import ecg, groups, images, nab, tabular
from ._base import Dataset, get_data_home


@dataclass(frozen=True)
class _Entry:
    name: str
    loader: Callable
    description: str
    files: tuple[str, ...]
    parametric: bool = False  # name is "<prefix>/<sub-name>"


_ENTRIES = [
    _Entry("breast-cancer", tabular.load_breast_cancer,
           "Wisconsin breast cancer (sklearn bundled), malignant = anomaly", ()),
    _Entry("digits", tabular.load_digits,
           "8x8 digits (sklearn bundled), one-vs-all (normal_class)", ()),
    _Entry("kdd99-ff12", tabular.load_kdd99_ff12,
           "KDD Cup 99, FF12 report protocol: 18 columns, 97,278 normal training rows, "
           "10,000 test rows",
           ("kdd99/kddcup.data_10_percent.gz", "kdd99/ffl_test_inliers.csv",
            "kdd99/ffl_test_outliers.csv")),
    _Entry("kdd99", tabular.load_kdd99,
           "KDD Cup 99, 41 features one-hot encoded; train normal 10%, test corrected",
           ("kdd99/kddcup.data_10_percent.gz", "kdd99/corrected.gz")),
    _Entry("kdd99-dagmm", tabular.load_kdd99_dagmm,
           "KDD Cup 99, DAGMM protocol: 'normal.' rows are the anomalies; 50/50 split, training "
           "keeps the attacks of its half",
           ("kdd99/kddcup.data_10_percent.gz",)),
    _Entry("nsl-kdd", tabular.load_nsl_kdd,
           "NSL-KDD, train normal KDDTrain+_20Percent, test KDDTest+",
           ("nsl-kdd/KDDTrain+_20Percent.txt", "nsl-kdd/KDDTest+.txt",
            "nsl-kdd/field_names.csv")),
    _Entry("ecg5000", ecg.load_ecg5000,
           "ECG5000 heartbeats, Anomagram split (292 normal / 208 abnormal test beats)",
           ("ecg5000/train.json", "ecg5000/test.json")),
    _Entry("mnist", images.load_mnist,
           "MNIST one-vs-all (normal_class required), Deep SVDD / ADGAN protocols",
           tuple(images.MNIST_FILES)),
    _Entry("cifar10", images.load_cifar10,
           "CIFAR-10 (JPEG) one-vs-all (normal_class required), Deep SVDD / ADGAN protocols",
           ("cifar10/train.zip", "cifar10/test.zip")),
    _Entry("sdss-groups", groups.load_sdss_groups,
           "SDSS galaxy groups (505 normal) with injected anomalous groups",
           ("sdss/spectrum_s1_pca.csv",)),
    _Entry("synthetic-groups", groups.load_synthetic_groups,
           "Synthetic 2-D Gaussian-mixture groups, point- or distribution-based anomalies",
           ()),
    _Entry("adbench", tabular.load_adbench,
           "ADBench classical datasets, adbench/<name> (see list_adbench())",
           ("adbench/<n>_<name>.npz",), parametric=True),
    _Entry("nab", nab.load_nab,
           "NAB univariate series, nab/<family>/<name> or nab/<name> (see list_nab())",
           ("nab/data/<family>/<name>.csv", nab.WINDOWS_FILE), parametric=True),
]
_BY_NAME = {e.name: e for e in _ENTRIES}


def _valid_names() -> str:
    return ", ".join(e.name + ("/<name>" if e.parametric else "") for e in _ENTRIES)


def _options(loader) -> dict[str, inspect.Parameter]:
    return {
        n: p for n, p in inspect.signature(loader).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def dataset_options(name: str) -> dict:
    """Options a dataset accepts, with their defaults (``inspect.Parameter.empty`` = required)."""
    entry = _lookup(name)[0]
    return {n: p.default for n, p in _options(entry.loader).items()}


def _lookup(name: str) -> tuple[_Entry, str | None]:
    if not isinstance(name, str):
        raise ValueError(f"dataset name must be a string, got {name!r}")
    key = name.strip()
    prefix, sep, sub = key.partition("/")
    entry = _BY_NAME.get(prefix.lower())
    if entry is None or entry.parametric != bool(sep) or (entry.parametric and not sub):
        hint = ""
        if entry is not None and entry.parametric:
            hint = f" ('{entry.name}' needs a sub-name: '{entry.name}/<name>')"
        raise ValueError(f"unknown dataset {name!r}{hint}; valid names: {_valid_names()}")
    return entry, (sub if sep else None)


def load(name: str, data_home=None, **options) -> Dataset:
    """Load a dataset by name; see :func:`list_datasets` for names.

    Unknown names and unknown options raise ``ValueError`` listing the valid
    ones. ``seed`` is accepted as an alias of ``random_state``. Missing files
    raise :class:`DatasetNotFoundError` (a ``FileNotFoundError``).
    """
    entry, sub = _lookup(name)
    opts = _options(entry.loader)
    if "seed" in options and "seed" not in opts and "random_state" in opts:
        if "random_state" in options:
            raise ValueError("give either seed or random_state, not both")
        options["random_state"] = options.pop("seed")
    unknown = sorted(set(options) - set(opts))
    if unknown:
        valid = ", ".join(
            n + ("" if p.default is inspect.Parameter.empty else f"={p.default!r}")
            for n, p in opts.items()
        ) or "none"
        raise ValueError(
            f"unknown option(s) {unknown} for dataset '{entry.name}'; valid options: {valid}"
        )
    missing = [n for n, p in opts.items()
               if p.default is inspect.Parameter.empty and n not in options]
    if missing:
        raise ValueError(f"dataset '{entry.name}' requires option(s) {missing}")
    home = get_data_home(data_home)
    if entry.parametric:
        return entry.loader(home, sub, **options)
    return entry.loader(home, **options)


def list_datasets(data_home=None, expand: bool = False) -> list[dict]:
    """Datasets genad knows, for ``genad datasets``.

    Each dict: ``name``, ``description``, ``files`` (paths relative to the data
    folder), ``present`` (all files found under the current data folder),
    ``options`` (name -> default; ``None`` for required options shown as
    ``"<required>"``). With ``expand=True`` the ``adbench`` and ``nab`` families
    are listed one entry per dataset present instead of one pattern entry.
    """
    home = get_data_home(data_home)
    out = []
    for e in _ENTRIES:
        opts = {
            n: ("<required>" if p.default is inspect.Parameter.empty else p.default)
            for n, p in _options(e.loader).items()
        }
        if e.parametric:
            if e.name == "adbench":
                subs = [(n, [f"adbench/{p.name}"]) for _, n, p in tabular._adbench_files(home)]
            else:
                subs = [(s, [f"nab/data/{s}.csv", nab.WINDOWS_FILE]) for s in nab.list_nab(home)]
            if expand:
                for s, files in subs:
                    out.append({
                        "name": f"{e.name}/{s}", "description": e.description,
                        "files": files, "present": all((home / f).exists() for f in files),
                        "options": opts,
                    })
                continue
            present = bool(subs) and all((home / f).exists() for _, fs in subs for f in fs)
            out.append({"name": f"{e.name}/<name>", "description": e.description,
                        "files": list(e.files), "present": present, "options": opts,
                        "count": len(subs)})
        else:
            out.append({"name": e.name, "description": e.description,
                        "files": list(e.files),
                        "present": all((home / f).exists() for f in e.files),
                        "options": opts})
    return out
