"""The demo's seed sets and its large test sets."""

import numpy as np
import pytest

from l1reg.studies.data import make_generator
from l1reg.studies.demo import LAM, demo_data, demo_large_test, demo_seeds, run_demo, seed_study


def test_large_test_set_is_labelled_by_the_seed_sets_own_generator():
    for run in (0, 3):
        x, t = demo_large_test(run, n_items=500)
        generator = make_generator(demo_seeds(run)["generator_seed"])
        np.testing.assert_array_equal(t.argmax(axis=1), generator.predict(x))
        assert x.shape == (500, 10) and np.abs(x).max() <= 10.0


def test_large_test_sets_differ_between_seed_sets_and_from_the_articles_items():
    x0, _ = demo_large_test(0, n_items=40)
    x1, _ = demo_large_test(1, n_items=40)
    assert not np.allclose(x0, x1)
    assert not np.allclose(x0, demo_data(0).x_test)
    # the same call gives the same items
    np.testing.assert_array_equal(demo_large_test(0, n_items=40)[0], x0)


def test_large_test_set_refuses_a_bad_size():
    with pytest.raises(ValueError, match="n_items"):
        demo_large_test(0, n_items=0)


def test_seed_study_scores_each_seed_sets_networks_on_its_own_large_test_set():
    study = seed_study(n_runs=2, epochs=2, large_test_items=50)
    assert sorted(study) == sorted(
        f"{which}_{label}" for which in ("train", "test", "large_test", "sum_w")
        for label in ("plain", "l1"))
    assert all(v.shape == (2,) for v in study.values())
    for run in (0, 1):
        for label, lam in (("plain", 0.0), ("l1", LAM)):
            alone = run_demo(lam, run=run, epochs=2, test_data=demo_large_test(run, n_items=50))
            assert study[f"large_test_{label}"][run] == pytest.approx(alone.test_accuracy)
            assert study[f"train_{label}"][run] == pytest.approx(alone.train_accuracy)
            # the article's 40 items, as before
            data = demo_data(run)
            assert study[f"test_{label}"][run] == pytest.approx(alone.net.accuracy(data.x_test, data.t_test))
            # sum |w| of the same network trained alone (by the NumPy engine): round-off apart
            alone_sum = np.abs(alone.net.weights()).sum()
            assert study[f"sum_w_{label}"][run] == pytest.approx(alone_sum, rel=1e-9)


def test_seed_study_sum_w_counts_the_112_weights_and_not_the_biases():
    # One epoch from weights uniform in [-0.01, 0.01]: 112 of them sum to well under 1.12,
    # while the biases (8 + 4) are not in the sum at all.
    study = seed_study(n_runs=2, epochs=1, large_test_items=10, engine="numpy")
    for run in (0, 1):
        net = run_demo(0.0, run=run, epochs=1).net
        assert study["sum_w_plain"][run] == pytest.approx(np.abs(net.weights()).sum(), rel=1e-12)
        assert study["sum_w_plain"][run] != pytest.approx(np.abs(net.flat).sum(), rel=1e-6)
        assert net.weights().size == 112


def test_seed_study_engines_agree_to_round_off():
    numpy_study = seed_study(n_runs=3, epochs=3, large_test_items=200, engine="numpy")
    compiled_study = seed_study(n_runs=3, epochs=3, large_test_items=200, engine="compiled")
    for key, values in numpy_study.items():
        np.testing.assert_allclose(compiled_study[key], values, rtol=1e-9, err_msg=key)


def test_seed_study_a_strong_penalty_shrinks_every_networks_weights():
    study = seed_study(n_runs=3, lam=0.01, epochs=5, large_test_items=10)
    assert np.all(study["sum_w_l1"] < study["sum_w_plain"])


def test_seed_study_refuses_an_unknown_engine():
    with pytest.raises(ValueError, match="engine must be one of"):
        seed_study(n_runs=2, epochs=1, engine="gpu")


def test_seed_study_refuses_a_bad_large_test_size():
    with pytest.raises(ValueError, match="large_test_items"):
        seed_study(n_runs=2, epochs=1, large_test_items=0)
