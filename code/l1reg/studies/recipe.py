"""The recipe: choose a penalty and its strength for your own data, by the study protocol.

:func:`tune` is what the book recommends, as one call. It

1. standardizes the inputs (mean 0, standard deviation 1 per input), since an L1
   strength means nothing until the inputs share a scale;
2. builds, for each penalty, a grid anchored at the strength that silences the first
   layer (:func:`l1reg.studies.protocol.silencing_strength`), 8 values over 3 decades;
3. trains every configuration on K folds of the same items, with training length
   chosen on validation for every method (none included), and chooses each penalty's
   strength on validation cross-entropy with the one-standard-error rule;
4. widens a grid whose choice sits at its weak end (at most ``max_widen`` times);
5. compares none, L2 (both layers), L1 on the first layer and the elastic net on the
   first layer (a grid of strengths for each L1 share in ``mixings``) at this equal
   effort: the best is the simplest method whose validation loss is within one
   standard error (of the difference of the K fold means) of the smallest, the smallest
   itself with ``one_se=False``;
6. refits each method's choice on all the items.

It returns a :class:`Tuned`: the winner, every method's evidence (:class:`Evidence`),
networks that predict on raw inputs, and the Keras settings of the winner
(:meth:`Tuned.keras_settings`, the mapping of chapter 08).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from l1reg.core._validation import (
    Array,
    Flag,
    Instance,
    Int,
    ListOf,
    MappingOf,
    Matrix,
    Optional,
    Options,
    Probability,
    Real,
    Text,
    validate_fields,
    validate_params,
)
from l1reg.core.network import NETWORK, WEIGHT_NAMES, Network
from l1reg.core.update_rules import (
    RULE,
    ElasticNetProximal,
    L2Gradient,
    Plain,
    Proximal,
    UpdateRule,
    WeightNames,
)
from l1reg.studies import protocol
from l1reg.studies.data import one_hot
from l1reg.studies.protocol import Method, Training
from l1reg.studies.stats import standard_error

FIRST_LAYER = ("ih_weights",)


@validate_fields(name=Text(), rule=RULE, on=WeightNames(), grid=Array(ndim=1, min_size=0),
                 mean_loss=Array(ndim=1), se=Array(ndim=1), chosen=Int(0), widened=Int(0),
                 at_end=Options("", "strong", "weak"),
                 collapsed=Int(0), epochs=Int(), item_loss=Array(ndim=2), network=Optional(NETWORK))
@dataclass(eq=False)
class Evidence:
    """One method's cross-validation: its grid, the loss at each value, and what was chosen.

    ``grid`` holds the strengths, strongest first (empty for "none"); ``mean_loss`` and
    ``se`` the mean validation cross-entropy of each configuration over all held-out
    items and its standard error; ``chosen`` the index picked by the one-SE rule (by the
    smallest loss with ``one_se=False``); ``widened`` how many times the weak end was
    extended; ``at_end`` where the smallest validation loss sits (not the one-SE
    choice): ``"strong"``, ``"weak"`` (after widening: the data want the penalty weaker
    than the grid goes, that is no penalty) or ``""``; ``collapsed`` the folds at
    the chosen configuration whose network gives one class to every training item;
    ``epochs`` the training length of the refit
    (:func:`l1reg.studies.protocol.refit_epochs`). ``item_loss`` (folds x items) is the
    chosen configuration's loss on each held-out item, in one order for every method,
    so that two methods' losses can be compared fold by fold.
    """

    name: str
    rule: UpdateRule
    on: tuple
    grid: np.ndarray
    mean_loss: np.ndarray
    se: np.ndarray
    chosen: int
    widened: int
    at_end: str
    collapsed: int
    epochs: int
    item_loss: np.ndarray
    network: Network | None = None

    @property
    def loss(self) -> float:
        """The mean validation cross-entropy at the chosen configuration."""
        return float(self.mean_loss[self.chosen])


def _example_evidence() -> Evidence:
    """A method with a grid of one, for argument tables."""
    return Evidence("none", Plain(), WEIGHT_NAMES, np.zeros(0), np.array([0.5]), np.array([0.1]), 0, 0, "", 0,
                    5, np.array([[0.4, 0.6], [0.5, 0.5]]))


@validate_fields(best=Text(),
                 evidence=MappingOf(Instance(Evidence, "an Evidence", example=_example_evidence)),
                 mean=Array(ndim=1),
                 scale=Array(ndim=1), training=Instance(Training, "a Training", example=Training),
                 class_names=Array("int", ndim=1, min_size=2), majority_loss=Real(0.0))
@dataclass(eq=False)
class Tuned:
    """What :func:`tune` found: the ``best`` method's name and every method's :class:`Evidence`.

    ``mean`` and ``scale`` standardize raw inputs; ``majority_loss`` is the validation
    loss of the baseline that knows only the class frequencies
    (:func:`l1reg.studies.protocol.prior_item_losses`): a method that does not beat it
    has learnt nothing from the inputs.
    """

    best: str
    evidence: dict[str, Evidence]
    mean: np.ndarray
    scale: np.ndarray
    training: Training
    class_names: np.ndarray
    majority_loss: float

    def _evidence(self, method: str | None) -> Evidence:
        if method is None:
            return self.evidence[self.best]
        if method not in self.evidence:
            raise ValueError(f"method must be one of {list(self.evidence)}, got {method!r}")
        return self.evidence[method]

    @validate_params(x=Matrix())
    def standardize(self, x) -> np.ndarray:
        """Inputs on the scale the networks were trained on."""
        return _standardize(x, self.mean, self.scale)

    @validate_params(x=Matrix(), method=Optional(Text()))
    def predict(self, x, method: str | None = None) -> np.ndarray:
        """The class of each item of raw inputs ``x``, by ``method`` (default: the best)."""
        net = self._evidence(method).network
        return self.class_names[net.predict(self.standardize(x))]

    @validate_params(method=Text())
    def difference(self, method: str) -> tuple[float, float]:
        """``method``'s validation loss minus the best's: the mean, and its standard error over the folds."""
        return _difference(self._evidence(method), self.evidence[self.best])

    @validate_params(method=Optional(Text()))
    def keras_settings(self, method: str | None = None) -> dict:
        """The Keras 3 model and training settings that take the same steps (chapter 08).

        Inputs standardized with ``mean`` and ``scale``; a tanh hidden layer and a
        softmax output; ``categorical_crossentropy``; plain SGD at the same learning
        rate, batch size and epochs. An L2 part is ``keras.regularizers.L2(l2=lam)``;
        a proximal L1 part is the constraint
        ``l1reg.reference.keras_bridge.SoftThreshold(threshold=lr * l1)``.
        """
        ev, tr = self._evidence(method), self.training
        layers = {name: {"kernel_regularizer": None, "kernel_constraint": None} for name in WEIGHT_NAMES}
        settings = ev.rule.get_config()
        l1 = settings.get("l1", settings.get("lam") if isinstance(ev.rule, Proximal) else None)
        l2 = settings.get("l2", settings.get("lam") if isinstance(ev.rule, L2Gradient) else None)
        for name in ev.on:
            if l2:
                layers[name]["kernel_regularizer"] = f"keras.regularizers.L2(l2={float(l2)!r})"
            if l1:
                layers[name]["kernel_constraint"] = f"SoftThreshold(threshold={tr.lr * float(l1)!r})"
        return {"hidden": {"units": tr.n_hidden, "activation": "tanh", **layers["ih_weights"]},
                "output": {"activation": "softmax", **layers["ho_weights"]},
                "loss": "categorical_crossentropy",
                "optimizer": f"keras.optimizers.SGD(learning_rate={tr.lr:g})",
                "batch_size": tr.batch_size, "epochs": ev.epochs}


def _methods(mixings) -> list[tuple]:
    """Each method's name, its rule as a function of the strength, and the matrices it acts on."""
    out = [("none", None, WEIGHT_NAMES), ("L2", L2Gradient, WEIGHT_NAMES),
           ("L1, first layer", Proximal, FIRST_LAYER)]
    for a in mixings:
        out.append((f"elastic net {a:g}, first layer",
                    lambda lam, a=a: ElasticNetProximal(a * lam, (1.0 - a) * lam), FIRST_LAYER))
    return out


