"""SGD training with fit: one step by hand, the visiting order, mini-batches, stacks, history, callbacks."""

import re
import sys

import numpy as np
import pytest

from l1reg import L1, L2, Network, fit, sgd_step
from l1reg.core.training import ENGINES, Callback
from l1reg.core.update_rules import CumulativePenalty, GroupProximal, Proximal, TruncatedGradient
from l1reg.regularize.constraints import MaxNorm
from l1reg.regularize.dropout import Dropout
from l1reg.regularize.early_stopping import EarlyStopping
from l1reg.regularize.jitter import Jitter
from l1reg.regularize.pruning import KeepPruned

# --- one SGD step, computed by hand ------------------------------------------------------

W_IH = np.array([[0.5, -0.3], [0.2, 0.0]])  # one weight exactly 0: sign(0) = 0, no penalty pull
B_H = np.array([0.1, -0.2])
W_HO = np.array([[0.7, -0.4], [-0.6, 0.3]])
B_O = np.array([0.05, -0.05])
X = np.array([[1.0, -2.0]])
T = np.array([[0.0, 1.0]])
LAM, LR = 0.1, 0.5


def _tiny_net(loss: str) -> Network:
    net = Network(2, 2, 2, seed=0, loss=loss, weight_penalty=L1(LAM))
    net.set_params({"ih_weights": W_IH, "ho_weights": W_HO, "h_biases": B_H, "o_biases": B_O})
    return net


def _hand_step(loss: str, *, diagonal_shortcut: bool = False) -> dict[str, np.ndarray]:
    """One SGD step on the single item (X, T), every sum written out."""
    x, t = X[0], T[0]
    # forward
    h = np.array([np.tanh(x[0] * W_IH[0, j] + x[1] * W_IH[1, j] + B_H[j]) for j in range(2)])
    z = np.array([h[0] * W_HO[0, k] + h[1] * W_HO[1, k] + B_O[k] for k in range(2)])
    o = np.exp(z) / (np.exp(z[0]) + np.exp(z[1]))
    # dE/dz
    if loss == "cross_entropy":
        dz = o - t
    elif diagonal_shortcut:
        dz = (o - t) * o * (1 - o)
    else:
        s = (o[0] - t[0]) * o[0] + (o[1] - t[1]) * o[1]
        dz = np.array([o[j] * ((o[j] - t[j]) - s) for j in range(2)])
    # output layer
    g_who = np.array([[h[i] * dz[k] for k in range(2)] for i in range(2)])
    g_bo = dz.copy()
    # hidden layer: tanh' = 1 - h^2
    dh = np.array([(dz[0] * W_HO[i, 0] + dz[1] * W_HO[i, 1]) * (1 - h[i] ** 2) for i in range(2)])
    g_wih = np.array([[x[m] * dh[i] for i in range(2)] for m in range(2)])
    g_bh = dh.copy()
    # L1 on the weights only
    g_wih = g_wih + LAM * np.sign(W_IH)
    g_who = g_who + LAM * np.sign(W_HO)
    return {
        "ih_weights": W_IH - LR * g_wih,
        "ho_weights": W_HO - LR * g_who,
        "h_biases": B_H - LR * g_bh,
        "o_biases": B_O - LR * g_bo,
    }


@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
def test_one_sgd_step_equals_the_hand_computation(loss):
    net = _tiny_net(loss)
    sgd_step(net, X, T, LR)
    expected = _hand_step(loss)
    got = net.get_params()
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=0, atol=1e-12, err_msg=name)


def test_the_hand_step_would_catch_the_diagonal_shortcut():
    exact = _hand_step("squared")
    shortcut = _hand_step("squared", diagonal_shortcut=True)
    gap = max(np.abs(exact[name] - shortcut[name]).max() for name in exact)
    assert gap > 1e-3
    net = _tiny_net("squared")
    sgd_step(net, X, T, LR)
    assert np.abs(net.get_params()["o_biases"] - shortcut["o_biases"]).max() > 1e-3


