"""What the notebooks share: the figures (plots), glue helpers and timing.

``book.setup_chapter()`` and ``book.glue_numbers(...)`` are the notebooks' helpers
(:mod:`l1reg.book.glue`); :mod:`l1reg.book.plots` holds the figures.
"""

from l1reg.book.glue import GLUE_DIGITS, glue_numbers, glue_value, setup_chapter

__all__ = ["GLUE_DIGITS", "glue_numbers", "glue_value", "setup_chapter"]
