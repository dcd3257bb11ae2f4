"""GeoJSON geometries of the output: the fast ragged-array path gives what shapely's `mapping` gives, rounded."""

from __future__ import annotations

import json

import pytest
import shapely
import shapely.affinity
from shapely.geometry import mapping

from modeling.geoparsing.output import geojson_geometry

SQUARE = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (0.0, 0.0)]
HOLE = [(0.5, 0.5), (1.0, 0.5), (1.0, 1.0), (0.5, 0.5)]


@pytest.mark.parametrize(
    "wkt",
    [
        "POINT (1.5 -2.25)",
        "POINT Z (1 2 3)",
        "LINESTRING (0 0, 1 1, 2 0.5)",
        "MULTIPOINT ((0 0), (1 1))",
        "MULTILINESTRING ((0 0, 1 1), (2 2, 3 3, 4 2))",
        shapely.Polygon(SQUARE, [HOLE]).wkt,
        shapely.MultiPolygon(
            [shapely.Polygon(SQUARE, [HOLE]), shapely.Polygon([(5, 5), (6, 5), (6, 6), (5, 5)])]
        ).wkt,
        "GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (0 0, 1 1))",
        "POLYGON EMPTY",
    ],
)
def test_geojson_geometry_matches_shapely_mapping(wkt):
    geometry = shapely.from_wkt(wkt)
    expected = json.loads(json.dumps(mapping(geometry)))  # tuples -> lists
    nudged = shapely.affinity.translate(geometry, 1e-9, -1e-9)
    assert geojson_geometry(nudged) == expected  # rounded to 6 decimals
    got = geojson_geometry(geometry)
    assert got == expected
    assert json.loads(json.dumps(got)) == got  # JSON-ready: lists all the way down


def test_large_multipolygon_keeps_every_vertex():
    circles = [shapely.Point(10 * i, 0).buffer(3, quad_segs=500) for i in range(20)]
    geometry = shapely.MultiPolygon(circles)
    got = geojson_geometry(geometry)
    rounded = shapely.transform(geometry, lambda coords: coords.round(6))
    assert got == json.loads(json.dumps(mapping(rounded)))
    assert got != json.loads(json.dumps(mapping(geometry)))  # the circles' vertices have more than 6 decimals
    assert sum(len(polygon[0]) for polygon in got["coordinates"]) == shapely.get_num_coordinates(geometry)
