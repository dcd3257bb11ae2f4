"""The MediaWiki dump reader on a small `pages-articles.xml.bz2` in the real export format, broken markup included."""

from __future__ import annotations

import bz2

import pytest

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.wikipedia import parse_coord, read_wiki_dump
from georeset.errors import BadInputError

HEADER = (
    '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">\n'
    "<siteinfo><sitename>Wikipedia</sitename></siteinfo>\n"
)


def page(page_id, title, text, ns=0, redirect=False):
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f"<page><title>{title}</title><ns>{ns}</ns><id>{page_id}</id>"
        + ('<redirect title="X" />' if redirect else "")
        + f'<revision><id>1</id><text bytes="1" xml:space="preserve">{text}</text></revision></page>\n'
    )


PARIS_TX = (
    "{{Infobox settlement|name=Paris}}\n'''Paris''' is a city in [[Lamar County, Texas|Lamar County]], "
    "[[Texas]], [[United States]].<ref>{{cite web|url=x}}</ref> It is smaller than "
    "[[Paris]] in [[France]] and [[Springfield]]. {{coord|33|39|38|N|95|33|20|W|display=title}}\n"
    "== History ==\nSettled near [[Georgia (country)|Georgia]]? No: [[Georgia (U.S. state)|Georgia]]. "
    "[[File:Paris.jpg|thumb|A [[Texas]] view]] [[Category:Cities in Texas]]"
)


def write_dump(path, pages, tail="</mediawiki>\n"):
    with bz2.open(path, "wt", encoding="utf-8") as handle:
        handle.write(HEADER + "".join(pages) + tail)
    return path


def test_parse_coord_decimal_and_dms():
    assert parse_coord(["48.85", "2.35"]) == (48.85, 2.35)
    lat, lon = parse_coord(["33", "39", "38", "N", "95", "33", "20", "W"])
    assert lat == pytest.approx(33.6606, abs=1e-3) and lon == pytest.approx(-95.5556, abs=1e-3)
    assert parse_coord(["north", "east"]) is None and parse_coord(["95", "200"]) is None


def test_dump_to_records_with_distant_labels(tmp_path, gazetteer):
    dump = write_dump(
        tmp_path / "enwiki-pages-articles.xml.bz2",
        [
            page(1, "Paris, Texas", PARIS_TX),
            page(2, "Talk:Paris", "chat", ns=1),
            page(3, "Paris TX", "#REDIRECT [[Paris, Texas]]", redirect=True),
        ],
    )
    report = BuildReport()
    records = list(read_wiki_dump(dump, gazetteer, report))
    assert len(records) == 1
    record = records[0]
    assert record["id"] == "wikipedia:en:1" and record["url"].endswith("/wiki/Paris,_Texas")
    text = record["text"]
    assert "Infobox" not in text and "cite web" not in text and "Category" not in text and "thumb" not in text
    labels = [(t["surface"], t["entity_id"]) for t in record["toponyms"]]
    for topo in record["toponyms"]:
        assert text[topo["start"] : topo["end"]] == topo["surface"] and topo["label_source"] == "distant"
    assert ("Paris", "geonames:4717560") in labels  # the article's own name, by its {{coord}}
    assert ("Texas", "geonames:4736286") in labels
    assert ("Georgia", "geonames:614540") in labels and ("Georgia", "geonames:4197000") in labels
    assert ("Springfield", "geonames:4250542") not in labels  # an ambiguous title settles nothing
    assert text.count("Paris") >= 2
    skipped = {row["reason"] for row in report.to_dict()["skipped"]}
    assert "not an article (other namespace or redirect)" in skipped


def test_broken_markup_keeps_the_pages_before_it(tmp_path, gazetteer):
    dump = write_dump(
        tmp_path / "broken.xml.bz2",
        [page(1, "Tbilisi", "'''Tbilisi''' is the capital of [[Georgia (country)|Georgia]].")],
        tail="<page><title>Bad</title><revision><text>unclosed",
    )
    report = BuildReport()
    records = list(read_wiki_dump(dump, gazetteer, report))
    assert [r["title"] for r in records] == ["Tbilisi"]
    rejected = report.to_dict()["rejected"]
    assert rejected and rejected[0]["reason"].startswith("broken XML")


def test_missing_dump_is_a_clear_error(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        list(read_wiki_dump(tmp_path / "nope.xml.bz2", None, BuildReport()))
