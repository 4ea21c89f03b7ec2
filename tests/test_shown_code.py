"""The code the book shows is the code that trains.

Chapter 04 builds the demo's training step on the page from the library's own functions:
it lists the forward pass, the L1 term, the step and the loop over items and epochs, each
with a ``{literalinclude}`` directive and its ``:pyobject:`` option, and calls the output
signal and the backward passes, which chapter 03 derives and lists the same way. Both
chapters say that ``l1reg.fit`` runs what they show. These tests read each chapter's
directives, resolve them to the functions they show, and record with ``sys.setprofile``
which functions ``fit`` calls while it trains a small network: every function shown must
be among them, on the NumPy engine and, traced by JAX, on the compiled one.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import l1reg.reference.loops
from l1reg import L1, Network, fit, make_demo_data
from l1reg.core import model
from l1reg.core.training import numpy_engine

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
#: A MyST literalinclude directive of a library file, with its options (``:name: value``).
DIRECTIVE = re.compile(
    r"^```\{literalinclude\}[ \t]+\.\./(?P<path>code/l1reg/\S+\.py)[ \t]*\n(?P<options>(?:[ \t]*:.*\n)*)",
    re.M,
)
OPTION = re.compile(r"^[ \t]*:(?P<name>[\w-]+):[ \t]*(?P<value>.*?)[ \t]*$", re.M)

#: How each chapter trains the network whose code it shows: the demo's squared error with
#: L1 on the weights; chapter 03 also derives and shows the cross-entropy's signal.
TRAINED_WITH = {
    "03-derivative.ipynb": ("squared", "cross_entropy"),
    "04-implementation.ipynb": ("squared",),
}
#: What chapter 04 lists itself: the forward pass, the L1 term, the step and the loop.
CHAPTER_04_LISTS = {
    "hidden_forward", "output_forward", "softmax", "data_gradient", "L1.grad", "sgd_step",
    "numpy_engine",
}
#: The whole training step the book builds: what chapter 04 lists, and the output signal
#: and backward passes that it calls and chapter 03 lists.
THE_STEP = CHAPTER_04_LISTS | {"squared_error_signal", "output_backward", "hidden_backward"}
#: The NumPy engine's own loop: the compiled engine loops with ``lax.scan`` instead.
NUMPY_LOOP = {"numpy_engine"}


def shown_in(markdown: str) -> list[tuple[str, str]]:
    """``(file, object)`` for every library object a markdown text shows with ``:pyobject:``.

    ``file`` is the path from the repository's root, e.g. ``code/l1reg/core/model.py``.
    """
    shown = []
    for match in DIRECTIVE.finditer(markdown):
        options = {m["name"]: m["value"] for m in OPTION.finditer(match["options"])}
        if "pyobject" in options:
            shown.append((match["path"], options["pyobject"]))
    return shown


def shown_by(chapter: str) -> list[tuple[str, str]]:
    """What a chapter's markdown cells show from the library, in order."""
    cells = json.loads((CHAPTERS / chapter).read_text())["cells"]
    return [item for cell in cells if cell["cell_type"] == "markdown"
            for item in shown_in("".join(cell["source"]))]


def code_of(path: str, dotted: str):
    """The code object of ``dotted`` (``sgd_step``, ``L1.grad``) as the file ``path`` defines it.

    Raises AttributeError if the module has no such object, and AssertionError if the
    object is not defined in that file (a name the module only imports from elsewhere:
    ``literalinclude`` would not find it there).
    """
    module = path.removeprefix("code/").removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    obj = importlib.import_module(module)
    for part in dotted.split("."):
        obj = getattr(obj, part)
    code = inspect.unwrap(obj).__code__  # a declared function's body, not its table's check
    assert Path(code.co_filename).resolve() == (ROOT / path).resolve(), (
        f"{dotted} is defined in {code.co_filename}, not in {path}")
    return code


def called_by_fit(engine: str, loss: str) -> set:
    """The code objects of every Python function that one epoch of ``fit`` calls.

    A 10-8-4 network with L1 on its weights and the given loss, trained on 20 demo items
    with no history and no test data, so that no scoring calls the forward pass: what is
    recorded is what the training step calls. On the compiled engine the calls are those
    of JAX's tracing, which runs the same Python functions with ``jax.numpy``; the
    engine's own cache of compiled functions is emptied for the call, so that tracing
    happens here (and the compiled functions other tests made are kept).
    """
    saved = None
    if engine == "compiled":
        pytest.importorskip("jax")
        from l1reg.core import compiled

        saved, compiled._CACHE = compiled._CACHE, {}
    data = make_demo_data(n_train=20, n_test=1)
    net = Network(10, 8, 4, seed=0, weight_penalty=L1(0.001), loss=loss)
    called = set()

    def record(frame, event, arg):
        if event == "call":
            called.add(frame.f_code)

    previous = sys.getprofile()
    sys.setprofile(record)
    try:
        fit(net, data.x_train, data.t_train, epochs=1, lr=0.01, seed=1, record_history=False,
            engine=engine)
    finally:
        sys.setprofile(previous)
        if saved is not None:
            compiled._CACHE = saved
    return called


@pytest.fixture(scope="module")
def numpy_calls() -> dict[str, set]:
    """What ``fit`` calls on the NumPy engine, for each loss the chapters train with."""
    return {loss: called_by_fit("numpy", loss) for loss in ("squared", "cross_entropy")}


