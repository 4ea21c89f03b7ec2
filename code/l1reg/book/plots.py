"""Plots the chapters share, in chapter order (01 to 05), then the helpers every chapter
uses (the book's style, a shared legend). Colours are the Okabe-Ito palette, which
readers with the common kinds of colour blindness can tell apart."""

from __future__ import annotations

import re
from html import escape

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.animation import Animation
from matplotlib.axes import Axes
from matplotlib.colors import SymLogNorm, is_color_like
from matplotlib.figure import Figure

from l1reg.core._validation import (
    Array,
    Constraint,
    Flag,
    Instance,
    Int,
    ListOf,
    MappingOf,
    Matrix,
    Optional,
    Options,
    Real,
    Text,
    Values,
    validate_params,
)
from l1reg.core.network import Network
from l1reg.core.training import History
from l1reg.reference.gradcheck import TOLERANCE
from l1reg.studies.comparison import LamSweep
from l1reg.studies.data import LOAN_CLASSES, LOAN_INPUT_RANGE, loan_boundary
from l1reg.studies.path import LamPath
from l1reg.studies.shrinkage import quadratic_error
from l1reg.studies.stats import PairedDifference, paired_difference

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

# --- The arguments' rules, shared by the plots' tables ----------------------------------


class _Colour(Constraint):
    """A colour matplotlib understands (a name, ``"#rrggbb"``, an RGB tuple), passed through."""

    def check(self, value, name):
        if isinstance(value, bool) or not is_color_like(value):
            raise ValueError(f"{name} must be a matplotlib colour (a name, '#rrggbb' or an RGB tuple), "
                             f"got {value!r}")
        return value

    def example(self):
        return PALETTE["black"]

    def bad_values(self):
        return ["no such colour", 3, None]


def _example_animation() -> Animation:
    """A one-frame animation, drawn once (so that matplotlib does not warn it never ran)."""
    from matplotlib.animation import FuncAnimation
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure()
    (line,) = fig.add_subplot().plot([0.0], [0.0])
    anim = FuncAnimation(fig, lambda i: [line], frames=1)
    FigureCanvasAgg(fig).draw()
    return anim


def _example_path() -> LamPath:
    """A two-lam path of a 2-3-2 network, every weight zero."""
    return LamPath(lams=np.array([0.0, 0.01]), rule="proximal", ih_weights=np.zeros((2, 2, 3)),
                   ho_weights=np.zeros((2, 3, 2)), train_accuracy=np.ones(2), test_accuracy=np.ones(2))


def _example_sweep() -> LamSweep:
    """A two-lam sweep of a network with 12 weights."""
    return LamSweep(lams=np.array([0.0, 0.01]), train_accuracy=np.ones(2), test_accuracy=np.ones(2),
                    sum_abs_w=np.ones(2), max_abs_w=np.ones(2), n_small=np.zeros(2, dtype=int), n_weights=12,
                    tol=1e-3, epochs=1)


# Figures made for examples stay out of pyplot's list of open figures: nothing to close.
_AXES = Instance(Axes, "a matplotlib Axes", example=lambda: Figure().add_subplot())
_THREE_AXES = ListOf(_AXES, what="a list (or 1-D array) of three matplotlib Axes", length=3)
_COLOUR = _Colour()
_LABEL = Text()
_POSITIVE = Real(0.0, strict=True)
_FRACTION = Real(0.0, maximum=1.0)
_HISTORIES = MappingOf(Instance(History, "an l1reg History", example=History),
                       what="a dict of labels to l1reg Histories")
_ARRAYS = MappingOf(Values(), what="a dict of labels to arrays")
_REPORTS = MappingOf(MappingOf(Real(0.0), what="a dict of parameter blocks to relative errors"),
                     what="a dict of labels to gradient-check reports")
_PATH = Instance(LamPath, "an l1reg LamPath", example=_example_path)
_SIZES = ListOf(Int(), what="a list of training-set sizes")
_MASK = Array("bool", ndim=1)

# --- Chapter 01: overfitting ----------------------------------------------------------


#: Colour means the model (``MODEL_COLORS``) and so does the line style, which survives a
#: grey-scale print; the two classes differ by marker and fill instead.
MODEL_LINESTYLES = {"without L1": "solid", "with L1": "dashdot"}
CLASS_MARKERS = {
    "rejected": {"marker": "X", "s": 60, "color": "white"},
    "approved": {"marker": "o", "s": 36, "color": "0.45"},
}
#: The region a network approves: grey, so it does not compete with the models' colours.
APPROVED_TINT = (0.6, 0.6, 0.6, 0.25)
TRUE_BOUNDARY_STYLE = {"color": PALETTE["black"], "linestyle": "--", "linewidth": 1.5}


@validate_params(ax=_AXES, x=Matrix(), t=Matrix(), flipped=Optional(_MASK))
def plot_loan_data(ax: Axes, x: np.ndarray, t: np.ndarray, flipped: np.ndarray | None = None) -> None:
    """The loan items by recorded class (grey dots approved, white crosses rejected); flips ringed."""
    classes = np.argmax(t, axis=1)
    for k, name in enumerate(LOAN_CLASSES):
        mine = classes == k
        ax.scatter(x[mine, 0], x[mine, 1], edgecolor=PALETTE["black"], label=f"recorded {name}",
                   zorder=3, **CLASS_MARKERS[name])
    if flipped is not None and np.any(flipped):
        if len(flipped) != len(x):
            raise ValueError(f"flipped must hold one bool per item of x ({len(x)}), got {len(flipped)}")
        ax.scatter(x[flipped, 0], x[flipped, 1], s=180, facecolor="none", edgecolor=PALETTE["black"],
                   linewidth=1.2, label="label flipped by noise", zorder=2)
    _loan_axes(ax)


@validate_params(ax=_AXES)
def plot_true_boundary(ax: Axes) -> None:
    """The straight true boundary ``debt = 0.8 * income + 0.1`` as a dashed black line."""
    income = np.linspace(-LOAN_INPUT_RANGE, LOAN_INPUT_RANGE, 2)
    ax.plot(income, loan_boundary(income), label="true boundary", **TRUE_BOUNDARY_STYLE)
    _loan_axes(ax)


@validate_params(ax=_AXES,
                 net=Instance(Network, "an l1reg.Network", example=lambda: Network(2, 3, 2, seed=0)),
                 color=_COLOUR, label=_LABEL, resolution=Int(2), shade=Flag(),
                 linestyle=Options("solid", "dashed", "dashdot", "dotted", "-", "--", "-.", ":"),
                 linewidth=_POSITIVE, alpha=_FRACTION)
