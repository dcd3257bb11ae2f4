"""The Geoparser end to end and in gold mode: output fields, GeoJSON, stats, bad input."""

from __future__ import annotations

import json
import time

import pytest

from georeset.errors import BadInputError
from modeling.geoparsing import Geoparser, to_geojson

FIELDS = {
    "start",
    "end",
    "text",
    "entity_id",
    "name",
    "lat",
    "lon",
    "country_code",
    "feature_type",
    "admin_path",
    "geometry",
    "confidence",
    "stage",
    "geonames_id",
    "wikidata_id",
    "osm_id",
    "mention_source",
}


def test_parse_fields_and_values(geoparser):
    doc = geoparser.parse("Flooding hit Paris, Texas on Monday.")
    paris, texas = doc.toponyms
    assert (paris.start, paris.end, paris.text) == (13, 18, "Paris")
    assert paris.entity_id == "E2" and paris.geonames_id == 4717560
    assert paris.admin_path == "United States > Texas > Lamar County"
    assert paris.geometry == {"type": "Point", "coordinates": [-95.5555, 33.6609]}
    assert paris.stage == "ranker" and 0.5 < paris.confidence <= 1.0
    assert texas.feature_type == "admin1" and texas.country_code == "US"
    record = doc.to_dict()
    assert set(record) == {"text", "toponyms"}
    assert set(record["toponyms"][0]) == FIELDS
    assert "candidates" in doc.to_dict(with_candidates=True)["toponyms"][0]
    json.dumps(doc.to_dict(with_candidates=True))


def test_polygon_geometry_where_the_gazetteer_has_one(geoparser):
    (france,) = geoparser.parse("Rain fell across France.").toponyms
    assert france.geometry["type"] == "Polygon"
    assert france.admin_path == ""


def test_geojson_feature_collection(geoparser):
    doc = geoparser.parse("Snow in Denver and Xqzwvville, Colorado.")
    collection = to_geojson(doc)
    assert collection["type"] == "FeatureCollection"
    names = [f["properties"]["name"] for f in collection["features"]]
    assert names == ["Denver", "Colorado"]
    assert collection["features"][0]["geometry"]["type"] == "Point"
    assert "geometry" not in collection["features"][0]["properties"]


def test_gold_mode_resolves_given_spans_in_order(geoparser):
    text = "Alexandria woman charged. She lives in Alexandria, La."
    toponyms = geoparser.resolve(text, [(51, 54), (0, 10), (39, 49)])
    assert [t.text for t in toponyms] == ["La.", "Alexandria", "Alexandria"]
    assert [t.entity_id for t in toponyms] == ["E19", "E17", "E17"]
    assert all(t.mention_source == "gold" for t in toponyms)


def test_unresolvable_name_keeps_the_others(geoparser):
    toponyms = geoparser.resolve("Xqzwv and Denver", [(0, 5), (10, 16)])
    assert toponyms[0].entity_id is None and toponyms[0].stage == "no_match" and toponyms[0].confidence == 1.0
    assert toponyms[1].entity_id == "E24"


def test_bad_spans_are_clear_errors(geoparser):
    with pytest.raises(BadInputError, match=r"spans\[0\] = \(5, 100\): outside the text"):
        geoparser.resolve("Denver", [(5, 100)])
    with pytest.raises(BadInputError, match=r"spans\[0\]"):
        geoparser.resolve("Denver", [("a", None)])


def test_stats_count_each_stage(memory_index):
    gp = Geoparser(memory_index)
    gp.parse_batch(["Snow in Denver.", "Rain in Paris, Texas."])
    assert gp.stats["documents"] == 2 and gp.stats["mentions"] == 3
    assert gp.stats["llm_calls"] == 0
    assert set(gp.stats["seconds"]) >= {"recognize", "candidates", "rank", "output"}


def test_worker_processes_give_the_same_documents_in_order(memory_index, monkeypatch):
    import modeling.geoparsing.geoparser as geoparser_module
    from modeling.geoparsing import workers

    texts = [
        "Snow in Denver.",
        "Rain in Paris, Texas.",
        "",
        "Boulder and Denver, Colorado.",
        "Paris in spring.",
        "Nothing here.",
        "Rain fell across France.",
    ] * 3
    alone = Geoparser(memory_index)
    expected = [doc.to_dict() for doc in alone.parse_batch(texts)]
    assert workers.can_fork()
    calls = []

    def spy(geoparser, texts, batch_size, n_process):
        calls.append((batch_size, n_process))
        return workers.parse_in_workers(geoparser, texts, batch_size, n_process)

    monkeypatch.setattr(geoparser_module, "parse_in_workers", spy)
    parallel = Geoparser(memory_index)
    docs = parallel.parse_batch(texts, batch_size=2, n_process=2)
    assert calls == [(2, 2)]  # the worker path ran (not spaCy's n_process)
    assert [doc.to_dict() for doc in docs] == expected
    # footprints: the parent filled in what the workers left for it
    assert [t.geometry["type"] for t in docs[6].toponyms] == ["Polygon"]
    # the workers' counters come back to the parent
    for key in ("documents", "mentions", "resolved", "no_match", "candidates", "mention_sources"):
        assert parallel.stats[key] == alone.stats[key], key
    assert set(parallel.stats["seconds"]) >= {"recognize", "candidates", "rank", "output"}
    assert workers.chunk_size(len(texts), 2, 2) == 2 and workers.chunk_size(300, 64, 2) == 38
    with pytest.raises(BadInputError, match="n_process: 0"):
        parallel.parse_batch(texts, n_process=0)

    # A stream: one pool for all of it, lazily, in order; a bad text is an error naming it, raised in the caller.
    for n_process in (1, 2):
        stream = parallel.parse_stream(iter(texts), batch_size=4, n_process=n_process)
        assert [doc.to_dict() for doc in stream] == expected
    bad = [*texts[:5], b"\x00\xff\xfe garbage", *texts[5:]]
    with pytest.raises(BadInputError, match="text #5"):
        list(parallel.parse_stream(bad, batch_size=2, n_process=2))


