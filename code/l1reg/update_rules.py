"""Ways to apply L1 as an update rule, and a training loop that takes a rule.

The penalty ``lam * sum(|w|)`` can enter stochastic gradient descent in several ways.
With ``g`` the data gradient of a weight ``w`` (penalty not included) and ``lr`` the
learning rate, the rules here are:

* :class:`Plain` -- ``w <- w - lr * g``, no penalty.
* :class:`SubGradient` -- ``w <- w - lr * (g + lam * sign(w))``: the penalty's
  sub-gradient joins the data gradient. This is what :func:`l1reg.train` does for a
  network with ``weight_penalty=L1(lam)``, and what it gives, bit for bit.
* :class:`TackOn` -- ``w <- w - lr * g``, then ``w <- w - lam * sign(w)``: a constant
  decay tacked on after the plain step. Its constant is *not* multiplied by ``lr``, so
  ``TackOn(lr * lam)`` is the same pull as ``SubGradient(lam)`` (the very same step
  unless the plain step flips the weight's sign).
* :class:`Proximal` -- ``w <- soft_threshold(w - lr * g, lr * lam)``: the
  forward-backward splitting step (Duchi and Singer 2009); it stops at zero instead of
  crossing it, so weights become exactly 0.
* :class:`CumulativePenalty` -- Tsuruoka, Tsujii and Ananiadou (2009): clip at zero as
  the proximal step does, but pull each weight by the penalty it *would* have received
  since training began minus what it did receive, which damps the noise of per-item
  gradients.

:func:`step_once` applies a rule to a few numbers by hand. :func:`train_with_rule`
trains one network with a rule, with the shuffling and seed conventions of
:func:`l1reg.train`; :func:`train_replicas_with_rule` trains several same-shaped
networks side by side, as :func:`l1reg.training.train_replicas` does, and lets each
replica have its own rule (a sweep over ``lam``, or over rules, in one pass).
``MaxNorm`` (:mod:`l1reg.constraints`) is a rule too; dropout and jitter
(:mod:`l1reg.dropout`, :mod:`l1reg.jitter`) plug in as ``noise``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from l1reg._validation import check_real, check_rng
from l1reg.dropout import Dropout
from l1reg.jitter import Jitter
from l1reg.network import (
    WEIGHT_NAMES,
    Network,
    add_penalty_gradients,
    backward,
    check_network,
    forward,
    param_views,
)
from l1reg.penalties import L1, L1L2, soft_threshold
from l1reg.training import (
    History,
    _check_data,
    _check_replica_run,
    _check_schedule,
    _record,
)


class UpdateRule:
    """A plain gradient step ``w <- w - lr * g``, with two hooks a rule may override.

    The training loop calls, for every step on the weights ``w`` the rule acts on,
    ``adjust_gradient(w, g)`` (change the gradient before the step), then takes the step
    ``w <- w - lr * g`` on all parameters, then ``after_step(w, lr, state)`` (move the
    weights after it). ``start(w, matrices)`` makes the rule's state once per run.
    Every setting of a rule is in ``get_config()``.
    """

    #: True for the rules that apply an L1 penalty (so the network must not apply one too).
    applies_l1 = False

    def get_config(self) -> dict:
        return {}

    def start(self, w: np.ndarray, matrices: list[np.ndarray]):
        """The rule's state for one run; ``w`` are the weights it acts on (a view)."""
        return None

    def adjust_gradient(self, w: np.ndarray, g: np.ndarray) -> None:
        """Change the weights' gradient ``g`` in place before the step (default: no change)."""

    def after_step(self, w: np.ndarray, lr: float, state) -> None:
        """Move the weights ``w`` in place after the step (default: leave them)."""

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v:g}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({settings})"


class Plain(UpdateRule):
    """No penalty from the rule: ``w <- w - lr * g`` (a network's own penalty still applies)."""


class _L1Rule(UpdateRule):
    applies_l1 = True

    def __init__(self, lam: float) -> None:
        self.lam = check_real(lam, "lam", minimum=0.0)

    def get_config(self) -> dict:
        return {"lam": self.lam}


class SubGradient(_L1Rule):
    """L1 in the gradient: ``w <- w - lr * (g + lam * sign(w))``, with ``sign(0) = 0``.

    The book's default: the same arithmetic as a network with ``weight_penalty=L1(lam)``.
    A step can carry a weight across zero, so weights hover near zero but rarely hit it.
    """

    def adjust_gradient(self, w: np.ndarray, g: np.ndarray) -> None:
        g += self.lam * np.sign(w)


