"""Gazetteer coverage of a corpus: could any resolver have found each gold place at all?

`coverage_cap` is the share of gold toponyms for which the gazetteer index returns, for the gold surface form
(top 50, fuzzy), at least one candidate within 161 km of the gold point, a candidate whose polygon footprint
contains the gold point counting at distance 0. Acc@161km divided by it separates resolution quality from what
the gazetteer holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from data_builders.geotext.corpora import GoldToponym
from eval.geoparsing.scoring import ACC_THRESHOLD_KM, great_circle_km

COVERAGE_TOP_K = 50


class CandidateIndex(Protocol):
    """What coverage needs from `data_builders.gazetteer.GazetteerIndex`."""

    def lookup(self, name: str, top_k: int = ..., fuzzy: bool = ...) -> Sequence[Any]: ...

    def geometry(self, entity_id: str) -> Any: ...


def _bbox_contains(bbox: Any, lat: float, lon: float) -> bool:
    """Whether a candidate's bounding box (a mapping or an (xmin, ymin, xmax, ymax) sequence) holds the point.

    An unknown bbox layout answers True, so the exact polygon test still runs.
    """
    if bbox is None:
        return True
    if isinstance(bbox, dict):
        try:
            xmin, ymin, xmax, ymax = (bbox[k] for k in ("xmin", "ymin", "xmax", "ymax"))
        except KeyError:
            return True
    else:
        try:
            xmin, ymin, xmax, ymax = bbox
        except (TypeError, ValueError):
            return True
    if None in (xmin, ymin, xmax, ymax):
        return True
    return xmin <= lon <= xmax and ymin <= lat <= ymax


class CoverageChecker:
    """Nearest-candidate distances of gold toponyms, with index lookups and polygon tests cached."""

    def __init__(self, index: CandidateIndex, top_k: int = COVERAGE_TOP_K) -> None:
        self.index = index
        self.top_k = top_k
        self._candidates: dict[str, Sequence[Any]] = {}
        self._geometries: dict[str, Any] = {}

    def candidates(self, name: str) -> Sequence[Any]:
        if name not in self._candidates:
            self._candidates[name] = self.index.lookup(name, top_k=self.top_k, fuzzy=True)
        return self._candidates[name]

    def _inside_polygon(self, candidate: Any, lat: float, lon: float) -> bool:
        if not getattr(candidate, "has_polygon", False) or not _bbox_contains(
            getattr(candidate, "bbox", None), lat, lon
        ):
            return False
        from shapely import Point  # shapely is only needed when a polygon is tested

        entity_id = candidate.entity_id
        if entity_id not in self._geometries:
            self._geometries[entity_id] = self.index.geometry(entity_id)
        geometry = self._geometries[entity_id]
        return geometry is not None and geometry.covers(Point(lon, lat))

    def nearest_km(self, toponym: GoldToponym) -> float | None:
        """Distance from the gold point to the nearest candidate for the gold surface form (None: no candidate).

        Raises:
            ValueError: the toponym has no gold coordinates.
        """
        if not toponym.has_coordinates:
            raise ValueError(f"gold toponym {toponym.text!r} at {toponym.start} has no coordinates")
        best = None
        for candidate in self.candidates(toponym.text):
            if self._inside_polygon(candidate, toponym.lat, toponym.lon):
                return 0.0
            if candidate.lat is None or candidate.lon is None:
                continue
            distance = great_circle_km(candidate.lat, candidate.lon, toponym.lat, toponym.lon)
            best = distance if best is None else min(best, distance)
        return best


def coverage_cap(
    index: CandidateIndex, toponyms: Iterable[GoldToponym], radius_km: float = ACC_THRESHOLD_KM
) -> float | None:
    """Share of gold toponyms (with coordinates) that have a gazetteer candidate within `radius_km`.

    Args:
        index: the gazetteer index (`data_builders.gazetteer.load_gazetteer()`).
        toponyms: gold toponyms; those without coordinates are skipped.
        radius_km: the distance under which a candidate counts (161 km, as Acc@161km).

    Returns:
        The share in [0, 1], or None when no toponym has coordinates.
    """
    checker = CoverageChecker(index)
    distances = [checker.nearest_km(t) for t in toponyms if t.has_coordinates]
    if not distances:
        return None
    return sum(d is not None and d < radius_km for d in distances) / len(distances)


__all__ = ["COVERAGE_TOP_K", "CandidateIndex", "CoverageChecker", "coverage_cap"]
