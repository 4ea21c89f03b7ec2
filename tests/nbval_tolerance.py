"""nbval with declared tolerances: text compares exactly, numbers within a tolerance.

nbval compares every stored text output of a notebook with the fresh one, character for
character. That is right for words and for numbers that do not depend on the machine, but
a statistic over chaotic training runs, or a round-off error, moves in its last printed
digits from one CPU to the next. This plugin keeps nbval's comparison and changes one
thing: before nbval compares a cell's outputs, every text output that differs from the
stored one *only in its numbers*, each within the cell's tolerance, is replaced by the
stored text. Anything else (another word, another number of numbers, a number outside
the tolerance) is left for nbval to report, and the report gains a list of the numbers
that are outside, with both values and the allowance.

The numbers are found and compared by pytest-doctestplus's ``OutputChecker`` in its
``FLOAT_CMP`` mode, the maintained float-aware comparator of doctests: it reads real
numbers (``1.55``, ``-0.3``, ``2e-09``, ``nan``) out of the text, checks that the text
around them is the same, and compares each pair with ``numpy.isclose`` (``|got - stored|
<= atol + rtol * |stored|``). Whole numbers without a decimal point or an exponent (a
count, a year) are part of the text and compare exactly.

A cell's tolerance
    Round-off only by default, ``rtol=1e-9`` and ``atol=1e-12``: effectively exact at
    any printed precision. A cell that prints something which legitimately varies across
    CPUs declares a wider tolerance in its metadata, with the reason::

        "metadata": {"tolerance": {"atol": 0.05,
                                   "reason": "a mean over 30 training runs, to 0.01"}}

    ``rtol`` and ``atol`` are optional (each defaults as above, neither may be negative)
    and ``reason`` is required. The cell also ``assert``s the claims the prose draws
    from what it prints, so that a tolerance can never let a claim change unseen.

Ignored outputs
    A cell whose output cannot be compared at all (a wall-clock timing) carries nbval's
    tag ``nbval-ignore-output`` and says why in its metadata, ``"ignore_reason": "..."``;
    a tagged cell without a reason fails.

Pictures inside text
    nbval never compares PNG outputs (their pixels differ with the CPU's anti-aliasing).
    For the same reason a PNG or JPEG embedded in a text output as a ``data:`` URI (the
    frames of a matplotlib animation's HTML) is compared as a placeholder; the rest of
    that text compares as usual.

Loaded by the project's root ``conftest.py`` (``pytest_plugins``); elsewhere run pytest
with ``-p nbval_tolerance`` and this folder on ``PYTHONPATH``.
"""

from __future__ import annotations

import doctest
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from nbval.plugin import IPyNbCell
from pytest_doctestplus.output_checker import FLOAT_CMP, OutputChecker

#: What a cell that declares nothing allows: round-off in the last bits of a double.
DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12
#: The cell metadata key that holds a declaration.
METADATA_KEY = "tolerance"
_KEYS = {"rtol", "atol", "reason"}
#: ``normalize_floats`` would blank whitespace-only lines of the fresh text alone.
_FLAGS = FLOAT_CMP | doctest.DONT_ACCEPT_BLANKLINE
#: At most this many out-of-tolerance numbers are listed per output.
_SHOWN = 10
#: The metadata key that says why a cell tagged ``nbval-ignore-output`` is not compared.
IGNORE_REASON_KEY = "ignore_reason"
_EMBEDDED_IMAGE = re.compile(r"data:image/(png|jpeg);base64,[A-Za-z0-9+/=\\\n]+")  # \ ends a JS line


@dataclass(frozen=True)
class Tolerance:
    """How far a number may move: ``|got - stored| <= atol + rtol * |stored|``."""

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    reason: str = "round-off only (the default)"

    @classmethod
    def from_metadata(cls, metadata) -> Tolerance:
        """The tolerance a cell declares in ``metadata["tolerance"]``, or the default.

        Raises ``ValueError`` naming what is wrong: not a mapping, an unknown key, a
        negative or non-numeric ``rtol``/``atol``, or a missing or empty ``reason``.
        """
        declared = metadata.get(METADATA_KEY)
        if declared is None:
            return cls()
        if not isinstance(declared, dict):
            raise ValueError(f"metadata {METADATA_KEY!r} must be a mapping, got {declared!r}")
        unknown = sorted(set(declared) - _KEYS)
        if unknown:
            raise ValueError(f"metadata {METADATA_KEY!r} has unknown keys {unknown}; "
                             f"allowed: {sorted(_KEYS)}")
        values = {}
        for key, default in (("rtol", DEFAULT_RTOL), ("atol", DEFAULT_ATOL)):
            value = declared.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                    or value < 0:
                raise ValueError(f"metadata {METADATA_KEY!r}: {key} must be a finite number >= 0, "
                                 f"got {value!r}")
            values[key] = float(value)
        reason = declared.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"metadata {METADATA_KEY!r} needs a 'reason': why this cell's numbers "
                             "may vary, in one line")
        return cls(values["rtol"], values["atol"], reason.strip())

    def checker(self) -> OutputChecker:
        checker = ProseChecker()
        checker.rtol, checker.atol = self.rtol, self.atol
        return checker

    def allowed(self, stored: float) -> float:
        return self.atol + self.rtol * abs(stored)

    def __str__(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g} ({self.reason})"


