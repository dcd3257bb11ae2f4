"""One feature-type taxonomy shared by every source.

Sources describe places with their own codes (GeoNames feature class/code, OSM tags, Wikidata classes, Natural Earth
categories). Each reader maps its codes here, so the ranker and users see one vocabulary. The source's own code is
kept beside it in `feature_code`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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

# --- OpenStreetMap ------------------------------------------------------------------------------------------------

_OSM_PLACE: dict[str, str] = {
    "continent": CONTINENT,
    "country": COUNTRY,
    "state": ADMIN1,
    "province": ADMIN1,
    "region": REGION,
    "county": ADMIN2,
    "district": ADMIN2,
    "municipality": ADMIN3,
    "city": SETTLEMENT,
    "town": SETTLEMENT,
    "village": SETTLEMENT,
    "hamlet": SETTLEMENT,
    "borough": LOCALITY,
    "suburb": LOCALITY,
    "quarter": LOCALITY,
    "neighbourhood": LOCALITY,
    "city_block": LOCALITY,
    "locality": LOCALITY,
    "isolated_dwelling": LOCALITY,
    "farm": LOCALITY,
    "square": LOCALITY,
    "island": ISLAND,
    "islet": ISLAND,
    "archipelago": ISLAND,
    "sea": WATER,
    "ocean": WATER,
}
_OSM_NATURAL: dict[str, str] = {
    "peak": MOUNTAIN,
    "volcano": MOUNTAIN,
    "hill": MOUNTAIN,
    "ridge": MOUNTAIN,
    "arete": MOUNTAIN,
    "mountain_range": MOUNTAIN,
    "saddle": MOUNTAIN,
    "water": WATER,
    "bay": WATER,
    "strait": WATER,
    "spring": WATER,
    "hot_spring": WATER,
    "glacier": LANDFORM,
    "cape": LANDFORM,
    "peninsula": LANDFORM,
    "isthmus": LANDFORM,
    "valley": LANDFORM,
    "gorge": LANDFORM,
    "desert": LANDFORM,
    "plateau": LANDFORM,
    "plain": LANDFORM,
    "beach": LANDFORM,
    "cliff": LANDFORM,
    "dune": LANDFORM,
    "reef": LANDFORM,
    "shoal": LANDFORM,
    "cave_entrance": LANDFORM,
    "wood": LANDUSE,
    "wetland": LANDUSE,
    "heath": LANDUSE,
    "scrub": LANDUSE,
    "grassland": LANDUSE,
    "fell": LANDUSE,
    "moor": LANDUSE,
    "island": ISLAND,  # an old tagging of islands
}
_OSM_WATERWAY: dict[str, str] = {
    "river": RIVER,
    "stream": RIVER,
    "canal": RIVER,
    "brook": RIVER,
    "ditch": RIVER,
    "drain": RIVER,
    "tidal_channel": RIVER,
    "riverbank": WATER,
    "waterfall": WATER,
    "rapids": WATER,
}
_OSM_LANDUSE_WATER = frozenset({"reservoir", "basin"})
# Named roads and landmarks: local news names them ("on Mannerheimintie", "at the Ateneum"), GeoNames has their
# kind too (S.HTL, S.MUS, R.RD). Shops, offices and bus stops are left out: their names are brands, not places.
_OSM_ROADS = frozenset(
    {"motorway", "trunk", "primary", "secondary", "tertiary", "residential", "unclassified", "living_street",
     "pedestrian", "road"}
)  # fmt: skip
_OSM_LANDMARKS: dict[str, frozenset[str] | None] = {  # None: any value
    "historic": None,
    "tourism": frozenset(
        {
            "attraction",
            "museum",
            "zoo",
            "theme_park",
            "viewpoint",
            "gallery",
            "aquarium",
            "hotel",
            "artwork",
            "camp_site",
            "alpine_hut",
        }
    ),  # fmt: skip
    "amenity": frozenset(
        {
            "university",
            "college",
            "school",
            "hospital",
            "townhall",
            "place_of_worship",
            "library",
            "theatre",
            "courthouse",
            "embassy",
            "prison",
            "arts_centre",
            "concert_hall",
            "community_centre",
            "marketplace",
            "fire_station",
            "police",
            "planetarium",
        }
    ),  # fmt: skip
    "man_made": frozenset(
        {"lighthouse", "tower", "bridge", "pier", "breakwater", "dyke", "windmill", "water_tower"}
    ),
    "leisure": frozenset({"stadium", "sports_centre", "marina", "golf_course", "water_park", "ice_rink"}),
    "building": None,
}
_OSM_PROTECTED = frozenset({"protected_area", "national_park"})
_OSM_TRANSPORT: dict[str, frozenset[str]] = {
    "aeroway": frozenset({"aerodrome", "airport", "heliport"}),
    "railway": frozenset({"station", "halt"}),
    "public_transport": frozenset({"station"}),
    "amenity": frozenset({"ferry_terminal", "bus_station"}),
    "landuse": frozenset({"port"}),
    "harbour": frozenset({"yes"}),
}


def osm_admin_level_type(admin_level: str | None) -> str:
    """The taxonomy type of `boundary=administrative` at an `admin_level` (2 country, 3-4 state, 5-6 county...).

    The levels follow the most common national schemes (wiki.openstreetmap.org/wiki/Key:admin_level); an
    unknown or missing level is taken as a lower administrative unit.
    """
    try:
        level = int(float(admin_level or ""))
    except ValueError:
        return ADMIN3
    if level <= 2:
        return COUNTRY
    if level <= 4:
        return ADMIN1
    if level <= 6:
        return ADMIN2
    return ADMIN3


def from_osm_tags(tags: Mapping[str, str]) -> str | None:
    """Map the tags of an OSM object to the shared taxonomy.

    Returns:
        The feature type, or None when the object is not a geographic feature worth keeping (shops, offices, bus
        stops, footpaths, routes...). Whether it has a name is the caller's business.
    """
    get = tags.get
    place = get("place")
    if place in _OSM_PLACE:
        return _OSM_PLACE[place]
    boundary = get("boundary")
    if boundary == "administrative":
        return osm_admin_level_type(get("admin_level"))
    if boundary in _OSM_PROTECTED or get("leisure") == "nature_reserve":
        return PROTECTED_AREA
    natural = get("natural")
    if natural in _OSM_NATURAL:
        return _OSM_NATURAL[natural]
    waterway = get("waterway")
    if waterway in _OSM_WATERWAY:
        return _OSM_WATERWAY[waterway]
    if get("water"):  # natural=water is already handled; `water=lake` alone still is water
        return WATER
    for key, values in _OSM_TRANSPORT.items():
        if get(key) in values:
            return TRANSPORT
    landuse = get("landuse")
    if landuse in _OSM_LANDUSE_WATER:
        return WATER
    if landuse:
        return LANDUSE
    if get("leisure") in ("park", "garden"):
        return LANDUSE
    if place == "plot":
        return LOCALITY
    if get("highway") in _OSM_ROADS:
        return TRANSPORT
    for key, values in _OSM_LANDMARKS.items():
        value = get(key)
        if value and value != "no" and (values is None or value in values):
            return POI
    return None


# --- Wikidata -----------------------------------------------------------------------------------------------------

# Common classes of places used in instance-of (P31) statements. An entity often has several (Paris: city, big
# city, commune of France, department of France): the most prominent type by TYPE_PRIORITY wins.
WIKIDATA_CLASSES: dict[str, str] = {
    "Q5107": CONTINENT,
    "Q6256": COUNTRY,
    "Q3624078": COUNTRY,  # sovereign state
    "Q7275": COUNTRY,  # state
    "Q3024240": COUNTRY,  # historical country
    "Q161243": COUNTRY,  # dependent territory
    "Q1763527": COUNTRY,  # constituent country
    "Q15634554": COUNTRY,  # state with limited recognition
    "Q46395": COUNTRY,  # British overseas territory
    "Q10864048": ADMIN1,  # first-level administrative country subdivision
    "Q35657": ADMIN1,  # state of the United States
    "Q107390": ADMIN1,  # federated state
    "Q34876": ADMIN1,  # province
    "Q36784": ADMIN1,  # region of France
    "Q1221156": ADMIN1,  # state of Germany
    "Q16110": ADMIN1,  # region of Italy
    "Q11828004": ADMIN1,  # province of Canada
    "Q5852411": ADMIN1,  # state of Australia
    "Q1615742": ADMIN1,  # province of China
    "Q13220204": ADMIN2,  # second-level administrative country subdivision
    "Q28575": ADMIN2,  # county
    "Q47168": ADMIN2,  # county of the United States
    "Q6465": ADMIN2,  # department of France
    "Q13221722": ADMIN3,  # third-level administrative country subdivision
    "Q15284": ADMIN3,  # municipality
    "Q484170": ADMIN3,  # commune of France
    "Q747074": ADMIN3,  # comune of Italy
    "Q262166": ADMIN3,  # municipality of Germany
    "Q2039348": ADMIN3,  # municipality of the Netherlands
    "Q3184121": ADMIN3,  # municipality of Brazil
    "Q82794": REGION,  # geographic region
    "Q1620908": REGION,  # historical region
    "Q486972": SETTLEMENT,  # human settlement
    "Q515": SETTLEMENT,  # city
    "Q1549591": SETTLEMENT,  # big city
    "Q1637706": SETTLEMENT,  # city with millions of inhabitants
    "Q174844": SETTLEMENT,  # megacity
    "Q200250": SETTLEMENT,  # metropolis
    "Q5119": SETTLEMENT,  # capital
    "Q3957": SETTLEMENT,  # town
    "Q532": SETTLEMENT,  # village
    "Q7930989": SETTLEMENT,  # city/town
    "Q1093829": SETTLEMENT,  # city of the United States
    "Q15127012": SETTLEMENT,  # town of the United States
    "Q17343829": SETTLEMENT,  # unincorporated community in the United States
    "Q498162": SETTLEMENT,  # census-designated place
    "Q2264924": SETTLEMENT,  # port settlement
    "Q5084": LOCALITY,  # hamlet
    "Q123705": LOCALITY,  # neighbourhood
    "Q188509": LOCALITY,  # suburb
    "Q2983893": LOCALITY,  # quarter
    "Q9430": WATER,  # ocean
    "Q165": WATER,  # sea
    "Q23397": WATER,  # lake
    "Q131681": WATER,  # reservoir
    "Q39594": WATER,  # bay
    "Q1322134": WATER,  # gulf
    "Q37901": WATER,  # strait
    "Q187223": WATER,  # lagoon
    "Q45776": WATER,  # fjord
    "Q4022": RIVER,  # river
    "Q47521": RIVER,  # stream
    "Q12284": RIVER,  # canal
    "Q8502": MOUNTAIN,  # mountain
    "Q46831": MOUNTAIN,  # mountain range
    "Q54050": MOUNTAIN,  # hill
    "Q207326": MOUNTAIN,  # summit
    "Q8072": MOUNTAIN,  # volcano
    "Q23442": ISLAND,  # island
    "Q33837": ISLAND,  # archipelago
    "Q42523": ISLAND,  # atoll
    "Q34763": LANDFORM,  # peninsula
    "Q8514": LANDFORM,  # desert
    "Q39816": LANDFORM,  # valley
    "Q75520": LANDFORM,  # plateau
    "Q185113": LANDFORM,  # cape
    "Q46169": PROTECTED_AREA,  # national park
    "Q473972": PROTECTED_AREA,  # protected area
    "Q179049": PROTECTED_AREA,  # nature reserve
    "Q1248784": TRANSPORT,  # airport
    "Q55488": TRANSPORT,  # railway station
    "Q44782": TRANSPORT,  # port
    "Q41176": POI,  # building
}


def from_wikidata_classes(qids: Iterable[str]) -> str:
    """Map the instance-of (P31) classes of a Wikidata entity to the shared taxonomy (OTHER when none is known)."""
    best = OTHER
    for qid in qids:
        kind = WIKIDATA_CLASSES.get(qid)
        if kind is not None and TYPE_PRIORITY[kind] > TYPE_PRIORITY[best]:
            best = kind
    return best


# --- Natural Earth ------------------------------------------------------------------------------------------------

# Layers whose features all have one type, recognised by a part of the layer name (`ne_10m_lakes` -> "lakes").
_NATURALEARTH_LAYERS: tuple[tuple[str, str], ...] = (
    ("admin_0", COUNTRY),
    ("admin_1", ADMIN1),
    ("admin_2", ADMIN2),
    ("populated_places", SETTLEMENT),
    ("airports", TRANSPORT),
    ("ports", TRANSPORT),
    ("lakes", WATER),
    ("rivers", RIVER),
    ("playas", LANDFORM),
    ("reefs", LANDFORM),
    ("minor_islands", ISLAND),
    ("parks", PROTECTED_AREA),
    ("protected", PROTECTED_AREA),
)
# The `featurecla` values of the mixed layers (geography regions, marine areas, elevation points), lower case.
_NATURALEARTH_CLASSES: dict[str, str] = {
    "continent": CONTINENT,
    "island": ISLAND,
    "island group": ISLAND,
    "range/mtn": MOUNTAIN,
    "mountain": MOUNTAIN,
    "spot elevation": MOUNTAIN,
    "lake": WATER,
    "waterfall": WATER,
    "ocean": WATER,
    "sea": WATER,
    "gulf": WATER,
    "bay": WATER,
    "strait": WATER,
    "sound": WATER,
    "channel": WATER,
    "lagoon": WATER,
    "fjord": WATER,
    "inlet": WATER,
    "generic": WATER,  # marine areas without a finer class
    "river": RIVER,
    "reef": LANDFORM,
    "geoarea": REGION,
    "coast": REGION,
    "dragons-be-here": REGION,
    "historic place": LOCALITY,
    "scientific station": POI,
    "meteorological station": POI,
}


def from_naturalearth(layer: str, properties: Mapping) -> str:
    """Map a Natural Earth feature (its layer name and its properties) to the shared taxonomy."""
    featurecla = str(properties.get("featurecla") or properties.get("FEATURECLA") or "").strip().lower()
    if featurecla in ("historic place", "scientific station", "meteorological station"):
        return _NATURALEARTH_CLASSES[featurecla]
    layer = layer.lower()
    for part, kind in _NATURALEARTH_LAYERS:
        if part in layer:
            return kind
    if featurecla in _NATURALEARTH_CLASSES:
        return _NATURALEARTH_CLASSES[featurecla]
    if "marine" in layer:
        return WATER
    # Geography regions: plateaus, deserts, peninsulas, deltas, basins, valleys, passes, capes...
    return LANDFORM if "geography" in layer else OTHER


__all__ = [
    "FEATURE_TYPES",
    "TYPE_PRIORITY",
    "from_geonames",
    "from_osm_tags",
    "osm_admin_level_type",
    "from_wikidata_classes",
    "from_naturalearth",
    "WIKIDATA_CLASSES",
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
