"""Normalized keys for place names: the form under which the candidate index stores and looks up every name.

`normalize_name` makes the spellings people write for the same name meet on one key:

- case (`casefold`, so "ß" -> "ss") and compatibility forms (NFKC: full-width letters, ligatures);
- diacritics of Latin, Greek, Cyrillic, Arabic and Hebrew letters ("Montréal" -> "montreal", vocalized Arabic ->
  unvocalized); Latin letters without a decomposition become ASCII through unidecode ("Ærø" -> "aero",
  "Łódź" -> "lodz"). Marks of other scripts (Devanagari vowel signs...) are kept: they are letters there;
- punctuation and symbols become spaces, apostrophes vanish ("Martha's Vineyard" -> "marthas vineyard"),
  hyphens equal spaces ("Winston-Salem" -> "winston salem"), "&" reads "and";
- runs of single letters join ("U.S.A." -> "usa", "N.Y." -> "ny"), so dotted and undotted codes meet;
- the usual abbreviations expand (`St.`/`Saint`, `Ste`/`Sainte`, `Mt.`/`Mount`, `Ft.`/`Fort`, `Pt.`/`Point`, ...,
  and a leading `N.`/`S.`/`E.`/`W.` reads as a direction), and a leading "the" goes ("The Hague" -> "hague").

Other scripts keep their letters ("Москва" -> "москва", "東京" -> "東京"). `transliterate_name` gives the extra
ASCII key of a non-Latin name ("москва" -> "moskva"), which the index stores beside the native key.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc
from unidecode import unidecode

# Token -> expansion. Only abbreviations whose reading is unambiguous in place names; "St" is never "Street" here
# because the same rule runs on names and queries, and "Saint" is what gazetteers mean by it.
ABBREVIATIONS: dict[str, str] = {
    "st": "saint",
    "ste": "sainte",
    "sta": "santa",
    "sto": "santo",
    "mt": "mount",
    "mte": "monte",
    "mts": "mountains",
    "mtn": "mountain",
    "mtns": "mountains",
    "ft": "fort",
    "pt": "point",
    "pte": "pointe",
    "pto": "puerto",
    "hts": "heights",
    "spgs": "springs",
    "spg": "spring",
    "jct": "junction",
    "twp": "township",
    "isl": "island",
    "isls": "islands",
    "lk": "lake",
    "gt": "great",
    "ctr": "center",
    "cyn": "canyon",
    "vlg": "village",
    "bch": "beach",
}
# A leading single letter followed by a word is a direction ("N. Dakota", "W Virginia").
DIRECTIONS: dict[str, str] = {"n": "north", "s": "south", "e": "east", "w": "west"}
LEADING_ARTICLES: frozenset[str] = frozenset({"the"})

# Combining marks dropped after NFKD: the general diacritics block (Latin, Greek, Cyrillic), Arabic harakat and
# Hebrew points. Marks of Indic and South-East Asian scripts are vowels, so they stay.
_DROPPED_MARKS = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
    "\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]"
)
_APOSTROPHES = frozenset("'\u2018\u2019\u02bb\u02bc\u02be\u02bf`\u00b4")
# Longest input normalized; longer text is no place name, and bounding it bounds the cost of a lookup.
MAX_NAME_CHARS = 256


class _CharTable(dict):
    """`str.translate` table that works out (once per character) what each character becomes in a key, so a
    name is mapped in one C-level pass."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        category = unicodedata.category(char)
        if char in _APOSTROPHES or _DROPPED_MARKS.match(char):
            replacement = ""
        elif char == "&":
            replacement = " and "
        elif category[0] in "PSZC":  # punctuation, symbols, separators, controls: word boundaries
            replacement = " "
        elif code > 127 and category[0] == "L" and unicodedata.name(char, "").startswith("LATIN"):
            replacement = unidecode(char).lower()  # "æ" -> "ae", "ł" -> "l", "ı" -> "i"
        else:
            replacement = char
        self[code] = replacement
        return replacement


class _TransliterationTable(dict):
    """`str.translate` table of unidecode's per-character transliterations."""

    def __missing__(self, code: int) -> str:
        self[code] = replacement = unidecode(chr(code)) if code > 127 else chr(code)
        return replacement


_CHAR_TABLE = _CharTable()
_TRANSLITERATION_TABLE = _TransliterationTable()


def _join_single_letters(tokens: list[str]) -> list[str]:
    """Join runs of two or more one-letter tokens: "u s a" -> "usa"."""
    out: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1:
            run.append(token)
            continue
        out.extend(["".join(run)] if len(run) > 1 else run)
        run = []
        out.append(token)
    out.extend(["".join(run)] if len(run) > 1 else run)
    return out


