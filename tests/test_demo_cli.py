"""The console demo: ``python -m l1reg demo --epochs N``."""

import re
import subprocess
import sys

import pytest

from l1reg.__main__ import main
from l1reg.studies.demo import LAM, run_demo

ACCURACY_LINE = re.compile(r"^  (without L1|with L1)\s+(\d{1,3}\.\d\d) %\s+(\d{1,3}\.\d\d) %$")


def _run_cli(*args: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "l1reg", *args],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
    )


@pytest.fixture(scope="module")
def five_epochs(tmp_path_factory):
    return _run_cli("demo", "--epochs", "5", tmp_path=tmp_path_factory.mktemp("cli"))


def test_demo_exits_cleanly_and_quietly(five_epochs):
    assert five_epochs.returncode == 0, five_epochs.stderr
    assert five_epochs.stderr == ""


def test_demo_prints_both_runs(five_epochs):
    out = five_epochs.stdout
    assert "Training without L1\n" in out
    assert f"Training with L1 (lam = {LAM})\n" in out
    assert "200 training and 40 test items" in out
    assert "Training: 5 epochs" in out
    epoch_lines = [line for line in out.splitlines() if re.match(r"^  epoch +\d+  error = \d\.\d{4}$", line)]
    assert [int(line.split()[1]) for line in epoch_lines] == [1, 2, 3, 4, 5] * 2


def test_demo_prints_the_accuracies_of_the_two_runs(five_epochs):
    found = {}
    for line in five_epochs.stdout.splitlines():
        m = ACCURACY_LINE.match(line)
        if m:
            found[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    assert set(found) == {"without L1", "with L1"}
    for label, lam in (("without L1", 0.0), ("with L1", LAM)):
        run = run_demo(lam, epochs=5)
        train_pct, test_pct = found[label]
        assert 0.0 <= train_pct <= 100.0
        assert 0.0 <= test_pct <= 100.0
        assert train_pct == pytest.approx(100 * run.train_accuracy, abs=0.005)
        assert test_pct == pytest.approx(100 * run.test_accuracy, abs=0.005)


@pytest.mark.parametrize("epochs", ["0", "-3"])
def test_demo_refuses_non_positive_epochs(epochs, tmp_path):
    result = _run_cli("demo", f"--epochs={epochs}", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "--epochs: must be a positive int" in result.stderr
    assert "Training" not in result.stdout


def test_a_command_is_required(tmp_path):
    result = _run_cli(tmp_path=tmp_path)
    assert result.returncode != 0
    assert "demo" in result.stderr


def test_main_in_process_refuses_zero_epochs(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["demo", "--epochs", "0"])
    assert excinfo.value.code == 2
    assert "--epochs: must be a positive int" in capsys.readouterr().err


def test_short_runs_print_only_real_epochs(capsys):
    main(["demo", "--epochs", "3"])
    out = capsys.readouterr().out
    epochs = [int(m.group(1)) for m in re.finditer(r"^  epoch +(\d+)  error", out, flags=re.MULTILINE)]
    assert epochs == [1, 2, 3] * 2


@pytest.mark.parametrize("epochs", ["ten", "2.5", ""])
def test_demo_turns_a_non_number_into_a_usage_error(epochs, tmp_path):
    result = _run_cli("demo", f"--epochs={epochs}", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "usage:" in result.stderr and "expected a positive whole number" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_stops_quietly_when_the_reader_closes_the_pipe(tmp_path):
    with subprocess.Popen(
        [sys.executable, "-m", "l1reg", "demo", "--epochs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    ) as process:
        process.stdout.close()  # as `| head -0` does: every write the demo makes then fails
        stderr = process.stderr.read()
        assert process.wait(timeout=120) == 141
    assert stderr == b""
