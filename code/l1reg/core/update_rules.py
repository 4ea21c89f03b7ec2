"""Ways to apply L1 as an update rule: the hooks a training step calls around its update.

The penalty ``lam * sum(|w|)`` can enter stochastic gradient descent in several ways.
With ``g`` the data gradient of a weight ``w`` (penalty not included) and ``lr`` the
learning rate, the rules here are:

* :class:`Plain` -- ``w <- w - lr * g``, no penalty.
* :class:`SubGradient` -- ``w <- w - lr * (g + lam * sign(w))``: the penalty's
  sub-gradient joins the data gradient. This is what :func:`l1reg.fit` does for a
  network with ``weight_penalty=L1(lam)``, and what it gives, bit for bit.
* :class:`TackOn` -- ``w <- w - lr * g``, then ``w <- w - lam * sign(w)``: a constant
  decay tacked on after the plain step. Its constant is *not* multiplied by ``lr``, so
  ``TackOn(lr * lam)`` is the same pull as ``SubGradient(lam)`` (the very same step
  unless the plain step flips the weight's sign).
* :class:`Proximal` -- ``w <- soft_threshold(w - lr * g, lr * lam)``: the
  forward-backward splitting step (Duchi and Singer 2009); it stops at zero instead of
  crossing it, so weights become exactly 0.
* :class:`L2Gradient` and :class:`ElasticNetGradient` -- the L2 penalty
  ``lam * sum(w**2)`` and the elastic net ``l1 * sum(|w|) + l2 * sum(w**2)`` in the
  gradient, as a network with ``weight_penalty=L2(lam)`` or ``L1L2(l1, l2)`` has them:
  as rules, their strengths may differ from one network of a stack to the next.
* :class:`ElasticNetProximal` -- ``w <- soft_threshold(w - lr * (g + 2 * l2 * w), lr * l1)``:
  the elastic net (Zou and Hastie 2005) with its L2 part in the gradient and its L1 part
  by the proximal step, so that weights become exactly 0 as under :class:`Proximal`.
* :class:`CumulativePenalty` -- Tsuruoka, Tsujii and Ananiadou (2009): clip at zero as
  the proximal step does, but pull each weight by the penalty it *would* have received
  since training began minus what it did receive, which damps the noise of per-item
  gradients.
* :class:`TruncatedGradient` -- Langford, Li and Zhang (2009): every ``k`` steps,
  move the weights with ``|w| <= theta`` toward zero by ``k * lr * lam`` and stop at
  zero; with ``k = 1`` and ``theta = inf`` it is the proximal step.
* :class:`GroupProximal` -- the proximal step of the group lasso (Yuan and Lin 2006),
  ``lam * sum_i ||W[i, :]||``: each row of a weight matrix (for ``ih_weights``, all
  the weights out of one input) shrinks toward zero as a whole, and a row shorter
  than ``lr * lam`` becomes exactly 0, which removes that input from the network.

:mod:`l1reg.regularize.pruning` adds :class:`l1reg.regularize.pruning.KeepPruned`, the rule that fine-tunes
a pruned network with its pruned weights held at zero.

Each rule is a small class in the manner of optax's ``(init, update)`` pairs: its
formulas are written once, against an array namespace ``xp``, so that the NumPy
engine runs them as they are and the compiled engine runs the very same functions
with ``jax.numpy`` (:class:`UpdateRule` says how). :func:`step_once` applies a rule to
a few numbers by hand. To train with a rule, pass it to :func:`l1reg.fit`
(``rule=Proximal(lam)``, and ``on=`` for the weight matrices it acts on); a stack of
networks may have one rule each (a sweep over ``lam``, or over rules, in one pass),
which :func:`rule_for_run` stacks into one. ``MaxNorm`` (:mod:`l1reg.regularize.constraints`) is
a rule too. A new rule is one subclass of :class:`UpdateRule`, in one file; it needs
no new trainer and runs on both engines.
"""

from __future__ import annotations

import numpy as np

