"""`georeset gazetteer build | lookup | info`.

georeset gazetteer build [--out DIR] [--sources embedded,naturalearth,geonames:PATH_OR_URL ...]
                         [--shard-rows N] [--push-to-hub ORG/NAME]
georeset gazetteer lookup NAME [--top K] [--json] [--gazetteer DIR] [--country CC] [--type TYPE] [--no-fuzzy]
georeset gazetteer info [--gazetteer DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from georeset.errors import BadInputError, MissingAssetError


def _build(args: argparse.Namespace) -> int:
    from data_builders.gazetteer.build import build_gazetteer

    result = build_gazetteer(
        args.out, args.sources or ["embedded"], shard_rows=args.shard_rows, progress=not args.quiet
    )
    print(result.summary())
    if args.push_to_hub:
        from data_builders.gazetteer.publish import push_to_hub

        url = push_to_hub(result.path, args.push_to_hub, private=args.private or None)
        print(f"pushed to {args.push_to_hub}: {url}")
    return 0


def _format_table(rows: list[dict]) -> str:
    columns = [
        ("#", lambda i, c: str(i)),
        ("name", lambda i, c: c["name"]),
        ("matched", lambda i, c: f"{c['matched_name']} [{c['matched_lang'] or '-'}]"),
        ("match", lambda i, c: f"{c['match_type']} {c['match_score']:.2f}"),
        ("type", lambda i, c: c["feature_type"]),
        ("where", lambda i, c: ", ".join(p for p in (c["admin1_name"], c["country_code"]) if p)),
        ("lat, lon", lambda i, c: f"{c['lat']:.4f}, {c['lon']:.4f}"),
        ("population", lambda i, c: f"{c['population']:,}" if c["population"] else ""),
        ("id", lambda i, c: c["entity_id"]),
    ]
    cells = [[render(i, row) for _, render in columns] for i, row in enumerate(rows, 1)]
    widths = [max(len(header), *(len(r[k]) for r in cells)) for k, (header, _) in enumerate(columns)]
    lines = ["  ".join(header.ljust(w) for (header, _), w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _lookup(args: argparse.Namespace) -> int:
    from data_builders.gazetteer import load_gazetteer

    if args.top < 1:
        raise BadInputError(f"--top {args.top}: must be at least 1")
    if not args.name.strip():
        raise BadInputError("lookup: the name to look up is empty")
    index = load_gazetteer(args.gazetteer)
    candidates = index.lookup(
        args.name,
        top_k=args.top,
        fuzzy=not args.no_fuzzy,
        prefix=args.prefix,
        country_code=args.country,
        feature_types=args.type or None,
    )
    rows = [candidate.to_dict() for candidate in candidates]
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif rows:
        print(_format_table(rows))
    else:
        print(f"no candidate for {args.name!r}")
    return 0 if rows else 1


def _info(args: argparse.Namespace) -> int:
    from data_builders.gazetteer.build import BUILD_REPORT
    from georeset.settings import gazetteer_dir

    folder = Path(args.gazetteer).expanduser() if args.gazetteer else gazetteer_dir()
    report_path = folder / BUILD_REPORT
    if not report_path.is_file():
        raise MissingAssetError(
            f"no gazetteer at {folder}: run `georeset gazetteer build --out {folder}` first"
        )
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise BadInputError(f"{report_path}: unreadable build report ({error})") from error
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    counts = report.get("counts", {})
    print(f"gazetteer: {folder}")
    print(f"built: {report.get('built_at', '?')} from {', '.join(report.get('sources', []))}")
    print(
        f"entities: {counts.get('entities', 0):,} from {counts.get('records', 0):,} records; "
        f"polygons: {counts.get('polygons', 0):,}; languages: {counts.get('languages', 0)}"
    )
    for title, key in (("by source", "by_source"), ("by feature type", "by_feature_type")):
        items = sorted(counts.get(key, {}).items(), key=lambda kv: -kv[1])
        print(f"{title}: " + ", ".join(f"{k} {v:,}" for k, v in items))
    shards = report.get("shards", [])
    print(f"shards: {len(shards)}; index: {'yes' if (folder / 'index').is_dir() else 'missing'}")
    rejected = sum(row["count"] for row in report.get("rejected", []))
    repaired = sum(row["count"] for row in report.get("repaired", []))
    print(f"rejected records: {rejected:,}; repaired: {repaired:,} (details: {report_path})")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `georeset gazetteer ...`."""
    parser = subparsers.add_parser("gazetteer", help="build, publish and query the gazetteer")
    commands = parser.add_subparsers(dest="gazetteer_command", metavar="COMMAND", required=True)

    build = commands.add_parser("build", help="build a gazetteer folder (parquet + card + index)")
    build.add_argument(
        "--out", type=Path, default=None, help="gazetteer folder (default: $GEORESET_HOME/gazetteer)"
    )
    build.add_argument(
        "--sources",
        action="append",
        metavar="SPEC[,SPEC...]",
        help="embedded | embedded:NAME+NAME | naturalearth[:PATH+PATH] | geonames:PATH_OR_URL[;alternate_names=...]"
        " | osm:PATH_OR_URL | wikidata:PATH_OR_URL (repeatable; default: embedded)",
    )
    build.add_argument("--shard-rows", type=int, default=500_000, help="rows per parquet shard")
    build.add_argument("--push-to-hub", metavar="ORG/NAME", help="publish the built folder as a Hub dataset")
    build.add_argument("--private", action="store_true", help="create the Hub repository private")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.set_defaults(func=_build)

    lookup = commands.add_parser("lookup", help="candidate entities for a place name")
    lookup.add_argument("name")
    lookup.add_argument("--top", type=int, default=10)
    lookup.add_argument("--json", action="store_true", help="JSON output")
    lookup.add_argument(
        "--gazetteer", default=None, help="gazetteer folder or Hub id (default: the built one)"
    )
    lookup.add_argument("--country", default=None, help="only this ISO country code")
    lookup.add_argument("--type", action="append", help="only these feature types (repeatable)")
    lookup.add_argument("--prefix", action="store_true", help="also return names that begin with NAME")
    lookup.add_argument("--no-fuzzy", action="store_true", help="exact (and prefix) matches only")
    lookup.set_defaults(func=_lookup)

    info = commands.add_parser("info", help="what a built gazetteer holds")
    info.add_argument("--gazetteer", default=None, help="gazetteer folder (default: the built one)")
    info.add_argument("--json", action="store_true", help="the whole build report as JSON")
    info.set_defaults(func=_info)


__all__ = ["add_parser"]
