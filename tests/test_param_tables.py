"""The declared argument tables (``validate_params``), and bad input generated from them.

Every public function and class of ``l1reg``, and every public method that takes
arguments, states its arguments' rules once, in a table checked before its body runs
(scikit-learn's ``_param_validation`` is the model), or is exempt for a stated reason.
This file checks that the tables exist and cover every parameter, that their examples
and defaults pass them, and calls each declared callable with each bad value its
constraints name, expecting an ``InvalidParameterError`` whose message starts with the
argument's name.
"""

import dataclasses
import importlib
import inspect
import pickle
import pkgutil
import re

import numpy as np
import pytest

import l1reg
from l1reg.core._validation import (
    AnyOf,
    Anything,
    Constraint,
    Int,
    InvalidParameterError,
    ListOf,
    MappingOf,
    Optional,
    Options,
    Real,
    Seed,
    Tuple,
    validate_fields,
    validate_params,
)
from l1reg.core.compiled import RUN
from l1reg.core.losses import Loss
from l1reg.core.network import WEIGHT_NAMES, Network
from l1reg.core.penalties import Penalty
from l1reg.core.training import Callback, TrainingModel, TrainingRun
from l1reg.core.update_rules import Plain, UpdateRule
from l1reg.regularize.dropout import Dropout
from l1reg.regularize.jitter import Jitter

# The maths below the boundary is unchecked by design: these modules hold pure
# functions of an array namespace that the engines call with arrays they built.
MATHS = {"l1reg.core.model", "l1reg.core.step", "l1reg.core.numpy_namespace", "l1reg.core._validation"}

# Public names with no table, and why (each reason is a sentence a maintainer can check).
EXEMPT = {
    "l1reg.reference.keras_bridge.half_squared_error":
        "a Keras loss, called by Keras on its own tensors at every step; Keras checks them",
    "l1reg.core.update_rules.check_settings":
        "the run's own check of its rule after every epoch (TrainingRun.end_epoch): no table per epoch",
    "l1reg.core.network.Network.forward": "the model's maths, for items that check_inputs has checked",
    "l1reg.core.network.Network.backward": "the model's maths, for values that forward computed",
    "l1reg.core.network.Network.check_inputs": "the check itself: whether x fits this network",
    "l1reg.core.network.Network.check_targets": "the check itself: whether t fits this network and x",
    "l1reg.core.network.Network.predict_proba": "x is checked against the network by check_inputs",
    "l1reg.core.network.Network.predict": "x is checked against the network by check_inputs",
    "l1reg.core.network.Network.accuracy": "x and t are checked against the network by check_inputs/targets",
    "l1reg.core.network.Network.error": "x and t are checked against the network by check_inputs/targets",
    "l1reg.core.network.Network.objective": "x and t are checked against the network (by error)",
    "l1reg.core.network.Network.gradient": "x and t are checked against the network by check_inputs/targets",
    "l1reg.core.network.Network.replace": "the copy's constructor checks the settings with Network's table",
    "l1reg.core.training.TrainingRun.end_epoch": "what every engine calls after every epoch: no table there",
    "l1reg.core.training.TrainingRun.check_finite": "part of end_epoch, after every epoch",
    "l1reg.core.training.TrainingModel.check_data": "the check itself: whether x and t fit the networks",
    "l1reg.core.training.TrainingModel.predict_proba": "x is checked against the run's networks in the body",
    "l1reg.core.training.TrainingModel.predict": "x is checked against the run's networks (predict_proba)",
    "l1reg.core.training.TrainingModel.evaluate":
        "x and t are checked against the run's networks (check_data); callbacks call it every epoch",
    "l1reg.studies.linear.LinearFit.predict": "x is checked against the fit's weights in the body",
    "l1reg.reference.keras_bridge.ProxAdam.update_step":
        "Keras's optimizer hook, called by Keras at every step",
}

# Methods that a family of classes shares, called by the library with values it made
# (the training step's hooks and formulas, a callback's hooks), and why they have no table.
HOOKS = [
    (UpdateRule, {"init", "adjust_gradient", "after_step", "strengths", "stack"},
     "an update rule's hook: the engines call it per step or per epoch with arrays they built"),
    (Penalty, {"value", "grad", "gradient", "shrink"},
     "a penalty's formula: the training step calls it per step"),
    (Loss, {"error", "signal"}, "a loss's formula: training calls it per step or per epoch"),
    (Callback, {"set_model", "on_train_begin", "on_epoch_end", "on_train_end"},
     "a callback's hook: fit calls it with the values it made"),
    ((Dropout, Jitter), {"draw", "draw_mask", "perturb"},
     "a noise source's draw: the step calls it per step"),
    (Constraint, {"check"}, "a constraint's own check: the tables' machinery"),
]


