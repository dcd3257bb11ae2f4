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


LINKED = """<?xml version="1.0" encoding="utf-8"?>
<articles>
<article docid="7"><text>Springfield and Paris and Paris again, then Nowhere.</text><toponyms>
<toponym><start>0</start><end>11</end><phrase>Springfield</phrase>
<gaztag><name>Springfield</name><lat>37.10</lat><lon>-93.20</lon></gaztag></toponym>
<toponym><start>16</start><end>21</end><phrase>Paris</phrase>
<gaztag geonameid="4717560"><name>Paris</name><lat>33.66</lat><lon>-95.55</lon></gaztag></toponym>
<toponym><start>26</start><end>31</end><phrase>Paris</phrase>
<gaztag geonameid="999999999"><name>Paris</name><lat>48.90</lat><lon>2.40</lon></gaztag></toponym>
<toponym><start>44</start><end>51</end><phrase>Nowhere</phrase>
<gaztag><name>Nowhere</name><lat>10.0</lat><lon>10.0</lon></gaztag></toponym>
</toponyms></article>
</articles>
"""


def test_gold_without_known_ids_links_to_the_nearest_entry_of_its_name(tmp_path, gazetteer):
    path = tmp_path / "lgl.xml"
    path.write_text(LINKED, encoding="utf-8")
    report = BuildReport()
    (record,) = read_benchmark(path, report, index=gazetteer)
    ids = [t["entity_id"] for t in record["toponyms"]]
    # no id -> nearest Springfield (Missouri, not Illinois); a known id is kept; an id the gazetteer lacks -> the
    # nearest Paris (France); nothing of that name within 161 km -> unlinked, and counted
    assert ids == ["geonames:4409896", "geonames:4717560", "geonames:2988507", ""]
    counts = report.to_dict()
    assert sum(r["count"] for r in counts["repaired"] if "nearest entry" in r["reason"]) == 2
    assert sum(r["count"] for r in counts["skipped"] if "within 161 km" in r["reason"]) == 1
    # without an index the corpus ids are kept as they are
    (plain,) = read_benchmark(path, BuildReport())
    assert [t["entity_id"] for t in plain["toponyms"]] == ["", "geonames:4717560", "geonames:999999999", ""]
