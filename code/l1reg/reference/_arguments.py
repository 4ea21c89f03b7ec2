"""The argument rules the reference modules share: items for a network.

Whether ``x`` and ``t`` fit the network is a question about two arguments, so their
tables say where it is asked (``net.check_inputs``, ``net.check_targets``). A network
argument's rule is :data:`l1reg.core.network.NETWORK`.
"""

from __future__ import annotations

import numpy as np

from l1reg.core._validation import Anything

INPUTS = Anything("as many columns as net has inputs: checked by net.check_inputs",
                  example=lambda: np.zeros((2, 3)))
TARGETS = Anything("one-hot, one row per item of x: checked by net.check_targets",
                   example=lambda: np.eye(2))
