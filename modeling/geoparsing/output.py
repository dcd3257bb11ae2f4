"""From a ranked candidate to the user's `Toponym`, and from a document to a GeoJSON FeatureCollection."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from data_builders.gazetteer.taxonomy import ADMIN1, ADMIN2, COUNTRY
from modeling.geoparsing.countries import country_display_name
from modeling.geoparsing.types import STAGE_NO_MATCH, GeoparsedDoc, Mention, ScoredCandidate, Toponym

if TYPE_CHECKING:
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
        cached = self._cache.get(candidate.entity_id)
        if cached is None:
            import shapely

            geometry = self.index.geometry(candidate.entity_id)
            cached = shapely.geometry.mapping(geometry) if geometry is not None else point
            cached = _plain(cached)
            self._cache[candidate.entity_id] = cached
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return cached


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
