"""One feature-type taxonomy shared by every source.

Sources describe places with their own codes (GeoNames feature class/code, OSM tags, Wikidata classes, Natural Earth
categories). Each reader maps its codes here, so the ranker and users see one vocabulary. The source's own code is
kept beside it in `feature_code`.
"""

from __future__ import annotations

CONTINENT = "continent"
COUNTRY = "country"
ADMIN1 = "admin1"  # states, provinces, regions of France, Länder
ADMIN2 = "admin2"  # counties, départements, districts
ADMIN3 = "admin3"  # lower administrative units
REGION = "region"  # named regions without administrative status (historic, geographic, cultural)
SETTLEMENT = "settlement"  # cities, towns, villages
LOCALITY = "locality"  # neighbourhoods, suburbs, hamlets, localities inside settlements
WATER = "water"  # seas, bays, gulfs, straits, lakes, reservoirs
RIVER = "river"  # streams, rivers, canals
MOUNTAIN = "mountain"  # peaks, ranges, hills
ISLAND = "island"
LANDFORM = "landform"  # deserts, plateaus, valleys, peninsulas, deltas, capes
PROTECTED_AREA = "protected_area"
LANDUSE = "landuse"  # forests, farmland, parks in towns
TRANSPORT = "transport"  # airports, ports, stations, roads
POI = "poi"  # buildings, facilities
OTHER = "other"

FEATURE_TYPES: tuple[str, ...] = (
    CONTINENT,
    COUNTRY,
    ADMIN1,
    ADMIN2,
    ADMIN3,
    REGION,
    SETTLEMENT,
    LOCALITY,
    WATER,
    RIVER,
    MOUNTAIN,
    ISLAND,
    LANDFORM,
    PROTECTED_AREA,
    LANDUSE,
    TRANSPORT,
    POI,
    OTHER,
)

# GeoNames feature codes (https://www.geonames.org/export/codes.html), most specific first.
_GEONAMES_CODES: dict[str, str] = {
    "A.PCL": COUNTRY,
    "A.PCLI": COUNTRY,
    "A.PCLD": COUNTRY,
    "A.PCLF": COUNTRY,
    "A.PCLS": COUNTRY,
    "A.PCLIX": COUNTRY,
    "A.TERR": COUNTRY,
    "A.ADM1": ADMIN1,
    "A.ADM1H": ADMIN1,
    "A.ADM2": ADMIN2,
    "A.ADM2H": ADMIN2,
    "A.ADM3": ADMIN3,
    "A.ADM4": ADMIN3,
    "A.ADM5": ADMIN3,
    "A.ADMD": ADMIN3,
    "A.PRSH": ADMIN3,
    "A.ZN": REGION,
    "L.CONT": CONTINENT,
    "L.RGN": REGION,
    "L.RGNE": REGION,
    "L.RGNH": REGION,
    "L.AREA": REGION,
    "L.PRK": PROTECTED_AREA,
    "L.RESN": PROTECTED_AREA,
    "L.RESF": PROTECTED_AREA,
    "L.RESW": PROTECTED_AREA,
    "L.RES": PROTECTED_AREA,
    "L.PRT": TRANSPORT,
    "P.PPLX": LOCALITY,
    "P.PPLL": LOCALITY,
    "H.STM": RIVER,
    "H.STMI": RIVER,
    "H.STMS": RIVER,
    "H.CNL": RIVER,
    "H.STMX": RIVER,
    "T.MT": MOUNTAIN,
    "T.MTS": MOUNTAIN,
    "T.PK": MOUNTAIN,
    "T.PKS": MOUNTAIN,
    "T.HLL": MOUNTAIN,
    "T.HLLS": MOUNTAIN,
    "T.VLC": MOUNTAIN,
    "T.RDGE": MOUNTAIN,
    "T.ISL": ISLAND,
    "T.ISLS": ISLAND,
    "T.ISLX": ISLAND,
    "T.ATOL": ISLAND,
    "S.AIRP": TRANSPORT,
    "S.AIRF": TRANSPORT,
    "S.PRT": TRANSPORT,
    "S.RSTN": TRANSPORT,
    "S.RSTP": TRANSPORT,
}

_GEONAMES_CLASSES: dict[str, str] = {
    "A": ADMIN3,
    "H": WATER,
    "L": REGION,
    "P": SETTLEMENT,
    "R": TRANSPORT,
    "S": POI,
    "T": LANDFORM,
    "U": WATER,
    "V": LANDUSE,
}


def from_geonames(feature_class: str, feature_code: str) -> str:
    """Map a GeoNames feature class and code (`"P"`, `"PPLA"`) to the shared taxonomy."""
    feature_class = (feature_class or "").strip().upper()
    feature_code = (feature_code or "").strip().upper()
    return _GEONAMES_CODES.get(f"{feature_class}.{feature_code}") or _GEONAMES_CLASSES.get(
        feature_class, OTHER
    )


# How prominent a type is when nothing else is known; the ranker uses it as a prior, users can override it.
TYPE_PRIORITY: dict[str, int] = {
    CONTINENT: 9,
    COUNTRY: 10,
    ADMIN1: 8,
    SETTLEMENT: 7,
    ADMIN2: 6,
    REGION: 5,
    WATER: 5,
    RIVER: 5,
    MOUNTAIN: 5,
    ISLAND: 5,
    LANDFORM: 4,
    PROTECTED_AREA: 4,
    ADMIN3: 3,
    LOCALITY: 3,
    TRANSPORT: 2,
    LANDUSE: 1,
    POI: 1,
    OTHER: 0,
}

__all__ = [
    "FEATURE_TYPES",
    "TYPE_PRIORITY",
    "from_geonames",
    "CONTINENT",
    "COUNTRY",
    "ADMIN1",
    "ADMIN2",
    "ADMIN3",
    "REGION",
    "SETTLEMENT",
    "LOCALITY",
    "WATER",
    "RIVER",
    "MOUNTAIN",
    "ISLAND",
    "LANDFORM",
    "PROTECTED_AREA",
    "LANDUSE",
    "TRANSPORT",
    "POI",
    "OTHER",
]
