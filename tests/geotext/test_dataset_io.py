"""Write, load and publish geotext datasets: parquet + card + report, `load_dataset` locally and from a Hub."""

from __future__ import annotations

import pytest

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.dataset_io import load_geotext, push_geotext, read_build_report, write_geotext
from data_builders.geotext.schema import make_record, make_toponym
from georeset.errors import BadInputError


def records():
    text = "Rain in Paris and Lyon."
    yield make_record(
        "factbook:1",
        text,
        source="factbook",
        toponyms=[
            make_toponym(
                text, 8, 13, entity_id="geonames:2988507", lat=48.85, lon=2.35, label_source="distant"
            )
        ],
    )
    yield make_record("text:2", "No places.", source="text")
    yield make_record("text:2", "Duplicate id.", source="text")


def test_write_and_load_round_trip(tmp_path):
    report = BuildReport()
    result = write_geotext(records(), tmp_path / "geo", report=report, progress=False, shard_rows=1)
    assert result.documents == 2 and result.toponyms == {"distant": 1}
    assert len(list((tmp_path / "geo" / "data").glob("train-*.parquet"))) == 2
    card = (tmp_path / "geo" / "README.md").read_text(encoding="utf-8")
    assert "path: data/*.parquet" in card and "public domain" in card
    assert read_build_report(tmp_path / "geo")["rejected"][0]["reason"] == "duplicate document id"
    dataset = load_geotext(tmp_path / "geo")
    rows = sorted(dataset, key=lambda r: r["id"])
    assert rows[0]["toponyms"][0]["entity_id"] == "geonames:2988507" and rows[1]["toponyms"] == []


def test_bad_input(tmp_path):
    with pytest.raises(BadInputError, match="no document"):
        write_geotext(iter(()), tmp_path / "empty", report=BuildReport(), progress=False)
    assert not (tmp_path / "empty").exists()
    with pytest.raises(BadInputError, match="outside a text"):
        make_toponym("Paris", 3, 9, label_source="gold")
    with pytest.raises(BadInputError, match="label_source"):
        make_toponym("Paris", 0, 5, label_source="guess")
    (tmp_path / "nodata").mkdir()
    with pytest.raises(BadInputError, match="not a geotext dataset folder"):
        load_geotext(tmp_path / "nodata")


def test_push_and_load_from_hub(tmp_path, hub_env):
    write_geotext(records(), tmp_path / "geo", report=BuildReport(), progress=False)
    push_geotext(tmp_path / "geo", "georeset/geotext-test")
    dataset = load_geotext("georeset/geotext-test")
    assert sorted(dataset["id"]) == ["factbook:1", "text:2"]
