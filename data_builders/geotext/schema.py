"""The one record schema every geotext builder emits: a document and its labelled toponyms.

A record is a plain dict (what `datasets` and parquet hold):

```
{"id": "factbook:fr", "text": "...", "lang": "en", "source": "factbook", "url": "...", "title": "France",
 "toponyms": [{"start": 0, "end": 6, "surface": "France", "entity_id": "geonames:3017382", "lat": 46.0,
               "lon": 2.0, "label_source": "distant", "confidence": 1.0}]}
```

`label_source` says how the label was obtained: `gold` (a benchmark annotation), `distant` (a link or a structural
fact of the document: a Wikipedia link, the country a Factbook page is about) or `silver` (the geoparser's output).
`entity_id` is "" when only coordinates are known (benchmark gold from Wikipedia), `lat`/`lon` are None when only
the entity is known (they are then filled from the gazetteer when one is given).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from georeset.errors import BadInputError

LABEL_SOURCES = ("gold", "distant", "silver")

TOPONYM_FIELDS = ("start", "end", "surface", "entity_id", "lat", "lon", "label_source", "confidence")
RECORD_FIELDS = ("id", "text", "lang", "source", "url", "title", "toponyms")


def features():
    """The `datasets.Features` of a geotext dataset (imported lazily: `datasets` is heavy)."""
    from datasets import Features, List, Value

    toponym = {
        "start": Value("int32"),
        "end": Value("int32"),
        "surface": Value("string"),
        "entity_id": Value("string"),
        "lat": Value("float64"),
        "lon": Value("float64"),
        "label_source": Value("string"),
        "confidence": Value("float32"),
    }
    return Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "lang": Value("string"),
            "source": Value("string"),
            "url": Value("string"),
            "title": Value("string"),
            "toponyms": List(toponym),
        }
    )


def make_toponym(
    text: str,
    start: int,
    end: int,
    *,
    entity_id: str = "",
    lat: float | None = None,
    lon: float | None = None,
    label_source: str,
    confidence: float = 1.0,
) -> dict[str, Any]:
    """A toponym dict whose `surface` is `text[start:end]`.

    Raises:
        BadInputError: the span is outside the text or empty, the label source is unknown, or the coordinates are
            out of range.
    """
    if not 0 <= start < end <= len(text):
        raise BadInputError(f"toponym span [{start}, {end}) is outside a text of {len(text)} characters")
    if label_source not in LABEL_SOURCES:
        raise BadInputError(f"label_source {label_source!r}: expected one of {', '.join(LABEL_SOURCES)}")
    if (lat is None) != (lon is None) or (lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)):
        raise BadInputError(f"toponym {text[start:end]!r}: invalid coordinates ({lat}, {lon})")
    return {
        "start": int(start),
        "end": int(end),
        "surface": text[start:end],
        "entity_id": entity_id or "",
        "lat": None if lat is None else float(lat),
        "lon": None if lon is None else float(lon),
        "label_source": label_source,
        "confidence": float(confidence),
    }


def make_record(
    doc_id: str,
    text: str,
    *,
    source: str,
    lang: str = "en",
    url: str = "",
    title: str = "",
    toponyms: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A geotext record; toponyms are sorted by offset.

    Raises:
        BadInputError: an empty id or text.
    """
    if not doc_id:
        raise BadInputError(f"a {source} document has no id")
    if not isinstance(text, str) or not text.strip():
        raise BadInputError(f"{doc_id}: the document text is empty")
    return {
        "id": doc_id,
        "text": text,
        "lang": lang or "",
        "source": source,
        "url": url or "",
        "title": title or "",
        "toponyms": sorted(toponyms or [], key=lambda t: (t["start"], t["end"])),
    }


def check_record(record: Mapping[str, Any], where: str = "") -> None:
    """Validate a record read from anywhere (a dataset on disk, a user's JSONL).

    Raises:
        BadInputError: a missing field, or a toponym whose span does not fit the text.
    """
    where = where or str(record.get("id", "a record"))
    missing = [name for name in RECORD_FIELDS if name not in record]
    if missing:
        raise BadInputError(f"{where}: not a geotext record, missing field(s) {', '.join(missing)}")
    text = record["text"]
    for i, topo in enumerate(record["toponyms"] or []):
        start, end = topo.get("start"), topo.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise BadInputError(f"{where}: toponym {i} has the span [{start}, {end}) outside the text")


__all__ = [
    "LABEL_SOURCES",
    "RECORD_FIELDS",
    "TOPONYM_FIELDS",
    "check_record",
    "features",
    "make_record",
    "make_toponym",
]