def _evaluate(x, t, folds, name, rule_for, on, training, seed, one_se, max_widen) -> Evidence:
    """Cross-validate one method on its anchored grid, widening the weak end when it is chosen."""
    if rule_for is None:
        grid, rules = np.zeros(0), [Plain()]
    else:
        grid = protocol.log_grid(protocol.silencing_strength(x, t, rule_for, on, training, seed))
        rules = [rule_for(float(lam)) for lam in grid]
    cv = protocol.cross_validate(x[None], t[None], Method(name, rules, on), folds[None], training, seed)
    widened = 0
    # widen where the smallest loss sits at the weak end: the one-SE choice is made from it
    while grid.size and protocol.select(cv.item_loss)[0] == grid.size - 1 and widened < max_widen:
        extra = protocol.widen_grid(grid, "weak")[grid.size:]
        new_rules = [rule_for(float(lam)) for lam in extra]
        more = protocol.cross_validate(x[None], t[None], Method(name, new_rules, on), folds[None],
                                       training, seed)
        cv = protocol.CrossValidation(*(np.concatenate([a, b], axis=1) for a, b in
                                        ((cv.item_loss, more.item_loss), (cv.best_epoch, more.best_epoch),
                                         (cv.collapsed, more.collapsed))))
        grid, rules, widened = np.concatenate([grid, extra]), rules + new_rules, widened + 1
    return _evidence(name, rules, on, grid, cv, one_se, widened, training)