def _expand_tokens(tokens: list[str]) -> list[str]:
    if len(tokens) > 1 and tokens[0] in LEADING_ARTICLES:
        tokens = tokens[1:]
    if len(tokens) > 1 and tokens[0] in DIRECTIONS:
        tokens = [DIRECTIONS[tokens[0]], *tokens[1:]]
    return [ABBREVIATIONS.get(token, token) for token in tokens]


@lru_cache(maxsize=262_144)
def normalize_name(text: str) -> str:
    """The index key of a place name.

    Args:
        text: a name as written ("St. Louis", "Saint-Étienne", "Москва"). Only the first `MAX_NAME_CHARS`
            characters are read.

    Returns:
        The normalized key ("saint louis", "saint etienne", "москва"); "" when nothing name-like is left
        (empty text, punctuation only).

    Raises:
        TypeError: when `text` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize_name expects a str, got {type(text).__name__}: {text!r}")
    text = text[:MAX_NAME_CHARS]
    if text.isascii():
        text = text.lower().translate(_CHAR_TABLE)
    else:
        # Compatibility decomposition (full-width letters, ligatures, accents apart), marks dropped by the table,
        # then recomposition of what remains (Hangul syllables, Indic clusters).
        text = unicodedata.normalize("NFKD", text).casefold().translate(_CHAR_TABLE)
        if not text.isascii():
            text = unicodedata.normalize("NFC", text)
    tokens = text.split()
    if not tokens:
        return ""
    if len(tokens) > 1:
        if min(map(len, tokens)) == 1:
            tokens = _join_single_letters(tokens)
        tokens = _expand_tokens(tokens)
    else:
        tokens = [ABBREVIATIONS.get(tokens[0], tokens[0])]
    return " ".join(tokens)


@lru_cache(maxsize=65_536)
def transliterate_name(key: str) -> str:
    """The ASCII key of a normalized non-Latin key ("москва" -> "moskva"); "" when `key` is ASCII already.

    unidecode reads Chinese characters as Mandarin and knows no Japanese or Korean readings, so these keys are
    a fallback for matching across scripts, never a replacement of the native key.
    """
    if key.isascii():
        return ""
    ascii_key = normalize_name(key.translate(_TRANSLITERATION_TABLE))
    return "" if ascii_key == key else ascii_key


# Cleaned ASCII keys that `normalize_names` may take as they are: no token rule (a run of single letters, a
# leading article or direction, an abbreviation) applies to them. Everything else goes through `normalize_name`.
_TOKEN_RULES = re.compile(
    r"(^| )[a-z0-9] [a-z0-9]( |$)|^(?:"
    + "|".join(sorted(LEADING_ARTICLES | DIRECTIONS.keys()))
    + r") |(^| )(?:"
    + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True))
    + r")( |$)"
)
_SIMPLE_ASCII = r"^[\x20-\x7e]*$"  # printable ASCII: no control characters, tabs or non-ASCII letters


def normalize_names(names: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`normalize_name` of every string of an Arrow array (nulls stay null), the same keys in bulk.

    Printable-ASCII names are lowered, cleaned and split in Arrow compute kernels; only those that a token rule
    may change (single letters, "the", a leading direction, an abbreviation), long ones and non-ASCII ones go
    through `normalize_name` one by one. A build normalizes millions of names, mostly plain ones.
    """
    if isinstance(names, pa.ChunkedArray):
        names = names.combine_chunks()
    names = names.cast(pa.string())
    if not len(names):
        return names
    simple = pc.and_(
        pc.match_substring_regex(names, _SIMPLE_ASCII),
        pc.less_equal(pc.utf8_length(names), MAX_NAME_CHARS),
    ).fill_null(False)
    cleaned = pc.ascii_lower(names)  # non-ASCII names take the slow path anyway
    cleaned = pc.replace_substring(pc.replace_substring(cleaned, "'", ""), "`", "")
    cleaned = pc.replace_substring(cleaned, "&", " and ")
    cleaned = pc.utf8_trim(pc.replace_substring_regex(cleaned, "[^a-z0-9]+", " "), " ")
    ruled = pc.match_substring_regex(cleaned, _TOKEN_RULES.pattern).fill_null(False)
    slow = pc.and_(pc.invert(pc.and_(simple, pc.invert(ruled))), pc.is_valid(names))
    slow_rows = pc.indices_nonzero(slow)
    if not len(slow_rows):
        return cleaned
    keys = [normalize_name(value) for value in names.take(slow_rows).to_pylist()]
    return pc.replace_with_mask(cleaned, slow, pa.array(keys, pa.string()))


__all__ = [
    "ABBREVIATIONS",
    "DIRECTIONS",
    "LEADING_ARTICLES",
    "MAX_NAME_CHARS",
    "normalize_name",
    "normalize_names",
    "transliterate_name",
]