from l1reg.core._validation import (
    AnyOf,
    Constraint,
    Instance,
    Int,
    ListOf,
    Optional,
    Real,
    Strength,
    Values,
    validate_params,
)
from l1reg.core.network import NETWORK, WEIGHT_NAMES, Network
from l1reg.core.penalties import L1, L1L2, L2

#: The smallest positive float64: a floor that keeps a zero group's norm from dividing by zero.
TINY = float(np.finfo(np.float64).tiny)


class UpdateRule:
    """A plain gradient step ``w <- w - lr * g``, with two hooks a rule may override.

    For every step, on each weight matrix ``w`` the rule acts on (with ``g`` its
    gradient), training computes ``g = adjust_gradient(xp, s, w, g)``, takes the step
    ``w - lr * g`` on all parameters, then ``w, state = after_step(xp, s, w, lr,
    state)``. ``init(xp, w)`` makes the state once per run, one entry per matrix of
    the dict ``w``. The hooks are pure functions: they return new arrays and change
    nothing in place, which is what lets ``jax.jit`` compile them.

    ``s`` holds the rule's settings (the attributes named in ``settings``) as arrays of
    the parameters' dtype: 0-d, or one per replica of a stack, shaped to broadcast
    against the stacked matrices. The hooks must read the settings from ``s``, never
    from ``self``: so a strength changed between epochs (by a callback) is honoured by
    both engines, and the compiled engine does not compile again for a new strength.
    ``get_config()`` shows the settings.
    """

    #: True for the rules that apply an L1 penalty (so the network must not apply one too).
    applies_l1 = False
    #: The names of the settings, read into ``s`` for the hooks.
    settings: tuple[str, ...] = ()

    @property
    def adjusts_gradient(self) -> bool:
        """True if the rule overrides :meth:`adjust_gradient` (training skips it otherwise)."""
        return type(self).adjust_gradient is not UpdateRule.adjust_gradient

    @property
    def moves_after_step(self) -> bool:
        """True if the rule overrides :meth:`after_step` (training skips it otherwise)."""
        return type(self).after_step is not UpdateRule.after_step

    def get_config(self) -> dict:
        return {name: getattr(self, name) for name in self.settings}

    def strengths(self, dtype, n_rows: int | None = None) -> dict:
        """The settings as arrays of ``dtype`` (whole numbers stay whole).

        For one network each is 0-d; for a stack of ``n_rows`` networks, one per replica,
        shaped (replicas, 1, 1) to broadcast against the stacked matrices (a shared
        setting is repeated, so that every stack of one size has the same shapes).
        """
        out = {}
        for name in self.settings:
            value = np.asarray(getattr(self, name))
            value = value.astype(dtype) if value.dtype.kind == "f" else value
            if n_rows is not None:
                value = np.broadcast_to(value.reshape(-1, 1, 1), (n_rows, 1, 1))
            out[name] = value
        return out

    def signature(self) -> tuple:
        """What the compiled step depends on besides the settings' values: its cache key."""
        return (type(self),)

    @classmethod
    def stack(cls, rules: list[UpdateRule]) -> UpdateRule:
        """Rules of this kind, one per network of a stack, as one rule for the stack.

        By default each setting becomes a column (replicas x 1), one setting per row; a
        rule whose settings are not plain numbers overrides this.
        """
        stacked = object.__new__(cls)
        for key in cls.settings:
            setattr(stacked, key, np.array([getattr(r, key) for r in rules])[:, None])
        return stacked

    def init(self, xp, w: dict) -> dict:
        """The rule's state for one run: one entry per weight matrix in ``w``."""
        return {name: () for name in w}

    def adjust_gradient(self, xp, s: dict, w, g):
        """The gradient the step takes, from the matrix ``w`` and its gradient ``g``."""
        return g

    def after_step(self, xp, s: dict, w, lr, state) -> tuple:
        """The matrix ``w`` after the step, and the rule's new state for it."""
        return w, state

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={_format_setting(v)}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({settings})"


def _format_setting(value) -> str:
    """A setting for a repr: ``0.01``; a stacked rule's column, one per replica: ``[0.01, 0.02]``."""
    if np.ndim(value) == 0:
        return f"{value:g}"
    return np.array2string(np.asarray(value).ravel(), separator=", ", threshold=20,
                           formatter={"float_kind": lambda v: f"{v:g}"})


