"""The declared argument tables (``validate_params``), and bad input generated from them.

Every public function and class of ``l1reg`` states its arguments' rules once, in a
table checked before its body runs (scikit-learn's ``_param_validation`` is the model).
This file checks that the tables exist and cover every parameter, and calls each
declared function with each bad value its constraints name, expecting an
``InvalidParameterError`` whose message starts with the argument's name.
"""

import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest

import l1reg
from l1reg.core._validation import (
    Anything,
    Constraint,
    Int,
    InvalidParameterError,
    ListOf,
    Optional,
    Options,
    Real,
    validate_params,
)

# The maths below the boundary is unchecked by design: these modules hold pure
# functions of an array namespace that the engines call with arrays they built.
MATHS = {"l1reg.core.model", "l1reg.core.step", "l1reg.core.numpy_namespace", "l1reg.core._validation"}

# Public names with no table, and why (each reason is a sentence a maintainer can check).
EXEMPT = {
}


def _modules():
    for info in pkgutil.walk_packages(l1reg.__path__, "l1reg."):
        if info.name not in MATHS and not info.name.endswith("__main__"):
            yield importlib.import_module(info.name)


def _public(module):
    """(qualified name, object) for the functions and classes ``module`` defines."""
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield f"{module.__name__}.{name}", obj


def _declared(obj):
    """The callable whose table applies to ``obj``: the function, or a class's ``__init__``."""
    return obj.__init__ if inspect.isclass(obj) else obj


def _needs_table(obj) -> bool:
    if inspect.isclass(obj):
        if issubclass(obj, BaseException) or "__init__" not in vars(obj):
            return False  # exceptions, and classes that take what their base's table declares
        params = [p for p in inspect.signature(obj.__init__).parameters if p != "self"]
    else:
        params = list(inspect.signature(obj).parameters)
    return bool(params)


PUBLIC = sorted({name: obj for module in _modules() for name, obj in _public(module)}.items())
DECLARED = [(name, obj) for name, obj in PUBLIC if hasattr(_declared(obj), "parameter_constraints")]


def test_every_public_function_declares_its_arguments():
    undeclared = [name for name, obj in PUBLIC
                  if _needs_table(obj) and not hasattr(_declared(obj), "parameter_constraints")
                  and name not in EXEMPT]
    assert undeclared == []


def test_exemptions_are_still_needed():
    names = dict(PUBLIC)
    stale = [name for name in EXEMPT
             if name not in names or hasattr(_declared(names[name]), "parameter_constraints")]
    assert stale == []


def _bad_cases():
    for qualname, obj in DECLARED:
        func = _declared(obj)
        for param, constraint in func.parameter_constraints.items():
            for i, bad in enumerate(constraint.bad_values()):
                yield pytest.param(qualname, obj, param, bad, id=f"{qualname}-{param}-{i}")


def _call(obj, kwargs):
    return obj(**kwargs)


def _valid_arguments(obj) -> dict:
    """Each required argument's example value (optional ones keep their defaults)."""
    func = _declared(obj)
    table = func.parameter_constraints
    params = inspect.signature(func).parameters
    return {name: table[name].example() for name, p in params.items()
            if name != "self" and p.default is inspect.Parameter.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


@pytest.mark.parametrize(("qualname", "obj", "param", "bad"), list(_bad_cases()))
def test_bad_value_is_refused_naming_the_argument(qualname, obj, param, bad):
    kwargs = _valid_arguments(obj)
    kwargs[param] = bad
    with pytest.raises(InvalidParameterError, match="^" + re.escape(param) + r"[\[ ]"):
        _call(obj, kwargs)


def test_a_table_must_name_every_parameter():
    with pytest.raises(TypeError, match=r"undeclared parameters \['lr'\]"):
        @validate_params(n=Int())
        def train(n, lr=0.1):
            return n * lr
    with pytest.raises(TypeError, match=r"unknown ones \['seed'\]"):
        @validate_params(n=Int(), seed=Int(0))
        def train2(n):
            return n


def test_defaults_are_not_rechecked_and_values_are_converted():
    @validate_params(n=Int(), lam=Real(0.0), kind=Options("a", "b"), items=ListOf(Real(0.0)),
                     extra=Optional(Real(0.0)), anything=Anything("checked by the caller"))
    def f(n, lam=0.5, kind="a", items=(1,), extra=None, anything=None):
        return n, lam, kind, items, extra, anything

    assert f(np.int64(3), lam=1, items=np.array([1, 2])) == (3, 1.0, "a", [1.0, 2.0], None, None)
    assert type(f(np.int64(3))[0]) is int


def test_invalid_parameter_error_is_both_value_and_type_error():
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)


KINDS = [c for c in vars(importlib.import_module("l1reg.core._validation")).values()
         if inspect.isclass(c) and issubclass(c, Constraint) and c is not Constraint]


@pytest.mark.parametrize("constraint", KINDS)
def test_each_constraint_kind_is_used_or_tested(constraint):
    # a constraint class nothing declares would be dead code
    used = {type(c) for _, obj in DECLARED for c in _declared(obj).parameter_constraints.values()}
    used |= {type(c.constraint) for _, obj in DECLARED for c in _declared(obj).parameter_constraints.values()
             if isinstance(c, Optional)}
    used |= {type(c.item) for _, obj in DECLARED for c in _declared(obj).parameter_constraints.values()
             if isinstance(c, ListOf)}
    assert constraint in used
