"""l1reg: L1 regularization of a small neural network, from scratch in NumPy."""

from l1reg.core.losses import cross_entropy, softmax, squared_error
from l1reg.core.network import Network
from l1reg.core.penalties import L1, L1L2, L2, Penalty, soft_threshold
from l1reg.core.training import History, fit, sgd_step
from l1reg.studies.data import DemoData, label_items, make_demo_data, make_generator, make_inputs, one_hot
from l1reg.studies.recipe import Tuned, tune

__all__ = [
    "L1",
    "L2",
    "L1L2",
    "DemoData",
    "History",
    "Network",
    "Penalty",
    "cross_entropy",
    "fit",
    "label_items",
    "make_demo_data",
    "make_generator",
    "make_inputs",
    "one_hot",
    "sgd_step",
    "soft_threshold",
    "softmax",
    "squared_error",
    "tune",
    "Tuned",
]
