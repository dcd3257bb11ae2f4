"""Recognition: find the spans of a text that name places.

A spaCy pipeline proposes entities; the gazetteer and generic linguistic evidence then correct it where small NER
models fail most, which are also the two largest error sources of published geoparsers:

- places inside organisation names: "Paris" in "Paris Police Department", "Georgia" in "University of Georgia";
- demonyms: "Turkish" -> Turkey (NORP entities that the gazetteer holds as demonyms);
- places labelled PERSON or ORG ("Montpellier", "Tamil Nadu"): kept when the gazetteer knows the name and the
  context is geographic (a locative preposition, an "X, Y" pattern) or the place is prominent;
- capitalised words the NER missed entirely: kept when the gazetteer knows them and the context says place,
  unless the word is also a common English word ("Mobile", "Reading", "March") seen without that evidence;
- street names ("Main Street", "E. 51st St.", "Avalon Boulevard"), which news corpora annotate as toponyms: a
  capitalised name or ordinal before a street designator.

Geographic context is read from generic news conventions: a locative preposition ("in Denver"), "X, State", the
dateline that opens an article ("HARWINTON —"), the party-and-district notation of legislators ("D-Pa.",
"R-Charleston"), and a name that modifies a people or institution noun ("a Columbia woman", "Grovetown police",
"Hopkinton Police Department"). A lower-case compass word before a place name is no part of it ("north Georgia" ->
"Georgia"); a capitalised one is ("West Africa", "North Carolina"). Other recognised conventions: "Russian-American"
is two demonyms, "the Georgian Foreign Ministry" opens with one, "Flores, 26," after "Jose Flores" is a surname, a
bare two-letter acronym ("AP") is no state, and the tail of a longer capitalised name ("Frederick Lewis Allen") is
no place.

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
    SOURCE_STREET,
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
_WEAK_LOCATIVES = frozenset({"of", "de"})
# Nouns after which "of" introduces a place ("the town of Camborne"), not a person ("a friend of Moore").
_PLACE_NOUNS = frozenset(
    "town city village hamlet province state county region area district country capital suburb suburbs "
    "outskirts parish borough municipality island commune department prefecture township".split()
)
_DETERMINERS = frozenset("the a an la le les l' un une".split())
_PLACE_LABELS = {"en": frozenset({"GPE", "LOC"}), "fr": frozenset({"LOC"})}
_FACILITY_LABELS = frozenset({"FAC"})
_DEMONYM_LABELS = frozenset({"NORP"})
_PERSON_LABELS = frozenset({"PERSON", "PER"})
# Auxiliaries after a sentence-initial name ("Nimes was spared", "Ankara has banned"): a person can be their subject
# too, but a name the gazetteer knows as a prominent place and the NER left untagged is then read as the place.
_AUXILIARIES = frozenset("is was has had will would could can may might must remains remained".split())
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
# Designators that end a street name (never followed by a capitalised word: "St. Louis", "Wall Street Journal").
_STREET_DESIGNATORS = frozenset(
    "street st. avenue ave. boulevard blvd. road rd. drive lane ln. parkway pkwy. trail circle pike terrace "
    "expressway freeway turnpike".split()
)
# The same abbreviations when the tokenizer split their period off (at a sentence end: "on Lafayette Ave.").
_SPLIT_DESIGNATORS = frozenset("ave blvd rd ln pkwy".split())
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$", re.IGNORECASE)
# Compass words that modify a place name without being part of it ("Northeast Texas", "S. Jersey").
_COMPASS = frozenset(
    "north south east west northeast northwest southeast southwest northern southern eastern western "
    "n. s. e. w.".split()
)
# The party prefix of a legislator's district ("D-Pa.", "R-Charleston", "DFL-Cook").
_PARTY_PREFIXES = frozenset({"D", "R", "I", "DFL"})
# Dashes and commas after an all-capitals name that opens an article: the dateline ("HARWINTON —").
_DATELINE_MARKS = frozenset({"—", "–", "-", "--", ",", ":"})
# Nouns that a place name modifies: "a Columbia woman", "Grovetown police", "the Avondale mayor".
_MODIFIED_NOUNS = frozenset(
    "man men woman women boy boys girl girls teen teens teenager teenagers resident residents native natives "
    "police officer officers official officials firefighters couple family families student students mayor "
    "council commissioners voters homeowners neighbors neighbours businesses native-born area".split()
)
# Capitalised words that make a name before them an institution of that place ("Hopkinton Police Department").
_INSTITUTION_WORDS = frozenset(
    "police fire sheriff sheriff's council city town township village borough county mayor board school schools "
    "high middle elementary senior public community regional municipal memorial library hospital medical health "
    "water parks volunteer historical housing planning zoning airport courthouse jail detention department "
    "district independent unified superior circuit chamber democratic republican selectman selectmen "
    "commission commissioners area rescue emergency".split()
)
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
        streets: recognise street names ("Main Street") as toponyms.
        prominent_population: a place this populous (or an admin unit or country) is accepted on weaker evidence.
    """

    chunk_chars: int = 20_000
    max_ngram: int = 4
    relabel: bool = True
    embedded: bool = True
    demonyms: bool = True
    gazetteer_ngrams: bool = True
    streets: bool = True
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
        # from the vocabulary's strings of the distinct words: cheaper than making a Token of every word
        strings = doc.vocab.strings
        lowercase_words = {
            w for w in map(strings.__getitem__, set(doc.to_array("ORTH").tolist())) if w.islower()
        }
        self._lowercase_words = lowercase_words  # read by helpers during this document only
        mentions: list[Mention] = []
        covered = [False] * len(doc)
        for street in _streets(doc, self._stop_words) if self.settings.streets else ():
            # Before the entities: overlaps keep the first found, and "Lafayette" of "Lafayette Ave." is no town.
            mentions.append(_mention(street, "", SOURCE_STREET))
            for token in street:
                covered[token.i] = True
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
        if _party_prefixed(span):
            # "D-Pa.", "R-Charleston": the legislator's state or district, whatever label the NER gave it.
            district = span.doc[span.start + 2 : span.end]
            if self.index is None or not self._info(district.text).known:
                return []
            return [_mention(district, label, SOURCE_RELABELED)]
        if label in self._place_labels:
            span = self._without_compass(span)
            parts = [self._with_abbreviation_period(part) for part in _split_commas(span)]
            if (
                self.index is not None
                and len(parts) == 1
                and len(span) == 1
                and _part_of_longer_person(doc, span)
                and not self._geographic_context(doc, span)
            ):
                return []  # "Ripley said" after "John Ripley" (tagged GPE): a surname here
            return [
                part if isinstance(part, Mention) else _mention(part, label, SOURCE_NER) for part in parts
            ]
        if self.index is None:
            return []
        if label in _FACILITY_LABELS:
            info = self._info(span.text)
            return [_mention(span, label, SOURCE_NER)] if info.known else []
        if label in _DEMONYM_LABELS and self.settings.demonyms:
            if self._info(span.text).demonym:
                return [_mention(span, label, SOURCE_DEMONYM, is_demonym=True)]
            # "Russian-American", "Israeli-Palestinian": each part that is a demonym.
            return [
                _mention(part, label, SOURCE_DEMONYM, is_demonym=True)
                for part in _split_hyphens(span)
                if len(part) < len(span) and self._info(part.text).demonym
            ]
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

    def _geographic_context(
        self, doc: Doc, span: Span, *, weak_locatives: bool = True, modifier: bool = True
    ) -> bool:
        """Generic evidence that a name is a place here (see the module docstring).

        Args:
            weak_locatives: let "of" count as a locative preposition (see `_locative_before`).
            modifier: let "a Columbia woman" count (weaker: "Police officers" has the same shape).
        """
        return (
            self._locative_before(doc, span.start, weak=weak_locatives)
            or self._comma_pattern(doc, span)
            or _dateline(doc, span)
            or _after_party_prefix(doc, span.start)
            or (modifier and _modifies_people_or_institution(doc, span.end))
        )

    def _without_compass(self, span: Span) -> Span:
        """ "north Georgia" -> "Georgia": a lower-case compass word modifies the place; a capitalised one is part of
        a name ("West Africa", "North Carolina"), and so is one that the gazetteer knows with it."""
        if self.index is None or len(span) < 2 or span[0].lower_ not in _COMPASS or not span[0].is_lower:
            return span
        rest = span.doc[span.start + 1 : span.end]
        if self._info(span.text).known or not self._info(rest.text).known:
            return span
        return rest

    def _with_abbreviation_period(self, span: Span) -> Span | Mention:
        """ "W.Va" + "." -> "W.Va.": the tokenizer split off the abbreviation's own period before a dash or end."""
        doc = span.doc
        if (
            self.index is None
            or span.end >= len(doc)
            or doc[span.end].text != "."
            or span[-1].whitespace_
            or "." not in span[-1].text
            or not self._info(span.text + ".").known
        ):
            return span
        mention = _mention(span, "", SOURCE_NER)
        mention.end += 1
        mention.text += "."
        return mention

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
        if _dateline(doc, span):
            return True
        major = bool(info.kinds & {COUNTRY, ADMIN1})
        if _ambiguous_acronym(span, info) and not self._comma_pattern(doc, span):
            return False
        if _is_acronym(span) and not major:
            return False
        if _is_common(span, self._common_words, lowercase_words):
            return False
        if len(span) == 1 and _part_of_longer_person(doc, span) and not self._comma_pattern(doc, span):
            return False  # "Flores, 26," after "Jose Flores": the surname, even after "to" or "of"
        if major or self._geographic_context(doc, span, weak_locatives=label not in _PERSON_LABELS):
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
        doc = span.doc
        tokens = list(span)
        if self.settings.demonyms and len(span) > 1:
            # "American Airlines", "the Georgian Foreign Ministry": a leading demonym names its country.
            head = self._info(tokens[0].text)
            if head.demonym and not _capitalised_only_by_position(doc, tokens[0].i, self._lowercase_words):
                return [_mention(span[:1], label, SOURCE_DEMONYM, is_demonym=True)]
        # "University of Georgia", "Bank of America": the capitalised run after a joiner.
        for i, token in enumerate(tokens[:-1]):
            if token.lower_ in _ORG_JOINERS:
                tail = self._longest_known_run(span.doc, tokens[i + 1].i, span.end, anchored_end=False)
                if tail is not None:
                    found.append(_mention(tail, label, SOURCE_EMBEDDED))
                    break
        # "Paris Police Department", "Rapides Parish Fire District": a known name opening a longer entity.
        head = self._longest_known_run(span.doc, span.start, span.end - 1, anchored_end=False)
        if head is None:
            head = self._place_before_institution(span)
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
            if _ambiguous_acronym(run, info):
                continue  # "AP Photo": a two-letter acronym opening a name is the organisation's own
            if info.known and info.prominent and not info.demonym:
                return run
        return None

    def _place_before_institution(self, span: Span) -> Span | None:
        """ "Hopkinton Police Department", "Harwinton Senior Center": any known place before an institution word.

        `_longest_known_run` asks for a prominent place; a small town is accepted when the word after it makes the
        entity an institution of a place.
        """
        doc = span.doc
        for stop in range(min(span.end - 1, span.start + self.settings.max_ngram), span.start, -1):
            run = doc[span.start : stop]
            if doc[stop].lower_ not in _INSTITUTION_WORDS or not all(_capitalised(t) for t in run):
                continue
            if (
                _is_common(run, self._common_words, self._lowercase_words)
                or run.text.lower() in self._stop_words
            ):
                return None
            info = self._info(run.text)
            if info.known and not info.demonym and not _ambiguous_acronym(run, info):
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
            if (
                i > 0
                and not covered[i - 1]
                and _capitalised(doc[i - 1])
                and doc[i - 1].lower_ not in self._stop_words
            ):
                # Inside a longer capitalised name whose start was refused: "Frederick Lewis Allen", "Rolling
                # Meadows" at a sentence start; its last words alone are no place.
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
            if run.text.lower() in _MODIFIED_NOUNS or run.text.lower() in _INSTITUTION_WORDS:
                continue  # "Police officers": the noun itself, capitalised at a sentence start
            locative = self._geographic_context(doc, run, modifier=False)
            if _is_common(run, self._common_words, lowercase_words) and not locative:
                continue
            locative = locative or _modifies_people_or_institution(doc, stop)
            if (
                stop < len(doc)
                and _capitalised(doc[stop])
                and doc[stop].lower_ not in _INSTITUTION_WORDS
                and not _at_sentence_start(doc, stop)
            ):
                continue  # "Frederick" of "the Frederick Lewis Allen Room": the start of a longer name
            if locative or (
                info.prominent and (not _at_sentence_start(doc, start) or _place_subject(doc, run, stop))
            ):
                return _mention(run, "", SOURCE_GAZETTEER), stop
        return None

    # ------------------------------------------------------------------------------------------- evidence
    def _locative_before(self, doc: Doc, start: int, *, weak: bool = True) -> bool:
        """A locative preposition just before (allowing a determiner: "in the Bronx").

        With `weak=False`, "of" does not count: it precedes people as often as places ("a friend of
        Moore") unless a place noun precedes ("the town of Camborne").
        """
        k = start - 1
        if k >= 0 and doc[k].lower_ in _DETERMINERS:
            k -= 1
        if k < 0 or doc[k].lower_ not in self._locatives:
            return False
        if weak or doc[k].lower_ not in _WEAK_LOCATIVES:
            return True
        return k >= 1 and doc[k - 1].lower_ in _PLACE_NOUNS

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


