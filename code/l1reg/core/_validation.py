"""Argument checks shared by the public functions of l1reg.

Every check names the argument it rejects and says what was expected, so a reader
sees ``ValueError: lr must be a positive finite number, got -0.01`` instead of a
NumPy traceback from deep inside the training loop. The checks are declared in
argument tables (:func:`validate_params`), one constraint per argument, and run once,
at the public boundary; the maths below it checks nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import numbers
import re
from collections.abc import Mapping, Sequence

import numpy as np

#: The largest count a NumPy size or index can hold (2**63 - 1).
_MAX_COUNT = 2**63 - 1


def check_real(value, name: str, *, minimum: float | None = None, strict: bool = False,
               allow_inf: bool = False) -> float:
    """Return ``value`` as a float; it must be finite (or infinite, if ``allow_inf``), not NaN,
    and at least (or above) ``minimum``."""
    if type(value) is not float:  # a float, the common case, needs no conversion
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
        try:
            value = float(value)
        except OverflowError:  # a Python int beyond float64's range
            raise ValueError(f"{name} must be finite, got an int of {len(str(abs(value)))} digits") from None
    if math.isnan(value) or (not allow_inf and math.isinf(value)):
        raise ValueError(f"{name} must be {'a number (not NaN)' if allow_inf else 'finite'}, got {value}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        kind = "a number" if allow_inf else "a finite number"
        raise ValueError(f"{name} must be {kind} {'>' if strict else '>='} {minimum:g}, got {value:g}")
    return value


def check_rng(seed, name: str = "seed") -> np.random.Generator:
    """Turn an int seed or a ``np.random.Generator`` into a Generator.

    ``None`` is refused on purpose: every random draw in the book must be repeatable.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{name} must be an int or a numpy.random.Generator, got {type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative int, got {seed}")
    return np.random.default_rng(int(seed))


FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def check_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as ``np.dtype('float64')`` or ``np.dtype('float32')``, or raise."""
    # np.dtype(None) is float64, so None is refused by hand, as everywhere in l1reg
    if dtype is not None:
        try:
            resolved = np.dtype(dtype)
        except TypeError:
            pass
        else:
            if any(resolved == allowed for allowed in FLOAT_DTYPES):
                return resolved
    raise ValueError(f"{name} must be numpy.float64 or numpy.float32, got {dtype!r}")


def check_matrix(x, name: str, *, n_columns: int | None = None, dtype=np.float64) -> np.ndarray:
    """Return ``x`` as a 2-D float array (float64 unless ``dtype`` says float32) with finite values."""
    try:
        complex_values = np.iscomplexobj(x)
        arr = None if complex_values else np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as err:  # strings, ragged lists, ints beyond float64
        raise TypeError(f"{name} must be a 2-D array of numbers: {err}") from None
    if complex_values:
        raise TypeError(f"{name} must hold real numbers, got complex values")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (items x features), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one item, got shape {arr.shape}")
    if n_columns is not None and arr.shape[1] != n_columns:
        raise ValueError(f"{name} must have {n_columns} columns, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold only finite values (no NaN or inf)")
    return to_float_dtype(arr, name, dtype)


def to_float_dtype(arr: np.ndarray, name: str, dtype) -> np.ndarray:
    """``arr`` (finite float64) in ``dtype``; refuses values too large for float32."""
    if dtype == np.float64:
        return arr
    if arr.size and np.max(np.abs(arr)) > np.finfo(dtype).max:
        raise ValueError(f"{name} must hold values within float32's range (|value| <= 3.4e38)")
    return arr.astype(dtype)


def check_one_hot(t, name: str, *, n_columns: int, n_rows: int, dtype=np.float64) -> np.ndarray:
    """Return ``t`` as a one-hot matrix (float64 or ``dtype``): each row all 0 but for a single 1."""
    arr = check_matrix(t, name, n_columns=n_columns, dtype=dtype)
    if arr.shape[0] != n_rows:
        raise ValueError(f"{name} must have {n_rows} rows (one per input item), got {arr.shape[0]}")
    is_binary = np.all((arr == 0.0) | (arr == 1.0))
    if not is_binary or not np.all(arr.sum(axis=1) == 1.0):
        raise ValueError(f"{name} must be one-hot: each row all 0 except a single 1")
    return arr


def check_values(values, name: str) -> np.ndarray:
    """Return ``values`` as a new float64 array of finite reals (a copy), or raise naming ``name``."""
    try:
        arr = np.asarray(values)
    except ValueError:  # ragged nested lists
        arr = np.asarray(values, dtype=object)
    if arr.dtype.kind not in "iuf":  # refuses bools, complex numbers, strings, objects
        raise TypeError(f"{name} must be a real number or an array of real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold only finite values (no NaN or inf)")
    return arr


# --- declared constraints: each public function states its arguments' rules once -----
#
# As scikit-learn's ``utils/_param_validation.py`` does: a table maps each argument to
# a constraint, a decorator checks (and converts) every argument against the table
# before the body runs, and the maths below the boundary checks nothing. The tables
# are data, so tests/test_param_tables.py generates the bad-input cases from them.


class InvalidParameterError(ValueError, TypeError):
    """An argument broke its declared constraint; the message starts with its name.

    A subclass of both ``ValueError`` and ``TypeError``, as scikit-learn's is, so code
    that catches either still catches it.
    """


class Constraint:
    """One argument's rule: ``constraint(value, name)`` returns the value, converted, or raises.

    ``example()`` gives a value that passes and ``bad_values()`` values that must be
    refused: the generated tests call every declared function with them.
    """

    def __call__(self, value, name: str):
        try:
            return self.check(value, name)
        except InvalidParameterError:
            raise
        except (TypeError, ValueError) as err:
            raise InvalidParameterError(str(err)) from None

    def check(self, value, name: str):  # pragma: no cover - every constraint overrides it
        raise NotImplementedError

    def example(self):
        raise NotImplementedError(f"{type(self).__name__} has no example value")

    def bad_values(self) -> list:
        return []

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({settings})"


def _because(why: str | None) -> str:
    """A constraint's reason, for its message: `` (why)``, or nothing."""
    return f" ({why})" if why else ""


class Int(Constraint):
    """A whole number >= ``minimum`` (not a bool), returned as ``int``.

    ``why``, if given, says in the message why the minimum is what it is.
    """

    def __init__(self, minimum: int = 1, *, why: str | None = None) -> None:
        self.minimum, self.why = minimum, why

    def check(self, value, name):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < self.minimum:
            what = "a positive int" if self.minimum == 1 else f"an int >= {self.minimum}"
            raise ValueError(f"{name} must be {what}{_because(self.why)}, got {value}")
        if value > _MAX_COUNT:  # a NumPy size or index cannot be larger
            raise ValueError(f"{name} must be at most {_MAX_COUNT} (2**63 - 1), got {value}")
        return int(value)

    def example(self):
        return max(self.minimum, 1)

    def bad_values(self):
        return [self.minimum - 1, 2.5, True, "3", None]


class Real(Constraint):
    """A finite real >= ``minimum`` (> if ``strict``) and <= ``maximum``, returned as float.

    With ``allow_inf``, an infinity within those bounds passes too (NaN never does).
    """

    def __init__(self, minimum: float | None = None, *, strict: bool = False,
                 maximum: float | None = None, allow_inf: bool = False) -> None:
        self.minimum, self.strict, self.maximum, self.allow_inf = minimum, strict, maximum, allow_inf

    def check(self, value, name):
        value = check_real(value, name, minimum=self.minimum, strict=self.strict, allow_inf=self.allow_inf)
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{name} must be a finite number <= {self.maximum:g}, got {value:g}")
        return value

    def example(self):
        low = 0.0 if self.minimum is None else self.minimum
        high = low + 1.0 if self.maximum is None else self.maximum
        return (low + high) / 2 if self.strict or self.maximum is not None else low + 0.5

    def bad_values(self):
        bad = [float("nan"), "0.1", True, None] + ([] if self.allow_inf else [float("inf")])
        if self.minimum is not None:
            bad.append(self.minimum - 1.0 if not self.strict else self.minimum)
        if self.maximum is not None:
            bad.append(self.maximum + 1.0)
        return bad


class Flag(Constraint):
    """``True`` or ``False`` (NumPy's bool too), returned as ``bool``."""

    def check(self, value, name):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
        return bool(value)

    def example(self):
        return True

    def bad_values(self):
        return [1, "yes", None]


class Seed(Constraint):
    """An int >= 0 or a ``numpy.random.Generator``, returned as a Generator."""

    def check(self, value, name):
        return check_rng(value, name)

    def example(self):
        return 0

    def bad_values(self):
        return [None, -1, 1.5, "0"]


class FloatDType(Constraint):
    """``numpy.float64`` or ``numpy.float32`` (or their names), returned as a ``numpy.dtype``."""

    def check(self, value, name):
        return check_float_dtype(value, name)

    def example(self):
        return np.float64

    def bad_values(self):
        return [None, np.int32, "float16"]


class Options(Constraint):
    """One of a fixed set of values (strings, as a rule)."""

    def __init__(self, *options) -> None:
        self.options = options

    def check(self, value, name):
        if not any(value is option or (type(value) is type(option) and value == option)
                   for option in self.options):
            raise ValueError(f"{name} must be one of {list(self.options)}, got {value!r}")
        return value

    def example(self):
        return self.options[0]

    def bad_values(self):
        return ["no such option", None, 3]


class Instance(Constraint):
    """An instance of ``types`` (described as ``what`` in the message), passed through."""

    def __init__(self, types, what: str, example=None) -> None:
        self.types, self.what, self._example = types, what, example

    def check(self, value, name):
        if not isinstance(value, self.types):
            raise TypeError(f"{name} must be {self.what}, got {type(value).__name__}")
        return value

    def example(self):
        if self._example is None:
            raise NotImplementedError(f"Instance({self.what}) has no example value")
        return self._example()

    def bad_values(self):
        return [bad for bad in (object(), "text", 3) if not isinstance(bad, self.types)]


class HasMethods(Constraint):
    """Any object with the named methods (duck typing, as a Keras callback is)."""

    def __init__(self, methods: tuple[str, ...], what: str, example=None) -> None:
        self.methods, self.what, self._example = tuple(methods), what, example

    def check(self, value, name):
        if not all(callable(getattr(value, m, None)) for m in self.methods):
            raise TypeError(f"{name} must be {self.what}, got {type(value).__name__}")
        return value

    def example(self):
        if self._example is None:
            raise NotImplementedError(f"HasMethods({self.what}) has no example value")
        return self._example()

    def bad_values(self):
        return [object(), 3]


class Optional(Constraint):
    """``None``, or a value that passes ``constraint``."""

    def __init__(self, constraint: Constraint) -> None:
        self.constraint = constraint

    def __call__(self, value, name):
        return None if value is None else self.constraint(value, name)

    def example(self):
        return self.constraint.example()

    def bad_values(self):
        return [b for b in self.constraint.bad_values() if b is not None]


class AnyOf(Constraint):
    """A value that passes one of ``constraints``, converted by the first it passes.

    ``what`` describes the union in the message. When a value gets inside one of the
    alternatives and fails there (``seed[2]`` of a list of seeds), that more precise
    message is the one raised.

    >>> seed = AnyOf(Seed(), ListOf(Seed()), what="a seed or a list of seeds")
    >>> seed([0, -1], "seed")
    Traceback (most recent call last):
    ...
    l1reg.core._validation.InvalidParameterError: seed[1] must be a non-negative int, got -1
    """

    def __init__(self, *constraints: Constraint, what: str) -> None:
        self.constraints, self.what = constraints, what

    def check(self, value, name):
        for constraint in self.constraints:
            try:
                return constraint(value, name)
            except InvalidParameterError as err:
                if str(err).startswith(f"{name}["):  # an item of a container failed: say which
                    raise
        raise ValueError(f"{name} must be {self.what}, got {_describe(value)}")

    def example(self):
        return self.constraints[0].example()

    def bad_values(self):
        candidates = [b for c in self.constraints for b in c.bad_values()]
        return [b for b in candidates if not self._passes(b)]

    def _passes(self, value) -> bool:
        try:
            self(value, "value")
        except InvalidParameterError:
            return False
        return True


def _describe(value) -> str:
    """A value for a message: its repr if short, else its type."""
    text = repr(value)
    return text if len(text) <= 40 else type(value).__name__


class ListOf(Constraint):
    """A non-empty list or tuple (a 1-D array too) whose items each pass ``item``.

    The items are named ``name[i]`` in messages; returns a list of the converted items.
    With ``length``, it must hold exactly that many; with ``ravel``, an array of any shape
    is taken item by item in row-major order (a grid of matplotlib Axes, say).
    """

    def __init__(self, item: Constraint, *, what: str = "a list", allow_empty: bool = False,
                 length: int | None = None, ravel: bool = False) -> None:
        self.item, self.what, self.allow_empty = item, what, allow_empty
        self.length, self.ravel = length, ravel

    def check(self, value, name):
        if isinstance(value, np.ndarray) and (value.ndim == 1 or self.ravel):
            value = value.ravel().tolist()
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise TypeError(f"{name} must be {self.what}, got {type(value).__name__}")
        if not value and not self.allow_empty:
            raise ValueError(f"{name} must hold at least one item, got an empty {type(value).__name__}")
        if self.length is not None and len(value) != self.length:
            raise ValueError(f"{name} must be {self.what} ({self.length} items), got {len(value)}")
        return [self.item(v, f"{name}[{i}]") for i, v in enumerate(value)]

    def example(self):
        return [self.item.example() for _ in range(self.length or 1)]

    def bad_values(self):
        bad = ["text", 3]
        if not self.allow_empty:
            bad.append([])
        if self.length is not None:
            bad.append(self.example() + self.example()[:1])
        return bad + [[b] * (self.length or 1) for b in self.item.bad_values()[:2]]


class Tuple(Constraint):
    """A list or tuple of exactly ``len(items)`` values, the ``i``-th passing ``items[i]``.

    A pair ``(x_test, t_test)``, say; the values are named ``name[i]`` in messages and
    returned, converted, as a tuple.
    """

    def __init__(self, *items: Constraint, what: str) -> None:
        self.items, self.what = items, what

    def check(self, value, name):
        if not isinstance(value, (list, tuple)) or len(value) != len(self.items):
            got = f"a {type(value).__name__} of {len(value)}" if isinstance(value, (list, tuple)) \
                else type(value).__name__
            raise ValueError(f"{name} must be {self.what}, got {got}")
        pairs = zip(self.items, value, strict=True)
        return tuple(item(v, f"{name}[{i}]") for i, (item, v) in enumerate(pairs))

    def example(self):
        return tuple(item.example() for item in self.items)

    def bad_values(self):
        return ["text", 3, self.example()[:1], self.example() * 2]


class Matrix(Constraint):
    """A 2-D array of finite reals with at least one row, returned as float64 (or ``dtype``).

    Whether its columns fit a network is a question about two arguments, asked in the
    function's body.
    """

    def __init__(self, dtype=np.float64) -> None:
        self.dtype = dtype

    def check(self, value, name):
        return check_matrix(value, name, dtype=self.dtype)

    def example(self):
        return np.ones((2, 2))

    def bad_values(self):
        return [np.ones(3), np.ones((0, 2)), [[1.0, float("nan")]], "text", None]


class Values(Constraint):
    """A real number or an array of finite reals, returned as a new float64 array (a copy).

    With ``minimum``, every value must be at least (or, if ``strict``, above) it.
    """

    def __init__(self, minimum: float | None = None, *, strict: bool = False) -> None:
        self.minimum, self.strict = minimum, strict

    def check(self, value, name):
        arr = check_values(value, name)
        if self.minimum is not None:
            low = arr <= self.minimum if self.strict else arr < self.minimum
            if np.any(low):
                bound = f"{'>' if self.strict else '>='} {self.minimum:g}"
                raise ValueError(f"{name} must hold numbers {bound}, got {arr.tolist()!r}")
        return arr

    def example(self):
        return np.ones(2) if self.minimum is None else np.full(2, self.minimum + 1.0)

    def bad_values(self):
        bad = [[float("nan")], "text", None, [1 + 2j]]
        if self.minimum is not None:
            bad.append([self.minimum if self.strict else self.minimum - 1.0])
        return bad


class Anything(Constraint):
    """No rule at the boundary; ``why`` says where the argument is checked instead.

    For an argument whose check needs another argument (items that must fit a network):
    the function's body asks that question.
    """

    def __init__(self, why: str, example=None) -> None:
        self.why, self._example = why, example

    def check(self, value, name):
        return value

    def example(self):
        if self._example is None:
            raise NotImplementedError(f"Anything({self.why!r}) has no example value")
        return self._example()


class Array(Constraint):
    """A NumPy array of finite reals, of ints (``kind="int"``) or of booleans (``kind="bool"``).

    With ``ndim``, it must have that many axes; it must hold at least ``min_size``
    entries. Returned as float64, int64 or bool (no copy if it already is one). With
    ``allow_inf``, real values may be infinite (a record of errors, say); NaN never passes.
    """

    KINDS = {"real": ("iuf", np.float64, "real numbers"), "int": ("iu", np.int64, "ints"),
             "bool": ("b", np.bool_, "booleans")}

    def __init__(self, kind: str = "real", *, ndim: int | None = None, min_size: int = 1,
                 allow_inf: bool = False, allow_nan: bool = False) -> None:
        self.kind, self.ndim, self.min_size, self.allow_inf = kind, ndim, min_size, allow_inf
        self.allow_nan = allow_nan

    def check(self, value, name):
        accepted, dtype, noun = self.KINDS[self.kind]
        try:
            arr = np.asarray(value)
        except ValueError:  # ragged nested lists
            arr = np.asarray(value, dtype=object)
        if arr.size == 0 and arr.dtype.kind == "f":  # np.asarray([]) is float64, also for no ints
            arr = arr.astype(dtype)
        if arr.dtype.kind not in accepted:
            raise TypeError(f"{name} must be an array of {noun}, got dtype {arr.dtype}")
        if self.ndim is not None and arr.ndim != self.ndim:
            raise ValueError(f"{name} must be {self.ndim}-D, got shape {arr.shape}")
        if arr.size < self.min_size:
            values = "value" if self.min_size == 1 else "values"
            raise ValueError(f"{name} must hold at least {self.min_size} {values}, got {arr.size}")
        arr = arr.astype(dtype, copy=False)
        if self.kind == "real" and self.allow_nan:
            if not self.allow_inf and np.any(np.isinf(arr)):
                raise ValueError(f"{name} must hold no infinite values")
            return arr
        if self.kind == "real" and self.allow_inf and np.any(np.isnan(arr)):
            raise ValueError(f"{name} must hold numbers (no NaN)")
        if self.kind == "real" and not self.allow_inf and not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must hold only finite values (no NaN or inf)")
        return arr

    def example(self):
        shape = (max(self.min_size, 1),) + (1,) * ((self.ndim or 1) - 1)
        return np.zeros(shape, dtype=self.KINDS[self.kind][1])

    def bad_values(self):
        example = self.example()
        bad = ["text", None, {"real": [True], "int": [0.5], "bool": [1]}[self.kind]]
        if self.kind == "real" and not self.allow_nan:
            bad.append(np.full(example.shape, np.nan))
        if self.ndim is not None:
            bad.append(example[np.newaxis])
        if self.min_size > 0:
            bad.append(example[:0])
        return bad


class Probability(Constraint):
    """A finite real in [0, 1), or in (0, 1) if ``strict``, returned as float.

    A rate or a share that stops short of certainty: a dropout rate, the share of
    labels flipped, an interval's confidence.
    """

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict

    def check(self, value, name):
        value = check_real(value, name, minimum=0.0, strict=self.strict)
        if value >= 1.0:
            low = "(0" if self.strict else "[0"
            raise ValueError(f"{name} must be a probability in {low}, 1), got {value:g}")
        return value

    def example(self):
        return 0.5

    def bad_values(self):
        return [1.0, -0.1, float("nan"), "0.5", True, None] + ([0.0] if self.strict else [])


class MappingOf(Constraint):
    """A non-empty dict (any mapping) from labels (strings) to values that each pass ``item``.

    The values are named ``name['label']`` in messages; returns a dict of the converted
    values, in the mapping's order (a plot's legend order, as a rule).
    """

    def __init__(self, item: Constraint, *, what: str = "a dict of labels to values",
                 allow_empty: bool = False) -> None:
        self.item, self.what, self.allow_empty = item, what, allow_empty

    def check(self, value, name):
        if not isinstance(value, Mapping):
            raise TypeError(f"{name} must be {self.what}, got {type(value).__name__}")
        if not value and not self.allow_empty:
            raise ValueError(f"{name} must hold at least one item, got an empty {type(value).__name__}")
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"{name} must have strings as keys (labels), got {key!r}")
        return {key: self.item(v, f"{name}[{key!r}]") for key, v in value.items()}

    def example(self):
        return {"label": self.item.example()}

    def bad_values(self):
        bad = ["text", 3, {1: self.item.example()}]
        if not self.allow_empty:
            bad.append({})
        return bad + [{"label": b} for b in self.item.bad_values()[:2]]


