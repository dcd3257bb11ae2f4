"""`georeset imagery build | link`: the Sentinel <-> text instruction dataset, and what a footprint links to.

georeset imagery build [--source bigearthnet[:PATH]] [--source eolearn:PATH] [--source geotiff:PATH] ...
                       [--patch-size 64] [--languages en fr] --out DIR [--push-to-hub ORG/NAME]
                       [--gazetteer DIR] [--geotext factbook|DIR|ORG/NAME ...] [--allow-eval-sources]
georeset imagery link (--lon LON --lat LAT [--size-m M] | --patch FILE) [--gazetteer DIR] [--geotext ...] [--json]

Without --source, `build` reads the embedded real data: the BigEarthNet examples of `bigearthnet-common` and,
when the shared data folder is present, the eo-learn Slovenia scenes tiled into patches. Without --geotext it
quotes the embedded CIA World Factbook (distant-labelled against the gazetteer at build time).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from georeset.cli_types import positive_int


def _build(args: argparse.Namespace) -> int:
    from data_builders.imagery.dataset_io import build_instruction_dataset, push_instruction_dataset
    from data_builders.imagery.instructions import InstructionSettings
    from data_builders.imagery.report import ImageryReport

    started = time.perf_counter()
    report = ImageryReport()
    result = build_instruction_dataset(
        args.out,
        args.source,
        settings=InstructionSettings(
            patch_size=args.patch_size,
            languages=tuple(args.languages),
            examples_per_task=args.examples_per_task,
            seed=args.seed,
        ),
        gazetteer=args.gazetteer,
        geotext=[] if args.no_geotext else args.geotext,
        allow_eval_sources=args.allow_eval_sources,
        reader_report=report,
        progress=not args.quiet,
    )
    print(report.summary())
    print(result.summary())
    print(f"total {time.perf_counter() - started:.1f} s")
    if args.push_to_hub:
        print(f"pushed to {args.push_to_hub}: {push_instruction_dataset(result.path, args.push_to_hub)}")
    return 0


def _describe(place) -> str:
    where = (
        ""
        if place.relation in ("within",)
        else f", {place.distance_km:.1f} km {place.direction or ''}".rstrip()
    )
    population = f", pop. {place.population:,}" if place.population else ""
    return f"{place.name} ({place.feature_type}, {place.entity_id}, {place.relation}{where}{population})"


def _patch_footprint(path: Path):
    """The EPSG:4326 outline of a whole GeoTIFF patch."""
    from data_builders.imagery.patch import Patch
    from data_builders.imagery.raster_io import read_raster
    from georeset.errors import BadInputError

    if not path.is_file():
        raise BadInputError(f"--patch {path}: no such file")
    raster = read_raster(path, indexes=[1])
    patch = Patch(
        id=path.stem,
        pixels=raster.pixels,
        band_names=["B01"],
        sensor="s2_l2a",
        crs=raster.crs,
        transform=raster.transform,
    )
    footprint = patch.footprint()
    if footprint is None:
        raise BadInputError(f"--patch {path}: the file has no georeferencing (CRS and transform)")
    return footprint


def _link(args: argparse.Namespace) -> int:
    from data_builders.gazetteer import load_gazetteer
    from data_builders.imagery.link import link_footprint, point_footprint, spatial_gazetteer
    from georeset.errors import BadInputError

    if args.patch is not None:
        footprint = _patch_footprint(args.patch)
    elif args.lon is not None and args.lat is not None:
        footprint = point_footprint(args.lon, args.lat, args.size_m)
    else:
        raise BadInputError("give --lon and --lat, or --patch FILE")
    index = load_gazetteer(args.gazetteer)
    gazetteer = spatial_gazetteer(index)
    links = link_footprint(footprint, gazetteer, languages=tuple(args.languages))
    passages = []
    if args.geotext:
        from data_builders.imagery.dataset_io import passage_index

        passages = passage_index(args.geotext, index).passages_for(
            links, country_names=gazetteer.country_names
        )
    if args.json:
        data = links.to_dict()
        data["passages"] = [
            {
                **p.passage.provenance(),
                "entity_id": p.place.entity_id,
                "linked_by": p.how,
                "text": p.passage.text,
            }
            for p in passages
        ]
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    lon, lat = links.centre
    print(f"centre: {lat:.5f}, {lon:.5f}")
    print(f"country: {_describe(links.country) if links.country else '-'}")
    for place in links.admin:
        print(f"admin: {_describe(place)}")
    for title, group in (("inside", links.contained), ("natural", links.natural), ("nearest", links.nearest)):
        for place in group:
            print(f"{title}: {_describe(place)}")
    print(f"nearest town: {_describe(links.town) if links.town else '-'}")
    for link in passages:
        print(
            f"passage {link.passage.passage_id} ({link.place.name}, by {link.how}): {link.passage.text[:200]}"
        )
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `georeset imagery`."""
    parser = subparsers.add_parser(
        "imagery",
        help="Sentinel patches -> linked places -> instruction dataset",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="imagery_command", metavar="COMMAND")
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)

    build = commands.add_parser("build", help="build the Sentinel <-> text instruction dataset")
    build.add_argument(
        "--source",
        action="append",
        help="bigearthnet[:PATH] | eolearn:PATH | geotiff:PATH | torchgeo:NAME:PATH | eurosat_ms:PATH "
        "(repeatable; default: the embedded BigEarthNet examples and eo-learn Slovenia)",
    )
    build.add_argument(
        "--out", required=True, type=Path, help="the dataset folder to write (resumed if partial)"
    )
    build.add_argument(
        "--patch-size", type=positive_int, default=64, help="side of the stored pixels (default 64)"
    )
    build.add_argument("--languages", nargs="+", default=["en", "fr"], help="languages of the examples")
    build.add_argument(
        "--examples-per-task", type=positive_int, default=1, help="per patch, task and language"
    )
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--gazetteer", help="gazetteer folder or Hub id (default: $GEORESET_HOME/gazetteer)")
    build.add_argument(
        "--geotext", action="append", help="factbook | geotext dataset folder | ORG/NAME (default: factbook)"
    )
    build.add_argument("--no-geotext", action="store_true", help="no geotext-grounded examples")
    build.add_argument(
        "--allow-eval-sources",
        action="store_true",
        help="let EuroSAT in (for evaluation sets, never training)",
    )
    build.add_argument("--push-to-hub", metavar="ORG/NAME", help="also publish the dataset")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.set_defaults(func=_build)

    link = commands.add_parser("link", help="print the places (and passages) a footprint links to")
    link.add_argument("--lon", type=float, help="longitude of the centre (EPSG:4326)")
    link.add_argument("--lat", type=float, help="latitude of the centre (EPSG:4326)")
    link.add_argument(
        "--size-m", type=float, default=1000.0, help="side of the square footprint (default 1000 m)"
    )
    link.add_argument("--patch", type=Path, help="a georeferenced GeoTIFF patch instead of --lon/--lat")
    link.add_argument("--gazetteer", help="gazetteer folder or Hub id (default: $GEORESET_HOME/gazetteer)")
    link.add_argument("--geotext", action="append", help="also list passages: factbook | folder | ORG/NAME")
    link.add_argument("--languages", nargs="+", default=["en"], help="languages of the names in --json")
    link.add_argument("--json", action="store_true", help="print JSON")
    link.set_defaults(func=_link)


__all__ = ["add_parser"]