def _modules():
    for info in pkgutil.walk_packages(l1reg.__path__, "l1reg."):
        if info.name not in MATHS:
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


def _arguments(func) -> list[str]:
    return [p for p in inspect.signature(func).parameters if p not in ("self", "cls")]


def _needs_table(obj) -> bool:
    if inspect.isclass(obj):
        if issubclass(obj, BaseException) or "__init__" not in vars(obj):
            return False  # exceptions, and classes that take what their base's table declares
        return bool(_arguments(obj.__init__))
    return bool(_arguments(obj))


def _methods(cls):
    """(name, function) for the public methods ``cls`` defines that take arguments."""
    for name, attr in vars(cls).items():
        func = attr.__func__ if isinstance(attr, (staticmethod, classmethod)) else attr
        if not name.startswith("_") and inspect.isfunction(func) and _arguments(func):
            yield name, func


def _hook(cls, name: str) -> bool:
    return any(issubclass(cls, family) and name in names for family, names, _ in HOOKS)


PUBLIC = sorted({name: obj for module in _modules() for name, obj in _public(module)}.items())
DECLARED = [(name, obj) for name, obj in PUBLIC if hasattr(_declared(obj), "parameter_constraints")]
METHODS = [(f"{qualname}.{name}", cls, name, func) for qualname, cls in PUBLIC if inspect.isclass(cls)
           for name, func in _methods(cls)]
DECLARED_METHODS = [(name, cls, method) for name, cls, method, func in METHODS
                    if hasattr(func, "parameter_constraints")]


def test_every_public_function_declares_its_arguments():
    undeclared = [name for name, obj in PUBLIC
                  if _needs_table(obj) and not hasattr(_declared(obj), "parameter_constraints")
                  and name not in EXEMPT]
    assert undeclared == []


def test_every_public_method_with_arguments_declares_them_or_says_why_not():
    undeclared = [name for name, cls, method, func in METHODS
                  if not hasattr(func, "parameter_constraints") and name not in EXEMPT
                  and not _hook(cls, method)]
    assert undeclared == []


def test_exemptions_are_still_needed():
    names = dict(PUBLIC) | {name: func for name, _, _, func in METHODS}
    stale = [name for name in EXEMPT
             if name not in names or hasattr(_declared(names[name]), "parameter_constraints")]
    assert stale == []


# --- example values: what the generated calls pass for the arguments they do not spoil ------


def _example_run() -> TrainingRun:
    """A run of one small network (3-4-2) on two items for one epoch."""
    net = Network(3, 4, 2, seed=0)
    return TrainingRun([net], False, net.flat, np.ones((2, 3)), np.eye(2), None, [np.random.default_rng(0)],
                       1, 0.1, 1, Plain(), slice(0, net.n_weights), WEIGHT_NAMES)


# Example values the library's constraints do not carry (an engine's run is made by fit).
EXAMPLES = {id(RUN): _example_run}


def _example(constraint: Constraint):
    try:
        return constraint.example()
    except NotImplementedError:
        if id(constraint) in EXAMPLES:
            return EXAMPLES[id(constraint)]()
        raise


