"""Every deep detector speaks the same hyper-parameter language: shared names with their
documented defaults, one constraints table that covers every parameter, no parameter named
like an estimator method, renamed parameters that keep working for one release."""

from __future__ import annotations

import inspect
import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone

import genad
from genad.base import registered_detectors
from genad.detectors.deep import SHARED_PARAMETERS, DeepDetector

DEEP = sorted(
    (c for c in registered_detectors().values()
     if issubclass(c, DeepDetector) and c is not DeepDetector and c.__module__.startswith("genad.detectors.")),
    key=lambda c: c.__name__,
)
RECONSTRUCTION = {"AutoEncoder", "VAE", "AdversarialAutoEncoder", "Seq2Seq"}
ADVERSARIAL = {"ADGAN", "AnoGAN", "BiGAN", "GANomaly"}
ONE_CLASS = {"DeepSVDD", "DeepSAD"}
DEVIATION = {"DevNet"}
#: representation and density models: early stopping on held-out rows (DAGMM, ICL) or, as in
#: the paper, a fixed number of epochs on freshly drawn triplets (REPEN)
EARLY_STOPPED = {"DAGMM", "ICL"}
FIXED_EPOCHS = {"REPEN"}

#: the defaults every deep detector documents for the shared parameters
SHARED_DEFAULTS = {
    "hidden": None, "latent_dim": None, "optimizer": "adam", "weight_decay": 0.0, "device": "auto",
    "random_state": None, "verbose": 0, "callbacks": None, "contamination": None,
}
#: defaults that differ by family, with the reason in the docstrings (ADGAN's ``validation_fraction``)
FAMILY_DEFAULTS = {
    "reconstruction": {"validation_fraction": 0.1, "patience": 5},
    "adversarial": {"validation_fraction": 0.0, "patience": None, "preprocessing": "auto", "output_activation": "auto"},
    "one-class": {"validation_fraction": 0.0, "patience": None},
    # DevNet's paper trains with RMSprop and an l2 penalty of 0.01
    "deviation": {"validation_fraction": 0.0, "patience": None, "optimizer": "rmsprop", "penalty": "l2",
                  "penalty_weight": 0.01},
    "fixed-epochs": {"validation_fraction": 0.0, "patience": None},
}
FAMILIES = {**dict.fromkeys(RECONSTRUCTION, "reconstruction"), **dict.fromkeys(ADVERSARIAL, "adversarial"),
            **dict.fromkeys(ONE_CLASS, "one-class"), **dict.fromkeys(DEVIATION, "deviation"),
            **dict.fromkeys(EARLY_STOPPED, "reconstruction"), **dict.fromkeys(FIXED_EPOCHS, "fixed-epochs")}
#: names of scikit-learn estimator methods, which no parameter may take
ESTIMATOR_METHODS = {
    "fit", "predict", "score", "decision_function", "transform", "fit_transform", "inverse_transform",
    "score_samples", "predict_proba", "predict_log_proba", "fit_predict", "partial_fit", "get_params",
    "set_params",
}
#: old name -> new name of renamed parameters (the old one still works, with a FutureWarning)
RENAMED = {"out_activation": "output_activation", "score": "score_type"}


def _defaults(cls) -> dict:
    """The current hyper-parameters and their defaults (old names of renamed ones left out)."""
    names = set(cls._get_param_names())
    return {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items() if k in names}


def _documented(cls) -> set[str]:
    doc = inspect.getdoc(cls) or ""
    section = doc.split("Parameters\n----------", 1)[-1].split("Attributes\n----------", 1)[0]
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", section))


def test_every_deep_detector_is_checked():
    assert {c.__name__ for c in DEEP} == set(FAMILIES)