def _ambiguous_acronym(span: Span, info: _NameInfo) -> bool:
    """A bare two-letter acronym ("AP", "WA", "KY") that is no country's: it abbreviates too many things."""
    letters = [c for c in span.text if c.isalpha()]
    return len(letters) <= 2 and "." not in span.text and _is_acronym(span) and COUNTRY not in info.kinds


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


def _place_subject(doc: Doc, run: Span, stop: int) -> bool:
    """A sentence-initial name the NER left untagged, directly followed by an auxiliary ("Nimes was spared"):
    capitalised by its name, not only by its position. (Token shapes only: the pipeline may run without a tagger.)"""
    return stop < len(doc) and doc[stop].text in _AUXILIARIES and not any(t.ent_type_ for t in run)


def _followed_by_person(doc: Doc, i: int) -> bool:
    return i < len(doc) and doc[i].ent_type_ in _PERSON_LABELS


def _part_of_longer_person(doc: Doc, span: Span) -> bool:
    """Whether the span's text is a word of a longer PERSON entity of the document ("Jordan" of "Michael Jordan")."""
    words = doc.user_data.get(_PERSON_WORDS)
    if words is None:  # once per document: walking doc.ents builds every entity Span anew
        words = {t.text for ent in doc.ents if ent.label_ in _PERSON_LABELS and len(ent) > 1 for t in ent}
        doc.user_data[_PERSON_WORDS] = words
    return span.text in words


