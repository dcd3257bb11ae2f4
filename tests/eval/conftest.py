"""Fixtures for the evaluation tests: tiny corpora written in the real on-disk formats, and a stub geoparser."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

# Two short news texts; offsets below are computed from them, never typed by hand.
TEXT_A = "Flooding hit Paris on Monday. Officials in Lyon and Texas said more rain is coming."
TEXT_B = "The Springfield council met in Memphis St. offices near Springfield."


def span(text: str, phrase: str, occurrence: int = 0) -> tuple[int, int]:
    """(start, end) of the n-th occurrence of a phrase in a text."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(phrase, start + 1)
    return start, start + len(phrase)


def write_lgl(path: Path) -> Path:
    """An LGL-schema XML file: two articles, one toponym without a gaztag."""

    def toponym(text: str, phrase: str, gaz: str, occurrence: int = 0) -> str:
        start, end = span(text, phrase, occurrence)
        return f"<toponym><start>{start}</start><end>{end}</end><phrase>{phrase}</phrase>{gaz}</toponym>"

    paris = (
        '<gaztag geonameid="2988507"><name>Paris</name><fclass>P</fclass><fcode>PPLC</fcode>'
        '<lat>48.85341</lat><lon>2.3488</lon><country geonameid="3017382">France</country></gaztag>'
    )
    lyon = '<gaztag geonameid="2996944"><name>Lyon</name><lat>45.74846</lat><lon>4.84671</lon></gaztag>'
    texas = '<gaztag geonameid="4736286"><name>Texas</name><lat>31.25044</lat><lon>-99.25061</lon></gaztag>'
    springfield = (
        '<gaztag geonameid="4409896"><name>Springfield</name><lat>37.21533</lat><lon>-93.29824</lon></gaztag>'
    )
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<articles>\n'
        f'<article docid="101"><feedid>7</feedid><title>t</title><text><![CDATA[{TEXT_A}]]></text><toponyms count="3">'
        + toponym(TEXT_A, "Paris", paris)
        + toponym(TEXT_A, "Lyon", lyon)
        + toponym(TEXT_A, "Texas", texas)
        + "</toponyms></article>\n"
        f'<article docid="102"><text><![CDATA[{TEXT_B}]]></text><toponyms count="3">'
        + toponym(TEXT_B, "Springfield", springfield)
        + toponym(TEXT_B, "Memphis St.", "")
        + toponym(TEXT_B, "Springfield", springfield, occurrence=1)
        + "</toponyms></article>\n</articles>\n",
        encoding="utf-8",
    )
    return path


def write_geovirus(path: Path) -> Path:
    """A GeoVirus-schema XML file whose offsets count from 1, as the real GeoVirus does."""

    def location(phrase: str, lat: float, lon: float, page: str, extra: str = "") -> str:
        start, end = span(TEXT_A, phrase)
        return (
            f"<location><name>{phrase}</name>{extra}<start>{start + 1}</start><end>{end + 1}</end>"
            f"<lat>{lat}</lat><lon>{lon}</lon><page>https://en.wikipedia.org/wiki/{page}</page></location>"
        )

    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<articles><article><source>https://en.wikinews.org/wiki/x</source>'
        f"<text>{TEXT_A}</text><locations>"
        + location("Texas", 31.0, -100.0, "Texas", "<altName>TX</altName>")
        + location("Paris", 48.86, 2.35, "Paris")
        + location("Lyon", 45.76, 4.84, "Lyon")
        + "</locations></article></articles>\n",
        encoding="utf-8",
    )
    return path


def gold_line(records: list[tuple[str, str, object, object, int, int]]) -> str:
    return "".join(f"{n},,{p},,{lat},,{lon},,{s},,{e}||" for n, p, lat, lon, s, e in records)