def _evidence(name, rules, on, grid, cv, one_se, widened, training) -> Evidence:
    chosen = int(protocol.select(cv.item_loss, one_se)[0])
    smallest = protocol.select(cv.item_loss)  # where the grid's end matters: the widening's rule
    pooled = cv.item_loss[0].reshape(len(rules), -1)
    ends = protocol.grid_ends(smallest, max(grid.size, 2)) if grid.size else {}
    at_end = next((end for end, count in ends.items() if count), "")
    epochs = protocol.refit_epochs(cv.best_epoch[0, chosen], training)
    se = standard_error(pooled, axis=1)
    return Evidence(name, rules[chosen], on, grid, pooled.mean(axis=1), se, chosen, widened, at_end,
                    int(cv.collapsed[0, chosen].sum()), epochs, cv.item_loss[0, chosen])


@validate_params(x=Array(ndim=2), classes=Array("int", ndim=1), k=Int(2), seed=Int(0),
                 mixings=ListOf(Probability(strict=True), what="a list of L1 shares in (0, 1)",
                                allow_empty=True),
                 one_se=Flag(), max_widen=Int(0), lr=Real(0.0, strict=True), n_hidden=Int(),
                 batch_size=Int(), max_epochs=Int(), engine=Options("numpy", "compiled"))