class TackOn(_L1Rule):
    """A constant decay after the plain step: ``w <- w - lr * g``; ``w <- w - lam * sign(w)``.

    ``lam`` here is the distance moved per step, not a strength that ``lr`` scales:
    ``TackOn(lr * lam)`` pulls as hard as ``SubGradient(lam)`` (exactly as hard
    whenever the plain step does not flip the weight's sign). Like the sub-gradient
    rule, it can carry a weight across zero.
    """

    def after_step(self, w: np.ndarray, lr: float, state) -> None:
        w -= self.lam * np.sign(w)


class Proximal(_L1Rule):
    """The proximal (forward-backward) step: ``w <- soft_threshold(w - lr * g, lr * lam)``.

    Each weight moves ``lr * lam`` toward zero after the plain step and stops at zero
    instead of crossing it, so weights whose data gradient is weaker than ``lam`` end
    exactly at 0 and stay there.
    """

    def after_step(self, w: np.ndarray, lr: float, state) -> None:
        if np.ndim(self.lam) == 0:
            w[...] = soft_threshold(w, lr * self.lam)
        else:  # a lam per replica: soft_threshold's formula, row by row
            w[...] = np.sign(w) * np.maximum(np.abs(w) - lr * self.lam, 0.0)


class CumulativePenalty(_L1Rule):
    """Tsuruoka et al. (2009): clip at zero, pulling by the penalty still owed.

    With ``u`` the total pull every weight could have received so far
    (``u <- u + lr * lam`` each step) and ``q`` the pull this weight did receive,
    after the plain step: ``w <- max(0, w - (u + q))`` if ``w > 0``,
    ``w <- min(0, w + (u - q))`` if ``w < 0``, then ``q <- q + (w_new - w_old)``.
    A weight that a noisy gradient kicks away from zero has to pay back the penalty it
    skipped, so it falls back to zero sooner than under :class:`Proximal`.
    """

    def start(self, w: np.ndarray, matrices: list[np.ndarray]) -> dict[str, np.ndarray]:
        # u is one number per replica; q one per weight.
        return {"u": np.zeros(w.shape[:-1] + (1,)), "q": np.zeros_like(w)}

    def after_step(self, w: np.ndarray, lr: float, state: dict[str, np.ndarray]) -> None:
        u, q = state["u"], state["q"]
        u += lr * self.lam
        before = w.copy()
        shrunk_pos = np.maximum(0.0, before - (u + q))
        shrunk_neg = np.minimum(0.0, before + (u - q))
        w[...] = np.where(before > 0, shrunk_pos, np.where(before < 0, shrunk_neg, before))
        q += w - before


def step_once(rule: UpdateRule, w, g, lr: float, state=None) -> np.ndarray:
    """One update of the weights ``w`` with data gradient ``g``, as training does it.

    ``rule.adjust_gradient``, the plain step ``w - lr * g``, then ``rule.after_step``;
    returns the new weights (``w`` and ``g`` are not modified). Pass the ``state``
    from ``rule.start`` to chain steps of a rule that keeps one (the cumulative penalty).

    Examples
    --------
    >>> float(step_once(SubGradient(0.01), [8.0], [9.0], lr=0.05)[0])
    7.5495
    """
    if not isinstance(rule, UpdateRule):
        raise TypeError(f"rule must be an update rule such as Proximal(lam), got {type(rule).__name__}")
    w, g = np.array(w, dtype=np.float64), np.array(g, dtype=np.float64)
    if w.shape != g.shape:
        raise ValueError(f"g must have the shape of w {w.shape}, got {g.shape}")
    lr = check_real(lr, "lr", minimum=0.0, strict=True)
    if state is None:
        state = rule.start(w, [])
    rule.adjust_gradient(w, g)
    w -= lr * g
    rule.after_step(w, lr, state)
    return w