class Text(Constraint):
    """A string with a character other than white space, passed through; with ``pattern``,
    one that the regular expression matches whole."""

    def __init__(self, pattern: str | None = None, what: str = "a non-blank string",
                 example: str = "text") -> None:
        self.pattern, self.what, self._example = pattern, what, example

    def check(self, value, name):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be {self.what}, got {type(value).__name__}")
        if not value.strip() or (self.pattern is not None and re.fullmatch(self.pattern, value) is None):
            raise ValueError(f"{name} must be {self.what}, got {value!r}")
        return value

    def example(self):
        return self._example

    def bad_values(self):
        return [None, 3, "", "   "]


class RealArray(Constraint):
    """An array of real numbers with at least ``ndim`` axes and at least one entry, its dtype kept.

    For the inputs of the maths (outputs, targets, sums, weights): unlike :class:`Array`,
    float32 stays float32 (whole numbers become float64), and NaN or inf pass unless
    ``finite``. ``what`` describes the array in messages, and ``why``, if given, follows
    a wrong shape's message as a hint. With ``allow_empty``, an array with no entries
    passes too (the maths maps it to another empty array).
    """

    def __init__(self, ndim: int = 0, *, finite: bool = False, what: str | None = None,
                 why: str | None = None, allow_empty: bool = False) -> None:
        self.ndim, self.finite, self.why, self.allow_empty = ndim, finite, why, allow_empty
        size = "an array" if allow_empty else "a non-empty array"
        self.what = what or (size if ndim == 0 else f"{size} of at least {ndim}-D")

    def check(self, value, name):
        try:
            arr = np.asarray(value)
        except ValueError as err:  # ragged nested lists
            raise ValueError(f"{name} must be a rectangular array of numbers: {err}") from None
        if arr.dtype.kind not in "iuf":  # refuses bools, complex numbers, strings, objects
            raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
        if arr.ndim < self.ndim or (arr.size == 0 and not self.allow_empty):
            hint = f"; {self.why}" if self.why else ""
            raise ValueError(f"{name} must be {self.what}, got shape {arr.shape}{hint}")
        if self.finite and not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must hold only finite values (no NaN or inf)")
        return arr.astype(np.float64) if arr.dtype.kind in "iu" else arr

    def example(self):
        return np.ones((2,) * max(self.ndim, 1))

    def bad_values(self):
        bad = ["text", None, [True, False]]
        if not self.allow_empty:
            bad.append(np.ones((0,) * max(self.ndim, 1)))
        if self.ndim > 0:
            bad.append(np.ones((2,) * (self.ndim - 1)))
        if self.finite:
            bad.append(np.full((2,) * max(self.ndim, 1), np.nan))
        return bad


