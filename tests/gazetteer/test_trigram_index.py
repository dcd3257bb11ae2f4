"""TrigramIndex: fuzzy search over keys must equal an exhaustive scan within the allowed edit distance."""

from __future__ import annotations

import random

import pytest
from rapidfuzz.distance import OSA

from data_builders.gazetteer.trigram_index import TrigramIndex, max_edit_distance

KEYS = [
    "montpellier",
    "montpelier",
    "montpelhier",
    "philadelphia",
    "paris",
    "parís",
    "pariz",
    "rio",
    "rio de janeiro",
    "saint petersburg",
    "sankt peterburg",
    "москва",
    "москвa",
    "東京",
    "東京都",
    "springfield",
    "springfeld",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> TrigramIndex:
    return TrigramIndex.build(KEYS, tmp_path_factory.mktemp("trigrams"))


def test_keys_round_trip(index):
    assert len(index) == len(KEYS)
    assert sorted(index.key(i) for i in range(len(index))) == sorted(KEYS)


def test_search_finds_near_keys_nearest_first(index):
    found = index.search("philadelpia")
    assert [m.key for m in found] == ["philadelphia"] and found[0].distance == 1
    montpelier = index.search("montpelier")
    assert montpelier[0].key == "montpelier" and montpelier[0].distance == 0
    assert {"montpellier", "montpelhier"} <= {m.key for m in montpelier}
    assert all(0 < m.similarity <= 1 for m in montpelier)


def test_transposition_counts_as_one_edit(index):
    assert [m.key for m in index.search("prais")] == ["paris"]


def test_short_keys_are_not_fuzzed(index):
    assert max_edit_distance(3) == 0
    assert [m.key for m in index.search("rio")] == ["rio"]
    assert index.search("rix") == []


def test_other_scripts(index):
    assert {m.key for m in index.search("москвы")} == {"москва", "москвa"}
    assert [m.key for m in index.search("東京都", max_distance=1)] == ["東京都", "東京"]


def test_matches_an_exhaustive_scan(tmp_path):
    rng = random.Random(7)
    alphabet = "abcdeilnorst "
    keys = sorted(
        {"".join(rng.choice(alphabet) for _ in range(rng.randint(3, 14))).strip() for _ in range(3000)}
    )
    keys = [k for k in keys if k]
    index = TrigramIndex.build(keys, tmp_path)
    for query in rng.sample(keys, 40) + ["".join(rng.choice(alphabet) for _ in range(9)) for _ in range(20)]:
        limit = max_edit_distance(len(query))
        expected = {k for k in keys if OSA.distance(query, k) <= limit}
        assert {m.key for m in index.search(query, limit=10_000)} == expected, query


def test_empty_index_and_empty_query(tmp_path):
    empty = TrigramIndex.build([], tmp_path)
    assert len(empty) == 0 and empty.search("paris") == []
    assert TrigramIndex.build(["paris"], tmp_path / "one").search("") == []


def test_find_and_prefix(index):
    for key in KEYS:
        key_id = index.find(key)
        assert key_id >= 0 and index.key(key_id) == key
    assert index.find("parisx") == -1 and index.find("") == -1 and index.find("x" * 500) == -1
    assert [index.key(i) for i in index.prefix_ids("par", 10)] == ["paris", "pariz", "parís"]
    assert [index.key(i) for i in index.prefix_ids("rio", 10)] == ["rio de janeiro"]
    assert [index.key(i) for i in index.prefix_ids("東京", 10)] == ["東京都"]
    assert len(index.prefix_ids("par", 2)) == 2
    assert index.search("philadelpia")[0].key_id == index.find("philadelphia")
