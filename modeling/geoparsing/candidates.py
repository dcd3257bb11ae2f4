"""Candidates for a mention: gazetteer entities whose names match it, exactly or tolerantly.

The index does the tolerant matching (normalisation, abbreviations, other languages, fuzzy names). This stage adds
what only the text can tell: surface forms that are not names ("Texas's", "the Netherlands"), and a fallback to the
longest known part of a name the gazetteer lacks ("Rapides Parish Fire District" -> "Rapides Parish").
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from data_builders.gazetteer.index import Candidate, GazetteerIndex

_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_LEADING_ARTICLE = re.compile(r"^(?:the|la|le|les|l['’])\s*", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def surface_variants(text: str) -> list[str]:
    """Forms of a mention worth looking up, most literal first (whitespace collapsed, possessive and article off)."""
    base = _SPACES.sub(" ", text).strip(" \t\n\"'“”‘’()[]{}.,;:!?")
    variants = [base]
    no_possessive = _POSSESSIVE.sub("", base).strip()
    if no_possessive and no_possessive != base:
        variants.append(no_possessive)
    for form in list(variants):
        no_article = _LEADING_ARTICLE.sub("", form).strip()
        if no_article and no_article != form:
            variants.append(no_article)
    return [v for v in dict.fromkeys(variants) if v]


@dataclass
class CandidateSettings:
    """How many candidates to consider and how tolerant to be.

    Attributes:
        top_k: candidates per mention from tolerant (fuzzy, partial) matching.
        exact_top_k: exact matches kept per mention, however many `top_k` allows: a common name ("Santa Maria"
            names 160 places) must keep its small homonyms, or the one the text means ("a municipality in Ilocos
            Sur") never reaches the ranker; exact matches come most populous first.
        fuzzy: let the index match misspellings and near forms.
        partial: when nothing matches, try the longest sub-sequence of words that does.
        cache_size: looked-up surface forms kept in memory (names repeat across a corpus).
    """

    top_k: int = 30
    exact_top_k: int = 200
    fuzzy: bool = True
    partial: bool = True
    cache_size: int = 100_000


class CandidateGenerator:
    """Look up mentions in a `GazetteerIndex`, with a cache (the same names recur in every document)."""

    def __init__(self, index: GazetteerIndex, settings: CandidateSettings | None = None) -> None:
        self.index = index
        self.settings = settings or CandidateSettings()
        self._cache: OrderedDict[str, list[Candidate]] = OrderedDict()

    def __call__(self, text: str) -> list[Candidate]:
        """Candidates for one mention text, best matches first; an empty list when the gazetteer knows nothing."""
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        found = self._lookup(text)
        self._cache[text] = found
        if len(self._cache) > self.settings.cache_size:
            self._cache.popitem(last=False)
        return found

    def _lookup(self, text: str) -> list[Candidate]:
        settings = self.settings
        merged: dict[str, Candidate] = {}
        for variant in surface_variants(text):
            found = self.index.lookup(variant, top_k=settings.top_k, fuzzy=settings.fuzzy)
            if len(found) >= settings.top_k < settings.exact_top_k and found[-1].match_type == "exact":
                # exact matches (which come first) filled every slot: there may be more homonyms
                found = self.index.lookup(variant, top_k=settings.exact_top_k, fuzzy=False)
            for cand in found:
                kept = merged.get(cand.entity_id)
                if kept is None or cand.match_score > kept.match_score:
                    merged[cand.entity_id] = cand
            if any(c.match_type == "exact" for c in merged.values()):
                break  # a literal form matched exactly: looser forms would only add noise
        if not merged and settings.partial:
            merged = {c.entity_id: c for c in self._partial_lookup(text)}
        return sorted(merged.values(), key=lambda c: -c.match_score)

    def _partial_lookup(self, text: str) -> list[Candidate]:
        """The longest run of words that the gazetteer knows exactly, its match score scaled by its share."""
        words = _SPACES.sub(" ", text).strip().split(" ")
        if len(words) < 2:
            return []
        for size in range(len(words) - 1, 0, -1):
            for first in range(0, len(words) - size + 1):
                part = " ".join(words[first : first + size])
                if len(part) < 3 or not part[:1].isupper() or not self.index.has_name(part):
                    continue
                share = len(part) / max(len(text), 1)
                return [
                    replace(c, match_type="partial", match_score=c.match_score * share)
                    for c in self.index.lookup(part, top_k=self.settings.top_k, fuzzy=False)
                ]
        return []


__all__ = ["CandidateGenerator", "CandidateSettings", "surface_variants"]