def tune(x, classes, *, k: int = 5, seed: int = 0, mixings=(0.5,), one_se: bool = True, max_widen: int = 2,
         lr: float = 0.05, n_hidden: int = 8, batch_size: int = 10, max_epochs: int = 200,
         engine: str = "compiled") -> Tuned:
    """Choose among no penalty, L2, L1 and the elastic net, and their strengths, by K-fold validation loss.

    Parameters
    ----------
    x : array (items x inputs)
        The raw inputs; they are standardized here, and :meth:`Tuned.predict` does the same.
    classes : array of int (items,)
        Each item's class (any integers; the classes present are the outputs).
    k : int, default 5
        Folds of the cross-validation, >= 2 (stratified, of equal size).
    seed : int, default 0
        The folds, initial weights and visiting orders all come from it.
    mixings : sequence of float, default (0.5,)
        The elastic net's L1 shares ``a``: ``l1 = a * lam``, ``l2 = (1 - a) * lam``, a grid
        of ``lam`` for each (an empty list leaves the elastic net out).
    one_se : bool, default True
        Choose each strength, and then the method, by the one-standard-error rule (else
        by the smallest loss).
    max_widen : int, default 2
        How many times a grid is extended by 3 values at its weak end while its smallest
        validation loss sits there. If it still does after that, the evidence says so
        (``at_end``): the data want this penalty weaker than the grid goes, so it
        differs little from "none", which is in the comparison.
    lr, n_hidden, batch_size, max_epochs, engine
        The training every method shares (:class:`l1reg.studies.protocol.Training`).

    The standardization and the anchors use all the items, held-out folds included (as
    glmnet does). The validation losses reported are optimistic, the more so for a
    method with a longer grid (:func:`l1reg.studies.protocol.select`): judge the choice
    on a test set that played no part in it.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> x, y = load_iris(return_X_y=True)
    >>> tuned = tune(x, y, mixings=[], max_epochs=20, engine="numpy")
    >>> list(tuned.evidence), tuned.majority_loss > tuned.evidence[tuned.best].loss
    (['none', 'L2', 'L1, first layer'], True)
    """
    if len(x) != len(classes):
        raise ValueError(f"x and classes must have the same number of items, got {len(x)} and {len(classes)}")
    names, codes = np.unique(classes, return_inverse=True)
    if names.size < 2:
        raise ValueError(f"classes must hold at least 2 classes, got {names.tolist()}")
    if len(set(f"{a:g}" for a in mixings)) < len(mixings):
        raise ValueError(f"mixings must differ from one another, got {list(mixings)}")
    mean = x.mean(axis=0)
    scale = np.where(np.ptp(x, axis=0) > 0, x.std(axis=0), 1.0)  # a constant input stays 0
    z, t = _standardize(x, mean, scale), one_hot(codes, names.size)
    training = Training(n_hidden=n_hidden, lr=lr, batch_size=batch_size, max_epochs=max_epochs, engine=engine)
    folds = protocol.make_folds(codes, k, seed)
    evidence = {name: _evaluate(z, t, folds, name, rule_for, on, training, seed, one_se, max_widen)
                for name, rule_for, on in _methods(mixings)}
    _refit(z, t, evidence, training, seed, k)
    majority = float(protocol.prior_item_losses(t[None], folds[None]).mean())
    return Tuned(_simplest_within_reach(evidence, one_se), evidence, mean, scale, training, names, majority)


def _standardize(x, mean, scale) -> np.ndarray:
    return (np.asarray(x, dtype=float) - mean) / scale


def _difference(ev: Evidence, base: Evidence) -> tuple[float, float]:
    """The mean validation-loss difference and its standard error over the K folds' mean differences.

    Fold means, not items: the items of a fold share one network, so item-by-item
    differences are not independent and their error would be too small. With K folds
    the error has K - 1 degrees of freedom and is itself rough.
    """
    per_fold = (ev.item_loss - base.item_loss).mean(axis=1)
    return float(per_fold.mean()), float(standard_error(per_fold))


def _simplest_within_reach(evidence: dict[str, Evidence], one_se: bool) -> str:
    """The method with the smallest loss; with ``one_se``, the first (simplest) within one SE of it.

    Simplest means fewest settings: none, L2, L1, the elastic net, in that order. The
    standard error is that of the difference from the smallest (:func:`_difference`),
    so a method is passed over only when the data tell it apart.
    """
    lowest = min(evidence, key=lambda name: evidence[name].loss)
    if not one_se:
        return lowest
    for name, ev in evidence.items():  # none, L2, L1, elastic net: simplest first
        mean, se = _difference(ev, evidence[lowest])
        if mean <= se:
            return name
    return lowest


def _refit(z, t, evidence: dict[str, Evidence], training: Training, seed: int, k: int) -> None:
    """Train each method's chosen configuration on all the items, for its chosen length, as one stack."""
    for on in dict.fromkeys(ev.on for ev in evidence.values()):  # one stack per set of matrices
        group = [ev for ev in evidence.values() if ev.on == on]
        for ev in group:  # the same weights and visiting order for every method
            ev.network = training.network(z.shape[1], t.shape[1], protocol.streams(seed, 0, k)[0])
        orders = [protocol.streams(seed, 0, k)[1] for _ in group]
        nets = [ev.network for ev in group]
        protocol.train_for(nets, protocol.stack(z, len(group)), protocol.stack(t, len(group)),
                           [ev.rule for ev in group], on, training, orders, [ev.epochs for ev in group])
