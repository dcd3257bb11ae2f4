"""normalize_name and transliterate_name: the keys under which the index meets names and queries."""

from __future__ import annotations

import pytest

from data_builders.gazetteer.normalize import MAX_NAME_CHARS, normalize_name, transliterate_name


@pytest.mark.parametrize(
    ("variants", "key"),
    [
        (["Montpellier", "MONTPELLIER", "  montpellier  "], "montpellier"),
        (["Saint-Étienne", "Saint Etienne", "St. Étienne", "St Etienne", "ST-ETIENNE"], "saint etienne"),
        (["Sainte-Foy", "Ste. Foy", "Ste-Foy"], "sainte foy"),
        (["Mount Vernon", "Mt. Vernon", "Mt Vernon"], "mount vernon"),
        (["Fort Worth", "Ft. Worth", "Ft Worth"], "fort worth"),
        (["Point Pleasant", "Pt. Pleasant"], "point pleasant"),
        (["The Hague", "the hague", "Hague"], "hague"),
        (["Winston-Salem", "Winston Salem", "Winston–Salem"], "winston salem"),
        (["U.S.A.", "USA", "U. S. A.", "usa"], "usa"),
        (["N. Dakota", "North Dakota", "N Dakota"], "north dakota"),
        (["Martha's Vineyard", "Martha’s Vineyard", "Marthas Vineyard"], "marthas vineyard"),
        (["São Paulo", "Sao Paulo", "SÃO PAULO"], "sao paulo"),
        (["Łódź", "Lodz"], "lodz"),
        (["Ærøskøbing", "Aeroskobing"], "aeroskobing"),
        (["Straße", "Strasse"], "strasse"),
        (["Trinidad & Tobago", "Trinidad and Tobago"], "trinidad and tobago"),
        (["ＴＯＫＹＯ", "Tokyo"], "tokyo"),
        (["Αθήνα", "ΑΘΗΝΑ", "αθηνα"], "αθηνα"),
    ],
)
def test_spellings_meet_on_one_key(variants, key):
    assert {normalize_name(v) for v in variants} == {key}


def test_other_scripts_keep_their_letters():
    assert normalize_name("Москва") == "москва"
    assert normalize_name("東京都") == "東京都"
    assert normalize_name("القاهرة") == "القاهرة"
    assert normalize_name("الْقَاهِرَة") == "القاهرة"  # vocalization marks go
    assert normalize_name("मुंबई") == "मुंबई"  # Devanagari vowel signs are letters: they stay
    assert normalize_name("서울특별시") == "서울특별시"  # Hangul recomposes after decomposition
    assert normalize_name("Санкт-Петербург") == "санкт петербург"


def test_abbreviations_expand_only_as_whole_tokens():
    assert normalize_name("Stanford") == "stanford"
    assert normalize_name("Mtwara") == "mtwara"
    assert normalize_name("Fort St. John") == "fort saint john"
    assert normalize_name("E. St. Louis") == "east saint louis"
    assert normalize_name("The") == "the"  # a name that is only an article keeps it


@pytest.mark.parametrize("text", ["", " ", "\t\n", "!!!", "...", "-", "\u200b", "\x00\x01", "🙂"])
def test_nothing_name_like_gives_an_empty_key(text):
    assert normalize_name(text) == ""


def test_garbage_and_long_input_do_not_crash():
    assert normalize_name("\ud800abc") == "abc"  # a lone surrogate is dropped like any control
    assert len(normalize_name("x" * 100_000)) == MAX_NAME_CHARS
    assert normalize_name("a\u0301" * 10) == "a" * 10
    with pytest.raises(TypeError, match="str"):
        normalize_name(None)


def test_transliteration_is_an_extra_ascii_key():
    assert transliterate_name(normalize_name("Москва")) == "moskva"
    assert transliterate_name(normalize_name("Αθήνα")) == "athena"
    assert transliterate_name("paris") == ""  # ASCII keys have no second key
    assert transliterate_name(normalize_name("東京")).isascii()


def test_normalizing_twice_changes_nothing():
    for text in [
        "St. Louis",
        "Saint-Étienne",
        "The Hague",
        "U.S.A.",
        "Москва",
        "N. Dakota",
        "Mt. Ste. Marie",
    ]:
        key = normalize_name(text)
        assert normalize_name(key) == key
