"""The small dataclasses the geoparser's stages pass to each other.

recognize -> `Mention`; candidates + rank -> `ScoredCandidate`; resolve -> `Toponym`; a document -> `GeoparsedDoc`.
Each stage only reads the one before it, so another NER, ranker or LLM can replace one stage alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from data_builders.gazetteer.index import Candidate

# Which step decided a toponym.
STAGE_RANKER = "ranker"
STAGE_LLM = "llm"
STAGE_NO_MATCH = "no_match"

# Where a mention came from.
SOURCE_NER = "ner"  # a GPE/LOC/FAC entity of the NER model
SOURCE_RELABELED = "ner_relabeled"  # a PERSON/ORG/... entity that is a gazetteer name in a geographic context
SOURCE_EMBEDDED = "embedded"  # a place inside a longer entity ("Paris" in "Paris Police Department")
SOURCE_DEMONYM = "demonym"  # "Turkish" -> Turkey
SOURCE_GAZETTEER = "gazetteer"  # a capitalised n-gram the NER missed that the gazetteer knows
SOURCE_GOLD = "gold"  # a span given by the caller (gold mode)
SOURCE_STREET = "street"  # a street, road or avenue name ("Main Street", "E. 51st St.")


@dataclass
class Mention:
    """A span of the text that names a place.

    Attributes:
        start: character offset of the first character in the document.
        end: character offset one past the last character.
        text: `document[start:end]`.
        label: the NER label that proposed it ("GPE", "LOC", "NORP", ... or "" when the NER had none).
        source: how it was found (one of the `SOURCE_*` constants).
        is_demonym: the text is an adjective/nationality for a place ("Turkish"), not its name.
    """

    start: int
    end: int
    text: str
    label: str = ""
    source: str = SOURCE_NER
    is_demonym: bool = False


@dataclass
class ScoredCandidate:
    """A gazetteer candidate of one mention, with the ranker's features, score and probability."""

    candidate: Candidate
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    probability: float = 0.0
    llm_logprob: float | None = None

    def summary(self) -> dict[str, Any]:
        """A small JSON-ready description (for UIs and the `candidates` field of a toponym)."""
        cand = self.candidate
        return {
            "entity_id": cand.entity_id,
            "name": cand.name,
            "matched_name": cand.matched_name,
            "feature_type": cand.feature_type,
            "country_code": cand.country_code,
            "admin1_name": cand.admin1_name,
            "admin2_name": cand.admin2_name,
            "population": int(cand.population),
            "lat": cand.lat,
            "lon": cand.lon,
            "score": round(self.score, 4),
            "probability": round(self.probability, 4),
            **({"llm_logprob": round(self.llm_logprob, 4)} if self.llm_logprob is not None else {}),
        }


@dataclass
class Toponym:
    """A resolved place mention: where it is in the text and which gazetteer entity it names.

    `entity_id` is None (and `stage` is "no_match") when no candidate fits; the span is still reported, so one
    unresolvable name never hides the others.
    """

    start: int
    end: int
    text: str
    entity_id: str | None = None
    name: str | None = None
    lat: float | None = None
    lon: float | None = None
    country_code: str | None = None
    feature_type: str | None = None
    admin_path: str | None = None
    geometry: dict[str, Any] | None = None
    confidence: float = 0.0
    stage: str = STAGE_NO_MATCH
    geonames_id: int | None = None
    wikidata_id: str | None = None
    osm_id: str | None = None
    mention_source: str = SOURCE_NER
    candidates: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, *, with_candidates: bool = False, with_geometry: bool = True) -> dict[str, Any]:
        """The toponym as a JSON-ready dict; the considered candidates only when asked (they are for UIs)."""
        # A shallow copy: `asdict` deep-copies the geometry, which for a country polygon costs more than the parse.
        skip = {"candidates"} if not with_candidates else set()
        if not with_geometry:
            skip.add("geometry")
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        if with_candidates:
            data["candidates"] = [dict(candidate) for candidate in self.candidates]
        return data


@dataclass
class GeoparsedDoc:
    """A document and the toponyms found in it, in text order."""

    text: str
    toponyms: list[Toponym] = field(default_factory=list)

    def to_dict(self, *, with_candidates: bool = False, with_geometry: bool = True) -> dict[str, Any]:
        """`{"text": ..., "toponyms": [...]}`, the `--format json` record."""
        return {
            "text": self.text,
            "toponyms": [
                t.to_dict(with_candidates=with_candidates, with_geometry=with_geometry) for t in self.toponyms
            ],
        }


__all__ = [
    "STAGE_LLM",
    "STAGE_NO_MATCH",
    "STAGE_RANKER",
    "SOURCE_DEMONYM",
    "SOURCE_EMBEDDED",
    "SOURCE_GAZETTEER",
    "SOURCE_GOLD",
    "SOURCE_NER",
    "SOURCE_RELABELED",
    "SOURCE_STREET",
    "GeoparsedDoc",
    "Mention",
    "ScoredCandidate",
    "Toponym",
]
