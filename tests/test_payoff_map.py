"""One cell of chapter 09's map on the study protocol: each seed set's items, every method tuned
on the same folds, the baselines, the input AUC, copies and bad input."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from l1reg.core.network import WEIGHT_NAMES, hit_rate
from l1reg.core.training import fit
from l1reg.core.update_rules import ElasticNetProximal, GroupProximal, L2Gradient, Plain, Proximal
from l1reg.studies import payoff, protocol
from l1reg.studies.payoff_map import (
    INPUT_SD,
    MAP_SEED,
    CellDesign,
    CellResult,
    input_auc,
    run_cell,
    seed_set_data,
)

# Small and on the NumPy engine: a cell of 3 seed sets runs in about 3 s. 600 steps, not
# fewer: at 60 every network of every method collapses to the majority class, and a test
# could not tell a method from its neighbour in the stack. Two L1 shares, so that the
# elastic net's grid has two blocks.
DESIGN = CellDesign(engine="numpy", steps=600, checks=6, n_test=200, mixings=(0.2, 0.8))
D, N, N_SETS = 7, 30, 3
PENALTIES = ("L2", "L1", "L1, first layer", "group lasso", "elastic net")
METHODS = ("none", *PENALTIES, "filter", "oracle")
PER_SEED_SET = ("chosen", "chosen_one_se", "epochs", "at_budget", "accuracy", "accuracy_one_se", "loss",
                "collapsed", "auc")
PER_METHOD = ("grid", "curve", "cv_collapsed", *PER_SEED_SET)
FIRST = ("ih_weights",)
COPIES = {
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
    "deepcopy": copy.deepcopy,
}


@pytest.fixture(scope="module")
def cell() -> CellResult:
    return run_cell(D, N, N_SETS, DESIGN)


@pytest.fixture(scope="module")
def picked() -> CellResult:
    """Seed sets 2 and 1 of ``cell``, run on their own (without seed set 0, whose grids anchor the cell)."""
    return run_cell(D, N, [2, 1], DESIGN)


@pytest.fixture(scope="module")
def rotated() -> CellResult:
    return run_cell(D, N, 2, dataclasses.replace(DESIGN, rotate=True))


@pytest.fixture(scope="module")
def short() -> CellResult:
    """A budget of 60 steps: the networks are still improving (and still collapsed) when it ends."""
    return run_cell(D, N, 2, dataclasses.replace(DESIGN, steps=60, checks=4))


@pytest.fixture(scope="module")
def many():
    """One seed set with many items, training and test: for rates and moments."""
    return seed_set_data(0, 6, 20_000, dataclasses.replace(DESIGN, n_test=20_000))


def _truth(s: int, d: int, design: CellDesign = DESIGN) -> payoff.SparseGenerator:
    """The truth of seed set ``s`` with ``d`` inputs, drawn as MAP_SEED's comment says."""
    return payoff.make_sparse_generator(np.random.default_rng([MAP_SEED, s, d]), d, design.n_relevant,
                                        design.truth_hidden, design.n_classes)


def _true_classes(items, x: np.ndarray, s: int = 0) -> np.ndarray:
    """The truth's classes of the learner's inputs ``x``: rotated back, on the truth's scale."""
    return payoff.sparse_classes(_truth(s, x.shape[1]), x @ items.rotation.T * INPUT_SD)


def _off_diagonal(x: np.ndarray) -> np.ndarray:
    corr = np.corrcoef(x.T)
    return corr[~np.eye(len(corr), dtype=bool)]


def _expected_labels(t_test: np.ndarray, design: CellDesign) -> np.ndarray:
    """A noisy label's expected one-hot given the clean one: 1 - flip on it, flip / (C - 1) elsewhere."""
    return np.where(t_test == 1, 1.0 - design.flip, design.flip / (design.n_classes - 1))


