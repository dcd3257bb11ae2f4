"""The geoparser: text -> mentions -> candidates -> ranking -> (LLM for unsure cases) -> toponyms.

```python
from modeling.geoparsing import Geoparser

gp = Geoparser()                                   # embedded gazetteer and spaCy, ranker only
doc = gp.parse("Flooding hit Paris, Texas on Monday.")
doc.toponyms[0].admin_path                         # "United States > Texas > Lamar County"
gp.resolve(text, [(13, 18)])                       # gold mode: the spans are given
```

The LLM step is off by default. `Geoparser(resolver="runs/resolver-lora")` (or a Hub id; `georeset geoparse
--resolver ...`) turns it on with a LoRA-tuned resolver from `training/train_resolver.py`, whose fitted weight
against the ranker comes with it; `resolver="default"` uses the untuned embedded LLM at `DEFAULT_LLM_WEIGHT`.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from georeset.errors import BadInputError
from modeling.geoparsing.candidates import CandidateGenerator, CandidateSettings
from modeling.geoparsing.collection import SourceHomes
from modeling.geoparsing.context import ContextFinder, ContextSettings
from modeling.geoparsing.language import detect_language
from modeling.geoparsing.output import GeometryCache, PolygonsLater, admin_path, make_toponym
from modeling.geoparsing.rank import Ranker, RankerWeights
from modeling.geoparsing.recognize import Recognizer, RecognizerSettings, is_street_name
from modeling.geoparsing.resolve_llm import (
    LLMQuestion,
    LLMResolver,
    context_window,
    describe_candidate,
    ranker_cues,
)
from modeling.geoparsing.text_input import as_text
from modeling.geoparsing.types import (
    SOURCE_GOLD,
    SOURCE_STREET,
    STAGE_LLM,
    STAGE_RANKER,
    GeoparsedDoc,
    Mention,
    ScoredCandidate,
    Toponym,
)
from modeling.geoparsing.workers import batches, can_fork, chunk_size, parse_in_workers

if TYPE_CHECKING:
    from data_builders.gazetteer.index import GazetteerIndex

SUPPORTED_LANGS = ("en", "fr", "auto")
RANKING_WINDOW = 200
"""Mentions ranked together; longer documents are ranked in consecutive windows of this many."""
WINDOW_TEXT_MARGIN = 20_000
"""Characters of text around a window's mentions that its ranking reads (patterns, names, context places)."""


def open_gazetteer(gazetteer: str | os.PathLike | GazetteerIndex | None) -> GazetteerIndex:
    """A `GazetteerIndex` from an index, a gazetteer folder (or its `index/`), a Hub id, or None (the default)."""
    if gazetteer is None or isinstance(gazetteer, str | os.PathLike):
        from data_builders.gazetteer import load_gazetteer

        return load_gazetteer(gazetteer)
    return gazetteer