def plot_decision_boundary(ax: Axes, net: Network, color: str, label: str, resolution: int = 201,
                           shade: bool = False, *, linestyle: str = "solid", linewidth: float = 2.0,
                           alpha: float = 1.0) -> None:
    """Where ``net`` switches class over the loan square: the contour ``o_approved = 0.5``.

    The line takes ``color``, ``linestyle``, ``linewidth`` and ``alpha``. With ``shade``,
    the region ``net`` approves is tinted grey (legend entry "predicted approved"), so
    islands of one class inside the other stand out without a colour of their own.
    """
    grid = np.linspace(-LOAN_INPUT_RANGE, LOAN_INPUT_RANGE, resolution)
    income, debt = np.meshgrid(grid, grid)
    approved = net.predict_proba(np.column_stack([income.ravel(), debt.ravel()]))[:, 1]
    if shade:  # transparent where rejected, grey where approved
        ax.contourf(income, debt, approved.reshape(income.shape), levels=[0.0, 0.5, 1.0],
                    colors=[(1.0, 1.0, 1.0, 0.0), APPROVED_TINT])
        ax.fill([], [], color=APPROVED_TINT, label="predicted approved")
    style = {"color": color, "linestyle": linestyle, "linewidth": linewidth, "alpha": alpha}
    if approved.min() < 0.5 < approved.max():
        ax.contour(income, debt, approved.reshape(income.shape), levels=[0.5], colors=[color],
                   linestyles=[linestyle], linewidths=linewidth, alpha=alpha)
    else:  # one class everywhere: no line to draw (and matplotlib would warn)
        label = f"{label} (one class everywhere)"
    ax.plot([], [], label=label, **style)  # contour sets make no legend entry
    _loan_axes(ax)


def _loan_axes(ax: Axes) -> None:
    """The loan square, to scale, with its two inputs named."""
    lim = 1.02 * LOAN_INPUT_RANGE
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("income (normalized)")
    ax.set_ylabel("debt (normalized)")


@validate_params(ax=_AXES, histories=_HISTORIES)
def plot_error_curves(ax: Axes, histories: dict[str, History]) -> None:
    """Training (dashed) and test (solid) error per epoch, one colour per model."""
    for label, history in histories.items():
        color = MODEL_COLORS.get(label)
        ax.plot(history.epochs, history.train_error, "--", color=color, label=f"{label}, training")
        ax.plot(history.epochs, history.test_error, "-", color=color, label=f"{label}, test")
    ax.set_xlabel("epoch")
    ax.set_ylabel("error E (mean per item)")
    ax.legend()


@validate_params(ax=_AXES, weights=_ARRAYS, floor=_POSITIVE)
def plot_sorted_weights(ax: Axes, weights: dict[str, np.ndarray], floor: float = 1e-6) -> None:
    """Every weight's ``|w|`` of each model, largest first, on a log axis.

    A log axis has no zero: a ``|w|`` below ``floor`` (an exact zero too) is drawn at
    ``floor``, so count those apart when it matters. Colours and line styles are the
    models' (``MODEL_COLORS``, ``MODEL_LINESTYLES``).
    """
    for label, w in weights.items():
        size = np.sort(np.abs(w).ravel())[::-1]
        ax.plot(np.arange(1, size.size + 1), np.maximum(size, floor), marker="o", markersize=3,
                color=MODEL_COLORS.get(label), linestyle=MODEL_LINESTYLES.get(label, "solid"), label=label)
    ax.set_yscale("log")
    ax.set_ylim(floor / 2, None)
    ax.set_xlabel("rank of the weight (1 = largest |w|)")
    ax.set_ylabel("|w| (log scale)")
    ax.legend()


@validate_params(ax=_AXES, sizes=_SIZES, accuracies=_ARRAYS, ceiling=Optional(_FRACTION))
def plot_learning_curve(ax: Axes, sizes, accuracies: dict[str, np.ndarray],
                        ceiling: float | None = None) -> None:
    """Mean test accuracy (%) against training-set size, with one-sd bars over replicas.

    ``accuracies[label]`` has one row per size and one column per replica (fractions).
    ``ceiling``, a fraction, draws the best accuracy any model can expect.
    """
    sizes = np.asarray(sizes)
    # Nudge the series apart (by a few percent on the log axis) so error bars do not overlap.
    nudges = 10 ** np.linspace(-0.01, 0.01, len(accuracies)) if len(accuracies) > 1 else [1.0]
    for (label, acc), nudge in zip(accuracies.items(), nudges, strict=True):
        pct = 100 * acc
        ax.errorbar(sizes * nudge, pct.mean(axis=1), yerr=pct.std(axis=1, ddof=1), marker="o",
                    capsize=3, color=MODEL_COLORS.get(label), label=label)
    if ceiling is not None:
        ax.axhline(100 * ceiling, color=PALETTE["black"], linestyle=":", label="best possible")
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(int(s)) for s in sizes])
    ax.minorticks_off()
    ax.set_xlabel("training items")
    ax.set_ylabel("test accuracy (%)")
    ax.legend()


@validate_params(ax=_AXES, sizes=_SIZES,
                 gains=ListOf(Instance(PairedDifference, "an l1reg PairedDifference",
                                       example=lambda: paired_difference([1.0, 2.0], [0.0, 0.0])),
                              what="a list of l1reg PairedDifferences"),
                 clear=Optional(_MASK), color=Optional(_COLOUR))
def plot_paired_gains(ax: Axes, sizes, gains, clear=None, color=None) -> None:
    """Paired differences (e.g. L1 minus plain, in points) against size, with their intervals.

    ``gains`` holds one :class:`l1reg.studies.stats.PairedDifference` per size; each is drawn as
    its mean with its interval as a bar, over a line at zero. ``clear``, one bool per
    size, fills the markers of the differences that count as clear of zero (e.g. after
    Holm's adjustment) and leaves the others open; by default a difference is clear when
    its own interval excludes zero (``clear_of_zero``, unadjusted). ``color`` is the
    markers' and bars' colour (default: the L1 model's).
    """
    sizes = np.asarray(sizes)
    if len(gains) != sizes.size:
        raise ValueError(f"gains must have one difference per size, got {len(gains)} for {sizes.size} sizes")
    if clear is None:
        clear = [g.clear_of_zero for g in gains]
    clear = np.asarray(clear, dtype=bool)
    if clear.shape != sizes.shape:
        raise ValueError(f"clear must have one bool per size, got shape {clear.shape}")
    mean = np.array([g.mean for g in gains])
    bars = np.array([[g.mean - g.low for g in gains], [g.high - g.mean for g in gains]])
    ax.axhline(0.0, color=PALETTE["black"], linewidth=1, linestyle=":", label="no difference")
    color = MODEL_COLORS["with L1"] if color is None else color
    ax.errorbar(sizes, mean, yerr=bars, color=color, capsize=3, linestyle="none")
    for mask, face, label in ((clear, color, "clear of zero"), (~clear, "white", "not clear of zero")):
        if mask.any():
            ax.plot(sizes[mask], mean[mask], "o", color=color, markerfacecolor=face,
                    markersize=7, label=label, zorder=3)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(int(s)) for s in sizes])
    ax.minorticks_off()
    ax.set_xlabel("training items")
    ax.set_ylabel("difference (points)")
    ax.legend()


