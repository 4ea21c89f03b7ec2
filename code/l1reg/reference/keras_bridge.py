"""The book's network in Keras 3 (JAX backend, CPU), and back.

Everything needed to train a Keras model that takes the very same steps as
:func:`l1reg.fit` on an :class:`l1reg.Network`:

* :func:`to_keras` builds the n_input-n_hidden-n_output model (tanh hidden layer,
  softmax output), copies the network's parameters in and turns its penalties into
  Keras regularizers; :func:`keras_params` copies the parameters back out.
* :func:`half_squared_error` is the demo's per-item error as a Keras loss.
* :func:`visiting_order` and :func:`fit_in_order` feed Keras the items in the order
  ``l1reg.fit`` visits them.
* :func:`mse_settings` converts ``lam`` and ``lr`` for Keras's standard ``"mse"`` loss.
* :class:`SoftThreshold` is a Keras weight constraint that makes plain SGD take the
  proximal step of :class:`l1reg.core.update_rules.Proximal`, and so gives exact zeros.
* :class:`ProxAdam` is Adam followed by the soft-threshold in Adam's own metric.
* :func:`l1_share_of_step` measures how far an optimizer's next step moves each weight
  because of the L1 gradient: ``lr * lam`` for plain SGD, rescaled weight by weight by
  Adam or RMSprop.

This module imports Keras, so ``l1reg/__init__.py`` never imports it: the rest of
the library stays NumPy only. Import it as ``from l1reg.reference import keras_bridge``.
"""

from __future__ import annotations

import os

# Keras picks its backend once, at its first import: ask for JAX on the CPU unless the
# user already chose (a Keras imported earlier with another backend is caught below).
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

from typing import NamedTuple  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

from l1reg.core._validation import (  # noqa: E402
    Anything,
    Instance,
    Int,
    Matrix,
    Optional,
    Real,
    Seed,
    validate_params,
)
from l1reg.core.network import NETWORK, PARAM_NAMES, Network  # noqa: E402
from l1reg.core.penalties import L1, L1L2, L2  # noqa: E402

# Keras stores a Dense layer's weights as [kernel, bias], and a Dense kernel is
# (inputs x units), the same layout as l1reg's weight matrices: no transpose needed.
_KERAS_ORDER = ("ih_weights", "h_biases", "ho_weights", "o_biases")


def _example_model() -> keras.Sequential:
    """A compiled twin of a small network: the value the argument tables offer as valid."""
    model = to_keras(Network(3, 4, 2, seed=0))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss=half_squared_error)
    return model


_MODEL = Instance(keras.Model, "a keras.Model", example=_example_model)
#: Items for Keras, which computes in float32: finite values within float32's range.
_ITEMS = Matrix(np.float32)
_STRENGTH = Real(0.0)


class MseSettings(NamedTuple):
    """Keras's ``L1`` strength and SGD learning rate to use with the ``"mse"`` loss."""

    l1: float
    learning_rate: float


def half_squared_error(t, o):
    """The demo's per-item error as a Keras loss: ``E = 1/2 * sum_k (t_k - o_k)^2``.

    Keras averages a loss's per-item values over the batch, as ``l1reg`` does, so a
    batch of one item gives exactly that item's ``E``.
    """
    return 0.5 * keras.ops.sum(keras.ops.square(t - o), axis=-1)


@validate_params(penalty=Optional(Instance((L1, L2, L1L2), "an l1reg.L1, L2 or L1L2 penalty or None",
                                          example=lambda: L1(0.1))))
def keras_regularizer(penalty: L1 | L2 | L1L2 | None) -> keras.regularizers.Regularizer | None:
    """The Keras regularizer with the same formula as an ``l1reg`` penalty.

    ``L1(lam)`` becomes ``keras.regularizers.L1(lam)``, ``L2(lam)`` becomes
    ``L2(lam)`` and ``L1L2(l1, l2)`` becomes ``L1L2(l1, l2)``: the conventions
    are the same (no factor 1/2 on L2). ``None`` stays ``None``.
    """
    if penalty is None:
        return None
    if isinstance(penalty, L1):
        return keras.regularizers.L1(penalty.lam)
    if isinstance(penalty, L2):
        return keras.regularizers.L2(penalty.lam)
    return keras.regularizers.L1L2(l1=penalty.l1, l2=penalty.l2)


@validate_params(net=NETWORK, kernel_constraint=Optional(
    Instance(keras.constraints.Constraint, "a keras.constraints.Constraint or None")))
