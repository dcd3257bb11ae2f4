"""Link a patch footprint to the gazetteer places it shows and to text passages about them.

Two lookups, each built once per gazetteer / geotext collection and cached in the process:

- `SpatialGazetteer`: the entities' representative points in a shapely STRtree, and their polygon or line
  footprints (countries, admin units, lakes, parks...) in a second one. A footprint query reads a box of candidate
  points and ranks them by great-circle distance, so it stays at about a millisecond on the 290k entities of the
  embedded gazetteer (the columns are memory-mapped from the index's `entities.arrow`, nothing is parsed per row).
- `PassageIndex`: geotext documents (`data_builders.geotext.schema` records) cut into passages of a few sentences,
  indexed by the gazetteer ids of their toponyms and by their toponyms' coordinates.

`link_footprint` answers, for an EPSG:4326 footprint: the country and admin units it lies in (polygons where the
gazetteer has them; otherwise the admin path of the nearest populated place, which GeoNames gives for every
settlement), the entities it contains or overlaps, the named natural features nearby, the nearest populated places
and the nearest town with their distance (km) and compass direction from the patch centre. `PassageIndex.passages_for`
then finds passages whose toponyms resolve to those entities (or lie within a few km of the patch).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from georeset.errors import BadInputError

if TYPE_CHECKING:
    from data_builders.gazetteer.index import GazetteerIndex

EARTH_RADIUS_KM = 6371.0088
COMPASS_POINTS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")

POPULATED_TYPES = ("settlement",)
ADMIN_TYPES = ("country", "admin1", "admin2", "admin3")
# Named landscape features a caption or a question can mention besides towns and admin units.
NATURAL_TYPES = ("region", "water", "river", "mountain", "island", "landform", "protected_area", "landuse")

# Relations of a linked place to the footprint.
WITHIN = "within"  # the place's polygon contains the whole footprint
OVERLAPS = "overlaps"  # the place's polygon or line crosses the footprint
CONTAINS = "contains"  # the place (its point or whole shape) lies inside the footprint
ADMIN_PATH = "admin_path"  # the admin unit of the nearest populated place (no polygon in the gazetteer)
NEARBY = "nearby"  # a point within the search radius, outside the footprint

_COLUMNS = (
    "entity_id",
    "name",
    "names",
    "feature_type",
    "country_code",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "population",
    "geometry",
    "geometry_type",
    "lat",
    "lon",
)


@dataclass(frozen=True)
class LinkSettings:
    """How far and how many: the knobs of `link_footprint` (defaults suit 1-10 km Sentinel patches).

    Attributes:
        nearest_places: how many nearest populated places to return.
        max_place_km: search radius for populated places.
        town_population: the "nearest town" is the nearest populated place with at least this population.
        max_town_km: search radius for the nearest town.
        natural_km: natural features (points) are kept within this distance of the footprint.
        max_natural: how many natural features at most.
        max_contained: how many entities inside the footprint at most (largest population first).
    """

    nearest_places: int = 5
    max_place_km: float = 50.0
    town_population: int = 10_000
    max_town_km: float = 60.0
    natural_km: float = 10.0
    max_natural: int = 5
    max_contained: int = 10

    def __post_init__(self) -> None:
        for name in ("nearest_places", "max_natural", "max_contained", "town_population"):
            if getattr(self, name) < 0:
                raise BadInputError(f"LinkSettings.{name} must be 0 or more, got {getattr(self, name)}")
        for name in ("max_place_km", "max_town_km", "natural_km"):
            if not getattr(self, name) > 0:
                raise BadInputError(f"LinkSettings.{name} must be positive, got {getattr(self, name)}")


@dataclass
class LinkedPlace:
    """A gazetteer entity linked to a patch, placed relative to the patch centre.

    `distance_km` and `bearing_deg` go from the patch centre to the entity's representative point (0 and NaN
    when the footprint lies inside the entity's polygon); `direction` is `bearing_deg` on an 8-point compass, so
    a place with direction "NE" lies north-east of the patch (and the patch south-west of the place: see
    `direction_from_place`). `names` maps language codes to the entity's name in that language.
    """

    entity_id: str
    name: str
    feature_type: str
    relation: str
    distance_km: float
    bearing_deg: float
    direction: str
    population: int
    country_code: str
    admin1_name: str
    lat: float
    lon: float
    has_polygon: bool = False
    names: dict[str, str] = field(default_factory=dict)
    # Every current name, case-folded: a text mention must be one of them to count as this place.
    aliases: frozenset[str] = field(default_factory=frozenset, repr=False)

    def is_called(self, surface: str) -> bool:
        """Whether a text mention is one of the place's names (or its primary name)."""
        key = _folded(surface)
        return key == _folded(self.name) or key in self.aliases

    def name_in(self, lang: str) -> str:
        """The entity's name in `lang`, or its primary name."""
        return self.names.get(lang) or self.name

    @property
    def direction_from_place(self) -> str:
        """Where the patch lies as seen from the place (the opposite compass point)."""
        if not self.direction:
            return ""
        return COMPASS_POINTS[(COMPASS_POINTS.index(self.direction) + 4) % 8]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN bearings become None)."""
        data = asdict(self)
        del data["aliases"]
        data["bearing_deg"] = None if math.isnan(self.bearing_deg) else round(self.bearing_deg, 1)
        data["distance_km"] = round(self.distance_km, 3)
        return data


@dataclass
class PlaceLinks:
    """Everything `link_footprint` found for one footprint.

    Attributes:
        centre: (lon, lat) of the footprint's centroid.
        footprint_wkt: the footprint (EPSG:4326).
        country: the country it lies in, or None (open sea, a gazetteer without that country).
        admin: admin units below the country that contain it, most specific first.
        contained: entities inside or overlapping the footprint (towns, admin points, lakes...).
        natural: named natural features inside, overlapping or near the footprint, nearest first.
        nearest: the nearest populated places, nearest first.
        town: the nearest populated place of at least `LinkSettings.town_population` people, or None.
    """

    centre: tuple[float, float]
    footprint_wkt: str
    country: LinkedPlace | None = None
    admin: list[LinkedPlace] = field(default_factory=list)
    contained: list[LinkedPlace] = field(default_factory=list)
    natural: list[LinkedPlace] = field(default_factory=list)
    nearest: list[LinkedPlace] = field(default_factory=list)
    town: LinkedPlace | None = None

    @property
    def places(self) -> list[LinkedPlace]:
        """Every linked place once, most specific first (contained, natural, nearest, town, admin, country)."""
        seen: set[str] = set()
        ordered = []
        groups = (self.contained, self.natural, self.nearest, [self.town], self.admin, [self.country])
        for group in groups:
            for place in group:
                if place is not None and place.entity_id not in seen:
                    seen.add(place.entity_id)
                    ordered.append(place)
        return ordered

    def entity_ids(self) -> list[str]:
        """The gazetteer ids of every linked place, most specific first."""
        return [place.entity_id for place in self.places]

    @property
    def anchor(self) -> LinkedPlace | None:
        """The populated place a caption names: a town nearer than the nearest village's double distance wins
        (people know towns), else the nearest place, else the town."""
        if self.town is not None and (
            not self.nearest or self.town.distance_km <= 2 * self.nearest[0].distance_km
        ):
            return self.town
        return self.nearest[0] if self.nearest else self.town

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""

        def one(place: LinkedPlace | None) -> dict | None:
            return place.to_dict() if place is not None else None

        return {
            "centre": {"lon": round(self.centre[0], 6), "lat": round(self.centre[1], 6)},
            "footprint_wkt": self.footprint_wkt,
            "country": one(self.country),
            "admin": [p.to_dict() for p in self.admin],
            "contained": [p.to_dict() for p in self.contained],
            "natural": [p.to_dict() for p in self.natural],
            "nearest": [p.to_dict() for p in self.nearest],
            "town": one(self.town),
        }


# ---------------------------------------------------------------------------------------------------- geometry


def haversine_km(lon1: float, lat1: float, lon2: np.ndarray | float, lat2: np.ndarray | float) -> np.ndarray:
    """Great-circle distance in km from one point to one or many (degrees, numpy-vectorised)."""
    lon1r, lat1r = math.radians(lon1), math.radians(lat1)
    lon2r, lat2r = np.radians(lon2), np.radians(lat2)
    a = np.sin((lat2r - lat1r) / 2) ** 2 + math.cos(lat1r) * np.cos(lat2r) * np.sin((lon2r - lon1r) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Initial bearing from point 1 to point 2 in degrees clockwise from north (0..360)."""
    lat1r, lat2r = math.radians(lat1), math.radians(lat2)
    dlon = math.radians(lon2 - lon1)
    x = math.sin(dlon) * math.cos(lat2r)
    y = math.cos(lat1r) * math.sin(lat2r) - math.sin(lat1r) * math.cos(lat2r) * math.cos(dlon)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


