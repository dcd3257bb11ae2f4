"""Rank a document's candidates: features per candidate, a weighted score, a probability with an explicit no-match.

Features fall in two families:

- *static*, known from the candidate and the mention alone: how well the name matched, whether it is the entity's
  main name, population, feature type, prominence (number of names), whether a demonym or an abbreviation matched,
  and the "X, Y" pattern ("Paris, Texas": Y names a state or country that contains X);
- *context*, from the document's other toponyms: do they share this candidate's country and first-level admin
  unit, how near are they, is the candidate's state or country named anywhere in the text, or named as where the
  mention lies ("Aurora is a city in Hamilton County, Nebraska"), and does a county candidate hold a place the text
  also names ("Paris and Henry County");
- *collection*, optional: is the candidate's state where the other documents of the same source (a local paper)
  place their confident toponyms (`modeling.geoparsing.collection`).

Context is computed from the other mentions' current probabilities and refined for a few iterations, so that an
unambiguous "Texas" pulls "Paris" towards Paris, TX. Mentions with the same text in a document are one group (one
sense per discourse) and are resolved together.

The default weights are hand-set, with a rationale per weight in `RankerWeights`; they keep each decision
explainable and transfer across corpora better than weights fitted on another kind of text. With gold-annotated
documents of one's own domain, `training/train_ranker.py` fits them (`RankerWeights.load` reads the result): on
held-out documents of the same corpus the fitted weights win (figures in the note of issue 4).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import OrderedDict, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from data_builders.gazetteer.normalize import normalize_name as _fold
from data_builders.gazetteer.schema import LANG_ABBREVIATION, LANG_CODE, LANG_DEMONYM
from data_builders.gazetteer.taxonomy import ADMIN1, ADMIN2, CONTINENT, COUNTRY, TYPE_PRIORITY
from georeset.errors import BadInputError
from modeling.geoparsing.admin_names import admin_named_in, fold_accents
from modeling.geoparsing.candidates import surface_variants
from modeling.geoparsing.countries import country_names
from modeling.geoparsing.types import Mention, ScoredCandidate

if TYPE_CHECKING:
    from data_builders.gazetteer.index import Candidate, GazetteerIndex

FEATURES: tuple[str, ...] = (
    "match",
    "exact",
    "primary_name",
    "log_population",
    "type_prior",
    "major_unit",
    "capital",
    "prominence",
    "demonym",
    "abbreviation",
    "container",
    "container_slot",
    "country_context",
    "admin1_context",
    "proximity",
    "admin_named",
    "admin_near",
    "country_named",
    "holds_mentioned",
    "collection_home",
)

_CONTAINER_TYPES = (COUNTRY, ADMIN1, ADMIN2, CONTINENT)
_MAJOR_UNITS = {COUNTRY: 1.0, CONTINENT: 1.0, ADMIN1: 0.6}
# "Paris, Texas", "Alexandria, La.", "Springfield (Illinois)": up to four capitalised words after the comma.
_AFTER_COMMA = re.compile(r"\s*(?:,|\()\s*((?:[A-Z][\w.'’-]*)(?:\s+(?:of\s+)?[A-Z][\w.'’-]*){0,3})")
_BEFORE_COMMA = re.compile(r"[A-Z][\w.'’-]*\s*,\s*$")
_EARTH_RADIUS_KM = 6371.0


@dataclass
class RankerWeights:
    """Weights of the features, the no-match score and the calibration temperature.

    Rationale (scores are in "nats": a difference of 1 multiplies the odds by e):
        match 4.0, exact 2.5: a fuzzy or partial match must be far less likely than an exact one: a fuzzy match
            at similarity 0.75 loses 3.5 nats, more than a country's whole type advantage over a town.
        primary_name 1.0: alternate names hold many minor homonyms; the main name is what texts usually mean.
        log_population 3.0 (log10(pop) / 7): the population prior, the strongest context-free baseline; a place
            ten times larger gains ~0.43, a thousand times larger ~1.3.
        type_prior 1.5 (TYPE_PRIORITY / 10): countries and states are mentioned far more than POIs of one name.
        major_unit 2.5 (1 for countries and continents, 0.6 for first-level units): a name shared by a country or
            state and a town means the country or state unless the text says otherwise ("Florida", "Mexico",
            "Wales"); about 2.5 nats, so that one context cue for the town (its state named) is not enough.
        capital 2.0 (1 for national capitals, 0.5 for first-level seats): capitals are named far more often
            than their population suggests ("Washington", "Paris").
        prominence 1.0 (log number of names): famous places have many names in many languages.
        demonym 1.5: "Turkish" matched a demonym of Turkey: the country, not a village named Turkish.
        abbreviation 0.5: an abbreviation ("La.") matched an entity that officially carries it.
        container 3.0: "X, Y" where Y contains the candidate is nearly decisive.
        container_slot 1.0: the Y of "X, Y" is usually a state or country.
        country_context 3.0, admin1_context 1.5: news stays in one country and often one state; when all the
            other places of a text lie in one country, that is worth more than a major-unit or population edge
            (a local US article's "Alexandria" is not Egypt's).
        proximity 1.0: other places of the document lie near the right candidate (exp(-d / scale)); the scale
            grows with the size of the larger of the two places (300 km for towns, 600 km for states, 1500 km
            for countries), whose representative points say little about where their territory lies.
        admin_named 1.5, country_named 0.75: the candidate's state or county / country is written in the text.
        admin_near 1.5: ... and written as where the mention lies, after a locative word in the sentence that
            first names it ("Aurora is a city in Hamilton County, Nebraska"): the way texts introduce a place, so
            it counts again, while a state named further on in a long text may be about another of its places.
        holds_mentioned 1.0: a county candidate holds a place that the text also names, as one of that name's
            candidates ("Paris and Henry County": Henry County, Tennessee holds a Paris); the converse of
            admin_named, weaker because a common town name has a candidate in many counties. Not for states: a
            state holds a candidate of nearly every common town name.
        collection_home 1.5 (share of the unit in the source's home): the candidate's state or province is where the
            other documents of the same source place their confident toponyms (`modeling.geoparsing.collection`;
            zero unless the caller gives a home): weighed like admin1_context, the same cue from other documents.
        nil_score 7.0: the score of "no match", set between what a fuzzy match of an obscure place scores (~5.5:
            below it, so no match) and what an exact match of a village scores (~9.5); a misspelt large city
            (~7.5 plus context) stays a match, with a confidence that says it is unsure.
        temperature 1.0: probabilities are softmax(score / temperature) over the candidates and no-match.
    """

    weights: dict[str, float] = field(
        default_factory=lambda: {
            "match": 4.0,
            "exact": 2.5,
            "primary_name": 1.0,
            "log_population": 3.0,
            "type_prior": 1.5,
            "major_unit": 2.5,
            "capital": 2.0,
            "prominence": 1.0,
            "demonym": 1.5,
            "abbreviation": 0.5,
            "container": 3.0,
            "container_slot": 1.0,
            "country_context": 3.0,
            "admin1_context": 1.5,
            "proximity": 1.0,
            "admin_named": 1.5,
            "admin_near": 1.5,
            "country_named": 0.75,
            "holds_mentioned": 1.0,
            "collection_home": 1.5,
        }
    )
    nil_score: float = 7.0
    temperature: float = 1.0
    context_iterations: int = 2
    context_top_n: int = 5
    proximity_scale_km: dict[str, float] = field(
        default_factory=lambda: {COUNTRY: 1500.0, CONTINENT: 3000.0, ADMIN1: 600.0, ADMIN2: 300.0}
    )
    proximity_default_km: float = 300.0

    def scale_km(self, feature_type: str) -> float:
        """Distance over which closeness falls by a factor e, for a place of this type."""
        return self.proximity_scale_km.get(feature_type, self.proximity_default_km)

    def vector(self) -> np.ndarray:
        """The weights in `FEATURES` order."""
        return np.array([self.weights.get(name, 0.0) for name in FEATURES], dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every setting."""
        return asdict(self)

    @classmethod
    def load(cls, path: str | os.PathLike) -> RankerWeights:
        """Weights written by `training/train_ranker.py` (a JSON file; keys it does not know are metadata).

        Raises:
            BadInputError: the file is not JSON, or names a feature the ranker does not have.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise BadInputError(f"ranker weights {path}: cannot read a JSON object ({err})") from err
        if not isinstance(data, dict) or not isinstance(data.get("weights"), dict):
            raise BadInputError(f"ranker weights {path}: expected an object with a 'weights' object")
        unknown = sorted(set(data["weights"]) - set(FEATURES))
        if unknown:
            raise BadInputError(f"ranker weights {path}: unknown features {unknown}; known: {list(FEATURES)}")
        defaults = cls()
        settings = {f.name: data[f.name] for f in fields(cls) if f.name in data and f.name != "weights"}
        return cls(
            weights={**defaults.weights, **{k: float(v) for k, v in data["weights"].items()}}, **settings
        )


def _capital(feature_code: str) -> float:
    """1 for a national capital (GeoNames PPLC), 0.5 for the seat of a first-level unit (PPLA), else 0."""
    code = (feature_code or "").rsplit(".", 1)[-1].upper()
    if code == "PPLC":
        return 1.0
    return 0.5 if code == "PPLA" else 0.0


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distances between every point of the first set (rows) and the second (columns)."""
    la1, lo1 = np.radians(lat1)[:, None], np.radians(lon1)[:, None]
    la2, lo2 = np.radians(lat2)[None, :], np.radians(lon2)[None, :]
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass
class _Group:
    """The mentions of one surface form in a document, and their shared candidates."""

    key: str
    mentions: list[int]
    candidates: list[Candidate]
    static: np.ndarray  # (n_candidates, n_features), context columns zero
    context: np.ndarray | None = None  # the context columns, from the other groups
    lats: np.ndarray | None = None
    lons: np.ndarray | None = None
    scales: np.ndarray | None = None  # proximity scale of each candidate (km)
    probabilities: np.ndarray | None = None  # over candidates, then no-match last
    qualifier: str = ""  # the container named after the first mention ("Texas" of "Paris, Texas"), if any
    admins: list[list[str]] = field(
        default_factory=list
    )  # per candidate, its admin names that would be a cue


class Ranker:
    """Score every candidate of every mention of a document.

    Args:
        index: the gazetteer, used to read the Y of "X, Y" patterns; without it that feature is off.
        weights: feature weights, no-match score and temperature.
    """

    def __init__(self, index: GazetteerIndex | None = None, weights: RankerWeights | None = None) -> None:
        self.index = index
        self.weights = weights or RankerWeights()
        self._containers: OrderedDict[str, tuple[frozenset, frozenset]] = OrderedDict()
        self._col = {name: i for i, name in enumerate(FEATURES)}

    def rank(
        self,
        text: str,
        mentions: Sequence[Mention],
        candidates: Sequence[Sequence[Candidate]],
        context: Sequence[tuple[Mention, Sequence[Candidate]]] = (),
        home: Mapping[tuple[str, str], float] | None = None,
    ) -> list[tuple[list[ScoredCandidate], float]]:
        """Rank the candidates of each mention.

        Args:
            text: the document.
            mentions: its mentions.
            candidates: per mention, its gazetteer candidates.
            context: more places of the text (mention, candidates) that inform the ranking but are not ranked
                for output (see `modeling.geoparsing.context`).
            home: shares of (country code, admin1 name) among the places of the document's source (see
                `modeling.geoparsing.collection`); None: no collection context.

        Returns:
            Per mention: its candidates sorted by score (with features and probabilities), and the probability of
            no match. Probabilities of the candidates and the no-match sum to 1.
        """
        if len(mentions) != len(candidates):
            raise ValueError(f"{len(mentions)} mentions but {len(candidates)} candidate lists")
        groups = self._groups(
            text, [*mentions, *(m for m, _ in context)], [*candidates, *(c for _, c in context)]
        )
        self._fill_holds_mentioned(groups)
        if home:
            col = self._col["collection_home"]
            for group in groups:
                for i, cand in enumerate(group.candidates):
                    if cand.feature_type not in (COUNTRY, CONTINENT):
                        group.static[i, col] = home.get((cand.country_code, cand.admin1_name), 0.0)
        weights = self.weights.vector()
        for group in groups:
            group.context = np.zeros_like(group.static)
            group.probabilities = self._softmax(group.static @ weights)
        for _ in range(self.weights.context_iterations if len(groups) > 1 else 0):
            contexts = self._contexts(groups)
            for group, context in zip(groups, contexts, strict=True):
                group.context = context
                group.probabilities = self._softmax((group.static + context) @ weights)
        results: list[tuple[list[ScoredCandidate], float]] = [([], 1.0)] * len(mentions)
        for group in groups:
            features = group.static + group.context
            scores = features @ weights
            probs = self._softmax(scores)
            order = np.argsort(-scores, kind="stable")
            rows = np.round(features, 4).tolist()
            scored = [
                ScoredCandidate(
                    candidate=group.candidates[i],
                    features=dict(zip(FEATURES, rows[i], strict=True)),
                    score=float(scores[i]),
                    probability=float(probs[i]),
                )
                for i in order
            ]
            for mention_index in group.mentions:
                if mention_index < len(results):  # context-only mentions are not returned
                    results[mention_index] = (scored, float(probs[-1]))
        return results

    def _softmax(self, scores: np.ndarray) -> np.ndarray:
        """Probabilities over the candidates and, last, the no-match option."""
        logits = np.append(scores, self.weights.nil_score) / self.weights.temperature
        logits = logits - logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    # ----------------------------------------------------------------------------------------------- static
    def _groups(
        self, text: str, mentions: Sequence[Mention], candidates: Sequence[Sequence[Candidate]]
    ) -> list[_Group]:
        by_key: dict[str, _Group] = {}
        folded_text = fold_accents(text)
        for i, (mention, cands) in enumerate(zip(mentions, candidates, strict=True)):
            variants = surface_variants(mention.text)
            key = name = _fold(variants[-1] if variants else mention.text)
            qualifier = self._qualifier(text, mention)
            group = by_key.get(key)
            if group is not None and qualifier and _fold(qualifier) != _fold(group.qualifier):
                # One sense per discourse holds for the unqualified mentions; a later "X, Y" that the first mention
                # did not carry names another X ("Arlington is a city in Oregon ... named after Arlington,
                # Virginia"): news and encyclopedias qualify a place when they first name it.
                key = f"{name}|{_fold(qualifier)}"
                group = by_key.get(key)
            if group is None:
                group = by_key[key] = _Group(name, [], list(cands), np.zeros((len(cands), len(FEATURES))))
                group.qualifier = qualifier
                group.admins = [_admin_names(c, name) for c in cands]
                group.lats = np.array([c.lat for c in cands], dtype=np.float64)
                group.lons = np.array([c.lon for c in cands], dtype=np.float64)
                group.scales = np.array(
                    [self.weights.scale_km(c.feature_type) for c in cands], dtype=np.float64
                )
                self._fill_static(group, mention)
                self._fill_named(text, folded_text, group)
            group.mentions.append(i)
            self._fill_patterns(text, group, mention)
        return list(by_key.values())

    def _fill_static(self, group: _Group, mention: Mention) -> None:
        col, static = self._col, group.static
        for i, cand in enumerate(group.candidates):
            exact = cand.match_type == "exact"
            static[i, col["match"]] = cand.match_score
            static[i, col["exact"]] = 1.0 if exact else 0.0
            static[i, col["primary_name"]] = 1.0 if exact and _fold(cand.name) == group.key else 0.0
            static[i, col["log_population"]] = math.log10(1 + max(cand.population, 0)) / 7.0
            static[i, col["type_prior"]] = TYPE_PRIORITY.get(cand.feature_type, 0) / 10.0
            static[i, col["major_unit"]] = _MAJOR_UNITS.get(cand.feature_type, 0.0)
            static[i, col["capital"]] = _capital(cand.feature_code)
            static[i, col["prominence"]] = math.log1p(max(cand.n_names, 0)) / math.log1p(200)
            static[i, col["demonym"]] = 1.0 if cand.matched_lang == LANG_DEMONYM else 0.0
            if mention.is_demonym and cand.matched_lang != LANG_DEMONYM:
                static[i, col["demonym"]] = -1.0  # "Turkish" as a village name is not what the text means
            static[i, col["abbreviation"]] = (
                1.0 if cand.matched_lang in (LANG_ABBREVIATION, LANG_CODE) else 0.0
            )

    def _fill_patterns(self, text: str, group: _Group, mention: Mention) -> None:
        """The "X, Y" and nearby-admin features of one mention; a group keeps the strongest evidence of its mentions."""
        col, static = self._col, group.static
        located_in = _located_in_phrase(text, mention) if len(group.mentions) == 1 else ""
        if located_in:  # texts say where a place lies when they introduce it
            located_in = fold_accents(located_in)
            for i, admins in enumerate(group.admins):
                if admins and admin_named_in(located_in, admins):
                    static[i, col["admin_near"]] = 1.0
        if _BEFORE_COMMA.search(text, max(0, mention.start - 60), mention.start):
            for i, cand in enumerate(group.candidates):
                if cand.feature_type in _CONTAINER_TYPES:
                    static[i, col["container_slot"]] = 1.0
        if self.index is None:
            return
        match = _AFTER_COMMA.match(text, mention.end)
        if not match:
            return
        admin1s, countries = self._container_keys(match.group(1))
        for i, cand in enumerate(group.candidates):
            inside = (cand.country_code, cand.admin1_code) in admin1s and cand.feature_type != ADMIN1
            inside = inside or (cand.country_code in countries and cand.feature_type != COUNTRY)
            if inside:
                static[i, col["container"]] = 1.0

    def _qualifier(self, text: str, mention: Mention) -> str:
        """The phrase after "X, " when it names a state or country ("Texas" in "Paris, Texas"), else ""."""
        if self.index is None:
            return ""
        match = _AFTER_COMMA.match(text, mention.end)
        if not match or "," not in text[mention.end : match.start(1)]:
            return ""  # "Ind. (AP)": a parenthesis holds credits and codes too often to split a group on
        admin1s, countries = self._container_keys(match.group(1))
        return match.group(1) if admin1s or countries else ""

    def _container_keys(self, phrase: str) -> tuple[frozenset, frozenset]:
        """(country, admin1) pairs and countries that the phrase after "X," can name; longest prefix that matches."""
        cached = self._containers.get(phrase)
        if cached is not None:
            return cached
        admin1s: set[tuple[str, str]] = set()
        countries: set[str] = set()
        words = phrase.split()
        for size in range(len(words), 0, -1):
            part = " ".join(words[:size]).rstrip(",")
            for cand in self.index.lookup(part, top_k=10, fuzzy=False):
                if cand.match_type != "exact":
                    continue
                if cand.feature_type == COUNTRY:
                    countries.add(cand.country_code)
                elif cand.feature_type == ADMIN1:
                    admin1s.add((cand.country_code, cand.admin1_code))
            if admin1s or countries:
                break
        result = (frozenset(admin1s), frozenset(countries))
        self._containers[phrase] = result
        if len(self._containers) > 50_000:
            self._containers.popitem(last=False)
        return result

    def _fill_holds_mentioned(self, groups: Sequence[_Group]) -> None:
        """Does a county candidate hold a candidate of another name of the text?"""
        col = self._col["holds_mentioned"]
        owners: dict[tuple[str, str, str], set[int]] = defaultdict(set)
        for k, group in enumerate(groups):
            for cand in group.candidates:
                if cand.feature_type in (COUNTRY, CONTINENT) or not cand.admin1_code:
                    continue
                if cand.feature_type not in (ADMIN1, ADMIN2) and cand.admin2_name:
                    owners[(cand.country_code, cand.admin1_code, _fold(cand.admin2_name))].add(k)
        for k, group in enumerate(groups):
            for i, cand in enumerate(group.candidates):
                if cand.feature_type != ADMIN2:
                    continue
                key = (cand.country_code, cand.admin1_code, _fold(cand.admin2_name or cand.name))
                others = [j for j in owners.get(key, ()) if j != k]
                # a name inside this one ("Henry" in "Henry County") is no independent evidence
                if any(not _contains_words(group.key, groups[j].key) for j in others):
                    group.static[i, col] = 1.0

    # ---------------------------------------------------------------------------------------------- context
    def _contexts(self, groups: Sequence[_Group]) -> list[np.ndarray]:
        """Context columns of every group, from the other groups' current probabilities.

        Each group contributes its top candidates, weighted by probability; a group's context is the document's
        total minus its own contribution, so the cost grows linearly with the number of groups (plus one distance
        matrix per group).
        """
        col, top_n = self._col, self.weights.context_top_n
        active = [g for g in groups if g.candidates]
        country_total: dict[str, float] = defaultdict(float)
        admin1_total: dict[tuple[str, str], float] = defaultdict(float)
        own_country: list[dict[str, float]] = []
        own_admin1: list[dict[tuple[str, str], float]] = []
        lats, lons, masses, owners, scales = [], [], [], [], []
        for k, group in enumerate(active):
            probs = group.probabilities[:-1]
            countries: dict[str, float] = defaultdict(float)
            admin1s: dict[tuple[str, str], float] = defaultdict(float)
            for j in np.argsort(-probs)[:top_n]:
                cand, p = group.candidates[j], float(probs[j])
                countries[cand.country_code] += p
                admin1s[(cand.country_code, cand.admin1_code)] += p
                lats.append(cand.lat)
                scales.append(self.weights.scale_km(cand.feature_type))
                lons.append(cand.lon)
                masses.append(p)
                owners.append(k)
            for key, value in countries.items():
                country_total[key] += value
            for key, value in admin1s.items():
                admin1_total[key] += value
            own_country.append(countries)
            own_admin1.append(admin1s)
        point_lat, point_lon = np.array(lats), np.array(lons)
        point_mass, point_owner, point_scale = np.array(masses), np.array(owners), np.array(scales)
        contexts = []
        position = {id(group): k for k, group in enumerate(active)}
        padded = [f" {group.key} " for group in active]
        for group in groups:
            context = np.zeros_like(group.static)
            contexts.append(context)
            if not group.candidates:
                continue
            k = position[id(group)]
            # A name that contains this one, or is contained in it, is no independent evidence: "Dublin City
            # Council" would vote for Ireland's Dublin City in an Ohio paper's story about Dublin.
            echoes = [
                j
                for j, other in enumerate(padded)
                if j != k and group.key and other.strip() and (padded[k] in other or other in padded[k])
            ]
            n_others = float(len(active) - 1 - len(echoes))
            if n_others < 1:
                continue
            for i, cand in enumerate(group.candidates):
                if cand.country_code:
                    mass = country_total[cand.country_code] - sum(
                        own_country[j].get(cand.country_code, 0.0) for j in (k, *echoes)
                    )
                    context[i, col["country_context"]] = max(mass, 0.0) / n_others
                if cand.admin1_code:
                    key = (cand.country_code, cand.admin1_code)
                    mass = admin1_total[key] - sum(own_admin1[j].get(key, 0.0) for j in (k, *echoes))
                    context[i, col["admin1_context"]] = max(mass, 0.0) / n_others
            dist = haversine_km(group.lats, group.lons, point_lat, point_lon)
            scale = np.maximum(group.scales[:, None], point_scale[None, :])
            closeness = np.exp(-dist / scale) * point_mass[None, :]
            for owner in (k, *echoes):
                closeness[:, point_owner == owner] = 0.0
            context[:, col["proximity"]] = closeness.max(axis=1)
        return contexts

    def _fill_named(self, text: str, folded_text: str, group: _Group) -> None:
        """Is the candidate's state, county or country written in the text (as words, not the mention itself)?

        Admin names are looked for as texts write them ("Rajasthan", "Pali district" for GeoNames' "Rājasthān",
        "Pali District"): see `modeling.geoparsing.admin_names`. `folded_text` is the text with accents folded.
        """
        col, context = self._col, group.static
        for i, (cand, admins) in enumerate(zip(group.candidates, group.admins, strict=True)):
            context[i, col["admin_named"]] = 1.0 if admins and admin_named_in(folded_text, admins) else 0.0
            if cand.country_code and cand.feature_type != COUNTRY:
                names = country_names(cand.country_code)
                context[i, col["country_named"]] = 1.0 if _names_in(text, names) else 0.0


_NAME_PATTERNS: OrderedDict[str, re.Pattern] = OrderedDict()
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z\"“])|\n")
_LOCATIVE = re.compile(r"\b(?:in|of|near|within|outside)\b")
_SENTENCE_AFTER_CHARS = 200