def to_keras(
    net: Network, *, kernel_constraint: keras.constraints.Constraint | None = None
) -> keras.Sequential:
    """A Keras model computing the same function as ``net``, with its parameters.

    Two ``Dense`` layers, ``tanh`` then ``softmax``; ``net.weight_penalty`` becomes
    both layers' ``kernel_regularizer`` and ``net.bias_penalty`` their
    ``bias_regularizer``; ``kernel_constraint`` (a ``SoftThreshold``, say), if given,
    is applied to both kernels after every optimizer step. The parameters are copied in
    as float32, Keras's default precision. Compile the model before training it.
    """
    if keras.backend.backend() != "jax":
        # The book's equivalences (and d|x|/dx = +1 at 0) are checked on JAX only.
        raise RuntimeError(f"keras_bridge needs the JAX backend; Keras runs on {keras.backend.backend()!r}")
    kernel = keras_regularizer(net.weight_penalty)
    bias = keras_regularizer(net.bias_penalty)
    model = keras.Sequential(
        [
            keras.Input(shape=(net.n_input,)),
            keras.layers.Dense(
                net.n_hidden, activation="tanh", kernel_regularizer=kernel, bias_regularizer=bias,
                kernel_constraint=kernel_constraint,
            ),
            keras.layers.Dense(
                net.n_output, activation="softmax", kernel_regularizer=kernel, bias_regularizer=bias,
                kernel_constraint=kernel_constraint,
            ),
        ]
    )
    model.set_weights([net.params[name].astype(np.float32) for name in _KERAS_ORDER])
    return model


@validate_params(model=_MODEL)
def keras_params(model: keras.Model) -> dict[str, np.ndarray]:
    """A two-Dense-layer Keras model's parameters under ``l1reg``'s names, as float64.

    ``net.set_params(keras_params(model))`` copies them into a ``Network``.
    """
    # Not model.get_weights(): in Keras 3.15.1 it calls np.array on a Variable, which
    # NumPy 2 answers with a DeprecationWarning (no copy keyword); .value is a JAX array.
    arrays = [np.asarray(v.value) for v in model.weights]
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if len(dense) != 2 or len(arrays) != 4:
        raise ValueError(
            "model must have exactly two Dense layers with a kernel and a bias each "
            f"(4 arrays), got {len(dense)} Dense layers and {len(arrays)} arrays"
        )
    params = {name: np.asarray(a, dtype=np.float64) for name, a in zip(_KERAS_ORDER, arrays, strict=True)}
    return {name: params[name] for name in PARAM_NAMES}


@validate_params(n_items=Int(), epochs=Int(), seed=Seed())
def visiting_order(n_items: int, epochs: int, seed: int | np.random.Generator) -> np.ndarray:
    """The item indices ``l1reg.fit`` visits, epoch after epoch, for this seed.

    ``fit`` draws ``rng.permutation(n_items)`` afresh at the start of each epoch;
    this returns those permutations concatenated, ``epochs * n_items`` indices.
    """
    rng = seed  # a numpy.random.Generator: the table turns an int seed into one
    return np.concatenate([rng.permutation(n_items) for _ in range(epochs)])


@validate_params(model=_MODEL, x_train=_ITEMS, t_train=_ITEMS, epochs=Int(), seed=Seed(),
                 batch_size=Int(), x_test=Optional(_ITEMS), t_test=Optional(_ITEMS))
def fit_in_order(
    model: keras.Model,
    x_train,
    t_train,
    *,
    epochs: int,
    seed: int | np.random.Generator,
    batch_size: int = 1,
    x_test=None,
    t_test=None,
) -> keras.callbacks.History:
    """Train a compiled Keras model on the items in ``l1reg.fit``'s order.

    One ``model.fit`` call over the concatenated epochs (:func:`visiting_order`),
    with Keras's own shuffling off and ``steps_per_epoch`` set, so Keras closes an
    epoch (and evaluates ``x_test``, ``t_test``, if given, in one batch) exactly
    where ``fit`` does. Silent (``verbose=0``). Returns Keras's ``History``.
    """
    if getattr(model, "optimizer", None) is None:
        raise ValueError("model must be compiled (model.compile(...)) before fit_in_order")
    x, t = _keras_data(model, x_train, t_train, "x_train", "t_train")
    if (x_test is None) != (t_test is None):
        raise ValueError("x_test and t_test must be given together")
    if len(x) % batch_size:
        # Otherwise a batch of the concatenated epochs would span two of train's epochs.
        raise ValueError(f"batch_size must divide the number of items ({len(x)}), got {batch_size}")
    order = visiting_order(len(x), epochs, seed)
    validation, validation_batch = None, None
    if x_test is not None:
        validation = _keras_data(model, x_test, t_test, "x_test", "t_test")
        validation_batch = len(validation[0])  # all test items in one call: evaluation is not training
    return model.fit(
        x[order], t[order], batch_size=batch_size, epochs=epochs, steps_per_epoch=len(x) // batch_size,
        shuffle=False, validation_data=validation, validation_batch_size=validation_batch, verbose=0,
    )


