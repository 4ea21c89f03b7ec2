"""Regularizers other than L1's update rules: dropout, jitter, max-norm, pruning, early stopping."""