def test_the_zero_weight_moves_by_its_data_gradient_only():
    net = _tiny_net("squared")
    data_only = Network(2, 2, 2, seed=0, loss="squared")
    data_only.set_flat(net.get_flat())
    g_data = data_only.gradient(X, T)
    sgd_step(net, X, T, LR)
    # W_IH[1, 1] is the fourth parameter (row-major) and is exactly 0
    assert net.get_flat()[3] == pytest.approx(-LR * g_data[3], abs=1e-15)
    assert g_data[3] != 0.0


@pytest.mark.parametrize(("x", "t", "message"), [
    (X[:, :1], T, "x must have 2 columns"),
    (X[0], T, "x must be a 2-D array"),
    (X, np.array([[0.5, 0.5]]), "t must be one-hot"),
    (X, np.eye(2), "t must have 1 rows"),
], ids=["x-columns", "x-1-D", "t-not-one-hot", "t-rows"])
def test_sgd_step_checks_the_items_against_the_network(x, t, message):
    net = _tiny_net("squared")
    before = net.get_flat()
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        sgd_step(net, x, t, LR)
    np.testing.assert_array_equal(net.get_flat(), before)


def test_sgd_step_takes_items_in_the_networks_dtype():
    single = _tiny_net("squared").replace(dtype=np.float32)
    sgd_step(single, X.tolist(), T.tolist(), LR)  # lists of Python floats: converted to float32
    assert single.flat.dtype == np.float32
    np.testing.assert_allclose(single.params["ih_weights"], _hand_step("squared")["ih_weights"], atol=1e-6)


# --- fit: order, determinism, mini-batches, history -------------------------------------


def _net(seed: int = 3, lam: float | None = 0.01, loss: str = "squared") -> Network:
    penalty = None if lam is None else L1(lam)
    return Network(4, 5, 3, seed=seed, init_range=0.5, loss=loss, weight_penalty=penalty)


@pytest.fixture
def data(random_problem):
    x, t = random_problem(24, 4, 3, seed=20)
    x_test, t_test = random_problem(10, 4, 3, seed=21)
    return x, t, x_test, t_test


def test_fit_with_batch_size_one_is_per_item_sgd_in_a_seeded_order(data):
    x, t, _, _ = data
    net = _net()
    fit(net, x, t, epochs=2, lr=0.1, seed=7)

    manual = _net()
    rng = np.random.default_rng(7)
    for _ in range(2):
        for i in rng.permutation(len(x)):
            sgd_step(manual, x[i : i + 1], t[i : i + 1], 0.1)
    np.testing.assert_array_equal(net.get_flat(), manual.get_flat())


def test_same_seeds_give_identical_runs(data):
    x, t, x_test, t_test = data
    runs = []
    for _ in range(2):
        net = _net()
        history = fit(net, x, t, epochs=3, lr=0.1, seed=7, test_data=(x_test, t_test))
        runs.append((net.get_flat(), history))
    (flat_a, hist_a), (flat_b, hist_b) = runs
    np.testing.assert_array_equal(flat_a, flat_b)
    assert hist_a == hist_b  # dataclass equality: every list, element by element


def test_a_generator_seed_gives_the_same_run_as_its_int(data):
    x, t, _, _ = data
    a, b = _net(), _net()
    fit(a, x, t, epochs=2, lr=0.1, seed=7)
    fit(b, x, t, epochs=2, lr=0.1, seed=np.random.default_rng(7))
    np.testing.assert_array_equal(a.get_flat(), b.get_flat())


def test_a_different_order_seed_gives_different_parameters(data):
    x, t, _, _ = data
    a, b = _net(), _net()
    fit(a, x, t, epochs=2, lr=0.1, seed=7)
    fit(b, x, t, epochs=2, lr=0.1, seed=8)
    assert np.abs(a.get_flat() - b.get_flat()).max() > 1e-6


def test_a_different_init_seed_gives_different_parameters(data):
    x, t, _, _ = data
    a, b = _net(seed=3), _net(seed=4)
    fit(a, x, t, epochs=2, lr=0.1, seed=7)
    fit(b, x, t, epochs=2, lr=0.1, seed=7)
    assert np.abs(a.get_flat() - b.get_flat()).max() > 1e-3


