"""Dataset loaders for anomaly detection with the protocols published results use.

Data are read from a data folder: the ``data_home=`` argument, else the
``GENAD_DATA`` environment variable, else ``~/genad_data``. Nothing is
downloaded; a missing file raises :class:`DatasetNotFoundError` naming the file,
the folder searched and the official source.

>>> from genad.datasets import load
>>> ds = load("kdd99-ff12")                       # doctest: +SKIP
>>> ds = load("mnist", normal_class=3)            # doctest: +SKIP
>>> ds = load("adbench/Cardiotocography", random_state=1)  # doctest: +SKIP
"""

from ._base import Dataset, DatasetNotFoundError, get_data_home
from ._registry import dataset_options, list_datasets, load
from .groups import make_gaussian_mixture_groups
from .nab import list_nab, load_nab_series
from .tabular import list_adbench

__all__ = [
    "Dataset",
    "DatasetNotFoundError",
    "dataset_options",
    "get_data_home",
    "list_adbench",
    "list_datasets",
    "list_nab",
    "load",
    "load_nab_series",
    "make_gaussian_mixture_groups",
]
