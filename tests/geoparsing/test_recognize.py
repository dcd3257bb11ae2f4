"""Recognition: NER places, places inside organisation names, demonyms, relabelled PERSON/ORG, common words."""

from __future__ import annotations

import pytest

from modeling.geoparsing.recognize import Recognizer, RecognizerSettings


@pytest.fixture(scope="module")
def recognizer(nlp_en, memory_index):
    return Recognizer(nlp_en, memory_index)


def _found(recognizer, text):
    return [(m.text, m.source) for m in recognizer.recognize(text)]


def test_offsets_match_text(recognizer):
    text = "Flooding hit Paris, Texas on Monday."
    mentions = recognizer.recognize(text)
    assert [m.text for m in mentions] == ["Paris", "Texas"]
    assert all(text[m.start : m.end] == m.text for m in mentions)


def test_places_inside_organisation_names(recognizer):
    found = dict(
        _found(recognizer, "The Paris Police Department thanked the University of Georgia on Friday.")
    )
    assert found.get("Paris") == "embedded"
    assert found.get("Georgia") == "embedded"
    assert "Paris Police Department" not in found


def test_demonyms_are_mentions(recognizer):
    mentions = recognizer.recognize("Turkish officials met French diplomats.")
    demonyms = {m.text: m.is_demonym for m in mentions}
    assert demonyms == {"Turkish": True, "French": True}


def test_person_or_org_labels_are_not_trusted(recognizer):
    # spaCy's md model labels both ORG here (the small one called Montpellier PERSON).
    text = "Flooding hit the centre of Montpellier on Monday, while Tamil Nadu braced for a cyclone."
    found = [t for t, _ in _found(recognizer, text)]
    assert "Montpellier" in found and "Tamil Nadu" in found


def test_common_words_need_place_evidence(recognizer):
    text = "Reading is fun. The mobile home was old. She moved to Reading last year."
    mentions = recognizer.recognize(text)
    assert [(m.text, m.start) for m in mentions] == [("Reading", text.rindex("Reading"))]


def test_without_gazetteer_only_ner_places(nlp_en):
    recognizer = Recognizer(nlp_en, None)
    assert [m.text for m in recognizer.recognize("Turkish officials met in Paris, France.")] == [
        "Paris",
        "France",
    ]


def test_long_document_chunks_keep_global_offsets(nlp_en, memory_index):
    sentence = "Officials in Denver and Boulder met on Monday to discuss the snow. "
    text = sentence * 400  # ~27k characters
    recognizer = Recognizer(nlp_en, memory_index, RecognizerSettings(chunk_chars=5_000))
    mentions = recognizer.recognize(text)
    assert len(mentions) == 800
    assert all(text[m.start : m.end] == m.text for m in mentions)
    assert {m.text for m in mentions} == {"Denver", "Boulder"}


def test_markup_is_blanked_but_offsets_kept(recognizer):
    text = "<html><body><p>Snow fell in <b>Denver</b> and Boulder.</p><script>var Paris = 1;</script></body></html>"
    mentions = recognizer.recognize(text)
    assert [m.text for m in mentions] == ["Denver", "Boulder"]
    assert all(text[m.start : m.end] == m.text for m in mentions)


def test_a_name_coordinated_with_a_place_is_a_place(recognizer, nlp_en):
    text = "Flooding closed roads between Montpellier and Nîmes in the south of France."
    labels = {ent.text: ent.label_ for ent in nlp_en(text).ents}
    assert labels.get("Nîmes") not in ("GPE", "LOC")  # the small model calls it ORG: the case to recover
    found = dict(_found(recognizer, text))
    assert found.get("Nîmes") == "ner_relabeled"
    # Coordination with a non-place proves nothing.
    assert "Nîmes" not in dict(_found(recognizer, "Smith and Nîmes signed the contract."))
