"""pytest set-up for the whole project (``pyproject.toml`` puts ``tests/`` on the path).

nbval compares the notebooks' numbers within each cell's declared tolerance: see
``tests/nbval_tolerance.py``.
"""

pytest_plugins = ["nbval_tolerance"]
