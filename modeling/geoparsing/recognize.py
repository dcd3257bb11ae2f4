"""Recognition: find the spans of a text that name places.

A spaCy pipeline proposes entities; the gazetteer and generic linguistic evidence then correct it where small NER
models fail most, which are also the two largest error sources of published geoparsers:

- places inside organisation names: "Paris" in "Paris Police Department", "Georgia" in "University of Georgia";
- demonyms: "Turkish" -> Turkey (NORP entities that the gazetteer holds as demonyms);
- places labelled PERSON or ORG ("Montpellier", "Tamil Nadu"): kept when the gazetteer knows the name and the
  context is geographic (a locative preposition, an "X, Y" pattern) or the place is prominent;
- capitalised words the NER missed entirely: kept when the gazetteer knows them and the context says place,
  unless the word is also a common English word ("Mobile", "Reading", "March") seen without that evidence.

Long documents are processed in chunks with global offsets; markup and control characters are blanked first.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from data_builders.gazetteer.schema import LANG_CODE, LANG_DEMONYM
from data_builders.gazetteer.taxonomy import ADMIN1, ADMIN2, CONTINENT, COUNTRY, ISLAND, REGION, SETTLEMENT
from modeling.geoparsing.text_input import chunk_spans, clean_for_nlp
from modeling.geoparsing.types import (
    SOURCE_DEMONYM,
    SOURCE_EMBEDDED,
    SOURCE_GAZETTEER,
    SOURCE_NER,
    SOURCE_RELABELED,
    Mention,
)

if TYPE_CHECKING:
    import spacy
    from spacy.tokens import Doc, Span, Token

    from data_builders.gazetteer.index import GazetteerIndex

# Prepositions after which a capitalised name is most likely a place, per language.
LOCATIVE_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "in at near from to into outside inside across around toward towards through throughout within "
        "between via off along nearby northern southern eastern western north south east west of".split()
    ),
    "fr": frozenset("à a au aux en dans près vers depuis de du des entre sur sous par".split()),
}
# Words that make a capitalised run an organisation or facility, so the place is its modifier.
_ORG_JOINERS = frozenset("of de du des d' la le les for".split())
_DETERMINERS = frozenset("the a an la le les l' un une".split())
_PLACE_LABELS = {"en": frozenset({"GPE", "LOC"}), "fr": frozenset({"LOC"})}
_FACILITY_LABELS = frozenset({"FAC"})
_DEMONYM_LABELS = frozenset({"NORP"})
_PERSON_LABELS = frozenset({"PERSON", "PER"})
# Words that join like with like: a name after "Paris and" or "Lyon, " is read as the same kind of thing.
_COORDINATORS = frozenset({"and", "or", ",", "&", "et", "ou"})
# Labels of names (not of dates, numbers, quantities) that a small NER model gives to places by mistake.
_NAME_LABELS = frozenset(
    {"PERSON", "PER", "ORG", "MISC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
)
_TITLES = frozenset("mr mrs ms dr sen rep gov lt sgt capt gen col maj pres prof rev st officer judge".split())
_PROMINENT_TYPES = frozenset({COUNTRY, ADMIN1, ADMIN2, CONTINENT})
_SENTENCE_END = frozenset(".!?:;\"“”'‘’")
_POSSESSIVE = re.compile(r"['’]s?$")
# Components the recognizer does not need: skipping them roughly doubles spaCy's speed.
SKIPPED_COMPONENTS = ("parser", "tagger", "morphologizer", "attribute_ruler", "lemmatizer", "senter")


@dataclass
class RecognizerSettings:
    """What the recognizer accepts beyond the NER's place labels.

    Attributes:
        chunk_chars: longest piece of text given to the NER at once (spaCy refuses > 1M characters, and a batch
            of long pieces holds them all in memory at once).
        max_ngram: longest capitalised run (in tokens) looked up in the gazetteer.
        relabel: recover PERSON/ORG/... entities that are gazetteer names in a geographic context.
        embedded: recover places inside organisation names.
        demonyms: map nationality adjectives (NORP) to their places.
        gazetteer_ngrams: recover capitalised names that the NER missed.
        prominent_population: a place this populous (or an admin unit or country) is accepted on weaker evidence.
    """

    chunk_chars: int = 20_000
    max_ngram: int = 4
    relabel: bool = True
    embedded: bool = True
    demonyms: bool = True
    gazetteer_ngrams: bool = True
    prominent_population: int = 50_000
    place_labels: dict[str, frozenset[str]] = field(default_factory=lambda: dict(_PLACE_LABELS))


@dataclass(frozen=True)
class _NameInfo:
    """What the gazetteer says about a surface form (exact matches only)."""

    known: bool
    demonym: bool = False
    prominent: bool = False
    kinds: frozenset[str] = frozenset()


class Recognizer:
    """spaCy NER plus gazetteer-aware recovery.

    Args:
        nlp: a spaCy pipeline with an `ner` component.
        index: the gazetteer; without it only the NER's place labels are used.
        settings: what to recover beyond the NER.
    """

    def __init__(
        self,
        nlp: spacy.Language,
        index: GazetteerIndex | None = None,
        settings: RecognizerSettings | None = None,
    ) -> None:
        self.nlp = nlp
        self.index = index
        self.settings = settings or RecognizerSettings()
        self.lang = nlp.lang if nlp.lang in LOCATIVE_WORDS else "en"
        self._locatives = LOCATIVE_WORDS[self.lang]
        self._place_labels = self.settings.place_labels.get(nlp.lang, frozenset({"GPE", "LOC"}))
        self._info_cache: OrderedDict[str, _NameInfo] = OrderedDict()
        self._common_words = _common_words(nlp)
        self._stop_words = frozenset(getattr(nlp.Defaults, "stop_words", ()))
        self._lowercase_words: set[str] = set()

    # ------------------------------------------------------------------------------------------------ public
    def recognize(self, text: str) -> list[Mention]:
        """Mentions in one text, in order."""
        return self.recognize_many([text])[0]

    def recognize_many(
        self, texts: Sequence[str], *, batch_size: int = 32, n_process: int = 1
    ) -> list[list[Mention]]:
        """Mentions in each text; the texts go through `nlp.pipe` in chunks, offsets are global."""
        pieces: list[tuple[str, tuple[int, int]]] = []
        for doc_index, text in enumerate(texts):
            cleaned = clean_for_nlp(text)
            for start, end in chunk_spans(cleaned, self.settings.chunk_chars):
                if cleaned[start:end].strip():
                    pieces.append((cleaned[start:end], (doc_index, start)))
        results: list[list[Mention]] = [[] for _ in texts]
        skipped = self._skipped_components()
        for doc, (doc_index, offset) in self.nlp.pipe(
            pieces, as_tuples=True, batch_size=batch_size, n_process=n_process, disable=skipped
        ):
            for mention in self.mentions_in_doc(doc):
                mention.start += offset
                mention.end += offset
                mention.text = texts[doc_index][mention.start : mention.end]
                results[doc_index].append(mention)
        for mentions in results:
            mentions.sort(key=lambda m: (m.start, -m.end))
        return results

    def _skipped_components(self) -> list[str]:
        """Components to leave out: those NER does not need, and a shared embedding layer nobody kept listens to.

        The small spaCy pipelines give their NER its own embedding layer, so the shared `tok2vec` (for the tagger
        and parser) can go too: recognition then runs about twice as fast.
        """
        skipped = [name for name in SKIPPED_COMPONENTS if name in self.nlp.pipe_names]
        kept = [name for name in self.nlp.pipe_names if name not in skipped]
        config = self.nlp.config.get("components", {})
        listened = any("Listener" in str(config.get(name, {}).get("model", "")) for name in kept)
        if not listened:
            skipped += [name for name in ("tok2vec", "transformer") if name in self.nlp.pipe_names]
        return skipped

    def mentions_in_doc(self, doc: Doc) -> list[Mention]:
        """Mentions in one spaCy Doc, with offsets local to it."""
        lowercase_words = {t.text for t in doc if t.text.islower()}
        self._lowercase_words = lowercase_words  # read by helpers during this document only
        mentions: list[Mention] = []
        covered = [False] * len(doc)
        for ent in doc.ents:
            for token in ent:
                covered[token.i] = True
            found = self._from_entity(doc, ent, lowercase_words)
            if (
                not found
                and mentions
                and self._coordinated_with_place(doc, ent, mentions[-1], lowercase_words)
            ):
                found = [_mention(ent, ent.label_, SOURCE_RELABELED)]
            mentions.extend(found)
        if self.index is not None and self.settings.gazetteer_ngrams:
            mentions.extend(self._from_capitalised_runs(doc, covered, lowercase_words))
        return _without_overlaps(mentions)

    # -------------------------------------------------------------------------------------------- entities
    def _from_entity(self, doc: Doc, ent: Span, lowercase_words: set[str]) -> list[Mention]:
        label = ent.label_
        span = _trim(ent)
        if span is None:
            return []
        if label in self._place_labels:
            parts = _split_commas(span)
            if (
                self.index is not None
                and len(parts) == 1
                and len(span) == 1
                and _part_of_longer_person(doc, span)
                and not self._geographic_context(doc, span)
            ):
                return []  # "Ripley said" after "John Ripley" (tagged GPE): a surname here
            return [_mention(part, label, SOURCE_NER) for part in parts]
        if self.index is None:
            return []
        if label in _FACILITY_LABELS:
            info = self._info(span.text)
            return [_mention(span, label, SOURCE_NER)] if info.known else []
        if label in _DEMONYM_LABELS and self.settings.demonyms:
            if self._info(span.text).demonym:
                return [_mention(span, label, SOURCE_DEMONYM, is_demonym=True)]
            return []
        if label not in _NAME_LABELS:
            return []  # dates, numbers, money: "May", "Thursday" are no places even when a gazetteer says so
        if self.settings.relabel and self._whole_entity_is_place(doc, span, label, lowercase_words):
            return [_mention(span, label, SOURCE_RELABELED)]
        if self.settings.embedded and label not in _PERSON_LABELS:
            return self._embedded_places(span, label)
        return []

    def _coordinated_with_place(
        self, doc: Doc, ent: Span, previous: Mention, lowercase_words: set[str]
    ) -> bool:
        """ "Montpellier and Nîmes": a name entity joined by "and"/"or"/"," to the place just before it.

        Coordination joins like with like, so a gazetteer name coordinated with a place reads as a place even when
        the NER labels it ORG or PERSON. Common words and acronyms still need stronger evidence.
        """
        if self.index is None or not self.settings.relabel or ent.label_ not in _NAME_LABELS:
            return False
        k = ent.start - 1
        if k < 1 or doc[k].lower_ not in _COORDINATORS or previous.end != doc[k - 1].idx + len(doc[k - 1]):
            return False
        info = self._info(ent.text)
        return (
            info.known
            and not info.demonym
            and not _is_acronym(ent)
            and not _is_common(ent, self._common_words, lowercase_words)
        )

    def _geographic_context(self, doc: Doc, span: Span) -> bool:
        return self._locative_before(doc, span.start) or self._comma_pattern(doc, span)

    def _whole_entity_is_place(self, doc: Doc, span: Span, label: str, lowercase_words: set[str]) -> bool:
        """A PERSON/ORG/... entity that is a gazetteer name and reads as a place here.

        The evidence asked for grows with how often such entities are not places: any ORG or PERSON name that is
        a state or country ("Georgia", "Tamil Nadu") is kept; an acronym ("KBR") only when it abbreviates one;
        other names need a geographic context, or, for a one-word PERSON, a prominent place that is no part of a
        person's full name in the document and follows no title ("Mr.", "Sen.").
        """
        info = self._info(span.text)
        if not info.known or info.demonym:
            return False
        major = bool(info.kinds & {COUNTRY, ADMIN1})
        if _is_acronym(span) and not major:
            return False
        if _is_common(span, self._common_words, lowercase_words):
            return False
        if major or self._geographic_context(doc, span):
            return True
        if label in _PERSON_LABELS:
            return (
                info.prominent
                and not _part_of_longer_person(doc, span)
                and not (span.start > 0 and doc[span.start - 1].lower_.rstrip(".") in _TITLES)
            )
        return False

    def _embedded_places(self, span: Span, label: str) -> list[Mention]:
        """Places inside an organisation or facility name: the leading modifier, or the name after "of"."""
        found: list[Mention] = []
        tokens = list(span)
        # "University of Georgia", "Bank of America": the capitalised run after a joiner.
        for i, token in enumerate(tokens[:-1]):
            if token.lower_ in _ORG_JOINERS:
                tail = self._longest_known_run(span.doc, tokens[i + 1].i, span.end, anchored_end=False)
                if tail is not None:
                    found.append(_mention(tail, label, SOURCE_EMBEDDED))
                    break
        # "Paris Police Department", "Rapides Parish Fire District": a known name opening a longer entity.
        head = self._longest_known_run(span.doc, span.start, span.end - 1, anchored_end=False)
        if head is not None and (not found or head.end <= found[0].start):
            found.insert(0, _mention(head, label, SOURCE_EMBEDDED))
        return found

    def _longest_known_run(self, doc: Doc, start: int, end: int, *, anchored_end: bool) -> Span | None:
        """The longest run of capitalised tokens from `start` (inside [start, end)) that is a prominent place."""
        limit = min(end, start + self.settings.max_ngram)
        for stop in range(limit, start, -1):
            if anchored_end and stop != end:
                continue
            run = doc[start:stop]
            if not all(_capitalised(t) or (t.lower_ in _ORG_JOINERS and 0 < t.i - start) for t in run):
                continue
            if stop < len(doc) and doc[stop].text == "-" and not doc[stop - 1].whitespace_:
                continue  # "Wal" of "Wal-Mart"
            if (
                _is_common(run, self._common_words, self._lowercase_words)
                or run.text.lower() in self._stop_words
            ):
                continue  # "City", "District", "North" opening an organisation name
            info = self._info(run.text)
            if info.known and info.prominent and not info.demonym:
                return run
        return None

    # ------------------------------------------------------------------------------------ capitalised runs
    def _from_capitalised_runs(
        self, doc: Doc, covered: list[bool], lowercase_words: set[str]
    ) -> Iterable[Mention]:
        i, n = 0, len(doc)
        while i < n:
            if covered[i] or not _capitalised(doc[i]):
                i += 1
                continue
            j = i
            while j < n and j - i < self.settings.max_ngram and not covered[j] and _capitalised(doc[j]):
                j += 1
            found = self._best_run(doc, i, j, lowercase_words)
            if found is None:
                i += 1
                continue
            mention, i = found
            yield mention

    def _best_run(
        self, doc: Doc, start: int, end: int, lowercase_words: set[str]
    ) -> tuple[Mention, int] | None:
        """The longest known run from `start` that the evidence accepts, with the token index after it."""
        for stop in range(end, start, -1):
            run = doc[start:stop]
            info = self._info(run.text)
            if not info.known:
                continue
            if info.demonym:
                if self.settings.demonyms:
                    return _mention(run, "", SOURCE_DEMONYM, is_demonym=True), stop
                continue
            if run.text.lower() in self._stop_words:
                continue  # "It", "The": capitalised only because a sentence starts
            if run.text.lower().rstrip(".") in _TITLES or _followed_by_person(doc, stop):
                continue  # "Rep. Smith", "Sen." : a title, not a place
            major = bool(info.kinds & {COUNTRY, ADMIN1})
            if (_is_acronym(run) or (run.text.endswith(".") and len(run.text) <= 6)) and not major:
                continue  # "Dec.", "TIF": abbreviations of other things; "La.", "Ga." name states
            locative = self._geographic_context(doc, run)
            if _is_common(run, self._common_words, lowercase_words) and not locative:
                continue
            if locative or (info.prominent and not _at_sentence_start(doc, start)):
                return _mention(run, "", SOURCE_GAZETTEER), stop
        return None

    # ------------------------------------------------------------------------------------------- evidence
    def _locative_before(self, doc: Doc, start: int) -> bool:
        """A locative preposition just before (allowing a determiner: "in the Bronx")."""
        k = start - 1
        if k >= 0 and doc[k].lower_ in _DETERMINERS:
            k -= 1
        return k >= 0 and doc[k].lower_ in self._locatives

    def _comma_pattern(self, doc: Doc, span: Span) -> bool:
        """ "X, Y" where the neighbour across the comma is a known container ("Paris, Texas", "Austin, TX")."""
        after = span.end
        if after + 1 < len(doc) and doc[after].text == "," and _capitalised(doc[after + 1]):
            neighbour = doc[after + 1 : min(after + 3, len(doc))]
            for stop in range(len(neighbour), 0, -1):
                if self._info(neighbour[:stop].text).kinds & {ADMIN1, COUNTRY}:
                    return True
        before = span.start
        if before >= 2 and doc[before - 1].text == "," and _capitalised(doc[before - 2]):
            return bool(self._info(span.text).kinds & {ADMIN1, COUNTRY})
        return False

    def _info(self, name: str) -> _NameInfo:
        """Cached gazetteer facts about an exact surface form."""
        cached = self._info_cache.get(name)
        if cached is not None:
            return cached
        info = _NameInfo(known=False)
        if self.index is not None and len(name) > 1 and self.index.has_name(name):
            exact = [c for c in self.index.lookup(name, top_k=10, fuzzy=False) if c.match_type == "exact"]
            if exact:
                threshold = self.settings.prominent_population
                info = _NameInfo(
                    known=True,
                    demonym=any(c.matched_lang == LANG_DEMONYM for c in exact),
                    prominent=any(
                        c.feature_type in _PROMINENT_TYPES
                        or (c.feature_type in (SETTLEMENT, ISLAND, REGION) and c.population >= threshold)
                        for c in exact
                    ),
                    kinds=frozenset(c.feature_type for c in exact if c.matched_lang != LANG_CODE),
                )
        self._info_cache[name] = info
        if len(self._info_cache) > 200_000:
            self._info_cache.popitem(last=False)
        return info


# ------------------------------------------------------------------------------------------------ helpers
def _common_words(nlp: spacy.Language) -> frozenset[str]:
    """Lower-case words the pipeline's lemmatizer tables list as adjectives, verbs or adverbs.

    "mobile", "bath", "march", "reading" (via "read") are ordinary words; a capitalised occurrence needs place
    evidence. Nouns are left out: WordNet's noun list holds proper nouns ("paris", "texas") too.
    """
    lemmatizer = dict(nlp.components).get("lemmatizer")  # also when disabled: only its tables are read
    try:
        table = lemmatizer.lookups.get_table("lemma_index")
    except (KeyError, ValueError, AttributeError):
        return frozenset()
    words: set[str] = set()
    for pos in ("adj", "verb", "adv"):
        if pos in table:
            words.update(table[pos])
    return frozenset(words)


def _is_common(span: Span, common: frozenset[str], lowercase_words: set[str]) -> bool:
    """A one-word name that is also an everyday word (in the lemma tables, or written lower-case in this text)."""
    if len(span) != 1:
        return False
    lower = span[0].lower_
    if lower in lowercase_words:
        return True
    return lower in common or (lower.endswith("ing") and lower[:-3] in common)


def _is_acronym(span: Span) -> bool:
    """ "KBR", "U.S.", "HHS": all capitals, short."""
    letters = [c for c in span.text if c.isalpha()]
    return 0 < len(letters) <= 5 and all(c.isupper() for c in letters)


def _capitalised(token: Token) -> bool:
    text = token.text
    return bool(text) and text[0].isupper() and (token.is_alpha or text[-1] == ".") and len(text) > 1


def _at_sentence_start(doc: Doc, i: int) -> bool:
    if i == 0:
        return True
    previous = doc[i - 1]
    return previous.text in _SENTENCE_END or "\n" in previous.text or previous.is_space


def _followed_by_person(doc: Doc, i: int) -> bool:
    return i < len(doc) and doc[i].ent_type_ in _PERSON_LABELS


def _part_of_longer_person(doc: Doc, span: Span) -> bool:
    word = span.text
    return any(
        ent.label_ in ("PERSON", "PER") and len(ent) > 1 and word in {t.text for t in ent} for ent in doc.ents
    )


def _trim(span: Span) -> Span | None:
    """The entity without leading determiners and a trailing possessive ("the Bronx's" -> "Bronx")."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and doc[start].lower_ in _DETERMINERS:
        start += 1
    while end > start and (doc[end - 1].text in ("'s", "’s", "'", "’") or doc[end - 1].is_punct):
        end -= 1
    if start >= end:
        return None
    trimmed = doc[start:end]
    if _POSSESSIVE.search(trimmed.text) and len(trimmed) > 1 and doc[end - 1].text in ("'s", "’s"):
        trimmed = doc[start : end - 1]
    return trimmed


def _split_commas(span: Span) -> list[Span]:
    """ "Paris, Texas" tagged as one entity is two toponyms."""
    parts, start = [], span.start
    for token in span:
        if token.text == ",":
            if token.i > start:
                parts.append(span.doc[start : token.i])
            start = token.i + 1
    if start < span.end:
        parts.append(span.doc[start : span.end])
    return parts


def _mention(span: Span, label: str, source: str, *, is_demonym: bool = False) -> Mention:
    return Mention(
        start=span.start_char,
        end=span.end_char,
        text=span.text,
        label=label,
        source=source,
        is_demonym=is_demonym,
    )


def _without_overlaps(mentions: list[Mention]) -> list[Mention]:
    """Keep the first-found of overlapping mentions (entities before gazetteer runs), in text order."""
    kept: list[Mention] = []
    for mention in mentions:
        if all(mention.end <= other.start or mention.start >= other.end for other in kept):
            kept.append(mention)
    return sorted(kept, key=lambda m: m.start)


__all__ = ["LOCATIVE_WORDS", "SKIPPED_COMPONENTS", "Recognizer", "RecognizerSettings"]
