"""The Factbook reader on files in the package's real layout (`data/<region>/<code>.json`), labelled by the
gazetteer with the document's country deciding ambiguous names."""

from __future__ import annotations

import json

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.factbook import factbook_text, read_factbook


def _write(folder, region, code, data):
    path = folder / region / f"{code}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")


def _country(short, background, location):
    return {
        "Introduction": {"Background": {"text": f"<p>{background}</p>"}},
        "Geography": {"Location": {"text": location}, "Coastline": {"text": "3,427 km"}},
        "Government": {"Country name": {"conventional short form": {"text": short}}},
    }


def test_factbook_text_keeps_prose_and_drops_figures():
    text = factbook_text(_country("France", "The capital is Paris &amp; more.", "Western Europe, near Spain"))
    assert "Introduction - Background: The capital is Paris & more." in text
    assert "3,427 km" not in text  # a figure, not prose


def test_read_factbook_labels_with_document_country(tmp_path, gazetteer):
    _write(
        tmp_path,
        "europe",
        "fr",
        _country("France", "France was ruled from Paris and Lyon.", "Western Europe"),
    )
    _write(
        tmp_path,
        "north-america",
        "us",
        _country("United States", "Paris grew near Springfield in Texas.", "North America"),
    )
    _write(tmp_path, "world", "broken", "{not json")
    report = BuildReport()
    records = {r["id"]: r for r in read_factbook(gazetteer, report, tmp_path)}
    assert set(records) == {"factbook:europe/fr", "factbook:north-america/us"}
    france = records["factbook:europe/fr"]
    labels = {t["surface"]: (t["entity_id"], t["label_source"], t["confidence"]) for t in france["toponyms"]}
    assert labels["France"] == ("geonames:3017382", "distant", 1.0)
    assert labels["Paris"] == ("geonames:2988507", "distant", 0.9)  # ambiguous, settled by the page's country
    us = records["factbook:north-america/us"]
    us_labels = {t["surface"]: t["entity_id"] for t in us["toponyms"]}
    assert us_labels["Paris"] == "geonames:4717560"
    assert "Springfield" not in us_labels  # two Springfields in the US: the evidence does not settle it
    for record in records.values():
        for topo in record["toponyms"]:
            assert record["text"][topo["start"] : topo["end"]] == topo["surface"]
    rejected = report.to_dict()["rejected"]
    assert rejected[0]["reason"] == "unreadable JSON file" and rejected[0]["count"] == 1