class SlotAttribute:
    """An attribute kept in the instance's ``_name`` and read from there; subclasses say
    what setting it does (check it, or refuse it)."""

    def __set_name__(self, owner, name: str) -> None:
        self.name, self.slot = name, "_" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return getattr(obj, self.slot)


class Strength(SlotAttribute):
    """An attribute holding a finite number >= 0 (> 0 if ``strict``), checked whenever it is set.

    ``L1(0.1).lam = -5`` raises as ``L1(-5)`` does, instead of training with it. With
    ``columns=True`` a column of such numbers is accepted too (replicas x 1: the
    stacked settings of an update rule, one per network of a stack). The value lives
    in the attribute ``_name``, where a constructor whose table has checked it stores it.
    """

    def __init__(self, *, strict: bool = False, columns: bool = False) -> None:
        self.strict, self.columns = strict, columns
        self.number = Real(0.0, strict=strict)

    def __set__(self, obj, value) -> None:
        if self.columns and isinstance(value, np.ndarray) and value.ndim > 0:
            value = self._column(value)
        else:
            value = self.number(value, self.name)
        setattr(obj, self.slot, value)

    def _column(self, value: np.ndarray) -> np.ndarray:
        bound = "> 0" if self.strict else ">= 0"
        if value.ndim != 2 or value.shape[1] != 1:
            raise InvalidParameterError(f"{self.name} must be a number, or a column of numbers (one per "
                                        f"network of a stack, replicas x 1), got shape {value.shape}")
        ok = value.dtype.kind == "f" and np.all(np.isfinite(value))
        if not (ok and bool(np.all(value > 0.0) if self.strict else np.all(value >= 0.0))):
            raise InvalidParameterError(f"{self.name} must hold finite numbers {bound}")
        return value