class Plain(UpdateRule):
    """No penalty from the rule: ``w <- w - lr * g`` (a network's own penalty still applies)."""


class _L1Rule(UpdateRule):
    applies_l1 = True
    settings = ("lam",)
    lam = Strength(columns=True)

    @validate_params(lam=Real(0.0))
    def __init__(self, lam: float) -> None:
        self._lam = lam  # checked by the table; a later ``rule.lam = ...`` by the Strength


class SubGradient(_L1Rule):
    """L1 in the gradient: ``w <- w - lr * (g + lam * sign(w))``, with ``sign(0) = 0``.

    The book's default: the same arithmetic as a network with ``weight_penalty=L1(lam)``.
    A step can carry a weight across zero, so weights hover near zero but rarely hit it.
    """

    def adjust_gradient(self, xp, s, w, g):
        return g + L1.grad(xp, s, w)


class L2Gradient(UpdateRule):
    """L2 in the gradient: ``w <- w - lr * (g + 2 * lam * w)``.

    The same arithmetic as a network with ``weight_penalty=L2(lam)``; as a rule, a stack
    of networks can sweep ``lam`` in one pass.
    """

    settings = ("lam",)
    lam = Strength(columns=True)

    @validate_params(lam=Real(0.0))
    def __init__(self, lam: float) -> None:
        self._lam = lam  # checked by the table; a later ``rule.lam = ...`` by the Strength

    def adjust_gradient(self, xp, s, w, g):
        return g + L2.grad(xp, s, w)


class _ElasticNetRule(UpdateRule):
    """The settings of the elastic net ``l1 * sum(|w|) + l2 * sum(w**2)``: ``l1`` and ``l2``, each >= 0."""

    applies_l1 = True
    settings = ("l1", "l2")
    l1, l2 = Strength(columns=True), Strength(columns=True)

    @validate_params(l1=Real(0.0), l2=Real(0.0))
    def __init__(self, l1: float, l2: float) -> None:
        self._l1, self._l2 = l1, l2  # checked by the table; later settings by the Strengths


class ElasticNetGradient(_ElasticNetRule):
    """The elastic net in the gradient: ``w <- w - lr * (g + l1 * sign(w) + 2 * l2 * w)``.

    The same arithmetic as a network with ``weight_penalty=L1L2(l1, l2)``.
    """

    def adjust_gradient(self, xp, s, w, g):
        return g + L1L2.grad(xp, s, w)


class TackOn(_L1Rule):
    """A constant decay after the plain step: ``w <- w - lr * g``; ``w <- w - lam * sign(w)``.

    ``lam`` here is the distance moved per step, not a strength that ``lr`` scales:
    ``TackOn(lr * lam)`` pulls as hard as ``SubGradient(lam)`` (exactly as hard
    whenever the plain step does not flip the weight's sign). Like the sub-gradient
    rule, it can carry a weight across zero.
    """

    def after_step(self, xp, s, w, lr, state):
        return w - s["lam"] * xp.sign(w), state


class Proximal(_L1Rule):
    """The proximal (forward-backward) step: ``w <- soft_threshold(w - lr * g, lr * lam)``.

    Each weight moves ``lr * lam`` toward zero after the plain step and stops at zero
    instead of crossing it, so weights whose data gradient is weaker than ``lam`` end
    exactly at 0 and stay there.
    """

    def after_step(self, xp, s, w, lr, state):
        return L1.shrink(xp, w, lr * s["lam"]), state