_PERSON_WORDS = "georeset.person_words"


def is_street_name(text: str) -> bool:
    """Whether a phrase has a street's form: capitalised words ending in a designator ("Bridge Street", "N. High
    St.", "Hyland-Croy Road"). Gold spans and NER entities carry no street flag; this tells them apart."""
    words = text.split()
    if len(words) < 2 or not words[-1][:1].isupper():
        return False
    last = words[-1].lower()
    return last in _STREET_DESIGNATORS or last.rstrip(".") in _SPLIT_DESIGNATORS


def _capitalised_only_by_position(doc: Doc, i: int, lowercase_words: set[str]) -> bool:
    """A word at a sentence start whose capital says nothing (a lower-case word elsewhere in the text)."""
    return _at_sentence_start(doc, i) and doc[i].lower_ in lowercase_words


def _streets(doc: Doc, stop_words: frozenset[str]) -> list[Span]:
    """Street names: up to three capitalised words or an ordinal ("E. 51st", "Martin Luther King"), then a
    street designator ("Street", "Ave.", "Boulevard"). A capitalised word right after the designator makes it part
    of a longer name ("Wall Street Journal", "Main Street Station"), which is left to the NER."""
    found: list[Span] = []
    n = len(doc)
    for token in doc:
        if token.lower_ in _SPLIT_DESIGNATORS:
            if token.whitespace_ or token.i + 1 >= n or doc[token.i + 1].text != ".":
                continue
            after = token.i + 2  # the period is the abbreviation's
        elif token.lower_ in _STREET_DESIGNATORS:
            after = token.i + 1
        else:
            continue
        if not token.text[:1].isupper() or token.i == 0:
            continue
        if after < n and _capitalised(doc[after]) and not _at_sentence_start(doc, after):
            continue
        start = token.i
        while start > 0 and token.i - start < 3:
            previous = doc[start - 1]
            if _ORDINAL.match(previous.text) or (
                _capitalised(previous)
                and previous.lower_ not in stop_words
                and previous.lower_.rstrip(".") not in _TITLES
                and previous.lower_ not in _STREET_DESIGNATORS
            ):
                start -= 1
            else:
                break
        if start < token.i:  # a compass word or ordinal is part of it: "E. Main Street", "W. 34th St."
            found.append(doc[start:after])
    return found


