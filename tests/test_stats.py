"""Paired differences and their t intervals."""

import numpy as np
import pytest
from scipy import stats

from l1reg.studies.stats import McNemar, PairedDifference, holm, mcnemar, paired_difference


def test_interval_matches_scipys_t_interval():
    rng = np.random.default_rng(0)
    before = rng.normal(0.8, 0.05, 30)
    after = before + rng.normal(0.01, 0.02, 30)
    d = paired_difference(after, before)
    low, high = stats.t.interval(0.95, df=29, loc=np.mean(after - before), scale=stats.sem(after - before))
    assert d.n == 30
    assert d.low == pytest.approx(low, rel=1e-12) and d.high == pytest.approx(high, rel=1e-12)
    assert d.sd == pytest.approx(np.std(after - before, ddof=1))


def test_wider_confidence_gives_a_wider_interval_and_zero_spread_a_point():
    after, before = [1.0, 2.0, 4.0], [0.0, 0.0, 0.0]
    narrow, wide = paired_difference(after, before, 0.5), paired_difference(after, before, 0.99)
    assert wide.low < narrow.low < narrow.high < wide.high
    flat = paired_difference([1.0, 1.0], [0.5, 0.5])
    assert flat.low == flat.high == 0.5 and flat.clear_of_zero


def test_an_interval_across_zero_is_not_clear_of_it():
    assert not paired_difference([1.0, -1.0, 0.5], [0.0, 0.0, 0.0]).clear_of_zero


@pytest.mark.parametrize(("after", "before", "match"), [
    ([1.0, 2.0, 3.0], [1.0, 2.0], "one number per seed set"),
    ([1.0], [1.0], "at least 2"),
    ([[1.0, 2.0]], [[1.0, 2.0]], "1-D"),
    ([1.0, np.nan], [1.0, 2.0], "after must hold only finite values"),
])
def test_bad_scores_are_refused(after, before, match):
    with pytest.raises(ValueError, match=match):
        paired_difference(after, before)


def test_bad_confidence_and_type_are_refused():
    with pytest.raises(ValueError, match="confidence"):
        paired_difference([1.0, 2.0], [0.0, 0.0], confidence=1.0)
    with pytest.raises(TypeError, match="before"):
        paired_difference([1.0, 2.0], ["a", None])


@pytest.mark.parametrize(
    ("low", "high", "spec", "expected"),
    [
        (0.028, 0.37, "", "+0.2 [+0.03, +0.4]"),  # a clear interval never reads +0.0
        (-0.37, -0.004, ".1f", "+0.2 [-0.4, -0.004]"),  # as many decimals as it takes
        (0.0, 0.37, ".1f", "+0.2 [+0.0, +0.4]"),  # an end that is zero stays 0.0
        (0.00001, 0.37, ".1f", "+0.2 [+0.00001, +0.4]"),  # four more decimals at most
        (0.000001, 0.37, ".1f", "+0.2 [+0.00000, +0.4]"),
        (0.028, 0.37, ".2g", "+0.2 [+0.028, +0.37]"),  # only fixed-point specs change
        (0.123, 0.37, ".2f", "+0.20 [+0.12, +0.37]"),
    ],
)
def test_format_shows_which_side_of_zero_an_interval_end_lies(low, high, spec, expected):
    d = PairedDifference(np.array([0.2, 0.2]), 0.2, 0.0, low, high, 0.95)
    assert format(d, spec) == expected


def test_p_value_is_scipys_paired_t_test():
    rng = np.random.default_rng(1)
    before = rng.normal(0.8, 0.05, 30)
    after = before + rng.normal(0.01, 0.02, 30)
    d = paired_difference(after, before)
    assert d.p_value == pytest.approx(stats.ttest_rel(after, before).pvalue, rel=1e-12)
    assert paired_difference([1.0, 1.0], [0.5, 0.5]).p_value == 0.0  # no spread, not zero
    assert paired_difference([1.0, 1.0], [1.0, 1.0]).p_value == 1.0


def test_holm_multiplies_the_sorted_p_values_and_keeps_them_ordered():
    # Sorted: 0.005 x 4, 0.01 x 3, 0.03 x 2 = 0.06, 0.04 x 1 -> 0.06 (never below the last).
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert holm([0.2]) == pytest.approx([0.2])  # one test: nothing to adjust


@pytest.mark.parametrize(("p_values", "match"), [
    ([], "^p_values must hold at least one item"),
    ([[0.1]], r"^p_values\[0\] must be a real number"),
    ([0.1, 1.5], r"^p_values\[1\] must be a finite number <= 1"),
    ([np.nan], r"^p_values\[0\] must be finite"),
])
def test_holm_refuses_bad_p_values(p_values, match):
    with pytest.raises(ValueError, match=match):
        holm(p_values)


def test_mcnemar_counts_the_disagreements_and_matches_scipys_binomial_test():
    rng = np.random.default_rng(0)
    a, b = rng.random(500) < 0.7, rng.random(500) < 0.6
    result = mcnemar(a, b)
    assert (result.only_first, result.only_second) == (int(np.sum(a & ~b)), int(np.sum(b & ~a)))
    expected = stats.binomtest(result.only_first, result.only_first + result.only_second, 0.5).pvalue
    assert result.p_value == expected
    assert mcnemar(b, a).p_value == result.p_value  # two-sided: the order does not matter
    assert mcnemar(a, a) == McNemar(0, 0, 1.0)  # no disagreement, no evidence


@pytest.mark.parametrize(("first", "second", "match"), [
    ([1, 0], [True, False], "^right_first must be an array of booleans"),
    ([True], [True, False], "^right_first and right_second must be of one length"),
    ([[True]], [[True]], "^right_first must be 1-D"),
])
def test_mcnemar_refuses_what_is_not_two_boolean_vectors_of_one_length(first, second, match):
    with pytest.raises(ValueError, match=match):
        mcnemar(first, second)


def test_seed_sets_needed_is_the_first_n_whose_t_interval_fits():
    from scipy import stats as scipy_stats

    from l1reg.studies.stats import seed_sets_needed

    n = seed_sets_needed(2.8, half_width=1.0)
    half = lambda m: scipy_stats.t.ppf(0.975, m - 1) * 2.8 / np.sqrt(m)  # noqa: E731
    assert half(n) <= 1.0 < half(n - 1)
    assert seed_sets_needed(0.0) == 2
    assert seed_sets_needed(2.8, half_width=2.0) < n < seed_sets_needed(2.8, half_width=1.0, confidence=0.99)
    with pytest.raises(ValueError, match="more than most=50 seed sets"):
        seed_sets_needed(10.0, half_width=1.0, most=50)


def test_standard_error_along_an_axis():
    from l1reg.studies.stats import standard_error

    values = np.array([[1.0, 2.0, 3.0, 6.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(standard_error(values, axis=1), [np.std([1, 2, 3, 6], ddof=1) / 2, 0.0])
    with pytest.raises(ValueError, match="^axis must be an axis of values with at least 2 entries"):
        standard_error(values[:, :1], axis=1)