def _assert_same_result(twin: CellResult, result: CellResult, rows: slice | list[int] = slice(None)) -> None:
    """Every field of ``twin`` equals ``result``'s (its seed sets ``rows``, all by default), dtypes too."""
    assert (twin.d, twin.n, twin.design) == (result.d, result.n, result.design)
    assert twin.seed_sets.dtype == result.seed_sets.dtype
    np.testing.assert_array_equal(twin.seed_sets, result.seed_sets[rows])
    for name in (*PER_METHOD, "mixing"):
        mine, theirs = getattr(twin, name), getattr(result, name)
        assert list(mine) == list(theirs), name
        for method, value in theirs.items():
            value = value if name in ("grid", "mixing") else value[rows]
            assert mine[method].dtype == value.dtype, (name, method)
            np.testing.assert_array_equal(mine[method], value, err_msg=f"{name}[{method!r}]")
    np.testing.assert_array_equal(twin.majority, result.majority[rows])
    np.testing.assert_array_equal(twin.majority_loss, result.majority_loss[rows])


# --- each seed set's items -------------------------------------------------------------------


def test_seed_set_data_is_fixed_by_the_seed_set_and_the_cell():
    one, again = seed_set_data(1, 6, 25, DESIGN), seed_set_data(1, 6, 25, DESIGN)
    for name in ("x", "t", "x_test", "t_test", "rotation", "relevant"):
        np.testing.assert_array_equal(getattr(again, name), getattr(one, name), err_msg=name)
    assert one.x.shape == (25, 6) and one.t.shape == (25, 4)
    assert one.x_test.shape == (200, 6) and one.t_test.shape == (200, 4)
    np.testing.assert_array_equal(one.rotation, np.eye(6))  # no rotation unless the design asks
    assert not np.array_equal(seed_set_data(2, 6, 25, DESIGN).x, one.x)  # another seed set
    assert not np.array_equal(seed_set_data(1, 6, 26, DESIGN).x[:25], one.x)  # another cell
    # the truth is the seed set's for every n: only s and d draw it
    np.testing.assert_array_equal(seed_set_data(1, 6, 40, DESIGN).relevant, one.relevant)
    np.testing.assert_array_equal(one.relevant, _truth(1, 6).relevant)


def test_every_input_has_mean_zero_standard_deviation_one_and_no_correlation(many):
    np.testing.assert_allclose(many.x_test.std(axis=0), 1.0, atol=0.02)
    np.testing.assert_allclose(many.x_test.mean(axis=0), 0.0, atol=0.02)
    assert np.abs(_off_diagonal(many.x_test)).max() < 0.03


def test_the_test_labels_are_the_truths_classes_without_noise(many):
    np.testing.assert_array_equal(many.relevant, _truth(0, 6).relevant)
    np.testing.assert_array_equal(many.t_test.argmax(axis=1), _true_classes(many, many.x_test))
    np.testing.assert_array_equal(many.t_test.sum(axis=1), 1.0)  # one-hot


@pytest.mark.parametrize("flip", [0.0, 0.1, 0.3])
def test_the_training_labels_are_flipped_at_the_designs_rate(flip):
    items = seed_set_data(0, 6, 20_000, dataclasses.replace(DESIGN, flip=flip))
    flipped = items.t.argmax(axis=1) != _true_classes(items, items.x)
    assert flipped.mean() == pytest.approx(flip, abs=0.01)


def test_rotation_changes_what_the_learner_sees_and_nothing_else():
    plain = seed_set_data(0, 6, 40, DESIGN)
    turned = seed_set_data(0, 6, 40, dataclasses.replace(DESIGN, rotate=True))
    for name in ("t", "t_test", "relevant"):  # the truth labels the same items the same way
        np.testing.assert_array_equal(getattr(turned, name), getattr(plain, name), err_msg=name)
    q = turned.rotation
    np.testing.assert_allclose(q.T @ q, np.eye(6), atol=1e-12)  # orthogonal
    np.testing.assert_allclose(turned.x @ q.T, plain.x, atol=1e-12)
    np.testing.assert_allclose(turned.x_test @ q.T, plain.x_test, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(turned.x_test, axis=1), np.linalg.norm(plain.x_test, axis=1))
    assert np.abs(q).max() < 0.99  # not a permutation of the inputs: each seen input mixes several
    assert np.abs(turned.x - plain.x).max() > 1.0


