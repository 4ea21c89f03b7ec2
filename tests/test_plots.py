"""l1reg.plots: the figures show their data, and their legends say what the chapters print."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from l1reg import plots


def test_plot_paired_differences_marks_zero_and_the_mean_to_one_decimal():
    diffs = np.array([1.0, 1.5, 0.75])  # mean 1.0833...
    fig, ax = plt.subplots()
    try:
        plots.plot_paired_differences(ax, diffs, step=0.25)
        zero, mean = ax.get_lines()
        assert list(zero.get_xdata()) == [0.0, 0.0]
        assert mean.get_xdata()[0] == pytest.approx(diffs.mean())
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["no change", "mean +1.1"]
        assert sum(p.get_height() for p in ax.patches) == diffs.size  # every difference counted
    finally:
        plt.close(fig)
