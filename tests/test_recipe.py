"""The recipe: ``tune`` chooses a penalty and its strength by the study protocol, and refits.

Two problems are tuned once each and shared: breast cancer (341 training items, 30
inputs, classes 3 and 7) at the recipe's defaults but 40 epochs, and a tiny clean one
(60 items, an informative input, two noise inputs and two constant ones) without the
one-SE rule, so that any penalty costs loss and every grid's weak end is chosen.
"""

import copy
import pickle
import re
from types import SimpleNamespace

import numpy as np
import pytest

from l1reg.core.network import WEIGHT_NAMES
from l1reg.core.update_rules import ElasticNetProximal, L2Gradient, Plain, Proximal
from l1reg.studies import protocol, recipe
from l1reg.studies.data import one_hot

NAMES = ["none", "L2", "L1, first layer", "elastic net 0.5, first layer"]
PENALTIES = NAMES[1:]
TINY_ARGS = {"k": 3, "max_epochs": 40, "one_se": False, "max_widen": 1}


def _tiny_data() -> tuple[np.ndarray, np.ndarray]:
    """60 items: input 0 gives the class (3 or 7) with a margin, inputs 3 (2.5) and 4 (0.1) are constant."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5))
    x[:, 3], x[:, 4] = 2.5, 0.1
    classes = np.where(x[:, 0] > 0, 7, 3)
    x[:, 0] += np.sign(x[:, 0])
    return x, classes


@pytest.fixture(scope="module")
def cancer():
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    x, y = datasets.load_breast_cancer(return_X_y=True)
    x, x_test, y, y_test = model_selection.train_test_split(x, y, test_size=0.4, stratify=y, random_state=0)
    classes, classes_test = 3 + 4 * y, 3 + 4 * y_test  # labels 3 and 7, not 0 and 1
    return SimpleNamespace(x=x, classes=classes, x_test=x_test, classes_test=classes_test, k=5, max_widen=2,
                           tuned=recipe.tune(x, classes, max_epochs=40))


@pytest.fixture(scope="module")
def tiny():
    x, classes = _tiny_data()
    return SimpleNamespace(x=x, classes=classes, k=3, max_widen=1, tuned=recipe.tune(x, classes, **TINY_ARGS))


@pytest.fixture(params=["cancer", "tiny"])
def case(request):
    return request.getfixturevalue(request.param)


def _number(pattern: str, text: str) -> float:
    """The number after ``pattern`` in one of keras_settings' strings."""
    return float(re.fullmatch(rf"{re.escape(pattern)}([-+.0-9eE]+)\)", text).group(1))


# --- the methods and their evidence -------------------------------------------------------------


def test_every_method_has_evidence_simplest_first(cancer):
    evidence = cancer.tuned.evidence
    assert list(evidence) == NAMES
    assert [ev.name for ev in evidence.values()] == NAMES
    first = ("ih_weights",)
    assert [ev.on for ev in evidence.values()] == [WEIGHT_NAMES, WEIGHT_NAMES, first, first]
    assert [type(ev.rule) for ev in evidence.values()] == [Plain, L2Gradient, Proximal, ElasticNetProximal]
    assert cancer.tuned.best in NAMES


@pytest.mark.parametrize(
    ("mixings", "nets"),
    [([0.25, 0.75], ["elastic net 0.25, first layer", "elastic net 0.75, first layer"]), ([], [])],
)
def test_one_elastic_net_per_mixing_and_none_without(mixings, nets):
    x, classes = _tiny_data()
    tuned = recipe.tune(x, classes, mixings=mixings, **TINY_ARGS)
    assert list(tuned.evidence) == NAMES[:3] + nets
    for a, name in zip(mixings, nets, strict=True):
        ev = tuned.evidence[name]
        lam = ev.grid[ev.chosen]
        assert ev.rule.l1 == pytest.approx(a * lam) and ev.rule.l2 == pytest.approx((1 - a) * lam)


def test_grids_are_wide_strongest_first_and_the_choice_is_in_them(case):
    for name, ev in case.tuned.evidence.items():
        if name == "none":
            assert ev.grid.size == 0 and ev.chosen == 0 and ev.widened == 0 and ev.at_end == ""
            assert ev.mean_loss.shape == ev.se.shape == (1,)
        else:
            assert ev.grid.size == protocol.MIN_GRID_VALUES + 3 * ev.widened
            assert np.all(np.diff(ev.grid) < 0)
            assert np.log10(ev.grid[0] / ev.grid[-1]) >= protocol.MIN_GRID_DECADES - 1e-9
            np.testing.assert_allclose(ev.grid[:8], protocol.log_grid(ev.grid[0]), rtol=1e-12)
            np.testing.assert_allclose(np.diff(np.log(ev.grid)), np.log(ev.grid[1] / ev.grid[0]), rtol=1e-9)
            assert ev.mean_loss.shape == ev.se.shape == ev.grid.shape
            assert 0 <= ev.chosen < ev.grid.size
        assert ev.loss == ev.mean_loss[ev.chosen]
        assert ev.item_loss.mean() == pytest.approx(ev.loss, rel=1e-12)
        assert np.all(np.isfinite(ev.mean_loss)) and np.all(ev.se > 0)
        assert case.tuned.training.check_every <= ev.epochs <= case.tuned.training.max_epochs


