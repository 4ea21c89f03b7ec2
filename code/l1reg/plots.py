"""Plots the chapters share. Colours are the Okabe-Ito palette, which readers with
the common kinds of colour blindness can tell apart."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure

from l1reg.training import History

# Okabe & Ito (2008), "Color Universal Design".
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "black": "#000000",
}
MODEL_COLORS = {"without L1": PALETTE["vermillion"], "with L1": PALETTE["blue"]}


def use_book_style() -> None:
    """Set the book's figure style, and give figures a text form in notebooks.

    Lines cycle through the colour-blind-safe palette. In IPython, a figure's text
    form becomes ``Figure: <its axes' titles>`` instead of matplotlib's
    ``<Figure size 640x480 with 1 Axes>``, so a notebook's stored output says what
    the picture shows (and nbval checks that) rather than its pixel size.
    """
    plt.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=list(PALETTE.values())),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "figure.dpi": 100,
            "savefig.dpi": 100,
        }
    )
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to register
        return
    shell = get_ipython()
    if shell is not None:
        # Load the backend now: the inline backend, when it loads, clears every
        # formatter registered for Figure, which would undo the line below.
        plt.switch_backend(plt.get_backend())
        shell.display_formatter.formatters["text/plain"].for_type(Figure, _describe_figure)


def _describe_figure(fig: Figure, printer, cycle: bool) -> None:
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    printer.text("Figure: " + "; ".join(titles) if titles else "Figure")


def plot_accuracy_curves(ax: plt.Axes, histories: dict[str, History]) -> None:
    """Training (dashed) and test (solid) accuracy per epoch, one colour per model."""
    for label, history in histories.items():
        color = MODEL_COLORS.get(label)
        ax.plot(history.epochs, 100 * np.asarray(history.train_accuracy), "--",
                color=color, label=f"{label}, training")
        ax.plot(history.epochs, 100 * np.asarray(history.test_accuracy), "-",
                color=color, label=f"{label}, test")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.legend(loc="lower right")


def plot_weight_magnitudes(ax: plt.Axes, weights: dict[str, np.ndarray], floor: float = 1e-8) -> None:
    """Histograms of log10 |w|; weights below ``floor`` (exact zeros too) count at the floor."""
    logs = {label: np.log10(np.maximum(np.abs(w), floor)) for label, w in weights.items()}
    low = min(v.min() for v in logs.values())
    high = max(v.max() for v in logs.values())
    bins = np.linspace(np.floor(low), np.ceil(high), 30)
    for label, values in logs.items():
        ax.hist(values, bins=bins, histtype="step", linewidth=2,
                color=MODEL_COLORS.get(label), label=label)
    ax.set_xlabel("log10 |w|")
    ax.set_ylabel("number of weights")
    ax.legend()


def plot_paired_differences(ax: plt.Axes, diffs: np.ndarray, step: float) -> None:
    """A histogram of per-seed differences, with the mean and the zero line marked."""
    diffs = np.asarray(diffs, dtype=np.float64)
    edges = np.arange(diffs.min() - step / 2, diffs.max() + step, step)
    ax.hist(diffs, bins=edges, color=PALETTE["sky"], edgecolor=PALETTE["black"])
    ax.axvline(0.0, color=PALETTE["black"], linewidth=1, label="no change")
    ax.axvline(diffs.mean(), color=PALETTE["vermillion"], linewidth=2, linestyle="--",
               label=f"mean {diffs.mean():+.2f}")
    ax.set_ylabel("number of seeds")
    ax.legend()