def test_a_worker_that_dies_is_a_clear_error_not_a_hang(memory_index):
    import os

    from georeset.errors import GeoresetError

    class DyingWorker(
        Geoparser
    ):  # the forked workers inherit this instance: "DIE" ends one, as an OOM kill would
        def parse_batch(self, texts, batch_size=32, *, n_process=1):
            if n_process == 1 and "DIE" in texts:
                os._exit(9)
            return super().parse_batch(texts, batch_size, n_process=n_process)

    texts = ["Snow in Denver."] * 6 + ["DIE"] + ["Rain in Paris, Texas."] * 6
    started = time.monotonic()
    with pytest.raises(GeoresetError, match="worker process died"):
        list(DyingWorker(memory_index).parse_stream(texts, batch_size=2, n_process=2))
    assert time.monotonic() - started < 60
    # a caller that stops early gets its documents and leaves no worker behind
    first = next(DyingWorker(memory_index).parse_stream(texts, batch_size=2, n_process=2))
    assert first.toponyms[0].text == "Denver"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "🌧️🌧️ Flooding in Denver 🚒 and 東京 and Москва, then Boulder.",
        "<div onclick='x'>Snow <i>in</i> Denver</div><!-- Paris --><style>p{}</style>",
        "\x00\x01\x02 Denver \x7f",
        "a" * 300_000,
    ],
)
def test_odd_text_never_crashes(geoparser, text):
    started = time.perf_counter()
    doc = geoparser.parse(text)
    assert time.perf_counter() - started < 30
    assert all(text[t.start : t.end] == t.text for t in doc.toponyms)


def test_bytes_input(geoparser):
    assert [t.text for t in geoparser.parse(b"Snow in Denver.").toponyms] == ["Denver"]
    with pytest.raises(BadInputError, match="not UTF-8 text"):
        geoparser.parse(bytes(range(128, 256)) * 10)
    with pytest.raises(BadInputError, match="expected a string"):
        geoparser.parse(12345)


def test_auto_language_and_french(memory_index):
    gp = Geoparser(memory_index, lang="auto")
    doc = gp.parse("Les inondations ont touché Montpellier et Nîmes avant de gagner la France.")
    assert {t.text: t.entity_id for t in doc.toponyms} == {
        "Montpellier": "E11",
        "Nîmes": "E29",
        "France": "E6",
    }


def test_unknown_language_is_refused(memory_index):
    with pytest.raises(BadInputError, match="lang: 'de'"):
        Geoparser(memory_index, lang="de")


def test_places_named_outside_the_gold_spans_inform_the_choice(memory_index):
    text = "Paris is a small town. Its mayor met officials from Denver, Boulder and Mobile."
    with_context = Geoparser(memory_index).resolve(text, [(0, 5)])
    without = Geoparser(memory_index, text_context=False).resolve(text, [(0, 5)])
    assert with_context[0].country_code == "US"  # Denver, Boulder and Mobile, found in the text, are context
    assert without[0].entity_id == "E1"
    assert len(with_context) == 1  # context places are never output


def test_context_finder_skips_taken_spans_and_obscure_names(memory_index):
    from modeling.geoparsing.context import ContextFinder

    found = ContextFinder(memory_index)("Snow in Denver and Boulder, Colorado. The Xqzwv valley.", [(8, 14)])
    assert [m.text for m, _ in found] == ["Boulder", "Colorado"]
    assert all(m.source == "context" for m, _ in found)


def test_long_document_is_ranked_in_windows_with_right_offsets(geoparser):
    text = "Storms hit Paris, Texas on Monday. " * 1200  # 42k characters: ranked in windows
    doc = geoparser.parse(text)
    assert len(doc.toponyms) == 2400
    assert all(text[t.start : t.end] == t.text for t in doc.toponyms)
    assert {t.entity_id for t in doc.toponyms if t.text == "Paris"} == {"E2"}
