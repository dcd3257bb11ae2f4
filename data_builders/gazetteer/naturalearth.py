"""Reader of Natural Earth layers (https://www.naturalearthdata.com, public domain) as GeoJSON or shapefiles.

Natural Earth ships each layer as a shapefile (`ne_10m_populated_places.shp` + `.dbf`, usually zipped); GeoJSON
copies of the same layers are common. The layer kind (countries, admin-1, populated places, geography regions,
marine areas, lakes, rivers, parks...) is recognised from the file name, or named with `layers=`.

GeoJSON FeatureCollections are parsed one feature at a time (a country layer is a single JSON object of tens of
MB); shapefiles are read record by record through pyshp. Names in other languages come from the `NAME_XX`
columns, source ids from `NE_ID`, `GEONAMEID`/`gn_id` and `WIKIDATAID`, the label point from `LABEL_X/LABEL_Y`.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re
import struct
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapefile
import shapely
from shapely.geometry import Point, shape
from tqdm import tqdm

from data_builders.gazetteer.geometry_repair import make_valid_keeping_kind
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import (
    LANG_ABBREVIATION,
    LANG_CODE,
    LANG_UNKNOWN,
    PlaceName,
    PlaceRecord,
)
from data_builders.gazetteer.sources import (
    COMPRESSION_SUFFIXES,
    STREAM_ERRORS,
    PathOrUrl,
    is_url,
    local_copy,
    open_binary,
    source_name,
    wikipedia_title,
)
from data_builders.gazetteer.taxonomy import ADMIN1, COUNTRY, PROTECTED_AREA, TRANSPORT, from_naturalearth
from georeset.errors import BadInputError

SOURCE = "naturalearth"
GEOJSON_SUFFIXES = (".json", ".geojson")
GEOJSON_LINES_SUFFIXES = (".geojsonl", ".geojsons", ".geojsonseq", ".jsonl", ".ndjson")
SHAPEFILE_SUFFIXES = (".shp", ".zip")
LAYER_SUFFIXES = GEOJSON_SUFFIXES + GEOJSON_LINES_SUFFIXES + SHAPEFILE_SUFFIXES

# Columns holding the main name, most specific first (parks have `unit_name` beside a shorter `name`).
_NAME_KEYS = ("name", "name_en", "unit_name", "nameascii", "gn_ascii")
# Columns holding other names without a language.
_ALTERNATE_KEYS = (
    "name_long",
    "nameascii",
    "gn_ascii",
    "name_alt",
    "namealt",
    "namepar",
    "name_local",
    "ls_name",
    "meganame",
    "gn_name",
    "woe_name",
    "name_sort",
    "unit_name",
)
# Names that only mean the feature itself in the countries layer (elsewhere `admin` is the country of a feature).
_COUNTRY_ALTERNATE_KEYS = ("admin", "geounit", "subunit", "brk_name", "name_ciawf")
_LANGUAGE_KEYS = {"formal_en": "en", "formal_fr": "fr"}
_ABBREVIATION_KEYS = ("abbrev", "name_abb")
# Code columns by feature type: elsewhere `iso_a2` is the code of the feature's country, not of the feature.
_CODE_KEYS = {
    COUNTRY: ("postal", "iso_a2", "iso_a2_eh", "iso_a3", "iso_a3_eh", "adm0_a3"),
    ADMIN1: ("postal", "iso_3166_2", "code_hasc"),
    TRANSPORT: ("iata_code", "gps_code"),
    PROTECTED_AREA: ("unit_code",),
}
_NAME_LANGUAGE = re.compile(r"^name_([a-z]{2,3})$")
_SPECIAL_LANGUAGES = {"zht": "zh-Hant"}
_ALTERNATE_SEPARATORS = re.compile(r"\s*[|;]\s*")
_MISSING = {"", "-99", "-99.0", "none", "null", "nan"}
_WIKIDATA_ID = re.compile(r"^Q[1-9][0-9]*$")
_READ_CHUNK = 1 << 20
_ROUNDING = 1e-6  # degrees
STREAM_COMPRESSION_SUFFIXES = tuple(suffix for suffix in COMPRESSION_SUFFIXES if suffix != ".zip")
# Admin-1 label points repeat the unit's name for each of its minor islands: the unit keeps its main point.
_SECONDARY_LABEL_CLASSES = frozenset({"admin-1 minor island"})


def read_naturalearth(
    paths: PathOrUrl | Sequence[PathOrUrl],
    report: BuildReport,
    *,
    layers: str | Sequence[str] | None = None,
    progress: bool = False,
) -> Iterator[PlaceRecord]:
    """Stream `PlaceRecord`s from Natural Earth layers.

    Args:
        paths: one or more GeoJSON (`.json`, `.geojson`, line-delimited `.geojsonl`) or shapefile (`.shp`, or a
            `.zip` holding one) layers, local paths or URLs; a folder stands for the layer files inside it.
        report: counts records read, features skipped (unnamed islands and reefs), rejected (no geometry,
            coordinates out of range, malformed JSON) or repaired (invalid polygons made valid, bad encodings).
        layers: layer names (`"populated_places"`, `"ne_10m_lakes"`): only files whose name contains one of them
            are read. A single layer also names the kind of a file whose name is not a Natural Earth layer name.
        progress: show a progress bar per layer.

    Yields:
        One record per named feature: `record_id` "naturalearth:<layer>/<NE_ID or index>".

    Raises:
        BadInputError: a path is missing, or is not a GeoJSON or shapefile layer.
    """
    wanted = [layers] if isinstance(layers, str) else list(layers or [])
    for path, layer in _layer_files(paths, wanted):
        name = str(path).lower().split("?", 1)[0]
        for suffix in STREAM_COMPRESSION_SUFFIXES:
            name = name.removesuffix(suffix)
        if name.endswith(GEOJSON_LINES_SUFFIXES):
            features = _geojson_lines(path, layer, report)
        elif name.endswith(GEOJSON_SUFFIXES):
            features = _geojson_collection(path, layer, report)
        else:
            features = _shapefile(path, layer, report)
        for index, (properties, geometry) in enumerate(
            tqdm(features, desc=layer, unit=" features", disable=not progress, leave=False)
        ):
            record = _record(layer, index, properties, geometry, report)
            if record is not None:
                report.count_read(SOURCE)
                yield record


def layer_name(path: PathOrUrl) -> str:
    """The layer name of a file: `.../ne_10m_lakes.json` -> `ne_10m_lakes`."""
    name = source_name(path)
    for suffix in LAYER_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _layer_files(
    paths: PathOrUrl | Sequence[PathOrUrl], wanted: list[str]
) -> Iterator[tuple[PathOrUrl, str]]:
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files: list[PathOrUrl] = []
    for item in items:
        if not is_url(item) and Path(item).is_dir():
            found = sorted(p for p in Path(item).iterdir() if p.name.lower().endswith(LAYER_SUFFIXES))
            if not found:
                raise BadInputError(f"{item}: the folder holds no GeoJSON or shapefile layer")
            files.extend(found)
        elif not is_url(item) and not Path(item).exists():
            raise BadInputError(f"{item}: no such file or folder")
        else:
            base = str(item).lower().split("?", 1)[0]
            for suffix in STREAM_COMPRESSION_SUFFIXES:
                base = base.removesuffix(suffix)
            if not base.endswith(LAYER_SUFFIXES):
                raise BadInputError(
                    f"{item}: not a Natural Earth layer (expected .json, .geojson, .shp or .zip)"
                )
            files.append(item)
    for file in files:
        layer = layer_name(file)
        if not wanted:
            yield file, layer
        elif any(part in layer for part in wanted):
            yield file, layer
        elif len(wanted) == 1 and not layer.lower().startswith("ne_"):
            yield file, wanted[0]


# --- formats ------------------------------------------------------------------------------------------------------


def _geojson_collection(path: PathOrUrl, layer: str, report: BuildReport) -> Iterator[tuple[dict, Any]]:
    """The features of a FeatureCollection, decoded one at a time from a sliding text buffer."""
    decoder = json.JSONDecoder()
    with open_binary(path) as stream:
        text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        buffer, position, eof = "", 0, False

        def more() -> bool:
            # Drop what is decoded, and read at least as much as is pending: a feature larger than a chunk is
            # then re-parsed a logarithmic number of times, not once per chunk.
            nonlocal buffer, position, eof
            try:
                chunk = stream.read(max(_READ_CHUNK, len(buffer) - position))
            except STREAM_ERRORS as error:
                raise BadInputError(f"{path}: cannot be read ({type(error).__name__}: {error})") from error
            eof = not chunk
            buffer = buffer[position:] + text_decoder.decode(chunk, final=eof)
            position = 0
            return not eof

        # Find the `"features": [` that opens the array; the other top-level members are not needed.
        while (start := re.search(r'"features"\s*:\s*\[', buffer)) is None:
            if not more():
                raise BadInputError(f"{path}: not a GeoJSON FeatureCollection (no 'features' array)")
        position, count = start.end(), 0
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n,":
                position += 1
            if position >= len(buffer):
                if not more():
                    report.reject(SOURCE, "truncated GeoJSON (the features array never closes)", f"{layer}")
                    return
                continue
            if buffer[position] == "]":
                return
            try:
                feature, position = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError as error:
                if more():
                    continue  # the feature continues in the next chunk
                report.reject(
                    SOURCE,
                    "malformed GeoJSON feature (the rest of the layer is unreadable)",
                    f"{layer}: after feature {count}: {error}",
                )
                return
            count += 1
            yield _feature_parts(feature, layer, count, report)


def _geojson_lines(path: PathOrUrl, layer: str, report: BuildReport) -> Iterator[tuple[dict, Any]]:
    """Line-delimited GeoJSON (one Feature per line, RFC 8142 record separators allowed)."""
    with open_binary(path) as stream:
        for number, raw in enumerate(stream, 1):
            line = raw.decode("utf-8", errors="replace").strip().lstrip("\x1e")
            if not line:
                continue
            try:
                feature = json.loads(line)
            except json.JSONDecodeError as error:
                report.reject(SOURCE, "malformed GeoJSON feature", f"{layer} line {number}: {error}")
                yield {}, _SKIP
                continue
            yield _feature_parts(feature, layer, number, report)


_SKIP = object()  # a feature already counted as rejected, still yielded so that indices stay stable


def _feature_parts(feature: Any, layer: str, number: int, report: BuildReport) -> tuple[dict, Any]:
    if not isinstance(feature, dict) or not isinstance(feature.get("properties") or {}, dict):
        report.reject(
            SOURCE, "not a GeoJSON Feature object", f"{layer} feature {number}: {str(feature)[:120]}"
        )
        return {}, _SKIP
    return feature.get("properties") or {}, feature.get("geometry")


def _shapefile(path: PathOrUrl, layer: str, report: BuildReport) -> Iterator[tuple[dict, Any]]:
    with local_copy(path) as local:
        try:
            reader = shapefile.Reader(str(local), encodingErrors="strict")
        except (shapefile.ShapefileException, OSError, ValueError) as error:
            raise BadInputError(f"{path}: not a readable shapefile ({error})") from error
        fallback = None
        with reader:
            for index in range(len(reader)):
                properties = _shapefile_record(reader, index)
                if properties is None:
                    # A .dbf whose text is not in its declared encoding: latin-1 decodes any byte.
                    fallback = fallback or shapefile.Reader(str(local), encoding="latin-1")
                    properties = _shapefile_record(fallback, index)
                    if properties is None:
                        report.reject(SOURCE, "unreadable attributes", f"{layer} record {index}")
                        yield {}, _SKIP
                        continue
                    report.repair(
                        SOURCE,
                        "attributes not in the declared encoding, decoded as latin-1",
                        f"{layer} record {index}",
                    )
                try:
                    geometry = reader.shape(index).__geo_interface__
                except Exception as error:  # pyshp raises bare Exceptions for broken records
                    report.reject(SOURCE, "unreadable shape", f"{layer} record {index}: {error}")
                    yield {}, _SKIP
                    continue
                yield properties, geometry
        if fallback is not None:
            fallback.close()


def _shapefile_record(reader: shapefile.Reader, index: int) -> dict | None:
    try:
        return reader.record(index).as_dict()
    except (UnicodeDecodeError, shapefile.ShapefileException, struct.error, ValueError, OSError):
        return None


# --- one feature -> one record ------------------------------------------------------------------------------------


def _record(
    layer: str, index: int, properties: dict, geometry: Any, report: BuildReport
) -> PlaceRecord | None:
    if geometry is _SKIP:
        return None
    props = {str(key).lower(): value for key, value in properties.items() if _present(value)}
    ne_id = _integer(props.get("ne_id"))
    local_id = f"{layer}/{ne_id if ne_id else index}"
    name = next((str(props[key]).strip() for key in _NAME_KEYS if key in props), "")
    if str(props.get("featurecla", "")).lower() in _SECONDARY_LABEL_CLASSES:
        report.skip(SOURCE, "label point of a minor island of an admin-1 unit (kept: its main point)")
        return None
    if not name:
        report.skip(SOURCE, "feature without a name (unnamed islands, reefs...)")
        return None
    if not geometry:
        report.reject(SOURCE, "feature without geometry", f"{local_id} {name}")
        return None
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.ShapelyError) as error:
        report.reject(SOURCE, "unreadable geometry", f"{local_id} {name}: {error}")
        return None
    if geom.is_empty:
        report.reject(SOURCE, "empty geometry", f"{local_id} {name}")
        return None
    if not _in_range(geom.bounds):
        if not _in_range(geom.bounds, _ROUNDING):
            report.reject(
                SOURCE, "coordinates out of range (not EPSG:4326?)", f"{local_id} {name}: {geom.bounds}"
            )
            return None
        # Layers that span the antimeridian overshoot ±180 by float rounding: clamp rather than lose the feature.
        geom = shapely.transform(geom, lambda xy: np.clip(xy, (-180.0, -90.0), (180.0, 90.0)))
        report.repair(SOURCE, "coordinates a rounding error outside ±180/±90, clamped", f"{local_id} {name}")
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        geom = make_valid_keeping_kind(geom)
        report.repair(SOURCE, "invalid geometry made valid", f"{local_id} {name}: {reason}")
    point = _label_point(props, geom)
    kind = from_naturalearth(layer, props)
    return PlaceRecord(
        record_id=f"{SOURCE}:{local_id}",
        source=SOURCE,
        name=name,
        lat=point[1],
        lon=point[0],
        feature_type=kind,
        feature_code=str(props.get("featurecla", "")),
        names=_names(name, props, kind),
        country_code=_country_code(props),
        admin1_code=_admin1_code(props),
        admin1_name=str(props.get("adm1name", "")) if "adm1name" in props else "",
        population=_population(props),
        geometry_wkb=None if geom.geom_type == "Point" else shapely.to_wkb(geom),
        geonames_id=_geonames_id(props),
        wikidata_id=_wikidata_id(props),
        naturalearth_id=local_id,
        wikipedia=_wikipedia(props),
    )


def _in_range(bounds: tuple[float, float, float, float], slack: float = 0.0) -> bool:
    xmin, ymin, xmax, ymax = bounds
    return -180.0 - slack <= xmin <= xmax <= 180.0 + slack and -90.0 - slack <= ymin <= ymax <= 90.0 + slack


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return str(value).strip().lower() not in _MISSING


def _integer(value: Any) -> int | None:
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number > 0 else None


def _label_point(props: Mapping, geom) -> tuple[float, float]:
    x, y = props.get("label_x"), props.get("label_y")
    try:
        if x is not None and y is not None and -180 <= float(x) <= 180 and -90 <= float(y) <= 90:
            return float(x), float(y)
    except (TypeError, ValueError):
        pass
    if geom.geom_type == "Point":
        return geom.x, geom.y
    point: Point = geom.representative_point()
    return point.x, point.y


def _names(name: str, props: Mapping, kind: str) -> list[PlaceName]:
    names = [PlaceName(name, LANG_UNKNOWN, is_preferred=True, source=SOURCE)]
    seen = {(name, LANG_UNKNOWN)}

    def add(text: Any, lang: str) -> None:
        text = str(text).strip()
        if text and (text, lang) not in seen:
            seen.add((text, lang))
            names.append(PlaceName(text, lang, source=SOURCE))

    for key, value in props.items():
        match = _NAME_LANGUAGE.match(key)
        if match and key not in _ALTERNATE_KEYS and match.group(1) not in ("alt", "abb", "len"):
            lang = _SPECIAL_LANGUAGES.get(match.group(1), match.group(1))
            add(value, lang)
    for key, lang in _LANGUAGE_KEYS.items():
        if key in props:
            add(props[key], lang)
    for key in _ALTERNATE_KEYS + (_COUNTRY_ALTERNATE_KEYS if kind == COUNTRY else ()):
        if key in props:
            for part in _ALTERNATE_SEPARATORS.split(str(props[key])):
                add(part, LANG_UNKNOWN)
    for key in _ABBREVIATION_KEYS:
        if key in props:
            # Airports' `abbrev` is their IATA code, not a written abbreviation.
            add(props[key], LANG_CODE if kind == TRANSPORT else LANG_ABBREVIATION)
    for key in _CODE_KEYS.get(kind, ()):
        if key in props and str(props[key]) != name:
            add(props[key], LANG_CODE)
    return names


def _country_code(props: Mapping) -> str:
    for key in ("iso_a2", "iso_a2_eh", "wb_a2"):
        value = str(props.get(key, "")).strip().upper()
        if len(value) == 2 and value.isalpha():
            return value
    return ""


def _admin1_code(props: Mapping) -> str:
    # Admin-1 layers carry the GeoNames admin1 code as "AU.08": the part after the dot joins with GeoNames.
    code = str(props.get("gn_a1_code", ""))
    return code.split(".", 1)[1] if "." in code else ""


def _population(props: Mapping) -> int:
    for key in ("pop_max", "pop_est", "gn_pop", "pop_min"):
        value = _integer(props.get(key))
        if value:
            return value
    return 0


def _geonames_id(props: Mapping) -> int | None:
    for key in ("geonameid", "gn_id"):
        value = _integer(props.get(key))
        if value:
            return value
    return None


def _wikidata_id(props: Mapping) -> str:
    value = str(props.get("wikidataid", "")).strip()
    return value if _WIKIDATA_ID.match(value) else ""


def _wikipedia(props: Mapping) -> str:
    title = wikipedia_title(str(props.get("wikipedia", "")))
    return f"{title[0]}:{title[1]}" if title else ""


__all__ = ["read_naturalearth", "layer_name", "SOURCE"]
