"""Context places: well-known places named in the text outside the mentions being resolved.

In gold mode only the annotated spans are mentions, yet the text around them often says where they are ("Santa
Cruz is the capital of the province of Laguna in the Philippines"). These names, found by a cheap scan of
capitalised word runs against the gazetteer, join the ranking as context only: they pull candidates towards
their country, state and neighbourhood, and are never output. Only prominent exact matches count (countries,
first- and second-level units, large towns), so that ordinary capitalised words add no noise.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from data_builders.gazetteer.schema import LANG_ABBREVIATION, LANG_CODE
from data_builders.gazetteer.taxonomy import ADMIN1, ADMIN2, CONTINENT, COUNTRY, SETTLEMENT
from modeling.geoparsing.types import Mention

if TYPE_CHECKING:
    from data_builders.gazetteer.index import Candidate, GazetteerIndex

SOURCE_CONTEXT = "context"
_RUN = re.compile(r"(?<![\w.])[A-Z][\w'’.-]*(?:[ \t]+(?:of[ \t]+|de[ \t]+)?[A-Z][\w'’-]*){0,3}")
_UNITS = frozenset({COUNTRY, CONTINENT, ADMIN1, ADMIN2})


@dataclass
class ContextSettings:
    """Which names of the text count as context.

    Attributes:
        max_names: distinct names per document (bounds the cost on long texts).
        min_population: a town must be this large to count (units and countries always count).
        max_candidates: candidates kept per context name.
    """

    max_names: int = 60
    min_population: int = 20_000
    max_candidates: int = 5


class ContextFinder:
    """Find prominent gazetteer places named in a text outside given spans."""

    def __init__(self, index: GazetteerIndex, settings: ContextSettings | None = None) -> None:
        self.index = index
        self.settings = settings or ContextSettings()
        self._cache: OrderedDict[str, list[Candidate]] = OrderedDict()

    def __call__(self, text: str, taken: Sequence[tuple[int, int]]) -> list[tuple[Mention, list[Candidate]]]:
        """(mention, candidates) for each distinct context name, in text order."""
        taken_sorted = sorted(taken)
        found: list[tuple[Mention, list[Candidate]]] = []
        seen: set[str] = set()
        for match in _RUN.finditer(text):
            if len(seen) >= self.settings.max_names:
                break
            start, end = match.span()
            if any(s < end and start < e for s, e in taken_sorted):
                continue
            best = self._longest_known(text, start, end)
            if best is None:
                continue
            (b_start, b_end), candidates = best
            name = text[b_start:b_end]
            if name in seen:
                continue
            seen.add(name)
            found.append((Mention(b_start, b_end, name, source=SOURCE_CONTEXT), candidates))
        return found

    def _longest_known(
        self, text: str, start: int, end: int
    ) -> tuple[tuple[int, int], list[Candidate]] | None:
        words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
        for size in range(len(words), 0, -1):
            for first in range(0, len(words) - size + 1):
                span = (words[first][0], words[first + size - 1][1])
                name = text[span[0] : span[1]].rstrip(".,'’")
                if len(name) < 3:
                    continue
                candidates = self._prominent(name)
                if candidates:
                    return (span[0], span[0] + len(name)), candidates
        return None

    def _prominent(self, name: str) -> list[Candidate]:
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        found: list[Candidate] = []
        if self.index.has_name(name):
            minimum = self.settings.min_population
            found = [
                c
                for c in self.index.lookup(name, top_k=10, fuzzy=False)
                if c.match_type == "exact"
                and _written_as(c.matched_name, c.matched_lang, name)
                and (c.feature_type in _UNITS or (c.feature_type == SETTLEMENT and c.population >= minimum))
            ][: self.settings.max_candidates]
        self._cache[name] = found
        if len(self._cache) > 100_000:
            self._cache.popitem(last=False)
        return found


def _script(text: str) -> str:
    """The Unicode script word of the first letter ("LATIN", "HEBREW", ...), "" without letters."""
    for char in text:
        if char.isalpha():
            return unicodedata.name(char, "").split(" ")[0]
    return ""


def _written_as(matched: str, lang: str, written: str) -> bool:
    """Whether the text's word is the gazetteer name itself, not a look-alike of the index's folding.

    The index matches case- and script-insensitively, which is right for a mention but lets ordinary words into the
    context: "The" matches Teresina's code "THE", "Get" Geraldton's "GET", "Metz" a transliterated Hebrew name.
    Codes and abbreviations must be written as such, all-capital names in capitals, and in the same script.
    """
    if not matched:
        return True
    if lang in (LANG_CODE, LANG_ABBREVIATION):
        return matched == written
    if matched.isupper() and not written.isupper():
        return False
    return _script(matched) == _script(written)


__all__ = ["SOURCE_CONTEXT", "ContextFinder", "ContextSettings"]
