"""Argument checks shared by the public functions of l1reg.

Every check names the argument it rejects and says what was expected, so a reader
sees ``ValueError: lr must be a positive finite number, got -0.01`` instead of a
NumPy traceback from deep inside the training loop.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

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