def _keras_data(model: keras.Model, x, t, x_name: str, t_name: str) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``t`` (float32 matrices), if they have as many rows and fit the model's widths."""
    if len(x) != len(t):
        raise ValueError(f"{x_name} and {t_name} must have the same number of items, "
                         f"got {x.shape} and {t.shape}")
    for arr, name, tensors in ((x, x_name, "inputs"), (t, t_name, "outputs")):
        try:
            width = getattr(model, tensors)[0].shape[-1]
        except (AttributeError, IndexError, TypeError, ValueError):  # a model not built yet: Keras checks
            continue
        if width is not None and arr.shape[1] != width:
            raise ValueError(f"{name} must have {width} columns (the model's {tensors[:-1]} width), "
                             f"got shape {arr.shape}")
    return x, t


@validate_params(lam=_STRENGTH, lr=Real(0.0, strict=True), n_output=Int())
def mse_settings(lam: float, lr: float, n_output: int) -> MseSettings:
    """Keras ``l1`` and learning rate that make ``"mse"`` train like ``l1reg``.

    ``mse = 1/K * sum_k (t_k - o_k)^2 = (2/K) * E`` for ``K = n_output`` outputs, so
    SGD on ``mse + l1 * sum|w|`` with rate ``lr_k`` steps by
    ``lr_k * ((2/K) dE/dw + l1 sign(w))``; equal to ``lr * (dE/dw + lam sign(w))``
    when ``lr_k = lr * K / 2`` and ``l1 = lam * 2 / K``.
    """
    return MseSettings(l1=lam * 2.0 / n_output, learning_rate=lr * n_output / 2.0)


class SoftThreshold(keras.constraints.Constraint):
    """Soft-threshold a weight after every step: ``w <- sign(w) * max(|w| - threshold, 0)``.

    Keras applies a layer's ``kernel_constraint`` to the kernel after each optimizer
    step. With plain SGD at a constant learning rate ``lr``, no L1 regularizer, and
    ``threshold = lr * lam``, each step becomes the proximal step
    ``w <- soft_threshold(w - lr * dE/dw, lr * lam)`` of
    :class:`l1reg.core.update_rules.Proximal` (``lam``): a weight stops at zero instead of
    crossing it, so the weights the data does not need become exactly 0. The constraint
    does not know the learning rate; with a schedule or an adaptive optimizer the
    threshold no longer equals ``lr * lam``.

    Parameters
    ----------
    threshold : float
        How far each step moves a weight toward zero, >= 0 (``lr * lam``).

    Examples
    --------
    >>> import numpy as np
    >>> shrink = SoftThreshold(0.5)
    >>> np.asarray(shrink(np.array([-2.0, -0.25, 0.0, 0.5, 1.5], dtype="float32"))).tolist()
    [-1.5, 0.0, 0.0, 0.0, 1.0]
    >>> shrink.get_config()
    {'threshold': 0.5}
    """

    @validate_params(threshold=_STRENGTH)
    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def __call__(self, w):
        w = keras.ops.convert_to_tensor(w)
        shrunk = keras.ops.abs(w) - keras.ops.cast(self.threshold, w.dtype)
        # where(), not sign * max(): an entry that reaches zero is +0.0, never -0.0.
        return keras.ops.where(shrunk > 0, keras.ops.sign(w) * shrunk, keras.ops.zeros_like(w))

    def get_config(self) -> dict:
        return {"threshold": self.threshold}

    def __repr__(self) -> str:
        return f"SoftThreshold(threshold={self.threshold:g})"