class Geoparser:
    """Find place names in text and link them to gazetteer entities with footprints.

    Args:
        gazetteer: a `GazetteerIndex`, a gazetteer folder, or None for the default built gazetteer
            (`georeset gazetteer build`).
        lang: "en", "fr", or "auto" (English or French chosen per document).
        ner: a spaCy pipeline name or path replacing the default one of the language (or a loaded `Language`).
        resolver: None (ranker only), "default" (the embedded LLM), or a causal LM Hub id / local folder, or an
            `LLMResolver`; it decides the mentions whose ranker margin is below `llm_margin`, weighing its own
            opinion against the ranker's probabilities (`LLMResolver.llm_weight`).
        adapter: a PEFT (LoRA) adapter for the resolver's LLM.
        llm_margin: the LLM is asked when the top candidate's probability exceeds the runner-up's by less.
        with_geometry: include GeoJSON geometries (polygons where the gazetteer has them) in the toponyms.
        text_context: let well-known places named in the text (outside the mentions) inform the ranking.
        ranker_weights: the ranker's weights, or the path of a JSON file from `training/train_ranker.py`
            (default: the hand-set weights).
        candidate_settings, recognizer_settings, context_settings: the stages' settings.
    """

    def __init__(
        self,
        gazetteer: str | os.PathLike | GazetteerIndex | None = None,
        lang: str = "en",
        ner: Any = None,
        resolver: str | os.PathLike | LLMResolver | None = None,
        adapter: str | os.PathLike | None = None,
        *,
        llm_margin: float = 0.2,
        with_geometry: bool = True,
        ranker_weights: RankerWeights | str | os.PathLike | None = None,
        candidate_settings: CandidateSettings | None = None,
        recognizer_settings: RecognizerSettings | None = None,
        text_context: bool = True,
        context_settings: ContextSettings | None = None,
    ) -> None:
        if lang not in SUPPORTED_LANGS:
            raise BadInputError(f"lang: '{lang}' is not supported; use one of {', '.join(SUPPORTED_LANGS)}")
        self.index = open_gazetteer(gazetteer)
        self.lang = lang
        self.ner = ner
        self.candidates = CandidateGenerator(self.index, candidate_settings)
        if isinstance(ranker_weights, str | os.PathLike):
            ranker_weights = RankerWeights.load(ranker_weights)
        self.ranker = Ranker(self.index, ranker_weights)
        self.context = ContextFinder(self.index, context_settings) if text_context else None
        self.recognizer_settings = recognizer_settings or RecognizerSettings()
        self.llm_margin = llm_margin
        self.with_geometry = with_geometry
        self.geometry = GeometryCache(self.index if with_geometry else None)
        if resolver is None or isinstance(resolver, LLMResolver):
            self.resolver = resolver
        else:
            self.resolver = LLMResolver(resolver, adapter=adapter)
        self._recognizers: dict[str, Recognizer] = {}
        self.stats: dict[str, Any] = {}
        self.reset_stats()

    # ------------------------------------------------------------------------------------------------ public
    def parse(self, text: str | bytes) -> GeoparsedDoc:
        """Recognize and resolve the toponyms of one text (end to end)."""
        return self.parse_batch([text])[0]

    def parse_batch(
        self, texts: Iterable[str | bytes], batch_size: int = 32, *, n_process: int = 1
    ) -> list[GeoparsedDoc]:
        """Parse many texts, in input order.

        Args:
            texts: the documents (str, or bytes decoded as text).
            batch_size: documents per `nlp.pipe` batch (and at most per worker task).
            n_process: CPU processes. Without the LLM step, each of `n_process` forked workers parses its share of
                the documents end to end (`modeling.geoparsing.workers`); with it, only recognition is spread
                over processes, and the LLM answers in this one. `stats` then adds up the workers' stage times
                (CPU seconds).

        Raises:
            BadInputError: `n_process` is below 1, or a text is not text.
        """
        texts = [as_text(t, name=f"text #{i}") for i, t in enumerate(texts)]
        if self._use_workers(n_process) and len(texts) > 1:
            chunk = chunk_size(len(texts), batch_size, n_process)
            return list(self._parse_in_workers(texts, chunk, n_process))
        return self._resolve_documents(texts, self._recognize(texts, batch_size, n_process))

    def parse_stream(
        self, texts: Iterable[str | bytes], batch_size: int = 32, *, n_process: int = 1
    ) -> Iterator[GeoparsedDoc]:
        """Parse an iterable of texts lazily, in input order, `batch_size` at a time (see `parse_batch`).

        With `n_process` > 1 and no LLM step, one pool of workers serves the whole stream, so their caches of names
        and geometries stay warm: the way to geoparse a large file.
        """
        checked = (as_text(t, name=f"text #{i}") for i, t in enumerate(texts))
        if self._use_workers(n_process):
            yield from self._parse_in_workers(checked, batch_size, n_process)
            return
        for batch in batches(checked, batch_size):
            yield from self._resolve_documents(batch, self._recognize(batch, batch_size, n_process))

    def _use_workers(self, n_process: int) -> bool:
        if n_process < 1:
            raise BadInputError(f"n_process: {n_process}; must be at least 1")
        return n_process > 1 and self.resolver is None and can_fork()

    def _parse_in_workers(self, texts: Iterable[str], chunk: int, n_process: int) -> Iterator[GeoparsedDoc]:
        langs = [self.lang] if self.lang != "auto" else ["en", "fr"]
        for lang in langs:
            self.recognizer(lang)  # loaded once here, inherited by the forked workers
        for docs, stats in parse_in_workers(self, texts, chunk, n_process):
            self._add_stats(stats)
            started = time.perf_counter()
            PolygonsLater.fill(docs, self.geometry)
            self._add_time("output", started)
            yield from docs

    def parse_collection(
        self,
        texts: Sequence[str | bytes],
        sources: Sequence[str],
        batch_size: int = 32,
        *,
        n_process: int = 1,
    ) -> list[GeoparsedDoc]:
        """Parse a collection whose documents name their source (a paper, a feed), with collection context.

        Recognition runs once; resolution runs twice: the first pass's confident places tell each source's home
        (`modeling.geoparsing.collection`), which the second pass weighs for each document, its own places left
        out. A document whose source is "" is parsed as `parse_batch` would.

        Raises:
            BadInputError: `texts` and `sources` differ in length.
        """
        texts = [as_text(t, name=f"text #{i}") for i, t in enumerate(texts)]
        sources = self._check_sources(sources, len(texts))
        mentions = self._recognize(texts, batch_size, n_process)
        # the first pass only finds confident places: the LLM, which decides unsure ones, is not needed there
        homes = self._homes(sources, self._resolve_documents(texts, mentions, llm=False))
        return self._resolve_documents(texts, mentions, homes=homes)

    def resolve_collection(
        self, documents: Sequence[tuple[str | bytes, Sequence[tuple[int, int]]]], sources: Sequence[str]
    ) -> list[list[Toponym]]:
        """Gold mode over a collection: `resolve` for each (text, spans), with collection context (see
        `parse_collection`).

        Raises:
            BadInputError: `documents` and `sources` differ in length, or a span is invalid.
        """
        sources = self._check_sources(sources, len(documents))
        texts = [as_text(text, name=f"document #{i}") for i, (text, _) in enumerate(documents)]
        mentions = [
            self._gold_mentions(text, spans) for text, (_, spans) in zip(texts, documents, strict=True)
        ]
        homes = self._homes(sources, self._resolve_documents(texts, mentions, keep_order=True, llm=False))
        return [
            doc.toponyms for doc in self._resolve_documents(texts, mentions, keep_order=True, homes=homes)
        ]

    @staticmethod
    def _check_sources(sources: Sequence[str], n: int) -> list[str]:
        sources = ["" if s is None else str(s) for s in sources]
        if len(sources) != n:
            raise BadInputError(f"{n} documents but {len(sources)} sources: give one source per document")
        return sources

    @staticmethod
    def _homes(sources: list[str], first_pass: list[GeoparsedDoc]) -> list[Mapping | None]:
        homes = SourceHomes()
        for i, (source, doc) in enumerate(zip(sources, first_pass, strict=True)):
            homes.add(source, i, doc.toponyms)
        return [homes.home(source, i) for i, source in enumerate(sources)]

    def _recognize(self, texts: list[str], batch_size: int, n_process: int) -> list[list[Mention]]:
        started = time.perf_counter()
        mentions: list[list[Mention]] = [[] for _ in texts]
        by_lang: dict[str, list[int]] = defaultdict(list)
        for i, text in enumerate(texts):
            by_lang[self._language_of(text)].append(i)
        for lang, indices in by_lang.items():
            found = self.recognizer(lang).recognize_many(
                [texts[i] for i in indices], batch_size=batch_size, n_process=n_process
            )
            for i, doc_mentions in zip(indices, found, strict=True):
                mentions[i] = doc_mentions
        self._add_time("recognize", started)
        return mentions

    def resolve(self, text: str | bytes, spans: Sequence[tuple[int, int]]) -> list[Toponym]:
        """Gold mode: resolve given spans (character offsets) of a text, one toponym per span, in the given order.

        Raises:
            BadInputError: a span outside the text or empty.
        """
        text = as_text(text)
        (doc,) = self._resolve_documents([text], [self._gold_mentions(text, spans)], keep_order=True)
        return doc.toponyms

    @staticmethod
    def _gold_mentions(text: str, spans: Sequence[tuple[int, int]]) -> list[Mention]:
        mentions = []
        for i, span in enumerate(spans):
            try:
                start, end = int(span[0]), int(span[1])
            except (TypeError, ValueError, IndexError) as err:
                raise BadInputError(
                    f"spans[{i}] = {span!r}: expected a (start, end) pair of integers"
                ) from err
            if not 0 <= start < end <= len(text):
                raise BadInputError(
                    f"spans[{i}] = ({start}, {end}): outside the text of {len(text)} characters"
                )
            mentions.append(Mention(start, end, text[start:end], source=SOURCE_GOLD))
        return mentions

    def recognizer(self, lang: str) -> Recognizer:
        """The recognizer of a language (its spaCy pipeline is loaded on first use)."""
        if lang not in self._recognizers:
            from georeset.assets import load_spacy

            nlp = (
                self.ner
                if self.ner is not None and not isinstance(self.ner, str)
                else load_spacy(self.ner or lang)
            )
            self._recognizers[lang] = Recognizer(nlp, self.index, self.recognizer_settings)
        return self._recognizers[lang]

    def reset_stats(self) -> None:
        """Zero the counters of `stats`."""
        self.stats = {
            "documents": 0,
            "characters": 0,
            "mentions": 0,
            "candidates": 0,
            "resolved": 0,
            "no_match": 0,
            "llm_calls": 0,
            "llm_changed": 0,
            "mention_sources": Counter(),
            "seconds": defaultdict(float),
        }

    # ---------------------------------------------------------------------------------------------- stages
    def _language_of(self, text: str) -> str:
        return detect_language(text) if self.lang == "auto" else self.lang

    def _add_stats(self, other: Mapping[str, Any]) -> None:
        """Add another `stats` (a worker's) to this one."""
        for key, value in other.items():
            if isinstance(value, dict):  # mention_sources, seconds
                for name, amount in value.items():
                    self.stats[key][name] += amount
            else:
                self.stats[key] += value

    def _add_time(self, stage: str, started: float) -> None:
        self.stats["seconds"][stage] += time.perf_counter() - started

    def _resolve_documents(
        self,
        texts: list[str],
        mentions: list[list[Mention]],
        *,
        keep_order: bool = False,
        homes: Sequence[Mapping | None] | None = None,
        llm: bool = True,
    ) -> list[GeoparsedDoc]:
        ranked_docs = []
        for d, (text, doc_mentions) in enumerate(zip(texts, mentions, strict=True)):
            home = homes[d] if homes is not None else None
            started = time.perf_counter()
            candidates = [self._candidates_of(m) for m in doc_mentions]
            context = self.context(text, [(m.start, m.end) for m in doc_mentions]) if self.context else []
            self._add_time("candidates", started)
            started = time.perf_counter()
            ranked: list = []
            # A huge document is ranked in windows of consecutive mentions: context stays local, cost linear.
            if len(text) <= WINDOW_TEXT_MARGIN:
                ranked = self.ranker.rank(text, doc_mentions, candidates, context, home=home)
            else:
                for first in range(0, len(doc_mentions), RANKING_WINDOW):
                    window = slice(first, first + RANKING_WINDOW)
                    ranked.extend(
                        self._rank_window(text, doc_mentions[window], candidates[window], context, home)
                    )
            ranked_docs.append(ranked)
            self._add_time("rank", started)
            self.stats["documents"] += 1
            self.stats["characters"] += len(text)
            self.stats["mentions"] += len(doc_mentions)
            self.stats["candidates"] += sum(len(c) for c in candidates)
            self.stats["mention_sources"].update(m.source for m in doc_mentions)
        decisions = self._decide(texts, mentions, ranked_docs, llm=llm)
        started = time.perf_counter()
        docs = []
        for text, doc_mentions, ranked, doc_decisions in zip(
            texts, mentions, ranked_docs, decisions, strict=True
        ):
            toponyms = []
            for mention, (considered, _), (chosen, confidence, stage) in zip(
                doc_mentions, ranked, doc_decisions, strict=True
            ):
                toponyms.append(make_toponym(mention, chosen, confidence, stage, considered, self.geometry))
                self.stats["resolved" if chosen is not None else "no_match"] += 1
            if not keep_order:
                toponyms.sort(key=lambda t: (t.start, t.end))
            docs.append(GeoparsedDoc(text=text, toponyms=toponyms))
        self._add_time("output", started)
        return docs

    def _candidates_of(self, mention: Mention) -> list:
        """Gazetteer candidates of a mention; a street only matches a street of its own name.

        The tolerant lookup would turn "Lafayette Ave." into the town of Lafayette: a street the gazetteer lacks
        is a no-match, not the place it is named after.
        """
        found = self.candidates(mention.text)
        if mention.source == SOURCE_STREET or is_street_name(mention.text):  # gold spans and NER entities too
            found = [c for c in found if c.match_type == "exact"]
        return found

    def _rank_window(
        self,
        text: str,
        mentions: list[Mention],
        candidates: list[list],
        context: list[tuple[Mention, list]],
        home: Mapping | None = None,
    ) -> list[tuple[list[ScoredCandidate], float]]:
        """Rank the mentions of a long document's window against the text around them only.

        The ranker reads the text for "X, Y" patterns and for admin names; on a 10 MB document, reading all of
        it per window would make the cost quadratic, so each window sees its own stretch plus a margin.
        """
        low = max(0, mentions[0].start - WINDOW_TEXT_MARGIN)
        high = min(len(text), mentions[-1].end + WINDOW_TEXT_MARGIN)

        def shifted(m: Mention) -> Mention:
            return replace(m, start=m.start - low, end=m.end - low)

        local_context = [(shifted(m), c) for m, c in context if low <= m.start and m.end <= high]
        return self.ranker.rank(
            text[low:high], [shifted(m) for m in mentions], candidates, local_context, home=home
        )

    def _decide(
        self,
        texts: list[str],
        mentions: list[list[Mention]],
        ranked_docs: list[list[tuple[list[ScoredCandidate], float]]],
        *,
        llm: bool = True,
    ) -> list[list[tuple[ScoredCandidate | None, float, str]]]:
        """The ranker's choice per mention, replaced by the LLM's where the ranker is unsure."""
        decisions: list[list[tuple[ScoredCandidate | None, float, str]]] = []
        questions: list[LLMQuestion] = []
        asked: list[tuple[int, int, list[ScoredCandidate], float]] = []
        for d, (text, doc_mentions, ranked) in enumerate(zip(texts, mentions, ranked_docs, strict=True)):
            doc_decisions = []
            for m, (mention, (scored, p_nil)) in enumerate(zip(doc_mentions, ranked, strict=True)):
                top = scored[0] if scored else None
                if top is None or top.probability <= p_nil:
                    doc_decisions.append((None, p_nil, STAGE_RANKER))
                    continue
                doc_decisions.append((top, top.probability, STAGE_RANKER))
                runner_up = scored[1].probability if len(scored) > 1 else 0.0
                if (
                    llm
                    and self.resolver is not None
                    and len(scored) > 1
                    and top.probability - runner_up < self.llm_margin
                ):
                    options = scored[: self.resolver.max_options]
                    questions.append(self._question(text, mention, options))
                    asked.append((d, m, options, p_nil))
            decisions.append(doc_decisions)
        if questions:
            started = time.perf_counter()
            answers = self.resolver.score(questions)
            self._add_time("llm", started)
            self.stats["llm_calls"] += len(questions)
            for (d, m, options, p_nil), logprobs in zip(asked, answers, strict=True):
                # The LLM's opinion is weighed against the ranker's (product of experts), not substituted.
                shares = np.array(self.resolver.combine([o.probability for o in options], logprobs))
                for option, logprob in zip(options, logprobs, strict=True):
                    option.llm_logprob = logprob
                best = int(np.argmax(shares))
                if options[best] is not decisions[d][m][0]:
                    self.stats["llm_changed"] += 1
                decisions[d][m] = (options[best], float(shares[best] * (1.0 - p_nil)), STAGE_LLM)
        return decisions

    @staticmethod
    def _question(text: str, mention: Mention, options: list[ScoredCandidate]) -> LLMQuestion:
        return make_question(text, mention, options)


def make_question(text: str, mention: Mention, options: Sequence[ScoredCandidate]) -> LLMQuestion:
    """The question the LLM resolver is asked about a mention (also used to build its training data)."""
    lines = [
        describe_candidate(
            o.candidate.name,
            o.candidate.feature_type,
            admin_path(o.candidate),
            o.candidate.country_code,
            int(o.candidate.population),
            ranker_cues(o.features),
        )
        for o in options
    ]
    return LLMQuestion(context_window(text, mention.start, mention.end), mention.text, lines)


__all__ = [
    "RANKING_WINDOW",
    "SUPPORTED_LANGS",
    "WINDOW_TEXT_MARGIN",
    "Geoparser",
    "make_question",
    "open_gazetteer",
]
