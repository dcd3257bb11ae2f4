"""Candidates: surface variants, exact and tolerant lookups, partial names, the cache."""

from __future__ import annotations

from modeling.geoparsing.candidates import CandidateGenerator, CandidateSettings, surface_variants


def test_surface_variants():
    assert surface_variants("Texas's") == ["Texas's", "Texas"]
    assert surface_variants("the  Netherlands") == ["the Netherlands", "Netherlands"]
    assert surface_variants("  Paris, ") == ["Paris"]


def test_exact_candidates_all_homonyms(memory_index):
    generate = CandidateGenerator(memory_index)
    ids = {c.entity_id for c in generate("Paris")}
    assert ids == {"E1", "E2", "E3"}


def test_possessive_and_abbreviation(memory_index):
    generate = CandidateGenerator(memory_index)
    assert {c.entity_id for c in generate("Georgia’s")} == {"E9", "E10"}
    la = generate("La.")
    assert la and la[0].entity_id == "E19" and la[0].matched_lang == "abbr"


def test_misspelling_is_fuzzy(memory_index):
    found = CandidateGenerator(memory_index)("Montpelier")
    assert found[0].entity_id == "E11"
    assert found[0].match_type == "fuzzy" and 0.8 <= found[0].match_score < 1.0


def test_partial_name_falls_back_to_known_part(memory_index):
    found = CandidateGenerator(memory_index)("Rapides Parish Fire District")
    assert found[0].entity_id == "E20"
    assert found[0].match_type == "partial"
    assert 0 < found[0].match_score < 1


def test_unknown_name_has_no_candidates(memory_index):
    generate = CandidateGenerator(memory_index, CandidateSettings(partial=False))
    assert generate("Xqzwv") == []


def test_cache_avoids_repeated_lookups(memory_index):
    generate = CandidateGenerator(memory_index)
    generate("Boulder")
    before = memory_index.lookups
    generate("Boulder")
    assert memory_index.lookups == before


def test_exact_homonyms_are_kept_beyond_top_k(memory_index):
    # top_k bounds the tolerant matches; the small homonyms of a common name must still reach the ranker.
    many = CandidateGenerator(memory_index, CandidateSettings(top_k=1, exact_top_k=10))("Paris")
    assert {"E1", "E2", "E3"} <= {c.entity_id for c in many}
    assert all(c.match_type == "exact" for c in many)
    few = CandidateGenerator(memory_index, CandidateSettings(top_k=1, exact_top_k=1))("Paris")
    assert len(few) == 1
