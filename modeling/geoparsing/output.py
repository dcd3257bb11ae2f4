"""From a ranked candidate to the user's `Toponym`, and from a document to a GeoJSON FeatureCollection."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from data_builders.gazetteer.taxonomy import ADMIN1, ADMIN2, COUNTRY
from modeling.geoparsing.countries import country_display_name
from modeling.geoparsing.types import STAGE_NO_MATCH, GeoparsedDoc, Mention, ScoredCandidate, Toponym

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from data_builders.gazetteer.index import Candidate, GazetteerIndex


def admin_path(candidate: Candidate) -> str:
    """ "Country > Admin1 > Admin2" above the candidate (the candidate itself left out)."""
    parts = []
    if candidate.country_code and candidate.feature_type != COUNTRY:
        parts.append(country_display_name(candidate.country_code))
    if candidate.admin1_name and candidate.feature_type not in (COUNTRY, ADMIN1):
        parts.append(candidate.admin1_name)
    if candidate.admin2_name and candidate.feature_type not in (COUNTRY, ADMIN1, ADMIN2):
        parts.append(candidate.admin2_name)
    return " > ".join(dict.fromkeys(p for p in parts if p))


class GeometryCache:
    """GeoJSON geometries of entities, read from the gazetteer on demand and kept for reuse.

    A point geometry is built from the candidate without touching the index; polygons are read once.
    """

    def __init__(self, index: GazetteerIndex | None, size: int = 4096) -> None:
        self.index = index
        self.size = size
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def __call__(self, candidate: Candidate) -> dict[str, Any]:
        point = {"type": "Point", "coordinates": [candidate.lon, candidate.lat]}
        if not candidate.has_polygon or self.index is None:
            return point
        return self.of_entity(candidate.entity_id, point)

    def of_entity(self, entity_id: str, point: dict[str, Any]) -> dict[str, Any]:
        """The footprint of an entity that has one (`point` where the index has none)."""
        cached = self._cache.get(entity_id)
        if cached is None:
            geometry = self.index.geometry(entity_id) if self.index is not None else None
            cached = geojson_geometry(geometry) if geometry is not None else point
            self._cache[entity_id] = cached
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return cached


class PolygonsLater(GeometryCache):
    """A worker process's geometries: a footprint is left for the parent process (`fill`), whose cache serves every
    worker, so that no large polygon is converted in each worker and then pickled back."""

    MARK = "georeset.polygon_later"

    def __call__(self, candidate: Candidate) -> dict[str, Any]:
        point = {"type": "Point", "coordinates": [candidate.lon, candidate.lat]}
        if not candidate.has_polygon or self.index is None:
            return point
        return {"type": self.MARK, "entity_id": candidate.entity_id, "point": point}

    @classmethod
    def fill(cls, docs: list[GeoparsedDoc], geometry: GeometryCache) -> None:
        """Replace the marks of `docs` with footprints from `geometry`."""
        for doc in docs:
            for toponym in doc.toponyms:
                mark = toponym.geometry
                if mark is not None and mark["type"] == cls.MARK:
                    toponym.geometry = geometry.of_entity(mark["entity_id"], mark["point"])


COORDINATE_DECIMALS = 6
"""Decimals of output footprint coordinates (about 0.1 m; RFC 7946 11.2): a country polygon's JSON is half as long as
with every float's 17 digits, and as precise as the sources."""


def geojson_geometry(geometry: BaseGeometry) -> dict[str, Any]:
    """A shapely geometry as a GeoJSON geometry dict with JSON-ready lists, coordinates rounded to
    `COORDINATE_DECIMALS` (else what `shapely.geometry.mapping` gives).

    Coordinates are sliced out of one NumPy array by the ragged-array offsets: ten times faster than `mapping` on
    a country's polygons (tens of thousands of vertices), which made the first output of a large place costly.
    """
    import shapely

    kind = geometry.geom_type
    if geometry.is_empty or kind == "GeometryCollection":  # rare: the general path
        geometry = shapely.transform(geometry, lambda coords: coords.round(COORDINATE_DECIMALS))
        return _plain(shapely.geometry.mapping(geometry))
    if kind == "Point":
        return {"type": kind, "coordinates": [round(c, COORDINATE_DECIMALS) for c in geometry.coords[0]]}
    _, coords, offsets = shapely.to_ragged_array([geometry])
    points = coords.round(COORDINATE_DECIMALS).tolist()

    def nest(level: int, low: int, high: int) -> list:
        if level < 0:
            return points[low:high]
        bounds = offsets[level]
        return [nest(level - 1, int(bounds[i]), int(bounds[i + 1])) for i in range(low, high)]

    # The outermost offsets hold the one geometry given: its parts are items [top[0], top[1]) of the next level.
    top = offsets[-1]
    return {"type": kind, "coordinates": nest(len(offsets) - 2, int(top[0]), int(top[1]))}


def _plain(value: Any) -> Any:
    """shapely's mapping uses tuples; JSON-ready output uses lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def make_toponym(
    mention: Mention,
    chosen: ScoredCandidate | None,
    confidence: float,
    stage: str,
    considered: list[ScoredCandidate],
    geometry: GeometryCache,
    *,
    max_candidates: int = 10,
) -> Toponym:
    """The output record of one mention: the chosen entity (or none) and the candidates that were considered."""
    summaries = [c.summary() for c in considered[:max_candidates]]
    if chosen is None:
        return Toponym(
            start=mention.start,
            end=mention.end,
            text=mention.text,
            confidence=round(confidence, 4),
            stage=STAGE_NO_MATCH,
            mention_source=mention.source,
            candidates=summaries,
        )
    cand = chosen.candidate
    return Toponym(
        start=mention.start,
        end=mention.end,
        text=mention.text,
        entity_id=cand.entity_id,
        name=cand.name,
        lat=cand.lat,
        lon=cand.lon,
        country_code=cand.country_code or None,
        feature_type=cand.feature_type,
        admin_path=admin_path(cand),
        geometry=geometry(cand),
        confidence=round(confidence, 4),
        stage=stage,
        geonames_id=cand.geonames_id,
        wikidata_id=cand.wikidata_id or None,
        osm_id=cand.osm_id or None,
        mention_source=mention.source,
        candidates=summaries,
    )


def to_geojson(doc: GeoparsedDoc) -> dict[str, Any]:
    """A FeatureCollection with one feature per resolved toponym (no-matches have no geometry and are left out)."""
    features = []
    for toponym in doc.toponyms:
        if toponym.entity_id is None:
            continue
        properties = toponym.to_dict(with_geometry=False)
        geometry = toponym.geometry or {"type": "Point", "coordinates": [toponym.lon, toponym.lat]}
        features.append(
            {"type": "Feature", "id": toponym.entity_id, "geometry": geometry, "properties": properties}
        )
    return {"type": "FeatureCollection", "features": features}


__all__ = ["GeometryCache", "admin_path", "make_toponym", "to_geojson"]