def _valid_arguments(func) -> dict:
    """Each required argument's example value (optional ones keep their defaults)."""
    table = func.parameter_constraints
    params = inspect.signature(func).parameters
    return {name: _example(table[name]) for name, p in params.items()
            if name not in ("self", "cls") and p.default is inspect.Parameter.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


# Instances whose methods the generated calls use, where the class's table cannot make one.
INSTANCES = {TrainingModel: lambda: _example_run().model}


def _instance(cls):
    if cls in INSTANCES:
        return INSTANCES[cls]()
    return cls(**_valid_arguments(cls.__init__)) if hasattr(cls.__init__, "parameter_constraints") else cls()


def _tables():
    """(qualified name, function with a table) for every declared callable, methods included."""
    yield from ((name, _declared(obj)) for name, obj in DECLARED)
    yield from ((name, func) for name, _, _, func in METHODS if hasattr(func, "parameter_constraints"))


def _parts(constraint: Constraint):
    """``constraint`` and every constraint inside it (Optional, ListOf, MappingOf, AnyOf, Tuple)."""
    yield constraint
    inner = {Optional: lambda c: [c.constraint], ListOf: lambda c: [c.item], MappingOf: lambda c: [c.item],
             AnyOf: lambda c: list(c.constraints), Tuple: lambda c: list(c.items)}
    for kind, children in inner.items():
        if isinstance(constraint, kind):
            for child in children(constraint):
                yield from _parts(child)


CONSTRAINTS = {id(c): (f"{name}:{param}", c) for name, func in _tables()
               for param, top in func.parameter_constraints.items() for c in _parts(top)}
_BY_PLACE = {where: c for where, c in CONSTRAINTS.values()}


def _has_example(constraint) -> bool:
    try:
        _example(constraint)
    except NotImplementedError:
        return False
    return True


@pytest.mark.parametrize("where", sorted(where for where, c in _BY_PLACE.items() if _has_example(c)))
def test_every_constraints_example_passes_it(where):
    constraint = _BY_PLACE[where]
    constraint(_example(constraint), where.rsplit(":", 1)[1])


@pytest.mark.parametrize("where", sorted(_BY_PLACE))
def test_every_constraints_bad_values_are_refused_by_it(where):
    constraint, name = _BY_PLACE[where], where.rsplit(":", 1)[1]
    for bad in constraint.bad_values():
        with pytest.raises(InvalidParameterError, match="^" + re.escape(name) + r"[\[ ]"):
            constraint(bad, name)


def _defaults():
    for qualname, func in _tables():
        factories = set()
        if inspect.isclass(dict(PUBLIC).get(qualname)) and dataclasses.is_dataclass(dict(PUBLIC)[qualname]):
            factories = {f.name for f in dataclasses.fields(dict(PUBLIC)[qualname])
                         if f.default_factory is not dataclasses.MISSING}
        for name, p in inspect.signature(func).parameters.items():
            if p.default is not p.empty and name not in factories and name in func.parameter_constraints:
                yield pytest.param(func.parameter_constraints[name], name, p.default, id=f"{qualname}-{name}")


@pytest.mark.parametrize(("constraint", "name", "default"), list(_defaults()))
def test_every_declared_default_passes_its_constraint(constraint, name, default):
    constraint(default, name)  # the body receives what this returns


def _bad_cases():
    for qualname, obj in DECLARED:
        func = _declared(obj)
        for param, constraint in func.parameter_constraints.items():
            for i, bad in enumerate(constraint.bad_values()):
                yield pytest.param(obj, None, param, bad, id=f"{qualname}-{param}-{i}")
    for qualname, cls, method in DECLARED_METHODS:
        for param, constraint in getattr(cls, method).parameter_constraints.items():
            for i, bad in enumerate(constraint.bad_values()):
                yield pytest.param(cls, method, param, bad, id=f"{qualname}-{param}-{i}")


@pytest.mark.parametrize(("obj", "method", "param", "bad"), list(_bad_cases()))
def test_bad_value_is_refused_naming_the_argument(obj, method, param, bad):
    func = _declared(obj) if method is None else getattr(obj, method)
    kwargs = _valid_arguments(func)
    if inspect.signature(func).parameters[param].kind is inspect.Parameter.VAR_KEYWORD:
        kwargs |= bad  # **values: a bad value is a dict of keywords
    else:
        kwargs[param] = bad
    call = obj if method is None else getattr(_instance(obj), method)
    with pytest.raises(InvalidParameterError, match="^" + re.escape(param) + r"[\[ ]"):
        call(**kwargs)


@pytest.mark.parametrize("qualname", [name for name, obj in DECLARED if inspect.isfunction(obj)])
def test_a_declared_function_keeps_its_name_and_pickles(qualname):
    obj = dict(PUBLIC)[qualname]
    assert obj.__name__ == qualname.rsplit(".", 1)[1]
    assert pickle.loads(pickle.dumps(obj)) is obj


# --- the decorator itself ------------------------------------------------------------------


def test_a_table_must_name_every_parameter():
    with pytest.raises(TypeError, match=r"undeclared parameters \['lr'\]"):
        @validate_params(n=Int())
        def train(n, lr=0.1):
            return n * lr
    with pytest.raises(TypeError, match=r"unknown ones \['seed'\]"):
        @validate_params(n=Int(), seed=Int(0))
        def train2(n):
            return n


def test_arguments_and_defaults_alike_reach_the_body_converted():
    @validate_params(n=Int(), lam=Real(0.0), kind=Options("a", "b"), items=ListOf(Real(0.0)),
                     extra=Optional(Real(0.0)), seed=Seed(), anything=Anything("checked by the caller"))
    def f(n, lam=1, kind="a", items=(1,), extra=None, *, seed=0, anything=None):
        return n, lam, kind, items, extra, seed, anything

    n, lam, kind, items, extra, seed, anything = f(np.int64(3), lam=2, items=np.array([1, 2]))
    assert (n, lam, kind, items, extra, anything) == (3, 2.0, "a", [1.0, 2.0], None, None)
    assert type(n) is int and type(lam) is float
    n, lam, kind, items, extra, seed, anything = f(3)  # the defaults, converted
    assert (lam, items) == (1.0, [1.0]) and type(lam) is float
    assert isinstance(seed, np.random.Generator)
    # a default converted to a new object is converted afresh for every call
    first, second = f(3), f(3)
    assert first[3] is not second[3] and first[5] is not second[5]
    assert first[5].random() == second[5].random()


def test_positional_keyword_and_default_arguments_are_each_checked_once():
    calls = []

    class Counted(Real):
        def check(self, value, name):
            calls.append(name)
            return super().check(value, name)

    @validate_params(a=Counted(), b=Counted(), c=Counted())
    def f(a, b=1.0, *, c=2.0):
        return a + b + c

    assert sorted(calls) == ["b", "c"]  # the defaults, floats, are converted once, when declared
    calls.clear()
    assert f(1.0, c=3.0) == 5.0
    assert sorted(calls) == ["a", "c"]
    with pytest.raises(TypeError, match="multiple values"):
        f(1.0, a=2.0)
    with pytest.raises(TypeError, match="missing"):
        f(c=1.0)


def test_a_dataclass_field_with_a_factory_gets_the_factorys_value():
    @validate_fields(items=ListOf(Real(), allow_empty=True), n=Int())
    @dataclasses.dataclass
    class Record:
        items: list = dataclasses.field(default_factory=list)
        n: int = 1

    first, second = Record(), Record()
    assert first.items == [] and first.items is not second.items
    assert Record(items=(1, 2)).items == [1.0, 2.0]


def test_invalid_parameter_error_is_both_value_and_type_error():
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)