class ElasticNetProximal(_ElasticNetRule):
    """The elastic net's proximal step: ``w <- soft_threshold(w - lr * (g + 2 * l2 * w), lr * l1)``.

    The penalty is the elastic net ``l1 * sum(|w|) + l2 * sum(w**2)`` (Zou and Hastie
    2005), as for :class:`ElasticNetGradient`, but only its smooth L2 part joins the
    gradient; the L1 part is applied after the step by its proximal operator, the soft
    threshold of :class:`Proximal`. So the elastic net gives exact zeros: a weight
    within ``lr * l1`` of zero after the gradient step lands on 0 instead of hovering
    around it. With ``l2 = 0`` it is :class:`Proximal`, with ``l1 = 0`` :class:`L2Gradient`.

    Parameters
    ----------
    l1, l2 : float
        The L1 and L2 strengths, each >= 0, with the conventions of
        :class:`~l1reg.core.penalties.L1` and :class:`~l1reg.core.penalties.L2`.

    Examples
    --------
    With no data gradient, the L2 part scales each weight by ``1 - lr * 2 * l2 = 0.75``;
    the L1 part then moves it ``lr * l1 = 0.25`` toward zero: 0.1875 stops at 0, -1.5
    becomes -1.25.

    >>> step_once(ElasticNetProximal(0.5, 0.25), [0.25, -2.0], [0.0, 0.0], lr=0.5)
    array([ 0.  , -1.25])
    """

    def adjust_gradient(self, xp, s, w, g):
        return g + L2.grad(xp, {"lam": s["l2"]}, w)

    def after_step(self, xp, s, w, lr, state):
        return L1.shrink(xp, w, lr * s["l1"]), state


class CumulativePenalty(_L1Rule):
    """Tsuruoka et al. (2009): clip at zero, pulling by the penalty still owed.

    With ``u`` the total pull every weight could have received so far
    (``u <- u + lr * lam`` each step) and ``q`` the pull this weight did receive,
    after the plain step: ``w <- max(0, w - (u + q))`` if ``w > 0``,
    ``w <- min(0, w + (u - q))`` if ``w < 0``, then ``q <- q + (w_new - w_old)``.
    A weight that a noisy gradient kicks away from zero has to pay back the penalty it
    skipped, so it falls back to zero sooner than under :class:`Proximal`.
    """

    def init(self, xp, w):
        # u is one number per replica (kept with each matrix); q one per weight.
        return {name: {"u": xp.zeros(m.shape[:-2] + (1, 1), dtype=m.dtype), "q": xp.zeros_like(m)}
                for name, m in w.items()}

    def after_step(self, xp, s, w, lr, state):
        u, q = state["u"] + lr * s["lam"], state["q"]
        shrunk_pos = xp.maximum(0.0, w - (u + q))
        shrunk_neg = xp.minimum(0.0, w + (u - q))
        new = xp.where(w > 0, shrunk_pos, xp.where(w < 0, shrunk_neg, w))
        return new, {"u": u, "q": q + (new - w)}


class TruncatedGradient(_L1Rule):
    """Langford, Li and Zhang (2009): truncate the small weights every ``k`` steps.

    After the plain step, on every ``k``-th step (the ``k``-th, ``2k``-th, ...), each
    weight with ``|w| <= theta`` moves ``k * lr * lam`` toward zero and stops at zero;
    the others are left alone: ``w <- sign(w) * max(|w| - k * lr * lam, 0)`` where
    ``|w| <= theta``. On average the pull is ``lr * lam`` per step, as for
    :class:`Proximal`, which is the case ``k = 1``, ``theta = inf``. A larger ``k``
    lets a weight take ``k`` noisy steps before it is truncated; a finite ``theta``
    leaves the large weights unshrunk.

    Parameters
    ----------
    lam : float
        The L1 strength (the paper's gravity ``g``), >= 0.
    theta : float, default inf
        Only weights with ``|w| <= theta`` are truncated, > 0.
    k : int, default 1
        Truncate every ``k`` steps, >= 1.

    Examples
    --------
    >>> rule, state = TruncatedGradient(0.5, k=2), {}
    >>> [float(step_once(rule, [1.0], [0.0], lr=0.1, state=state)[0]) for _ in range(2)]
    [1.0, 0.9]
    """

    settings = ("lam", "theta", "k")

    @validate_params(lam=Real(0.0), theta=Real(0.0, strict=True, allow_inf=True), k=Int())
    def __init__(self, lam: float, *, theta: float = np.inf, k: int = 1) -> None:
        self._lam, self.theta, self.k = lam, theta, k

    def init(self, xp, w):
        return {name: xp.zeros((), dtype=xp.int64) for name in w}

    def after_step(self, xp, s, w, lr, steps):
        steps = steps + 1
        due = steps % s["k"] == 0  # one flag, or one per replica
        shrunk = xp.sign(w) * xp.maximum(xp.abs(w) - s["k"] * lr * s["lam"], 0.0) + 0.0  # no -0.0
        return xp.where(due & (xp.abs(w) <= s["theta"]), shrunk, w), steps


