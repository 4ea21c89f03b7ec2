"""The notebooks' helpers: the chapter set-up and the glue with one formatting rule."""

import math
import sys
import types

import matplotlib.pyplot as plt
import numpy as np
import pytest

from l1reg import book
from l1reg.book import plots


@pytest.fixture
def glued(monkeypatch):
    """Replace myst_nb.glue by a recorder; returns the list of (name, value, display) calls."""
    calls = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: calls.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    return calls


def test_glue_numbers_glues_each_keyword_without_display(glued):
    book.glue_numbers(epochs=100, test_acc=np.float64(67.49999), label="L1", ratio=2 / 3)
    assert glued == [("epochs", 100, False), ("test_acc", 67.5, False), ("label", "L1", False),
                     ("ratio", 0.6667, False)]
    assert type(glued[1][1]) is float  # a Python float, not a NumPy scalar


def test_the_one_formatting_rule():
    assert book.glue_value(7) == 7 and type(book.glue_value(7)) is int
    assert book.glue_value(True) == 1 and type(book.glue_value(True)) is int
    assert book.glue_value(np.int64(7)) == 7.0 and type(book.glue_value(np.int64(7))) is float
    assert book.glue_value(np.float32(0.1)) == 0.1
    assert book.glue_value(1.23456) == 1.2346
    # what the chapters' glue_number(name, value) stored: round(float(value), 4)
    for value in (0.0, -3.14159265, 1e-4, 123456.789012, np.float64(5 / 7)):
        assert book.glue_value(value) == round(float(value), 4)


def test_names_can_be_built_from_the_data(glued):
    tests = {"plain": 0.55, "l1": 0.675}
    book.glue_numbers(**{f"{key}_test": 100 * value for key, value in tests.items()})
    assert [name for name, _, _ in glued] == ["plain_test", "l1_test"]


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, np.float32("nan")])
def test_non_finite_numbers_are_refused_naming_the_glue_name(glued, value):
    with pytest.raises(ValueError, match="^best_test must be finite"):
        book.glue_numbers(fine=1.0, best_test=value)
    assert glued == []  # nothing glued when one value is bad


@pytest.mark.parametrize("value", [None, [1.0], 1j, np.array([1.0, 2.0])])
def test_non_numbers_are_refused_naming_the_glue_name(glued, value):
    with pytest.raises(TypeError, match="^x must be a real number or a string"):
        book.glue_numbers(x=value)


@pytest.mark.parametrize("name", ["best-test", "2nd", "a b", ""])
def test_names_must_be_identifiers(glued, name):
    with pytest.raises(ValueError, match="^values must have Python identifiers as glue names, got"):
        book.glue_numbers(**{name: 1.0})
    assert glued == []


def test_importing_l1reg_does_not_import_myst_nb():
    import subprocess

    code = "import sys, l1reg, l1reg.book; print('myst_nb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_setup_chapter_sets_the_book_style():
    plt.rcdefaults()
    book.setup_chapter()
    assert plt.rcParams["axes.grid"] is True
    assert plt.rcParams["axes.prop_cycle"].by_key()["color"] == list(plots.PALETTE.values())
    plt.rcdefaults()


def test_numbers_below_the_rounding_keep_four_significant_digits():
    assert book.glue_value(1e-16) == 1e-16  # a bound glued as 0.0 would be a wrong number
    assert book.glue_value(3.14159e-5) == 3.142e-05
    assert book.glue_value(-0.00012345) == -0.0001  # at or above 1e-4: four decimals
