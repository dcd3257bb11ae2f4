"""Collection context: a source's home from its documents' confident places, each document's own left out."""

from __future__ import annotations

import pytest

from georeset.errors import BadInputError
from modeling.geoparsing import Geoparser
from modeling.geoparsing.collection import SourceHomes, home_key
from modeling.geoparsing.types import Toponym


def _toponym(
    feature_type="settlement", admin_path="United States > Louisiana > Rapides Parish", confidence=0.9
):
    return Toponym(
        0,
        1,
        "x",
        entity_id="e",
        name="Louisiana" if feature_type == "admin1" else "x",
        country_code="US",
        feature_type=feature_type,
        admin_path=admin_path,
        confidence=confidence,
    )


def test_home_key_is_country_and_first_level_unit():
    assert home_key(_toponym()) == ("US", "Louisiana")
    assert home_key(_toponym("admin1", "United States")) == ("US", "Louisiana")
    assert home_key(_toponym("country", "")) is None
    assert home_key(Toponym(0, 1, "x")) is None  # no match


def test_a_document_is_not_its_own_evidence():
    homes = SourceHomes(min_toponyms=2)
    homes.add("paper", 0, [_toponym()] * 3)
    homes.add("paper", 1, [_toponym(admin_path="United States > Texas > Lamar County")] * 2)
    homes.add("paper", 2, [_toponym(confidence=0.1)] * 5)  # unsure places do not count
    assert homes.home("paper", 0) == {("US", "Texas"): 1.0}
    assert homes.home("paper", 1) == {("US", "Louisiana"): 1.0}
    assert homes.home("paper", 2) == {("US", "Louisiana"): 0.6, ("US", "Texas"): 0.4}
    assert homes.home("other", 0) is None and homes.home("", 0) is None
    homes.add("paper", 1, [])  # re-adding a document replaces its counts
    assert homes.home("paper", 0) is None  # too few left besides the document's own


def test_resolve_collection_uses_the_source_home(memory_index):
    geoparser = Geoparser(memory_index, with_geometry=False)
    local = "Rapides Parish officials met in Louisiana on Monday."
    spans = [(0, 14), (32, 41)]
    target = ("Alexandria woman charged with arson.", [(0, 10)])
    alone = geoparser.resolve(*target)[0]
    assert alone.entity_id == "E18"  # Egypt's Alexandria, when the article says nothing more
    documents = [(local, spans)] * 3 + [target]
    resolved = geoparser.resolve_collection(documents, ["towntalk"] * 4)
    assert resolved[-1][0].entity_id == "E17"  # the paper's other articles are about Louisiana
    other_source = geoparser.resolve_collection(documents, ["towntalk"] * 3 + ["elsewhere"])
    assert other_source[-1][0].entity_id == "E18"
    with pytest.raises(BadInputError, match="one source per document"):
        geoparser.resolve_collection(documents, ["towntalk"])


def test_parse_collection_recognises_once_and_resolves_with_the_home(geoparser):
    local = "Rapides Parish officials met in Louisiana on Monday."
    texts = [local] * 3 + ["An Alexandria woman was charged with arson."]
    parsed = geoparser.parse_collection(texts, ["towntalk"] * 4)
    alone = geoparser.parse_batch(texts)
    assert [[t.text for t in d.toponyms] for d in parsed] == [[t.text for t in d.toponyms] for d in alone]
    assert {t.text: t.entity_id for t in parsed[-1].toponyms}["Alexandria"] == "E17"
    assert {t.text: t.entity_id for t in alone[-1].toponyms}["Alexandria"] == "E18"
