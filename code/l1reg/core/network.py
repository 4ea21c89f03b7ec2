"""The book's network: n_input-n_hidden-n_output, tanh hidden layer, softmax output.

Notation (the same in the prose): ``x`` inputs, ``h`` hidden values, ``o`` outputs,
``t`` targets, ``E`` error, ``lam`` the penalty strength, ``lr`` the learning rate.

All parameters live in one flat vector, ``net.flat`` (float64 unless the network was
made with ``dtype=np.float32``), laid out as
``[ih_weights, ho_weights, h_biases, o_biases]`` (each array row-major); the named
arrays in ``net.params`` are views into it, so a gradient step is one vector update
and the penalized weights are one contiguous slice, the first ``net.n_weights`` entries.

The model's maths (forward and backward, layer by layer) is written once, in
:mod:`l1reg.core.model`, for NumPy and ``jax.numpy`` alike; :func:`forward` here
applies it to a network's named arrays.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from l1reg.core import model
from l1reg.core._validation import (
    Array,
    Constraint,
    FloatDType,
    Instance,
    Int,
    MappingOf,
    Optional,
    Real,
    RealArray,
    Seed,
    SlotAttribute,
    Text,
    check_matrix,
    check_one_hot,
    to_float_dtype,
    validate_params,
)
from l1reg.core.losses import OUTPUTS, IsLoss, Loss
from l1reg.core.model import BIAS_NAMES, PARAM_NAMES, WEIGHT_NAMES
from l1reg.core.penalties import IsPenalty, Penalty

#: The settings :meth:`Network.replace` can change in a copy.
REPLACEABLE = ("loss", "weight_penalty", "bias_penalty", "dtype")


class ParamLocation(NamedTuple):
    """Where entry ``k`` of a network's flat vector lives: a block name and an index in it.

    ``str()`` gives it as code reads it, e.g. ``ho_weights[0, 3]``.
    """

    block: str
    index: tuple[int, ...]

    def __str__(self) -> str:
        return f"{self.block}[{', '.join(str(i) for i in self.index)}]"


# The rules of the arguments below; a network argument's example is a small network.
_NAMED_ARRAYS = Instance(Mapping, "a mapping of a network's named arrays, such as net.params",
                         example=lambda: _example_network().params)
_PENALTY = Optional(IsPenalty())


def _forward(p: Mapping, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return model.forward(np, _blocks(p), x)


@validate_params(p=_NAMED_ARRAYS, x=RealArray(2, what="a 2-D array (items x inputs) with at least one item"))
def forward(p: Mapping, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hidden values ``h`` and outputs ``o`` for the items in ``x``: :func:`l1reg.core.model.forward`.

    ``p`` holds the named arrays of a network (``net.params``) or of a stack of them
    (every array with a leading replica axis, ``x`` too, or ``x`` shared by all).
    """
    n_input = p["ih_weights"].shape[-2]
    if x.shape[-1] != n_input:
        raise ValueError(f"x must have {n_input} columns (the network's inputs), got shape {x.shape}")
    return _forward(p, x)


def _blocks(p: Mapping) -> dict[str, np.ndarray]:
    return {name: p[name][..., None, :] if name in BIAS_NAMES else p[name] for name in PARAM_NAMES}


@validate_params(p=_NAMED_ARRAYS)
def blocks(p: Mapping) -> dict[str, np.ndarray]:
    """The named arrays as the model's blocks: views, with the biases as rows (1 x units)."""
    return _blocks(p)


def _add_penalty_gradients(net: Network, flat: np.ndarray, grad: np.ndarray) -> None:
    w, b = net.n_weights, net.n_params
    if net.weight_penalty is not None:
        grad[..., :w] += net.weight_penalty.gradient(flat[..., :w])
    if net.bias_penalty is not None:
        grad[..., w:b] += net.bias_penalty.gradient(flat[..., w:b])