@pytest.mark.parametrize("epochs", [1, 3])
def test_full_batch_takes_one_gradient_step_per_epoch(data, epochs):
    x, t, _, _ = data
    net = _net()
    fit(net, x, t, epochs=epochs, lr=0.2, seed=7, batch_size=len(x))

    manual = _net()
    for _ in range(epochs):
        manual.set_flat(manual.get_flat() - 0.2 * manual.gradient(x, t))
    # the shuffled order changes only the round-off of the mean over items
    np.testing.assert_allclose(net.get_flat(), manual.get_flat(), rtol=0, atol=1e-12)


def test_a_batch_larger_than_the_data_is_one_full_batch(data):
    x, t, _, _ = data
    a, b = _net(), _net()
    fit(a, x, t, epochs=2, lr=0.2, seed=7, batch_size=len(x))
    fit(b, x, t, epochs=2, lr=0.2, seed=7, batch_size=1000)
    np.testing.assert_array_equal(a.get_flat(), b.get_flat())


def test_mini_batches_step_on_the_mean_gradient_of_each_batch(data):
    x, t, _, _ = data
    net = _net()
    fit(net, x, t, epochs=1, lr=0.2, seed=7, batch_size=7)

    manual = _net()
    order = np.random.default_rng(7).permutation(len(x))
    for start in range(0, len(x), 7):  # batches of 7, 7, 7 and 3
        batch = order[start : start + 7]
        manual.set_flat(manual.get_flat() - 0.2 * manual.gradient(x[batch], t[batch]))
    np.testing.assert_allclose(net.get_flat(), manual.get_flat(), rtol=0, atol=1e-12)


def test_training_lowers_the_error(data):
    x, t, _, _ = data
    net = _net(lam=None)
    before = net.error(x, t)
    history = fit(net, x, t, epochs=20, lr=0.2, seed=7)
    assert history.train_error[-1] < 0.9 * before


def test_history_lengths_and_ranges(data):
    x, t, x_test, t_test = data
    history = fit(_net(), x, t, epochs=4, lr=0.1, seed=7, test_data=(x_test, t_test))
    for values in (history.train_error, history.train_accuracy, history.test_error, history.test_accuracy):
        assert len(values) == 4
        assert all(type(v) is float for v in values)
    assert all(0.0 <= a <= 1.0 for a in history.train_accuracy + history.test_accuracy)
    assert all(e >= 0.0 for e in history.train_error + history.test_error)
    np.testing.assert_array_equal(history.epochs, [1, 2, 3, 4])


def test_history_test_lists_are_empty_without_test_data(data):
    x, t, _, _ = data
    history = fit(_net(), x, t, epochs=3, lr=0.1, seed=7)
    assert len(history.train_error) == 3
    assert len(history.train_accuracy) == 3
    assert history.test_error == []
    assert history.test_accuracy == []


def test_history_records_the_error_without_the_penalty_after_each_epoch(data):
    x, t, x_test, t_test = data
    net = _net(lam=0.05)
    history = fit(net, x, t, epochs=2, lr=0.1, seed=7, test_data=(x_test, t_test))
    assert net.penalty() > 0.01
    assert history.train_error[-1] == pytest.approx(net.error(x, t), rel=1e-13)
    assert history.train_accuracy[-1] == net.accuracy(x, t)
    assert history.test_error[-1] == pytest.approx(net.error(x_test, t_test), rel=1e-13)
    assert history.test_accuracy[-1] == net.accuracy(x_test, t_test)


def test_test_data_are_never_trained_on(data):
    x, t, x_test, t_test = data
    a, b = _net(), _net()
    fit(a, x, t, epochs=2, lr=0.1, seed=7)
    fit(b, x, t, epochs=2, lr=0.1, seed=7, test_data=(x_test, t_test))
    np.testing.assert_array_equal(a.get_flat(), b.get_flat())


