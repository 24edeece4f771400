"""genad.plotting: each plot draws without a display and holds the expected artists."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from genad import plotting as P  # noqa: E402

rng = np.random.default_rng(0)


def _render(fig):
    fig.canvas.draw() if fig.canvas is not None else None
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()


def test_plot_history():
    h = {"loss": [3.0, 2.0, 1.5], "val_loss": [3.1, 2.2, 1.9], "epoch_time": [0.1] * 3, "best_epoch": [3]}
    fig = P.plot_history(h)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:2] == ["loss", "val_loss"] and "best epoch (3)" in labels
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [3.0, 2.0, 1.5])
    _render(fig)
    with pytest.raises(ValueError, match="no per-epoch losses"):
        P.plot_history({"epoch_time": [0.1]})


def test_plot_reconstruction_row_sequence_image():
    fig = P.plot_reconstruction(np.arange(5.0), np.arange(5.0) + 0.1, feature_names=list("abcde"))
    assert len(fig.axes[0].patches) == 10  # two bars per feature
    fig = P.plot_reconstruction(np.sin(np.arange(140) / 10), np.cos(np.arange(140) / 10))
    assert len(fig.axes[0].get_lines()) == 2 and len(fig.axes[0].collections) == 1
    img = rng.random((1, 28, 28))
    fig = P.plot_reconstruction(img, img * 0.9)
    assert len(fig.axes) == 3 and all(len(ax.images) == 1 for ax in fig.axes)
    fig = P.plot_reconstruction(rng.random((3, 32, 32)), rng.random((3, 32, 32)))
    assert fig.axes[0].images[0].get_array().shape == (32, 32, 3)
    _render(fig)
    with pytest.raises(ValueError, match="same shape"):
        P.plot_reconstruction(np.zeros(3), np.zeros(4))


def test_plot_latent_2d_and_pca():
    y = np.r_[np.zeros(50), np.ones(10)]
    fig = P.plot_latent(rng.normal(size=(60, 2)), y)
    ax = fig.axes[0]
    assert len(ax.collections) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["normal", "anomaly"]
    fig = P.plot_latent(rng.normal(size=(60, 7)), y)
    assert fig.axes[0].get_xlabel() == "PC1"
    assert fig.axes[0].collections[0].get_offsets().shape == (50, 2)
    _render(fig)


def test_plot_score_histogram():
    s = np.r_[rng.normal(size=200), rng.normal(4, 1, size=20)]
    y = np.r_[np.zeros(200), np.ones(20)]
    fig = P.plot_score_histogram(s, y, threshold=2.5)
    ax = fig.axes[0]
    assert len(ax.containers) == 2  # one histogram per class
    assert any(line.get_xdata()[0] == 2.5 for line in ax.get_lines())
    _render(fig)


def test_plot_roc():
    y = np.r_[np.zeros(100), np.ones(20)]
    s = np.r_[rng.normal(size=100), rng.normal(3, 1, size=20)]
    fig = P.plot_roc({"good": (y, s), "random": (y, rng.normal(size=120)), "pair": ([0.0, 0.5, 1.0], [0.0, 0.9, 1.0])})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("good (AUC 0.9") and labels[-1] == "chance"
    assert "pair (AUC 0.700)" in labels
    _render(fig)