class ProxAdam(keras.optimizers.Adam):
    """Adam on ``E``, then each kernel weight soft-thresholded by its own ``lr * l1 / D``.

    Keras's Adam steps a weight by ``lr * m_hat / D`` at step ``t``, with ``m_hat`` and
    ``s_hat`` the bias-corrected running means of the gradient and of its square and
    ``D = sqrt(s_hat) + epsilon / sqrt(1 - beta_2**t)``: Keras adds ``epsilon`` to the
    square root of the uncorrected mean ``s``, not of ``s_hat``, and the threshold uses
    the same ``D``. After that step, every kernel
    (a variable with two or more dimensions) is soft-thresholded by ``lr * l1 / D``,
    weight by weight: the proximal step of ``l1 * sum|w|`` in Adam's own diagonal
    metric. Where a run settles, a zero weight stays zero exactly while
    ``|dE/dw| <= l1``, as in the L1 problem. Biases take Adam's step only. Compile the
    model without an L1 regularizer: ``l1`` takes its place.

    This reads Adam's second-moment variables through Keras's private
    ``_velocities`` and ``_get_variable_index`` (Keras 3); the tests pin the step.

    Parameters
    ----------
    l1 : float
        The L1 strength ``lam``, >= 0.
    **kwargs
        Passed to ``keras.optimizers.Adam`` (``learning_rate``, ``epsilon``, ...).
    """

    @validate_params(l1=_STRENGTH, kwargs=Anything("passed to keras.optimizers.Adam, which checks them"))
    def __init__(self, l1: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.l1 = l1

    def update_step(self, gradient, variable, learning_rate):
        super().update_step(gradient, variable, learning_rate)  # Adam's own step
        if len(variable.shape) < 2:  # biases: Adam's step only
            return
        index = self._get_variable_index(variable)
        # The running mean of g^2 that Adam's step just used (its maximum with amsgrad).
        s = (self._velocity_hats if self.amsgrad else self._velocities)[index]
        lr = keras.ops.cast(learning_rate, variable.dtype)
        step = keras.ops.cast(self.iterations + 1, variable.dtype)
        correction = keras.ops.sqrt(1 - keras.ops.power(keras.ops.cast(self.beta_2, variable.dtype), step))
        threshold = lr * correction * self.l1 / (keras.ops.sqrt(s) + self.epsilon)
        shrunk = keras.ops.abs(variable) - threshold
        self.assign(variable, keras.ops.where(
            shrunk > 0, keras.ops.sign(variable) * shrunk, keras.ops.zeros_like(shrunk)))

    def get_config(self) -> dict:
        return {**super().get_config(), "l1": self.l1}


@validate_params(model=_MODEL, x=_ITEMS, t=_ITEMS, lam=_STRENGTH)
def l1_share_of_step(model: keras.Model, x, t, lam: float) -> np.ndarray:
    """How far an L1 gradient ``lam * sign(w)`` moves each weight in the optimizer's next step.

    The compiled model's optimizer takes its next step on the items ``x``, ``t`` twice,
    from the same state (weights and optimizer variables, both left unchanged): once on
    the data gradient ``dE/dw`` alone (the model's loss, averaged over the items; the
    model's own regularizers are left out) and once on ``dE/dw + lam * sign(w)`` for the
    kernels. Returns the difference of the two steps for the weights, flat and as
    float64, in ``l1reg``'s order (``W_ih``, then ``W_ho``, as ``Network.weights()``).
    For plain SGD at rate ``lr`` it is ``-lr * lam * sign(w)`` for every weight; an
    adaptive optimizer rescales it weight by weight.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError("model must be compiled (model.compile(...)) before l1_share_of_step")
    keras_params(model)  # checks the architecture: two Dense layers
    if keras.backend.backend() != "jax":
        raise RuntimeError("l1_share_of_step needs the JAX backend; "
                           f"Keras runs on {keras.backend.backend()!r}")
    x, t = _keras_data(model, x, t, "x", "t")
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    import jax  # the backend is JAX (to_keras checks): differentiate with it directly

    loss = keras.losses.get(model.loss)
    weights = [v.value for v in model.trainable_variables]
    fixed = [v.value for v in model.non_trainable_variables]
    state = [v.value for v in optimizer.variables]

    def data_error(params):
        o, _ = model.stateless_call(params, fixed, x)
        return keras.ops.mean(loss(t, o))

    @jax.jit  # one compiled computation: much faster than JAX's op-by-op dispatch here
    def both_steps(weights, state):
        grads = jax.grad(data_error)(weights)
        with_l1 = [g + lam * keras.ops.sign(w) if w.ndim == 2 else g
                   for g, w in zip(grads, weights, strict=True)]
        after_with, _ = optimizer.stateless_apply(state, with_l1, weights)
        after_without, _ = optimizer.stateless_apply(state, grads, weights)
        return after_with, after_without

    after_with, after_without = both_steps(weights, state)
    shares = [np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
              for a, b, w in zip(after_with, after_without, weights, strict=True) if w.ndim == 2]
    return np.concatenate([share.ravel() for share in shares])
