"""Recognition and ranking rules read from generic news and encyclopedia conventions.

Each test states a rule of `modeling.geoparsing.recognize` / `rank` / `context` and fails without it: streets,
legislators' districts ("D-Pa."), datelines, places that modify people or institution nouns, demonyms that open
organisation names, compass words, surnames, bare acronyms, abbreviations split from their period, qualified
mentions ("Arlington, Virginia") and look-alike context names.
"""

from __future__ import annotations

import pytest

from modeling.geoparsing import Geoparser
from modeling.geoparsing.candidates import CandidateGenerator
from modeling.geoparsing.context import ContextFinder
from modeling.geoparsing.rank import Ranker
from modeling.geoparsing.recognize import Recognizer
from modeling.geoparsing.types import SOURCE_STREET, Mention

from .conftest import PLACES, MemoryIndex


def _place(eid, name, ftype, cc, admin1, pop, lat, lon, alts=(), admin2=""):
    """A row of `PLACES` (see conftest); the admin1 name is looked up from its code below."""
    admin1_names = {"CT": "Connecticut", "GA": "Georgia", "NH": "New Hampshire", "WV": "West Virginia"}
    admin1_names |= {
        "MD": "Maryland",
        "VA": "Virginia",
        "OR": "Oregon",
        "LA": "Louisiana",
        "02": "Andhra Pradesh",
    }
    return (eid, name, ftype, cc, admin1, admin1_names.get(admin1, ""), admin2, pop, lat, lon, list(alts), 0)


EXTRA_PLACES = [
    _place("X1", "Harwinton", "settlement", "US", "CT", 5_500, 41.77, -73.06),
    _place("X2", "Grovetown", "settlement", "US", "GA", 13_093, 33.45, -82.20),
    _place("X3", "Hopkinton", "settlement", "US", "NH", 5_600, 43.19, -71.67),
    _place("X4", "Russia", "country", "RU", "", 144_000_000, 60.0, 100.0, [("Russian", "demonym")]),
    _place("X5", "Flores", "settlement", "GT", "17", 20_464, 16.93, -89.89),
    _place("X6", "Andhra Pradesh", "admin1", "IN", "02", 49_000_000, 16.0, 80.0, [("AP", "en")]),
    _place("X7", "West Virginia", "admin1", "US", "WV", 1_800_000, 38.5, -80.5, [("W.Va.", "abbr")]),
    _place("X8", "Charleston", "settlement", "US", "WV", 46_838, 38.35, -81.63),
    _place("X9", "Frederick", "settlement", "US", "MD", 65_239, 39.41, -77.41),
    _place("X10", "Arlington", "settlement", "US", "VA", 230_000, 38.88, -77.10, admin2="Arlington County"),
    _place("X11", "Arlington", "settlement", "US", "OR", 586, 45.72, -120.20, admin2="Gilliam County"),
    _place("X12", "Virginia", "admin1", "US", "VA", 8_500_000, 37.5, -78.8),
    _place("X13", "Oregon", "admin1", "US", "OR", 4_200_000, 44.0, -120.5),
    _place("X14", "Teresina", "settlement", "BR", "20", 800_000, -5.09, -42.80, [("THE", "")]),
    _place("X15", "Lafayette", "settlement", "US", "LA", 126_000, 30.22, -92.02),
    _place("X16", "Gilliam County", "admin2", "US", "OR", 2_000, 45.38, -120.21, admin2="Gilliam County"),
    _place("X17", "Nîmes", "settlement", "FR", "76", 148_561, 43.84, 4.36, [("Nimes", "en")]),
]


@pytest.fixture(scope="module")
def news_index():
    return MemoryIndex(PLACES + EXTRA_PLACES)


@pytest.fixture(scope="module")
def recognizer(nlp_en, news_index):
    return Recognizer(nlp_en, news_index)


def _found(recognizer, text):
    mentions = recognizer.recognize(text)
    assert all(text[m.start : m.end] == m.text for m in mentions)
    return [(m.text, m.source) for m in mentions]


def test_street_names_are_toponyms_and_hide_the_place_inside(recognizer):
    text = "Four people of 44 Hungerford St. were arrested on Avalon Boulevard near E. Main Street and Lafayette Ave."
    found = _found(recognizer, text)
    streets = [t for t, source in found if source == SOURCE_STREET]
    assert streets == ["Hungerford St.", "Avalon Boulevard", "E. Main Street", "Lafayette Ave."]
    assert "Lafayette" not in [t for t, _ in found]


def test_a_street_word_inside_a_longer_name_is_no_street(recognizer):
    found = _found(recognizer, "She reads the Wall Street Journal in St. Paris every day.")
    assert not [t for t, source in found if source == SOURCE_STREET]


def test_party_district_notation(recognizer):
    found = _found(recognizer, "Sen. Bob Casey, D-Pa., called the findings troubling.")
    assert ("Pa.", "ner_relabeled") in found
    assert not [t for t, _ in found if t.startswith("D-")]


def test_dateline_names_a_place(recognizer):
    found = [
        t for t, _ in _found(recognizer, "HARWINTON — Former Democratic Senate nominee Ned Lamont spoke.")
    ]
    assert "HARWINTON" in found