# --- Chapter 02: the L1 penalty -------------------------------------------------------


PENALTY_COLORS = {"L1": PALETTE["blue"], "L2": PALETTE["orange"], "elastic net": PALETTE["green"]}


@validate_params(ax=_AXES, w0=Values(), minimizers=_ARRAYS, threshold=Optional(Real(0.0)))
def plot_one_weight_minimizers(
    ax: Axes, w0: np.ndarray, minimizers: dict[str, np.ndarray], threshold: float | None = None
) -> None:
    """The penalized minimum against the unpenalized one, one line per penalty.

    The dashed diagonal is no penalty (``w = w0``); a shaded band marks
    ``|w0| <= threshold``, where the L1 minimum is exactly 0.
    """
    ax.plot(w0, w0, "--", color=PALETTE["black"], linewidth=1, label="no penalty")
    if threshold is not None:
        ax.axvspan(-threshold, threshold, color=PALETTE["sky"], alpha=0.2,
                   label=f"|w0| <= {threshold:g}: L1 gives 0")
    for label, w in minimizers.items():
        ax.plot(w0, w, linewidth=2.5, color=PENALTY_COLORS.get(label), label=label)
    ax.set_xlabel("w0, the minimum without the penalty")
    ax.set_ylabel("w, the minimum with the penalty")
    ax.legend(loc="upper left")


@validate_params(ax=_AXES, w_hat=Values(), h=Matrix(), radius=_POSITIVE, optima=_ARRAYS)
def plot_constrained_optima(
    ax: Axes, w_hat: np.ndarray, h: np.ndarray, radius: float, optima: dict[str, np.ndarray]
) -> None:
    """Contours of a two-weight quadratic error, the L1 diamond, the L2 circle, and
    the best point inside each (``optima`` keyed "L1" and "L2").

    The contour through each optimum is drawn in that penalty's colour: it is the
    lowest error the constraint allows, and it touches the constraint's boundary.
    """
    span = 1.25 * max(float(np.abs(w_hat).max()), radius)
    grid = np.linspace(-span, span, 401)
    w1, w2 = np.meshgrid(grid, grid)
    error = quadratic_error(np.stack([w1, w2], axis=-1), w_hat, h)
    top = float(quadratic_error(np.zeros(2), w_hat, h))
    ax.contour(w1, w2, error, levels=top * np.linspace(0.0, 1.2, 9)[1:] ** 2,
               colors=PALETTE["black"], linewidths=0.6, alpha=0.45)
    diamond = radius * np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]], dtype=float)
    ax.fill(diamond[:, 0], diamond[:, 1], color=PENALTY_COLORS["L1"], alpha=0.15)
    ax.plot(diamond[:, 0], diamond[:, 1], color=PENALTY_COLORS["L1"], linewidth=2,
            label=f"L1: |w1| + |w2| <= {radius:g}")
    angle = np.linspace(0.0, 2.0 * np.pi, 361)
    ax.plot(radius * np.cos(angle), radius * np.sin(angle), color=PENALTY_COLORS["L2"],
            linewidth=2, label=f"L2: w1² + w2² <= {radius:g}²")
    markers = {"L1": "o", "L2": "s"}
    for label, w in optima.items():
        level = float(quadratic_error(w, w_hat, h))
        ax.contour(w1, w2, error, levels=[level], colors=PENALTY_COLORS[label], linewidths=1.5,
                   linestyles="--")
        ax.plot(*w, markers[label], color=PENALTY_COLORS[label], markersize=10,
                markeredgecolor=PALETTE["black"],
                label=f"{label} optimum ({w[0]:.2f}, {w[1]:.2f})")
    ax.plot(*w_hat, "X", color=PALETTE["black"], markersize=10, label="minimum of E, no constraint")
    ax.axhline(0.0, color=PALETTE["black"], linewidth=0.8)
    ax.axvline(0.0, color=PALETTE["black"], linewidth=0.8)
    ax.set_aspect("equal")
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    ax.legend(loc="lower left", fontsize="small")


@validate_params(axes=_THREE_AXES, sweep=Instance(LamSweep, "an l1reg LamSweep", example=_example_sweep),
                 baseline=Optional(_FRACTION))
def plot_lam_sweep(axes, sweep: LamSweep, baseline: float | None = None) -> None:
    """Three panels against ``lam``: accuracy, sum of |w|, and weights below ``sweep.tol``.

    ``axes`` are three Axes stacked top to bottom (``plt.subplots(3, 1, sharex=True)``);
    only the bottom one names the ``lam`` axis. ``lam`` values are placed evenly,
    labelled by value, since 0 has no place on a log scale. ``baseline`` (a
    fraction) draws the accuracy of always answering the largest class.
    """
    if len(axes) != 3:
        raise ValueError(f"axes must hold 3 Axes, got {len(axes)}")
    pos = np.arange(len(sweep.lams))
    acc, size, small = axes
    acc.plot(pos, 100 * sweep.train_accuracy, "o--", color=PALETTE["blue"], label="training")
    acc.plot(pos, 100 * sweep.test_accuracy, "s-", color=PALETTE["vermillion"], label="test")
    if baseline is not None:
        acc.axhline(100 * baseline, color=PALETTE["black"], linestyle=":",
                    label="always the largest class")
    acc.set_ylabel("accuracy (%)")
    acc.legend(loc="lower left", fontsize="small")
    size.plot(pos, sweep.sum_abs_w, "o-", color=PALETTE["green"])
    size.set_ylabel("sum of |w|")
    small.plot(pos, sweep.n_small, "o-", color=PALETTE["purple"], label=f"|w| < {sweep.tol:g}")
    small.axhline(sweep.n_weights, color=PALETTE["black"], linestyle=":",
                  label=f"all {sweep.n_weights} weights")
    small.set_ylabel("number of weights")
    small.legend(loc="center left", fontsize="small")
    for ax in axes:
        ax.set_xticks(pos, [f"{lam:g}" for lam in sweep.lams])
    small.set_xlabel("lam")

# --- Chapter 02: pictures of the penalties, the priors, the paths and the animation ----


