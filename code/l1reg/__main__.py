"""Command line: ``python -m l1reg demo [--epochs N]`` prints the article-style demo."""

import argparse
import os
import sys

from l1reg.core._validation import Instance, ListOf, Optional, validate_params
from l1reg.studies.demo import EPOCHS, print_demo


def _positive_int(text: str) -> int:
    """Parse a positive whole number, for argparse (its error becomes a usage error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive int, got {value}")
    return value


# Any string is a word; argparse turns a bad one into a usage error.
@validate_params(argv=Optional(ListOf(Instance(str, "a string"), what="a list of command-line words",
                                      allow_empty=True)))
def main(argv: list[str] | None = None) -> None:
    """Run the command ``argv`` names (default: the command line's); a bad option is a usage error."""
    parser = argparse.ArgumentParser(prog="python -m l1reg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train the demo network without and with L1")
    demo.add_argument(
        "--epochs", type=_positive_int, default=EPOCHS, help=f"epochs per run (default {EPOCHS})"
    )
    args = parser.parse_args(argv)
    try:
        print_demo(epochs=args.epochs)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader closed the pipe (``| head``): stop quietly, as Unix tools do. Point
        # stdout at /dev/null so Python's own flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)  # 128 + SIGPIPE, what a shell reports for a tool stopped by the pipe


if __name__ == "__main__":
    main()