def compass_point(bearing: float) -> str:
    """8-point compass name of a bearing ("" for NaN)."""
    if math.isnan(bearing):
        return ""
    return COMPASS_POINTS[int(((bearing % 360) + 22.5) // 45) % 8]


def _box_around(lon: float, lat: float, km: float) -> tuple[float, float, float, float]:
    """A lon/lat box that holds every point within `km` of (lon, lat) (clamped at the poles and antimeridian)."""
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    cos_lat = math.cos(math.radians(min(abs(lat) + dlat, 89.9)))
    dlon = min(180.0, dlat / max(cos_lat, 1e-6))
    return lon - dlon, max(-90.0, lat - dlat), lon + dlon, min(90.0, lat + dlat)


def check_footprint(footprint: Any, where: str = "footprint"):
    """A valid, non-empty shapely geometry in lon/lat range, from a shapely geometry or WKT.

    Raises:
        BadInputError: not a geometry, empty, or outside -180..180 / -90..90.
    """
    import shapely

    geometry = footprint
    if isinstance(footprint, str):
        try:
            geometry = shapely.from_wkt(footprint)
        except shapely.errors.GEOSException as error:
            raise BadInputError(f"{where}: not a WKT geometry ({error})") from None
    if not isinstance(geometry, shapely.Geometry):
        raise BadInputError(f"{where}: expected a shapely geometry or WKT, got {type(footprint).__name__}")
    if geometry.is_empty:
        raise BadInputError(f"{where}: the geometry is empty")
    xmin, ymin, xmax, ymax = geometry.bounds
    if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        raise BadInputError(
            f"{where}: bounds {geometry.bounds} are not longitudes/latitudes in EPSG:4326 "
            "(reproject the footprint first)"
        )
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    return geometry


def point_footprint(lon: float, lat: float, size_m: float = 0.0):
    """A footprint around a point: the point itself, or a square of `size_m` metres centred on it."""
    import shapely

    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise BadInputError(f"--lon {lon} --lat {lat}: not a longitude/latitude in EPSG:4326")
    if size_m <= 0:
        return shapely.Point(lon, lat)
    half_lat = math.degrees(size_m / 2000.0 / EARTH_RADIUS_KM)
    half_lon = half_lat / max(math.cos(math.radians(lat)), 1e-6)
    return shapely.box(lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)


# ---------------------------------------------------------------------------------------------------- gazetteer


def _folded(name: str) -> str:
    """A name for comparison: whitespace collapsed, case folded."""
    return " ".join(name.split()).casefold()


def best_name(names: Sequence[Mapping[str, Any]], primary: str, lang: str) -> str:
    """The name of an entity in `lang`.

    The primary name stands for English (GeoNames' and Natural Earth's primary names are the English or
    international form) and whenever it is one of the `lang` names; otherwise the preferred, short, then shortest
    current name in `lang`. All-capital names ("MOL", "USA") are codes tagged with a language, never chosen.
    """
    current = [
        n
        for n in names or ()
        if n.get("lang") == lang
        and n.get("name")
        and not n["name"].isupper()
        and not n.get("is_historic")
        and not n.get("is_colloquial")
    ]
    if lang == "en" and primary and (primary.isascii() or not current):
        return primary
    if not current or any(n["name"] == primary for n in current):
        return primary
    current.sort(key=lambda n: (not n.get("is_preferred"), not n.get("is_short"), len(n["name"]), n["name"]))
    return current[0]["name"]


class SpatialGazetteer:
    """Spatial lookups over the entities of a gazetteer index (see the module docstring).

    Args:
        table: entity rows with the `_COLUMNS` of ENTITY_SCHEMA (memory-mapped from the index).
        source: where the rows came from, for messages.
    """

    def __init__(self, table, source: str = "") -> None:
        import pyarrow.compute as pc
        import shapely

        missing = [c for c in _COLUMNS if c not in table.column_names]
        if missing:
            raise BadInputError(f"{source}: gazetteer rows lack the column(s) {', '.join(missing)}")
        self.source = source
        self.table = table
        self.lat = table.column("lat").to_numpy().astype(np.float64)
        self.lon = table.column("lon").to_numpy().astype(np.float64)
        self.population = table.column("population").fill_null(0).to_numpy().astype(np.int64)
        types = pc.dictionary_encode(table.column("feature_type").fill_null("")).combine_chunks()
        self.type_names: list[str] = types.dictionary.to_pylist()
        self.type_codes = types.indices.to_numpy(zero_copy_only=False)
        self._points = shapely.STRtree(shapely.points(self.lon, self.lat))
        geometry_types = table.column("geometry_type").fill_null("Point").to_numpy(zero_copy_only=False)
        self.shape_rows = np.flatnonzero(geometry_types != "Point")
        wkb = table.column("geometry").take(self.shape_rows).to_numpy(zero_copy_only=False)
        shapes = shapely.from_wkb(wkb, on_invalid="ignore")
        present = np.array([s is not None and not s.is_empty for s in shapes], dtype=bool)
        self.shape_rows, self.shapes = self.shape_rows[present], shapes[present]
        shapely.prepare(self.shapes)
        self._shapes = shapely.STRtree(self.shapes)
        self._has_shape = np.zeros(len(self.lat), dtype=bool)
        self._has_shape[self.shape_rows] = True
        self._admin = self._admin_table()
        self.country_names = self._country_names()

    @classmethod
    def from_index(cls, index: GazetteerIndex | str | Path) -> SpatialGazetteer:
        """Build from a GazetteerIndex (or its folder): the entity columns are memory-mapped, not copied."""
        import pyarrow as pa
        import pyarrow.ipc as ipc

        from data_builders.gazetteer.index import ENTITIES_FILE

        folder = Path(index.path if hasattr(index, "path") else index)
        if not (folder / ENTITIES_FILE).is_file() and (folder / "index" / ENTITIES_FILE).is_file():
            folder = folder / "index"
        path = folder / ENTITIES_FILE
        if not path.is_file():
            raise BadInputError(
                f"{folder}: not a gazetteer index (no {ENTITIES_FILE}); run `georeset gazetteer build`"
            )
        table = ipc.open_file(pa.memory_map(str(path))).read_all()
        return cls(table.select(list(_COLUMNS)), str(folder))

    def __len__(self) -> int:
        return len(self.lat)

    # -- rows

    def _type_mask(self, types: Iterable[str]) -> np.ndarray:
        codes = [i for i, name in enumerate(self.type_names) if name in set(types)]
        return np.isin(self.type_codes, codes) if codes else np.zeros(len(self.lat), dtype=bool)

    def feature_type(self, row: int) -> str:
        return self.type_names[self.type_codes[row]]

    def row(self, row: int) -> dict[str, Any]:
        """One entity row as a dict (without its geometry)."""
        columns = [c for c in _COLUMNS if c != "geometry"]
        return self.table.select(columns).slice(int(row), 1).to_pylist()[0]

    def _admin_table(self) -> dict[tuple, int]:
        """(type, country, admin1 code[, admin2 code]) -> row of the admin unit, the most described one first."""
        wanted = self._type_mask(ADMIN_TYPES)
        rows = np.flatnonzero(wanted)
        if not len(rows):
            return {}
        import pyarrow.compute as pc

        sub = self.table.select(["country_code", "admin1_code", "admin2_code", "names"]).take(rows)
        n_names = pc.list_value_length(sub.column("names")).fill_null(0).to_pylist()
        table: dict[tuple, tuple[tuple, int]] = {}
        for row, cc, a1, a2, count in zip(
            rows.tolist(),
            sub.column("country_code").to_pylist(),
            sub.column("admin1_code").to_pylist(),
            sub.column("admin2_code").to_pylist(),
            n_names,
            strict=True,
        ):
            kind = self.feature_type(row)
            if not cc:
                continue
            if kind == "country":
                key: tuple = ("country", cc)
            elif kind == "admin1" and a1:
                key = ("admin1", cc, a1)
            elif kind == "admin2" and a1 and a2:
                key = ("admin2", cc, a1, a2)
            else:
                continue
            # A polygon and more names mark the conflated, better described unit.
            rank = (bool(self._has_shape[row]), count, int(self.population[row]))
            if key not in table or rank > table[key][0]:
                table[key] = (rank, row)
        return {key: row for key, (_, row) in table.items()}

    def _country_names(self) -> dict[str, str]:
        """Case-folded name -> entity id of the countries (primary names first, then the other current ones)."""
        rows = np.flatnonzero(self._type_mask(("country",)))
        sub = self.table.select(["entity_id", "name", "names"]).take(rows).to_pylist()
        found: dict[str, str] = {}
        for data in sub:
            found.setdefault(_folded(data["name"] or ""), data["entity_id"])
        for data in sub:
            for name in data["names"] or ():
                if (
                    name.get("name")
                    and not name.get("is_historic")
                    and name.get("lang") not in ("code", "abbr")
                ):
                    found.setdefault(_folded(name["name"]), data["entity_id"])
        found.pop("", None)
        return found

    def place(
        self, row: int, relation: str, centre: tuple[float, float], languages: Sequence[str] = ("en",)
    ) -> LinkedPlace:
        """A LinkedPlace of one entity row, placed relative to `centre` (lon, lat)."""
        data = self.row(row)
        lon, lat = data["lon"], data["lat"]
        if relation == WITHIN:
            distance, bearing = 0.0, float("nan")
        else:
            distance = float(haversine_km(centre[0], centre[1], lon, lat))
            bearing = bearing_deg(centre[0], centre[1], lon, lat) if distance > 1e-6 else float("nan")
        names = {lang: best_name(data["names"], data["name"], lang) for lang in languages}
        aliases = frozenset(
            _folded(n["name"]) for n in data["names"] or () if n.get("name") and not n.get("is_historic")
        )
        return LinkedPlace(
            entity_id=data["entity_id"],
            name=data["name"] or "",
            feature_type=data["feature_type"] or "",
            relation=relation,
            distance_km=distance,
            bearing_deg=bearing,
            direction=compass_point(bearing),
            population=int(data["population"] or 0),
            country_code=data["country_code"] or "",
            admin1_name=data["admin1_name"] or "",
            lat=lat,
            lon=lon,
            has_polygon=bool(self._has_shape[row]),
            names=names,
            aliases=aliases,
        )

    # -- queries

    def points_near(self, lon: float, lat: float, km: float, types: Sequence[str] | None = None):
        """(rows, distances in km) of entity points within `km` of (lon, lat), nearest first."""
        import shapely

        rows = self._points.query(shapely.box(*_box_around(lon, lat, km)))
        if types is not None and len(rows):
            rows = rows[self._type_mask(types)[rows]]
        distances = haversine_km(lon, lat, self.lon[rows], self.lat[rows])
        keep = distances <= km
        rows, distances = rows[keep], distances[keep]
        order = np.lexsort((rows, distances))  # ties by row: deterministic
        return rows[order], distances[order]

    def nearest(
        self,
        lon: float,
        lat: float,
        k: int,
        max_km: float,
        types: Sequence[str],
        min_population: int = 0,
    ):
        """(rows, distances) of the k nearest entity points of `types` within `max_km`, widening the search box
        from a few km so dense areas stay cheap."""
        radius = min(5.0, max_km)
        while True:
            rows, distances = self.points_near(lon, lat, radius, types)
            if min_population:
                keep = self.population[rows] >= min_population
                rows, distances = rows[keep], distances[keep]
            if len(rows) >= k or radius >= max_km:
                return rows[:k], distances[:k]
            radius = min(radius * 3, max_km)

    def shapes_touching(self, footprint) -> list[tuple[int, str]]:
        """(row, relation) of the polygon/line entities that the footprint lies in, overlaps or contains."""
        import shapely

        hits = self._shapes.query(footprint, predicate="intersects")
        found = []
        for hit in hits.tolist():
            shape = self.shapes[hit]
            if shapely.contains(shape, footprint):
                relation = WITHIN
            elif shapely.contains(footprint, shape):
                relation = CONTAINS
            else:
                relation = OVERLAPS
            found.append((int(self.shape_rows[hit]), relation))
        return found

    def points_inside(self, footprint) -> np.ndarray:
        """Rows of entities that have only a point and whose point lies inside the footprint."""
        rows = self._points.query(footprint, predicate="intersects")
        return np.sort(rows[~self._has_shape[rows]])

    def admin_row(self, kind: str, *codes: str) -> int | None:
        """The row of an admin unit by its codes: ("country", "SI"), ("admin1", "SI", "61")..."""
        return self._admin.get((kind, *codes))


_CACHE: dict[tuple, SpatialGazetteer] = {}
_CACHE_LOCK = threading.Lock()


def spatial_gazetteer(index: GazetteerIndex | str | Path | None = None) -> SpatialGazetteer:
    """The SpatialGazetteer of a gazetteer index, built once per process (keyed by its folder and build time).

    Args:
        index: a GazetteerIndex, a gazetteer or index folder, a Hub id, or None for the default gazetteer.
    """
    from data_builders.gazetteer.index import ENTITIES_FILE, GazetteerIndex

    if not isinstance(index, GazetteerIndex):
        from data_builders.gazetteer import load_gazetteer

        index = load_gazetteer(index)
    path = Path(index.path) / ENTITIES_FILE
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE.clear()  # one gazetteer at a time: each holds ~50 MB of trees
            _CACHE[key] = SpatialGazetteer.from_index(index)
        return _CACHE[key]


def link_footprint(
    footprint: Any,
    gazetteer: SpatialGazetteer,
    settings: LinkSettings | None = None,
    *,
    languages: Sequence[str] = ("en",),
) -> PlaceLinks:
    """Link an EPSG:4326 footprint (shapely geometry or WKT; a point works too) to gazetteer places.

    Args:
        footprint: the patch outline (`Patch.footprint()`).
        gazetteer: `spatial_gazetteer(...)`.
        settings: radii and counts.
        languages: languages whose names each linked place carries (`LinkedPlace.names`).

    Raises:
        BadInputError: the footprint is not a valid lon/lat geometry.
    """
    settings = settings or LinkSettings()
    footprint = check_footprint(footprint)
    centroid = footprint.centroid
    centre = (float(centroid.x), float(centroid.y))
    links = PlaceLinks(centre=centre, footprint_wkt=footprint.wkt)

    def place(row: int, relation: str) -> LinkedPlace:
        return gazetteer.place(row, relation, centre, languages)

    # Polygons and lines: the units the footprint lies in, and features it crosses or contains.
    by_type: dict[str, list[LinkedPlace]] = defaultdict(list)
    for row, relation in gazetteer.shapes_touching(footprint):
        by_type[gazetteer.feature_type(row)].append(place(row, relation))
    for places in by_type.values():  # within before overlaps before contains, then nearest
        order = {WITHIN: 0, OVERLAPS: 1, CONTAINS: 2}
        places.sort(key=lambda p: (order[p.relation], p.distance_km, p.entity_id))

    nearest_rows, nearest_km = gazetteer.nearest(
        *centre, settings.nearest_places, settings.max_place_km, POPULATED_TYPES
    )
    links.nearest = [place(row, NEARBY) for row in nearest_rows.tolist()]
    for linked in links.nearest:
        if footprint.covers(_point(linked.lon, linked.lat)):
            linked.relation = CONTAINS
    town_rows, _ = gazetteer.nearest(
        *centre, 1, settings.max_town_km, POPULATED_TYPES, min_population=max(1, settings.town_population)
    )
    if len(town_rows):
        links.town = place(int(town_rows[0]), NEARBY)
        if footprint.covers(_point(links.town.lon, links.town.lat)):
            links.town.relation = CONTAINS

    # Country and admin units: a containing polygon first, else the admin path of the nearest populated place.
    countries = [p for p in by_type.get("country", []) if p.relation in (WITHIN, OVERLAPS)]
    path_of = gazetteer.row(int(nearest_rows[0])) if len(nearest_rows) else None
    if countries:
        links.country = countries[0]
    elif path_of and path_of["country_code"]:
        row = gazetteer.admin_row("country", path_of["country_code"])
        if row is not None:
            links.country = place(row, ADMIN_PATH)
    for kind in ("admin3", "admin2", "admin1"):
        polygons = [p for p in by_type.get(kind, []) if p.relation in (WITHIN, OVERLAPS)]
        if polygons:
            links.admin.append(polygons[0])
            continue
        if not path_of or not path_of["country_code"] or not path_of["admin1_code"]:
            continue
        if kind == "admin1":
            row = gazetteer.admin_row("admin1", path_of["country_code"], path_of["admin1_code"])
        elif kind == "admin2" and path_of["admin2_code"]:
            row = gazetteer.admin_row(
                "admin2", path_of["country_code"], path_of["admin1_code"], path_of["admin2_code"]
            )
        else:
            row = None
        if row is not None:
            links.admin.append(place(row, ADMIN_PATH))

    # What lies inside the footprint: shapes it contains or overlaps (not the units it lies in), points inside.
    inside = [p for kind, places in by_type.items() if kind not in ("country", "continent") for p in places]
    units = {p.entity_id for p in links.admin}
    inside = [p for p in inside if p.relation in (CONTAINS, OVERLAPS) and p.entity_id not in units]
    inside += [
        linked
        for linked in (place(row, CONTAINS) for row in gazetteer.points_inside(footprint).tolist())
        if linked.entity_id not in units
    ]
    inside.sort(key=lambda p: (-p.population, p.distance_km, p.entity_id))
    links.contained = inside[: settings.max_contained]

    # Natural features: shapes touching the footprint, points within natural_km of it.
    natural = [p for kind in NATURAL_TYPES for p in by_type.get(kind, [])]
    reach = settings.natural_km + _radius_km(footprint, centre)
    rows, _ = gazetteer.points_near(*centre, reach, NATURAL_TYPES)
    known = {p.entity_id for p in natural}
    for row in rows.tolist():
        linked = place(row, NEARBY)
        if linked.entity_id in known:
            continue
        if footprint.covers(_point(linked.lon, linked.lat)):
            linked.relation = CONTAINS
        natural.append(linked)
    natural.sort(key=lambda p: (p.relation == NEARBY, p.distance_km, p.entity_id))
    links.natural = natural[: settings.max_natural]
    return links


def _point(lon: float, lat: float):
    import shapely

    return shapely.Point(lon, lat)


def _radius_km(footprint, centre: tuple[float, float]) -> float:
    """Distance from the centre to the farthest corner of the footprint's bounds."""
    xmin, ymin, xmax, ymax = footprint.bounds
    corners_lon = np.array([xmin, xmin, xmax, xmax])
    corners_lat = np.array([ymin, ymax, ymin, ymax])
    return float(haversine_km(centre[0], centre[1], corners_lon, corners_lat).max())


# ---------------------------------------------------------------------------------------------------- geotext


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'«“(]?[A-Z0-9À-Ý])|\n+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line of a text, without surrounding whitespace."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed


@dataclass
class Passage:
    """A few consecutive sentences of one geotext document, with the toponyms inside them.

    Toponym offsets are relative to `text`. `passage_id` is `<document id>#<n>`.
    """

    passage_id: str
    doc_id: str
    text: str
    source: str
    lang: str
    title: str
    url: str
    toponyms: list[dict[str, Any]]

    def provenance(self) -> dict[str, Any]:
        """Where the passage comes from (for an example's provenance)."""
        return {
            "passage_id": self.passage_id,
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
            "url": self.url,
            "lang": self.lang,
        }


@dataclass
class PassageLink:
    """A passage linked to a patch through one of its linked places.

    `place` is the linked place the passage mentions (by gazetteer id, or by coordinates within the search
    radius), `mentions` the toponyms of the passage that matched it.
    """

    passage: Passage
    place: LinkedPlace
    how: str  # "entity_id" or "coordinates"
    mentions: list[dict[str, Any]]
    distance_km: float


def split_passages(record: Mapping[str, Any], max_chars: int = 600) -> list[Passage]:
    """Cut a geotext record into passages of whole sentences (lines never join), at most `max_chars` each
    unless one sentence is longer."""
    text = record["text"]
    lines: list[list[tuple[int, int]]] = []
    for start, end in sentence_spans(text):
        newline = bool(lines) and "\n" in text[lines[-1][-1][1] : start]
        if not lines or newline or end - lines[-1][0][0] > max_chars:
            lines.append([(start, end)])
        else:
            lines[-1].append((start, end))
    passages = []
    toponyms = sorted(record.get("toponyms") or [], key=lambda t: t["start"])
    for number, group in enumerate(lines):
        start, end = group[0][0], group[-1][1]
        inside = [
            {**t, "start": t["start"] - start, "end": t["end"] - start}
            for t in toponyms
            if t["start"] >= start and t["end"] <= end
        ]
        passages.append(
            Passage(
                passage_id=f"{record['id']}#{number}",
                doc_id=record["id"],
                text=text[start:end],
                source=record.get("source", ""),
                lang=record.get("lang", ""),
                title=record.get("title", ""),
                url=record.get("url", ""),
                toponyms=inside,
            )
        )
    return passages


# A passage that names more other places than this is a list (of municipalities, neighbours...): ranked last.
LIST_PASSAGE_PLACES = 6
# Linked places of these types are specific to a patch; a passage about them beats one about its country.
_SPECIFICITY = {"country": 3, "admin1": 2, "admin2": 1, "admin3": 1}


class PassageIndex:
    """Passages of geotext documents, looked up by the gazetteer ids and coordinates of their toponyms.

    Args:
        passages: passages with toponyms (passages without any are not indexed).
    """

    def __init__(self, passages: Iterable[Passage]) -> None:
        self.passages: list[Passage] = []
        self.by_entity: dict[str, list[int]] = defaultdict(list)
        self.documents: Counter = Counter()
        lons, lats, owners = [], [], []
        about: dict[str, Counter] = defaultdict(Counter)
        for passage in passages:
            if not passage.toponyms:
                continue
            number = len(self.passages)
            self.passages.append(passage)
            self.documents[passage.source] += 1
            for toponym in passage.toponyms:
                entity_id = toponym.get("entity_id") or ""
                if entity_id:
                    if not self.by_entity[entity_id] or self.by_entity[entity_id][-1] != number:
                        self.by_entity[entity_id].append(number)
                    about[passage.doc_id][entity_id] += 1
                if toponym.get("lat") is not None and toponym.get("lon") is not None:
                    lons.append(toponym["lon"])
                    lats.append(toponym["lat"])
                    owners.append(number)
        self.lon = np.array(lons, dtype=np.float64)
        self.lat = np.array(lats, dtype=np.float64)
        self.owner = np.array(owners, dtype=np.int64)
        # The entity a document names most is what it is about: its passages rank first for that entity.
        self.doc_subject = {doc: counts.most_common(1)[0][0] for doc, counts in about.items() if counts}

    def __len__(self) -> int:
        return len(self.passages)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]], max_chars: int = 600) -> PassageIndex:
        """Index geotext records (`data_builders.geotext.schema` dicts)."""
        return cls(p for record in records for p in split_passages(record, max_chars))

    @classmethod
    def from_dataset(cls, path_or_repo: str | Path, max_chars: int = 600) -> PassageIndex:
        """Index a geotext dataset folder or Hub id (`georeset geotext build`)."""
        from data_builders.geotext.dataset_io import load_geotext

        return cls.from_records(load_geotext(path_or_repo), max_chars)

    def passages_for(
        self,
        links: PlaceLinks,
        *,
        within_km: float = 5.0,
        limit: int = 5,
        country_names: Mapping[str, str] | None = None,
    ) -> list[PassageLink]:
        """Passages that mention the linked places, most specific place first.

        A passage qualifies when one of its toponyms carries a linked place's gazetteer id and is written as one
        of that place's names, or (toponyms known only by coordinates, such as benchmark gold) lies within
        `within_km` of the patch centre. Ranking: the place's specificity (towns, features and points inside
        before admin units before the country), then passages of a document about that place (that names it most
        or is titled with one of its names), then fewer other
        places named, then passage id; passages that list more than `LIST_PASSAGE_PLACES` other places come
        after all others.

        `country_names` (`SpatialGazetteer.country_names`) guards against a known slip of distant labels: a
        mention written as a country's name ("Luxembourg") counts only for that country, never for a smaller
        place that also bears the name (the Paris district "Paris 06 Luxembourg").
        """
        country_names = country_names or {}
        found: dict[int, tuple[tuple, PassageLink]] = {}
        for place_rank, place in enumerate(links.places):
            for number in self.by_entity.get(place.entity_id, ()):
                passage = self.passages[number]
                # A mention counts only under one of the place's names: distant labels are sometimes wrong
                # ("Luxembourg" the country labelled as the Paris district "Paris 06 Luxembourg").
                mentions = [
                    t
                    for t in passage.toponyms
                    if t.get("entity_id") == place.entity_id
                    and place.is_called(t.get("surface", ""))
                    and country_names.get(_folded(t.get("surface", "")), place.entity_id) == place.entity_id
                ]
                if not mentions:
                    continue
                others = len({t.get("entity_id") for t in passage.toponyms}) - 1
                key = (
                    others > LIST_PASSAGE_PLACES,  # a list of names says nothing about any of them
                    _SPECIFICITY.get(place.feature_type, 0),
                    # A document about the place: it names the place most, or is titled with its name.
                    self.doc_subject.get(passage.doc_id) != place.entity_id
                    and not place.is_called(passage.title),
                    others,
                    place_rank,
                    passage.passage_id,
                )
                link = PassageLink(passage, place, "entity_id", mentions, place.distance_km)
                if number not in found or key < found[number][0]:
                    found[number] = (key, link)
        if len(self.owner) and within_km > 0:
            distances = haversine_km(links.centre[0], links.centre[1], self.lon, self.lat)
            near = np.flatnonzero(distances <= within_km)
            if len(near):
                anchor = links.anchor or (links.places[0] if links.places else None)
                for number in sorted(set(self.owner[near].tolist())):
                    if number in found or anchor is None:
                        continue
                    passage = self.passages[number]
                    mentions = [
                        t
                        for t in passage.toponyms
                        if t.get("lat") is not None
                        and float(haversine_km(links.centre[0], links.centre[1], t["lon"], t["lat"]))
                        <= within_km
                        and _folded(t.get("surface", "")) not in country_names  # a mislabelled country name
                    ]
                    if not mentions:
                        continue
                    distance = min(
                        float(haversine_km(links.centre[0], links.centre[1], t["lon"], t["lat"]))
                        for t in mentions
                    )
                    others = len(passage.toponyms) - len(mentions)
                    key = (others > LIST_PASSAGE_PLACES, 0, True, others, distance, passage.passage_id)
                    found[number] = (key, PassageLink(passage, anchor, "coordinates", mentions, distance))
        ranked = sorted(found.values(), key=lambda item: item[0])
        return [link for _, link in ranked[:limit]]


__all__ = [
    "ADMIN_PATH",
    "ADMIN_TYPES",
    "COMPASS_POINTS",
    "CONTAINS",
    "NATURAL_TYPES",
    "NEARBY",
    "OVERLAPS",
    "POPULATED_TYPES",
    "WITHIN",
    "LinkSettings",
    "LinkedPlace",
    "Passage",
    "PassageIndex",
    "PassageLink",
    "PlaceLinks",
    "SpatialGazetteer",
    "bearing_deg",
    "best_name",
    "check_footprint",
    "compass_point",
    "haversine_km",
    "link_footprint",
    "point_footprint",
    "sentence_spans",
    "spatial_gazetteer",
    "split_passages",
]