def test_correlation_mixes_a_shared_factor_into_every_input_that_the_truth_reads():
    items = seed_set_data(0, 6, 30, dataclasses.replace(DESIGN, correlation=0.5, n_test=20_000))
    assert _off_diagonal(items.x_test).mean() == pytest.approx(0.5, abs=0.03)
    np.testing.assert_allclose(items.x_test.std(axis=0), 1.0, atol=0.03)
    np.testing.assert_array_equal(items.t_test.argmax(axis=1), _true_classes(items, items.x_test))


# --- run_cell: what it reports -----------------------------------------------------------


def test_run_cell_reports_every_method_once_per_seed_set(cell):
    assert (cell.d, cell.n, cell.design) == (D, N, DESIGN)
    assert set(cell.grid) == set(METHODS)
    for name in PER_SEED_SET:
        values = getattr(cell, name)
        assert set(values) == set(METHODS), name
        assert all(v.shape == (N_SETS,) for v in values.values()), name
    assert cell.majority.shape == cell.majority_loss.shape == (N_SETS,)
    for method in METHODS:
        assert cell.chosen[method].dtype.kind == "i" and cell.collapsed[method].dtype == bool
        for name in ("accuracy", "accuracy_one_se"):
            assert np.all((getattr(cell, name)[method] >= 0) & (getattr(cell, name)[method] <= 1))
        assert np.all(np.isfinite(cell.loss[method]) & (cell.loss[method] > 0))
    assert not cell.collapsed["none"].any()  # the budget is long enough to learn something


@pytest.mark.parametrize("method", PENALTIES)
def test_penalty_grids_are_log_grids_of_the_designs_width_strongest_first(cell, method):
    blocks = cell.grid[method].reshape(-1, DESIGN.n_values)  # the elastic net: one block per L1 share
    assert len(blocks) == (len(DESIGN.mixings) if method == "elastic net" else 1)
    for grid in blocks:
        np.testing.assert_allclose(grid, protocol.log_grid(grid[0], DESIGN.n_values, DESIGN.decades),
                                   rtol=1e-12)
    assert DESIGN.n_values >= protocol.MIN_GRID_VALUES and DESIGN.decades >= protocol.MIN_GRID_DECADES


def test_the_elastic_nets_mixing_gives_each_block_its_l1_share(cell):
    assert list(cell.mixing) == ["elastic net"]
    np.testing.assert_array_equal(cell.mixing["elastic net"], np.repeat(DESIGN.mixings, DESIGN.n_values))


def test_the_l1_grid_is_anchored_at_seed_set_0s_silencing_strength(cell):
    first = seed_set_data(0, D, N, DESIGN)
    anchor = protocol.silencing_strength(first.x, first.t, Proximal, WEIGHT_NAMES, DESIGN.training(N))
    np.testing.assert_allclose(cell.grid["L1"], protocol.log_grid(anchor, DESIGN.n_values, DESIGN.decades),
                               rtol=1e-12)


def test_the_filters_grid_is_a_ladder_of_ks_from_1_to_d_and_the_others_have_none(cell):
    np.testing.assert_array_equal(cell.grid["filter"], [1, 2, 3, 4, 5, 6, 7])
    assert cell.grid["none"].size == 0 and cell.grid["oracle"].size == 0


def test_each_choice_has_the_smallest_validation_loss_and_one_se_a_stronger_one(cell):
    for method in METHODS:
        curve, rows = cell.curve[method], np.arange(N_SETS)
        assert curve.shape == cell.cv_collapsed[method].shape == (N_SETS, max(1, cell.grid[method].size))
        chosen, one_se = cell.chosen[method], cell.chosen_one_se[method]
        assert np.all((chosen >= 0) & (chosen < curve.shape[1])), method
        np.testing.assert_allclose(curve[rows, chosen], curve.min(axis=1), rtol=1e-12, err_msg=method)
        assert np.all(one_se <= chosen) and np.all(curve[rows, one_se] >= curve[rows, chosen]), method
        shares = cell.cv_collapsed[method] * DESIGN.k  # a share of the folds
        np.testing.assert_allclose(shares, shares.round(), atol=1e-12, err_msg=method)
    assert np.any(cell.chosen["L1"] > 0)  # validation chose something other than silence