def test_the_chosen_rule_is_the_chosen_strength(case):
    ev = case.tuned.evidence
    assert ev["L2"].rule.lam == ev["L2"].grid[ev["L2"].chosen]
    assert ev["L1, first layer"].rule.lam == ev["L1, first layer"].grid[ev["L1, first layer"].chosen]
    net = ev["elastic net 0.5, first layer"]
    assert net.rule.l1 == net.rule.l2 == pytest.approx(0.5 * net.grid[net.chosen], rel=1e-12)


def test_an_end_is_reported_exactly_where_the_smallest_loss_sits(case):
    for name in PENALTIES:
        ev = case.tuned.evidence[name]
        last, smallest = ev.grid.size - 1, int(np.argmin(ev.mean_loss[::-1]))
        smallest = last - smallest  # ties: the weaker, as protocol.select
        assert ev.at_end == ("strong" if smallest == 0 else "weak" if smallest == last else "")
        assert 0 <= ev.widened <= case.max_widen
        if smallest == last:  # the smallest loss stays at the weak end only once widening has run out
            assert ev.widened == case.max_widen


def test_a_chosen_weak_end_widens_the_grid(tiny):
    # clean data and the smallest loss: every penalty costs loss, so the weakest strength wins
    for name in PENALTIES:
        ev = tiny.tuned.evidence[name]
        assert (ev.widened, ev.grid.size, ev.chosen, ev.at_end) == (1, 11, 10, "weak")
        np.testing.assert_allclose(ev.grid, protocol.widen_grid(ev.grid[:8], "weak"), rtol=1e-12)


# --- paired item losses and the choice of method ------------------------------------------------


