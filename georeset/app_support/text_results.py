"""What the text tab shows of a geoparsed document: highlights, the table, candidates, downloads and map features.

Pure functions of a `GeoparsedDoc`, so they are tested without a browser or a model.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shapely

from georeset.app_support.basemap import MapFeature
from georeset.errors import BadInputError
from modeling.geoparsing.output import to_geojson
from modeling.geoparsing.types import STAGE_NO_MATCH, GeoparsedDoc, Toponym

DEFAULT_MAX_CHARS = 20_000
"""Longest text the page accepts (about 3,000 words, a long news article): longer texts are refused with a
message, so that one request cannot hold the queue for minutes. `georeset app --max-chars N` changes it."""
LOW_CONFIDENCE = 0.5
"""Below this confidence a place is drawn in the "check me" colour."""
NO_MATCH_LABEL = "no match"
TABLE_HEADERS = [
    "#",
    "mention",
    "place",
    "type",
    "country",
    "admin path",
    "confidence",
    "decided by",
    "lat",
    "lon",
]
CANDIDATE_HEADERS = [
    "chosen",
    "name",
    "type",
    "country",
    "admin1",
    "admin2",
    "population",
    "probability",
    "score",
]
CSV_FIELDS = [
    "start",
    "end",
    "text",
    "entity_id",
    "name",
    "feature_type",
    "country_code",
    "admin_path",
    "lat",
    "lon",
    "confidence",
    "stage",
    "geonames_id",
    "wikidata_id",
]


def check_text(text: str | None, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The text to geoparse, or a clear refusal.

    Raises:
        BadInputError: no text, or more than `max_chars` characters.
    """
    if text is None or not text.strip():
        raise BadInputError("text: paste a text or upload a .txt file first")
    if len(text) > max_chars:
        raise BadInputError(
            f"text: {len(text):,} characters is more than this page accepts ({max_chars:,}, about "
            f"{max_chars // 6:,} words); split it, or geoparse it with `georeset geoparse --input FILE`"
        )
    return text


