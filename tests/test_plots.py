"""l1reg.book.plots: the figures show their data, and their legends say what the chapters print."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from l1reg.book import plots


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


def test_unit_path_plot_draws_one_line_per_hidden_unit():
    from l1reg.studies.path import LamPath

    ih = np.zeros((2, 10, 8))
    ho = np.zeros((2, 8, 4))
    ih[1, :, 0] = 1.0  # unit 1 keeps its 10 inputs (1 each) and 4 outputs (0.5 each)
    ho[1, 0, :] = 0.5
    path = LamPath(lams=np.array([0.0, 0.01]), rule="proximal", ih_weights=ih, ho_weights=ho,
                   train_accuracy=np.ones(2), test_accuracy=np.ones(2))
    fig, (ax_norm, ax_zeros, ax_gone) = plt.subplots(3, 1)
    plots.plot_unit_path(ax_norm, ax_zeros, ax_gone, path)
    assert len(ax_norm.get_lines()) == 8
    assert ax_norm.get_lines()[0].get_xdata().tolist() == [0.01]  # lam = 0 left out
    assert ax_norm.get_lines()[0].get_ydata().tolist() == [12.0]
    assert ax_zeros.get_lines()[0].get_ydata().tolist() == [112 - 14]
    assert ax_gone.get_lines()[0].get_ydata().tolist() == [7]
    assert ax_gone.get_ylim()[1] < 9 and ax_zeros.get_ylim()[1] > 112
    plt.close(fig)


def test_plot_paired_gains_draws_each_interval_and_fills_only_the_clear_ones():
    from l1reg.studies.stats import paired_difference

    gains = [paired_difference([1.0, 3.0, 2.0], [0.0, 0.0, 0.0]),
             paired_difference([0.5, -0.5, 1.0], [0.0, 0.0, 0.0])]
    fig, ax = plt.subplots()
    try:
        plots.plot_paired_gains(ax, [20, 40], gains, clear=[True, False])
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["no difference", "clear of zero", "not clear of zero"]
        zero, filled, hollow = [line for line in ax.get_lines() if line.get_label() in labels]
        assert list(filled.get_xdata()) == [20] and list(hollow.get_xdata()) == [40]
        assert hollow.get_markerfacecolor() == "white"
        bars = ax.containers[0].lines[2][0].get_segments()  # one vertical bar per size
        ends = np.array([seg[:, 1] for seg in bars])
        np.testing.assert_allclose(ends, [[g.low, g.high] for g in gains], rtol=1e-12)
        with pytest.raises(ValueError, match="one difference per size"):
            plots.plot_paired_gains(ax, [20], gains)
    finally:
        plt.close(fig)


def test_plot_paired_gains_by_default_fills_the_intervals_clear_of_zero_in_the_given_colour():
    from l1reg.studies.stats import paired_difference

    gains = [paired_difference([1.0, 1.2, 1.1], [0.0, 0.0, 0.0]),
             paired_difference([0.5, -0.5, 1.0], [0.0, 0.0, 0.0])]
    assert [g.clear_of_zero for g in gains] == [True, False]
    fig, ax = plt.subplots()
    try:
        plots.plot_paired_gains(ax, [20, 40], gains, color="#000000")
        filled, hollow = [line for line in ax.get_lines() if "clear of zero" in line.get_label()]
        assert list(filled.get_xdata()) == [20] and list(hollow.get_xdata()) == [40]
        assert filled.get_color() == "#000000" and hollow.get_markerfacecolor() == "white"
    finally:
        plt.close(fig)


def test_penalty_sweeps_draw_the_plain_test_line_and_both_baselines():
    sweep = {"lam": np.array([0.1, 1.0]), "train": np.ones(2), "test": np.ones(2),
             "sum_abs_w": np.ones(2), "n_small": np.zeros(2)}
    fig, axes = plt.subplots(3, 1)
    try:
        plots.plot_penalty_sweeps(axes, {"L1": sweep}, tol=1e-3, n_weights=112,
                                  plain={"train": 0.9, "test": 0.6, "sum_abs_w": 2.0, "n_small": 1},
                                  baseline=0.3, baseline_test=0.25)
        acc_lines = {line.get_label(): line.get_ydata()[0] for line in axes[0].get_lines()}
        assert acc_lines[r"$\lambda = 0$, test"] == pytest.approx(60.0)
        assert acc_lines["always the largest class, training"] == pytest.approx(30.0)
        assert acc_lines["always the largest class, test"] == pytest.approx(25.0)
        small_lines = {line.get_label(): line.get_ydata()[0] for line in axes[2].get_lines()}
        assert small_lines[r"$\lambda = 0$"] == 1
    finally:
        plt.close(fig)


def test_plot_flow_draws_one_box_per_step_and_an_arrow_between_each_two():
    fig, ax = plt.subplots()
    steps = ["labelled items", "train every\nconfiguration", "choose", "score"]
    plots.plot_flow(ax, steps)
    boxes = [t for t in ax.texts if t.get_bbox_patch() is not None]
    arrows = [t for t in ax.texts if t.get_bbox_patch() is None]
    assert [b.get_text() for b in boxes] == steps
    assert len(arrows) == 3 and not ax.axison
    plt.close(fig)


@pytest.mark.parametrize("steps, error",
                         [([], ValueError), (["split", " "], ValueError), ("split", TypeError)])
def test_plot_flow_refuses_steps_that_are_not_a_list_of_texts(steps, error):
    fig, ax = plt.subplots()
    with pytest.raises(error, match="steps"):
        plots.plot_flow(ax, steps)
    plt.close(fig)