# NumPy arrays have at most 64 axes
@validate_params(w=Values(), threshold=Values(minimum=0.0), axis=Int(-64))
def group_soft_threshold(w, threshold, axis: int = -1) -> np.ndarray:
    """The proximal step of ``threshold * sum_i ||w_i||``, groups along ``axis``.

    Each group (by default a row, the vector ``w[..., i, :]``) is scaled by
    ``max(1 - threshold / ||w_i||, 0)``: it moves ``threshold`` toward zero along its
    own direction and a group with ``||w_i|| <= threshold`` becomes exactly 0. With
    groups of one entry it is :func:`l1reg.soft_threshold`.

    Parameters
    ----------
    w : array_like of float
        The values, grouped along ``axis``.
    threshold : float or array
        How far to move each group, >= 0 (``lr * lam`` after a gradient step); an array
        broadcasts against ``w`` with ``axis`` kept (one per replica of a stack).
    axis : int, default -1
        The axis along which the entries of a group lie.

    Examples
    --------
    >>> group_soft_threshold([[3.0, 4.0], [0.3, 0.4]], 1.0)
    array([[2.4, 3.2],
           [0. , 0. ]])
    """
    if w.ndim == 0:
        raise ValueError("w must be an array with at least one axis to group along, got a number")
    if not -w.ndim <= axis < w.ndim:
        raise ValueError(f"axis must be an axis of w, from {-w.ndim} to {w.ndim - 1}, got {axis}")
    return _group_shrink(np, w, threshold, axis)


def _group_shrink(xp, w, tau, axis: int = -1):
    """:func:`group_soft_threshold`'s formula for any array namespace, unchecked."""
    norms = xp.sqrt(xp.sum(w * w, axis=axis, keepdims=True))
    # a zero group stays zero; the floor only avoids dividing by zero
    return w * xp.maximum(1.0 - tau / xp.maximum(norms, TINY), 0.0) + 0.0  # no -0.0


class GroupProximal(UpdateRule):
    """The group lasso's proximal step on each row: ``W[i, :] *= max(1 - lr * lam / ||W[i, :]||, 0)``.

    The penalty is ``lam * sum_i ||W[i, :]||`` (Yuan and Lin 2006), over the rows of
    every weight matrix the rule acts on: on ``ih_weights``, row ``i`` holds all the
    weights out of input ``i``, so a row that reaches zero removes that input. (Yuan and
    Lin weight each group by the square root of its size; all rows of a matrix have
    the same size, so that factor is part of ``lam``.)

    Examples
    --------
    >>> w = np.array([[3.0, 4.0], [0.03, 0.04]])
    >>> step_once(GroupProximal(1.0), w, np.zeros_like(w), lr=0.1)  # rows shrink by 0.1
    array([[2.94, 3.92],
           [0.  , 0.  ]])
    """

    applies_l1 = True  # a norm penalty on the weights: not to be doubled by the network's L1
    settings = ("lam",)
    lam = Strength(columns=True)

    @validate_params(lam=Real(0.0))
    def __init__(self, lam: float) -> None:
        self._lam = lam  # checked by the table; a later ``rule.lam = ...`` by the Strength

    def after_step(self, xp, s, w, lr, state):
        return _group_shrink(xp, w, lr * s["lam"]), state


#: The rule of an argument that is one update rule, for argument tables.
RULE = Instance(UpdateRule, "an update rule such as l1reg.core.update_rules.Proximal(lam)", example=Plain)


@validate_params(rule=RULE, w=Values(), g=Values(), lr=Real(0.0, strict=True),
                 state=Optional(Instance(dict, "a dict (empty at first, then passed back)", example=dict)))
