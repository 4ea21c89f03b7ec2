"""Reference implementations to check the core against: loops, autodiff, gradient checks, Keras."""