# --- a list of networks: the same arithmetic stacked ------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
def test_a_list_of_networks_equals_fit_on_each_network(random_problem, batch_size, loss):
    n_rep = 3
    problems = [random_problem(24, 4, 3, seed=30 + r) for r in range(n_rep)]
    tests = [random_problem(10, 4, 3, seed=40 + r) for r in range(n_rep)]
    init_seeds, order_seeds = [3, 4, 5], [7, 8, 9]
    settings = {"epochs": 3, "lr": 0.1, "batch_size": batch_size}

    singles, single_histories = [], []
    for r in range(n_rep):
        net = _net(seed=init_seeds[r], loss=loss)
        single_histories.append(
            fit(net, *problems[r], seed=order_seeds[r], test_data=tests[r], **settings)
        )
        singles.append(net)

    nets = [_net(seed=s, loss=loss) for s in init_seeds]
    histories = fit(
        nets,
        np.stack([p[0] for p in problems]),
        np.stack([p[1] for p in problems]),
        seed=order_seeds,
        test_data=(np.stack([p[0] for p in tests]), np.stack([p[1] for p in tests])),
        **settings,
    )

    assert len(histories) == n_rep
    for r in range(n_rep):
        np.testing.assert_allclose(nets[r].get_flat(), singles[r].get_flat(), rtol=0, atol=1e-12)
        for key in ("train_error", "train_accuracy", "test_error", "test_accuracy"):
            got, expected = getattr(histories[r], key), getattr(single_histories[r], key)
            assert len(got) == 3
            assert got == pytest.approx(expected, rel=0, abs=1e-12), key
    # the replicas really differ from one another
    assert np.abs(nets[0].get_flat() - nets[1].get_flat()).max() > 1e-3


def test_a_stack_of_one_without_test_data(random_problem):
    x, t = random_problem(12, 4, 3, seed=50)
    single = _net()
    fit(single, x, t, epochs=2, lr=0.1, seed=7)
    nets = [_net()]
    histories = fit(nets, x[None], t[None], epochs=2, lr=0.1, seed=[7])
    np.testing.assert_allclose(nets[0].get_flat(), single.get_flat(), rtol=0, atol=1e-12)
    assert histories[0].test_error == []
    assert len(histories[0].train_error) == 2


# --- callbacks and engines -------------------------------------------------------------------


class Recorder(Callback):
    """Records what fit shows a callback, and stops after ``stop_after`` epochs."""

    def __init__(self, stop_after=None):
        self.stop_after, self.calls, self.logs = stop_after, [], []

    def on_train_begin(self, logs=None):
        self.calls.append(("begin", self.model.stacked, self.model.get_weights().shape))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch", epoch, sorted(logs)))
        self.logs.append(logs)
        return epoch == self.stop_after

    def on_train_end(self, logs=None):
        self.calls.append(("end",))


def test_callbacks_see_every_epoch_after_its_history_and_can_stop_training(data):
    x, t, _, _ = data
    recorder, other = Recorder(stop_after=3), Recorder()
    history = fit(_net(), x, t, epochs=10, lr=0.1, seed=7, callbacks=[recorder, other])
    names = ["train_accuracy", "train_error"]
    assert recorder.calls == [("begin", False, (43,)), ("epoch", 1, names), ("epoch", 2, names),
                              ("epoch", 3, names), ("end",)]
    assert other.calls == recorder.calls  # every callback is called, even after one said stop
    assert len(history.train_error) == 3
    # the logs are the epoch's scores, as the history records them
    assert [logs["train_error"] for logs in recorder.logs] == history.train_error
    assert [logs["train_accuracy"] for logs in recorder.logs] == history.train_accuracy


class Scorer(Callback):
    """Scores the model on given items after each epoch, as a user's callback would."""

    def __init__(self, x, t):
        self.x, self.t, self.scores, self.predictions = x, t, [], []

    def on_epoch_end(self, epoch, logs=None):
        self.scores.append(self.model.evaluate(self.x, self.t))
        self.predictions.append(self.model.predict(self.x))


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_a_callbacks_model_evaluates_and_predicts_as_the_network_would(data, engine):
    x, t, x_test, t_test = data
    scorer, net = Scorer(x_test, t_test), _net()
    history = fit(net, x, t, epochs=3, lr=0.1, seed=7, callbacks=[scorer], test_data=(x_test, t_test),
                  engine=engine)
    assert [s["error"] for s in scorer.scores] == pytest.approx(history.test_error, rel=1e-12)
    assert [s["accuracy"] for s in scorer.scores] == history.test_accuracy
    np.testing.assert_array_equal(scorer.predictions[-1], net.predict(x_test))  # the last epoch's