def test_a_one_se_choice_that_is_the_best_one_scores_the_same(cell):
    same = 0
    for method in METHODS:
        both = cell.chosen_one_se[method] == cell.chosen[method]
        np.testing.assert_array_equal(cell.accuracy_one_se[method][both], cell.accuracy[method][both])
        same += both.sum()
    assert same >= 2 * N_SETS  # at least "none" and the oracle


@pytest.mark.parametrize("which", ["cell", "short"])
def test_each_refit_trains_whole_checks_and_says_when_the_budget_stopped_it(which, request):
    result = request.getfixturevalue(which)
    training = result.design.training(N)
    for method in METHODS:
        epochs = result.epochs[method]
        assert np.all(epochs % training.check_every == 0), method
        assert np.all((epochs >= training.check_every) & (epochs <= training.max_epochs)), method
        np.testing.assert_array_equal(result.at_budget[method], epochs == training.max_epochs)
    stopped = np.concatenate(list(result.at_budget.values()))
    assert stopped.mean() > 0.5 if which == "short" else not stopped.any()


@pytest.mark.parametrize("method", [*PENALTIES, "filter"])
def test_chosen_strength_is_the_grid_value_at_each_choice(cell, method):
    strength = cell.chosen_strength(method)
    assert strength.shape == (N_SETS,)
    np.testing.assert_array_equal(strength, cell.grid[method][cell.chosen[method]])


@pytest.mark.parametrize("method", ["none", "oracle", "no such method"])
def test_chosen_strength_refuses_a_method_without_a_grid_by_name(cell, method):
    with pytest.raises(ValueError, match=rf"^method must be one with a grid, one of \[.*'L1'.*'filter'.*\], "
                                         rf"got '{method}'"):
        cell.chosen_strength(method)


def test_grid_ends_counts_the_choices_at_either_end_of_a_grid(cell):
    twin = copy.deepcopy(cell)
    twin.chosen["L1"] = np.array([0, 7, 7])
    assert twin.grid_ends("L1") == {"strong": 1, "weak": 2}


def test_grid_ends_counts_the_ends_of_each_of_the_elastic_nets_strength_grids(cell):
    # the elastic net's grid is one strength grid per L1 share, one after the other: index 7
    # is the weakest strength of share 0.2 and index 8 the strongest of share 0.8
    twin = copy.deepcopy(cell)
    twin.chosen["elastic net"] = np.array([7, 8, 15])
    assert twin.grid_ends("elastic net") == {"strong": 1, "weak": 2}


def test_the_majority_baselines_score_the_training_classes_on_the_test_items(cell):
    for s in range(N_SETS):
        items = seed_set_data(s, D, N, DESIGN)
        assert cell.majority[s] == protocol.majority_accuracy(items.t, items.t_test)
        shares = (items.t.sum(axis=0) + 1) / (N + DESIGN.n_classes)  # Laplace's rule: no class has share 0
        loss = -(_expected_labels(items.t_test, DESIGN) * np.log(shares)).sum(axis=1).mean()
        assert cell.majority_loss[s] == pytest.approx(loss, rel=1e-12)


def test_run_cell_gives_the_same_result_every_time(cell):
    _assert_same_result(run_cell(D, N, N_SETS, DESIGN), cell)


def test_a_seed_sets_result_does_not_depend_on_how_many_seed_sets_run(cell):
    _assert_same_result(run_cell(D, N, 2, DESIGN), cell, rows=slice(2))


def test_run_cell_records_the_numbers_of_its_seed_sets(cell, picked):
    assert cell.seed_sets.dtype.kind == picked.seed_sets.dtype.kind == "i"
    assert cell.seed_sets.tolist() == list(range(N_SETS))
    assert picked.seed_sets.tolist() == [2, 1]  # in the order asked, one per row


