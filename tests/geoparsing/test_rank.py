"""Ranking: features, choices on known ambiguities, calibrated probabilities and the explicit no-match."""

from __future__ import annotations

import math

import pytest

from modeling.geoparsing.candidates import CandidateGenerator
from modeling.geoparsing.rank import FEATURES, Ranker
from modeling.geoparsing.types import Mention


def _rank(index, text, names):
    mentions, start = [], 0
    for name in names:
        start = text.index(name, start)
        mentions.append(Mention(start, start + len(name), name))
        start += len(name)
    generate = CandidateGenerator(index)
    return Ranker(index).rank(text, mentions, [generate(m.text) for m in mentions])


def test_paris_alone_is_the_capital(memory_index):
    ((scored, p_nil),) = _rank(memory_index, "She flew to Paris.", ["Paris"])
    assert scored[0].candidate.entity_id == "E1"
    assert math.isclose(sum(s.probability for s in scored) + p_nil, 1.0, rel_tol=1e-9)


def test_paris_with_texas_context_is_paris_texas(memory_index):
    ranked = _rank(
        memory_index,
        "Storms hit Paris on Monday. Texas officials said the damage was heavy.",
        ["Paris", "Texas"],
    )
    assert ranked[0][0][0].candidate.entity_id == "E2"
    assert ranked[0][0][0].features["country_context"] > 0.5
    assert ranked[0][0][0].features["admin_named"] == 1.0


def test_x_comma_y_containment(memory_index):
    ranked = _rank(memory_index, "He lives in Paris, Tenn., with his family.", ["Paris"])
    top = ranked[0][0][0]
    assert top.candidate.entity_id == "E3"
    assert top.features["container"] == 1.0


def test_alexandria_la_abbreviation(memory_index):
    ranked = _rank(memory_index, "A woman from Alexandria, La. was arrested.", ["Alexandria", "La."])
    assert ranked[0][0][0].candidate.entity_id == "E17"
    assert ranked[1][0][0].candidate.entity_id == "E19"
    assert ranked[1][0][0].features["container_slot"] == 1.0


def test_demonym_picks_the_country(memory_index):
    ranked = _rank(memory_index, "Turkish troops moved.", ["Turkish"])
    top = ranked[0][0][0]
    assert top.candidate.entity_id == "E8" and top.features["demonym"] == 1.0


def test_features_are_complete_and_bounded(memory_index):
    ranked = _rank(memory_index, "Denver and Boulder, Colorado.", ["Denver", "Boulder", "Colorado"])
    for scored, _ in ranked:
        for s in scored:
            assert set(s.features) == set(FEATURES)
            assert all(-1.0 <= v <= 2.0 for v in s.features.values())


def test_no_candidates_is_no_match(memory_index):
    ranked = _rank(memory_index, "Snow in Xqzwv and Denver.", ["Xqzwv", "Denver"])
    assert ranked[0] == ([], 1.0)
    assert ranked[1][0][0].candidate.entity_id == "E24"


def test_same_text_same_choice(memory_index):
    ranked = _rank(memory_index, "Paris is calm. Paris, Texas got rain.", ["Paris", "Paris", "Texas"])
    assert ranked[0][0][0].candidate.entity_id == ranked[1][0][0].candidate.entity_id == "E2"


def test_mismatched_lengths_are_an_error(memory_index):
    with pytest.raises(ValueError, match="2 mentions but 1"):
        Ranker(memory_index).rank("a b", [Mention(0, 1, "a"), Mention(2, 3, "b")], [[]])


def test_an_admin_unit_named_after_the_place_is_no_cue(memory_index):
    """ "Dublin City Schools" in an Ohio paper names no admin unit of Dublin, Ireland (admin2 "Dublin City")."""
    from dataclasses import replace

    text = "Paris City Schools reopened in Paris on Monday."
    start = text.index("Paris", 1)
    candidates = [
        replace(c, admin2_name="Paris City") if c.entity_id == "E1" else c
        for c in CandidateGenerator(memory_index)("Paris")
    ]
    ((scored, _),) = Ranker(memory_index).rank(text, [Mention(start, start + 5, "Paris")], [candidates])
    paris_fr = next(s for s in scored if s.candidate.entity_id == "E1")
    assert paris_fr.features["admin_named"] == 0.0