def _admin_names(cand: Candidate, key: str) -> list[str]:
    """The names of the admin units above a candidate that would be a cue if the text wrote them.

    An admin unit named after the place itself ("Dublin City" for Dublin) is no cue: "Dublin City Schools" in an
    Ohio paper would otherwise vote for Ireland.
    """
    admins = []
    if cand.feature_type not in (ADMIN1, COUNTRY):
        admins.append(cand.admin1_name)
        if cand.feature_type != ADMIN2:
            admins.append(cand.admin2_name)
    return [a for a in admins if a and not _contains_words(_fold(a), key)]


def _located_in_phrase(text: str, mention: Mention) -> str:
    """What the mention's sentence says it lies in: the rest of the sentence after a locative word.

    "Aurora is a city in Hamilton County, Nebraska." -> " Hamilton County, Nebraska."; "Ontario and New York"
    has no locative word, so nothing: a list of places says nothing of where each lies.
    """
    after = text[mention.end : mention.end + _SENTENCE_AFTER_CHARS]
    end = _SENTENCE_END.search(after)
    if end:
        after = after[: end.start() + 1]
    again = after.find(mention.text)
    if again >= 0:  # "... named after his hometown of Aurora, Illinois": that Aurora is another place
        after = after[:again]
    locative = _LOCATIVE.search(after)
    return after[locative.end() :] if locative else ""


def _contains_words(phrase: str, key: str) -> bool:
    """Whether the folded `key` occurs in the folded `phrase` as whole words (or is it)."""
    return bool(key) and f" {key} " in f" {phrase} "


def _names_in(text: str, names: Sequence[str]) -> bool:
    """Whether any of the names occurs in the text as whole words."""
    for name in names:
        if not name or name not in text:  # cheap substring test first
            continue
        pattern = _NAME_PATTERNS.get(name)
        if pattern is None:
            pattern = _NAME_PATTERNS[name] = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
            if len(_NAME_PATTERNS) > 20_000:
                _NAME_PATTERNS.popitem(last=False)
        if pattern.search(text):
            return True
    return False


__all__ = ["FEATURES", "Ranker", "RankerWeights", "haversine_km"]
