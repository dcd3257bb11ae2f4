"""The `georeset` command line.

Each concern registers its own subcommands through an `add_parser(subparsers)` function in its own module, so this
file stays a short table of contents and imports heavy libraries only for the command that runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from georeset.errors import GeoresetError

# (module, description). A module provides `add_parser(subparsers) -> None`; each parser sets `func=callable(args)`.
SUBCOMMAND_MODULES: list[str] = [
    "georeset.hub.cli",
    "data_builders.gazetteer.cli",
    "modeling.geoparsing.cli",
    "eval.cli",
    "georeset.demo",
]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every subcommand that is installed."""
    parser = argparse.ArgumentParser(
        prog="georeset", description="Link text about places to Earth observation."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            # A concern not built yet (or its optional dependency missing) hides its command, nothing more.
            if err.name and (module_name.startswith(err.name) or err.name == module_name):
                continue
            raise
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `georeset` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        result = args.func(args)
    except GeoresetError as err:
        print(f"georeset: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("georeset: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
