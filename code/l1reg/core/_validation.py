"""Argument checks shared by the public functions of l1reg.

Every check names the argument it rejects and says what was expected, so a reader
sees ``ValueError: lr must be a positive finite number, got -0.01`` instead of a
NumPy traceback from deep inside the training loop.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import re
from collections.abc import Mapping, Sequence

import numpy as np


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int, or raise if it is not a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    if value > _MAX_COUNT:  # a NumPy size or index cannot be larger
        raise ValueError(f"{name} must be at most {_MAX_COUNT} (2**63 - 1), got {value}")
    return int(value)


_MAX_COUNT = 2**63 - 1


def check_real(value, name: str, *, minimum: float | None = None, strict: bool = False) -> float:
    """Return ``value`` as a float; it must be finite and at least (or above) ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        value = float(value)
    except OverflowError:  # a Python int beyond float64's range
        raise ValueError(f"{name} must be finite, got an int of {len(str(abs(value)))} digits") from None
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if strict and value <= minimum:
            raise ValueError(f"{name} must be a finite number > {minimum:g}, got {value:g}")
        if not strict and value < minimum:
            raise ValueError(f"{name} must be a finite number >= {minimum:g}, got {value:g}")
    return value


def check_strengths(values, name: str = "lams") -> list[float]:
    """A non-empty list (or 1-d array) of penalty strengths, each a finite real >= 0.

    >>> check_strengths([0, 0.5])
    [0.0, 0.5]
    """
    if isinstance(values, np.ndarray) and values.ndim == 1:
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a list of penalty strengths, got {type(values).__name__}")
    if len(values) == 0:
        raise ValueError(f"{name} must hold at least one penalty strength, got an empty list")
    return [check_real(value, f"{name}[{i}]", minimum=0.0) for i, value in enumerate(values)]


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
    """Return ``values`` as a float64 array of finite reals, or raise naming ``name``."""
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


class Strength:
    """An attribute holding a finite number >= 0 (> 0 if ``strict``), checked whenever it is set.

    ``L1(0.1).lam = -5`` raises as ``L1(-5)`` does, instead of training with it. With
    ``columns=True`` an array of such numbers is accepted too (one per replica: the
    stacked settings of an update rule).
    """

    def __init__(self, *, strict: bool = False, columns: bool = False) -> None:
        self.strict, self.columns = strict, columns

    def __set_name__(self, owner, name: str) -> None:
        self.name, self.slot = name, "_" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return getattr(obj, self.slot)

    def __set__(self, obj, value) -> None:
        if self.columns and isinstance(value, np.ndarray) and value.ndim > 0:
            ok = value.dtype.kind == "f" and np.all(np.isfinite(value))
            ok = ok and bool(np.all(value > 0.0) if self.strict else np.all(value >= 0.0))
            if not ok:
                raise ValueError(f"{self.name} must hold finite numbers {'>' if self.strict else '>='} 0")
        else:
            value = check_real(value, self.name, minimum=0.0, strict=self.strict)
        setattr(obj, self.slot, value)


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

    ``examples()`` gives a value that passes and ``bad_values()`` values that must be
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


class Int(Constraint):
    """A whole number >= ``minimum`` (not a bool), returned as ``int``."""

    def __init__(self, minimum: int = 1) -> None:
        self.minimum = minimum

    def check(self, value, name):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < self.minimum:
            what = "a positive int" if self.minimum == 1 else f"an int >= {self.minimum}"
            raise ValueError(f"{name} must be {what}, got {value}")
        if value > _MAX_COUNT:  # a NumPy size or index cannot be larger
            raise ValueError(f"{name} must be at most {_MAX_COUNT} (2**63 - 1), got {value}")
        return int(value)

    def example(self):
        return max(self.minimum, 1)

    def bad_values(self):
        return [self.minimum - 1, 2.5, True, "3", None]


class Real(Constraint):
    """A finite real >= ``minimum`` (> if ``strict``) and <= ``maximum``, returned as float."""

    def __init__(self, minimum: float | None = None, *, strict: bool = False,
                 maximum: float | None = None) -> None:
        self.minimum, self.strict, self.maximum = minimum, strict, maximum

    def check(self, value, name):
        value = check_real(value, name, minimum=self.minimum, strict=self.strict)
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{name} must be a finite number <= {self.maximum:g}, got {value:g}")
        return value

    def example(self):
        low = 0.0 if self.minimum is None else self.minimum
        high = low + 1.0 if self.maximum is None else self.maximum
        return (low + high) / 2 if self.strict or self.maximum is not None else low + 0.5

    def bad_values(self):
        bad = [float("nan"), float("inf"), "0.1", True, None]
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
        return [object(), "text"]


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


