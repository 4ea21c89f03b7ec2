"""Chapter 06's study of L1 and its rivals: its methods and grids, a subset recomputed alone,
the file it writes, and the check of a recomputed subset against it."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle

import numpy as np
import pytest

from l1reg.core._validation import InvalidParameterError
from l1reg.studies import protocol, rivals_study
from l1reg.studies.rivals_study import (
    RivalsResult,
    compare_rivals,
    from_dict,
    load_study,
    methods,
    run_rivals,
    seed_set,
    to_dict,
    write_study,
)

# Small and on NumPy: a whole tiny study trains in a few seconds.
TINY = protocol.Training(n_hidden=4, lr=0.1, batch_size=20, max_epochs=8, check_every=2, patience=2,
                         engine="numpy")


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(rivals_study, "TRAINING", TINY)
    monkeypatch.setattr(rivals_study, "WHOLE_BUDGET", dataclasses.replace(TINY, check_every=8, patience=0))
    return monkeypatch


@pytest.fixture
def three(tiny):
    """The tiny study on seed sets 0, 1 and 2 (recomputed once per test that asks)."""
    return run_rivals(3, names=["none", "L1", "L2", "dropout", "jitter"])


def test_seed_set_is_the_demos_items_standardized_with_a_large_test_set():
    one = seed_set(3)
    assert one.x.shape == (200, 10) and one.t.shape == (200, 4) and one.x_test.shape == (5000, 10)
    assert abs(one.x.std() - 1.0) < 0.05 and np.all(np.abs(one.x) <= np.sqrt(3.0))
    assert not np.array_equal(one.x, seed_set(4).x)


def test_every_method_has_a_wide_grid_strongest_first_and_none_has_none(tiny):
    every = methods(seed_set(0))
    assert list(every) == ["none", "L1", "L2", "elastic net", "dropout", "max-norm", "jitter"]
    assert len(every["none"].rules) == 1
    for name, method in every.items():
        values, mixing = rivals_study._values(name, method)
        if name == "none":
            assert values.size == 0
            continue
        n = rivals_study.N_VALUES * (len(rivals_study.MIXINGS) if name == "elastic net" else 1)
        assert len(method.rules) == values.size == n, name
        runs = values.reshape(-1, rivals_study.N_VALUES)
        if name == "max-norm":  # a smaller radius is the stronger constraint
            assert np.all(np.diff(runs) > 0)
        else:
            assert np.all(np.diff(runs) < 0), name
        if name not in ("dropout",):
            assert np.allclose(np.log10(runs[:, 0] / runs[:, -1]) * np.sign(runs[:, 0] - runs[:, -1]),
                               rivals_study.DECADES), name
    assert rivals_study._values("elastic net", every["elastic net"])[1].round(6).tolist() == sorted(
        [a for a in rivals_study.MIXINGS for _ in range(rivals_study.N_VALUES)])


def test_a_subset_recomputed_alone_is_the_same_as_its_rows_of_a_larger_run(three):
    alone = run_rivals([2, 0], names=["none", "L1", "L2", "dropout", "jitter"])
    for name, (gap, same) in compare_rivals(three, alone).items():
        assert gap < 1e-9 and same == 1.0, name
    for name in alone.accuracy:
        np.testing.assert_array_equal(alone.accuracy[name], three.accuracy[name][[2, 0]], err_msg=name)


def test_the_study_scores_every_method_and_the_controls_on_every_seed_set(three):
    names = ["none", "L1", "L2", "dropout", "jitter"]
    assert list(three.accuracy) == names + [name + rivals_study.BUDGET for name in names]
    for name, accuracy in three.accuracy.items():
        assert accuracy.shape == (3,) and np.all((accuracy >= 0) & (accuracy <= 1)), name
        assert three.epochs[name].shape == (3,) and np.all(three.epochs[name] % TINY.check_every == 0)
        if name.endswith(rivals_study.BUDGET):  # the whole budget, whatever validation says
            assert np.all(three.epochs[name] == TINY.max_epochs), name
    assert three.curve["L1"].shape == (3, rivals_study.N_VALUES)
    assert np.all(three.majority > 0.2) and np.all(three.majority < 1)
    shares = [f"{name} {100 * share:.0f} %" for name in rivals_study.PRUNED
              for share in rivals_study.PRUNE_SHARES]
    assert set(three.pruned) == set(shares) | {f"{key}, retrained" for key in shares}


def test_pruning_removes_the_share_and_retraining_keeps_the_zeros(tiny, monkeypatch):
    result = RivalsResult(seed_sets=np.array([0, 1]))
    sets = [seed_set(0), seed_set(1)]
    nets = [TINY.network(10, 4, s) for s in (0, 1)]
    result.epochs["L2"] = np.array([2, 4])
    kept = []
    original = rivals_study._score

    def spy(result, name, networks, sets):
        kept.append([int(np.sum(net.weights() == 0)) for net in networks])
        original(result, name, networks, sets)

    monkeypatch.setattr(rivals_study, "_score", spy)
    rivals_study._prune(result, "L2", nets, sets)
    n_weights = nets[0].n_weights
    expected = [[round(share * n_weights)] * 2 for share in rivals_study.PRUNE_SHARES for _ in (0, 1)]
    assert [min(k) for k in kept] == [e[0] for e in expected]  # pruned, then still at least as sparse
    assert all(np.sum(net.weights() == 0) == 0 for net in nets)  # the refit networks are left alone


def test_a_study_survives_its_file(three, tmp_path):
    path = tmp_path / "rivals.json"
    write_study(path, three)
    back = load_study(path)
    for key in rivals_study._FIELDS:
        assert set(getattr(back, key)) == set(getattr(three, key)), key
        for name, value in getattr(three, key).items():
            np.testing.assert_array_equal(getattr(back, key)[name], value, err_msg=f"{key}[{name}]")
            assert getattr(back, key)[name].dtype.kind == np.asarray(value).dtype.kind
    assert json.loads(path.read_text())["format"] == rivals_study.FORMAT


@pytest.mark.parametrize("how", [lambda r: pickle.loads(pickle.dumps(r)), copy.deepcopy])
def test_a_result_survives_a_copy(three, how):
    twin = how(three)
    np.testing.assert_array_equal(twin.accuracy["L1"], three.accuracy["L1"])
    assert twin.grid_ends("L1") == three.grid_ends("L1")


@pytest.mark.parametrize(("text", "match"), [
    ("not json", r"^path must be a rivals study file \(make rivals-study writes one\)"),
    ('{"format": 1, "seed": 6060}', r"^path must be a rivals study file"),
    ('{"format": 2, "seed": 6060, "cells": [{}]}', r"^path must be a rivals study file"),
])
def test_load_study_refuses_a_file_that_is_no_rivals_study_naming_path(text, match, tmp_path):
    path = tmp_path / "other.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_study(path)


def test_from_dict_refuses_a_record_of_another_format_or_seed(three):
    record = to_dict(three)
    with pytest.raises(ValueError, match=r"^record must be a rivals study of format 1 and seed 6060"):
        from_dict(record | {"seed": 7})


def test_write_study_refuses_a_folder_that_does_not_exist_and_writes_nothing(three, tmp_path):
    with pytest.raises(ValueError, match=r"^path must be in a folder that exists"):
        write_study(tmp_path / "missing" / "rivals.json", three)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"seed_sets": [0, 0]}, ValueError, r"^seed_sets must not repeat a seed set, got \[0, 0\]$"),
    ({"seed_sets": 1}, InvalidParameterError, r"^seed_sets must be"),
    ({"seed_sets": 2, "names": ["L3"]}, ValueError, r"^names must be methods of the study .*, got \['L3'\]$"),
])
def test_run_rivals_refuses_bad_arguments_by_name_before_any_training(kwargs, error, match, tiny):
    with pytest.raises(error, match=match):
        run_rivals(**kwargs)


def test_compare_rivals_refuses_seed_sets_or_methods_the_stored_study_lacks(three):
    fewer = copy.deepcopy(three)
    fewer.seed_sets = np.array([0, 1, 5])
    with pytest.raises(ValueError, match=r"^fresh has seed sets \[5\] that stored lacks$"):
        compare_rivals(three, fewer)
    more = copy.deepcopy(three)
    more.accuracy["L3"] = more.accuracy["L1"]
    with pytest.raises(ValueError, match=r"^fresh has a method 'L3' that stored lacks$"):
        compare_rivals(three, more)
    moved = copy.deepcopy(three)
    moved.grid["L1"] = 2 * moved.grid["L1"]
    with pytest.raises(ValueError, match=r"^fresh's grid of 'L1' is not stored's"):
        compare_rivals(three, moved)


def test_chosen_value_and_grid_ends_refuse_a_method_without_a_grid(three):
    assert three.chosen_value("L1").shape == (3,)
    assert set(three.grid_ends("dropout")) == {"strong", "weak"}
    for ask in (three.chosen_value, three.grid_ends):
        with pytest.raises(ValueError, match=r"^method must be one with a grid, one of \['L1', 'L2'"):
            ask("none")


def test_main_writes_the_study_and_checks_it_against_itself_and_a_changed_file(tiny, tmp_path, capsys):
    stored = tmp_path / "stored.json"
    rivals_study.main([str(stored), "--seed-sets", "2"])
    assert load_study(stored).seed_sets.tolist() == [0, 1]
    rivals_study.main([str(tmp_path / "fresh.json"), "--seed-sets", "2", "--check", str(stored)])
    assert "none: gap in mean accuracy 0.00 points, same choices 100%" in capsys.readouterr().out
    moved = load_study(stored)
    moved.accuracy["L2"] = moved.accuracy["L2"] - 0.05  # five points lower on every seed set
    write_study(stored, moved)
    with pytest.raises(SystemExit, match=r"by more than 1.0 points .* for \['L2'\]: run make rivals-study"):
        rivals_study.main([str(tmp_path / "fresh.json"), "--seed-sets", "2", "--check", str(stored)])


def test_main_refuses_a_broken_stored_file_before_any_work(tiny, tmp_path, monkeypatch):
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    monkeypatch.setattr(rivals_study, "run_rivals", lambda *a: pytest.fail("ran the study"))
    with pytest.raises(ValueError, match=r"^path must be a rivals study file"):
        rivals_study.main([str(tmp_path / "fresh.json"), "--check", str(broken)])


def test_refit_length_matches_the_folds_steps_on_all_the_items():
    training = protocol.Training(check_every=2)
    # 5 folds: a fold trains on 4/5 of the items, so 25 epochs there are 20 on all of them
    assert rivals_study.refit_length([25, 25, 25], training) == 20
    assert rivals_study.refit_length([21], training) == 18  # 16.8 epochs, up to a whole check
    assert rivals_study.refit_length([1], training) == 2  # never less than one check
    budget = protocol.Training(max_epochs=400, check_every=400, patience=0)
    assert rivals_study.refit_length([400] * 5, budget) == 400  # the whole budget stays the whole budget