def _party_prefixed(span: Span) -> bool:
    """ "D-Pa.", "R-Charleston": a party letter, a hyphen, then the district."""
    return (
        len(span) >= 3 and span[0].text in _PARTY_PREFIXES and span[1].text == "-" and not span[0].whitespace_
    )


def _after_party_prefix(doc: Doc, start: int) -> bool:
    return start >= 2 and doc[start - 1].text == "-" and doc[start - 2].text in _PARTY_PREFIXES


def _dateline(doc: Doc, span: Span) -> bool:
    """An all-capitals name opening a paragraph or sentence, then a dash or a comma: "ATLANTA -", "WINONA --"."""
    letters = [c for c in span.text if c.isalpha()]
    if len(letters) < 3 or not all(c.isupper() for c in letters) or not _at_sentence_start(doc, span.start):
        return False
    return span.end < len(doc) and doc[span.end].text in _DATELINE_MARKS


def _modifies_people_or_institution(doc: Doc, end: int) -> bool:
    """ "a Columbia woman", "Grovetown police", "the Avondale Mayor": the name modifies such a noun."""
    if end >= len(doc):
        return False
    following = doc[end]
    return following.lower_ in _MODIFIED_NOUNS and (
        following.text.islower() or following.lower_ in ("police", "mayor")
    )


def _split_at(span: Span, is_separator) -> list[Span]:
    """The parts of a span between the tokens `is_separator` accepts (empty parts dropped)."""
    parts, start = [], span.start
    for token in span:
        if is_separator(token):
            if token.i > start:
                parts.append(span.doc[start : token.i])
            start = token.i + 1
    if start < span.end:
        parts.append(span.doc[start : span.end])
    return parts


def _split_hyphens(span: Span) -> list[Span]:
    """ "Russian-American" -> "Russian", "American" (hyphens written without spaces)."""
    return _split_at(
        span,
        lambda t: t.text in ("-", "–") and t.i > span.start and not t.doc[t.i - 1].whitespace_,
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
    return _split_at(span, lambda t: t.text == ",")


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


__all__ = ["LOCATIVE_WORDS", "SKIPPED_COMPONENTS", "Recognizer", "RecognizerSettings", "is_street_name"]
