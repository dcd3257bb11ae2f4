"""Make a source's geometry valid without changing its kind: a repaired polygon stays polygonal."""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

POLYGONAL = ("Polygon", "MultiPolygon")


def make_valid_keeping_kind(geometry: BaseGeometry) -> BaseGeometry:
    """`shapely.make_valid`, minus the stray lines and points it adds when it splits a self-intersecting polygon.

    A bowtie polygon becomes two triangles (a MultiPolygon), not a collection of triangles and a point; a single
    remaining polygon is returned as a Polygon. Other kinds of geometry are returned as make_valid gives them. An
    empty geometry means nothing polygonal was left.
    """
    repaired = shapely.make_valid(geometry)
    if geometry.geom_type not in POLYGONAL or repaired.geom_type in POLYGONAL:
        return repaired
    polygons = []
    for part in shapely.get_parts(repaired):
        if part.geom_type == "Polygon":
            polygons.append(part)
        elif part.geom_type == "MultiPolygon":
            polygons.extend(part.geoms)
    if not polygons:
        return shapely.MultiPolygon()
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


__all__ = ["make_valid_keeping_kind"]
