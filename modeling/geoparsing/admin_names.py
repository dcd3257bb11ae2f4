"""How a text writes the name of an administrative unit that the gazetteer spells another way.

The gazetteer's admin names come from GeoNames: "Rājasthān", "Pali District", "Province of Ilocos Sur", "Gansu
Sheng", "Amphoe Mueang Chiang Mai". English text writes "Rajasthan", "Pali district", "the province of Ilocos
Sur", "Gansu". The ranker asks whether a candidate's state or county is named in the text; read literally, it
misses most of the world outside the US. So:

- accents are folded on both sides (case is kept: "Central" the region is not "central" the adjective);
- an English generic word ("County", "District", "Province") must still be written, in any case and either order
  ("Hamilton County", "Pali district", "the province of Ilocos Sur"), because without it the core names another
  place ("Washington County" is not "Washington");
- a generic word in another language ("Sheng", "Amphoe", "Municipio", "Kommun") is what English text drops, so
  the core alone is enough.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict

ENGLISH_GENERIC_WORDS = frozenset(
    {
        "area", "borough", "canton", "city", "commune", "county", "department", "district", "division",
        "emirate", "governorate", "municipality", "oblast", "parish", "prefecture", "province", "region",
        "state", "territory", "township",
    }
)  # fmt: skip
"""Words English text keeps beside the core name ("Hamilton County"): required in the text."""

FOREIGN_GENERIC_PREFIXES = frozenset(
    {
        "amphoe", "bashkia", "bezirk", "comuna", "concelho", "departamento", "distrito", "gemeente", "grad",
        "huyen", "kabupaten", "kota", "municipio", "municipiul", "nomos", "obshtina", "okres", "opcina", "oras",
        "partido", "pho", "politischer", "powiat", "provincia", "provinsi", "quan", "shahrestan-e", "srok", "thanh", "thi",
        "tinh", "xa",
    }
)  # fmt: skip
"""Generic words before the core in GeoNames' local names, which English text drops ("Kabupaten Bandung")."""

FOREIGN_GENERIC_SUFFIXES = frozenset(
    {
        "apskritis", "gun", "ilcesi", "kommun", "kommune", "kraj", "kray", "lan", "novads", "oblast'",
        "oblysy", "okrug", "raion", "rayon", "respublika", "sheng", "shi", "voblasc", "xian", "zizhiqu",
        "zizhizhou", "zupanija",
    }
)  # fmt: skip
"""Generic words after the core in GeoNames' local names, which English text drops ("Gansu Sheng")."""

_MIN_CORE_CHARS = 3
_PATTERNS: OrderedDict[str, tuple[str, _LazyPattern] | None] = OrderedDict()
_CACHE_SIZE = 50_000


def fold_accents(text: str) -> str:
    """The text without diacritics ("Rājasthān" -> "Rajasthan"); case and everything else kept."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def admin_name_pattern(name: str) -> tuple[str, _LazyPattern] | None:
    """(word, pattern) for finding an admin unit's name in accent-folded text; None for a name too short to trust.

    The word is a plain substring of every match, for a cheap test before the regular expression runs (and is
    compiled: most admin names of a document's candidates are never written in it).
    """
    if name in _PATTERNS:
        return _PATTERNS[name]
    result = _build(name)
    _PATTERNS[name] = result
    if len(_PATTERNS) > _CACHE_SIZE:
        _PATTERNS.popitem(last=False)
    return result


class _LazyPattern:
    """A regular expression compiled on its first search."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: re.Pattern | None = None

    def search(self, text: str) -> re.Match | None:
        if self._compiled is None:
            self._compiled = re.compile(self.source)
        return self._compiled.search(text)


def _build(name: str) -> tuple[str, _LazyPattern] | None:
    words = fold_accents(name).split()
    generic = ""
    if len(words) > 2 and words[1].lower() == "of" and words[0].lower() in ENGLISH_GENERIC_WORDS:
        generic, words = words[0], words[2:]  # "Province of Ilocos Sur"
    elif len(words) > 1 and words[-1].lower() in ENGLISH_GENERIC_WORDS:
        generic, words = words[-1], words[:-1]  # "Pali District"
    else:
        while len(words) > 1 and words[0].lower() in FOREIGN_GENERIC_PREFIXES:
            words = words[1:]  # "Amphoe Mueang Chiang Mai", "Politischer Bezirk Bludenz"
        while len(words) > 1 and words[-1].lower() in FOREIGN_GENERIC_SUFFIXES:
            words = words[:-1]  # "Gansu Sheng"
    core = " ".join(words)
    if len(core) < _MIN_CORE_CHARS:
        return None
    core_re = r"\s+".join(re.escape(w) for w in words)
    if generic:
        g = re.escape(generic.lower())
        pattern = rf"(?<!\w){core_re}\s+(?i:{g})(?!\w)|(?<!\w)(?i:{g})\s+of\s+(?:the\s+)?{core_re}(?!\w)"
    else:
        pattern = rf"(?<!\w){core_re}(?!\w)"
    return words[0], _LazyPattern(pattern)


def admin_named_in(folded_text: str, names: list[str]) -> bool:
    """Whether any of the admin names is written in the (accent-folded) text."""
    for name in names:
        found = admin_name_pattern(name) if name else None
        if found is None or found[0] not in folded_text:  # cheap substring test first
            continue
        if found[1].search(folded_text):
            return True
    return False


__all__ = ["admin_name_pattern", "admin_named_in", "fold_accents"]
