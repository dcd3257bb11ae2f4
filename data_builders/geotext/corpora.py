"""Readers of the standard geoparsing benchmark corpora, all yielding one `Document` type.

Formats (detected from the path):

- `lgl`: LGL / GeoWebNews / TR-News XML: `<articles><article docid><text><toponyms><toponym><start><end><phrase>
  <gaztag geonameid><name><lat><lon>`; toponyms without `<gaztag>` have no coordinates.
- `geovirus`: GeoVirus XML: `<articles><article><source><text><locations><location><name><start><end><lat><lon>
  <page>`.
- `gold-lines`: the gold-line layout of WikToR and of the EUPEG platform (geoai-lab/EUPEG, `Utils.java` and
  `XmlCorpusParser.java`): document N is the plain-text file `N` of a folder; line N (0-based) of the gold file holds
  its toponyms as `||`-terminated records `place_name,,phrase,,lat,,lon,,start,,end` (extra fields are ignored; an
  empty or `null` coordinate means "no coordinates"). WikToR ships `texts/` + `gold.txt`; EUPEG writes
  `corpora/<Name>/` + `gold/<Name>_gold.txt`.
- `eupeg-xml`: the EUPEG upload format: `<entries><entry><text><toponyms><toponym><start><end><phrase><place>
  <placename><footprint>LON LAT</footprint>`.

Offsets are checked against the text. When one shift makes most annotations agree with the text (GeoVirus counts
from 1), it is applied to the whole corpus and reported; the annotations that still disagree are counted with
examples in `Corpus.offset_mismatches`, never dropped silently.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from georeset.errors import BadInputError

FORMATS = ("lgl", "geovirus", "gold-lines", "eupeg-xml")
MAX_EXAMPLES = 5
# Shifts tried when the corpus' offsets disagree with its text (off-by-one conventions, a stripped leading char).
CANDIDATE_SHIFTS = (-2, -1, 1, 2)
_GOLD_RECORD_FIELDS = 6
_MISSING_COORDINATE = {"", "null", "none", "nan"}


@dataclass
class GoldToponym:
    """One annotated toponym: a character span of the document text and, when the corpus has them, its coordinates.

    `text` is the phrase as the corpus annotates it; `name` is the gold place's own name (LGL gazetteer name,
    WikToR page title, GeoVirus Wikipedia page) when the corpus gives one.
    """

    start: int
    end: int
    text: str
    lat: float | None = None
    lon: float | None = None
    geonames_id: int | None = None
    name: str = ""

    @property
    def has_coordinates(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass
class Document:
    """A benchmark document: its text and gold toponyms, sorted by start offset."""

    doc_id: str
    text: str
    toponyms: list[GoldToponym] = field(default_factory=list)
    source: str = ""
    """Where the document comes from, when the format says (LGL's feed id): one source's documents share a locale,
    which `Geoparser.resolve_collection` can use."""


@dataclass
class Corpus:
    """A loaded corpus with what the loader had to fix or could not reconcile."""

    name: str
    format: str
    path: Path
    documents: list[Document]
    offset_shift: int = 0  # added to every start/end read from the file
    unshifted_mismatches: int = 0  # annotations whose offsets disagree with the text as written in the file
    offset_mismatches: int = 0  # annotations whose text[start:end] differs from their phrase after the shift
    invalid_spans: int = 0  # spans outside the text or empty: kept out of the documents, counted here
    invalid_coordinates: int = 0  # coordinates outside [-90, 90] x [-180, 180]: toponym kept without them
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_documents(self) -> int:
        return len(self.documents)

    @property
    def n_toponyms(self) -> int:
        return sum(len(doc.toponyms) for doc in self.documents)

    @property
    def n_toponyms_with_coordinates(self) -> int:
        return sum(t.has_coordinates for doc in self.documents for t in doc.toponyms)

    def summary(self) -> dict:
        """Counts and loader notes, for reports."""
        return {
            "name": self.name,
            "format": self.format,
            "path": str(self.path),
            "documents": self.n_documents,
            "toponyms": self.n_toponyms,
            "toponyms_with_coordinates": self.n_toponyms_with_coordinates,
            "offset_shift": self.offset_shift,
            "unshifted_mismatches": self.unshifted_mismatches,
            "offset_mismatches": self.offset_mismatches,
            "invalid_spans": self.invalid_spans,
            "invalid_coordinates": self.invalid_coordinates,
            "examples": self.examples,
        }

    def _note(self, kind: str, example: str) -> None:
        bucket = self.examples.setdefault(kind, [])
        if len(bucket) < MAX_EXAMPLES:
            bucket.append(example[:300])


# ---------------------------------------------------------------------------------------------------------- detection


def detect_format(path: Path) -> tuple[str, Path]:
    """The corpus format and the file or folder to read, from a path given by the user.

    Accepts an XML file, a folder holding exactly one XML file, a WikToR-style folder (`gold.txt` + `texts/`), or a
    gold-line file (`gold.txt`, `<Name>_gold.txt`).

    Raises:
        BadInputError: the path does not exist or matches no known layout.
    """
    path = Path(path)
    if not path.exists():
        raise BadInputError(f"corpus {path}: no such file or folder")
    if path.is_dir():
        if (path / "gold.txt").is_file():
            return "gold-lines", path / "gold.txt"
        xml_files = sorted(path.glob("*.xml"))
        if len(xml_files) == 1:
            return detect_format(xml_files[0])
        gold_files = sorted(path.glob("*_gold.txt"))
        if len(gold_files) == 1:
            return "gold-lines", gold_files[0]
        raise BadInputError(
            f"corpus {path}: a folder must hold one XML corpus file, or gold.txt with a texts/ folder "
            f"(found {len(xml_files)} XML files)"
        )
    if path.suffix.lower() == ".txt":
        return "gold-lines", path
    if path.suffix.lower() == ".xml":
        return _sniff_xml(path), path
    raise BadInputError(
        f"corpus {path}: unknown corpus file type (expected .xml, a gold .txt file, or a folder)"
    )


def _sniff_xml(path: Path) -> str:
    """Tell the XML schemas apart from the root and the first records, without reading the whole file."""
    root = None
    try:
        with open(path, "rb") as handle:
            for event, elem in ET.iterparse(handle, events=("start", "end")):
                if root is None:
                    root = elem.tag
                    if root == "entries":
                        return "eupeg-xml"
                    continue
                if event == "end" and elem.tag == "toponyms":
                    return "lgl"
                if event == "end" and elem.tag == "locations":
                    return "geovirus"
    except ET.ParseError as err:
        raise BadInputError(f"corpus {path}: not well-formed XML ({err})") from err
    raise BadInputError(
        f"corpus {path}: XML of an unknown schema (expected <articles> of <article> with <toponyms> (LGL, "
        "GeoWebNews, TR-News) or <locations> (GeoVirus), or EUPEG's <entries>)"
    )


# ------------------------------------------------------------------------------------------------------------ readers


@dataclass
class _RawToponym:
    """A toponym as read, before offsets are reconciled with the text."""

    start: int
    end: int
    text: str
    lat: float | None
    lon: float | None
    geonames_id: int | None
    name: str
    where: str  # "file, document, record" for error messages


def _parse_xml(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as err:
        raise BadInputError(f"corpus {path}: not well-formed XML ({err})") from err
    except OSError as err:
        raise BadInputError(f"corpus {path}: cannot be read ({err})") from err


def _int(value: str | None, where: str, what: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise BadInputError(f"{where}: {what} is {value!r}, not an integer") from None


def _coordinate(value: str | None, where: str, what: str) -> float | None:
    if value is None or value.strip().lower() in _MISSING_COORDINATE:
        return None
    try:
        return float(value)
    except ValueError:
        raise BadInputError(f"{where}: {what} is {value!r}, not a number") from None


def _xml_toponym(
    elem: ET.Element,
    phrase_tag: str,
    where: str,
    lat: float | None,
    lon: float | None,
    name: str,
    geonames_id: int | None = None,
) -> _RawToponym:
    """A toponym from an XML element holding `<start>`, `<end>` and the phrase under `phrase_tag`."""
    return _RawToponym(
        start=_int(elem.findtext("start"), where, "start"),
        end=_int(elem.findtext("end"), where, "end"),
        text=elem.findtext(phrase_tag) or "",
        lat=lat,
        lon=lon,
        geonames_id=geonames_id,
        name=name,
        where=where,
    )


_RawDocument = tuple[str, str, list[_RawToponym], str]
"""(document id, text, toponyms, source) as a reader yields them."""


def _read_lgl(path: Path) -> Iterator[_RawDocument]:
    for index, article in enumerate(_parse_xml(path).iter("article")):
        doc_id = article.get("docid") or str(index)
        where = f"corpus {path}, article {doc_id}"
        toponyms = []
        for topo in article.iterfind("toponyms/toponym"):
            gaztag = topo.find("gaztag")
            lat = lon = geonames_id = None
            name = ""
            if gaztag is not None:
                lat = _coordinate(gaztag.findtext("lat"), where, "lat")
                lon = _coordinate(gaztag.findtext("lon"), where, "lon")
                if gaztag.get("geonameid"):
                    geonames_id = _int(gaztag.get("geonameid"), where, "geonameid")
                name = gaztag.findtext("name") or ""
            toponyms.append(_xml_toponym(topo, "phrase", where, lat, lon, name, geonames_id))
        yield doc_id, article.findtext("text") or "", toponyms, article.findtext("feedid") or ""


def _read_geovirus(path: Path) -> Iterator[_RawDocument]:
    for index, article in enumerate(_parse_xml(path).iter("article")):
        doc_id = str(index)
        where = f"corpus {path}, article {index}"
        toponyms = []
        for loc in article.iterfind("locations/location"):
            lat = _coordinate(loc.findtext("lat"), where, "lat")
            lon = _coordinate(loc.findtext("lon"), where, "lon")
            page_title = (loc.findtext("page") or "").rsplit("/", 1)[-1].replace("_", " ")
            toponyms.append(_xml_toponym(loc, "name", where, lat, lon, page_title))
        yield doc_id, article.findtext("text") or "", toponyms, ""


def _read_eupeg_xml(path: Path) -> Iterator[_RawDocument]:
    for index, entry in enumerate(_parse_xml(path).iter("entry")):
        where = f"corpus {path}, entry {index}"
        toponyms = []
        for topo in entry.iterfind("toponyms/toponym"):
            lat = lon = None
            footprint = (topo.findtext("place/footprint") or "").split()
            if len(footprint) == 2:  # EUPEG writes "LON LAT"
                lon = _coordinate(footprint[0], where, "footprint longitude")
                lat = _coordinate(footprint[1], where, "footprint latitude")
            elif footprint:
                raise BadInputError(f"{where}: footprint {' '.join(footprint)!r} is not 'LON LAT'")
            toponyms.append(
                _xml_toponym(topo, "phrase", where, lat, lon, topo.findtext("place/placename") or "")
            )
        yield str(index), entry.findtext("text") or "", toponyms, ""


def _texts_folder(gold_file: Path) -> Path:
    """Where the documents of a gold-line file live: `texts/` beside it (WikToR) or EUPEG's `corpora/<Name>/`."""
    stem = re.sub(r"_gold$", "", gold_file.stem)
    candidates = [
        gold_file.parent / "texts",
        gold_file.parent / stem,
        gold_file.parent.parent / "corpora" / stem,
    ]
    for folder in candidates:
        if folder.is_dir():
            return folder
    tried = ", ".join(str(c) for c in candidates)
    raise BadInputError(f"corpus {gold_file}: no folder of document texts found (tried {tried})")


def _read_gold_lines(path: Path, limit: int | None) -> Iterator[_RawDocument]:
    texts = _texts_folder(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise BadInputError(f"corpus {path}: cannot be read as UTF-8 text ({err})") from err
    for index, line in enumerate(lines[:limit] if limit is not None else lines):
        text_file = texts / str(index)
        try:
            # newline="" keeps "\r\n" as two characters: the offsets count them.
            with open(text_file, encoding="utf-8", newline="") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise BadInputError(
                f"corpus {path}: line {index} has no document text {text_file} "
                f"({len(lines)} gold lines, texts in {texts})"
            ) from None
        except UnicodeDecodeError as err:
            raise BadInputError(f"corpus {text_file}: not UTF-8 text ({err})") from err
        toponyms = []
        for number, record in enumerate(r for r in line.split("||") if r.strip()):
            where = f"corpus {path}, line {index}, record {number}"
            fields = record.split(",,")
            if len(fields) < _GOLD_RECORD_FIELDS:
                raise BadInputError(
                    f"{where}: {record[:120]!r} has {len(fields)} fields, expected "
                    "place_name,,phrase,,lat,,lon,,start,,end"
                )
            toponyms.append(
                _RawToponym(
                    start=_int(fields[4], where, "start"),
                    end=_int(fields[5], where, "end"),
                    text=fields[1],
                    lat=_coordinate(fields[2], where, "lat"),
                    lon=_coordinate(fields[3], where, "lon"),
                    geonames_id=None,
                    name=fields[0] if fields[0].lower() != "null" else "",
                    where=where,
                )
            )
        yield str(index), text, toponyms, ""


# ------------------------------------------------------------------------------------------------------------ loading


def _span_matches(text: str, topo: _RawToponym, shift: int) -> bool:
    start, end = topo.start + shift, topo.end + shift
    return 0 <= start < end <= len(text) and text[start:end] == topo.text


def _best_shift(raw_docs: list[_RawDocument]) -> tuple[int, int]:
    """The offset shift under which most annotations agree with the text (0 unless another shift does better).

    Returns:
        The shift, and how many annotations disagree with the text as written (shift 0).
    """
    counts = {shift: 0 for shift in (0, *CANDIDATE_SHIFTS)}
    for _, text, toponyms, _ in raw_docs:
        for topo in toponyms:
            for shift in counts:
                counts[shift] += _span_matches(text, topo, shift)
    best = max(counts, key=lambda s: (counts[s], s == 0))
    total = sum(len(t) for _, _, t, _ in raw_docs)
    shift = best if counts[best] > counts[0] and counts[best] * 2 > total else 0
    return shift, total - counts[0]


def corpus_name(path: Path) -> str:
    """A short name for a corpus path: `lgl`, `geovirus`, `wiktor` for the standard sets, else the file stem."""
    lowered = str(path).lower()
    for known in ("geowebnews", "tr-news", "geovirus", "wiktor", "lgl"):
        if known in lowered:
            return known
    stem = path.stem if path.is_file() else path.name
    return re.sub(r"_gold$", "", stem).lower() or "corpus"


def load_corpus(path: str | Path, limit: int | None = None, format: str | None = None) -> Corpus:
    """Read a geoparsing corpus, reconciling its offsets with its text.

    Args:
        path: a corpus file or folder (see the module docstring for the layouts).
        limit: read only the first `limit` documents.
        format: one of `FORMATS` to skip detection.

    Returns:
        The documents with their gold toponyms, and what the loader fixed or could not reconcile.

    Raises:
        BadInputError: missing, unreadable or garbled files, with the file and record named.
    """
    path = Path(path)
    detected, source = detect_format(path)
    if format is not None:
        if format not in FORMATS:
            raise BadInputError(f"corpus format {format!r} is not one of {', '.join(FORMATS)}")
        detected = format
    if limit is not None and limit < 0:
        raise BadInputError(f"--limit {limit}: must be 0 or more")
    if detected == "gold-lines":
        reader = _read_gold_lines(source, limit)
    else:
        reader = {"lgl": _read_lgl, "geovirus": _read_geovirus, "eupeg-xml": _read_eupeg_xml}[detected](
            source
        )
    raw_docs = []
    for doc in reader:
        if limit is not None and len(raw_docs) >= limit:
            break
        raw_docs.append(doc)

    shift, unshifted_mismatches = _best_shift(raw_docs)
    corpus = Corpus(
        name=corpus_name(path),
        format=detected,
        path=source,
        documents=[],
        offset_shift=shift,
        unshifted_mismatches=unshifted_mismatches,
    )
    for doc_id, text, raw_toponyms, doc_source in raw_docs:
        toponyms = []
        for raw in raw_toponyms:
            start, end = raw.start + shift, raw.end + shift
            if not 0 <= start < end <= len(text):
                corpus.invalid_spans += 1
                corpus._note("invalid_spans", f"{raw.where}: [{raw.start}, {raw.end}) {raw.text!r}")
                continue
            if text[start:end] != raw.text:
                corpus.offset_mismatches += 1
                corpus._note(
                    "offset_mismatches", f"{raw.where}: {raw.text!r} but the text has {text[start:end]!r}"
                )
            lat, lon = raw.lat, raw.lon
            if (lat is None) != (lon is None) or (
                lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)
            ):
                corpus.invalid_coordinates += 1
                corpus._note("invalid_coordinates", f"{raw.where}: {raw.text!r} at ({raw.lat}, {raw.lon})")
                lat = lon = None
            toponyms.append(GoldToponym(start, end, raw.text, lat, lon, raw.geonames_id, raw.name))
        toponyms.sort(key=lambda t: (t.start, t.end))
        corpus.documents.append(Document(doc_id=doc_id, text=text, toponyms=toponyms, source=doc_source))
    return corpus


__all__ = [
    "FORMATS",
    "GoldToponym",
    "Document",
    "Corpus",
    "detect_format",
    "corpus_name",
    "load_corpus",
]