@validate_params(ax_value=_AXES, ax_slope=_AXES, lam=Real(0.0), span=_POSITIVE)
def plot_penalties_and_gradients(ax_value: Axes, ax_slope: Axes, lam: float = 1.0,
                                 span: float = 2.0) -> None:
    """``lam |w|`` and ``lam w^2`` (left) and their gradients (right), side by side.

    The L1 gradient is ``lam * sign(w)``, the same size however small ``w`` is; the L2
    gradient ``2 lam w`` fades to 0 with ``w``. The open circle at 0 marks where
    ``sign(w)`` jumps.
    """
    w = np.linspace(-span, span, 401)
    ax_value.plot(w, lam * np.abs(w), color=PENALTY_COLORS["L1"], linewidth=2.5,
                  label=r"L1: $\lambda |w|$")
    ax_value.plot(w, lam * w**2, color=PENALTY_COLORS["L2"], linewidth=2.5, linestyle="--",
                  label=r"L2: $\lambda w^2$")
    ax_value.set_xlabel("w")
    ax_value.set_ylabel("penalty")
    ax_value.legend(loc="upper center")
    for side in (-1.0, 1.0):
        part = w[np.sign(w) == side]
        ax_slope.plot(part, lam * np.sign(part), color=PENALTY_COLORS["L1"], linewidth=2.5,
                      label=r"L1: $\lambda\,\mathrm{sign}(w)$" if side > 0 else None)
    ax_slope.plot([0.0], [0.0], "o", color=PENALTY_COLORS["L1"], markerfacecolor="white")
    ax_slope.plot(w, 2.0 * lam * w, color=PENALTY_COLORS["L2"], linewidth=2.5, linestyle="--",
                  label=r"L2: $2 \lambda w$")
    ax_slope.axhline(0.0, color=PALETTE["black"], linewidth=0.8)
    ax_slope.set_xlabel("w")
    ax_slope.set_ylabel("gradient (the pull toward 0 is its opposite)")
    ax_slope.legend(loc="upper left")


@validate_params(ax=_AXES, w=Values(), a=_POSITIVE, lam=Real(0.0), w_stars=ListOf(Real()),
                 minimizers=ListOf(Real()))
def plot_one_weight_objectives(ax: Axes, w: np.ndarray, a: float, lam: float,
                               w_stars, minimizers) -> None:
    """``F(w) = a/2 (w - w0)^2 + lam |w|`` for each ``w0`` of ``w_stars``, its minimizer marked.

    ``minimizers[i]`` is the minimizer for ``w_stars[i]`` (e.g. from
    ``shrinkage.l1_minimizer``); a filled marker shows it, a cross the unpenalized
    minimum ``w0``. Curves are shifted so that each minimum is at height 0.
    """
    if len(minimizers) != len(w_stars):
        raise ValueError(f"minimizers must hold one minimizer per w_stars entry ({len(w_stars)}), "
                         f"got {len(minimizers)}")
    colors = list(PALETTE.values())
    for i, (w_star, w_min) in enumerate(zip(w_stars, minimizers, strict=True)):
        def objective(v, w_star=w_star):
            return 0.5 * a * (v - w_star) ** 2 + lam * np.abs(v)
        low = objective(w_min)
        color = colors[i % len(colors)]
        ax.plot(w, objective(w) - low, color=color, linewidth=2, label=f"w0 = {w_star:g}")
        ax.plot([w_min], [0.0], "o", color=color, markersize=9, markeredgecolor=PALETTE["black"])
        ax.plot([w_star], [objective(w_star) - low], "x", color=color, markersize=9,
                markeredgewidth=2)
    ax.axvline(0.0, color=PALETTE["black"], linewidth=0.8)
    ax.set_xlabel("w")
    ax.set_ylabel("F(w) - min F")
    ax.legend(loc="upper center", ncol=3, fontsize="small")


@validate_params(ax_density=_AXES, ax_neglog=_AXES, beta=_POSITIVE, span=_POSITIVE)
def plot_priors(ax_density: Axes, ax_neglog: Axes, beta: float = 1.0, span: float = 4.0) -> None:
    """The Laplace prior (scale ``beta``) and the Gaussian of the same variance, ``2 beta^2``.

    Left, the densities; right, minus their logarithms (up to a constant), which are
    the penalties the MAP estimate adds to the error: ``|w| / beta`` and ``w^2 / (4 beta^2)``.
    """
    w = np.linspace(-span, span, 801)
    var = 2.0 * beta**2
    laplace = np.exp(-np.abs(w) / beta) / (2.0 * beta)
    gauss = np.exp(-(w**2) / (2.0 * var)) / np.sqrt(2.0 * np.pi * var)
    ax_density.plot(w, laplace, color=PENALTY_COLORS["L1"], linewidth=2.5,
                    label=rf"Laplace, $\beta$ = {beta:g}")
    ax_density.plot(w, gauss, color=PENALTY_COLORS["L2"], linewidth=2.5, linestyle="--",
                    label=f"Gaussian, variance {var:g}")
    ax_density.set_xlabel("w")
    ax_density.set_ylabel("prior density p(w)")
    ax_density.legend(loc="upper right", fontsize="small")
    ax_neglog.plot(w, np.abs(w) / beta, color=PENALTY_COLORS["L1"], linewidth=2.5,
                   label=r"Laplace: $|w| / \beta$ (L1)")
    ax_neglog.plot(w, w**2 / (2.0 * var), color=PENALTY_COLORS["L2"], linewidth=2.5, linestyle="--",
                   label=r"Gaussian: $w^2 / (2\sigma^2)$ (L2)")
    ax_neglog.set_xlabel("w")
    ax_neglog.set_ylabel("-log p(w) + constant")
    ax_neglog.legend(loc="upper center", fontsize="small")


@validate_params(axes=_THREE_AXES, sweeps=MappingOf(_ARRAYS, what="a dict of labels to sweeps"),
                 tol=_POSITIVE, n_weights=Int(), plain=Optional(MappingOf(Real())),
                 baseline=Optional(_FRACTION), baseline_test=Optional(_FRACTION))
