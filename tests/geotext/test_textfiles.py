"""Plain text, JSONL and CSV collections, with bad rows counted; silver labels from a geoparser."""

from __future__ import annotations

import json

import pytest

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.textfiles import read_texts, silver_labels
from georeset.errors import BadInputError


def test_txt_folder_jsonl_and_csv(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("Rain in Paris.", encoding="utf-8")
    (folder / "b.txt").write_text("   ", encoding="utf-8")
    (folder / "c.txt").write_bytes(b"\xff\xfe bad bytes")
    report = BuildReport()
    records = list(read_texts(folder, report))
    assert [r["title"] for r in records] == ["a"] and records[0]["source"] == "text"
    reasons = {row["reason"] for row in report.to_dict()["rejected"]}
    assert reasons == {"document without text", "file is not UTF-8 text"}

    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text(
        json.dumps({"id": "d1", "text": "Lyon and Marseille.", "url": "http://x"})
        + "\n{broken\n"
        + json.dumps(["not", "an", "object"])
        + "\n"
        + json.dumps({"title": "no text"})
        + "\n",
        encoding="utf-8",
    )
    report = BuildReport()
    records = list(read_texts(jsonl, report))
    assert [(r["id"], r["url"]) for r in records] == [("d1", "http://x")]
    assert sum(row["count"] for row in report.to_dict()["rejected"]) == 3

    csv_file = tmp_path / "docs.csv"
    csv_file.write_text('id,text\n1,"Tbilisi, Georgia"\n2,\n', encoding="utf-8")
    assert [r["text"] for r in read_texts(csv_file, BuildReport())] == ["Tbilisi, Georgia"]


def test_clear_errors(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        list(read_texts(tmp_path / "missing.txt", BuildReport()))
    bad_csv = tmp_path / "x.csv"
    bad_csv.write_text("body\nhello\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="no 'text' column"):
        list(read_texts(bad_csv, BuildReport()))
    odd = tmp_path / "x.docx"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(BadInputError, match="unsupported"):
        list(read_texts(odd, BuildReport()))


def test_silver_labels_from_the_geoparser(gazetteer):
    from modeling.geoparsing import Geoparser

    geoparser = Geoparser(gazetteer=gazetteer, resolver=None, with_geometry=False)
    report = BuildReport()
    texts = [
        {
            "id": "1",
            "text": "Flooding hit Paris, Texas on Monday.",
            "lang": "en",
            "source": "text",
            "url": "",
            "title": "",
            "toponyms": [],
        },
        {
            "id": "2",
            "text": "Nothing to see here.",
            "lang": "en",
            "source": "text",
            "url": "",
            "title": "",
            "toponyms": [],
        },
    ]
    labelled = list(silver_labels(texts, geoparser, report))
    toponyms = labelled[0]["toponyms"]
    assert {t["surface"] for t in toponyms} >= {"Paris", "Texas"}
    paris = next(t for t in toponyms if t["surface"] == "Paris")
    assert paris["entity_id"] == "geonames:4717560" and paris["label_source"] == "silver"
    assert 0 < paris["confidence"] <= 1
    assert labelled[1]["toponyms"] == []
    assert report.skipped[("text", "document without any resolvable mention")] == 1
