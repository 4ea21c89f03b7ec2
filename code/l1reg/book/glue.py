"""What the chapters' notebooks share: their set-up and the glue that feeds the prose.

Every chapter's first code cell calls :func:`setup_chapter`; numbers that the prose
quotes (``{glue:text}`name```) are stored with :func:`glue_numbers`, in a cell tagged
``remove-input`` so the reader of the HTML sees the computation, not the bookkeeping.

``myst_nb`` is imported only when :func:`glue_numbers` runs, so ``import l1reg`` does
not need it.
"""

from __future__ import annotations

import math
import numbers

from l1reg.book import plots
from l1reg.core._validation import Constraint, validate_params

#: Digits after the decimal point of every glued real number that is not an int; numbers
#: smaller than ``10**-GLUE_DIGITS`` (bounds and tolerances such as 1e-7) keep that many
#: significant digits instead, so they are not glued as 0.0.
GLUE_DIGITS = 4


class _Gluable(Constraint):
    """A string, or a finite real number of any kind (a bool, a NumPy scalar), passed through."""

    def check(self, value, name):
        if isinstance(value, str):
            return value
        if not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number or a string, got {type(value).__name__}")
        if not math.isfinite(float(value)):
            raise ValueError(f"{name} must be finite, got {float(value)}")
        return value

    def example(self):
        return 1.0

    def bad_values(self):
        return [None, [1.0], 1j, float("nan")]


class _GlueValues(Constraint):
    """The keywords of :func:`glue_numbers`: Python identifiers, each naming a gluable value."""

    def check(self, values, name):
        for key, value in values.items():
            if not key.isidentifier():
                raise ValueError(f"{name} must have Python identifiers as glue names, got {key!r}")
            _GLUABLE(value, key)
        return values

    def bad_values(self):
        return [{"values": bad} for bad in _GLUABLE.bad_values()] + [{"a b": 1.0}, {"2nd": 1.0}]


_GLUABLE = _Gluable()


def setup_chapter() -> None:
    """What every chapter does first: the book's figure style (:func:`l1reg.book.plots.use_book_style`)."""
    plots.use_book_style()


@validate_params(value=_GLUABLE)
def glue_value(value) -> int | str | float:
    """The value :func:`glue_numbers` stores: one formatting rule for every number.

    Python ints stay ints (a bool becomes 0 or 1), strings stay strings, and every other
    real number (a float, a NumPy scalar of any kind) becomes ``round(float(value), 4)``,
    a Python float: NumPy 2 scalars would make the glue formatter warn. A number smaller
    than 1e-4 in magnitude (a bound such as 1e-7) keeps 4 significant digits instead.
    Non-finite numbers are refused.

    Examples
    --------
    >>> import numpy as np
    >>> glue_value(3), glue_value(True), glue_value("L1"), glue_value(2 / 3), glue_value(np.int64(7))
    (3, 1, 'L1', 0.6667, 7.0)
    >>> glue_value(1e-7), glue_value(-2.345678e-9), glue_value(0.0)
    (1e-07, -2.346e-09, 0.0)
    """
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    value = float(value)
    if value != 0.0 and abs(value) < 10.0**-GLUE_DIGITS:
        return float(f"{value:.{GLUE_DIGITS}g}")
    return round(value, GLUE_DIGITS)


@validate_params(values=_GlueValues())
def glue_numbers(**values) -> None:
    """Glue each value under its keyword's name, for the prose to quote with ``{glue:text}``.

    ``glue_numbers(plain_test=100 * acc, epochs=EPOCHS)`` stores ``plain_test`` and
    ``epochs`` with ``myst_nb.glue(name, value, display=False)``, each value formatted by
    :func:`glue_value`. Build names from the data rather than typing them beside it,
    e.g. ``glue_numbers(**{f"test_{key}": value for key, value in tests.items()})``;
    each must be a Python identifier. A bad name or value is refused before anything
    is glued.
    """
    checked = {name: glue_value(value) for name, value in values.items()}
    from myst_nb import glue  # only the notebooks need it

    for name, value in checked.items():
        glue(name, value, display=False)