def test_item_losses_cover_every_dealt_item_and_pair_with_the_best(cancer):
    n, k = cancer.classes.size, cancer.k
    tuned = cancer.tuned
    best = tuned.evidence[tuned.best]
    for name, ev in tuned.evidence.items():
        assert ev.item_loss.shape == (k, n // k)
        mean, se = tuned.difference(name)
        assert mean == pytest.approx(ev.loss - best.loss, abs=1e-12)
        per_fold = (ev.item_loss - best.item_loss).mean(axis=1)  # the folds' items share a network
        assert se == pytest.approx(np.std(per_fold, ddof=1) / np.sqrt(k))
    assert tuned.difference(tuned.best) == (0.0, 0.0)


def test_item_losses_are_in_the_same_order_for_every_method(tiny):
    # the weakest strengths hardly differ from no penalty, item by item; one item out of step differs a lot
    none = tiny.tuned.evidence["none"].item_loss
    for name in PENALTIES:
        item_loss = tiny.tuned.evidence[name].item_loss
        assert np.abs(item_loss - none).max() < 1e-3
        assert np.abs(item_loss - np.roll(none, 1)).max() > 0.1


def test_the_best_is_the_simplest_within_one_standard_error(cancer):
    evidence = cancer.tuned.evidence
    for name in PENALTIES:  # each strength: the strongest within one SE of the smallest (ties: the weaker)
        ev = evidence[name]
        smallest = ev.mean_loss.size - 1 - np.argmin(ev.mean_loss[::-1])
        assert ev.chosen == np.argmax(ev.mean_loss <= ev.mean_loss[smallest] + ev.se[smallest])
    lowest = evidence[min(evidence, key=lambda name: evidence[name].loss)]
    within = []
    for ev in evidence.values():  # each method against the lowest, fold by fold
        diff = (ev.item_loss - lowest.item_loss).mean(axis=1)
        within.append(diff.mean() <= diff.std(ddof=1) / np.sqrt(diff.size))
    assert cancer.tuned.best == NAMES[within.index(True)]


def test_without_one_se_the_smallest_loss_wins(tiny):
    evidence = tiny.tuned.evidence
    for name in PENALTIES:
        ev = evidence[name]
        assert ev.chosen == ev.mean_loss.size - 1 - np.argmin(ev.mean_loss[::-1])
    assert evidence[tiny.tuned.best].loss == min(ev.loss for ev in evidence.values())


# --- prediction and the Keras settings ----------------------------------------------------------


def test_predict_takes_raw_inputs_and_gives_the_original_labels(cancer):
    tuned = cancer.tuned
    np.testing.assert_allclose(tuned.mean, cancer.x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(tuned.scale, cancer.x.std(axis=0), rtol=1e-12)
    z = (cancer.x_test - cancer.x.mean(axis=0)) / cancer.x.std(axis=0)
    for name, ev in tuned.evidence.items():
        guess = tuned.predict(cancer.x_test, name)
        assert set(guess.tolist()) <= {3, 7}
        np.testing.assert_array_equal(guess, np.array([3, 7])[ev.network.predict(z)])
    np.testing.assert_array_equal(tuned.predict(cancer.x_test), tuned.predict(cancer.x_test, tuned.best))
    accuracy = np.mean(tuned.predict(cancer.x_test) == cancer.classes_test)
    baseline = protocol.majority_accuracy(one_hot((cancer.classes == 7).astype(int), 2),
                                          one_hot((cancer.classes_test == 7).astype(int), 2))
    assert accuracy > 0.9 and accuracy > baseline + 0.2


def test_keras_settings_place_each_penalty(cancer):
    tuned = cancer.tuned
    lr = tuned.training.lr
    for name, ev in tuned.evidence.items():
        settings = tuned.keras_settings(name)
        hidden, output = settings["hidden"], settings["output"]
        assert (hidden["units"], hidden["activation"], output["activation"]) == (8, "tanh", "softmax")
        assert settings["loss"] == "categorical_crossentropy"
        assert (settings["batch_size"], settings["epochs"]) == (10, ev.epochs)
        assert _number("keras.optimizers.SGD(learning_rate=", settings["optimizer"]) == lr
        assert output["kernel_constraint"] is None
        l1 = ev.rule.l1 if name.startswith("elastic net") else ev.rule.lam if name.startswith("L1") else None
        l2 = ev.rule.l2 if name.startswith("elastic net") else ev.rule.lam if name == "L2" else None
        if l1 is None:
            assert hidden["kernel_constraint"] is None
        else:
            threshold = _number("SoftThreshold(threshold=", hidden["kernel_constraint"])
            assert threshold == pytest.approx(lr * l1, rel=1e-3)
        if l2 is None:
            assert hidden["kernel_regularizer"] is None
        else:
            strength = _number("keras.regularizers.L2(l2=", hidden["kernel_regularizer"])
            assert strength == pytest.approx(l2, rel=1e-3)
        assert output["kernel_regularizer"] == (hidden["kernel_regularizer"] if name == "L2" else None)
    assert tuned.keras_settings() == tuned.keras_settings(tuned.best)


@pytest.mark.keras
def test_keras_model_builds_and_trains_from_the_settings(cancer):
    kb = pytest.importorskip("l1reg.reference.keras_bridge")
    keras = kb.keras
    names = {"keras": keras, "SoftThreshold": kb.SoftThreshold}
    tuned = cancer.tuned
    settings = tuned.keras_settings("elastic net 0.5, first layer")
    built = lambda text: None if text is None else eval(text, names)  # noqa: E731

    def dense(layer: dict, units: int):
        return keras.layers.Dense(units, activation=layer["activation"],
                                  kernel_regularizer=built(layer["kernel_regularizer"]),
                                  kernel_constraint=built(layer["kernel_constraint"]))

    hidden = dense(settings["hidden"], settings["hidden"]["units"])
    model = keras.Sequential([keras.Input((cancer.x.shape[1],)), hidden, dense(settings["output"], 2)])
    model.compile(optimizer=built(settings["optimizer"]), loss=settings["loss"])
    assert model.layers[0].kernel_constraint.threshold == pytest.approx(
        tuned.training.lr * tuned.evidence["elastic net 0.5, first layer"].rule.l1, rel=1e-3)
    t = one_hot((cancer.classes == 7).astype(int), 2).astype("float32")
    history = model.fit(tuned.standardize(cancer.x).astype("float32"), t, batch_size=settings["batch_size"],
                        epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# --- determinism, bad input, constant inputs ----------------------------------------------------


def test_the_same_seed_gives_the_same_evidence(tiny):
    again = recipe.tune(tiny.x, tiny.classes, **TINY_ARGS)
    assert again.best == tiny.tuned.best
    for name, ev in tiny.tuned.evidence.items():
        other = again.evidence[name]
        for field in ("grid", "mean_loss", "se", "item_loss"):
            np.testing.assert_array_equal(getattr(other, field), getattr(ev, field))
        assert (other.chosen, other.widened, other.epochs) == (ev.chosen, ev.widened, ev.epochs)
        np.testing.assert_array_equal(other.network.flat, ev.network.flat)
    elsewhere = recipe.tune(tiny.x, tiny.classes, seed=1, **TINY_ARGS)
    assert not np.array_equal(elsewhere.evidence["none"].item_loss, tiny.tuned.evidence["none"].item_loss)


def test_tuned_survives_pickle_and_deepcopy(tiny):
    for twin in (pickle.loads(pickle.dumps(tiny.tuned)), copy.deepcopy(tiny.tuned)):
        for name in tiny.tuned.evidence:
            np.testing.assert_array_equal(twin.predict(tiny.x, name), tiny.tuned.predict(tiny.x, name))
            assert twin.keras_settings(name) == tiny.tuned.keras_settings(name)
            assert twin.difference(name) == tiny.tuned.difference(name)


X3, C3 = np.zeros((9, 2)), np.arange(9) % 2


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"x": X3[:8]}, ValueError, "x and classes must have the same number of items, got 8 and 9"),
        ({"classes": np.full(9, 3)}, ValueError, r"classes must hold at least 2 classes, got \[3\]"),
        ({"classes": C3.astype(float)}, TypeError, "classes must be an array of ints"),
        ({"k": 1}, ValueError, "k must be an int >= 2, got 1"),
        ({"k": 5}, ValueError, "k must leave at least 2 items per fold"),
        ({"mixings": [1.0]}, ValueError, r"mixings\[0\] must be a probability in \(0, 1\)"),
        ({"mixings": [0.5, 0.0]}, ValueError, r"mixings\[1\] must be a finite number > 0"),
        ({"mixings": 0.5}, TypeError, r"mixings must be a list of L1 shares in \(0, 1\)"),
        ({"x": X3[:, 0]}, ValueError, "x must be 2-D"),
        ({"x": X3 + np.nan}, ValueError, "x must hold only finite values"),
        ({"max_widen": -1}, ValueError, "max_widen must be an int >= 0"),
    ],
)
def test_bad_arguments_are_refused_by_name(changes, error, message):
    with pytest.raises(error, match=message):
        recipe.tune(**{"x": X3, "classes": C3, **changes})


