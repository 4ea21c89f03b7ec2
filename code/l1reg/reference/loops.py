"""The training step written with explicit loops, one Python loop per sum.

McCaffrey's demo (Visual Studio Magazine, December 2017) is coded from scratch in Python
with NumPy. This module writes a training step in the same style, with code of its own
rather than the article's: one Python loop per sum, over the hidden nodes and, inside,
over the inputs for each hidden sum; over the weights for each gradient; and, in the
update, over every weight once more, adding the L1 term ``lam * sign(w)`` to that
weight's gradient. It serves for teaching and as a reference: it computes the same
update as the vectorized :func:`l1reg.sgd_step` (squared error or cross-entropy; L1 or
no penalty), one number at a time. The tests check that both give the same parameters to
1e-12 after hundreds of steps; the benchmark (``make bench``) measures what the loops
cost.

One choice to note: the squared error's output signal goes through the full softmax
Jacobian, as everywhere in ``l1reg``; some from-scratch code keeps only its diagonal,
``(o_k - t_k) o_k (1 - o_k)``, which is not the gradient (see the derivative chapter).
"""

from __future__ import annotations

import math

import numpy as np

from l1reg.core._validation import Anything, Int, Real, Seed, validate_params
from l1reg.core.losses import LOSSES
from l1reg.core.network import NETWORK, Network
from l1reg.core.penalties import L1
from l1reg.reference._arguments import INPUTS, TARGETS

_LR = Real(0.0, strict=True)


@validate_params(
    net=NETWORK,
    x=Anything("one item as wide as net's input: checked by net.check_inputs", example=lambda: np.zeros(3)),
    t=Anything("its one-hot target: checked by net.check_targets", example=lambda: np.eye(2)[0]),
    lr=_LR,
)
def sgd_step(net: Network, x, t, lr: float) -> None:
    """One update ``w <- w - lr * (dE/dw + lam * sign(w))`` on one item, loop by loop.

    Parameters
    ----------
    net : Network
        Trained in place; float64, with an L1 penalty or none on weights and biases.
    x, t : array-like
        One item: ``n_input`` inputs and its one-hot target of ``n_output`` values
        (a 1-D vector or a one-row matrix).
    lr : float
        Learning rate (eta), > 0.
    """
    _check_net(net)
    x = net.check_inputs(np.reshape(x, (1, -1)) if np.ndim(x) == 1 else x)
    if len(x) != 1:
        raise ValueError(f"x must be one item (1 x {net.n_input}), got shape {x.shape}")
    t = net.check_targets(np.reshape(t, (1, -1)) if np.ndim(t) == 1 else t, 1)
    _step(net, x[0], t[0], lr)


@validate_params(net=NETWORK, x_train=INPUTS, t_train=TARGETS, epochs=Int(), lr=_LR, seed=Seed())
def train(net: Network, x_train, t_train, *, epochs: int, lr: float, seed) -> None:
    """Per-item SGD with :func:`sgd_step`, in the same visiting order as :func:`l1reg.fit`.

    Each epoch draws a fresh permutation of the items from ``seed``, as
    ``l1reg.fit(..., batch_size=1)`` does, so the two train on the same items in
    the same order. No history is recorded: this is the slow reference.
    """
    _check_net(net)
    x = net.check_inputs(x_train, "x_train")
    t = net.check_targets(t_train, len(x), "t_train")
    rng = seed  # a numpy.random.Generator: the table turns an int seed into one
    for _ in range(epochs):
        for i in rng.permutation(len(x)):
            _step(net, x[i], t[i], lr)


