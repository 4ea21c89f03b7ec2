"""Paired comparisons over seed sets: the mean difference and its confidence interval.

When two methods are trained on the same seed sets (the same data, initial weights and
visiting order), their difference per seed set removes what the seed sets share, and
the spread of those differences is what an interval must cover. The interval is
Student's t: ``mean +- t_{(1+confidence)/2, n-1} * sd / sqrt(n)``, with the quantile
from ``scipy.stats.t`` (for 30 seed sets and 95 % it is 2.045, not 1.96).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from l1reg.core._validation import Array, Int, ListOf, Probability, Real, validate_fields, validate_params


@validate_fields(differences=Array(ndim=1, min_size=2), mean=Real(), sd=Real(0.0), low=Real(), high=Real(),
                 confidence=Probability(strict=True))
@dataclass(frozen=True)
class PairedDifference:
    """``after - before`` per seed set, summarized: mean, sd, and a t interval."""

    differences: np.ndarray
    mean: float
    sd: float
    low: float
    high: float
    confidence: float

    @property
    def n(self) -> int:
        """The number of seed sets."""
        return len(self.differences)

    @property
    def clear_of_zero(self) -> bool:
        """True if the whole interval lies on one side of zero."""
        return bool(self.low > 0.0 or self.high < 0.0)

    @property
    def p_value(self) -> float:
        """Two-sided p-value of the paired t-test of a zero mean difference.

        >>> round(paired_difference([80, 82, 81, 83], [79, 80, 80, 80]).p_value, 4)
        0.0354
        """
        if self.sd == 0.0:
            return 1.0 if self.mean == 0.0 else 0.0
        t = self.mean / (self.sd / float(np.sqrt(self.n)))
        return float(2.0 * stats.t.sf(abs(t), df=self.n - 1))

    def __format__(self, spec: str) -> str:
        """The mean and its interval, signed, each with ``spec`` (default ``.1f``).

        An interval end that is not zero but would print as zero (``+0.0``) gets more
        decimals, up to four more, so that a reader sees which side of zero it lies on:
        an interval clear of zero never reads as touching it.

        >>> d = paired_difference([80, 82, 81, 83], [79, 80, 80, 80])
        >>> f"{d} points", f"{d:.2f}"
        ('+1.8 [+0.2, +3.3] points', '+1.75 [+0.23, +3.27]')
        >>> f"{paired_difference([0.05, 0.3, 0.2, 0.25], [0, 0, 0, 0])}"  # low end 0.028
        '+0.2 [+0.03, +0.4]'
        """
        spec = spec or ".1f"
        return f"{self.mean:+{spec}} [{_end(self.low, spec)}, {_end(self.high, spec)}]"


def _end(value: float, spec: str) -> str:
    """``value`` with ``spec``, signed, with more decimals while a non-zero value reads 0."""
    text = f"{value:+{spec}}"
    head, dot, tail = spec.rpartition(".")
    if not dot or not tail[:-1].isdigit() or tail[-1] != "f" or value == 0:
        return text
    digits = int(tail[:-1])
    for more in range(1, 5):
        if float(text) != 0:
            break
        text = f"{value:+{head}.{digits + more}f}"
    return text


@validate_params(after=Array(ndim=1, min_size=2), before=Array(ndim=1, min_size=2),
                 confidence=Probability(strict=True))
def paired_difference(after, before, confidence: float = 0.95) -> PairedDifference:
    """The per-seed-set differences ``after - before`` with a ``confidence`` t interval.

    Parameters
    ----------
    after, before : array-like
        One number per seed set each (e.g. test accuracies with and without L1), paired
        by position; at least two, all finite.
    confidence : float, default 0.95
        Coverage of the interval, in (0, 1).

    Examples
    --------
    >>> d = paired_difference([0.80, 0.82, 0.81, 0.83], [0.79, 0.80, 0.80, 0.80])
    >>> round(d.mean, 4), round(d.low, 4), round(d.high, 4), d.clear_of_zero
    (0.0175, 0.0023, 0.0327, True)
    """
    if after.shape != before.shape:
        raise ValueError(f"after and before must have one number per seed set each, "
                         f"got {after.size} and {before.size}")
    differences = after - before
    mean, sd = float(differences.mean()), float(differences.std(ddof=1))
    half = float(_half_width(sd, differences.size, confidence))
    return PairedDifference(differences, mean, sd, mean - half, mean + half, confidence)


def _half_width(sd, n, confidence: float):
    """Student's t half-width ``t_{(1+confidence)/2, n-1} * sd / sqrt(n)`` (``n`` may be an array)."""
    return stats.t.ppf(0.5 + confidence / 2.0, df=np.asarray(n) - 1) * sd / np.sqrt(n)


