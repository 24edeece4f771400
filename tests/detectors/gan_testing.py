"""Data and fitted models shared by the GAN detector tests (a unique module name)."""

from __future__ import annotations

import functools

import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score


def blobs(seed=0, n=300, n_test=40, d=5, shift=6.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    Xt = np.vstack([rng.normal(size=(n_test, d)), rng.normal(size=(n_test, d)) + shift]).astype(np.float32)
    y = np.r_[np.zeros(n_test), np.ones(n_test)]
    return X, Xt, y


def digit_images(n_normal=150, n_test=25):
    """8x8 digits in [-1, 1] (dark background): digits 0 and 1 are normal; the planted
    anomalies are held-out digits with inverted intensities (bright background)."""
    d = load_digits()
    X = (d.images[d.target <= 1] / 8.0 - 1.0).astype(np.float32)[:, None]
    normal_test = X[n_normal : n_normal + n_test]
    Xt = np.concatenate([normal_test, -X[n_normal + n_test : n_normal + 2 * n_test]])
    y = np.r_[np.zeros(n_test), np.ones(n_test)]
    return X[:n_normal], Xt, y


def auc(y, s):
    return roc_auc_score(y, s)


def fast(cls) -> dict:
    return dict(cls._fast_params)


@functools.lru_cache(maxsize=None)
def fit_tabular(cls):
    """``cls`` fitted on 5-D Gaussian blobs (10 epochs), with a test set of shifted blobs."""
    X, Xt, y = blobs()
    return cls(**{**fast(cls), "epochs": 10, "lr": 1e-3}, random_state=0).fit(X), Xt, y


@functools.lru_cache(maxsize=None)
def fit_images(cls):
    """``cls`` fitted on 8x8 digit images (4 epochs), with inverted digits as anomalies."""
    X, Xt, y = digit_images()
    det = cls(**{**fast(cls), "epochs": 4, "lr": 1e-3}, base_channels=8, latent_dim=8, random_state=0).fit(X)
    return det, Xt, y
