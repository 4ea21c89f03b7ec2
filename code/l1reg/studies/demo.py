"""The article's demo, in one place: its settings, its seeds and its two runs.

McCaffrey's demo (Visual Studio Magazine, December 2017) trains a 10-8-4 network on
200 synthetic items with lr = 0.01 for "500 iterations", read here as 500 epochs
(passes over the 200 items, one step per item), once without and once with L1
(lam = 0.001), and tests on 40 items. The chapter walks through the same steps; the
console version is ``python -m l1reg demo``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from l1reg.core._validation import (
    Instance,
    Int,
    Matrix,
    Optional,
    Options,
    Real,
    Tuple,
    validate_fields,
    validate_params,
)
from l1reg.core.network import NETWORK, Network
from l1reg.core.penalties import L1
from l1reg.core.training import ENGINES, History, fit
from l1reg.studies.data import DemoData, label_items, make_demo_data, make_generator, make_inputs

N_INPUT, N_HIDDEN, N_OUTPUT = 10, 8, 4
EPOCHS = 500
LR = 0.01
LAM = 0.001

#: Items in the large test set of each seed set (:func:`demo_large_test`): one item is
#: 0.02 points there, against 2.5 points for one of the article's 40.
LARGE_TEST_ITEMS = 5000
# The large test sets' inputs come from their own stream, (LARGE_TEST_SEED, run): no
# collision with the five seeds 5r .. 5r+4 of demo_seeds.
LARGE_TEST_SEED = 2017

# The article's published accuracies (train, test), in percent.
ARTICLE_ACCURACY = {"without L1": (94.00, 55.00), "with L1": (94.50, 67.50)}


@validate_params(run=Int(0))
def demo_seeds(run: int = 0) -> dict[str, int]:
    """Five distinct seeds for one run of the demo; run 0 is the book's demo.

    Run ``r`` uses seeds ``5r`` (generator), ``5r+1`` (training inputs), ``5r+2``
    (test inputs), ``5r+3`` (initial weights) and ``5r+4`` (visiting order).
    """
    names = ("generator_seed", "train_seed", "test_seed", "init_seed", "order_seed")
    return {name: 5 * run + i for i, name in enumerate(names)}


@validate_params(run=Int(0))
def demo_data(run: int = 0) -> DemoData:
    """The demo's 200 training and 40 test items for seed set ``run``."""
    s = demo_seeds(run)
    return make_demo_data(
        generator_seed=s["generator_seed"], train_seed=s["train_seed"], test_seed=s["test_seed"]
    )


@validate_params(run=Int(0), n_items=Int())
def demo_large_test(run: int = 0, n_items: int = LARGE_TEST_ITEMS) -> tuple[np.ndarray, np.ndarray]:
    """A large test set (inputs, one-hot targets) from seed set ``run``'s generator.

    The article tests on 40 items, where one item is 2.5 points of accuracy; a claim
    about generalization needs thousands. The inputs are drawn from their own stream,
    so the 200 training and 40 test items of :func:`demo_data` stay as they are.

    Examples
    --------
    >>> x, t = demo_large_test(0, n_items=3)
    >>> x.shape, t.shape
    ((3, 10), (3, 4))
    """
    generator = make_generator(demo_seeds(run)["generator_seed"])
    x = make_inputs(n_items, N_INPUT, np.random.default_rng((LARGE_TEST_SEED, run)))
    return x, label_items(generator, x)


@validate_params(lam=Real(0.0), run=Int(0))
def demo_network(lam: float, run: int = 0) -> Network:
    """A fresh 10-8-4 network; L1 on its weights when ``lam > 0`` (biases unpenalized)."""
    penalty = L1(lam) if lam > 0 else None
    return Network(N_INPUT, N_HIDDEN, N_OUTPUT, seed=demo_seeds(run)["init_seed"], weight_penalty=penalty)


@validate_fields(net=NETWORK,
                 history=Instance(History, "an l1reg.History", example=History))
@dataclass
class DemoRun:
    """A trained network and its per-epoch history."""

    net: Network
    history: History

    @property
    def train_accuracy(self) -> float:
        return self.history.train_accuracy[-1]

    @property
    def test_accuracy(self) -> float:
        return self.history.test_accuracy[-1]


@validate_params(lam=Real(0.0), run=Int(0), epochs=Int(),
                 # whether the items fit the demo network is asked by fit
                 test_data=Optional(Tuple(Matrix(), Matrix(), what="a pair (x_test, t_test)")))
def run_demo(lam: float, run: int = 0, epochs: int = EPOCHS, test_data: tuple | None = None) -> DemoRun:
    """Train the demo network with penalty strength ``lam`` on seed set ``run``.

    The history's test accuracy is measured on the article's 40 items, or on
    ``test_data`` (inputs, one-hot targets) if given, e.g. ``demo_large_test(run)``.
    """
    data = demo_data(run)
    net = demo_network(lam, run)
    history = fit(
        net, data.x_train, data.t_train, epochs=epochs, lr=LR,
        seed=demo_seeds(run)["order_seed"],
        test_data=(data.x_test, data.t_test) if test_data is None else test_data,
    )
    return DemoRun(net, history)