@pytest.mark.parametrize("call", [lambda tuned, x: tuned.predict(x, "L3"),
                                  lambda tuned, x: tuned.difference("L3"),
                                  lambda tuned, x: tuned.keras_settings("L3")])
def test_an_unknown_method_is_refused_by_name(tiny, call):
    with pytest.raises(ValueError, match=r"method must be one of \['none', 'L2', .*\], got 'L3'"):
        call(tiny.tuned, tiny.x)


def test_a_constant_input_gets_scale_one_and_stays_at_zero(tiny):
    tuned = tiny.tuned
    np.testing.assert_array_equal(tuned.scale[3:], [1.0, 1.0])  # 2.5 and 0.1 on every item
    assert np.abs(tuned.standardize(tiny.x)[:, 3:]).max() < 1e-12
    assert all(np.all(np.isfinite(ev.mean_loss)) for ev in tuned.evidence.values())
    nudged = tiny.x.copy()
    nudged[:, 4] += 1e-6  # a constant input that moves a hair on new items must not change the answers
    for name in tuned.evidence:
        np.testing.assert_array_equal(tuned.predict(nudged, name), tuned.predict(tiny.x, name))


def test_a_large_learning_rate_still_finds_the_anchor():
    # at lr = 0.2 the L2 step w <- (1 - 2 lr lam) w overshoots zero at the ladder's top, yet weaker
    # strengths silence the first layer: the anchor is the weakest of those, not an error
    x, classes = _tiny_data()
    tuned = recipe.tune(x, classes, lr=0.2, **TINY_ARGS)
    for name in PENALTIES:
        ev = tuned.evidence[name]
        assert ev.grid.size >= protocol.MIN_GRID_VALUES
        assert ev.mean_loss[0] > 0.6  # the strongest value silences: the prior's loss, ln 2 = 0.69


def test_the_refit_trains_exactly_the_epochs_the_evidence_and_keras_report(cancer):
    from l1reg import fit
    from l1reg.studies import protocol

    tuned = cancer.tuned
    ev = tuned.evidence["L1, first layer"]
    assert ev.epochs % tuned.training.check_every == 0
    assert tuned.keras_settings("L1, first layer")["epochs"] == ev.epochs
    init, order = protocol.streams(0, 0, cancer.k)  # tune's default seed
    net = tuned.training.network(ev.network.n_input, ev.network.n_output, init)
    t = np.eye(2)[np.unique(cancer.classes, return_inverse=True)[1]]
    fit(net, tuned.standardize(cancer.x), t, epochs=ev.epochs, lr=tuned.training.lr, seed=order,
        batch_size=tuned.training.batch_size, rule=ev.rule, on=ev.on, engine=tuned.training.engine,
        record_history=False)
    np.testing.assert_allclose(net.flat, ev.network.flat, atol=1e-9)