def _step(net: Network, x: np.ndarray, t: np.ndarray, lr: float) -> None:
    """The step itself: x and t are one checked item.

    Long on purpose: one Python loop per sum, in six numbered parts that follow the
    derivative chapter's equations; splitting it would hide the correspondence.
    """
    n_in, n_hid, n_out = net.n_input, net.n_hidden, net.n_output
    ih_weights = net.params["ih_weights"]
    ho_weights = net.params["ho_weights"]
    h_biases, o_biases = net.params["h_biases"], net.params["o_biases"]

    # 1. forward: hidden sums, tanh, output sums, softmax
    h_sums = np.zeros(n_hid)
    h = np.zeros(n_hid)
    for j in range(n_hid):
        for i in range(n_in):
            h_sums[j] += x[i] * ih_weights[i, j]
        h_sums[j] += h_biases[j]
        h[j] = math.tanh(h_sums[j])
    z = np.zeros(n_out)
    for k in range(n_out):
        for j in range(n_hid):
            z[k] += h[j] * ho_weights[j, k]
        z[k] += o_biases[k]
    z_max = max(z)  # subtracted before exp so that exp cannot overflow
    o = np.zeros(n_out)
    e_sum = 0.0
    for k in range(n_out):
        o[k] = math.exp(z[k] - z_max)
        e_sum += o[k]
    for k in range(n_out):
        o[k] /= e_sum

    # 2. output signals dE/dz_k
    o_signals = np.zeros(n_out)
    if net.loss.name == "squared":
        # dE/dz_k = o_k ((o_k - t_k) - sum_j (o_j - t_j) o_j): exact softmax
        # derivative, not the diagonal shortcut (o_k - t_k) o_k (1 - o_k)
        s = 0.0
        for j in range(n_out):
            s += (o[j] - t[j]) * o[j]
        for k in range(n_out):
            o_signals[k] = o[k] * ((o[k] - t[k]) - s)
    else:
        for k in range(n_out):
            o_signals[k] = o[k] - t[k]

    # 3. hidden-to-output weight gradients and output bias gradients
    ho_grads = np.zeros((n_hid, n_out))
    for j in range(n_hid):
        for k in range(n_out):
            ho_grads[j, k] = h[j] * o_signals[k]
    ob_grads = np.zeros(n_out)
    for k in range(n_out):
        ob_grads[k] = o_signals[k]

    # 4. hidden signals: back through ho_weights and tanh' = 1 - h^2
    h_signals = np.zeros(n_hid)
    for j in range(n_hid):
        s = 0.0
        for k in range(n_out):
            s += o_signals[k] * ho_weights[j, k]
        h_signals[j] = s * (1.0 - h[j] * h[j])

    # 5. input-to-hidden weight gradients and hidden bias gradients
    ih_grads = np.zeros((n_in, n_hid))
    for i in range(n_in):
        for j in range(n_hid):
            ih_grads[i, j] = x[i] * h_signals[j]
    hb_grads = np.zeros(n_hid)
    for j in range(n_hid):
        hb_grads[j] = h_signals[j]

    # 6. update every weight, adding the L1 term lam * sign(w) to its gradient
    lam_w = _lam(net.weight_penalty)
    lam_b = _lam(net.bias_penalty)
    for i in range(n_in):
        for j in range(n_hid):
            grad = ih_grads[i, j] + lam_w * _sign(ih_weights[i, j])
            ih_weights[i, j] -= lr * grad
    for j in range(n_hid):
        for k in range(n_out):
            grad = ho_grads[j, k] + lam_w * _sign(ho_weights[j, k])
            ho_weights[j, k] -= lr * grad
    for j in range(n_hid):
        h_biases[j] -= lr * (hb_grads[j] + lam_b * _sign(h_biases[j]))
    for k in range(n_out):
        o_biases[k] -= lr * (ob_grads[k] + lam_b * _sign(o_biases[k]))


def _sign(w: float) -> float:
    """+1, -1, or 0 for a weight that is exactly 0 (the sub-gradient of |w| we use)."""
    if w > 0.0:
        return 1.0
    if w < 0.0:
        return -1.0
    return 0.0


def _lam(penalty) -> float:
    return 0.0 if penalty is None else penalty.lam


def _check_net(net: Network) -> None:
    """What the loops implement: float64, squared error or cross-entropy, L1 or no penalty."""
    for name in ("weight_penalty", "bias_penalty"):
        penalty = getattr(net, name)
        if penalty is not None and type(penalty) is not L1:
            raise ValueError(f"net.{name} must be L1 or None for the loop version, got {penalty!r}")
    if net.loss not in LOSSES.values():
        raise ValueError(
            f"net.loss must be 'squared' or 'cross_entropy' for the loops, got {net.loss.name!r}"
        )
    if net.dtype != np.float64:
        raise ValueError(f"net.dtype must be float64 for the loop version, got {net.dtype.name}")
