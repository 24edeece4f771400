"""Trimmed losses (genad.nn.losses): the fixed trim, and trim="auto"'s mixture cut on log-losses."""

import math

import numpy as np
import torch

from genad.nn.losses import AdaptiveTrim, kept_index, mixture_cut, trimmed_mean


def test_mixture_cut_leaves_clean_losses_alone_and_finds_a_far_share():
    rng = np.random.default_rng(0)
    clean = rng.lognormal(size=2000)  # one Gaussian on the log scale: nothing to leave out
    assert mixture_cut(clean) == (math.inf, 0.0)
    dirty = np.r_[clean, 30 * rng.lognormal(size=600)]  # 23% of the rows far above the bulk
    cut, share = mixture_cut(dirty)
    assert 0.18 < share < 0.30
    assert np.mean(dirty[2000:] > cut) > 0.85 and np.mean(clean > cut) < 0.05
    assert mixture_cut(np.r_[clean[:5], np.nan]) == (math.inf, 0.0)  # too few finite losses


def test_mixture_cut_leaves_out_at_most_max_share():
    rng = np.random.default_rng(1)
    losses = np.r_[rng.lognormal(size=300), 50 * rng.lognormal(size=700)]  # the "anomalies" are the majority
    cut, share = mixture_cut(losses, max_share=0.5)
    assert share <= 0.5 and cut >= np.median(losses)


def test_mixture_cut_cuts_when_the_upper_component_holds_about_half_the_rows():
    # the log-losses of ECG5000 with 30% abnormal training beats after the third epoch: the
    # normal tail and the anomalies together make an upper component of just over half
    rng = np.random.default_rng(0)
    logs = np.r_[rng.normal(-2.0, 0.52, 1645), rng.normal(-0.09, 0.85, 1733)]
    cut, share = mixture_cut(np.exp(logs))
    assert math.isfinite(cut) and 0.3 <= share <= 0.5


def test_adaptive_trim_keeps_the_better_half_then_the_rows_below_the_cut():
    rule = AdaptiveTrim(warmup_epochs=2)
    rows = torch.arange(10, dtype=torch.float32)
    assert sorted(kept_index(rows, rule).tolist()) == [0, 1, 2, 3, 4]  # warm-up: the better half
    rng = np.random.default_rng(0)
    rule.update(np.r_[rng.lognormal(size=800), 40 * rng.lognormal(size=200)])
    assert 0.1 < rule.estimate < 0.3 and math.isfinite(rule.cut)
    x = torch.tensor([0.5, 1.0, rule.cut * 2, rule.cut * 3])
    assert kept_index(x, rule).tolist() == [0, 1]
    assert float(trimmed_mean(x, rule)) == 0.75
    assert kept_index(torch.tensor([rule.cut * 5, rule.cut * 4]), rule).tolist() == [1]  # never empty
