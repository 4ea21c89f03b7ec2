"""Command line: ``python -m l1reg demo [--epochs N]`` prints the article-style demo."""

import argparse

from l1reg.demo import EPOCHS, print_demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m l1reg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train the demo network without and with L1")
    demo.add_argument("--epochs", type=int, default=EPOCHS, help="epochs per run (default 500)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be a positive int")
    print_demo(epochs=args.epochs)


if __name__ == "__main__":
    main()
