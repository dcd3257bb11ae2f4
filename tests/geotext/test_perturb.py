"""Non-exact forms of names: each kind from the entity's names or the name itself, never the name unchanged."""

from __future__ import annotations

import random

import pytest

from data_builders.geotext.perturb import PERTURBATIONS, is_latin, perturb

NAMES = [
    {"name": "France", "lang": ""},
    {"name": "French", "lang": "demonym"},
    {"name": "Fr.", "lang": "abbr"},
    {"name": "Frankreich", "lang": "de"},
    {"name": "Франция", "lang": "ru"},
    {"name": "France", "lang": "en"},
]


def test_each_kind():
    rng = random.Random(0)
    assert perturb("abbreviation", "France", NAMES, rng) == "Fr."
    assert perturb("demonym", "France", NAMES, rng) == "French"
    assert perturb("other_language", "France", NAMES, rng) == "Frankreich"  # Latin script only
    assert perturb("partial", "Rio Grande do Sul", [], rng) in ("Grande do Sul", "Rio Grande do")
    assert perturb("partial", "France", NAMES, rng) is None
    for seed in range(30):
        form = perturb("misspelling", "Marseille", [], random.Random(seed))
        assert form != "Marseille" and form[0] == "M" and abs(len(form) - len("Marseille")) <= 1
    assert perturb("misspelling", "Lyon", [], rng) is None
    assert perturb("abbreviation", "Tbilisi", [{"name": "Tbilisi", "lang": ""}], rng) is None


def test_unknown_kind_and_script():
    with pytest.raises(ValueError, match="unknown perturbation"):
        perturb("rot13", "Paris", [], random.Random(0))
    assert is_latin("Île-de-France") and not is_latin("Франция")
    assert set(PERTURBATIONS) == {"abbreviation", "misspelling", "other_language", "partial", "demonym"}