def _hit_rate(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    return model.hits(np, o, t) / o.shape[-2]


@validate_params(o=OUTPUTS, t=RealArray())
def hit_rate(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Fraction of items whose largest output is the target's class (per replica)."""
    if t.shape != o.shape:
        raise ValueError(f"t must have the shape of o {o.shape}, got {t.shape}")
    return _hit_rate(o, t)


def _param_views(flat: np.ndarray, shapes: Mapping) -> dict[str, np.ndarray]:
    views, start = {}, 0
    for name in PARAM_NAMES:
        size = int(np.prod(shapes[name]))
        views[name] = flat[..., start : start + size].reshape(flat.shape[:-1] + shapes[name])
        start += size
    return views


@validate_params(
    flat=Instance(np.ndarray, "a flat parameter vector (or a stack of them, one per row)",
                  example=lambda: np.zeros(26)),
    shapes=Instance(Mapping, "a network's shapes (net.shapes)",
                    example=lambda: _example_network().shapes),
)
def param_views(flat: np.ndarray, shapes: Mapping) -> dict[str, np.ndarray]:
    """Named views into a flat parameter vector (or a stack of them, one per row)."""
    size = sum(int(np.prod(shapes[name])) for name in PARAM_NAMES)
    if flat.ndim == 0 or flat.shape[-1] != size:
        raise ValueError(f"flat must have {size} entries along its last axis (the sizes in shapes), "
                         f"got shape {flat.shape}")
    return _param_views(flat, shapes)


class ParamViews(Mapping):
    """A read-only mapping of names to views into a network's flat vector.

    The arrays can be changed in place (``net.params["ih_weights"][0, 0] = 0.0``), so
    the change reaches ``net.flat``; rebinding a name is refused, since the new array
    would be disconnected from the vector that training updates.
    """

    @validate_params(views=Instance(dict, "a dict of named views", example=dict),
                     owner=Text(example="net.params"))
    def __init__(self, views: dict[str, np.ndarray], owner: str) -> None:
        self._views, self._owner = views, owner

    def __getitem__(self, name: str) -> np.ndarray:
        return self._views[name]

    def __iter__(self):
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)

    def __setitem__(self, name, value) -> None:
        raise TypeError(
            f"{self._owner}[{name!r}] cannot be replaced: its arrays are views into net.flat, which "
            f"training updates. Write into it in place ({self._owner}[{name!r}][...] = values) "
            "or call net.set_params(...)"
        )

    def __delitem__(self, name) -> None:
        self.__setitem__(name, None)

    def __repr__(self) -> str:
        return f"ParamViews({self._views!r})"


class _Shapes(Mapping):
    """A network's shapes by name: a read-only mapping (that pickles, as a network does)."""

    def __init__(self, shapes: dict[str, tuple[int, ...]]) -> None:
        self._shapes = dict(shapes)

    def __getitem__(self, name: str) -> tuple[int, ...]:
        return self._shapes[name]

    def __iter__(self):
        return iter(self._shapes)

    def __len__(self) -> int:
        return len(self._shapes)

    def __repr__(self) -> str:
        return repr(self._shapes)


class _Fixed(SlotAttribute):
    """A setting that defines a network, read-only: a network with another is a new network.

    The value lives in the attribute ``_name``.
    """

    def __set__(self, obj, value) -> None:
        how = (f"net.replace({self.name}=...)" if self.name in REPLACEABLE
               else "Network(n_input, n_hidden, n_output, seed=...)")
        raise AttributeError(f"{self.name} is read-only: it defines the network; "
                             f"build a new network instead, e.g. with {how}")


class Network:
    """A two-layer classifier trained by back-propagation.

    Nine constructor arguments, more than the library's usual eight: the three layer
    sizes and the seed, then one keyword per setting (as Keras's ``Dense`` takes its
    initializer, regularizers and dtype), each with a default.

    The settings that define the network (its sizes, ``shapes``, ``n_params``,
    ``n_weights``, ``loss`` and ``dtype``) are read-only, and so are ``flat``, ``params``
    and ``grads`` as names (their arrays change in place): :meth:`replace` makes a copy
    with another loss, penalty or dtype. ``weight_penalty`` and ``bias_penalty`` may be
    set, and are checked as the constructor checks them.

    Parameters
    ----------
    n_input, n_hidden, n_output : int
        Layer sizes, each >= 1, and ``n_output >= 2`` (softmax chooses between classes);
        the demo uses 10, 8 and 4.
    seed : int or numpy.random.Generator
        Source of the initial weights and biases, drawn uniformly from
        ``[-init_range, init_range]``.
    init_range : float, default 0.01
        Half-width of the initial uniform draw (small, so tanh starts unsaturated).
    loss : {"squared", "cross_entropy"} or Loss, default "squared"
        ``"squared"`` is the demo's ``E = 1/2 * sum((t - o)^2)``, differentiated
        exactly through softmax; a :class:`~l1reg.core.losses.Loss` object is used as it is.
    weight_penalty : Penalty or None
        Penalty on both weight matrices, e.g. ``L1(0.001)``; anything callable on the
        weights with a ``gradient`` method serves.
    bias_penalty : Penalty or None
        Penalty on the biases; usually left at None.
    dtype : numpy.float64 or numpy.float32, default numpy.float64
        Precision of the parameters and of all arithmetic on them; inputs are converted
        to it. float32 halves the memory and matches Keras's default, at about 1e-7
        relative round-off per operation instead of 1e-16.

    Attributes
    ----------
    loss : Loss
        The training error and its signal: ``net.loss.error(o, t)``,
        ``net.loss.signal(o, t)`` (``dE/dz``).
    flat : numpy.ndarray
        The live parameter vector (layout in the module docstring); ``params`` are
        views into it. Training updates it in place; never rebind it.
    params : mapping of numpy.ndarray
        ``ih_weights``, ``ho_weights``, ``h_biases``, ``o_biases`` as views into ``flat``
        (:class:`ParamViews`): change the arrays in place, never rebind a name.
    n_params, n_weights : int
        The number of parameters, and of weights (the first ``n_weights`` of ``flat``).
    shapes : mapping of tuple
        The shape of each named array (read-only).
    """

    n_input, n_hidden, n_output = _Fixed(), _Fixed(), _Fixed()
    loss, dtype = _Fixed(), _Fixed()
    shapes, n_params, n_weights = _Fixed(), _Fixed(), _Fixed()

    @validate_params(
        n_input=Int(),
        n_hidden=Int(),
        # softmax over one output is always 1: every item would "hit"
        n_output=Int(2, why="softmax needs two classes to choose between"),
        seed=Seed(),
        init_range=Real(0.0, strict=True),
        loss=IsLoss(),
        weight_penalty=_PENALTY,
        bias_penalty=_PENALTY,
        dtype=FloatDType(),
    )
    def __init__(
        self,
        n_input: int,
        n_hidden: int,
        n_output: int,
        *,
        seed: int | np.random.Generator,
        init_range: float = 0.01,
        loss: str | Loss = "squared",
        weight_penalty: Penalty | None = None,
        bias_penalty: Penalty | None = None,
        dtype: type | np.dtype | str = np.float64,
    ) -> None:
        self._n_input, self._n_hidden, self._n_output = n_input, n_hidden, n_output
        self._loss, self._dtype = loss, dtype
        self._weight_penalty, self._bias_penalty = weight_penalty, bias_penalty
        self._shapes = _Shapes({
            "ih_weights": (n_input, n_hidden),
            "ho_weights": (n_hidden, n_output),
            "h_biases": (n_hidden,),
            "o_biases": (n_output,),
        })
        self._n_params = sum(int(np.prod(s)) for s in self._shapes.values())
        self._n_weights = sum(int(np.prod(self._shapes[k])) for k in WEIGHT_NAMES)
        self._flat = np.empty(self.n_params, dtype=self.dtype)
        self._grad = np.empty(self.n_params, dtype=self.dtype)
        self._make_views()
        draw = seed.uniform(-init_range, init_range, self.n_params)
        self.flat[:] = to_float_dtype(draw, "init_range", self.dtype)

    @property
    def weight_penalty(self) -> Penalty | None:
        """The penalty on both weight matrices, or None; checked when set."""
        return self._weight_penalty

    @weight_penalty.setter
    def weight_penalty(self, penalty) -> None:
        self._weight_penalty = _PENALTY(penalty, "weight_penalty")

    @property
    def bias_penalty(self) -> Penalty | None:
        """The penalty on the biases, or None; checked when set."""
        return self._bias_penalty

    @bias_penalty.setter
    def bias_penalty(self, penalty) -> None:
        self._bias_penalty = _PENALTY(penalty, "bias_penalty")

    def _make_views(self) -> None:
        self._params = ParamViews(_param_views(self._flat, self._shapes), "net.params")
        self._grads = ParamViews(_param_views(self._grad, self._shapes), "net.grads")

    @property
    def params(self) -> ParamViews:
        """The named arrays, views into ``flat``: change them in place, never rebind them."""
        return self._params

    @params.setter
    def params(self, value) -> None:
        raise AttributeError("net.params cannot be rebound (its arrays are views into net.flat, which "
                             "training updates); write into them in place (net.params[name][...] = "
                             "values) or call net.set_params(...)")

    @property
    def grads(self) -> ParamViews:
        """The named blocks of the last gradient :meth:`backward` returned, views into it."""
        return self._grads

    @grads.setter
    def grads(self, value) -> None:
        raise AttributeError("net.grads cannot be rebound (its arrays are views into the gradient "
                             "backward returns); read them, or call net.gradient(x, t) for a copy")

    # --- copies: ``params`` and ``grads`` are views, rebuilt over the copied vectors -------

    def __getstate__(self) -> dict:
        # pickle and deepcopy copy arrays, not the fact that one views another: leave the
        # views out and rebuild them over the copied vectors, so a copy trains as it should.
        state = self.__dict__.copy()
        del state["_params"], state["_grads"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._make_views()

    @property
    def flat(self) -> np.ndarray:
        """The live parameter vector; ``params`` are views into it."""
        return self._flat

    @flat.setter
    def flat(self, value) -> None:
        # ``net.flat -= step`` updates in place and assigns the same array back: allowed.
        if value is not self._flat:
            raise AttributeError("net.flat cannot be rebound (params are views into it); "
                                 "write into it in place (net.flat[:] = values) or call net.set_flat(values)")

    # --- forward and backward, side by side -----------------------------------------

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``h = tanh(x @ W_ih + b_h)``, ``o = softmax(h @ W_ho + b_o)``; returns (h, o)."""
        return _forward(self.params, x)

    def backward(self, x: np.ndarray, h: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Gradient of ``F = E + penalty`` for the items ``x``; returns the flat gradient.

        The named arrays in ``net.grads`` are views into the returned vector (which
        is overwritten by the next call; copy it to keep it).
        """
        for name, grad in model.backward(np, _blocks(self.params), x, h, self.loss.signal(o, t)).items():
            self.grads[name][...] = grad.reshape(self.grads[name].shape)
        # The penalty's sub-gradient joins the data gradient: two visible lines.
        _add_penalty_gradients(self, self.flat, self._grad)
        return self._grad

    # --- checked public API -----------------------------------------------------------

    def check_inputs(self, x, name: str = "x") -> np.ndarray:
        """Return ``x`` as an (items x n_input) array of ``net.dtype``, or raise naming ``name``."""
        return check_matrix(x, name, n_columns=self.n_input, dtype=self.dtype)

    def check_targets(self, t, n_items: int, name: str = "t") -> np.ndarray:
        """Return ``t`` as a one-hot (n_items x n_output) array, or raise naming ``name``."""
        return check_one_hot(t, name, n_columns=self.n_output, n_rows=n_items, dtype=self.dtype)

    def predict_proba(self, x) -> np.ndarray:
        """Softmax outputs ``o`` for each item (rows sum to 1)."""
        return self.forward(self.check_inputs(x))[1]

    def predict(self, x) -> np.ndarray:
        """The predicted class of each item: the index of its largest output."""
        return np.argmax(self.predict_proba(x), axis=1)

    def accuracy(self, x, t) -> float:
        """Fraction of items whose predicted class is the target's class."""
        x = self.check_inputs(x)
        t = self.check_targets(t, len(x))
        return float(_hit_rate(self.forward(x)[1], t))

    def error(self, x, t) -> float:
        """The data error ``E`` (mean over items), without the penalty."""
        x = self.check_inputs(x)
        t = self.check_targets(t, len(x))
        return float(self.loss.error(self.forward(x)[1], t))

    def penalty(self) -> float:
        """The current value of the weight and bias penalties."""
        total = 0.0
        if self.weight_penalty is not None:
            total += self.weight_penalty(self.flat[: self.n_weights])
        if self.bias_penalty is not None:
            total += self.bias_penalty(self.flat[self.n_weights :])
        return total

    def objective(self, x, t) -> float:
        """What training minimizes, the objective ``F = E + penalty``."""
        return self.error(x, t) + self.penalty()

    def gradient(self, x, t) -> np.ndarray:
        """A copy of the flat gradient of ``F = E + penalty`` at the current parameters."""
        x = self.check_inputs(x)
        t = self.check_targets(t, len(x))
        h, o = self.forward(x)
        return self.backward(x, h, o, t).copy()

    # --- parameters as one vector or as named arrays ----------------------------------

    def get_flat(self) -> np.ndarray:
        """A copy of all parameters as one vector (layout in the module docstring)."""
        return self.flat.copy()

    @validate_params(values=Array(ndim=1))
    def set_flat(self, values) -> None:
        """Set all parameters from one vector of length ``n_params``."""
        if values.shape != (self.n_params,):
            raise ValueError(f"values must have shape ({self.n_params},), got {values.shape}")
        self.flat[:] = to_float_dtype(values, "values", self.dtype)

    def get_params(self) -> dict[str, np.ndarray]:
        """Copies of the named arrays: ih_weights, ho_weights, h_biases, o_biases."""
        return {name: view.copy() for name, view in self.params.items()}

    @validate_params(params=MappingOf(Array(), what="a dict of named arrays, such as net.get_params()"))
    def set_params(self, params: dict) -> None:
        """Set all four named arrays (the same keys and shapes as ``get_params``)."""
        if set(params) != set(PARAM_NAMES):
            raise ValueError(f"params must be a dict with exactly the keys {list(PARAM_NAMES)}")
        new = {}
        for name in PARAM_NAMES:
            if params[name].shape != self._shapes[name]:
                raise ValueError(f"params[{name!r}] must have shape {self._shapes[name]}, "
                                 f"got {params[name].shape}")
            new[name] = to_float_dtype(params[name], f"params[{name!r}]", self.dtype)
        for name, arr in new.items():
            self.params[name][...] = arr

    def weights(self) -> np.ndarray:
        """A copy of all weights (not biases) as one vector: what L1 penalizes."""
        return self.flat[: self.n_weights].copy()

    @validate_params(k=Int(0))
    def locate(self, k: int) -> ParamLocation:
        """Which block, and which entry of it, entry ``k`` of ``net.flat`` is.

        The inverse of the flat layout (module docstring): ``net.flat[k]`` is
        ``net.params[block][index]``, for every ``k`` in ``[0, n_params)``, weights and
        biases alike; for a weight, ``k`` is also its number in :meth:`weights`.

        Examples
        --------
        >>> net = Network(10, 8, 4, seed=0)
        >>> net.locate(3), str(net.locate(83)), str(net.locate(123))
        (ParamLocation(block='ih_weights', index=(0, 3)), 'ho_weights[0, 3]', 'o_biases[3]')
        """
        if k >= self.n_params:
            raise ValueError(f"k must be an int in [0, {self.n_params}), got {k}")
        start = 0
        for name in PARAM_NAMES:
            size = int(np.prod(self._shapes[name]))
            if k < start + size:
                index = np.unravel_index(k - start, self._shapes[name])
                return ParamLocation(name, tuple(int(i) for i in index))
            start += size
        raise AssertionError("unreachable: k was checked against n_params")  # pragma: no cover

    @validate_params(j=Int(0))
    def describe_weight(self, j: int) -> str:
        """Which connection weight ``j`` of :meth:`weights` is, in words.

        Weights are numbered as in ``net.weights()``: ``ih_weights`` row by row, then
        ``ho_weights`` (:meth:`locate` gives the same place as a block and an index).

        Examples
        --------
        >>> net = Network(10, 8, 4, seed=0)
        >>> net.describe_weight(9), net.describe_weight(80)
        ('input 1 -> hidden unit 1', 'hidden unit 0 -> output 0')
        """
        if j >= self.n_weights:
            raise ValueError(f"j must be an int in [0, {self.n_weights}), got {j}")
        block, (row, col) = self.locate(j)
        if block == "ih_weights":
            return f"input {row} -> hidden unit {col}"
        return f"hidden unit {row} -> output {col}"

    # --- copies -------------------------------------------------------------------------

    def replace(self, **settings) -> Network:
        """A copy with the same sizes and parameters, and some settings changed.

        Like :func:`dataclasses.replace`: any of ``loss``, ``weight_penalty``,
        ``bias_penalty`` and ``dtype`` given as a keyword is replaced (validated as the
        constructor does), the others are kept. The copy owns its parameters and its
        penalties: training it, or changing a kept penalty's strength, leaves ``self``
        as it is.

        Examples
        --------
        >>> from l1reg import L1
        >>> net = Network(10, 8, 4, seed=0, weight_penalty=L1(0.001))
        >>> net.replace(loss="cross_entropy")
        Network(10-8-4, loss='cross_entropy', weight_penalty=L1(lam=0.001), bias_penalty=None)
        """
        unknown = sorted(set(settings) - set(REPLACEABLE))
        if unknown:
            raise TypeError(f"replace() accepts only the settings {list(REPLACEABLE)}, got {unknown}")
        kept = {name: getattr(self, name) for name in REPLACEABLE if name not in settings}
        for name in ("weight_penalty", "bias_penalty"):
            if name in kept:  # a penalty's strength can change: the copy gets its own
                kept[name] = copy.deepcopy(kept[name])
        twin = Network(self.n_input, self.n_hidden, self.n_output, seed=0, **kept, **settings)
        twin.set_flat(self.flat)
        return twin

    def without_penalties(self) -> Network:
        """A copy with the same parameters and no penalty: its gradient is ``dE/dw`` alone.

        Examples
        --------
        >>> from l1reg import L1
        >>> net = Network(10, 8, 4, seed=0, weight_penalty=L1(0.001))
        >>> net.without_penalties()
        Network(10-8-4, loss='squared', weight_penalty=None, bias_penalty=None)
        """
        return self.replace(weight_penalty=None, bias_penalty=None)

    def __repr__(self) -> str:
        # float64, the default, is not shown (the chapters print networks)
        dtype = "" if self.dtype == np.float64 else f", dtype={self.dtype.name}"
        return (
            f"Network({self.n_input}-{self.n_hidden}-{self.n_output}, loss={self.loss.name!r}, "
            f"weight_penalty={self.weight_penalty!r}, bias_penalty={self.bias_penalty!r}{dtype})"
        )


def _example_network() -> Network:
    """A small network (3-4-2): the example value of a network argument."""
    return Network(3, 4, 2, seed=0)


def _check_finite(net: Network, name: str) -> None:
    if not np.isfinite(net.flat).all():
        bad = np.flatnonzero(~np.isfinite(net.flat))
        raise ValueError(f"{name} already holds {len(bad)} NaN or infinite parameter(s) "
                         f"(first at flat index {bad[0]}); set finite values before using it")


class IsNetwork(Constraint):
    """A :class:`Network` with finite parameters, passed through.

    A network that training left with a NaN or an infinity is refused by name (its
    flat index too), before any function computes with it.
    """

    def check(self, value, name):
        if not isinstance(value, Network):
            raise TypeError(f"{name} must be an l1reg.Network, got {type(value).__name__}")
        _check_finite(value, name)
        return value

    def example(self):
        return _example_network()

    def bad_values(self):
        diverged = _example_network()
        diverged.flat[0] = np.nan
        return [object(), "text", diverged]


#: The rule of an argument that is one network, for argument tables.
NETWORK = IsNetwork()


@validate_params(
    net=NETWORK,
    flat=Instance(np.ndarray, "an array of parameters (the last axis flat)", example=lambda: np.zeros(26)),
    grad=Instance(np.ndarray, "an array of flat's shape to add to in place", example=lambda: np.zeros(26)),
)
def add_penalty_gradients(net: Network, flat: np.ndarray, grad: np.ndarray) -> None:
    """Add the weight and bias penalties' sub-gradients to ``grad`` (last axis flat), in place.

    ``flat`` holds ``net.n_params`` parameters along its last axis (a stack of them too),
    and ``grad`` has its shape.
    """
    if flat.shape[-1:] != (net.n_params,) or grad.shape != flat.shape:
        raise ValueError(f"flat and grad must have one shape with {net.n_params} parameters along the "
                         f"last axis, got {flat.shape} and {grad.shape}")
    _add_penalty_gradients(net, flat, grad)


class OneOrMoreNetworks(Constraint):
    """One :class:`Network`, or a non-empty list of distinct ones, each with finite parameters.

    One network is returned as it is, several as a list. Whether the networks of a list
    agree with each other or with the data is a question for the function's body.
    """

    def check(self, value, name):
        if not isinstance(value, (list, tuple)):
            return NETWORK(value, name)
        if not value:
            raise ValueError(f"{name} must be an l1reg.Network or a non-empty list of them, "
                             "got an empty list")
        seen = set()
        for i, net in enumerate(value):
            NETWORK(net, f"{name}[{i}]")
            if id(net) in seen:
                raise ValueError(f"{name}[{i}] is the same object as an earlier network; "
                                 "pass distinct networks")
            seen.add(id(net))
        return list(value)

    def example(self):
        return _example_network()

    def bad_values(self):
        return NETWORK.bad_values() + [[], ["text"]]
