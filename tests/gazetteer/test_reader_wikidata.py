"""The Wikidata reader on a dump excerpt written here in the dump's real layout (JSON array, one entity a line)."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path

import pytest

from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.wikidata import read_wikidata
from georeset.errors import BadInputError

EARTH = "http://www.wikidata.org/entity/Q2"


def _statement(
    prop: str, value: object, kind: str, rank: str = "normal", qualifiers: dict | None = None
) -> dict:
    statement = {
        "mainsnak": {"snaktype": "value", "property": prop, "datavalue": {"value": value, "type": kind}},
        "type": "statement",
        "rank": rank,
    }
    if qualifiers:
        statement["qualifiers"] = qualifiers
    return statement


def _item(qid: str) -> dict:
    return {"entity-type": "item", "numeric-id": int(qid[1:]), "id": qid}


def _coords(lat: float, lon: float, globe: str = EARTH, rank: str = "normal") -> dict:
    value = {"latitude": lat, "longitude": lon, "altitude": None, "precision": 0.0001, "globe": globe}
    return _statement("P625", value, "globecoordinate", rank)


def _population(amount: int, year: int | None = None, rank: str = "normal") -> dict:
    qualifiers = None
    if year is not None:
        time = {"time": f"+{year}-01-01T00:00:00Z", "precision": 9, "calendarmodel": "Q1985727"}
        qualifiers = {"P585": [{"snaktype": "value", "property": "P585", "datavalue": {"value": time}}]}
    return _statement("P1082", {"amount": f"+{amount}", "unit": "1"}, "quantity", rank, qualifiers)


def _entity(qid: str, labels: dict, claims: dict, aliases: dict | None = None, enwiki: str = "") -> dict:
    return {
        "type": "item",
        "id": qid,
        "labels": {lang: {"language": lang, "value": value} for lang, value in labels.items()},
        "descriptions": {},
        "aliases": {
            lang: [{"language": lang, "value": value} for value in values]
            for lang, values in (aliases or {}).items()
        },
        "claims": claims,
        "sitelinks": {"enwiki": {"site": "enwiki", "title": enwiki, "badges": []}} if enwiki else {},
    }


MONTPELLIER = _entity(
    "Q6441",
    {"en": "Montpellier", "oc": "Montpelhièr", "ru": "Монпелье"},
    {
        "P31": [
            _statement("P31", _item("Q484170"), "wikibase-entityid"),
            _statement("P31", _item("Q515"), "x"),
        ],
        "P625": [_coords(43.611, 3.877)],
        "P17": [_statement("P17", _item("Q142"), "wikibase-entityid")],
        "P131": [_statement("P131", _item("Q12545"), "wikibase-entityid")],
        "P1566": [_statement("P1566", "2992166", "string")],
        "P402": [_statement("P402", "28722", "string")],
        "P1082": [_population(255080, 2010), _population(302454, 2021), _population(1, 1800, "deprecated")],
    },
    aliases={"fr": ["Clapas"], "en": ["Montpellier"]},
    enwiki="Montpellier",
)
FRANCE = _entity(
    "Q142",
    {"en": "France", "fr": "France", "de": "Frankreich"},
    {
        "P31": [_statement("P31", _item("Q6256"), "x"), _statement("P31", _item("Q3624078"), "x")],
        "P625": [_coords(46.0, 2.0)],
        "P297": [_statement("P297", "FR", "string")],
        "P298": [_statement("P298", "FRA", "string")],
        "P1082": [_population(66000000, 2019), _population(68000000, 2016, "preferred")],
    },
    enwiki="France",
)
PARIS_TEXAS = _entity(
    "Q830149",
    {"mul": "Paris"},
    {
        "P31": [_statement("P31", _item("Q1093829"), "x")],
        "P625": [_coords(33.66, -95.55)],
        "P17": [_statement("P17", _item("Q30"), "wikibase-entityid")],  # the USA is not in this excerpt
    },
)
CRATER = _entity(
    "Q1", {"en": "Gale"}, {"P625": [_coords(-5.4, 137.8, globe="http://www.wikidata.org/entity/Q111")]}
)
HUMAN = _entity("Q42", {"en": "Douglas Adams"}, {"P31": [_statement("P31", _item("Q5"), "x")]})
DEPRECATED = _entity("Q3", {"en": "Old spot"}, {"P625": [_coords(1.0, 1.0, rank="deprecated")]})
OUT_OF_RANGE = _entity("Q4", {"en": "Nowhere"}, {"P625": [_coords(95.0, 10.0)]})
NO_LABEL = _entity("Q7", {}, {"P625": [_coords(10.0, 10.0)]})
# A country without coordinates (a dump filtered for countries) still gives its ISO code.
USA = _entity("Q30", {"en": "United States"}, {"P297": [_statement("P297", "US", "string")]})
PROPERTY = {
    "type": "property",
    "id": "P625",
    "labels": {"en": {"language": "en", "value": "coordinate location"}},
}


def _dump_lines() -> list[str]:
    entities = [HUMAN, MONTPELLIER, CRATER, PROPERTY, FRANCE, DEPRECATED, OUT_OF_RANGE, NO_LABEL]
    lines = [json.dumps(entity, ensure_ascii=False) + "," for entity in entities]
    lines.insert(3, '{"type": "item", "id": "Q9", "claims": {"P625": [{"mainsnak": ')  # truncated line
    lines.append(json.dumps(PARIS_TEXAS, ensure_ascii=False))  # the last entity has no comma
    return ["[", *lines, "]"]


@pytest.fixture(params=["latest-all.json.bz2", "latest-all.json.gz", "excerpt.json"])
def dump(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    path = tmp_path / request.param
    data = ("\n".join(_dump_lines()) + "\n").encode("utf-8")
    opener = {".bz2": bz2.open, ".gz": gzip.open}.get(path.suffix, open)
    with opener(path, "wb") as out:
        out.write(data)
    return path


def test_dump_excerpt(dump: Path) -> None:
    report = BuildReport()
    records = {r.record_id: r for r in read_wikidata(dump, report)}
    assert set(records) == {"wikidata:Q6441", "wikidata:Q142", "wikidata:Q830149"}

    montpellier = records["wikidata:Q6441"]
    assert (montpellier.name, montpellier.lat, montpellier.lon) == ("Montpellier", 43.611, 3.877)
    assert montpellier.feature_type == "settlement" and montpellier.feature_code == "Q515"
    assert montpellier.country_code == "FR"  # France came later in the dump: resolved at the end
    assert montpellier.geonames_id == 2992166 and montpellier.osm_id == "relation/28722"
    assert montpellier.wikidata_id == "Q6441" and montpellier.wikipedia == "en:Montpellier"
    assert montpellier.population == 302454  # the most recent, deprecated values ignored
    assert montpellier.parent_ids == ["wikidata:Q12545"]
    names = {(n.name, n.lang): n for n in montpellier.names}
    assert {("Montpelhièr", "oc"), ("Монпелье", "ru"), ("Clapas", "fr")} <= set(names)
    assert names[("Montpelhièr", "oc")].is_preferred and not names[("Clapas", "fr")].is_preferred
    assert montpellier.names[0].name == "Montpellier" and montpellier.names[0].lang == "en"

    france = records["wikidata:Q142"]
    assert france.feature_type == "country" and france.country_code == "FR"
    assert france.population == 68000000  # preferred rank wins over the more recent normal one
    assert {("FR", "code"), ("FRA", "code"), ("Frankreich", "de")} <= {(n.name, n.lang) for n in france.names}

    paris = records["wikidata:Q830149"]
    assert paris.name == "Paris" and paris.names[0].lang == "" and paris.country_code == ""

    skipped = {reason: n for (_, reason), n in report.skipped.items()}
    assert skipped == {
        "no coordinates (P625): not a place": 2,  # the human (not parsed) and the deprecated coordinates
        "coordinates not on Earth": 1,
        "not an item (property or lexeme)": 1,
    }
    rejected = {reason: n for (_, reason), n in report.rejected.items()}
    assert rejected == {"malformed JSON line": 1, "coordinates out of range": 1, "no label or alias": 1}
    assert report.repaired[
        ("wikidata", "country (P17) without an ISO code in this dump: country code left empty")
    ]
    assert report.read["wikidata"] == 3
    lines = len(_dump_lines()) - 2
    assert sum(report.read.values()) + sum(report.rejected.values()) + sum(report.skipped.values()) == lines


def test_country_code_from_a_country_without_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "excerpt.json"
    lines = [json.dumps(PARIS_TEXAS) + ",", json.dumps(USA)]
    path.write_text("[\n" + "\n".join(lines) + "\n]\n", encoding="utf-8")
    report = BuildReport()
    assert [(r.name, r.country_code) for r in read_wikidata(path, report)] == [("Paris", "US")]
    assert report.skipped[("wikidata", "no coordinates (P625): not a place")] == 1


def test_bad_bytes_are_repaired_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "excerpt.json"
    text = json.dumps(_entity("Q5", {"en": "Zürich"}, {"P625": [_coords(47.37, 8.54)]}), ensure_ascii=False)
    path.write_bytes(b"[\n" + text.encode("latin-1") + b"\n]\n")
    report = BuildReport()
    assert [r.name for r in read_wikidata(path, report)] == ["Zürich"]
    assert sum(report.repaired.values()) == 1


def test_missing_dump(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such file"):
        list(read_wikidata(tmp_path / "latest-all.json.bz2", BuildReport()))