def plot_penalty_sweeps(axes, sweeps: dict[str, dict[str, np.ndarray]], *, tol: float,
                        n_weights: int, plain: dict[str, float] | None = None,
                        baseline: float | None = None, baseline_test: float | None = None) -> None:
    """Accuracy, ``sum |w|`` and weights below ``tol`` against ``lam`` on a log axis.

    ``axes`` are three Axes stacked top to bottom; ``sweeps[label]`` (label "L1" or "L2")
    holds arrays ``lam`` (all > 0), ``train`` and ``test`` (fractions), ``sum_abs_w`` and
    ``n_small``. ``plain`` holds ``train`` and ``sum_abs_w`` for ``lam = 0`` (which has no
    place on a log axis), drawn as black dotted lines, and optionally ``test`` (a grey
    dashed line) and ``n_small``; ``baseline`` (a fraction) is the accuracy of always
    answering the largest class of the training items, ``baseline_test`` that answer's
    accuracy on the test items.
    """
    if len(axes) != 3:
        raise ValueError(f"axes must hold 3 Axes, got {len(axes)}")
    acc, size, small = axes
    markers = {"L1": "o", "L2": "s"}
    for label, s in sweeps.items():
        lam = s["lam"]
        if np.any(lam <= 0):
            raise ValueError(f"sweeps[{label!r}]['lam'] must be > 0 (a log axis), got {lam.tolist()}")
        color, marker = PENALTY_COLORS.get(label), markers.get(label, "o")
        acc.plot(lam, 100 * np.asarray(s["train"]), marker=marker, linestyle="--", color=color,
                 markerfacecolor="white", label=f"{label}, training")
        acc.plot(lam, 100 * np.asarray(s["test"]), marker=marker, color=color, label=f"{label}, test")
        size.plot(lam, s["sum_abs_w"], marker=marker, color=color, label=label)
        small.plot(lam, s["n_small"], marker=marker, color=color, label=label)
    gray = {"color": PALETTE["black"], "linestyle": ":", "linewidth": 1.2}
    if plain is not None:
        acc.axhline(100 * plain["train"], label=r"$\lambda = 0$, training", **gray)
        if "test" in plain:
            acc.axhline(100 * plain["test"], color="#999999", linestyle=(0, (5, 3)),
                        linewidth=1.2, label=r"$\lambda = 0$, test")
        size.axhline(plain["sum_abs_w"], label=r"$\lambda = 0$", **gray)
        if "n_small" in plain:
            small.axhline(plain["n_small"], label=r"$\lambda = 0$", **gray)
    if baseline is not None:
        acc.axhline(100 * baseline, color=PALETTE["purple"], linestyle="-.", linewidth=1.2,
                    label="always the largest class" + (", training" if baseline_test is not None else ""))
    if baseline_test is not None:
        acc.axhline(100 * baseline_test, color=PALETTE["sky"], linestyle="-.", linewidth=1.2,
                    label="always the largest class, test")
    small.axhline(n_weights, color=PALETTE["black"], linestyle="-.", linewidth=1,
                  label=f"all {n_weights} weights")
    acc.set_ylabel("accuracy (%)")
    size.set_ylabel("sum of |w|")
    small.set_ylabel(f"weights with |w| < {tol:g}")
    for ax in axes:
        ax.set_xscale("log")
        ax.legend(fontsize="small", loc="lower left" if ax is acc else "best")
    small.set_xlabel(r"penalty strength $\lambda$ (log scale)")


LAYER_COLORS = {"ih_weights": PALETTE["blue"], "ho_weights": PALETTE["orange"]}


@validate_params(ax_w=_AXES, ax_zeros=_AXES, path=_PATH)
def plot_lam_path(ax_w: Axes, ax_zeros: Axes, path: LamPath) -> None:
    """Every weight of ``path`` against ``lam`` (top) and the exact zeros (bottom).

    ``lam = 0`` has no place on the log axis and is left out. Input-to-hidden weights
    are blue, hidden-to-output weights orange.
    """
    keep = path.lams > 0
    lams = path.lams[keep]
    if lams.size == 0:
        raise ValueError("path must hold at least one lam > 0")
    n = len(path.lams)
    for name, block in (("ih_weights", path.ih_weights), ("ho_weights", path.ho_weights)):
        values = block.reshape(n, -1)[keep]
        label = {"ih_weights": "input -> hidden", "ho_weights": "hidden -> output"}[name]
        for j in range(values.shape[1]):
            ax_w.plot(lams, values[:, j], color=LAYER_COLORS[name], linewidth=0.9, alpha=0.7,
                      label=label if j == 0 else None)
    ax_w.axhline(0.0, color=PALETTE["black"], linewidth=0.8)
    ax_w.set_ylabel("w after training")
    ax_w.legend(loc="upper right", fontsize="small")
    ax_zeros.plot(lams, path.zeros[keep], "o-", color=PALETTE["green"], label="weights exactly 0")
    ax_zeros.plot(lams, path.dead_hidden[keep], "s--", color=PALETTE["vermillion"],
                  label="hidden units gone (all in- or outgoing weights 0)")
    ax_zeros.set_ylabel("count")
    ax_zeros.legend(loc="upper left", fontsize="small")
    for ax in (ax_w, ax_zeros):
        ax.set_xscale("log")
    ax_zeros.set_xlabel(r"penalty strength $\lambda$ (log scale)")


UNIT_COLORS = [PALETTE[c] for c in ("blue", "orange", "green", "vermillion", "sky", "purple",
                                      "black")] + ["#999999"]
UNIT_LINESTYLES = ["-", "--", "-.", ":"]


@validate_params(ax_norm=_AXES, ax_zeros=_AXES, ax_gone=_AXES, path=_PATH)
def plot_unit_path(ax_norm: Axes, ax_zeros: Axes, ax_gone: Axes, path: LamPath) -> None:
    """Per hidden unit, ``sum |w|`` of its in- and outgoing weights against ``lam`` (top);
    the exact zeros (middle) and the hidden units gone (bottom), each on its own axis.

    ``lam = 0`` has no place on the log axis and is left out. Each unit has its own
    colour and line style, so the lines stay apart in grey-scale print too.
    """
    keep = path.lams > 0
    lams = path.lams[keep]
    if lams.size == 0:
        raise ValueError("path must hold at least one lam > 0")
    unit_norm = np.abs(path.ih_weights).sum(axis=1) + np.abs(path.ho_weights).sum(axis=2)
    for j in range(unit_norm.shape[1]):
        ax_norm.plot(lams, unit_norm[keep, j], marker="o", markersize=3,
                     color=UNIT_COLORS[j % len(UNIT_COLORS)],
                     linestyle=UNIT_LINESTYLES[j % len(UNIT_LINESTYLES)], label=f"unit {j + 1}")
    ax_norm.set_ylabel("sum of |w| into and out of the unit")
    n_weights = path.weights.shape[1]
    n_hidden = path.ih_weights.shape[2]
    ax_zeros.plot(lams, path.zeros[keep], "o-", color=PALETTE["green"])
    ax_zeros.set_ylim(-0.05 * n_weights, 1.05 * n_weights)
    ax_zeros.set_ylabel(f"weights exactly 0\n(of {n_weights})")
    ax_gone.plot(lams, path.dead_hidden[keep], "s--", color=PALETTE["vermillion"])
    ax_gone.set_ylim(-0.05 * n_hidden, 1.05 * n_hidden)
    ax_gone.set_ylabel(f"hidden units gone\n(of {n_hidden})")
    for ax in (ax_norm, ax_zeros, ax_gone):
        ax.set_xscale("log")
    ax_gone.set_xlabel(r"penalty strength $\lambda$ (log scale)")