@pytest.fixture(scope="module")
def compiled_calls() -> dict[str, set]:
    """What the compiled engine's tracing calls, for each loss the chapters train with."""
    return {loss: called_by_fit("compiled", loss) for loss in ("squared", "cross_entropy")}


def test_the_book_shows_the_whole_training_step():
    listed = {name for _, name in shown_by("04-implementation.ipynb")}
    assert CHAPTER_04_LISTS <= listed, f"chapter 04 no longer lists {sorted(CHAPTER_04_LISTS - listed)}"
    shown = listed | {name for _, name in shown_by("03-derivative.ipynb")}
    assert THE_STEP <= shown, f"the book no longer shows {sorted(THE_STEP - shown)}"


def test_chapter_03_shows_the_signals_and_backward_passes():
    shown = {name for _, name in shown_by("03-derivative.ipynb")}
    assert {"squared_error_signal", "output_backward", "hidden_backward"} <= shown


@pytest.mark.parametrize("chapter", sorted(TRAINED_WITH))
def test_every_function_a_chapter_shows_runs_in_fit(chapter, numpy_calls):
    called = set().union(*(numpy_calls[loss] for loss in TRAINED_WITH[chapter]))
    shown = shown_by(chapter)
    assert shown, f"{chapter} shows no library function"
    not_run = [f"{path}: {name}" for path, name in shown if code_of(path, name) not in called]
    assert not not_run, f"{chapter} shows code that fit does not run: {not_run}"


@pytest.mark.parametrize("chapter", sorted(TRAINED_WITH))
def test_the_compiled_engine_traces_the_same_functions(chapter, compiled_calls):
    called = set().union(*(compiled_calls[loss] for loss in TRAINED_WITH[chapter]))
    shown = [(path, name) for path, name in shown_by(chapter) if name not in NUMPY_LOOP]
    not_run = [f"{path}: {name}" for path, name in shown if code_of(path, name) not in called]
    assert not not_run, f"{chapter} shows code that the compiled engine does not run: {not_run}"


def test_the_record_tells_what_fit_does_not_run(numpy_calls, compiled_calls):
    for calls in (numpy_calls, compiled_calls):
        squared = calls["squared"]
        # the article-style loop is a separate reference, never called by fit
        assert l1reg.reference.loops._step.__code__ not in squared
        assert inspect.unwrap(l1reg.reference.loops.sgd_step).__code__ not in squared
        # with squared error, neither the cross-entropy's signal nor the diagonal shortcut runs
        assert model.cross_entropy_signal.__code__ not in squared
        assert model.squared_error_diagonal_signal.__code__ not in squared
        assert model.cross_entropy_signal.__code__ in calls["cross_entropy"]
    # the compiled engine loops with lax.scan, not with the NumPy engine's loop
    loop = inspect.unwrap(numpy_engine).__code__
    assert loop in numpy_calls["squared"] and loop not in compiled_calls["squared"]


def test_a_directive_is_read_with_its_options():
    text = (
        "Here is the step:\n\n"
        "```{literalinclude} ../code/l1reg/core/step.py\n:language: python\n:pyobject: sgd_step\n```\n\n"
        "```{literalinclude} ../code/l1reg/core/penalties.py\n:pyobject: L1.grad\n:language: python\n```\n\n"
        "```{literalinclude} ../code/l1reg/core/penalties.py\n:lines: 1-5\n```\n\n"
        "```{literalinclude} ../README.md\n:pyobject: nothing\n```\n"
    )
    assert shown_in(text) == [("code/l1reg/core/step.py", "sgd_step"),
                              ("code/l1reg/core/penalties.py", "L1.grad")]


def test_a_directive_that_names_no_such_object_fails():
    with pytest.raises(AttributeError):
        code_of("code/l1reg/core/model.py", "no_such_function")
    # a name the module only imports from elsewhere is not defined in that file
    with pytest.raises(AssertionError, match="not in code/l1reg/core/training.py"):
        code_of("code/l1reg/core/training.py", "core_step")


def test_the_shown_step_is_the_step_fit_takes():
    """Two epochs of per-item steps by the shown functions, by hand, equal two epochs of fit."""
    data = make_demo_data(n_train=5, n_test=1)
    net = Network(10, 8, 4, seed=0, weight_penalty=L1(0.001))
    p = model.from_flat(net.flat.copy(), net.shapes)
    x, t = data.x_train, data.t_train
    order = np.random.default_rng(7)  # one generator for all epochs, as fit draws from seed=7
    for _ in range(2):
        for i in order.permutation(len(x)):
            xi, ti = x[i:i + 1], t[i:i + 1]
            h = model.hidden_forward(np, p, xi)
            o = model.output_forward(np, p, h)
            grads, h_grad = model.output_backward(np, p, h, model.squared_error_signal(np, o, ti))
            grads |= model.hidden_backward(np, p, xi, h, h_grad)
            for name in model.WEIGHT_NAMES:
                grads[name] = grads[name] + L1.grad(np, {"lam": 0.001}, p[name])
            p = {name: w - 0.01 * grads[name] for name, w in p.items()}
    fit(net, x, t, epochs=2, lr=0.01, seed=7, record_history=False)
    assert np.array_equal(model.to_flat(np, p), net.flat)
