"""`georeset geotext build | distant`: geotext datasets and resolver training examples.

georeset geotext build --source factbook [--source wikipedia:DUMP ...] --out DIR [--gazetteer DIR]
                       [--limit N] [--push-to-hub ORG/NAME]
georeset geotext distant --dataset DIR_OR_ID [--dataset ...] --out DIR [--gazetteer DIR] [--max-options 5]
                         [--allow-source NAME]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from georeset.cli_types import positive_int


def _open_index(gazetteer: Path | None):
    from data_builders.gazetteer import load_gazetteer

    return load_gazetteer(gazetteer)


def _build(args: argparse.Namespace) -> int:
    from data_builders.gazetteer.report import BuildReport
    from data_builders.geotext.dataset_io import push_geotext, write_geotext
    from data_builders.geotext.sources import parse_spec, read_source

    kinds = [parse_spec(spec)[0] for spec in args.source]
    index = _open_index(args.gazetteer)
    geoparser = None
    if "text" in kinds and not args.no_silver:
        from modeling.geoparsing import Geoparser

        geoparser = Geoparser(gazetteer=index, lang=args.lang, resolver=None, with_geometry=False)
    report = BuildReport()
    records = itertools.chain.from_iterable(
        read_source(spec, index, report, limit=args.limit, geoparser=geoparser) for spec in args.source
    )
    result = write_geotext(
        records,
        args.out,
        report=report,
        pretty_name=args.name or f"georeset geotext ({', '.join(kinds)})",
        progress=not args.quiet,
    )
    print(result.summary())
    if args.push_to_hub:
        print(f"pushed to {args.push_to_hub}: {push_geotext(result.path, args.push_to_hub)}")
    return 0


def _distant(args: argparse.Namespace) -> int:
    from data_builders.gazetteer.report import BuildReport
    from data_builders.geotext.dataset_io import load_geotext
    from data_builders.geotext.distant import DistantSettings, DistantSupervision
    from data_builders.geotext.examples_io import write_examples

    settings = DistantSettings(
        **({"max_options": args.max_options} if args.max_options else {}),
        min_confidence=args.min_confidence,
        max_per_entity=args.max_per_entity,
        seed=args.seed,
        allow_sources=frozenset(args.allow_source or ()),
    )
    report = BuildReport()
    supervision = DistantSupervision(_open_index(args.gazetteer), settings, report)
    examples = []
    for name in args.dataset:
        records = load_geotext(name)
        if args.limit:
            records = records.select(range(min(args.limit, len(records))))
        examples.extend(supervision.examples(records, progress=not args.quiet))
    counts = write_examples(examples, args.out, settings=settings, report=report, sources=args.dataset)
    print(report.summary())
    print(f"{args.out}: " + ", ".join(f"{s} {c['examples']:,} examples" for s, c in counts.items()))
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `georeset geotext`."""
    parser = subparsers.add_parser(
        "geotext", help="build geotext datasets and resolver examples", description=__doc__
    )
    commands = parser.add_subparsers(dest="geotext_command", metavar="COMMAND")
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)

    build = commands.add_parser("build", help="read text sources into a labelled geotext dataset")
    build.add_argument(
        "--source",
        action="append",
        required=True,
        help="factbook | wikipedia:DUMP | wikinews:DUMP | text:PATH | benchmark:PATH (repeatable)",
    )
    build.add_argument("--out", required=True, type=Path, help="the dataset folder to write")
    build.add_argument("--gazetteer", type=Path, help="gazetteer folder (default: $GEORESET_HOME/gazetteer)")
    build.add_argument("--limit", type=positive_int, help="read at most N documents per source")
    build.add_argument(
        "--lang", default="en", help="language of text sources for the geoparser (en, fr, auto)"
    )
    build.add_argument("--no-silver", action="store_true", help="text sources: no geoparser labels")
    build.add_argument("--name", help="pretty name for the card")
    build.add_argument("--push-to-hub", metavar="ORG/NAME", help="also publish the dataset")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.set_defaults(func=_build)

    distant = commands.add_parser("distant", help="make resolver training examples from geotext datasets")
    distant.add_argument(
        "--dataset", action="append", required=True, help="geotext folder or Hub id (repeatable)"
    )
    distant.add_argument("--out", required=True, type=Path, help="the examples folder to write")
    distant.add_argument(
        "--gazetteer", type=Path, help="gazetteer folder (default: $GEORESET_HOME/gazetteer)"
    )
    distant.add_argument(
        "--max-options",
        type=positive_int,
        default=None,
        help="options per question (default: the resolver's, 4)",
    )
    distant.add_argument("--min-confidence", type=float, default=0.9, help="toponyms below are not used")
    distant.add_argument("--max-per-entity", type=positive_int, default=6, help="examples per place and kind")
    distant.add_argument("--limit", type=positive_int, help="use at most N documents per dataset")
    distant.add_argument("--seed", type=int, default=0)
    distant.add_argument(
        "--allow-source", action="append", help="a benchmark source that may train (never the evaluated one)"
    )
    distant.add_argument("--quiet", action="store_true", help="no progress bars")
    distant.set_defaults(func=_distant)


__all__ = ["add_parser"]