def test_a_seed_sets_result_does_not_depend_on_which_others_run(cell, picked):
    """Seed sets 2 and 1 alone, in that order, are rows 2 and 1 of the cell of seed sets 0, 1, 2."""
    _assert_same_result(picked, cell, rows=[2, 1])
    assert cell.loss["none"][2] != cell.loss["none"][1]  # so the rows' order is checked too


def test_the_grids_are_anchored_on_seed_set_0_also_when_it_is_not_run(cell, picked):
    assert 0 not in picked.seed_sets and 0 in cell.seed_sets
    assert list(picked.grid) == list(cell.grid)
    for method, grid in cell.grid.items():
        np.testing.assert_array_equal(picked.grid[method], grid, err_msg=method)
    np.testing.assert_array_equal(picked.mixing["elastic net"], cell.mixing["elastic net"])
    first = seed_set_data(0, D, N, DESIGN)  # not seed set 2's silencing strength, the first one run
    anchor = protocol.silencing_strength(first.x, first.t, Proximal, WEIGHT_NAMES, DESIGN.training(N))
    assert picked.grid["L1"][0] == pytest.approx(anchor, rel=1e-12)


def _items(result: CellResult) -> list:
    return [seed_set_data(s, result.d, result.n, result.design) for s in range(result.majority.size)]


def _rule(result: CellResult, method: str, s: int):
    """The rule ``method`` chose on seed set ``s``, and the matrices it acts on."""
    if result.grid[method].size == 0 or method == "filter":
        return Plain(), WEIGHT_NAMES
    lam = float(result.chosen_strength(method)[s])
    if method == "elastic net":
        a = result.mixing[method][result.chosen[method][s]]
        return ElasticNetProximal(a * lam, (1.0 - a) * lam), FIRST
    return {"L2": (L2Gradient(lam), WEIGHT_NAMES), "L1": (Proximal(lam), WEIGHT_NAMES),
            "L1, first layer": (Proximal(lam), FIRST), "group lasso": (GroupProximal(lam), FIRST)}[method]


@pytest.mark.parametrize("which", ["cell", "rotated"])
@pytest.mark.parametrize("method", ["none", "oracle"])
def test_the_curve_and_the_refit_length_are_those_of_cross_validation_by_hand(which, method, request):
    """Cross-validate "none" or the oracle alone on each seed set's folds: run_cell's curve and epochs."""
    result = request.getfixturevalue(which)
    items, design, oracle = _items(result), result.design, method == "oracle"
    x = np.stack([one.x @ one.rotation.T if oracle else one.x for one in items])  # the oracle: true inputs
    folds = np.stack([protocol.make_folds(one.t.argmax(axis=1), design.k,
                                          np.random.default_rng([MAP_SEED, s, D, N, 4]))  # purpose 4: folds
                      for s, one in enumerate(items)])
    keep = np.stack([np.isin(np.arange(D), one.relevant) if oracle else np.ones(D, bool) for one in items])
    training = design.training(N)
    cv = protocol.cross_validate(x, np.stack([one.t for one in items]), protocol.Method(method, [Plain()]),
                                 folds, training, masks=keep[:, None])
    np.testing.assert_allclose(result.curve[method], cv.mean_loss(), rtol=1e-12)
    epochs = [protocol.refit_epochs(cv.best_epoch[s, 0], training) for s in range(len(items))]
    np.testing.assert_array_equal(result.epochs[method], epochs)


