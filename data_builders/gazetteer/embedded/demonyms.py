"""The forms of a country's demonym that appear in text: "Turkish" -> "Turkish", "Turk", "Turks".

`countryinfo` gives one adjective per country ("Russian", "Turkish", "Antiguan,Barbudan"). English derives the
noun and plural regularly for most ("Russian(s)", "Iraqi(s)", "Filipino(s)"), takes no plural for -ese and
-ss ("Chinese", "Swiss"), and uses separate nouns for the -ish/-ch adjectives ("Turk", "Dane", "Frenchman"). The
tables below are that piece of English grammar, plus the common alternative adjectives that countryinfo's
spelling misses ("Argentine", "Kyrgyz"); they are knowledge of the language, not fitted to any corpus.
"""

from __future__ import annotations

import re

# Adjective -> the nouns for one person and for several.
IRREGULAR_NOUNS: dict[str, tuple[str, ...]] = {
    "British": ("Briton", "Britons", "Brit", "Brits"),
    "Czech": ("Czechs",),
    "Danish": ("Dane", "Danes"),
    "Dutch": ("Dutchman", "Dutchmen", "Dutchwoman"),
    "English": ("Englishman", "Englishmen"),
    "Finnish": ("Finn", "Finns"),
    "French": ("Frenchman", "Frenchmen", "Frenchwoman"),
    "Irish": ("Irishman", "Irishmen"),
    "Polish": ("Pole", "Poles"),
    "Scottish": ("Scot", "Scots"),
    "Spanish": ("Spaniard", "Spaniards"),
    "Swedish": ("Swede", "Swedes"),
    "Turkish": ("Turk", "Turks"),
    "Welsh": ("Welshman", "Welshmen"),
    "Icelander": ("Icelanders", "Icelandic"),
    "Luxembourger": ("Luxembourgers", "Luxembourgish"),
    "New Zealander": ("New Zealanders",),
    "Filipino": ("Filipinos", "Filipina", "Filipinas", "Philippine"),
    "Saudi Arabian": ("Saudi", "Saudis", "Saudi Arabians"),
    "Kazakhstani": ("Kazakh", "Kazakhs", "Kazakhstanis"),
    "Uzbekistani": ("Uzbek", "Uzbeks", "Uzbekistanis"),
    "Kirghiz": ("Kyrgyz", "Kyrgyzstani", "Kyrgyzstanis"),
    "Tadzhik": ("Tajik", "Tajiks", "Tajikistani"),
    "Argentinean": ("Argentine", "Argentines", "Argentinian", "Argentinians"),
    "Slovene": ("Slovenes", "Slovenian", "Slovenians"),
    "Slovak": ("Slovaks", "Slovakian", "Slovakians"),
    "Maldivan": ("Maldivian", "Maldivians"),
    "Cape Verdian": ("Cape Verdean", "Cape Verdeans"),
    "Ecuadorean": ("Ecuadorian", "Ecuadorians"),
    "Vaticanian": (),
    "Djibouti": ("Djiboutian", "Djiboutians"),
    "Gibraltar": ("Gibraltarian", "Gibraltarians"),
    "Christmas Island": ("Christmas Islander", "Christmas Islanders"),
    "Greenlandic": ("Greenlander", "Greenlanders"),
    "Surinamer": ("Surinamers", "Surinamese"),
    "Mosotho": ("Basotho",),
    "Motswana": ("Batswana",),
    "Swazi": ("Swazis", "Emaswati"),
}
_NO_PLURAL = re.compile(r"(ese|ss|sh|ch|x|z)$")
# Adjectives that are also the noun of a *different* sense; no plural is made for them.
_NOT_PLURALIZED = frozenset({"Vaticanian", "Djibouti", "Gibraltar", "Christmas Island", "Greenlandic"})


def demonym_forms(demonym: str) -> list[str]:
    """Every form of the demonym(s) in `demonym` ("Antiguan,Barbudan", "Serbian/Montenegrin" hold two).

    >>> demonym_forms("Turkish")
    ['Turkish', 'Turk', 'Turks']
    >>> demonym_forms("Russian")
    ['Russian', 'Russians']
    """
    forms: list[str] = []
    for adjective in re.split(r"[,/]", demonym or ""):
        adjective = adjective.strip()
        if not adjective:
            continue
        candidates = [adjective, *IRREGULAR_NOUNS.get(adjective, ())]
        if (
            adjective not in IRREGULAR_NOUNS
            and adjective not in _NOT_PLURALIZED
            and not _NO_PLURAL.search(adjective)
        ):
            candidates.append(adjective + "s")
        forms.extend(form for form in candidates if form not in forms)
    return forms


__all__ = ["IRREGULAR_NOUNS", "demonym_forms"]