# --- the decorator ----------------------------------------------------------------------


def validate_params(**table: Constraint):
    """Check (and convert) a function's arguments against ``table`` before it runs.

    Every parameter of the function except ``self`` must be declared, so a new
    argument cannot slip past the boundary unchecked; ``Anything(why)`` declares one
    that is checked elsewhere. Every argument the body receives has passed its
    constraint, defaults included: the body sees one kind of value (an int seed or a
    Generator both arrive as a Generator). The table is kept as
    ``func.parameter_constraints``, the unchecked function as ``func.__wrapped__``.

    >>> @validate_params(n=Int(), lr=Real(0.0, strict=True))
    ... def train(n, lr=1):
    ...     return n * lr
    >>> train(3)
    3.0
    >>> train(0)
    Traceback (most recent call last):
    ...
    l1reg.core._validation.InvalidParameterError: n must be a positive int, got 0
    """
    def decorate(func):
        return _checked(func, table)

    return decorate


def _shareable(value) -> bool:
    """True for a converted default that calls may share: nothing in it can change."""
    if isinstance(value, tuple):
        return all(_shareable(v) for v in value)
    return isinstance(value, (bool, int, float, str, bytes, type(None), np.dtype, np.generic, type))


def _checked(func, table: dict, factories: frozenset = frozenset()):
    """``func`` behind the checks of ``table``; ``factories`` names dataclass fields whose
    default comes from a factory (the dataclass makes it; nothing to check).

    The signature is read once, here: each call maps its positional arguments by
    index and its keywords by name, and fills the defaults, already converted where a
    converted default can be shared (a number, a string, a dtype), converted afresh
    where it cannot (a Generator from an int seed, a list).
    """
    params = inspect.signature(func).parameters
    names = [p for p in params if p != "self"]
    missing, extra = set(names) - set(table), set(table) - set(names)
    if missing or extra:
        raise TypeError(f"validate_params on {func.__qualname__}: undeclared parameters "
                        f"{sorted(missing)}, unknown ones {sorted(extra)}")
    kinds = {p.kind for p in params.values()}
    if inspect.Parameter.POSITIONAL_ONLY in kinds or inspect.Parameter.VAR_POSITIONAL in kinds:
        raise TypeError(f"validate_params on {func.__qualname__}: positional-only and *args "
                        "parameters are not supported")
    positional = [name for name, p in params.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    by_position = [(i, name, table[name]) for i, name in enumerate(positional) if name in table]
    position = {name: i for i, name in enumerate(positional)}
    by_keyword = {name: table[name] for name, p in params.items()
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name in table}
    var_keyword = next((name for name, p in params.items() if p.kind is p.VAR_KEYWORD), None)
    defaults = _defaults(params, table, factories, position)

    @functools.wraps(func)
    def checked(*args, **kwargs):
        n = len(args)
        if by_position and n:
            args = list(args)
            for i, name, constraint in by_position:
                if i >= n:
                    break
                args[i] = constraint(args[i], name)
        given, rest = {}, {}
        for name, value in kwargs.items():
            constraint = by_keyword.get(name)
            if constraint is None:
                rest[name] = value  # **kwargs, or a name the function refuses itself
            else:
                given[name] = constraint(value, name)
        for name, index, constraint, default, shared in defaults:
            if name not in given and (index is None or index >= n):
                given[name] = constraint(default, name) if shared is _UNSHARED else shared
        if var_keyword is not None:
            rest = table[var_keyword](rest, var_keyword)
        return func(*args, **given, **rest)

    checked.parameter_constraints = dict(table)
    return checked


_UNSHARED = object()  # a default converted afresh at every call


def _defaults(params, table: dict, factories: frozenset, position: dict) -> list[tuple]:
    """For each parameter with a default: its name, its position (None if keyword-only), its
    constraint, the default, and the default converted if calls may share it (else ``_UNSHARED``)."""
    defaults = []
    for name, p in params.items():
        if p.default is p.empty or name not in table or name in factories:
            continue
        try:
            converted = table[name](p.default, name)
        except InvalidParameterError:  # a bad default: every call that needs it raises
            converted = _UNSHARED
        shared = converted if converted is not _UNSHARED and _shareable(converted) else _UNSHARED
        defaults.append((name, position.get(name), table[name], p.default, shared))
    return defaults


def validate_fields(**table: Constraint):
    """``validate_params`` for a dataclass: a table for the ``__init__`` it generates.

    Written above ``@dataclass``, so that it receives the finished class. A field with a
    ``default_factory`` gets its default from the factory, unchecked.

    >>> from dataclasses import dataclass
    >>> @validate_fields(n=Int(), lr=Real(0.0, strict=True))
    ... @dataclass
    ... class Settings:
    ...     n: int
    ...     lr: float = 0.1
    >>> Settings(3)
    Settings(n=3, lr=0.1)
    >>> Settings(3, lr=0)
    Traceback (most recent call last):
    ...
    l1reg.core._validation.InvalidParameterError: lr must be a finite number > 0, got 0
    """
    def decorate(cls):
        factories = frozenset(f.name for f in dataclasses.fields(cls)
                              if f.default_factory is not dataclasses.MISSING)
        cls.__init__ = _checked(cls.__init__, table, factories)
        return cls

    return decorate


def unchecked(cls, *args, **kwargs):
    """An instance of ``cls`` built without its table's checks.

    For a caller that has checked every argument itself, against the same rules:
    :func:`l1reg.fit` building its training run, say.
    """
    obj = cls.__new__(cls)
    cls.__init__.__wrapped__(obj, *args, **kwargs)
    return obj