def read_text_file(path: str | Path | None, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The content of an uploaded text file (UTF-8).

    Raises:
        BadInputError: the file is not UTF-8 text, or it is larger than the page accepts.
    """
    if path is None:
        return ""
    path = Path(path)
    size = path.stat().st_size
    # Four bytes per character at most in UTF-8: anything larger cannot fit the limit.
    if size > 4 * max_chars:
        raise BadInputError(
            f"{path.name}: {size:,} bytes is more than this page accepts ({max_chars:,} characters)"
        )
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BadInputError(
            f"{path.name}: not UTF-8 text (bad byte at offset {err.start}); upload a .txt file"
        ) from err


def label_of(toponym: Toponym) -> str:
    """The highlight category: the place's feature type, or "no match"."""
    return (toponym.feature_type or "place") if toponym.entity_id else NO_MATCH_LABEL


def highlight_segments(doc: GeoparsedDoc) -> tuple[list[tuple[str, str | None]], list[int | None]]:
    """The text cut into `(segment, label)` pairs for `gr.HighlightedText`, and the toponym index of each segment.

    Overlapping spans (which the geoparser does not produce, but a gold file might) keep the first one.
    """
    segments: list[tuple[str, str | None]] = []
    owners: list[int | None] = []
    position = 0
    for i, toponym in enumerate(doc.toponyms):
        if toponym.start < position:
            continue
        if toponym.start > position:
            segments.append((doc.text[position : toponym.start], None))
            owners.append(None)
        segments.append((doc.text[toponym.start : toponym.end], label_of(toponym)))
        owners.append(i)
        position = toponym.end
    if position < len(doc.text):
        segments.append((doc.text[position:], None))
        owners.append(None)
    return segments, owners


def _round(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None


def table_rows(doc: GeoparsedDoc) -> list[list[Any]]:
    """One row per toponym (`TABLE_HEADERS`), in text order."""
    rows = []
    for i, t in enumerate(doc.toponyms):
        rows.append(
            [
                i + 1,
                t.text,
                t.name or "",
                t.feature_type or "",
                t.country_code or "",
                t.admin_path or "",
                round(t.confidence, 3),
                t.stage,
                _round(t.lat, 4),
                _round(t.lon, 4),
            ]
        )
    return rows


def candidate_rows(toponym: Toponym) -> list[list[Any]]:
    """The candidates the geoparser considered for one toponym (`CANDIDATE_HEADERS`), the chosen one marked."""
    rows = []
    for candidate in toponym.candidates:
        rows.append(
            [
                "✔" if candidate.get("entity_id") == toponym.entity_id else "",
                candidate.get("name", ""),
                candidate.get("feature_type", ""),
                candidate.get("country_code", ""),
                candidate.get("admin1_name", ""),
                candidate.get("admin2_name", ""),
                candidate.get("population", 0),
                candidate.get("probability", 0.0),
                candidate.get("score", 0.0),
            ]
        )
    return rows


def candidate_title(toponym: Toponym) -> str:
    """A one-line Markdown heading of the candidate table of a toponym."""
    decided = (
        "no candidate fits"
        if toponym.stage == STAGE_NO_MATCH
        else f"chose **{toponym.name}** ({toponym.admin_path or toponym.country_code or toponym.feature_type}) "
        f"with confidence {toponym.confidence:.2f}, decided by the {toponym.stage}"
    )
    return (
        f"Candidates considered for **“{toponym.text}”** (characters {toponym.start}–{toponym.end}): "
        f"{len(toponym.candidates)} candidate(s); {decided}."
    )


def to_csv(doc: GeoparsedDoc) -> str:
    """The toponyms as CSV (`CSV_FIELDS`), no-matches included with empty place columns."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for toponym in doc.toponyms:
        writer.writerow(toponym.to_dict(with_geometry=False))
    return buffer.getvalue()


def write_downloads(doc: GeoparsedDoc, folder: str | Path, stem: str = "places") -> list[Path]:
    """Write `<stem>.geojson` and `<stem>.csv` into `folder`; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    geojson_path, csv_path = folder / f"{stem}.geojson", folder / f"{stem}.csv"
    geojson_path.write_text(json.dumps(to_geojson(doc), ensure_ascii=False), encoding="utf-8")
    csv_path.write_text(to_csv(doc), encoding="utf-8")
    return [geojson_path, csv_path]


def map_features(doc: GeoparsedDoc) -> list[MapFeature]:
    """One map feature per resolved place (several mentions of one place are drawn once, named in one tooltip)."""
    by_entity: dict[str, list[Toponym]] = {}
    for toponym in doc.toponyms:
        if toponym.entity_id is not None and toponym.lat is not None and toponym.lon is not None:
            by_entity.setdefault(toponym.entity_id, []).append(toponym)
    features = []
    for entity_id, mentions in by_entity.items():
        first = mentions[0]
        geometry = (
            shapely.geometry.shape(first.geometry) if first.geometry else shapely.Point(first.lon, first.lat)
        )
        said = sorted({m.text for m in mentions})
        tooltip = (
            f"{first.name} ({first.feature_type}; {first.admin_path or first.country_code or ''}) "
            f"- mentioned as {', '.join(repr(s) for s in said)} {len(mentions)}x; "
            f"confidence {max(m.confidence for m in mentions):.2f}"
        )
        features.append(
            MapFeature(
                geometry=geometry,
                label=first.name or first.text,
                tooltip=tooltip,
                entity_id=entity_id,
                low_confidence=max(m.confidence for m in mentions) < LOW_CONFIDENCE,
            )
        )
    return features


def summary_line(doc: GeoparsedDoc, seconds: float, language: str) -> str:
    """A Markdown status line: how many mentions, places and no-matches, and how long it took."""
    resolved = sum(t.entity_id is not None for t in doc.toponyms)
    places = len({t.entity_id for t in doc.toponyms if t.entity_id is not None})
    missing = len(doc.toponyms) - resolved
    return (
        f"Found **{len(doc.toponyms)}** place mention(s) in {len(doc.text):,} characters ({language}): "
        f"**{places}** distinct place(s) on the map, {missing} without a match; {seconds:.1f} s. "
        "Click a highlighted name or a table row to see the candidates that were considered."
    )


def toponym_at(doc: GeoparsedDoc | None, index: int | None) -> Toponym | None:
    """The toponym at an index, or None when there is none (a click on plain text or a stale table)."""
    if doc is None or index is None or not 0 <= index < len(doc.toponyms):
        return None
    return doc.toponyms[index]


def select_row_index(index: Sequence[int] | int | None) -> int | None:
    """The row of a `gr.SelectData.index` of a table ([row, column]) or of a highlight (segment number)."""
    if index is None:
        return None
    if isinstance(index, Sequence) and not isinstance(index, str):
        return int(index[0]) if index else None
    return int(index)


__all__ = [
    "CANDIDATE_HEADERS",
    "CSV_FIELDS",
    "DEFAULT_MAX_CHARS",
    "LOW_CONFIDENCE",
    "NO_MATCH_LABEL",
    "TABLE_HEADERS",
    "candidate_rows",
    "candidate_title",
    "check_text",
    "highlight_segments",
    "label_of",
    "map_features",
    "read_text_file",
    "select_row_index",
    "summary_line",
    "table_rows",
    "to_csv",
    "toponym_at",
    "write_downloads",
]
