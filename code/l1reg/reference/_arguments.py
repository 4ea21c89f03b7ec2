"""The argument rules the reference modules share: a network, and items for it.

Whether ``x`` and ``t`` fit the network is a question about two arguments, so their
tables say where it is asked (``net.check_inputs``, ``net.check_targets``).
"""

from __future__ import annotations

import numpy as np

from l1reg.core._validation import Anything, Instance
from l1reg.core.network import Network

NETWORK = Instance(Network, "an l1reg.Network", example=lambda: Network(3, 4, 2, seed=0))
INPUTS = Anything("as many columns as net has inputs: checked by net.check_inputs",
                  example=lambda: np.zeros((2, 3)))
TARGETS = Anything("one-hot, one row per item of x: checked by net.check_targets",
                   example=lambda: np.eye(2))