def train_with_rule(
    net: Network,
    x_train,
    t_train,
    *,
    rule: UpdateRule,
    epochs: int,
    lr: float,
    seed: int | np.random.Generator,
    batch_size: int = 1,
    x_test=None,
    t_test=None,
    on: Sequence[str] = WEIGHT_NAMES,
    noise: Dropout | Jitter | None = None,
    callback: Callable[[int, np.ndarray], bool | None] | None = None,
) -> History:
    """Train ``net`` in place by SGD, applying ``rule`` to its weights; as :func:`l1reg.train`.

    Each epoch visits the items in an order drawn from ``seed`` exactly as
    :func:`l1reg.train` draws it, so ``train_with_rule(net, ..., rule=SubGradient(lam))``
    on a network without a weight penalty equals ``train`` on the same network with
    ``weight_penalty=L1(lam)``, bit for bit.

    Parameters
    ----------
    net : Network
        The network to train. Its own penalties stay in the gradient; it must not
        have an L1 weight penalty when ``rule`` applies L1.
    x_train, t_train, epochs, lr, seed, batch_size, x_test, t_test
        As for :func:`l1reg.train`.
    rule : UpdateRule
        How the weights are updated: :class:`Plain`, :class:`SubGradient`,
        :class:`TackOn`, :class:`Proximal`, :class:`CumulativePenalty`, or
        :class:`l1reg.constraints.MaxNorm`.
    on : sequence of str, default ("ih_weights", "ho_weights")
        The weight matrices the rule acts on, e.g. ``("ih_weights",)`` for the first
        layer only. Biases are never touched by the rule.
    noise : Dropout or Jitter, optional
        Noise injected into each step's forward pass (its own seed); none by default.
    callback : callable, optional
        ``callback(epoch, params)`` after every epoch, with the flat parameter vector
        (a live view: copy what you keep); a true return value stops training.

    Returns
    -------
    History
        Training (and test) error without the penalty, and accuracy, per epoch.
    """
    check_network(net)
    x, t, x_test, t_test = _check_data(net, x_train, t_train, x_test, t_test)
    epochs, lr, batch_size = _check_schedule(epochs, lr, batch_size)
    rule = _check_rule(rule, "rule", net)
    sl, names = _weight_slice(net, on)
    history = History()
    _run(net, net._flat, net._grad, [history], x, t, x_test, t_test, [check_rng(seed)],
         rule=rule, sl=sl, names=names, epochs=epochs, lr=lr, batch_size=batch_size,
         noise=_check_noise(noise), callback=_check_callback(callback))
    return history


def train_replicas_with_rule(
    nets: list[Network],
    x_train,
    t_train,
    *,
    rule: UpdateRule | Sequence[UpdateRule],
    epochs: int,
    lr: float,
    seeds: list,
    batch_size: int = 1,
    x_test=None,
    t_test=None,
    on: Sequence[str] = WEIGHT_NAMES,
    noise: Dropout | Jitter | None = None,
    callback: Callable[[int, np.ndarray], bool | None] | None = None,
) -> list[History]:
    """Train same-shaped networks side by side, as :func:`train_with_rule` does each.

    Replica ``i`` trains ``nets[i]`` on ``x_train[i], t_train[i]`` with orders drawn
    from ``seeds[i]`` (the stacking of :func:`l1reg.training.train_replicas`).

    Parameters
    ----------
    rule : UpdateRule or list of UpdateRule
        One rule for all replicas, or one per replica, e.g.
        ``[Proximal(lam) for lam in lams]`` for a sweep; the kinds may differ too.
    noise : Dropout or Jitter, optional
        One noise source for the whole stack: its draws for replica ``i`` depend on
        how many replicas there are (unlike the visiting orders).
    callback : callable, optional
        ``callback(epoch, params)`` with the stacked parameters (replicas x n_params).
    nets, x_train, t_train, seeds, epochs, lr, batch_size, x_test, t_test, on
        As for :func:`l1reg.training.train_replicas` and :func:`train_with_rule`.

    Returns
    -------
    list of History
        One per replica; the networks are trained in place.
    """
    first, rngs, x, t, x_test, t_test, epochs, lr, batch_size = _check_replica_run(
        nets, x_train, t_train, seeds, epochs, lr, batch_size, x_test, t_test
    )
    n_rep = len(nets)
    rule = _stack_rules(rule, n_rep, first)
    sl, names = _weight_slice(first, on)

    flat = np.stack([net._flat for net in nets])  # replicas x n_params
    histories = [History() for _ in nets]
    _run(first, flat, np.empty_like(flat), histories, x, t, x_test, t_test, rngs,
         rule=rule, sl=sl, names=names, epochs=epochs, lr=lr, batch_size=batch_size,
         noise=_check_noise(noise), callback=_check_callback(callback))
    for net, row in zip(nets, flat, strict=True):
        net._flat[:] = row
    return histories


def _run(first, flat, grad, histories, x, t, x_test, t_test, rngs, *, rule, sl, names,
         epochs, lr, batch_size, noise, callback) -> None:
    """The loop shared by one network (2-D data) and a stack of them (3-D data)."""
    p, g = param_views(flat, first.shapes), param_views(grad, first.shapes)
    w, gw = flat[..., sl], grad[..., sl]  # views: the weights the rule acts on
    state = rule.start(w, [p[name] for name in names])
    stacked = flat.ndim == 2
    rows = np.arange(len(rngs))[:, None]
    n = x.shape[-2]
    for epoch in range(1, epochs + 1):
        if stacked:
            order = np.stack([rng.permutation(n) for rng in rngs])
            xs, ts = x[rows, order], t[rows, order]
        else:
            order = rngs[0].permutation(n)
            xs, ts = x[order], t[order]  # one copy per epoch; the batches are views
        for start in range(0, n, batch_size):
            xb = xs[..., start : start + batch_size, :]
            tb = ts[..., start : start + batch_size, :]
            if noise is None:
                h, o = forward(p, xb)
                backward(p, xb, h, o, first._signal(o, tb), g)
            else:
                noise.data_gradient(p, xb, tb, first._signal, g)
            add_penalty_gradients(first, flat, grad)
            rule.adjust_gradient(w, gw)
            flat -= lr * grad
            rule.after_step(w, lr, state)
        _record(histories, first, p, x, t, x_test, t_test)
        if callback is not None and callback(epoch, flat):
            break


