"""Studies built on the core: the demo and its data, paths over lam, comparisons, statistics."""
