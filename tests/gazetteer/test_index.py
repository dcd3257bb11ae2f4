"""GazetteerIndex over small generated parquet shards of ENTITY_SCHEMA rows."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from data_builders.gazetteer.index import (
    TRANSLITERATION_SCORE,
    Candidate,
    GazetteerIndex,
    UnknownEntityError,
    is_index_current,
)
from data_builders.gazetteer.schema import ENTITY_SCHEMA, LANG_ABBREVIATION, LANG_DEMONYM
from georeset.errors import BadInputError, MissingAssetError


def _names(*items) -> list[dict]:
    out = []
    for item in items:
        name, lang = item if isinstance(item, tuple) else (item, "")
        out.append(
            {
                "name": name,
                "lang": lang,
                "is_preferred": lang == "en",
                "is_short": False,
                "is_historic": False,
                "is_colloquial": False,
                "source": "geonames",
            }
        )
    return out


def _row(entity_id, name, names, lat, lon, ftype="settlement", country="", population=0, **extra) -> dict:
    row = {field.name: None for field in ENTITY_SCHEMA}
    row.update(
        entity_id=entity_id,
        name=name,
        names=_names(name, *names),
        feature_type=ftype,
        feature_code={"settlement": "P.PPL", "country": "A.PCLI", "admin1": "A.ADM1"}.get(ftype, ""),
        country_code=country,
        population=population,
        geometry=shapely.to_wkb(shapely.Point(lon, lat)),
        geometry_type="Point",
        lat=lat,
        lon=lon,
        bbox={"xmin": lon, "ymin": lat, "xmax": lon, "ymax": lat},
        sources=["geonames"],
        source_ids=[f"geonames:{entity_id}"],
        field_sources=[{"field": "name", "source": "geonames"}],
    )
    row.update(extra)
    return row


ROWS = [
    _row(
        "gn:2992166",
        "Montpellier",
        ["Montpelhièr", ("Монпелье", "ru")],
        43.61,
        3.88,
        country="FR",
        population=248252,
    ),
    _row("gn:5238685", "Montpelier", [], 44.26, -72.58, country="US", population=8074),
    _row(
        "gn:2988507",
        "Paris",
        [("Paris", "en"), ("París", "es"), ("Париж", "ru"), ("巴黎", "zh")],
        48.85,
        2.35,
        country="FR",
        population=2138551,
    ),
    _row("gn:4717560", "Paris", [], 33.66, -95.56, country="US", population=24782),
    _row("gn:4647963", "Paris", [], 36.30, -88.33, country="US", population=10156),
    _row("gn:4303602", "Paris", [], 38.21, -84.25, country="US", population=9846),
    _row("gn:2988506", "Paris", [], 48.86, 2.34, ftype="admin2", country="FR"),
    _row(
        "gn:498817",
        "Saint Petersburg",
        [("Санкт-Петербург", "ru"), ("St. Petersburg", "en")],
        59.94,
        30.31,
        country="RU",
        population=5351935,
    ),
    _row("gn:4171563", "St. Petersburg", [], 27.77, -82.68, country="US", population=258308),
    _row(
        "gn:298795",
        "Turkey",
        [("Türkiye", "tr"), ("Turkish", LANG_DEMONYM), ("Turks", LANG_DEMONYM)],
        39.0,
        35.0,
        ftype="country",
        country="TR",
        population=82000000,
        geometry=shapely.to_wkb(shapely.box(26, 36, 45, 42)),
        geometry_type="Polygon",
        bbox={"xmin": 26.0, "ymin": 36.0, "xmax": 45.0, "ymax": 42.0},
    ),
    _row(
        "gn:5815135",
        "Washington",
        [("Wash.", LANG_ABBREVIATION), ("WA", "code")],
        47.5,
        -120.5,
        ftype="admin1",
        country="US",
        population=7000000,
    ),
    _row(
        "gn:4826850",
        "West Virginia",
        [("W.Va.", LANG_ABBREVIATION)],
        38.5,
        -80.5,
        ftype="admin1",
        country="US",
    ),
    _row("gn:5101798", "Mount Vernon", [], 40.91, -73.84, country="US", population=67000),
    _row("gn:4691930", "Fort Worth", [], 32.72, -97.32, country="US", population=895008),
    _row("gn:5308655", "Philadelphia", [], 39.95, -75.16, country="US", population=1567442),
    _row("gn:3451190", "Rio de Janeiro", [], -22.9, -43.2, country="BR", population=6023699),
    _row("gn:3385122", "Rio", [], -5.0, -40.0, country="BR", population=800),
    _row(
        "gn:1850147",
        "Tokyo",
        [("東京", "ja"), ("Tōkyō", "en")],
        35.69,
        139.69,
        country="JP",
        population=8336599,
    ),
    _row("gn:360630", "Cairo", [("القاهرة", "ar")], 30.06, 31.25, country="EG", population=7734614),
    _row("gn:2759794", "The Hague", [("Den Haag", "nl")], 52.08, 4.30, country="NL", population=474292),
    _row("gn:3117735", "Madrid", [], 40.42, -3.70, country="ES", population=3255944),
    _row("gn:2746385", "Ærø", [], 54.88, 10.36, ftype="island", country="DK"),
    _row(
        "gn:999", "Lonely Place", [None, ""], 1.0, 1.0
    ),  # null and empty alternate names: kept, never indexed
]


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("gazetteer") / "data"
    folder.mkdir()
    paths = []
    for i, part in enumerate((ROWS[:10], ROWS[10:])):
        path = folder / f"entities-{i:05d}-of-00002.parquet"
        pq.write_table(pa.Table.from_pylist(part, schema=ENTITY_SCHEMA), path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def index(shards, tmp_path_factory) -> GazetteerIndex:
    return GazetteerIndex.build(shards, tmp_path_factory.mktemp("out") / "index", progress=False)


def ids(candidates: list[Candidate]) -> list[str]:
    return [c.entity_id for c in candidates]


def test_counts_and_reopen(index, tmp_path):
    assert is_index_current(index.path) and not is_index_current(tmp_path)
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "index.json").write_text('{"format_version": 0}')
    assert not is_index_current(stale)
    with pytest.raises(MissingAssetError, match="rebuild"):
        GazetteerIndex.open(stale)
    assert len(index) == len(ROWS)
    again = GazetteerIndex.open(index.path)
    assert len(again) == len(ROWS)
    assert ids(again.lookup("Madrid")) == ["gn:3117735"]


def test_exact_ranks_by_prominence_and_keeps_small_namesakes(index):
    candidates = index.lookup("Paris", fuzzy=False)
    assert candidates[0].entity_id == "gn:2988507"
    assert "gn:4717560" in ids(candidates)  # Paris, Texas
    assert len(set(ids(candidates))) == len(candidates)  # one candidate per entity despite many "Paris" names
    assert all(c.match_type == "exact" and c.match_score == 1.0 for c in candidates)
    populations = [c.population for c in candidates if c.feature_type == "settlement"]
    assert populations == sorted(populations, reverse=True)


def test_exact_beats_fuzzy_and_fuzzy_finds_misspellings(index):
    montpellier = index.lookup("Montpellier")
    assert montpellier[0].entity_id == "gn:2992166" and montpellier[0].match_type == "exact"
    assert montpellier[1].entity_id == "gn:5238685" and montpellier[1].match_type == "fuzzy"
    assert 0 < montpellier[1].match_score < 1
    montpelier = index.lookup("Montpelier")
    assert ids(montpelier)[:2] == ["gn:5238685", "gn:2992166"]
    philadelphia = index.lookup("Philadelpia")
    assert philadelphia[0].entity_id == "gn:5308655" and philadelphia[0].match_type == "fuzzy"
    assert index.lookup("Philadelpia", fuzzy=False) == []
    assert ids(index.lookup("Madrdi"))[:1] == ["gn:3117735"]  # a transposition is one edit


def test_abbreviations_and_articles(index):
    assert "gn:498817" in ids(index.lookup("St Petersburg"))
    assert "gn:498817" in ids(index.lookup("Saint-Petersburg", fuzzy=False))
    assert ids(index.lookup("Mt. Vernon", fuzzy=False)) == ["gn:5101798"]
    assert ids(index.lookup("Ft Worth", fuzzy=False)) == ["gn:4691930"]
    assert ids(index.lookup("Hague", fuzzy=False)) == ["gn:2759794"]
    assert ids(index.lookup("the hague", fuzzy=False)) == ["gn:2759794"]
    west_virginia = index.lookup("W. Va.", fuzzy=False)
    assert west_virginia[0].entity_id == "gn:4826850" and west_virginia[0].matched_lang == LANG_ABBREVIATION


def test_demonyms_and_codes_report_their_pseudo_language(index):
    turkish = index.lookup("Turkish", fuzzy=False)
    assert turkish[0].entity_id == "gn:298795"
    assert turkish[0].matched_name == "Turkish" and turkish[0].matched_lang == LANG_DEMONYM
    assert index.lookup("WA", fuzzy=False)[0].matched_lang == "code"


def test_diacritics_and_other_scripts(index):
    assert ids(index.lookup("aero", fuzzy=False)) == ["gn:2746385"]
    assert ids(index.lookup("MONTPELHIER", fuzzy=False)) == ["gn:2992166"]
    assert ids(index.lookup("Tokyo", fuzzy=False)) == ["gn:1850147"]
    tokyo = index.lookup("東京", fuzzy=False)
    assert ids(tokyo) == ["gn:1850147"] and tokyo[0].matched_lang == "ja"
    moscow_style = index.lookup("Санкт-Петербург", fuzzy=False)
    assert moscow_style[0].entity_id == "gn:498817" and moscow_style[0].match_score == 1.0
    cairo = index.lookup("القاهرة", fuzzy=False)
    assert ids(cairo) == ["gn:360630"] and cairo[0].matched_lang == "ar"
    # A Latin query reaches a name known only in Cyrillic through its transliteration, scored below exact.
    monpele = index.lookup("Monpele", fuzzy=False)
    assert ids(monpele) == ["gn:2992166"]
    assert monpele[0].match_type == "exact" and monpele[0].match_score == TRANSLITERATION_SCORE


def test_prefix(index):
    assert ids(index.lookup("Rio", fuzzy=False)) == ["gn:3385122"]
    with_prefix = index.lookup("Rio", prefix=True, fuzzy=False)
    assert ids(with_prefix) == ["gn:3385122", "gn:3451190"]  # the exact "Rio" first, then completions
    assert with_prefix[1].match_type == "prefix" and 0 < with_prefix[1].match_score < 1


def test_top_k_and_filters(index):
    assert len(index.lookup("Paris", top_k=2)) == 2
    assert set(ids(index.lookup("Paris", country_code="us"))) == {"gn:4717560", "gn:4647963", "gn:4303602"}
    admin = index.lookup("Paris", feature_types=["admin2"], fuzzy=False)
    assert ids(admin) == ["gn:2988506"]
    assert index.lookup("Paris", country_code="JP", fuzzy=False) == []
    with pytest.raises(BadInputError, match="top_k"):
        index.lookup("Paris", top_k=0)


def test_candidate_features(index):
    turkey = index.lookup("Turkey")[0]
    assert turkey.has_polygon and turkey.bbox == (26.0, 36.0, 45.0, 42.0)
    assert turkey.feature_type == "country" and turkey.country_code == "TR" and turkey.n_names == 4
    paris = index.lookup("Paris")[0]
    assert not paris.has_polygon and paris.feature_code == "P.PPL" and paris.population == 2138551
    assert paris.to_dict()["entity_id"] == "gn:2988507"


def test_has_name(index):
    assert index.has_name("Paris") and index.has_name("st. petersburg") and index.has_name("Den Haag")
    assert not index.has_name("Parisx") and not index.has_name("") and not index.has_name("   ")
    assert not index.has_name("moskva")  # transliterations are lookup fallbacks, not names


def test_entity_and_geometry_round_trip(index):
    row = index.entity("gn:298795")
    expected = next(r for r in ROWS if r["entity_id"] == "gn:298795")
    for field in ENTITY_SCHEMA.names:
        assert row[field] == expected[field], field
    assert index.geometry("gn:298795").equals(shapely.box(26, 36, 45, 42))
    lonely = index.entity("gn:999")
    assert [n["name"] for n in lonely["names"]] == ["Lonely Place", None, ""]
    with pytest.raises(UnknownEntityError, match="gn:nope"):
        index.entity("gn:nope")
    with pytest.raises(KeyError):
        index.geometry("gn:nope")


def test_geometry_falls_back_to_the_point(tmp_path):
    path = tmp_path / "points.parquet"
    pq.write_table(
        pa.Table.from_pylist([_row("x:1", "Nowhere", [], 10.0, 20.0, geometry=None)], schema=ENTITY_SCHEMA),
        path,
    )
    index = GazetteerIndex.build([path], tmp_path / "index", progress=False)
    assert index.geometry("x:1").equals(shapely.Point(20.0, 10.0))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "\t\n",
        "!!!",
        "...",
        "x" * 10_000,
        "Paris " * 100,
        "\x00\x01\x02",
        "\ud800",
        "🙂🙂🙂",
        "ﷺ",
        "\u200b\u200d",
        "a\u0301\u0301\u0301",
    ],
)
def test_odd_queries_return_clear_results(index, query):
    candidates = index.lookup(query)
    assert isinstance(candidates, list)
    assert index.has_name(query) in (True, False)


def test_non_string_query_is_a_clear_error(index):
    with pytest.raises(BadInputError, match="string"):
        index.lookup(None)
    with pytest.raises(BadInputError, match="string"):
        index.has_name(42)


def _count_in_child(path, queue) -> None:
    index = GazetteerIndex.open(path)
    queue.put(ids(index.lookup("Paris", top_k=3)))


def test_read_from_several_processes(index):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    children = [context.Process(target=_count_in_child, args=(index.path, queue)) for _ in range(2)]
    for child in children:
        child.start()
    results = [queue.get(timeout=60) for _ in children]
    for child in children:
        child.join()
    assert results == [ids(index.lookup("Paris", top_k=3))] * 2


def test_bad_inputs(tmp_path, shards):
    with pytest.raises(BadInputError, match="does not exist"):
        GazetteerIndex.build([tmp_path / "missing.parquet"], tmp_path / "index")
    with pytest.raises(BadInputError, match="no parquet"):
        GazetteerIndex.build([], tmp_path / "index")
    not_parquet = tmp_path / "bad.parquet"
    not_parquet.write_text("entity_id,name\n1,x\n")
    with pytest.raises(BadInputError, match="not a readable parquet"):
        GazetteerIndex.build([not_parquet], tmp_path / "index")
    wrong_columns = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"id": ["a"], "label": ["x"]}), wrong_columns)
    with pytest.raises(BadInputError, match="lacks the gazetteer column"):
        GazetteerIndex.build([wrong_columns], tmp_path / "index")
    with pytest.raises(BadInputError, match="occurs 2 times"):
        GazetteerIndex.build([shards[0], shards[0]], tmp_path / "index", progress=False)
    bad_lat = tmp_path / "lat.parquet"
    pq.write_table(pa.Table.from_pylist([_row("x:1", "X", [], 95.0, 0.0)], schema=ENTITY_SCHEMA), bad_lat)
    with pytest.raises(BadInputError, match="lat"):
        GazetteerIndex.build([bad_lat], tmp_path / "index", progress=False)
    no_id = tmp_path / "no_id.parquet"
    pq.write_table(
        pa.Table.from_pylist(
            [_row("x:1", "X", [], 1.0, 0.0), _row(None, "Y", [], 1.0, 0.0)], schema=ENTITY_SCHEMA
        ),
        no_id,
    )
    with pytest.raises(BadInputError, match="no_id.parquet: row 1 has no entity_id"):
        GazetteerIndex.build([no_id], tmp_path / "index", progress=False)
    assert not (tmp_path / "index").exists()  # failed builds leave nothing behind, staging folders included
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    with pytest.raises(MissingAssetError, match="georeset gazetteer build"):
        GazetteerIndex.open(tmp_path / "index")


def test_rebuild_replaces_the_previous_index(tmp_path, shards):
    out = tmp_path / "index"
    GazetteerIndex.build([shards[0]], out, progress=False)
    rebuilt = GazetteerIndex.build([shards[1]], out, progress=False)
    assert len(rebuilt) == len(ROWS) - 10 and rebuilt.lookup("Paris", fuzzy=False) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


def test_minimal_columns_and_empty_shards(tmp_path):
    minimal = tmp_path / "minimal.parquet"
    pq.write_table(
        pa.table(
            {
                "entity_id": ["m:1", "m:2"],
                "name": ["Springfield", "Shelbyville"],
                "names": pa.array(
                    [[], None], pa.list_(pa.struct([("name", pa.string()), ("lang", pa.string())]))
                ),
                "lat": [39.8, 39.4],
                "lon": [-89.6, -88.8],
            }
        ),
        minimal,
    )
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.Table.from_pylist([], schema=ENTITY_SCHEMA), empty)
    index = GazetteerIndex.build([minimal, empty], tmp_path / "index", progress=False)
    assert len(index) == 2
    springfield = index.lookup("Springfeld")
    assert ids(springfield) == ["m:1"] and springfield[0].matched_name == "Springfield"
    assert springfield[0].geonames_id is None and springfield[0].bbox == (-89.6, 39.8, -89.6, 39.8)
    assert index.entity("m:2")["names"] is None
    only_empty = GazetteerIndex.build([empty], tmp_path / "empty-index", progress=False)
    assert len(only_empty) == 0 and only_empty.lookup("Springfield") == [] and not only_empty.has_name("x")
