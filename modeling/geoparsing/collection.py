"""Collection context: documents of one source (a local paper's feed) share a home, learnt from their own places.

A local paper's "Paris" is the Paris near its readers, and the article often says nothing more (Lieberman et al.
2010 built LGL to show this: the "local lexicon"). Across a source's articles, though, the unambiguous places give
the home away. `SourceHomes` counts, per source, the first-level admin units (state, province) of the toponyms the
geoparser resolved confidently in a first pass; the share of a candidate's unit in its source's home is a ranker
feature (`collection_home`) in a second pass. A document's own toponyms are left out of its home, so it is not
its own evidence. No labels are used: it works on any collection whose documents name their source.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping

from data_builders.gazetteer.taxonomy import ADMIN1, CONTINENT, COUNTRY
from modeling.geoparsing.types import Toponym

HOME_MIN_CONFIDENCE = 0.7
"""Toponyms resolved at least this confidently count towards their source's home."""
HOME_MIN_TOPONYMS = 5
"""A source needs this many confident toponyms (besides the document's own) before its home is used."""


def home_key(toponym: Toponym) -> tuple[str, str] | None:
    """(country code, first-level admin name) of a resolved toponym; None for countries, continents, no match."""
    if not toponym.entity_id or not toponym.country_code or toponym.feature_type in (COUNTRY, CONTINENT):
        return None
    if toponym.feature_type == ADMIN1:
        return (toponym.country_code, toponym.name or "")
    parts = (toponym.admin_path or "").split(" > ")
    return (toponym.country_code, parts[1]) if len(parts) > 1 and parts[1] else None


class SourceHomes:
    """Per source, how often each (country, admin1) occurs among confidently resolved toponyms."""

    def __init__(
        self, min_confidence: float = HOME_MIN_CONFIDENCE, min_toponyms: int = HOME_MIN_TOPONYMS
    ) -> None:
        self.min_confidence = min_confidence
        self.min_toponyms = min_toponyms
        self._totals: dict[str, Counter] = defaultdict(Counter)
        self._own: dict[Hashable, Counter] = {}

    def add(self, source: str, document: Hashable, toponyms: Iterable[Toponym]) -> None:
        """Count a document's confident toponyms towards its source (a document added twice replaces itself)."""
        if not source:
            return
        if document in self._own:
            self._totals[source].subtract(self._own[document])
        counts = Counter(
            key for t in toponyms if t.confidence >= self.min_confidence and (key := home_key(t)) is not None
        )
        self._own[document] = counts
        self._totals[source].update(counts)

    def home(self, source: str, document: Hashable) -> Mapping[tuple[str, str], float] | None:
        """Shares of the source's admin units, the document's own toponyms left out; None when too few remain."""
        if not source or source not in self._totals:
            return None
        counts = self._totals[source].copy()
        counts.subtract(self._own.get(document, Counter()))
        total = sum(v for v in counts.values() if v > 0)
        if total < self.min_toponyms:
            return None
        return {key: value / total for key, value in counts.items() if value > 0}


__all__ = ["HOME_MIN_CONFIDENCE", "HOME_MIN_TOPONYMS", "SourceHomes", "home_key"]