def test_admin_written_where_the_mention_lies(memory_index):
    # Both states are written; only Tennessee is where the text says Paris lies.
    text = "Paris is a small city in Henry County, Tennessee. The Texas team visited on Monday."
    ((scored, _),) = _rank(memory_index, text, ["Paris"])
    top = scored[0]
    assert top.candidate.entity_id == "E3"
    assert top.features["admin_near"] == 1.0 and top.features["admin_named"] == 1.0
    by_id = {s.candidate.entity_id: s for s in scored}
    assert by_id["E2"].features["admin_near"] == 0.0 and by_id["E2"].features["admin_named"] == 1.0
    unaware = Ranker(memory_index)
    unaware.weights.weights["admin_near"] = 0.0
    mention = Mention(0, 5, "Paris")
    ((without, _),) = unaware.rank(text, [mention], [CandidateGenerator(memory_index)("Paris")])
    assert without[0].candidate.entity_id == "E2"  # the cue is what decides


def test_a_list_of_places_says_nothing_of_where_one_lies(memory_index):
    ((scored, _),) = _rank(memory_index, "Paris and Lamar County, Texas, got rain.", ["Paris"])
    by_id = {s.candidate.entity_id: s for s in scored}
    assert by_id["E2"].features["admin_near"] == 0.0
    assert by_id["E2"].features["admin_named"] == 1.0


def test_admin_names_match_without_accents(memory_index):
    ((scored, _),) = _rank(memory_index, "Paris, in Ile-de-France, was calm.", ["Paris"])
    by_id = {s.candidate.entity_id: s for s in scored}
    assert by_id["E1"].features["admin_named"] == 1.0


def test_where_a_place_lies_is_read_where_it_is_introduced(memory_index):
    later = "Paris got rain. Paris is a small city in Henry County, Tennessee."
    (scored, _), _ = _rank(memory_index, later, ["Paris", "Paris"])
    assert {s.candidate.entity_id: s for s in scored}["E3"].features["admin_near"] == 0.0
    named_after = "Paris is a small town named after the Paris in Henry County, Tennessee."
    ((scored, _),) = _rank(memory_index, named_after, ["Paris"])
    assert {s.candidate.entity_id: s for s in scored}["E3"].features["admin_near"] == 0.0


def test_a_name_inside_another_is_no_evidence_for_it(memory_index):
    # "Paris City Council" found as a place "Paris City" (here: France's Paris) must not vote for France's Paris.
    text = "The Paris City Council met. Paris got rain."
    generate = CandidateGenerator(memory_index)
    paris = generate("Paris")
    france = [c for c in paris if c.entity_id == "E1"]
    mentions = [Mention(28, 33, "Paris"), Mention(4, 14, "Paris City")]
    ((scored, _), (_, _)) = Ranker(memory_index).rank(text, mentions, [paris, france])
    by_id = {s.candidate.entity_id: s for s in scored}
    assert by_id["E1"].features["proximity"] == 0.0
    assert by_id["E1"].features["country_context"] == 0.0


def test_a_county_holding_a_named_town_is_the_county_meant():
    from tests.geoparsing.conftest import PLACES, MemoryIndex

    paris = [p for p in PLACES if p[0] in ("E1", "E3")]  # Paris, France and Paris, Henry County, Tennessee
    counties = [
        (
            "H1",
            "Henry County",
            "admin2",
            "US",
            "TN",
            "Tennessee",
            "Henry County",
            32_000,
            36.33,
            -88.3,
            [],
            1,
        ),
        (
            "H2",
            "Henry County",
            "admin2",
            "US",
            "GA",
            "Georgia",
            "Henry County",
            240_000,
            33.45,
            -84.15,
            [],
            2,
        ),
    ]
    index = MemoryIndex(paris + counties)
    ranked = _rank(index, "Paris and Henry County got rain.", ["Paris", "Henry County"])
    county = {s.candidate.entity_id: s for s in ranked[1][0]}
    assert county["H1"].features["holds_mentioned"] == 1.0
    assert county["H2"].features["holds_mentioned"] == 0.0
    assert ranked[1][0][0].candidate.entity_id == "H1"
