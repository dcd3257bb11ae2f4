"""The `georeset` command line.

Each concern registers its own subcommands through an `add_parser(subparsers)` function in its own module, so this
file stays a short table of contents and imports heavy libraries only for the command that runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from georeset.errors import GeoresetError

# command -> module. A module provides `add_parser(subparsers) -> None`; each parser sets `func=callable(args)`.
# Only the module of the command being run is imported: some concerns import torch and transformers, which would
# make `georeset gazetteer lookup` wait seconds for nothing. The help texts live in the modules alone.
SUBCOMMANDS: dict[str, str] = {
    "hub": "georeset.hub.cli",
    "gazetteer": "data_builders.gazetteer.cli",
    "geotext": "data_builders.geotext.cli",
    "imagery": "data_builders.imagery.cli",
    "geoparse": "modeling.geoparsing.cli",
    "eval": "eval.cli",
    "demo": "georeset.demo",
    "app": "georeset.app_support.cli",
    "card": "model_cards.cli",
}


def _requested_command(argv: list[str] | None) -> str | None:
    """The subcommand named on the command line (the first argument that is not an option), if known."""
    args = sys.argv[1:] if argv is None else argv
    first = next((arg for arg in args if not arg.startswith("-")), None)
    return first if first in SUBCOMMANDS else None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser: the full definition of the command being run, a bare entry for the others.

    Without a known command in `argv` (e.g. `georeset --help`), every command module is imported.
    """
    parser = argparse.ArgumentParser(
        prog="georeset", description="Link text about places to Earth observation."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = _requested_command(argv)
    for command, module_name in SUBCOMMANDS.items():
        if wanted is not None and command != wanted:
            subparsers.add_parser(command)  # never run, never listed: `georeset --help` imports every module
            continue
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `georeset` console script."""
    parser = build_parser(argv)
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