def step_once(rule: UpdateRule, w, g, lr: float, state: dict | None = None) -> np.ndarray:
    """One update of the weights ``w`` with data gradient ``g``, as training does it.

    ``rule.adjust_gradient``, the plain step ``w - lr * g``, then ``rule.after_step``;
    returns the new weights (``w`` and ``g`` are not modified). To chain steps of a
    rule that keeps a state (the cumulative penalty), pass the same dict as ``state``
    each time, starting from an empty one: it is filled on the first call.

    Examples
    --------
    >>> float(step_once(SubGradient(0.01), [8.0], [9.0], lr=0.05)[0])
    7.5495
    """
    if w.shape != g.shape:
        raise ValueError(f"g must have the shape of w {w.shape}, got {g.shape}")
    if state is None:
        state = {}
    shape = w.shape
    w, g = np.atleast_2d(w), np.atleast_2d(g)  # a matrix, as the rules' hooks expect
    if not state:
        state.update(rule.init(np, {"w": w}))
    s = rule.strengths(np.float64)
    w = w - lr * rule.adjust_gradient(np, s, w, g)
    w, state["w"] = rule.after_step(np, s, w, lr, state["w"])
    return w.reshape(shape)


class WeightNames(Constraint):
    """The name of a weight matrix, or a non-empty list of them; returned as a tuple in the
    flat layout's order (``("ih_weights", "ho_weights")``: the matrices are contiguous)."""

    def check(self, value, name):
        names = (value,) if isinstance(value, str) else value
        if not isinstance(names, (list, tuple)) or not names or any(
                not isinstance(n, str) or n not in WEIGHT_NAMES for n in names):
            raise ValueError(f"{name} must be a non-empty list of names from {list(WEIGHT_NAMES)}, "
                             f"got {value!r}")
        return tuple(n for n in WEIGHT_NAMES if n in names)

    def example(self):
        return WEIGHT_NAMES

    def bad_values(self):
        return [(), ["h_biases"], "o_biases", None, [1]]


@validate_params(net=NETWORK, on=WeightNames())
def weight_slice(net: Network, on) -> tuple[slice, tuple[str, ...]]:
    """The flat slice holding the weight matrices named in ``on`` (they are contiguous), and their names."""
    sizes = [int(np.prod(net.shapes[name])) for name in WEIGHT_NAMES]
    start = 0 if on[0] == WEIGHT_NAMES[0] else sizes[0]
    stop = sizes[0] if on[-1] == WEIGHT_NAMES[0] else sizes[0] + sizes[1]
    return slice(start, stop), on


#: The rule of an argument that is one update rule, or (for a stack) a list with one per network.
RULE_OR_RULES = AnyOf(RULE, ListOf(RULE, what="a list of update rules, one per network"),
                      what="an update rule, or a list with one rule per network")


@validate_params(rule=Optional(RULE_OR_RULES), net=NETWORK, n_replicas=Optional(Int()))
def rule_for_run(rule, net: Network, n_replicas: int | None = None) -> UpdateRule:
    """The one rule a training run applies, checked against ``net``.

    ``None`` is :class:`Plain`; one rule is itself; for a stack of ``n_replicas``
    networks, a list with one rule per network becomes one rule acting on each row
    with that row's rule (:func:`stack_rules`). ``None`` for ``n_replicas`` means one
    network, which takes one rule.
    """
    if rule is None:
        return Plain()
    if n_replicas is None:
        if isinstance(rule, list):
            raise TypeError("rule must be one update rule for one network, got a list")
        return _check_rule(rule, "rule", net, None)
    return _stack_rules(rule, n_replicas, net)


def _check_rule(rule: UpdateRule, name: str, net: Network, n_rows: int | None) -> UpdateRule:
    """Return ``rule`` if ``net`` can train with it, on one network (``n_rows`` None) or a
    stack of ``n_rows``; or raise naming ``name``."""
    penalty = net.weight_penalty
    if rule.applies_l1 and getattr(penalty, "applies_l1", False):
        raise ValueError(
            f"{name} applies L1 and the network already has weight_penalty={penalty!r}; "
            "give the network weight_penalty=None (or an L2 penalty) to apply L1 once"
        )
    check_settings(rule, n_rows, name)
    return rule