class ProseChecker(OutputChecker):
    """FLOAT_CMP's checker, which also reads a number that ends a clause or a unit.

    doctestplus reads a number only when a space, an operator or a bracket follows it, as
    in a repr; printed prose also puts ``;``, ``:``, ``%``, ``/`` or a quote after one
    (``1e-19;``, ``66.9%``, ``1.5/2.5``, ``'0.25'``). Those numbers would otherwise compare as
    exact text.
    """

    def __init__(self):
        super().__init__()
        exp = r"(?:e[+-]?\d+)"
        floats = rf"\s*([+-]?\d+\.\d*{exp}?|[+-]?\.\d+{exp}?|[+-]?\d+{exp}|nan|[+-]?inf)"
        front = r"\s|[*+,<=(\[/'\"]"  # doctestplus's [*+-,<=(\[] is this: +-, is a range
        back = front + r"|[>j)\]};:%]"
        for name, number in (("num_got_rgx", floats), ("num_want_rgx", floats + r"(\.{3})?")):
            pattern = fr"(^{number}(?={back}|$)|(?<={front}){number}(?={back}|$))"
            setattr(self, name, re.compile(pattern))


def numbers_outside(stored: str, got: str, tolerance: Tolerance) -> list[str] | None:
    """What keeps ``got`` from matching ``stored`` within ``tolerance``, one line each.

    ``None`` when the text around the numbers differs, or the two have different
    numbers of numbers (then only an exact diff helps); an empty list when they match.
    """
    checker = tolerance.checker()
    if checker.num_got_rgx.sub("0.0", stored) != checker.num_got_rgx.sub("0.0", got):
        return None
    wanted = [number.strip() for number in checker.find_numbers(stored)]
    had = [number.strip() for number in checker.find_numbers(got)]
    if len(wanted) != len(had):
        return None
    lines = []
    for i, (want, have) in enumerate(zip(wanted, had, strict=True), 1):
        if not checker.equal_floats(have, want):
            diff = abs(float(have) - float(want))
            lines.append(f"number {i}: stored {want}, got {have} (they differ by {diff:.3g}; "
                         f"the cell allows {tolerance.allowed(float(want)):.3g})")
    return lines


Slot = tuple[Callable[[], object], Callable[[object], None]]


def _slots(outputs, skip) -> dict[str, list[Slot]]:
    """Each compared value of ``outputs`` as a (get, set) pair, grouped by key as nbval does.

    nbval compares stream text under the stream's name and display data under each MIME
    type not in ``skip``, in output order within a key.
    """
    slots: dict[str, list[Slot]] = defaultdict(list)
    for output in outputs:
        if output.get("output_type") == "stream":
            slots[output["name"]].append((lambda o=output: o["text"],
                                          lambda v, o=output: o.__setitem__("text", v)))
        for mime, value in output.get("data", {}).items():
            if mime not in skip and isinstance(value, str):
                slots[mime].append((lambda d=output["data"], m=mime: d[m],
                                    lambda v, d=output["data"], m=mime: d.__setitem__(m, v)))
    return slots


class TolerantCell(IPyNbCell):
    """An nbval cell whose numbers compare within the tolerance its metadata declares."""

    tolerance = Tolerance()

    def runtest(self):
        try:
            self.tolerance = Tolerance.from_metadata(self.cell.metadata)
        except ValueError as err:
            self.raise_cell_error(f"Bad tolerance declaration: {err}")
        ignored = "nbval-ignore-output" in self.cell.metadata.get("tags", [])
        reason = self.cell.metadata.get(IGNORE_REASON_KEY)
        if ignored and not (isinstance(reason, str) and reason.strip()):
            self.raise_cell_error(f"The cell is tagged nbval-ignore-output but its metadata has no "
                                  f"{IGNORE_REASON_KEY!r}: why can its output not be compared?")
        super().runtest()

    def sanitize(self, s):
        s = super().sanitize(s)
        return _EMBEDDED_IMAGE.sub(r"data:image/\1;base64,<image>", s) if isinstance(s, str) else s

    def compare_outputs(self, test, ref, skip_compare=None):
        skip = skip_compare or self.parent.skip_compare
        fresh, stored = _slots(test, skip), _slots(ref, skip)
        checker, outside = self.tolerance.checker(), []
        for key, stored_slots in stored.items():
            fresh_slots = fresh.get(key, [])
            if len(fresh_slots) != len(stored_slots):
                continue  # nbval reports the missing or extra output
            for (get_stored, _), (get_fresh, set_fresh) in zip(stored_slots, fresh_slots, strict=True):
                want, have = self.sanitize(get_stored()), self.sanitize(get_fresh())
                if want == have:
                    continue
                if checker.check_output(want, have, _FLAGS):
                    set_fresh(get_stored())
                else:
                    found = numbers_outside(want, have, self.tolerance)
                    if found:
                        outside.append((key, found))
        same = super().compare_outputs(test, ref, skip_compare)
        if not same and outside:
            self.comparison_traceback.append(f"Numbers outside cell {self.cell_num}'s tolerance, "
                                             f"{self.tolerance}:")
            for key, found in outside:
                self.comparison_traceback.extend(f"  {key}: {line}" for line in found[:_SHOWN])
                if len(found) > _SHOWN:
                    self.comparison_traceback.append(f"  {key}: ... and {len(found) - _SHOWN} more")
        return same


def pytest_collection_modifyitems(items):
    """Every nbval cell becomes a :class:`TolerantCell` (nbval itself is unchanged)."""
    for item in items:
        if type(item) is IPyNbCell:
            item.__class__ = TolerantCell


def pytest_report_header(config):
    if getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False):
        return (f"nbval_tolerance: numbers compare within each cell's metadata {METADATA_KEY!r} "
                f"(default rtol={DEFAULT_RTOL:g}, atol={DEFAULT_ATOL:g})")
    return None
