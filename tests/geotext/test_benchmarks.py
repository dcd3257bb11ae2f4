"""Benchmark corpora as gold geotext, through the evaluation's corpus readers."""

from __future__ import annotations

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.benchmarks import read_benchmark

LGL = """<?xml version="1.0" encoding="utf-8"?>
<articles>
<article docid="1"><text>Storm hits Paris, Texas.</text><toponyms>
<toponym><start>11</start><end>16</end><phrase>Paris</phrase>
<gaztag geonameid="4717560"><name>Paris</name><lat>33.66</lat><lon>-95.55</lon></gaztag></toponym>
<toponym><start>18</start><end>23</end><phrase>Texas</phrase></toponym>
<toponym><start>90</start><end>95</end><phrase>Nowhere</phrase></toponym>
</toponyms></article>
</articles>
"""


def test_lgl_as_gold_records(tmp_path):
    path = tmp_path / "lgl.xml"
    path.write_text(LGL, encoding="utf-8")
    report = BuildReport()
    records = list(read_benchmark(path, report))
    assert len(records) == 1
    record = records[0]
    assert record["source"] == "lgl" and record["id"] == "lgl:1"
    paris, texas = record["toponyms"]
    assert (paris["entity_id"], paris["lat"], paris["label_source"]) == ("geonames:4717560", 33.66, "gold")
    assert texas["entity_id"] == "" and texas["lat"] is None
    assert (
        report.to_dict()["rejected"][0]["count"] == 1
    )  # the span outside the text is counted, not dropped silently