@pytest.mark.parametrize("cls", DEEP, ids=lambda c: c.__name__)
def test_shared_names_and_documented_defaults(cls):
    defaults = _defaults(cls)
    missing = [n for n in SHARED_PARAMETERS if n not in defaults]
    assert not missing, f"{cls.__name__} lacks the shared parameters {missing}"
    family = FAMILY_DEFAULTS[FAMILIES[cls.__name__]]
    for name, value in SHARED_DEFAULTS.items():
        if name not in family:
            assert defaults[name] == value, f"{cls.__name__}.{name} defaults to {defaults[name]!r}, not {value!r}"
    for name, value in family.items():
        assert defaults[name] == value, f"{cls.__name__}.{name} defaults to {defaults[name]!r}, not {value!r}"
    undocumented = set(defaults) - _documented(cls)
    assert not undocumented, f"{cls.__name__}'s docstring does not describe {sorted(undocumented)}"


@pytest.mark.parametrize("cls", DEEP, ids=lambda c: c.__name__)
def test_every_parameter_has_a_constraint(cls):
    unchecked = set(_defaults(cls)) - set(cls._parameter_constraints)
    assert not unchecked, f"{cls.__name__}._parameter_constraints lacks {sorted(unchecked)}"


@pytest.mark.parametrize("cls", DEEP, ids=lambda c: c.__name__)
def test_no_parameter_is_named_like_a_method(cls):
    methods = {n for n, v in inspect.getmembers(cls) if callable(v) and not n.startswith("_")}
    clash = set(_defaults(cls)) & (ESTIMATOR_METHODS | methods)
    assert not clash, f"{cls.__name__} has parameters named like methods: {sorted(clash)}"


@pytest.mark.parametrize("cls", DEEP, ids=lambda c: c.__name__)
def test_old_names_only_as_deprecated_aliases(cls):
    signature = inspect.signature(cls.__init__).parameters
    for old, new in RENAMED.items():
        if old in signature:
            assert cls._renamed_parameters.get(old) == new
            assert signature[old].kind is inspect.Parameter.KEYWORD_ONLY and signature[old].default is None
            assert new in _defaults(cls) and old not in _defaults(cls)


@pytest.mark.parametrize("cls", DEEP, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name, bad", [
    ("latent_dim", 0), ("hidden", [4, 0]), ("epochs", 0), ("batch_size", 0), ("lr", 0.0),
    ("optimizer", "lbfgs"), ("validation_fraction", 1.0), ("patience", -1), ("preprocessing", "robust"),
    ("device", 3), ("contamination", 0.7),
])
def test_bad_shared_parameter_is_named(cls, name, bad):
    X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    y = np.r_[np.ones(4), np.full(36, -1)] if cls._learns_from_labels else None
    with pytest.raises(ValueError, match=name):
        cls(**{**cls._fast_params, name: bad}).fit(X[:, :, None] if cls.__name__ == "Seq2Seq" else X, y)


@pytest.mark.parametrize("cls", [genad.AutoEncoder, genad.BiGAN], ids=lambda c: c.__name__)
def test_preprocessing_auto_everywhere(cls):
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(60, 4)).astype(np.float32)
    det = cls(**{**cls._fast_params, "preprocessing": "auto"}, random_state=0).fit(X)
    assert det.scaler_.kind == "standard"  # rows: standard scaling in both families


def test_out_activation_keeps_working_with_a_future_warning():
    X = np.random.default_rng(0).uniform(-3, 3, size=(60, 4)).astype(np.float32)
    with pytest.warns(FutureWarning, match="renamed 'output_activation'"):
        det = genad.BiGAN(**genad.BiGAN._fast_params, out_activation="sigmoid", random_state=0)
    assert clone(det).get_params()["output_activation"] == "sigmoid"
    assert "out_activation" not in det.get_params()
    det.fit(X)
    assert det.output_activation_ == "sigmoid" and det.out_activation_ == "sigmoid"
    new = genad.BiGAN(**genad.BiGAN._fast_params, output_activation="sigmoid", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        new.fit(X)
    np.testing.assert_allclose(new.decision_function(X), det.decision_function(X), rtol=1e-6)