def test_a_stacks_model_answers_one_entry_per_network(random_problem):
    x, t = random_problem(12, 4, 3, seed=50)
    nets, scorer = [_net(seed=s) for s in (1, 2)], Scorer(np.stack([x, x]), np.stack([t, t]))
    fit(nets, np.stack([x, x]), np.stack([t, t]), epochs=2, lr=0.1, seed=[7, 8], callbacks=[scorer])
    last = scorer.scores[-1]
    assert last["error"].shape == last["accuracy"].shape == (2,)
    assert last["error"][1] == pytest.approx(nets[1].error(x, t), rel=1e-12)
    np.testing.assert_array_equal(scorer.predictions[-1][0], nets[0].predict(x))


def test_a_callbacks_model_refuses_bad_data_naming_it(data):
    class BadScorer(Callback):
        def on_train_begin(self, logs=None):
            self.model.check_data(np.zeros((3, 2)), np.eye(3), "x_val", "t_val")

    x, t, _, _ = data
    with pytest.raises(ValueError, match="x_val"):
        fit(_net(), x, t, epochs=1, lr=0.1, seed=7, callbacks=[BadScorer()])


def test_a_callback_can_stop_training_as_in_keras(data):
    class StopAfterTwo(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                self.model.stop_training = True

    x, t, _, _ = data
    history = fit(_net(), x, t, epochs=10, lr=0.1, seed=7, callbacks=[StopAfterTwo()])
    assert len(history.train_error) == 2


def test_a_stopped_run_equals_a_shorter_run(data):
    x, t, _, _ = data
    stopped, short = _net(), _net()
    fit(stopped, x, t, epochs=10, lr=0.1, seed=7, callbacks=[Recorder(stop_after=4)])
    fit(short, x, t, epochs=4, lr=0.1, seed=7)
    np.testing.assert_array_equal(stopped.get_flat(), short.get_flat())


def test_callbacks_of_a_stack_see_the_stacked_parameters(random_problem):
    x, t = random_problem(12, 4, 3, seed=50)
    recorder = Recorder()
    nets = [_net(seed=s) for s in (1, 2)]
    fit(nets, np.stack([x, x]), np.stack([t, t]), epochs=1, lr=0.1, seed=[7, 8], callbacks=[recorder])
    assert recorder.calls[0] == ("begin", True, (2, 43))
    assert recorder.logs[0]["train_error"].shape == (2,)


def test_a_callback_changing_the_parameters_at_the_end_changes_the_networks(random_problem):
    class Zero(Callback):
        def on_train_end(self, logs=None) -> None:
            self.model.set_weights(np.zeros_like(self.model.get_weights()))

    x, t = random_problem(12, 4, 3, seed=50)
    nets = [_net(seed=s) for s in (1, 2)]
    fit(nets, np.stack([x, x]), np.stack([t, t]), epochs=1, lr=0.1, seed=[7, 8], callbacks=[Zero()])
    assert all(np.all(net.get_flat() == 0.0) for net in nets)


def test_the_engines_are_numpy_and_compiled(data):
    x, t, _, _ = data
    assert list(ENGINES) == ["numpy", "compiled"]
    with pytest.raises(ValueError, match=r"^engine must be one of \['compiled', 'numpy'\], got 'jax'"):
        fit(_net(), x, t, epochs=1, lr=0.1, seed=7, engine="jax")


# --- the argument tables are checked at fit's boundary, never in its loop --------------------

#: The code of the check every declared function runs before its body (one for all of them).
CHECKED = fit.__code__


def _checks_in_fit(epochs: int, stacked: bool, x, t, **settings) -> int:
    """How many declared functions one call of ``fit`` runs (their tables' checks)."""
    nets = [Network(4, 5, 3, seed=s, init_range=0.5, weight_penalty=L2(0.001)) for s in (1, 2)]
    nets = nets if stacked else nets[0]
    data = (np.stack([x, x]), np.stack([t, t])) if stacked else (x, t)
    seed = [7, 8] if stacked else 7
    calls = 0

    def record(frame, event, arg):
        nonlocal calls
        calls += event == "call" and frame.f_code is CHECKED

    previous = sys.getprofile()
    sys.setprofile(record)
    try:
        fit(nets, *data, epochs=epochs, lr=0.1, seed=seed, batch_size=4, test_data=data, **settings)
    finally:
        sys.setprofile(previous)
    return calls


SETTINGS = {
    "plain": lambda x, t: {},
    "proximal": lambda x, t: {"rule": Proximal(0.01)},
    "per-network-rules": lambda x, t: {"rule": [CumulativePenalty(0.01), TruncatedGradient(0.01, k=2)]},
    "group": lambda x, t: {"rule": GroupProximal(0.01)},
    "max-norm": lambda x, t: {"rule": MaxNorm(1.0)},
    "keep-pruned": lambda x, t: {"rule": KeepPruned(np.ones((2, 35), dtype=bool))},
    "dropout": lambda x, t: {"noise": Dropout(0.2, seed=0)},
    "jitter": lambda x, t: {"noise": Jitter(0.1, seed=0)},
    "early-stopping": lambda x, t: {"callbacks": [EarlyStopping(np.stack([x, x]), np.stack([t, t]),
                                                               patience=50)]},
}


@pytest.mark.parametrize("name", SETTINGS)
def test_the_training_loop_runs_no_declared_function(name, data):
    """Every table is checked when fit is called: the steps and epochs run no check of one."""
    x, t, _, _ = data
    x, t = x[:12], t[:12]
    stacked = name in ("per-network-rules", "keep-pruned", "early-stopping")
    few, many = (_checks_in_fit(epochs, stacked, x, t, **SETTINGS[name](x, t)) for epochs in (1, 4))
    assert few == many > 0


def test_the_compiled_engine_runs_no_declared_function_between_epochs(data):
    """With a callback, the compiled engine goes back to Python after every epoch: no check there either."""
    pytest.importorskip("jax")
    x, t, _, _ = data
    x, t = x[:12], t[:12]
    few, many = (_checks_in_fit(epochs, True, x, t, engine="compiled", callbacks=[Callback()])
                 for epochs in (1, 4))
    assert few == many > 0


# --- what a callback may change between epochs: strengths, not the step's formulas -----------


class _SetPenalty(Callback):
    """After epoch ``after``, give ``net`` another ``weight_penalty``, as a careless schedule would."""

    def __init__(self, net, after: int, penalty) -> None:
        self.net, self.after, self.penalty = net, after, penalty

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.after:
            self.net.weight_penalty = self.penalty


PENALTY_CHANGES = [
    pytest.param(L1(0.01), L2(0.5), "L1 to L2", id="l1-to-l2"),
    pytest.param(None, L1(0.01), "NoneType to L1", id="none-to-l1"),
    pytest.param(L1(0.01), None, "L1 to NoneType", id="l1-to-none"),
]


@pytest.mark.parametrize(("before", "after", "change"), PENALTY_CHANGES)
def test_a_penalty_of_another_kind_set_by_a_callback_is_refused_after_that_epoch(before, after, change,
                                                                                 random_problem):
    """The step was built for the penalty training began with: a new kind would train with the
    old formula and the new strengths (or fail deep in the step), so it is refused, naming it."""
    x, t = random_problem(6, 3, 2, seed=0)
    net, reference = (Network(3, 4, 2, seed=0, init_range=0.5, weight_penalty=before) for _ in range(2))
    message = f"net.weight_penalty changed from {change} after epoch 2: a run trains with the kinds"
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        fit(net, x, t, epochs=4, lr=0.5, seed=1, callbacks=[_SetPenalty(net, 2, after)])
    fit(reference, x, t, epochs=2, lr=0.5, seed=1)
    np.testing.assert_array_equal(net.flat, reference.flat)  # the network holds epoch 2's parameters


def _quartic(lam):
    from test_penalties import NumpyQuartic

    return NumpyQuartic(lam)


@pytest.mark.parametrize("penalty", [L1, _quartic], ids=["L1", "a penalty of one's own"])
def test_a_penalty_of_the_same_kind_set_by_a_callback_trains_with_its_strength(random_problem, penalty):
    """The new penalty is read at the next epoch (one of one's own too, not kept from the first)."""
    x, t = random_problem(6, 3, 2, seed=0)
    net = Network(3, 4, 2, seed=0, init_range=0.5, weight_penalty=penalty(0.01))
    fit(net, x, t, epochs=4, lr=0.5, seed=1, callbacks=[_SetPenalty(net, 2, penalty(0.2))])
    reference = Network(3, 4, 2, seed=0, init_range=0.5, weight_penalty=penalty(0.01))
    orders = np.random.default_rng(1)
    fit(reference, x, t, epochs=2, lr=0.5, seed=orders)
    reference.weight_penalty = penalty(0.2)
    fit(reference, x, t, epochs=2, lr=0.5, seed=orders)
    np.testing.assert_array_equal(net.flat, reference.flat)
    unchanged = Network(3, 4, 2, seed=0, init_range=0.5, weight_penalty=penalty(0.01))
    fit(unchanged, x, t, epochs=4, lr=0.5, seed=1)
    assert not np.array_equal(net.flat, unchanged.flat)  # the change did change the training


# --- a rule's settings: one number for one network, one per network for a stack -------------------


def test_an_array_strength_for_one_network_is_refused_naming_the_setting(random_problem):
    """It would broadcast over a weight matrix's columns, a different strength per column."""
    x, t = random_problem(6, 3, 2, seed=0)
    rule = Proximal(0.01)
    rule.lam = np.array([[0.0], [0.5]])
    with pytest.raises(ValueError, match=r"^rule\.lam must be a number for one network, got an array of "
                                         r"shape \(2, 1\)"):
        fit(Network(3, 4, 2, seed=0), x, t, epochs=1, lr=0.5, seed=1, rule=rule)


def test_a_stacks_shared_rule_takes_one_strength_per_network_as_a_column(random_problem):
    x, t = random_problem(6, 3, 2, seed=0)
    shared = Proximal(0.01)
    shared.lam = np.array([[0.01], [0.2]])
    nets = [Network(3, 4, 2, seed=0, init_range=0.5) for _ in range(2)]
    fit(nets, np.stack([x, x]), np.stack([t, t]), epochs=2, lr=0.5, seed=[1, 1], rule=shared)
    each = [Network(3, 4, 2, seed=0, init_range=0.5) for _ in range(2)]
    fit(each, np.stack([x, x]), np.stack([t, t]), epochs=2, lr=0.5, seed=[1, 1],
        rule=[Proximal(0.01), Proximal(0.2)])
    np.testing.assert_array_equal(np.stack([n.flat for n in nets]), np.stack([n.flat for n in each]))
    shared.lam = np.array([[0.01], [0.2], [0.3]])
    with pytest.raises(ValueError, match=r"^rule\.lam must be a number, or one per network as a column "
                                         r"\(2, 1\), got shape \(3, 1\)"):
        fit(nets, np.stack([x, x]), np.stack([t, t]), epochs=1, lr=0.5, seed=[1, 1], rule=shared)


def test_a_strength_is_a_number_or_a_column():
    rule = Proximal(0.01)
    with pytest.raises(ValueError, match=r"^lam must be a number, or a column of numbers .*shape \(2,\)"):
        rule.lam = np.array([0.0, 0.5])
    assert rule.lam == 0.01


class _SetRuleLam(Callback):
    def __init__(self, value) -> None:
        self.value = value

    def on_epoch_end(self, epoch, logs=None):
        self.model.rule.lam = self.value


def test_an_array_strength_set_by_a_callback_on_one_network_is_refused(random_problem):
    x, t = random_problem(6, 3, 2, seed=0)
    with pytest.raises(ValueError, match=r"^rule\.lam must be a number for one network"):
        fit(Network(3, 4, 2, seed=0), x, t, epochs=2, lr=0.5, seed=1, rule=Proximal(0.01),
            callbacks=[_SetRuleLam(np.array([[0.1], [0.2]]))])
