"""`--sources` specifications: which readers a build runs, on which files or URLs.

Syntax: a comma-separated list (the option may also be repeated) of `NAME[:LOCATION][;KEY=VALUE...]`:

- `embedded`: every embedded PyPI source; `embedded:cities500+admin` picks some (see `EMBEDDED_SOURCES`).
- `naturalearth[:PATH+PATH...]`: Natural Earth layers (files, folders or URLs); default: the populated places,
  admin-1 label points and physical features in `shared_data_dir()/naturalearth`. `;layers=lakes+rivers` picks layers.
- `geonames:PATH_OR_URL`: `allCountries.zip`, `cities500.zip`...; side files are options
  (`;alternate_names=URL;admin1_codes=URL;admin2_codes=URL;country_info=URL;hierarchy=URL`); for a local file,
  side files with their official names in the same folder are used when no option names them.
- `osm:PATH_OR_URL`: an `.osm.pbf` extract or the planet.
- `wikidata:PATH_OR_URL`: a Wikidata JSON dump (`latest-all.json.bz2`).

The LOCATION is everything after the first colon, so URLs work as they are (`geonames:https://download.geonames.org/
export/dump/cities500.zip`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import PlaceRecord
from data_builders.gazetteer.sources import is_url
from georeset.errors import BadInputError, MissingAssetError
from georeset.settings import shared_data_dir

# The Natural Earth layers a default `naturalearth` source reads: places, admin-1 points and physical features.
NATURAL_EARTH_DEFAULT_LAYERS: tuple[str, ...] = (
    "populated_places",
    "admin_1_label_points",
    "geography_regions_polys",
    "geography_regions_points",
    "geography_regions_elevation_points",
    "geography_marine_polys",
    "lakes",
    "rivers_lake_centerlines",
    "minor_islands",
    "parks_and_protected_lands",
)
GEONAMES_SIDE_FILES: dict[str, tuple[str, ...]] = {
    "alternate_names": (
        "alternateNamesV2.zip",
        "alternateNamesV2.txt",
        "alternateNames.zip",
        "alternateNames.txt",
    ),
    "admin1_codes": ("admin1CodesASCII.txt",),
    "admin2_codes": ("admin2Codes.txt",),
    "country_info": ("countryInfo.txt",),
    "hierarchy": ("hierarchy.zip", "hierarchy.txt"),
}
SOURCE_NAMES = ("embedded", "naturalearth", "geonames", "osm", "wikidata")

# A reader yields records, or record batches of schema.RECORD_SCHEMA (columnar readers).
RecordReader = Callable[[BuildReport, bool], Iterator[PlaceRecord | pa.RecordBatch]]


@dataclass(frozen=True)
class SourceSpec:
    """One parsed `--sources` item."""

    name: str
    location: str = ""
    options: dict[str, str] = field(default_factory=dict)
    text: str = ""

    def reader(self) -> RecordReader:
        """A function `(report, progress) -> records` that runs this source's reader."""
        return _READERS[self.name](self)


def parse_sources(specs: str | Iterable[str]) -> list[SourceSpec]:
    """Parse `--sources` values ("embedded,geonames:cities500.zip") into specs.

    Raises:
        BadInputError: an unknown source name, a source that needs a location without one, or a bad option.
    """
    items = [specs] if isinstance(specs, str) else list(specs)
    parsed = []
    for item in items:
        for text in (part.strip() for part in item.split(",")):
            if text:
                parsed.append(_parse_one(text))
    if not parsed:
        raise BadInputError(f"--sources {items!r}: no source given (known: {', '.join(SOURCE_NAMES)})")
    return parsed


def _parse_one(text: str) -> SourceSpec:
    head, *option_texts = text.split(";")
    name, _, location = head.partition(":")
    name = name.strip().lower()
    if name not in SOURCE_NAMES:
        raise BadInputError(f"--sources {text!r}: unknown source {name!r} (known: {', '.join(SOURCE_NAMES)})")
    options = {}
    for option in option_texts:
        key, sep, value = option.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise BadInputError(f"--sources {text!r}: option {option!r} is not KEY=VALUE")
        options[key.strip()] = value.strip()
    if name in ("geonames", "osm", "wikidata") and not location.strip():
        raise BadInputError(f"--sources {text!r}: {name} needs a file or URL, e.g. {name}:PATH_OR_URL")
    return SourceSpec(name, location.strip(), options, text)


def _embedded(spec: SourceSpec) -> RecordReader:
    from data_builders.gazetteer.embedded import EMBEDDED_SOURCES, read_embedded

    names = [part for part in spec.location.split("+") if part] or None
    unknown = [n for n in names or () if n not in EMBEDDED_SOURCES]
    if unknown:
        raise BadInputError(f"--sources {spec.text!r}: unknown embedded source(s) {unknown}")
    return lambda report, progress: read_embedded(report, names)


def _naturalearth(spec: SourceSpec) -> RecordReader:
    from data_builders.gazetteer.naturalearth import read_naturalearth

    if spec.location:
        paths = [part for part in spec.location.split("+") if part]
        layers = [p for p in spec.options.get("layers", "").split("+") if p] or None
    else:
        shared = shared_data_dir()
        folder = shared / "naturalearth" if shared else None
        if folder is None or not folder.is_dir():
            raise MissingAssetError(
                "--sources naturalearth: no Natural Earth folder (set GEORESET_SHARED_DATA, or name the files: "
                "naturalearth:PATH)"
            )
        paths = [folder]
        layers = [p for p in spec.options.get("layers", "").split("+") if p] or list(
            NATURAL_EARTH_DEFAULT_LAYERS
        )
    return lambda report, progress: read_naturalearth(paths, report, layers=layers, progress=progress)


def _geonames(spec: SourceSpec) -> RecordReader:
    from data_builders.gazetteer.geonames import read_geonames_batches

    side = dict(spec.options)
    unknown = set(side) - set(GEONAMES_SIDE_FILES)
    if unknown:
        raise BadInputError(
            f"--sources {spec.text!r}: unknown option(s) {sorted(unknown)} (known: {', '.join(GEONAMES_SIDE_FILES)})"
        )
    if not is_url(spec.location):
        folder = Path(spec.location).expanduser().parent
        for key, candidates in GEONAMES_SIDE_FILES.items():
            found = next((folder / c for c in candidates if (folder / c).is_file()), None)
            if key not in side and found is not None and found != Path(spec.location).expanduser():
                side[key] = str(found)
    return lambda report, progress: read_geonames_batches(spec.location, report, progress=progress, **side)


def _osm(spec: SourceSpec) -> RecordReader:
    from data_builders.gazetteer.osm import read_osm

    return lambda report, progress: read_osm(spec.location, report, progress=progress)


def _wikidata(spec: SourceSpec) -> RecordReader:
    from data_builders.gazetteer.wikidata import read_wikidata

    return lambda report, progress: read_wikidata(spec.location, report, progress=progress)


_READERS: dict[str, Callable[[SourceSpec], RecordReader]] = {
    "embedded": _embedded,
    "naturalearth": _naturalearth,
    "geonames": _geonames,
    "osm": _osm,
    "wikidata": _wikidata,
}


__all__ = [
    "NATURAL_EARTH_DEFAULT_LAYERS",
    "GEONAMES_SIDE_FILES",
    "SOURCE_NAMES",
    "RecordReader",
    "SourceSpec",
    "parse_sources",
]