@validate_params(values=Array(min_size=2), axis=Int(-32))
def standard_error(values, axis: int = -1) -> np.ndarray:
    """The standard error of the mean along ``axis``: ``sd / sqrt(n)``, ``sd`` with ``n - 1``.

    Examples
    --------
    >>> float(standard_error([1.0, 2.0, 3.0]))
    0.5773502691896258
    """
    if not -values.ndim <= axis < values.ndim or values.shape[axis] < 2:
        raise ValueError(f"axis must be an axis of values with at least 2 entries, got {axis} for shape "
                         f"{values.shape}")
    return values.std(axis=axis, ddof=1) / np.sqrt(values.shape[axis])


@validate_params(p_values=ListOf(Real(0.0, maximum=1.0), what="a list of p-values"))
def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values, in their given order.

    With the ``m`` p-values sorted, the ``i``-th smallest (from 1) is multiplied by
    ``m - i + 1``, capped at 1 and made non-decreasing. Rejecting every hypothesis whose
    adjusted p-value is below ``alpha`` keeps the family-wise error rate, the probability
    of rejecting at least one true hypothesis, at most ``alpha`` (Holm 1979).

    >>> holm([0.01, 0.04, 0.03, 0.005]).round(4).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p = np.array(p_values)
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (p.size - np.arange(p.size)) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


@validate_fields(only_first=Int(0), only_second=Int(0), p_value=Real(0.0, maximum=1.0))
@dataclass(frozen=True)
class McNemar:
    """Two classifiers on the same items: where only one is right, and McNemar's exact p."""

    only_first: int
    only_second: int
    p_value: float


@validate_params(right_first=Array("bool", ndim=1), right_second=Array("bool", ndim=1))
def mcnemar(right_first, right_second) -> McNemar:
    """McNemar's exact test of two classifiers scored on the same items.

    ``right_first`` and ``right_second`` are True where each classifier is right. Only
    the items where exactly one is right count: with no difference in accuracy, which of
    the two gets such an item is a fair coin's toss, so the two-sided p-value is the
    binomial test's (McNemar 1947), ``scipy.stats.binomtest(b, b + c, 0.5)``.

    >>> mcnemar([True, True, True, False, True], [False, False, True, False, True])
    McNemar(only_first=2, only_second=0, p_value=0.5)
    """
    if right_first.shape != right_second.shape:
        raise ValueError("right_first and right_second must be of one length (the same items), "
                         f"got {right_first.size} and {right_second.size}")
    only_first = int(np.sum(right_first & ~right_second))
    only_second = int(np.sum(right_second & ~right_first))
    if only_first + only_second == 0:
        return McNemar(0, 0, 1.0)
    p = stats.binomtest(only_first, only_first + only_second, 0.5).pvalue
    return McNemar(only_first, only_second, float(p))


@validate_params(sd=Real(0.0), half_width=Real(0.0, strict=True), confidence=Probability(strict=True),
                 most=Int(2))
def seed_sets_needed(sd: float, half_width: float = 1.0, confidence: float = 0.95, most: int = 10_000) -> int:
    """The fewest seed sets whose paired t interval is at most ``+- half_width`` wide, at this ``sd``.

    The smallest ``n >= 2`` with ``t_{(1+confidence)/2, n-1} * sd / sqrt(n) <= half_width``:
    a precision statement for a study. ``sd`` is the spread of the paired differences,
    measured on a pilot (its own uncertainty is not included, so the interval reaches
    the width only about half the time; a family of claims under Holm needs a stricter
    level as well). Raises a ValueError if more than ``most`` would be needed.

    Examples
    --------
    >>> seed_sets_needed(2.8, half_width=1.0)  # chapter 05's L1 - none: about 2.8 points
    33
    """
    n = np.arange(2, most + 1)
    fits = _half_width(sd, n, confidence) <= half_width
    if not fits.any():
        raise ValueError(f"more than most={most} seed sets are needed for +-{half_width:g} at sd={sd:g}")
    return int(n[np.argmax(fits)])