def test_any_of_converts_by_the_first_alternative_and_names_the_failing_item():
    seeds = AnyOf(Seed(), ListOf(Seed()), what="a seed or a list of seeds")
    assert isinstance(seeds(3, "seed"), np.random.Generator)
    assert all(isinstance(g, np.random.Generator) for g in seeds([1, 2], "seed"))
    with pytest.raises(InvalidParameterError, match=r"^seed must be a seed or a list of seeds, got 'x'$"):
        seeds("x", "seed")
    with pytest.raises(InvalidParameterError, match=r"^seed\[1\] must be a non-negative int, got -1"):
        seeds([1, -1], "seed")


def test_list_of_a_given_length_and_of_a_grid():
    three = ListOf(Real(), what="three numbers", length=3)
    assert three((1, 2, 3), "lams") == [1.0, 2.0, 3.0]
    with pytest.raises(InvalidParameterError, match=r"^lams must be three numbers \(3 items\), got 2$"):
        three([1, 2], "lams")
    grid = ListOf(Real(), what="a grid of numbers", ravel=True)
    assert grid(np.arange(4.0).reshape(2, 2), "values") == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(InvalidParameterError, match=r"^values must be a list, got ndarray"):
        ListOf(Real())(np.ones((2, 2)), "values")  # without ravel, only a 1-D array is a list


KINDS = [c for c in vars(importlib.import_module("l1reg.core._validation")).values()
         if inspect.isclass(c) and issubclass(c, Constraint) and c is not Constraint]


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_each_constraint_kind_is_used(kind):
    # a constraint class that no table declares, at any depth, would be dead code
    assert kind in {type(c) for _, c in CONSTRAINTS.values()}