def write_wiktor(folder: Path) -> Path:
    """A WikToR folder: texts/N and gold.txt, one document with Windows line ends."""
    text_b = TEXT_B.replace(" offices", "\r\noffices")
    (folder / "texts").mkdir(parents=True)
    (folder / "texts" / "0").write_text(TEXT_A, encoding="utf-8")
    (folder / "texts" / "1").write_bytes(text_b.encode("utf-8"))
    lines = [
        gold_line([("Paris", "Paris", 48.8567, 2.3508, *span(TEXT_A, "Paris"))]),
        gold_line(
            [
                ("Springfield, Missouri", "Springfield", 37.2153, -93.2981, *span(text_b, "Springfield")),
                ("Springfield, Missouri", "Springfield", 37.2153, -93.2981, *span(text_b, "Springfield", 1)),
            ]
        ),
    ]
    (folder / "gold.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def write_eupeg_gold_lines(root: Path) -> Path:
    """EUPEG's own layout: corpora/<Name>/N and gold/<Name>_gold.txt, with a 'null' coordinate."""
    (root / "corpora" / "News").mkdir(parents=True)
    (root / "gold").mkdir()
    (root / "corpora" / "News" / "0").write_text(TEXT_A + "\n", encoding="utf-8")
    line = gold_line(
        [
            ("Paris", "Paris", 48.85, 2.35, *span(TEXT_A, "Paris")),
            ("null", "Lyon", "null", "null", *span(TEXT_A, "Lyon")),
        ]
    )
    gold = root / "gold" / "News_gold.txt"
    gold.write_text(line + "\n", encoding="utf-8")
    return gold


def write_eupeg_xml(path: Path) -> Path:
    """EUPEG's upload XML: footprints are 'LON LAT'; the third toponym has an impossible span."""

    def toponym(phrase: str, footprint: str, bad_end: int | None = None) -> str:
        start, end = span(TEXT_A, phrase)
        return (
            f"<toponym><start>{start}</start><end>{bad_end if bad_end is not None else end}</end>"
            f"<phrase>{phrase}</phrase><place><placename>{phrase}</placename><footprint>{footprint}</footprint>"
            "<placetype>PPL</placetype></place></toponym>"
        )

    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<entries><entry>'
        f"<text><![CDATA[{TEXT_A}]]></text><toponyms>"
        + toponym("Paris", "2.35 48.85")
        + toponym("Lyon", "4.84 45.76 ")
        + toponym("Texas", "-100 31", bad_end=3)
        + "</toponyms></entry></entries>\n",
        encoding="utf-8",
    )
    return path


@dataclass
class StubToponym:
    """The fields of `modeling.geoparsing.Toponym` that the evaluation reads."""

    start: int
    end: int
    text: str
    entity_id: str | None
    lat: float | None
    lon: float | None
    geonames_id: int | None = None
    confidence: float = 1.0
    stage: str = "stub"
    geometry: dict | None = None
    mention_source: str = "stub-ner"


@dataclass
class StubDoc:
    toponyms: list[StubToponym]


@dataclass
class StubGeoparser:
    """Resolves names from a fixed table and recognises the table's names by string search.

    Lets the evaluation's bookkeeping be tested with hand-computed figures, independent of the real geoparser.
    """

    places: dict[str, tuple[float, float, int | None]]
    polygons: dict[str, dict] = field(default_factory=dict)  # name -> GeoJSON footprint
    stats: dict = field(default_factory=lambda: {"llm_calls": 0, "mentions": 0})

    def _toponym(self, text: str, start: int, end: int) -> StubToponym:
        self.stats["mentions"] += 1
        place = self.places.get(text[start:end])
        if place is None:
            return StubToponym(start, end, text[start:end], None, None, None, stage="no_match")
        lat, lon, geonames_id = place
        name = text[start:end]
        return StubToponym(
            start, end, name, f"e:{name}", lat, lon, geonames_id, geometry=self.polygons.get(name)
        )

    def resolve(self, text: str, spans: list[tuple[int, int]]) -> list[StubToponym]:
        return [self._toponym(text, s, e) for s, e in spans]

    def parse_batch(self, texts: list[str]) -> list[StubDoc]:
        docs = []
        for text in texts:
            found = []
            for name in self.places:
                start = text.find(name)
                while start >= 0:
                    found.append(self._toponym(text, start, start + len(name)))
                    start = text.find(name, start + 1)
            docs.append(StubDoc(sorted(found, key=lambda t: t.start)))
        return docs


@pytest.fixture
def kit() -> SimpleNamespace:
    """The writers, texts and stub above (test modules cannot import conftest under --import-mode=importlib)."""
    return SimpleNamespace(
        TEXT_A=TEXT_A,
        TEXT_B=TEXT_B,
        span=span,
        write_lgl=write_lgl,
        write_geovirus=write_geovirus,
        write_wiktor=write_wiktor,
        write_eupeg_gold_lines=write_eupeg_gold_lines,
        write_eupeg_xml=write_eupeg_xml,
        gold_line=gold_line,
        StubGeoparser=StubGeoparser,
        StubToponym=StubToponym,
    )