@pytest.mark.parametrize("which", ["cell", "rotated"])
@pytest.mark.parametrize("method", METHODS)
def test_each_refit_is_the_chosen_rule_trained_by_hand_for_its_epochs(which, method, request):
    """Refit the choice from streams(0, s, K) on all the items: run_cell's test scores and AUC.

    The oracle reads the true inputs (rotated back) and only the relevant ones, the filter
    the k best on all the items; an input a network does not see has its weights scored 0.
    The AUC scores first-layer weights on the true inputs, so a rotated network's are
    rotated back: the hidden sums from the true inputs are the same.
    """
    result = request.getfixturevalue(which)
    design, training, oracle = result.design, result.design.training(N), method == "oracle"
    for s, one in enumerate(_items(result)):
        x, x_test = (one.x @ one.rotation.T, one.x_test @ one.rotation.T) if oracle else (one.x, one.x_test)
        keep = np.ones(D, dtype=bool)
        if oracle:
            keep = np.isin(np.arange(D), one.relevant)
        elif method == "filter":
            keep = protocol.select_k_best(one.x, one.t, int(result.chosen_strength("filter")[s]))
        rule, on = _rule(result, method, s)
        init, order = protocol.streams(0, s, design.k)
        net = training.network(D, design.n_classes, init)
        fit(net, x * keep, one.t, epochs=int(result.epochs[method][s]), lr=training.lr, seed=order,
            batch_size=training.batch_size, rule=rule, on=on, engine="numpy", record_history=False)
        proba = net.predict_proba(x_test * keep)
        assert result.accuracy[method][s] == hit_rate(proba, one.t_test), s
        loss = -(_expected_labels(one.t_test, design) * np.log(proba)).sum(axis=1).mean()
        assert result.loss[method][s] == pytest.approx(loss, rel=1e-10), s
        collapsed = protocol.is_collapsed([net], (x * keep)[None])[0]
        assert result.collapsed[method][s] == collapsed, s
        weights = net.params["ih_weights"] * keep[:, None]
        back = weights if oracle else one.rotation @ weights
        np.testing.assert_allclose(one.x_test @ one.rotation.T @ back, x_test @ weights, atol=1e-12)
        np.testing.assert_equal(result.auc[method][s], np.nan if collapsed else input_auc(back, one.relevant))

def test_the_oracle_ranks_the_true_inputs_perfectly_unless_its_refit_collapsed(cell, rotated):
    # it sees only the true inputs; the others' weights are unused, and scored 0
    for result in (cell, rotated):
        auc, collapsed = result.auc["oracle"], result.collapsed["oracle"]
        np.testing.assert_array_equal(auc[~collapsed], 1.0)
        assert np.isnan(auc[collapsed]).all()
        assert (~collapsed).any()


def test_the_auc_is_nan_exactly_where_the_refit_collapsed(cell, rotated, short):
    assert short.collapsed["none"].all()  # 60 steps: the prior only
    for result in (cell, rotated, short):
        for method in METHODS:
            np.testing.assert_array_equal(np.isnan(result.auc[method]), result.collapsed[method])
            ok = result.auc[method][~result.collapsed[method]]
            assert np.all((ok >= 0) & (ok <= 1)), method


# --- input_auc ---------------------------------------------------------------------------------

# sum_j |w_ij| per input: 4, 2, 1, 0
WEIGHTS = np.array([[3.0, -1.0], [2.0, 0.0], [0.5, -0.5], [0.0, 0.0]])


@pytest.mark.parametrize(("weights", "relevant", "expected"), [
    (WEIGHTS, [0, 1], 1.0),  # every relevant input above every other: a perfect ranking
    (WEIGHTS, [2, 3], 0.0),  # reversed
    (WEIGHTS, [0, 2], 0.75),  # 4 > 2, 4 > 0, 1 < 2, 1 > 0
    (np.ones((4, 3)), [1], 0.5),  # all tied: each pair counts half
    ([[-5.0], [1.0], [2.0]], [0], 1.0),  # a weight counts by its size, not its sign
    ([[1.0], [1.0], [0.0], [2.0]], [0], 0.5),  # tied with one, above one, below one
])
def test_input_auc_on_hand_examples(weights, relevant, expected):
    assert input_auc(weights, relevant) == expected


@pytest.mark.parametrize("seed", range(5))
def test_input_auc_is_sklearns_roc_auc_of_the_input_weight_sizes(seed):
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(12, 3)).round(0)  # rounded: ties too
    relevant = rng.choice(12, size=4, replace=False)
    expected = roc_auc_score(np.isin(np.arange(12), relevant), payoff.input_relevance(weights))
    assert input_auc(weights, relevant) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("relevant", [[-1], [4], [0, 1, 2, 3]], ids=["negative", "too large", "all inputs"])
def test_input_auc_refuses_relevant_inputs_it_cannot_score_by_name(relevant):
    with pytest.raises(ValueError, match=r"^relevant must list some, not all, of the 4 inputs, got \["):
        input_auc(WEIGHTS, relevant)


