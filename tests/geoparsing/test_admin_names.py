"""Admin names as texts write them: accents folded, English generic words required, foreign ones dropped."""

from __future__ import annotations

import pytest

from modeling.geoparsing.admin_names import admin_name_pattern, admin_named_in, fold_accents


def test_fold_accents_keeps_case_and_everything_else():
    assert fold_accents("Rājasthān, Île-de-France") == "Rajasthan, Ile-de-France"
    assert fold_accents("plain ASCII") == "plain ASCII"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Rājasthān", "a town in the state of Rajasthan, India"),
        ("Pali District", "a municipality in Pali district"),
        ("Province of Ilocos Sur", "a municipality in the province of Ilocos Sur"),
        ("Province of Ilocos Sur", "in Ilocos Sur Province"),
        ("Hamilton County", "a city in Hamilton County, Nebraska"),
        ("Gansu Sheng", "a county of Gansu"),
        ("Amphoe Mueang Chiang Mai", "the district of Mueang Chiang Mai"),
    ],
)
def test_admin_name_found_as_texts_write_it(name, text):
    assert admin_named_in(fold_accents(text), [name])


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Washington County", "He flew to Washington on Monday."),  # the core alone is another place
        ("Central", "the central bank"),  # case is kept
        ("Texas", "Texasville"),  # whole words only
    ],
)
def test_admin_name_not_found_in_other_words(name, text):
    assert not admin_named_in(fold_accents(text), [name])


def test_too_short_a_core_is_not_trusted():
    assert admin_name_pattern("Shi") is not None  # a name of its own, not a generic word alone
    assert admin_name_pattern("Xi Shi") is None  # core "Xi" after the generic word is dropped
    assert not admin_named_in("Xi said", ["Xi Shi", ""])