class ListOf(Constraint):
    """A non-empty list or tuple (a 1-D array too) whose items each pass ``item``.

    The items are named ``name[i]`` in messages; returns a list of the converted items.
    """

    def __init__(self, item: Constraint, *, what: str = "a list", allow_empty: bool = False) -> None:
        self.item, self.what, self.allow_empty = item, what, allow_empty

    def check(self, value, name):
        if isinstance(value, np.ndarray) and value.ndim == 1:
            value = value.tolist()
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise TypeError(f"{name} must be {self.what}, got {type(value).__name__}")
        if not value and not self.allow_empty:
            raise ValueError(f"{name} must hold at least one item, got an empty {type(value).__name__}")
        return [self.item(v, f"{name}[{i}]") for i, v in enumerate(value)]

    def example(self):
        return [self.item.example()]

    def bad_values(self):
        bad = ["text", 3]
        if not self.allow_empty:
            bad.append([])
        return bad + [[b] for b in self.item.bad_values()[:2]]


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
    """A real number or an array of finite reals, returned as a float64 array."""

    def check(self, value, name):
        return check_values(value, name)

    def example(self):
        return np.ones(2)

    def bad_values(self):
        return [[float("nan")], "text", None, [1 + 2j]]


class Anything(Constraint):
    """No rule at the boundary; ``why`` says where the argument is checked instead."""

    def __init__(self, why: str, example=None) -> None:
        self.why, self._example = why, example

    def check(self, value, name):
        return value

    def example(self):
        if self._example is None:
            raise NotImplementedError(f"Anything({self.why!r}) has no example value")
        return self._example()


def validate_params(**table: Constraint):
    """Check (and convert) a function's arguments against ``table`` before it runs.

    Every parameter of the function except ``self`` must be declared, so a new
    argument cannot slip past the boundary unchecked; ``Anything(why)`` declares one
    that is checked elsewhere. The table is kept as ``func.parameter_constraints``.

    >>> @validate_params(n=Int(), lr=Real(0.0, strict=True))
    ... def train(n, lr=0.1):
    ...     return n * lr
    >>> train(3)
    0.30000000000000004
    >>> train(0)
    Traceback (most recent call last):
    ...
    l1reg.core._validation.InvalidParameterError: n must be a positive int, got 0
    """
    def decorate(func):
        signature = inspect.signature(func)
        names = [p for p in signature.parameters if p != "self"]
        missing, extra = set(names) - set(table), set(table) - set(names)
        if missing or extra:
            raise TypeError(f"validate_params on {func.__qualname__}: undeclared parameters "
                            f"{sorted(missing)}, unknown ones {sorted(extra)}")

        @functools.wraps(func)
        def checked(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            arguments = bound.arguments
            for name, constraint in table.items():
                if name in arguments:
                    arguments[name] = constraint(arguments[name], name)
            return func(*bound.args, **bound.kwargs)

        checked.parameter_constraints = dict(table)
        return checked

    return decorate


def validate_fields(**table: Constraint):
    """``validate_params`` for a dataclass: a table for the ``__init__`` it generates.

    Written above ``@dataclass``, so that it receives the finished class.

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
        cls.__init__ = validate_params(**table)(cls.__init__)
        return cls

    return decorate


class Array(Constraint):
    """A NumPy array of finite reals, of ints (``kind="int"``) or of booleans (``kind="bool"``).

    With ``ndim``, it must have that many axes; it must hold at least ``min_size``
    entries. Returned as float64, int64 or bool (no copy if it already is one).
    """

    KINDS = {"real": ("iuf", np.float64, "real numbers"), "int": ("iu", np.int64, "ints"),
             "bool": ("b", np.bool_, "booleans")}

    def __init__(self, kind: str = "real", *, ndim: int | None = None, min_size: int = 1) -> None:
        self.kind, self.ndim, self.min_size = kind, ndim, min_size

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
        if self.kind == "real" and not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must hold only finite values (no NaN or inf)")
        return arr

    def example(self):
        shape = (max(self.min_size, 1),) + (1,) * ((self.ndim or 1) - 1)
        return np.zeros(shape, dtype=self.KINDS[self.kind][1])

    def bad_values(self):
        example = self.example()
        bad = ["text", None, {"real": [True], "int": [0.5], "bool": [1]}[self.kind]]
        if self.kind == "real":
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
    """An array of real numbers with at least ``ndim`` axes, none of them empty, its dtype kept.

    For the inputs of the maths (outputs, targets, sums, weights): unlike :class:`Array`,
    float32 stays float32 (whole numbers become float64), and NaN or inf pass unless
    ``finite``. ``what`` describes the array in messages.
    """

    def __init__(self, ndim: int = 0, *, finite: bool = False, what: str | None = None) -> None:
        self.ndim, self.finite = ndim, finite
        self.what = what or ("a non-empty array" if ndim == 0 else f"a non-empty array of at least {ndim}-D")

    def check(self, value, name):
        try:
            arr = np.asarray(value)
        except ValueError as err:  # ragged nested lists
            raise ValueError(f"{name} must be a rectangular array of numbers: {err}") from None
        if arr.dtype.kind not in "iuf":  # refuses bools, complex numbers, strings, objects
            raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
        if arr.ndim < self.ndim or arr.size == 0:
            raise ValueError(f"{name} must be {self.what}, got shape {arr.shape}")
        if self.finite and not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must hold only finite values (no NaN or inf)")
        return arr.astype(np.float64) if arr.dtype.kind in "iu" else arr

    def example(self):
        return np.ones((2,) * max(self.ndim, 1))

    def bad_values(self):
        bad = ["text", None, [True, False], np.ones((0,) * max(self.ndim, 1))]
        if self.ndim > 0:
            bad.append(np.ones((2,) * (self.ndim - 1)))
        if self.finite:
            bad.append(np.full((2,) * max(self.ndim, 1), np.nan))
        return bad