@validate_params(n_runs=Int(), lam=Real(0.0), epochs=Int(), large_test_items=Int(),
                 engine=Options(*sorted(ENGINES)))
def seed_study(n_runs: int, lam: float = LAM, epochs: int = EPOCHS,
               large_test_items: int = LARGE_TEST_ITEMS, engine: str = "compiled") -> dict[str, np.ndarray]:
    """Final accuracies and weight sizes of the demo without and with L1 over seed sets 0..n_runs-1.

    Each run has its own generator, data, initial weights and visiting order; within
    a run the two models share all of them, so their difference is L1's effect alone.
    The ``n_runs`` networks of each kind are trained side by side (one stacked
    :func:`~l1reg.core.training.fit`, by ``engine``, without per-epoch history) and scored
    once, at the end. ``engine="compiled"`` gives what ``"numpy"`` gives up to round-off,
    which over 100,000 steps can move a few final accuracies by an item, as another
    CPU can; it is several times faster.

    Returns
    -------
    dict of str to numpy.ndarray
        Arrays of length ``n_runs``: under ``"train_plain"``, ``"test_plain"``,
        ``"train_l1"`` and ``"test_l1"`` the accuracies on the 200 training and the
        article's 40 test items; under ``"large_test_plain"`` and ``"large_test_l1"``
        those on each seed set's large test set of ``large_test_items`` items
        (:func:`demo_large_test`); under ``"sum_w_plain"`` and ``"sum_w_l1"`` the
        trained networks' ``sum |w|`` over their 112 weights (biases excluded).
    """
    runs = range(n_runs)
    datas = [demo_data(r) for r in runs]
    stacked = {k: np.stack([getattr(d, k) for d in datas]) for k in DemoData._fields}
    large = [demo_large_test(r, large_test_items) for r in runs]
    orders = [demo_seeds(r)["order_seed"] for r in runs]
    result = {}
    for label, strength in (("plain", 0.0), ("l1", lam)):
        nets = [demo_network(strength, r) for r in runs]
        fit(nets, stacked["x_train"], stacked["t_train"], epochs=epochs, lr=LR, seed=orders,
            engine=engine, record_history=False)
        scores = {
            "train": [net.accuracy(d.x_train, d.t_train) for net, d in zip(nets, datas, strict=True)],
            "test": [net.accuracy(d.x_test, d.t_test) for net, d in zip(nets, datas, strict=True)],
            "large_test": [net.accuracy(x, t) for net, (x, t) in zip(nets, large, strict=True)],
            "sum_w": [float(np.abs(net.weights()).sum()) for net in nets],
        }
        result.update({f"{which}_{label}": np.array(values) for which, values in scores.items()})
    return result


@validate_params(epochs=Int())
def print_demo(epochs: int = EPOCHS) -> None:
    """Print a console run like the article's: data summary, two runs, four accuracies."""
    data = demo_data()
    print("Neural network L1 regularization demo (l1reg)")
    print(f"Data: {len(data.x_train)} training and {len(data.x_test)} test items, "
          f"{N_INPUT} inputs, {N_OUTPUT} classes")
    print("  made by a 10-15-4 generator network with weights in [-9.9, 9.9]")
    print(f"  training items per class: {data.t_train.sum(axis=0).astype(int).tolist()}")
    print(f"Network: {N_INPUT}-{N_HIDDEN}-{N_OUTPUT}, tanh hidden, softmax output, squared error")
    print(f"Training: {epochs} epochs of per-item SGD, lr = {LR}")
    results = {}
    for label, lam in (("without L1", 0.0), ("with L1", LAM)):
        print(f"\nTraining {label}" + (f" (lam = {lam})" if lam else ""))
        run = run_demo(lam, epochs=epochs)
        step = max(1, epochs // 5)
        shown = sorted(set(range(step, epochs + 1, step)) | {epochs})
        for epoch in shown:
            print(f"  epoch {epoch:4d}  error = {run.history.train_error[epoch - 1]:.4f}")
        results[label] = run
    print("\nAccuracy        train     test")
    for label, run in results.items():
        print(f"  {label:<12} {100 * run.train_accuracy:6.2f} % {100 * run.test_accuracy:6.2f} %")


@validate_params(n=Int(), run=Int(0))
def demo_stack(n: int, run: int = 0) -> tuple[list[Network], np.ndarray, np.ndarray]:
    """``n`` networks of the demo's shape and their data, stacked for one side-by-side ``fit``.

    Network ``i`` starts from seed ``i``, without a penalty (the update rule given to
    ``fit`` brings one); each trains on seed set ``run``'s 200 training items, stacked
    along a first axis, one row per network.

    Examples
    --------
    >>> nets, x, t = demo_stack(3)
    >>> len(nets), x.shape, t.shape
    (3, (3, 200, 10), (3, 200, 4))
    """
    data = demo_data(run)
    nets = [Network(N_INPUT, N_HIDDEN, N_OUTPUT, seed=i) for i in range(n)]
    return nets, np.stack([data.x_train] * n), np.stack([data.t_train] * n)