# --- copies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", COPIES)
def test_cell_design_survives_a_copy(how):
    twin = COPIES[how](DESIGN)
    assert twin == DESIGN and hash(twin) == hash(DESIGN)
    assert twin.training(N) == DESIGN.training(N)
    np.testing.assert_array_equal(seed_set_data(0, 6, 25, twin).x, seed_set_data(0, 6, 25, DESIGN).x)


def test_cell_design_is_hashable_with_its_mixings_as_a_tuple():
    design = CellDesign(mixings=[0.2, 0.8])  # the table hands a list over
    assert design.mixings == (0.2, 0.8)
    assert hash(design) == hash(CellDesign(mixings=(0.2, 0.8)))


@pytest.mark.parametrize("how", COPIES)
def test_cell_result_survives_a_copy(how, cell):
    twin = COPIES[how](cell)
    _assert_same_result(twin, cell)
    np.testing.assert_array_equal(twin.chosen_strength("L1"), cell.chosen_strength("L1"))
    assert twin.grid_ends("L1") == cell.grid_ends("L1")


@pytest.mark.parametrize("which", ["cell", "rotated"])
def test_cell_result_can_be_rebuilt_from_its_own_fields(which, request):
    # the constructor's table must accept what run_cell stores -- int choices and epochs, bool
    # collapses, NaN AUCs for collapsed refits -- and keep their dtypes: a float cannot index a grid
    result = request.getfixturevalue(which)
    twin = dataclasses.replace(result)
    _assert_same_result(twin, result)
    np.testing.assert_array_equal(twin.chosen_strength("L1"), result.chosen_strength("L1"))


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"k": 1}, r"^k must be an int >= 2, got 1"),
    ({"flip": 1.0}, r"^flip must be a probability in \[0, 1\), got 1"),
    ({"mixings": []}, r"^mixings must hold at least one item"),
    ({"mixings": [0.5, 1.0]}, r"^mixings\[1\] must be a probability in \(0, 1\), got 1"),
    ({"engine": "gpu"}, r"^engine must be one of \['numpy', 'compiled'\], got 'gpu'"),
    ({"correlation": 1.0}, r"^correlation must be a probability in \[0, 1\), got 1"),
    ({"n_values": 7}, r"^n_values must be an int >= 8, got 7"),
    ({"decades": 2.5}, r"^decades must be a finite number >= 3"),
    ({"n_test": 0}, r"^n_test must be a positive int, got 0"),
])
def test_cell_design_refuses_bad_settings_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CellDesign(**kwargs)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: seed_set_data(-1, 6, 25, DESIGN), r"^s must be an int >= 0, got -1"),
    (lambda: seed_set_data(0, 6, 25, "design"), r"^design must be a CellDesign, got str"),
    (lambda: seed_set_data(0, 4, 25, DESIGN), r"^d must be at least the design's n_relevant \(5\), got 4"),
    (lambda: run_cell(D, N, 1, DESIGN),
     r"^seed_sets must be a number of seed sets \(at least 2\) or a list of seed-set numbers, got 1$"),
    (lambda: run_cell(D, N, [], DESIGN),
     r"^seed_sets must be a number of seed sets \(at least 2\) or a list of seed-set numbers, got \[\]$"),
    (lambda: run_cell(D, N, [3, -1], DESIGN), r"^seed_sets\[1\] must be an int >= 0, got -1"),
    (lambda: run_cell(D, N, [1, 4, 1], DESIGN), r"^seed_sets must not repeat a seed set, got \[1, 4, 1\]$"),
    (lambda: run_cell(D, N, np.array([2, 2]), DESIGN),
     r"^seed_sets must not repeat a seed set, got \[2, 2\]$"),
    (lambda: run_cell(D, 9, 2, DESIGN), r"^k must leave at least 2 items per fold: k=5 with 9 items"),
])
def test_seed_set_data_and_run_cell_refuse_bad_arguments_by_name(call, match):
    with pytest.raises(ValueError, match=match):
        call()