def check_settings(rule: UpdateRule, n_rows: int | None, name: str = "rule") -> None:
    """Refuse a setting of ``rule`` that is an array where the run has no row for each entry.

    A setting is one number, or for a stack of ``n_rows`` networks one per network as a
    column (``n_rows`` x 1, as :meth:`UpdateRule.stack` makes it); an array setting on
    one network (``n_rows`` None) would broadcast over the weight matrices' columns.
    """
    if isinstance(rule, _PerReplica):
        for rows, part in rule.groups:
            check_settings(part, rows.stop - rows.start, name)
        return
    for setting in rule.settings:
        shape = np.shape(getattr(rule, setting))
        if shape == () or shape == (n_rows, 1):
            continue
        if n_rows is None:
            raise ValueError(f"{name}.{setting} must be a number for one network, got an array of "
                             f"shape {shape}")
        raise ValueError(f"{name}.{setting} must be a number, or one per network as a column "
                         f"({n_rows}, 1), got shape {shape}")


@validate_params(rule=RULE_OR_RULES, n_rep=Int(), first=NETWORK)
def stack_rules(rule, n_rep: int, first: Network) -> UpdateRule:
    """One rule for the whole stack of ``n_rep`` networks like ``first``: the shared rule,
    or the per-replica rules stacked.

    Neighbouring replicas with rules of one kind become one rule whose settings are
    columns (one row per replica); runs of different kinds each act on their own rows.
    """
    return _stack_rules(rule, n_rep, first)


def _stack_rules(rule, n_rep: int, first: Network) -> UpdateRule:
    if not isinstance(rule, list):
        return _check_rule(rule, "rule", first, n_rep)
    if len(rule) != n_rep:
        raise ValueError(f"rule must be one rule or a list with one rule per network ({n_rep})")
    rules = [_check_rule(r, f"rule[{i}]", first, None) for i, r in enumerate(rule)]
    groups, start = [], 0
    for stop in range(1, n_rep + 1):
        if stop == n_rep or type(rules[stop]) is not type(rules[start]):
            groups.append((slice(start, stop), _as_columns(rules[start:stop])))
            start = stop
    return groups[0][1] if len(groups) == 1 else _PerReplica(groups)


def _as_columns(rules: list[UpdateRule]) -> UpdateRule:
    """Rules of one kind as one rule for their rows of the stack (:meth:`UpdateRule.stack`)."""
    return type(rules[0]).stack(rules)


class _PerReplica(UpdateRule):
    """Rules of several kinds in one stack, each acting on its own (contiguous) rows."""

    def __init__(self, groups: list[tuple[slice, UpdateRule]]) -> None:
        self.groups = groups

    def __repr__(self) -> str:
        groups = ", ".join(f"{rows.start}:{rows.stop}={rule!r}" for rows, rule in self.groups)
        return f"{type(self).__name__}({groups})"

    @property
    def adjusts_gradient(self) -> bool:
        return any(rule.adjusts_gradient for _, rule in self.groups)

    @property
    def moves_after_step(self) -> bool:
        return any(rule.moves_after_step for _, rule in self.groups)

    def strengths(self, dtype, n_rows: int | None = None) -> list:
        return [rule.strengths(dtype, rows.stop - rows.start) for rows, rule in self.groups]

    def signature(self) -> tuple:
        return tuple((rows.start, rows.stop, rule.signature()) for rows, rule in self.groups)

    def init(self, xp, w):
        per_group = [rule.init(xp, {name: m[rows] for name, m in w.items()}) for rows, rule in self.groups]
        return {name: [state[name] for state in per_group] for name in w}

    def adjust_gradient(self, xp, s, w, g):
        return xp.concat([rule.adjust_gradient(xp, si, w[rows], g[rows])
                          for (rows, rule), si in zip(self.groups, s, strict=True)], axis=0)

    def after_step(self, xp, s, w, lr, state):
        pieces = [rule.after_step(xp, si, w[rows], lr, st)
                  for (rows, rule), si, st in zip(self.groups, s, state, strict=True)]
        return xp.concat([m for m, _ in pieces], axis=0), [st for _, st in pieces]
