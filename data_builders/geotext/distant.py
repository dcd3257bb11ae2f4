"""Distant supervision for the LLM resolver: geotext documents -> resolution questions with known answers.

From any geotext dataset, each labelled toponym (gold, distant, or silver above a confidence) becomes questions in
exactly the form the geoparser asks its LLM (`modeling.geoparsing.geoparser.make_question`: the context with the
mention marked, the ranker's best candidates as lettered options) with the labelled entity as the answer:

- `exact` / `ambiguous`: the mention as written, when the gazetteer offers it two candidates or more (`ambiguous`
  when several share the name exactly: "Paris", "Georgia");
- perturbed forms, the mention replaced in the text by a form that is not an exact name (`perturb.PERTURBATIONS`:
  abbreviation, misspelling, other-language name, partial name, demonym), candidates looked up for that form.

Options are the ranker's top `max_options` (the answer replaces the last one when the ranker ranked it lower) and
are shuffled, so the answer's letter carries no information; `option_probs` keeps the ranker's probability of each
option, so that the weight of the LLM against the ranker can be fitted on validation questions like the ones the
geoparser sends (small `ranker_margin`). `ambiguous` examples (several places share the name exactly), the
geoparser's typical question, may be more per place than the other kinds (`max_per_entity_ambiguous`). Splits are by place and by document: an example is
`validation` when its document or its answer entity is drawn for validation, and no validation answer entity is
the answer of a training example. Benchmark corpora (gold labels of LGL, GeoVirus, WikToR...) are refused unless
named in `allow_sources`, so an evaluation corpus never leaks into training.

This module is the one place where data_builders uses the geoparser (its candidate and ranking stages).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.perturb import PERTURBATIONS, perturb
from georeset.errors import BadInputError
from modeling.geoparsing.resolve_llm import DEFAULT_MAX_OPTIONS

if TYPE_CHECKING:
    from data_builders.gazetteer.index import GazetteerIndex

BENCHMARK_SOURCES = frozenset({"lgl", "geovirus", "wiktor", "geowebnews", "tr-news", "eupeg"})
EXACT_KINDS = ("exact", "ambiguous")
KINDS = EXACT_KINDS + PERTURBATIONS
SPLITS = ("train", "validation")
SOURCE = "distant"


@dataclass
class DistantSettings:
    """How examples are made.

    Attributes:
        max_options: options per question (the resolver's `max_options`).
        min_confidence: toponyms labelled with less confidence are not used.
        perturbations: kinds of non-exact forms to make; each toponym gets at most `perturbations_per_mention`.
        perturbations_per_mention: perturbed copies per labelled toponym.
        max_per_entity: examples per answer entity and kind at most (a country named thousands of times would
            otherwise fill the dataset).
        max_per_entity_ambiguous: the same for `ambiguous` examples (several places share the name exactly):
            the cases the geoparser sends to its LLM are mostly these, and they are rare in distant data.
        validation_place_share / validation_doc_share: shares of entities / documents drawn for validation.
        context_neighbours: labelled mentions on each side ranked together with a perturbed mention (its context).
        seed: for shuffling and perturbations.
        allow_sources: benchmark sources that may be used (never the one you evaluate on).
    """

    max_options: int = DEFAULT_MAX_OPTIONS
    min_confidence: float = 0.9
    perturbations: tuple[str, ...] = PERTURBATIONS
    perturbations_per_mention: int = 1
    max_per_entity: int = 6
    max_per_entity_ambiguous: int = 20
    validation_place_share: float = 0.1
    validation_doc_share: float = 0.1
    context_neighbours: int = 4
    seed: int = 0
    allow_sources: frozenset[str] = field(default_factory=frozenset)


def _share(key: str, salt: str) -> float:
    """A stable pseudo-random number in [0, 1) for a key (the same in every run and process)."""
    digest = hashlib.sha1(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_validation_place(entity_id: str, settings: DistantSettings) -> bool:
    """Whether a place is held out: it never answers a training example."""
    return _share(entity_id, "place") < settings.validation_place_share


def split_of(doc_id: str, entity_id: str, settings: DistantSettings) -> str:
    """`validation` when the document or the answer place is drawn for validation, else `train`."""
    if is_validation_place(entity_id, settings):
        return "validation"
    if _share(doc_id, "document") < settings.validation_doc_share:
        return "validation"
    return "train"


class DistantSupervision:
    """Turn geotext records into resolver examples (see the module docstring).

    Args:
        index: the gazetteer index the geoparser uses.
        settings: how examples are made.
        report: collects counts of what was used and why toponyms were not.
    """

    def __init__(
        self,
        index: GazetteerIndex,
        settings: DistantSettings | None = None,
        report: BuildReport | None = None,
    ) -> None:
        from modeling.geoparsing.candidates import CandidateGenerator
        from modeling.geoparsing.rank import Ranker

        self.index = index
        self.settings = settings or DistantSettings()
        if not 2 <= self.settings.max_options <= 10:
            raise BadInputError(f"max_options {self.settings.max_options}: must be between 2 and 10")
        unknown = set(self.settings.perturbations) - set(PERTURBATIONS)
        if unknown:
            raise BadInputError(
                f"unknown perturbation(s) {sorted(unknown)}; known: {', '.join(PERTURBATIONS)}"
            )
        self.report = report or BuildReport()
        self.candidates = CandidateGenerator(index)
        self.ranker = Ranker(index)
        self.rng = random.Random(self.settings.seed)
        self.per_entity: Counter = Counter()
        self._names: dict[str, list[dict]] = {}

    # ------------------------------------------------------------------------------------------------- public
    def examples(self, records: Iterable[dict[str, Any]], progress: bool = True) -> Iterable[dict[str, Any]]:
        """Examples of every usable toponym of the records (a generator)."""
        for record in tqdm(records, desc="distant supervision", unit="doc", disable=not progress):
            source = record.get("source", "")
            benchmark = source in BENCHMARK_SOURCES or any(
                t.get("label_source") == "gold" for t in record.get("toponyms") or []
            )
            if benchmark and source not in self.settings.allow_sources:
                self.report.reject(
                    SOURCE,
                    "benchmark corpus document refused (evaluation data never trains; see allow_sources)",
                    f"{source}: {record.get('id')}",
                )
                continue
            yield from self.document_examples(record)

    def document_examples(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """The examples of one document."""
        from modeling.geoparsing.types import SOURCE_GOLD, Mention

        text = record["text"]
        labelled = []
        for topo in record.get("toponyms") or []:
            if not topo.get("entity_id"):
                self.report.skip(SOURCE, "toponym without entity id")
            elif (topo.get("confidence") or 0.0) < self.settings.min_confidence:
                self.report.skip(SOURCE, "toponym below the confidence threshold")
            else:
                labelled.append(topo)
        if not labelled:
            self.report.skip(SOURCE, "document without any usable toponym")
            return []
        mentions = [
            Mention(t["start"], t["end"], text[t["start"] : t["end"]], source=SOURCE_GOLD) for t in labelled
        ]
        ranked = self.ranker.rank(text, mentions, [self.candidates(m.text) for m in mentions])
        found: list[dict[str, Any]] = []
        for i, (topo, mention, (scored, _)) in enumerate(zip(labelled, mentions, ranked, strict=True)):
            if len(scored) >= 2:
                exact = sum(s.candidate.match_type == "exact" for s in scored)
                kind = "ambiguous" if exact >= 2 else "exact"
                example = None
                if not self._full(topo["entity_id"], kind):
                    example = self._example(record, text, mention, scored, topo["entity_id"], kind)
                if example is not None:
                    found.append(example)
            else:
                self.report.skip(SOURCE, "mention with a single candidate (the LLM is not asked)")
            for _ in range(self.settings.perturbations_per_mention):
                example = self._perturbed(record, text, labelled, mentions, i)
                if example is not None:
                    found.append(example)
        return found

    # ------------------------------------------------------------------------------------------------ helpers
    def _entity_names(self, entity_id: str) -> list[dict]:
        names = self._names.get(entity_id)
        if names is None:
            try:
                names = self.index.entity(entity_id)["names"]
            except KeyError:
                names = []
            if len(self._names) > 100_000:
                self._names.clear()
            self._names[entity_id] = names
        return names

    def _full(self, entity_id: str, kind: str) -> bool:
        """Whether the entity has its share of examples of this kind (checked before any ranking work)."""
        limit = (
            self.settings.max_per_entity_ambiguous if kind == "ambiguous" else self.settings.max_per_entity
        )
        if self.per_entity[(entity_id, kind)] >= limit:
            self.report.skip(SOURCE, f"{kind}: answer entity already has max_per_entity examples")
            return True
        return False

    def _perturbed(
        self, record: dict[str, Any], text: str, labelled: list[dict], mentions: list, i: int
    ) -> dict[str, Any] | None:
        from modeling.geoparsing.types import SOURCE_GOLD, Mention

        mention, entity_id = mentions[i], labelled[i]["entity_id"]
        kinds = list(self.settings.perturbations)
        self.rng.shuffle(kinds)
        names = self._entity_names(entity_id)
        for kind in kinds:
            if self._full(entity_id, kind):
                continue
            form = perturb(kind, mention.text, names, self.rng)
            if form is None or self.index.has_name(form) and kind in ("partial", "misspelling"):
                continue  # a "partial" or misspelt form that is itself a name would teach a wrong answer
            delta = len(form) - len(mention.text)
            new_text = text[: mention.start] + form + text[mention.end :]
            lo, hi = max(0, i - self.settings.context_neighbours), i + self.settings.context_neighbours + 1
            window = []
            for j in range(lo, min(hi, len(mentions))):
                other = mentions[j]
                if j == i:
                    window.append(Mention(other.start, other.start + len(form), form, source=SOURCE_GOLD))
                elif other.end <= mention.start:
                    window.append(other)
                elif other.start >= mention.end:
                    window.append(
                        Mention(other.start + delta, other.end + delta, other.text, source=SOURCE_GOLD)
                    )
            target = next(m for m in window if m.text == form and m.start == mention.start)
            ranked = self.ranker.rank(new_text, window, [self.candidates(m.text) for m in window])
            scored = ranked[window.index(target)][0]
            return self._example(record, new_text, target, scored, entity_id, kind, original=mention.text)
        self.report.skip(SOURCE, "no perturbation applies to the mention")
        return None

    def _example(
        self,
        record: dict[str, Any],
        text: str,
        mention,
        scored: Sequence,
        entity_id: str,
        kind: str,
        original: str | None = None,
    ) -> dict[str, Any] | None:
        from modeling.geoparsing.geoparser import make_question

        settings = self.settings
        ids = [s.candidate.entity_id for s in scored]
        if entity_id in ids:
            position = ids.index(entity_id)
            answer_scored = scored[position]
        else:
            answer_scored = self._answer_candidate(mention.text, entity_id)
            if answer_scored is None:
                self.report.skip(SOURCE, f"{kind}: answer entity not in the gazetteer index")
                return None
            position = len(scored)
        options = list(scored[: settings.max_options])
        if position >= len(options):
            self.report.repair(SOURCE, f"{kind}: answer ranked below the options, put in the last one")
            if len(options) == settings.max_options:
                options[-1] = answer_scored
            else:
                options.append(answer_scored)
        if len(options) < 2:
            self.report.skip(SOURCE, f"{kind}: a single candidate")
            return None
        ranker_top = options[0].candidate.entity_id == entity_id
        margin = options[0].probability - (options[1].probability if len(options) > 1 else 0.0)
        self.rng.shuffle(options)
        answer = [o.candidate.entity_id for o in options].index(entity_id)
        question = make_question(text, mention, options)
        self.per_entity[(entity_id, kind)] += 1
        self.report.count_read(f"{SOURCE}:{kind}")
        return {
            "id": f"{record['id']}#{mention.start}:{kind}",
            "doc_id": record["id"],
            "source": record.get("source", ""),
            "entity_id": entity_id,
            "kind": kind,
            "mention": question.mention,
            "original": original or question.mention,
            "context": question.context,
            "options": question.options,
            "option_ids": [o.candidate.entity_id for o in options],
            "option_probs": [round(float(o.probability), 6) for o in options],
            "answer": answer,
            "ranker_top": ranker_top,
            "ranker_margin": round(float(margin), 4),
            "split": split_of(record["id"], entity_id, settings),
        }

    def _answer_candidate(self, form: str, entity_id: str):
        """The answer entity as a scored candidate when the lookup of `form` missed it."""
        from data_builders.gazetteer.index import UnknownEntityError
        from modeling.geoparsing.types import ScoredCandidate

        try:
            row = self.index.entity(entity_id)
        except UnknownEntityError:
            return None
        for cand in self.index.lookup(row["name"] or form, top_k=50, fuzzy=False):
            if cand.entity_id == entity_id:
                return ScoredCandidate(candidate=cand)
        return None


def example_features():
    """The `datasets.Features` of a resolver-examples dataset."""
    from datasets import Features, List, Value

    return Features(
        {
            "id": Value("string"),
            "doc_id": Value("string"),
            "source": Value("string"),
            "entity_id": Value("string"),
            "kind": Value("string"),
            "mention": Value("string"),
            "original": Value("string"),
            "context": Value("string"),
            "options": List(Value("string")),
            "option_ids": List(Value("string")),
            "option_probs": List(Value("float32")),
            "answer": Value("int32"),
            "ranker_top": Value("bool"),
            "ranker_margin": Value("float32"),
            "split": Value("string"),
        }
    )


def check_splits(examples: Sequence[dict[str, Any]], settings: DistantSettings) -> dict[str, Any]:
    """Leakage checks: no place or document drawn for validation is in a training example.

    Raises:
        BadInputError: a training example whose answer place or document belongs to validation.
    """
    leaks = [
        ex["id"]
        for ex in examples
        if ex["split"] == "train"
        and (
            is_validation_place(ex["entity_id"], settings)
            or _share(ex["doc_id"], "document") < settings.validation_doc_share
        )
    ]
    if leaks:
        raise BadInputError(
            f"split leakage: {len(leaks)} training examples use validation places or documents "
            f"(e.g. {leaks[:3]})"
        )
    counts: dict[str, Any] = {}
    for split in SPLITS:
        chosen = [ex for ex in examples if ex["split"] == split]
        counts[split] = {
            "examples": len(chosen),
            "places": len({ex["entity_id"] for ex in chosen}),
            "documents": len({ex["doc_id"] for ex in chosen}),
        }
    return counts


__all__ = [
    "BENCHMARK_SOURCES",
    "KINDS",
    "SPLITS",
    "DistantSettings",
    "DistantSupervision",
    "check_splits",
    "example_features",
    "is_validation_place",
    "split_of",
]
