"""The benchmark script: its statistics, its table, its target checks and a tiny run."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", BENCH_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["bench"]


def test_measure_times_only_the_runs_after_the_warmup(bench):
    calls = []
    walls, cpus = bench.measure(lambda: calls.append("run"), repeats=3, warmup=2,
                                setup=lambda: calls.append("setup"))
    assert calls == ["setup", "run"] * 5
    assert len(walls) == len(cpus) == 3
    assert all(w >= 0.0 for w in walls)


def test_measure_sees_a_known_duration(bench):
    walls, _ = bench.measure(lambda: __import__("time").sleep(0.02), repeats=2, warmup=0)
    assert all(0.02 <= w < 0.5 for w in walls)


@pytest.mark.parametrize(
    ("updates", "n_items", "batch_size", "epochs"),
    [(4000, 200, 1, 20), (4000, 200, 32, 572), (2850, 1797, 32, 50), (1, 200, 500, 1)],
)
def test_epochs_for_gives_at_least_the_updates(bench, updates, n_items, batch_size, epochs):
    assert bench.epochs_for(updates, n_items, batch_size) == epochs
    per_epoch = -(-n_items // batch_size)
    assert epochs * per_epoch >= updates > (epochs - 1) * per_epoch


def _rows(bench, loop=300.0, vec=10.0, keras=80.0, full=3.0, digits=(1.0, 2.0), suite=200.0, book=None,
          frozen=6.0, inlined=9.0):
    """Rows with given per-update times (microseconds) or totals (seconds)."""
    Row = bench.Row
    us = 1e-6 * 4000
    return [
        Row("demo", bench.LOOP, 4000, [loop * us]),
        Row("demo", bench.FROZEN_1, 4000, [frozen * us]),
        Row("demo", bench.INLINED_1, 4000, [inlined * us]),
        Row("demo", bench.VEC_1, 4000, [vec * us, 2 * vec * us, vec * us], reference=True),
        Row("demo", bench.KERAS_1, 4000, [keras * us]),
        Row("demo", bench.FULL_DEMO, 200_000, [full]),
        Row("digits", bench.VEC_32, 2850, [digits[0]], reference=True),
        Row("digits", bench.KERAS_32, 2850, [digits[1]]),
        Row("suite", bench.SUITE_TEST, None, [suite], reference=True),
        Row("suite", bench.SUITE_BOOK, None, [suite / 2 if book is None else book]),
    ]


def test_ratios_are_per_update_against_the_section_reference(bench):
    rows = _rows(bench)
    bench.set_ratios(rows)
    ratios = {(r.section, r.variant): r.ratio for r in rows}
    assert ratios["demo", bench.LOOP] == pytest.approx(30.0)  # the median of the reference is 10 us
    assert ratios["demo", bench.KERAS_1] == pytest.approx(8.0)
    assert ratios["demo", bench.FULL_DEMO] == pytest.approx((3.0 / 200_000) / 10e-6)
    assert ratios["digits", bench.KERAS_32] == pytest.approx(2.0)
    assert ratios["suite", bench.SUITE_BOOK] == pytest.approx(0.5)


def test_the_table_has_one_line_per_row_with_median_min_max(bench):
    rows = _rows(bench)
    bench.set_ratios(rows)
    lines = bench.format_table(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    vec = next(line for line in lines if bench.VEC_1 in line)
    # median, min, max, cpu (not measured here), us per update, ratio
    assert vec.split()[-6:] == ["0.040", "0.040", "0.080", "-", "10.0", "ref"]
    loop = next(line for line in lines if bench.LOOP in line)
    assert loop.endswith("30.00x")


def _replica_rows(bench, numpy=10.0, compiled=1.0, peer=1.0, counts=(64, 256)):
    """The replicas section's rows at the targets' stack sizes, per item (us per update).

    The rows without a history (the targets' like-for-like pairs) take the same times.
    """
    rows, us = [], 1e-6 * 64_000
    for count in counts:
        section = bench.replicas_section(count, 1)
        rows += [bench.Row(section, bench.REP_NUMPY, 64_000, [numpy * us], reference=True),
                 bench.Row(section, bench.REP_COMPILED, 64_000, [compiled * us]),
                 bench.Row(section, bench.REP_NUMPY_BARE, 64_000, [numpy * us]),
                 bench.Row(section, bench.REP_COMPILED_BARE, 64_000, [compiled * us]),
                 bench.Row(section, bench.REP_PEER, 64_000, [peer * us])]
    return rows


def _status(results, words: str):
    """The one target whose description contains ``words``: (status, target, measured)."""
    found = [r for r in results if words in r[1]]
    assert len(found) == 1, [r[1] for r in found]
    return found[0]


def test_the_targets_compare_like_with_like_and_show_the_other_pairing(bench):
    rows = _replica_rows(bench, compiled=1.0, peer=0.8, counts=(64,))
    section, peer_64 = rows[0].section, "peer at 64 networks"
    (_, _, plain) = _status(bench.check_targets(rows), peer_64)
    assert plain == "0.80x"  # no row with history: the target's ratio alone
    rows.append(bench.Row(section, bench.REP_PEER_HISTORY, 64_000, [0.95 * 1e-6 * 64_000]))
    (status, _, measured) = _status(bench.check_targets(rows), peer_64)
    assert status == "FAIL"
    assert measured == "0.80x (with fit's history: 0.95x a peer recording the same history)"
    # the peer target reads the compiled row without a history, not fit's default
    rows = [r for r in rows if r.variant != bench.REP_COMPILED_BARE]
    rows.append(bench.Row(section, bench.REP_COMPILED_BARE, 64_000, [0.7 * 1e-6 * 64_000]))
    (status, _, measured) = _status(bench.check_targets(rows), peer_64)
    assert status == "PASS" and measured.startswith("1.14x")
    (status, _, numpy_ratio) = _status(bench.check_targets(rows), "NumPy's rate at 64 networks, per item")
    assert status == "INFO"  # the 6x was withdrawn: the peer's own gain is printed beside it
    assert numpy_ratio == "10.0x (14.3x with record_history=False for both; the peer itself: 12.5x)"
    assert _status(bench.check_targets(rows), "peer at 256 networks")[0] == "SKIP"


def test_targets_pass_when_met(bench):
    rows = _rows(bench, book=20.0) + _replica_rows(bench)
    results = bench.check_targets(rows)
    statuses = [status for status, _, _ in results]
    assert statuses == ["INFO", "INFO", "PASS", "PASS", "INFO", "PASS", "INFO"] + ["PASS"] * 4
    assert results[0][2] == "30.0x faster"
    assert "withdrawn" in results[0][1] and "withdrawn" in results[1][1]
    assert results[1][2] == "1.67x (the inlined allocating step: 1.50x)"
    assert results[2][2] == "1.11x"
    assert results[4][2] == "3.00 s (median)"


@pytest.mark.parametrize(
    ("changes", "replica_changes", "failing"),
    [
        ({"inlined": 6.0}, {}, ["the same step inlined"]),  # 10 / 6 = 1.67x: above 1.5x
        ({"keras": 40.0}, {}, ["faster than Keras"]),  # 4x: below 5x
        ({"digits": (2.0, 1.5)}, {}, ["no slower than Keras"]),  # l1reg slower than Keras
        ({}, {"numpy": 5.0}, []),  # compiled only 5x NumPy's rate: information, the 6x was withdrawn
        ({}, {"peer": 0.8}, ["peer at 64", "peer at 256"]),  # compiled at 0.8x the peer's rate
        ({"suite": 300.0}, {}, ["make test"]),  # not under 5 min
        ({"book": 90.0}, {}, ["clean book build"]),  # a clean book build not under 90 s
    ],
)
def test_each_target_fails_on_its_own(bench, changes, replica_changes, failing):
    rows = _rows(bench, **{"book": 20.0, **changes}) + _replica_rows(bench, **replica_changes)
    results = bench.check_targets(rows)
    failed = [target for status, target, _ in results if status == "FAIL"]
    assert len(failed) == len(failing) and all(any(words in t for t in failed) for words in failing)
    assert "INFO" in [status for status, t, _ in results if "NumPy's rate at 64" in t]
    assert all(status in ("INFO", "PASS", "FAIL") for status, _, _ in results)


def test_each_rule_gets_its_own_target(bench):
    us, rows = 1e-6 * 64_000, [bench.Row(bench.RULES_SECTION, bench.RULE_PEER, 64_000, [1.0 * 1e-6 * 64_000])]
    for name, numpy, compiled in (("Plain", 6.0, 1.0), ("SubGradient", 6.0, 1.0), ("TackOn", 4.0, 1.0)):
        rows.append(bench.Row(bench.RULES_SECTION, name + bench.RULE_NUMPY, 64_000, [numpy * us]))
        rows.append(bench.Row(bench.RULES_SECTION, name + bench.RULE_COMPILED, 64_000, [compiled * us]))
    results = bench.check_targets(rows)  # the peer's gain: 6x; 80 % of it: 4.8x
    assert _status(results, "rules: Plain compiled")[::2] == ("PASS", "6.0x (100% of the peer's gain)")
    assert _status(results, "rules: TackOn compiled")[::2] == ("FAIL", "4.0x (67% of the peer's gain)")


def test_the_withdrawn_loop_target_is_information_only(bench):
    results = bench.check_targets(_rows(bench, loop=150.0))  # 15x: was a FAIL below 20x
    assert results[0][0] == "INFO" and results[0][2] == "15.0x faster"


def test_targets_of_sections_not_run_are_skipped(bench):
    rows = [row for row in _rows(bench) if row.section == "digits"]
    results = bench.check_targets(rows)
    assert _status(results, "no slower than Keras")[0] == "PASS"
    assert [status for status, target, _ in results if "no slower than Keras" not in target] == (
        ["INFO", "INFO", "SKIP", "SKIP", "INFO", "INFO"] + ["SKIP"] * 4)


def test_parse_args_defaults_are_the_issues(bench):
    args = bench.parse_args([])
    assert args.sections == ["demo", "sizes", "replicas", "rules", "digits", "suite"]
    assert (args.replicas_networks, args.replicas_epochs, args.rules_epochs) == ([1, 16, 64, 256], 20, 20)
    assert (args.repeats, args.warmup, args.full_demo_epochs, args.digits_epochs) == (5, 1, 500, 50)
    assert bench.parse_args(["--sections", "digits, demo"]).sections == ["digits", "demo"]


@pytest.mark.parametrize(
    "argv",
    [["--sections", "speed"], ["--sections", ","], ["--repeats", "0"], ["--warmup", "-1"],
     ["--demo-epochs", "0"], ["--sizes-epochs", "0"], ["--blas-threads", "0"],
     ["--replicas-networks", "0"], ["--replicas-networks", "a,b"], ["--replicas-epochs", "0"],
     ["--rules-epochs", "0"]],
)
def test_parse_args_refuses_bad_options(bench, argv, capsys):
    with pytest.raises(SystemExit) as stop:
        bench.parse_args(argv)
    assert stop.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_tiny_demo_run_prints_the_table_and_the_targets(bench, capsys):
    code = bench.main(["--sections", "demo", "--no-keras", "--repeats", "1", "--warmup", "0",
                       "--demo-epochs", "1", "--full-demo-epochs", "1"])
    out = capsys.readouterr().out
    assert code == 0
    for variant in (bench.LOOP, bench.VEC_1, bench.VEC_32, bench.FROZEN_1, bench.INLINED_1,
                    "l1reg run_demo x 2 (1 epochs each)"):
        assert variant in out
    assert "note: fewer than 5 repetitions" in out
    assert any(line.startswith("INFO  demo: 500 epochs, both runs") and line.endswith("not run")
               for line in out.splitlines())  # 1 epoch is not the 500 it reports
    assert "SKIP  make test" in out
    assert any(line.startswith("INFO  demo: vectorized against the loop version (the 20x target was")
               for line in out.splitlines())
    assert "FAIL  demo: vectorized >= 20x" not in out


def test_measure_in_turns_runs_one_round_of_every_job_at_a_time(bench):
    calls = []
    jobs = [(lambda name=name: calls.append(name), lambda name=name: calls.append(name + " setup"))
            for name in ("a", "b")]
    results = bench.measure_in_turns(jobs, repeats=2, warmup=1)
    assert calls == ["a setup", "a", "b setup", "b"] * 3
    assert [(len(walls), len(cpus)) for walls, cpus in results] == [(2, 2), (2, 2)]


def _size_rows(bench, floor_us, loop_us):
    us = 1e-6 * 1000
    return [
        bench.Row("1-1-2", bench.SIZE_VEC, 1000, [floor_us * us], reference=True),
        bench.Row("10-8-4", bench.SIZE_LOOP, 1000, [loop_us * us]),
        bench.Row("10-8-4", bench.SIZE_VEC, 1000, [2 * floor_us * us], reference=True),
    ]


def test_the_call_floor_divides_the_demo_sized_loop_step_by_the_smallest_vectorized_step(bench):
    line = bench.call_floor(_size_rows(bench, floor_us=15.0, loop_us=150.0))
    assert "1-1-2): 15.0 us" in line
    assert "at 10-8-4 takes 150.0 us" in line
    assert "at most about 10.0x faster" in line
    assert "at most about 4.0x faster" in bench.call_floor(_size_rows(bench, floor_us=25.0, loop_us=100.0))


def test_the_call_floor_needs_both_rows(bench):
    rows = _size_rows(bench, floor_us=15.0, loop_us=150.0)
    assert bench.call_floor(rows[1:]) is None
    assert bench.call_floor(_rows(bench)) is None


def test_a_tiny_sizes_run_times_loops_and_vectorized_at_every_size(bench, capsys):
    code = bench.main(["--sections", "sizes", "--repeats", "1", "--warmup", "0", "--sizes-epochs", "1"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    for sizes in bench.SIZES:
        label = bench.size_label(sizes)
        assert sum(line.startswith(label + " ") for line in lines) == 2
    assert bench.size_label((64, 32, 10)) == "64-32-10"
    assert "fixed cost of the vectorized step's NumPy calls (its time at 1-1-2)" in out


@pytest.mark.keras
# Keras 3.15's get_weights calls np.array(variable), which NumPy 2 flags as deprecated
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_keras_rows_train_the_same_network_shape(bench):
    keras = bench.import_keras()
    rng = np.random.default_rng(0)
    x, t = rng.uniform(-1, 1, (40, 10)), np.eye(4)[rng.integers(0, 4, 40)]
    row = bench.keras_row(keras, section="demo", variant="k", x=x, t=t, hidden=8, activation_out="softmax",
                          loss="categorical_crossentropy", lam=0.001, lr=0.01, batch_size=30, epochs=2,
                          repeats=1, warmup=0)
    assert row.updates == 2 * 2  # batches of 30 and 10
    assert len(row.times) == 1
    assert row.note.startswith("train acc ")


def test_the_suite_section_runs_make_test_and_clean_book_builds(bench, monkeypatch, tmp_path):
    # The real commands take minutes (and `make test` would run this test again):
    # record what would run instead.
    commands = []

    def fake_run(command, **kwargs):
        commands.append((list(command), kwargs.get("cwd")))
        if "--path-output" in command:
            out = Path(command[command.index("--path-output") + 1])
            assert out.is_dir() and not any(out.iterdir())  # a fresh, empty directory: a clean build
        return bench.subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    monkeypatch.setattr(bench.tempfile, "tempdir", str(tmp_path))  # the logs go there
    rows = bench.bench_suite(bench.parse_args(["--sections", "suite", "--repeats", "2", "--warmup", "1"]))
    assert [row.variant for row in rows] == [bench.SUITE_TEST, bench.SUITE_BOOK]
    assert all(len(row.times) == 2 and row.note == "all runs exited 0" for row in rows)
    assert commands[0] == (["make", "-q", "setup"], bench.ROOT)
    assert [c for c, _ in commands[1:4]] == [["make", "test"]] * 3  # warm-up + 2 timed
    builds = [c for c, _ in commands[4:]]
    assert len(builds) == 3
    assert all(c[1:6] == ["build", ".", "-W", "-n", "--keep-going"] for c in builds)
    assert len({c[-1] for c in builds}) == 3  # a new output directory each time


def test_the_suite_section_needs_the_set_up_done(bench, monkeypatch):
    monkeypatch.setattr(bench.subprocess, "run",
                        lambda command, **kwargs: bench.subprocess.CompletedProcess(command, 1))
    with pytest.raises(SystemExit, match="make setup"):
        bench.bench_suite(bench.parse_args(["--sections", "suite"]))


def test_the_step_products_are_the_five_the_step_computes(bench):
    # forward x W_ih, h W_ho; backward h^T dE/dz, dE/dz W_ho^T, x^T dE/dh; none with W_ih^T
    assert bench.step_products((10, 8, 4), 3) == [(3, 10, 8), (3, 8, 4), (8, 3, 4), (3, 4, 8), (10, 3, 8)]


def test_flops_per_update_counts_what_the_step_computes(bench):
    # 1-1-2, one item: products 2 * (1 + 2 + 2 + 2 + 1); forward 1 + 1 + 2 + 5 * 2;
    # backward 5 * 2 (signal, no mean over one item) + 2 + 3 + 1; per update 3 * 3 + 2 * 6
    assert bench.flops_per_update((1, 1, 2), 1) == 16 + 14 + 16 + 9 + 12
    # 10-8-4: a second item adds its products, its element-wise work and the mean over
    # the items (one flop per output for each item)
    per_item = bench.flops_per_update((10, 8, 4), 2) - bench.flops_per_update((10, 8, 4), 1)
    assert per_item == (4 * 80 + 6 * 32) + (8 + 8 + 4 + 20) + (20 + 4 + 24 + 8) + 2 * 4
    # the first layer's backward product (2 * 80 flops an item) is not charged: the old
    # count, 6 flops per weight and item (1356 and 8304), was 13.8 % too high at batch
    # size 1, 23.9 % at 10
    assert bench.flops_per_update((10, 8, 4), 1) == 1192
    assert bench.flops_per_update((10, 8, 4), 10) == 6704


def test_history_flops_counts_a_forward_pass_error_and_hits_per_item(bench):
    # 1-1-2, one item: products 2 * (1 + 2); element-wise + b_h, tanh (2) and + b_o,
    # softmax's max, -, exp, sum, / (6 * 2); error -, square, sum (3 * 2); hits two
    # arg-maxima over 2 outputs (4), a comparison and its count (2); per epoch 2
    assert bench.history_flops((1, 1, 2), 1) == 6 + 14 + 6 + 6 + 2
    # 10-8-4: 224 + 40 + 12 + 10 = 286 per item, 200 items, + 2
    assert bench.history_flops((10, 8, 4), 200) == 286 * 200 + 2
    # per update it adds 24 % at batch size 1 (286 / 1192) and 43 % at 10 (2860 / 6704)
    assert bench.history_flops((10, 8, 4), 200) / 200 / bench.flops_per_update((10, 8, 4), 1) \
        == pytest.approx(0.24, abs=0.005)


def test_the_batched_matmul_rate_is_the_flops_of_the_five_products_per_second(bench, monkeypatch):
    pytest.importorskip("threadpoolctl")
    seen = []

    def fake_measure(run, *, repeats, warmup, setup=None):
        from threadpoolctl import threadpool_info

        seen.append({pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"})
        run()
        return [0.01] * repeats, [0.01] * repeats

    monkeypatch.setattr(bench, "measure", fake_measure)
    # one round "takes" 10 ms: two rounds fill 20 ms, also "timed" at 10 ms
    rate = bench.batched_matmul_rate((10, 8, 4), 3, 2, seconds=0.02)
    flops = 3 * sum(2 * m * k * n for m, k, n in bench.step_products((10, 8, 4), 2))
    assert rate == pytest.approx(2 * flops / 0.01)
    assert seen and all(threads == {1} for threads in seen)  # one BLAS thread while timed
    real = bench.batched_matmul_rate((10, 8, 4), 2, 1, tries=1, seconds=0.001)
    assert 1e5 < real < 1e13


def test_percent_keeps_two_significant_digits_below_ten(bench):
    assert [bench.percent(f) for f in (0.0123, 0.077, 0.5, 1.07, 3.456)] == \
        ["1.2 %", "7.7 %", "50 %", "107 %", "346 %"]


def test_a_tiny_replicas_run_times_the_engines_and_peers_and_reports_rates_and_compile_times(bench, capsys):
    pytest.importorskip("jax")
    code = bench.main(["--sections", "replicas", "--repeats", "1", "--warmup", "0",
                       "--replicas-networks", "2", "--replicas-epochs", "1"])
    out = capsys.readouterr().out
    assert code == 0
    for batch_size in bench.REPLICA_BATCHES:
        section = bench.replicas_section(2, batch_size)
        for variant in (bench.REP_NUMPY, bench.REP_COMPILED, bench.REP_NUMPY_BARE, bench.REP_COMPILED_BARE,
                        bench.REP_PEER, bench.REP_PEER_HISTORY):
            assert any(line.startswith(section) and variant in line and "of matmul rate" in line
                       for line in out.splitlines())
    assert "yardstick: np.matmul on stacks of the step's five products" in out
    for batch_size in bench.REPLICA_BATCHES:
        assert f"  {bench.replicas_section(2, batch_size):<8} np.matmul rate at these shapes: " in out
    assert out.count("compiling took about") == 4 * len(bench.REPLICA_BATCHES)
    assert "INFO  replicas: compiled against NumPy's rate at 64 networks" in out
    assert "SKIP  replicas: compiled >= 1x the rate of a plain jit(vmap) + scan peer at 64 networks" in out


def test_a_tiny_rules_run_times_each_rule_on_both_engines(bench, capsys, monkeypatch):
    pytest.importorskip("jax")
    from l1reg.core.update_rules import Plain, Proximal, SubGradient

    monkeypatch.setattr(bench, "rule_kinds", lambda: {"Plain": Plain(), "SubGradient": SubGradient(0.001),
                                                      "Proximal": Proximal(0.001)})
    code = bench.main(["--sections", "rules", "--repeats", "1", "--warmup", "0", "--rules-epochs", "1"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    for name in ("Plain", "SubGradient", "Proximal"):
        for suffix in (bench.RULE_NUMPY, bench.RULE_COMPILED):
            assert any(line.startswith(bench.RULES_SECTION) and name + suffix in line for line in lines)
        assert any(line.startswith(("PASS", "FAIL")) and f"rules: {name} compiled" in line
                   and "of the peer's gain)" in line for line in lines)
    assert any(line.startswith(bench.RULES_SECTION) and bench.RULE_PEER in line for line in lines)
    assert any(line.startswith("INFO  rules: the peer's gain over NumPy's rate") for line in lines)


def test_each_rule_is_judged_against_the_peer_gain_in_the_same_run(bench):
    us = 1e-6 * 64_000

    def row(variant, time):
        return bench.Row(bench.RULES_SECTION, variant, 64_000, [time * us])

    rows = [row("SubGradient" + bench.RULE_NUMPY, 10.0), row("SubGradient" + bench.RULE_COMPILED, 2.0),
            row(bench.RULE_PEER, 2.0), row("Proximal" + bench.RULE_NUMPY, 12.0),
            row("Proximal" + bench.RULE_COMPILED, 3.1)]  # gains 5.0 (the peer's), 5.0 and 3.9
    results = bench.check_targets(rows)
    assert _status(results, "the peer's gain over NumPy's rate")[2] == "5.0x"
    assert _status(results, "rules: SubGradient compiled")[:3:2] == ("PASS", "5.0x (100% of the peer's gain)")
    assert _status(results, "rules: Proximal compiled")[:3:2] == ("FAIL", "3.9x (77% of the peer's gain)")
    rows = [r for r in rows if r.variant != bench.RULE_PEER]  # no yardstick: no verdict
    assert _status(bench.check_targets(rows), "rules: Proximal compiled")[0] == "SKIP"


def test_every_rule_kind_is_in_the_rules_section(bench):
    from l1reg.core import update_rules
    from l1reg.regularize import constraints, pruning

    kinds = {type(rule) for rule in bench.rule_kinds().values()}
    library = {cls for module in (update_rules, constraints, pruning) for cls in vars(module).values()
               if isinstance(cls, type) and issubclass(cls, update_rules.UpdateRule)
               and cls.__module__ == module.__name__ and not cls.__name__.startswith("_")
               and cls is not update_rules.UpdateRule}
    assert kinds == library


@pytest.mark.parametrize("batch_size", [1, 32])
def test_the_frozen_and_inlined_steps_end_where_fit_ends_bit_for_bit(batch_size):
    """The bench compares fit's step with the frozen and inlined ones: they must compute the same thing."""
    sys.path.insert(0, str(BENCH_PATH.parent))
    try:
        import frozen_step
    finally:
        sys.path.remove(str(BENCH_PATH.parent))
    from l1reg import L1, Network, fit, make_demo_data

    data = make_demo_data(n_train=50, n_test=1)
    ours, frozen = Network(10, 8, 4, seed=3, weight_penalty=L1(0.001)), Network(10, 8, 4, seed=3)
    fit(ours, data.x_train, data.t_train, epochs=3, lr=0.01, seed=4, batch_size=batch_size)
    frozen_step.train(frozen, data.x_train, data.t_train, epochs=3, lr=0.01, seed=4, lam=0.001,
                      batch_size=batch_size)
    np.testing.assert_array_equal(ours.flat, frozen.flat)
    inlined = Network(10, 8, 4, seed=3)
    frozen_step.train_inlined(inlined, data.x_train, data.t_train, epochs=3, lr=0.01, seed=4, lam=0.001,
                              batch_size=batch_size)
    np.testing.assert_array_equal(ours.flat, inlined.flat)


def test_the_speed_appendix_quotes_the_bench_targets(bench):
    """The appendix states two of the bench's targets in words; they must be the bench's."""
    import json

    notebook = json.loads((BENCH_PATH.parents[1] / "chapters" / "appendix-speed.ipynb").read_text())
    prose = " ".join(" ".join("".join(c["source"]).split()) for c in notebook["cells"]
                     if c["cell_type"] == "markdown")
    assert f"at most {bench.LAYERS_RATIO:g} times as long" in prose
    assert bench.REPLICAS_PEER_RATIO == 1.0 and "at least as fast as a plain" in prose
    assert f"{bench.RULES_PEER_SHARE * 100:.0f} % of the peer's gain" in prose


@pytest.mark.parametrize("history", [False, True])
def test_the_peer_takes_fits_sub_gradient_step(bench, history):
    """The peer is the yardstick of the compiled engine and of every rule: it must train
    exactly what fit trains with SubGradient, from the same networks and visiting orders."""
    pytest.importorskip("jax")
    from l1reg import Network, fit, one_hot
    from l1reg.core.update_rules import SubGradient

    count, n, lam, lr, epochs = 3, 12, 0.01, 0.1, 3
    rng = np.random.default_rng(5)
    x = rng.uniform(-1.0, 1.0, (count, n, 10))
    t = one_hot(rng.integers(0, 4, count * n), 4).reshape(count, n, 4)
    nets = [Network(10, 8, 4, seed=i) for i in range(count)]
    result = bench.peer_run(bench.peer_epoch(lam, lr, history=history), nets, x, t, epochs, 1,
                            history=history)()
    p, scores = result if history else (result, None)
    histories = fit(nets, x, t, epochs=epochs, lr=lr, seed=list(range(count)), rule=SubGradient(lam),
                    engine="numpy")
    for name, block in zip(bench.PEER_BLOCKS, p, strict=True):
        ours = np.stack([net.params[name] for net in nets])
        np.testing.assert_allclose(np.asarray(block).reshape(ours.shape), ours, rtol=0, atol=1e-12)
    if history:
        assert len(scores) == epochs
        for epoch, (errors, accuracies) in enumerate(scores):
            np.testing.assert_allclose(errors, [h.train_error[epoch] for h in histories], rtol=0, atol=1e-12)
            np.testing.assert_array_equal(accuracies, [h.train_accuracy[epoch] for h in histories])