@validate_params(path=_PATH, interval=Int(), dpi=Int())
def animate_lam_path(path: LamPath, *, interval: int = 800, dpi: int = 72):
    """An animation of the weight matrices of ``path``, one frame per ``lam``.

    Returns ``(fig, anim, drawn)``: the figure, a ``matplotlib.animation.FuncAnimation``
    and a dict that each drawn frame fills, ``drawn[i] = (ih, ho)``, the arrays shown
    (for a check that the frames show the path's numbers). Exact zeros are black;
    other weights on a diverging scale, symmetric about 0.
    """
    from matplotlib.animation import FuncAnimation

    cmap = plt.get_cmap("PuOr").with_extremes(bad=PALETTE["black"])
    vmax = float(max(np.abs(path.ih_weights).max(), np.abs(path.ho_weights).max(), 1e-12))
    # A symmetric log scale near 0, so that small weights are not lost beside large ones.
    norm = SymLogNorm(linthresh=0.05, vmin=-vmax, vmax=vmax)
    fig, (ax_ih, ax_ho) = plt.subplots(1, 2, figsize=(7.2, 4.0), dpi=dpi, layout="constrained",
                                       gridspec_kw={"width_ratios": [8, 4], "wspace": 0.08})
    blank = {"ih": np.zeros(path.ih_weights.shape[1:]), "ho": np.zeros(path.ho_weights.shape[1:])}
    images = {}
    for key, ax, (ylabel, xlabel) in (("ih", ax_ih, ("input", "hidden unit")),
                                      ("ho", ax_ho, ("hidden unit", "output"))):
        images[key] = ax.imshow(blank[key], cmap=cmap, norm=norm)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(False)
        ax.set_xticks(range(blank[key].shape[1]))
        ax.set_yticks(range(blank[key].shape[0]))
    ax_ih.set_title("input -> hidden")
    ax_ho.set_title("hidden -> output")
    ticks = [t for t in (-2.0, -1.0, -0.1, 0.0, 0.1, 1.0, 2.0) if abs(t) <= vmax]
    bar = fig.colorbar(images["ho"], ax=[ax_ih, ax_ho], shrink=0.9, label="w (black: exactly 0)")
    bar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
    heading = fig.suptitle("")
    drawn: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def update(i: int):
        ih, ho = path.ih_weights[i], path.ho_weights[i]
        images["ih"].set_data(np.ma.masked_equal(ih, 0.0))
        images["ho"].set_data(np.ma.masked_equal(ho, 0.0))
        heading.set_text(f"λ = {path.lams[i]:g}: {int(path.zeros[i])} of {ih.size + ho.size} "
                         f"weights exactly 0\ntraining accuracy {100 * path.train_accuracy[i]:.1f} %")
        drawn[i] = (ih.copy(), ho.copy())
        return [images["ih"], images["ho"], heading]

    update(len(path.lams) - 1)
    fig.canvas.draw()  # lay the figure out once, then keep it: every frame has the same layout
    fig.set_layout_engine("none")
    anim = FuncAnimation(fig, update, frames=len(path.lams), interval=interval, blit=False)
    return fig, anim, drawn


# Font Awesome icons of matplotlib's HTML animation controls, as plain characters: the
# stylesheet would come from a CDN, and the book loads nothing from the network.
# Characters that common fonts have (DejaVu, Liberation, the system UI fonts).
_ANIMATION_ICONS = {
    "fa-minus": "\u2212", "fa-fast-backward": "\u21e4", "fa-step-backward": "\u2039",
    "fa-play fa-flip-horizontal": "\u25c0", "fa-pause": "\u2016", "fa-play": "\u25b6",
    "fa-step-forward": "\u203a", "fa-fast-forward": "\u21e5", "fa-plus": "+",
}


@validate_params(anim=Instance(Animation, "a matplotlib Animation", example=_example_animation),
                 anim_id=Text("[A-Za-z0-9]+", "a non-empty string of letters and digits", example="anim"),
                 fps=Optional(_POSITIVE), label=_LABEL, alt=_LABEL, key_frame=Optional(Int(0)))
def animation_html(anim, anim_id: str, fps: float | None = None, *,
                   label: str = "Frame of the animation",
                   alt: str = "One frame of the animation: the slider below, or its arrow keys, "
                              "chooses which.",
                   key_frame: int | None = None) -> str:
    """``anim.to_jshtml()`` made self-contained, accessible and reproducible, for a built book.

    The random id matplotlib gives the animation's elements becomes ``anim_id``
    (letters and digits), so two runs give the same HTML apart from the frames'
    pixels; the Font Awesome stylesheet (from a CDN) is dropped and the button icons
    become plain characters. The slider gets ``label`` as its accessible name
    (``aria-label``) and the frame's image ``alt`` as its text alternative; the slider
    is a native range input, so Tab reaches it and the arrow, Home and End keys move it.
    ``key_frame``, if given, is the frame a static copy (the printed book) shows, as the
    ``data-key-frame`` attribute of the animation's ``div``. Raises ValueError if
    anything else in the HTML points to the network.
    """
    with plt.rc_context({"savefig.dpi": "figure"}):  # the frames at the figure's own dpi
        html = anim.to_jshtml(fps=fps, default_mode="once")
    n_frames = int(re.search(r"var frames = new Array\((\d+)\);", html).group(1))
    if key_frame is not None and key_frame >= n_frames:
        raise ValueError(f"key_frame must be a frame's index, 0 to {n_frames - 1}, got {key_frame}")
    ids = set(re.findall(r"_anim_img([0-9a-f]+)\"", html))
    if len(ids) != 1:
        raise ValueError(f"expected one animation in the HTML, found ids {sorted(ids)}")
    html = html.replace(ids.pop(), anim_id)
    html = re.sub(r"<link rel=\"stylesheet\"\s+href=\"https?://[^\"]*font-awesome[^\"]*\">\s*", "", html)
    html = re.sub(r"<i class=\"fa ([^\"]+)\"></i>",
                  lambda m: _ANIMATION_ICONS.get(m.group(1), m.group(1)), html)
    key = "" if key_frame is None else f' data-key-frame="{key_frame}"'
    for old, new in (('<div class="animation">', f'<div class="animation"{key}>'),
                     (f'<img id="_anim_img{anim_id}">',
                      f'<img id="_anim_img{anim_id}" alt="{escape(alt.strip())}">'),
                     (f'<input id="_anim_slider{anim_id}" type="range"',
                      f'<input id="_anim_slider{anim_id}" type="range" '
                      f'aria-label="{escape(label.strip())}"')):
        if html.count(old) != 1:
            raise ValueError(f"matplotlib's animation HTML has changed: {old!r} not found once")
        html = html.replace(old, new)
    outside = re.findall(r"(?:https?:)?//[\w.-]+\.\w+/[^\s\"']*", html)
    if outside:
        raise ValueError(f"the animation's HTML still points to the network: {outside[:3]}")
    return html

# --- Chapter 03: the derivative -------------------------------------------------------


@validate_params(ax_value=_AXES, ax_slope=_AXES,
                 at_zero=MappingOf(Real(), what="a dict of labels to numbers"))
