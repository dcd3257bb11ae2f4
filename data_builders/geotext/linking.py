"""Distant labels from the gazetteer: find names in text and keep only the ones the evidence settles.

A capitalised word sequence that is exactly a gazetteer name is labelled when

- exactly one entity bears that name ("Montevideo" in a corpus without another Montevideo is rare; "Uruguay" is
  common): confidence `UNAMBIGUOUS_CONFIDENCE`;
- or several do, and exactly one of them lies in the country the document is about (a Factbook page, a Wikipedia
  article with coordinates): confidence `COUNTRY_CONFIDENCE`.

Everything else is left unlabelled: distant supervision needs precision, not recall. Capitalised words that the
document collection also uses in lower case ("March", "Independence") are common words, not names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from data_builders.geotext.schema import make_toponym

if TYPE_CHECKING:
    from data_builders.gazetteer.index import Candidate, GazetteerIndex

UNAMBIGUOUS_CONFIDENCE = 1.0
COUNTRY_CONFIDENCE = 0.9
MAX_NAME_WORDS = 4
MIN_NAME_CHARS = 3
# Pseudo-languages of the index whose exact matches are not names written in running text.
NOT_RUNNING_TEXT = frozenset({"demonym", "code", "abbr"})
_WORD = re.compile(r"[^\W\d_][\w-]*", re.UNICODE)
# A single-word name that is neither a large feature nor a sizeable place is more often a first name, a word or
# an acronym than the one hamlet of that name ("Emmanuel", "Hospital", "June").
MAJOR_TYPES = frozenset(
    {"continent", "country", "admin1", "admin2", "region", "water", "river", "mountain", "island", "landform"}
)
MIN_SINGLE_WORD_POPULATION = 5_000
_CONNECTORS = frozenset(
    {"de", "del", "la", "le", "of", "the", "and", "da", "do", "des", "du", "di", "al", "el"}
)


@dataclass
class DistantLabel:
    """A labelled span: the entity and why it was chosen."""

    start: int
    end: int
    candidate: Candidate
    confidence: float


def common_words(texts: Iterable[str]) -> set[str]:
    """Words the collection writes in lower case: their capitalised forms are sentence starts, not names."""
    words: set[str] = set()
    for text in texts:
        words.update(w for w in _WORD.findall(text) if w.islower())
    return words


def name_spans(text: str, common: set[str] | frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Candidate name spans: runs of capitalised words (with inner connectors such as "de", "of"), every sub-run
    that starts and ends with a capitalised word, longest first."""
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    spans: list[tuple[int, int]] = []
    for i, (start, _, word) in enumerate(words):
        if not word[:1].isupper():
            continue
        for j in range(i, min(i + MAX_NAME_WORDS + 2, len(words))):
            last = words[j][2]
            if j > i and text[words[j - 1][1] : words[j][0]].strip() not in ("",):
                break  # punctuation between words ends a name
            if not last[:1].isupper() and last.lower() not in _CONNECTORS:
                break
            if last[:1].isupper():
                end = words[j][1]
                phrase = text[start:end].rstrip(".")
                if j == i and (phrase.lower() in common or len(phrase) < MIN_NAME_CHARS):
                    continue
                spans.append((start, start + len(phrase)))
    spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    return spans


def _is_notable(candidate: Candidate, country_code: str | None) -> bool:
    """Large features anywhere; sizeable places only in the document's country when it has one ("Arab", Alabama,
    is not the "Arab" of a page about Algeria)."""
    if candidate.feature_type in MAJOR_TYPES:
        return True
    if country_code and candidate.country_code != country_code:
        return False
    return candidate.population >= MIN_SINGLE_WORD_POPULATION


class DistantLabeler:
    """Label the names of a text that the gazetteer settles (see the module docstring).

    Args:
        index: the gazetteer index.
        top_k: exact candidates looked at per name.
    """

    def __init__(self, index: GazetteerIndex, top_k: int = 20) -> None:
        self.index = index
        self.top_k = top_k
        self._cache: dict[str, list[Candidate]] = {}

    def exact_candidates(self, name: str) -> list[Candidate]:
        """The entities whose name (not an abbreviation, code or demonym) equals `name`."""
        found = self._cache.get(name)
        if found is None:
            found = []
            if self.index.has_name(name):
                found = [
                    c
                    for c in self.index.lookup(name, top_k=self.top_k, fuzzy=False)
                    if c.match_type == "exact" and c.matched_lang not in NOT_RUNNING_TEXT
                ]
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[name] = found
        return found

    def decide(self, name: str, country_code: str | None = None) -> tuple[Candidate, float] | None:
        """The entity a name labels, with its confidence, or None when the evidence does not settle it."""
        if name.isupper():
            return None  # acronyms and shouted words ("GDP", "UTC") are rarely place names
        found = self.exact_candidates(name)
        if len(found) == 1 and (" " in name.strip() or _is_notable(found[0], country_code)):
            return found[0], UNAMBIGUOUS_CONFIDENCE
        if country_code and len(found) > 1:
            inside = [c for c in found if c.country_code == country_code]
            if len(inside) == 1 and (" " in name.strip() or _is_notable(inside[0], country_code)):
                return inside[0], COUNTRY_CONFIDENCE
        return None

    def label(
        self, text: str, *, country_code: str | None = None, common: set[str] | frozenset[str] = frozenset()
    ) -> list[DistantLabel]:
        """Non-overlapping labelled spans of a text, longest names first."""
        taken = bytearray(len(text))
        labels: list[DistantLabel] = []
        for start, end in name_spans(text, common):
            if any(taken[start:end]):
                continue
            decided = self.decide(text[start:end], country_code)
            if decided is None:
                continue
            taken[start:end] = b"\x01" * (end - start)
            labels.append(DistantLabel(start, end, *decided))
        labels.sort(key=lambda lab: lab.start)
        return labels

    def toponyms(
        self, text: str, *, country_code: str | None = None, common: set[str] | frozenset[str] = frozenset()
    ) -> list[dict]:
        """`label` as schema toponym dicts (`label_source` "distant")."""
        return [
            make_toponym(
                text,
                lab.start,
                lab.end,
                entity_id=lab.candidate.entity_id,
                lat=lab.candidate.lat,
                lon=lab.candidate.lon,
                label_source="distant",
                confidence=lab.confidence,
            )
            for lab in self.label(text, country_code=country_code, common=common)
        ]


__all__ = [
    "COUNTRY_CONFIDENCE",
    "UNAMBIGUOUS_CONFIDENCE",
    "DistantLabel",
    "DistantLabeler",
    "common_words",
    "name_spans",
]