def _weight_slice(net: Network, on) -> tuple[slice, tuple[str, ...]]:
    """The flat slice holding the weight matrices named in ``on`` (they are contiguous)."""
    if isinstance(on, str):
        on = (on,)
    if not isinstance(on, (list, tuple)) or not on or any(name not in WEIGHT_NAMES for name in on):
        raise ValueError(f"on must be a non-empty list of names from {list(WEIGHT_NAMES)}, got {on!r}")
    names = tuple(name for name in WEIGHT_NAMES if name in on)  # flat-layout order
    sizes = [int(np.prod(net.shapes[name])) for name in WEIGHT_NAMES]
    start = 0 if names[0] == WEIGHT_NAMES[0] else sizes[0]
    stop = sizes[0] if names[-1] == WEIGHT_NAMES[0] else sizes[0] + sizes[1]
    return slice(start, stop), names


def _check_rule(rule, name: str, net: Network) -> UpdateRule:
    if not isinstance(rule, UpdateRule):
        raise TypeError(
            f"{name} must be an update rule such as l1reg.update_rules.Proximal(lam), "
            f"got {type(rule).__name__}"
        )
    penalty = net.weight_penalty
    has_l1 = (isinstance(penalty, L1) and penalty.lam > 0) or (isinstance(penalty, L1L2) and penalty.l1 > 0)
    if rule.applies_l1 and has_l1:
        raise ValueError(
            f"{name} applies L1 and the network already has weight_penalty={penalty!r}; "
            "give the network weight_penalty=None (or an L2 penalty) to apply L1 once"
        )
    return rule


def _stack_rules(rule, n_rep: int, first: Network) -> UpdateRule:
    """One rule for the whole stack: the shared rule, or the per-replica rules stacked.

    Neighbouring replicas with rules of one kind become one rule whose settings are
    columns (one row per replica); runs of different kinds each act on their own rows.
    """
    if isinstance(rule, UpdateRule) or not isinstance(rule, (list, tuple)):
        return _check_rule(rule, "rule", first)
    if len(rule) != n_rep:
        raise ValueError(f"rule must be one rule or a list with one rule per network ({n_rep})")
    rules = [_check_rule(r, f"rule[{i}]", first) for i, r in enumerate(rule)]
    groups, start = [], 0
    for stop in range(1, n_rep + 1):
        if stop == n_rep or type(rules[stop]) is not type(rules[start]):
            groups.append((slice(start, stop), _as_columns(rules[start:stop])))
            start = stop
    return groups[0][1] if len(groups) == 1 else _PerReplica(groups)


def _as_columns(rules: list[UpdateRule]) -> UpdateRule:
    """Rules of one kind as one rule whose settings are columns (replicas x 1)."""
    stacked = object.__new__(type(rules[0]))
    for key in rules[0].get_config():
        # A column broadcasts against the stacked weights, one setting per row.
        setattr(stacked, key, np.array([r.get_config()[key] for r in rules])[:, None])
    return stacked


class _PerReplica(UpdateRule):
    """Rules of several kinds in one stack, each acting on its own (contiguous) rows."""

    def __init__(self, groups: list[tuple[slice, UpdateRule]]) -> None:
        self.groups = groups

    def start(self, w, matrices):
        return [rule.start(w[rows], [m[rows] for m in matrices]) for rows, rule in self.groups]

    def adjust_gradient(self, w, g) -> None:
        for rows, rule in self.groups:
            rule.adjust_gradient(w[rows], g[rows])  # slices: views, changed in place

    def after_step(self, w, lr, state) -> None:
        for (rows, rule), group_state in zip(self.groups, state, strict=True):
            rule.after_step(w[rows], lr, group_state)


def _check_noise(noise):
    if noise is not None and not isinstance(noise, (Dropout, Jitter)):
        raise TypeError(
            f"noise must be an l1reg.dropout.Dropout, an l1reg.jitter.Jitter or None, "
            f"got {type(noise).__name__}"
        )
    return noise


def _check_callback(callback):
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    return callback