def plot_abs_and_subgradient(ax_value: Axes, ax_slope: Axes, at_zero: dict[str, float]) -> None:
    """``|w|`` with supporting lines through 0 (left), and its derivative ``sign(w)`` (right).

    On the right, the vertical bar at ``w = 0`` is the sub-gradient interval [-1, 1];
    ``at_zero`` maps a label (a library's convention) to the value it picks there.
    """
    w = np.linspace(-1.0, 1.0, 201)
    for slope in (-1.0, -0.5, 0.0, 0.5, 1.0):
        ax_value.plot(w, slope * w, ":", color=PALETTE["sky"], linewidth=1.2,
                      label="lines g * w, g in [-1, 1]" if slope == -1.0 else None)
    ax_value.plot(w, np.abs(w), color=PALETTE["blue"], linewidth=2.5, label="|w|")
    ax_value.set_ylim(-0.6, 1.05)
    ax_value.set_xlabel("w")
    ax_value.set_ylabel("penalty per unit lam")
    ax_value.legend(loc="upper center", fontsize="small")

    ax_slope.plot([-1.0, 0.0], [-1.0, -1.0], color=PALETTE["blue"], linewidth=2.5, label="sign(w), w != 0")
    ax_slope.plot([0.0, 1.0], [1.0, 1.0], color=PALETTE["blue"], linewidth=2.5)
    ax_slope.plot([0.0, 0.0], [-1.0, 1.0], color=PALETTE["sky"], linewidth=6, alpha=0.6,
                  label="sub-gradients at 0: [-1, 1]")
    markers = ("o", "s", "D", "^")
    colors = (PALETTE["vermillion"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"])
    for (label, value), marker, color in zip(at_zero.items(), markers, colors, strict=False):
        ax_slope.plot([0.0], [value], marker, color=color, markersize=10,
                      markeredgecolor=PALETTE["black"], label=label, zorder=3)
    ax_slope.set_ylim(-1.4, 1.4)
    for ax in (ax_value, ax_slope):
        ax.set_xticks(np.arange(-1.0, 1.01, 0.5))  # the default 0.25 apart crowds the labels
    ax_slope.set_xlabel("w")
    ax_slope.set_ylabel("d|w|/dw")
    # Below the axes: inside, any corner would hide part of the bar or a marker.
    ax_slope.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize="small")


@validate_params(ax=_AXES, reports=_REPORTS, tolerance=_POSITIVE, floor=_POSITIVE)
def plot_gradient_check(ax: Axes, reports: dict[str, dict[str, float]], tolerance: float = TOLERANCE,
                        floor: float = 1e-16) -> None:
    """Relative errors per parameter block as grouped bars on a log scale, one colour per report.

    ``reports`` maps a label to the dict returned by
    ``l1reg.reference.gradcheck.check_network_gradient``; errors below ``floor`` (exact zeros
    too) are drawn at the floor. The dashed line is the pass/fail ``tolerance``, by default
    ``l1reg.reference.gradcheck.TOLERANCE``, the mark the chapters quote.
    """
    names = list(next(iter(reports.values())))
    pos = np.arange(len(names))
    width = 0.8 / len(reports)
    colors = (PALETTE["blue"], PALETTE["vermillion"], PALETTE["orange"], PALETTE["green"])
    for i, ((label, report), color) in enumerate(zip(reports.items(), colors, strict=False)):
        values = np.maximum([report[name] for name in names], floor)
        ax.bar(pos + (i - (len(reports) - 1) / 2) * width, values - floor, width, bottom=floor,
               color=color, edgecolor=PALETTE["black"], label=label)
    ax.axhline(tolerance, color=PALETTE["black"], linestyle="--", linewidth=1,
               label=f"tolerance {tolerance:g}")
    ax.set_yscale("log")
    # Four decades of headroom above the tallest bar keep the legend off the bars.
    top = max(max(report.values()) for report in reports.values())
    ax.set_ylim(floor, 10.0 ** (np.ceil(np.log10(max(top, tolerance))) + 4))
    ax.set_xticks(pos, names)
    ax.set_xlabel("parameter block")
    ax.set_ylabel("relative error vs finite differences")
    ax.legend(loc="upper left", fontsize="small")


@validate_params(ax=_AXES, reports=_REPORTS, tolerance=_POSITIVE, floor=_POSITIVE)
def plot_gradient_errors(ax: Axes, reports: dict[str, dict[str, float]], tolerance: float = TOLERANCE,
                         floor: float = 1e-16) -> None:
    """Relative errors per parameter block as a dot plot on a log axis, one marker per report.

    Each block of ``reports`` (label -> the dict returned by
    ``l1reg.reference.gradcheck.check_network_gradient``) is a row, first block on top; each report
    is one marker and colour, nudged up or down within the row so that equal errors stay
    visible. The dashed vertical line is the pass mark ``tolerance``, by default
    ``l1reg.reference.gradcheck.TOLERANCE``. Errors below ``floor`` (exact zeros too) are drawn
    at the floor; the x axis spans whole decades around the errors and the tolerance.
    """
    names = list(next(iter(reports.values())))
    rows = np.arange(len(names))[::-1]
    nudge = 0.5 / max(len(reports), 2)
    markers = ("o", "s", "D", "^", "v", "P")
    colors = (PALETTE["blue"], PALETTE["vermillion"], PALETTE["orange"], PALETTE["green"],
              PALETTE["purple"], PALETTE["sky"])
    values = []
    for i, ((label, report), marker, color) in enumerate(zip(reports.items(), markers, colors, strict=False)):
        errors = np.maximum([report[name] for name in names], floor)
        values.extend(errors)
        ax.plot(errors, rows + ((len(reports) - 1) / 2 - i) * nudge, marker, linestyle="none",
                color=color, markeredgecolor=PALETTE["black"], markersize=8, label=label)
    ax.axvline(tolerance, color=PALETTE["black"], linestyle="--", linewidth=1,
               label=f"tolerance {tolerance:g}")
    ax.set_xscale("log")
    low, high = min(min(values), tolerance), max(max(values), tolerance)
    ax.set_xlim(10.0 ** (np.floor(np.log10(low)) - 1), 10.0 ** (np.ceil(np.log10(high)) + 1))
    ax.set_yticks(rows, names)
    ax.set_ylim(-0.5, len(names) - 0.5)
    ax.set_xlabel("relative error vs finite differences (log scale)")
    ax.set_ylabel("parameter block")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize="small")


@validate_params(ax=_AXES, trace=Values(), step=_POSITIVE)
def plot_chattering(ax: Axes, trace: np.ndarray, step: float) -> None:
    """One weight, step by step, with the band ``+-step`` (one penalty step, ``lr * lam``)."""
    steps = np.arange(trace.size)
    ax.axhspan(-step, step, color=PALETTE["sky"], alpha=0.25, label=rf"$\pm\eta\lambda = \pm${step:g}")
    ax.axhline(0.0, color=PALETTE["black"], linewidth=0.8)
    ax.plot(steps, trace, "o-", color=PALETTE["blue"], markersize=3.5, linewidth=1, label="the weight")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("w")
    ax.legend(loc="lower right", fontsize="small", framealpha=1.0)