def test_name_modifying_people_or_police(recognizer):
    found = [t for t, _ in _found(recognizer, "A woman was charged. Grovetown police said she admitted it.")]
    assert "Grovetown" in found
    # The noun itself at a sentence start is no place, even when a town bears its name.
    assert "Police" not in [t for t, _ in _found(recognizer, "Police officers went to investigate.")]


def test_small_town_before_an_institution_word(recognizer):
    found = dict(_found(recognizer, "Call the Hopkinton Police Department at 746-5151."))
    assert found.get("Hopkinton") == "embedded"


def test_demonyms_in_organisation_names_and_hyphenated(recognizer):
    found = _found(recognizer, "The Georgian Foreign Ministry said a Russian-American crew would fly.")
    assert ("Georgian", "demonym") in found
    assert ("Russian", "demonym") in found and ("American", "demonym") in found


def test_lower_case_compass_word_is_no_part_of_the_name(recognizer):
    text = "Rain fell, but the remainder of north Georgia is drought-free, Stooksbury said."
    found = [t for t, _ in _found(recognizer, text)]  # the NER's GPE is "north Georgia"
    assert "Georgia" in found and "north Georgia" not in found


def test_surname_of_a_person_is_no_place(recognizer):
    text = "Jose Flores was shot on Monday. Friends of Flores said he had just left the Army."
    assert "Flores" not in [t for t, _ in _found(recognizer, text)]


def test_two_letter_acronym_is_no_state(recognizer):
    found = [
        t
        for t, _ in _found(recognizer, "Hege was taken off life support. (AP Photo/Denver Police Department)")
    ]
    assert "AP" not in found


def test_abbreviation_keeps_its_period_before_a_dash(recognizer):
    found = [
        t for t, _ in _found(recognizer, "CHARLESTON, W.Va. -- Officials at the racetrack vowed to go on.")
    ]
    assert "W.Va." in found


def test_a_known_name_inside_a_longer_name_is_no_place(recognizer):
    # No entity here: the capitalised run "H. L. Athens Funeral Home" is a business, not Athens.
    found = [
        t
        for t, _ in _found(
            recognizer, "Services will be held at the H. L. Athens Funeral Home in Pine Grove."
        )
    ]
    assert "Athens" not in found


def test_street_resolves_only_to_a_street_of_that_name(news_index, nlp_en):
    geoparser = Geoparser(news_index, ner=nlp_en)
    doc = geoparser.parse("The fire started at 1301 Lafayette Ave. on Monday.")
    street = [t for t in doc.toponyms if t.text == "Lafayette Ave."]
    assert street and street[0].entity_id is None and street[0].mention_source == SOURCE_STREET


def test_a_later_qualified_mention_names_another_place(news_index):
    text = "Arlington is a city in Gilliam County, Oregon. It was named after Arlington, Virginia, home of R. E. Lee."
    first = text.index("Arlington")
    second = text.index("Arlington", first + 1)
    mentions = [Mention(first, first + 9, "Arlington"), Mention(second, second + 9, "Arlington")]
    generate = CandidateGenerator(news_index)
    ranked = Ranker(news_index).rank(text, mentions, [generate(m.text) for m in mentions])
    container = [{s.candidate.entity_id: s.features["container"] for s in scored} for scored, _ in ranked]
    # "Arlington, Virginia" qualifies its own mention only, not the article's unqualified subject.
    assert container[1]["X10"] == 1.0
    assert container[0]["X10"] == 0.0


def test_a_first_qualified_mention_still_qualifies_the_later_ones(news_index):
    geoparser = Geoparser(news_index)
    text = "Flooding hit Paris, Tenn. on Monday. Paris officials said the river would crest."
    first = text.index("Paris")
    second = text.index("Paris", first + 1)
    toponyms = geoparser.resolve(text, [(first, first + 5), (second, second + 5)])
    assert toponyms[0].entity_id == toponyms[1].entity_id == "E3"


def test_context_ignores_look_alike_names(news_index):
    finder = ContextFinder(news_index)
    assert finder("The storm hit the coast.", []) == []  # "The" is Teresina's all-capital code "THE"
    found = finder("Teresina flooded.", [])
    assert [m.text for m, _ in found] == ["Teresina"]


def test_sentence_initial_place_before_an_auxiliary(recognizer):
    text = "Flooding hit Paris, Texas, on Monday while Turkish aid arrived in Ankara. Nîmes was spared."
    # "Nîmes": capitalised at a sentence start and left untagged by the NER; the auxiliary after it decides
    assert "Nîmes" in [name for name, _ in _found(recognizer, text)]


def test_a_gold_span_shaped_like_a_street_matches_only_a_street_of_its_name(geoparser):
    """Gold mode gives spans, not the recognizer's street flag: "Paris Road" must not become the town of Paris
    (a wrong place that would also pull the document's other places towards France)."""
    from modeling.geoparsing.recognize import is_street_name

    text = "Crews worked on Paris Road all day."
    street, town = geoparser.resolve(text, [(16, 26), (16, 21)])
    assert street.entity_id is None and town.entity_id is not None
    assert is_street_name("N. High St.") and is_street_name("Hyland-Croy Road")
    assert not is_street_name("Paris") and not is_street_name("Road") and not is_street_name("St. Louis")
