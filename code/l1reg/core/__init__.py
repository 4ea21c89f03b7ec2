"""The model's maths, written once for any array namespace: what every engine runs.

:mod:`l1reg.core.model` holds the network as pure functions of its parameters (forward
and backward, layer by layer, and the losses), :mod:`l1reg.core.step` the one training
step, and :mod:`l1reg.core.numpy_namespace` NumPy as the NumPy engine passes it.
"""