# --- Chapter 04: the implementation ---------------------------------------------------


@validate_params(ax=_AXES, histories=_HISTORIES)
def plot_accuracy_curves(ax: Axes, histories: dict[str, History]) -> None:
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


@validate_params(ax=_AXES, weights=_ARRAYS, floor=_POSITIVE)
def plot_weight_magnitudes(ax: Axes, weights: dict[str, np.ndarray], floor: float = 1e-8) -> None:
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


@validate_params(ax=_AXES, diffs=Values(), step=_POSITIVE)
def plot_paired_differences(ax: Axes, diffs: np.ndarray, step: float) -> None:
    """A histogram of per-seed differences, with the mean and the zero line marked.

    The legend gives the mean to one decimal, as the chapters print a mean difference.
    """
    edges = np.arange(diffs.min() - step / 2, diffs.max() + step, step)
    ax.hist(diffs, bins=edges, color=PALETTE["sky"], edgecolor=PALETTE["black"])
    ax.axvline(0.0, color=PALETTE["black"], linewidth=1, label="no change")
    ax.axvline(diffs.mean(), color=PALETTE["vermillion"], linewidth=2, linestyle="--",
               label=f"mean {diffs.mean():+.1f}")
    ax.set_ylabel("number of seeds")
    ax.legend()


_LOG_VALUES = ListOf(_POSITIVE, what="a list of numbers > 0 (the axes are logarithmic)")


@validate_params(ax=_AXES, n_params=_LOG_VALUES, loop_us=_LOG_VALUES, array_us=_LOG_VALUES)
def plot_step_times(ax: Axes, n_params, loop_us, array_us) -> None:
    """Microseconds per SGD step against the network's number of parameters, log-log.

    ``n_params``, ``loop_us`` and ``array_us`` are equal-length sequences: one entry
    per network size, for the loop version and for the vectorized step.
    """
    if not len(n_params) == len(loop_us) == len(array_us):
        raise ValueError("n_params, loop_us and array_us must have the same length, got "
                         f"{len(n_params)}, {len(loop_us)} and {len(array_us)}")
    n, loop, array = n_params, loop_us, array_us
    ax.loglog(n, loop, "o-", color=PALETTE["vermillion"], label="loops (l1reg.reference.loops)")
    ax.loglog(n, array, "s-", color=PALETTE["blue"], label="arrays (l1reg.fit)")
    ax.set_xlabel("parameters in the network")
    ax.set_ylabel("microseconds per SGD step")
    ax.legend()

# --- Chapters 05 and 06: ways to apply L1, and its rivals --------------------------------


RULE_COLORS = {
    "sub-gradient": PALETTE["blue"],
    "tack-on": PALETTE["orange"],
    "proximal": PALETTE["green"],
    "cumulative": PALETTE["vermillion"],
}
RULE_MARKERS = {"sub-gradient": "o", "tack-on": "v", "proximal": "s", "cumulative": "D"}


@validate_params(ax=_AXES, lams=ListOf(_POSITIVE, what="a list of lams > 0 (a log axis)"), curves=_ARRAYS,
                 baseline=Optional(Real()))
def plot_rule_sweep(ax: Axes, lams, curves: dict[str, np.ndarray], baseline: float | None = None) -> None:
    """One line per update rule against ``lam`` on a log axis; ``baseline`` a dotted line."""
    for label, values in curves.items():
        ax.plot(lams, values, marker=RULE_MARKERS.get(label, "o"), color=RULE_COLORS.get(label),
                label=label, alpha=0.85)
    if baseline is not None:
        ax.axhline(baseline, color=PALETTE["black"], linestyle=":", linewidth=1, label="lam = 0")
    ax.set_xscale("log")
    ax.set_xlabel("lam")
    ax.legend(fontsize="small")


@validate_params(ax=_AXES, paths=_ARRAYS, floor=Optional(_POSITIVE))
def plot_weight_paths(ax: Axes, paths: dict[str, np.ndarray], floor: float | None = None) -> None:
    """One weight's value after each epoch, one line per rule.

    With ``floor``, the plot shows ``|w|`` on a log axis and an exact zero is drawn at
    the floor (marked by a dotted line), so hovering near zero and sitting at zero
    look different.
    """
    for label, path in paths.items():
        epochs = np.arange(1, path.size + 1)
        values = path if floor is None else np.maximum(np.abs(path), floor)
        ax.plot(epochs, values, color=RULE_COLORS.get(label), label=label, linewidth=1.8, alpha=0.85)
    if floor is None:
        ax.axhline(0.0, color=PALETTE["black"], linewidth=0.8)
        ax.set_ylabel("w")
    else:
        ax.set_yscale("log")
        ax.axhline(floor, color=PALETTE["black"], linestyle=":", linewidth=1, label="exactly 0")
        ax.set_ylabel("|w| (exact zeros at the dotted line)")
    ax.set_xlabel("epoch")
    ax.legend(fontsize="small")


# --- Chapter 07: choosing inputs -------------------------------------------------------


@validate_params(ax=_AXES, steps=ListOf(_LABEL, what="a list of the steps' texts"), colour=_COLOUR)
def plot_flow(ax: Axes, steps, colour: str = PALETTE["blue"]) -> None:
    """A procedure as a chain of boxes, left to right, each step's text in a box (newlines allowed).

    Arrows join each box to the next; the axes' frame and ticks are switched off.

    Examples
    --------
    >>> ax = Figure().add_subplot()
    >>> plot_flow(ax, ["split", "train", "choose"])
    >>> len(ax.texts)  # three boxes and two arrows
    5
    """
    ax.set_xlim(0.0, len(steps))
    ax.set_ylim(0.0, 1.0)
    ax.axis("off")
    for i, text in enumerate(steps):
        ax.text(i + 0.5, 0.5, text, ha="center", va="center", fontsize="small",
                bbox={"boxstyle": "round,pad=0.5", "facecolor": "white", "edgecolor": colour,
                      "linewidth": 1.5})
        if i:
            ax.annotate("", xy=(i + 0.06, 0.5), xytext=(i - 0.06, 0.5),
                        arrowprops={"arrowstyle": "-|>", "color": colour, "linewidth": 1.5})


# --- Shared helpers: the book's style, legends ----------------------------------------


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


@validate_params(fig=Instance(Figure, "a matplotlib Figure", example=Figure),
                 axes=ListOf(_AXES, what="a list or an array (a grid too) of matplotlib Axes", ravel=True),
                 ncol=Int())
def legend_below(fig: Figure, axes, ncol: int = 3) -> None:
    """One legend under all ``axes`` of ``fig`` (a grid of Axes: ``axes.ravel()``), each label
    once (first handle wins)."""
    handles: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=ncol,
               frameon=False)
