"""Any text collection as geotext: .txt files (one document each, or a folder of them), JSONL or CSV with a `text`
column; optional `id`, `title`, `url`, `lang` fields are kept. `silver_labels` adds the geoparser's toponyms.

Bad input is counted, never fatal for the rest: an unreadable line, a row without text, an empty file.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.schema import make_record, make_toponym
from georeset.errors import BadInputError

SOURCE = "text"
SILVER_BATCH = 32


def _record(doc_id: str, row: dict[str, Any]) -> dict:
    return make_record(
        str(row.get("id") or doc_id),
        row["text"],
        source=SOURCE,
        lang=str(row.get("lang") or "en"),
        url=str(row.get("url") or ""),
        title=str(row.get("title") or ""),
    )


def _rows(path: Path, report: BuildReport) -> Iterator[tuple[str, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix == ".txt":
        try:
            yield f"{SOURCE}:{path.name}", {"text": path.read_text(encoding="utf-8"), "title": path.stem}
        except UnicodeDecodeError as err:
            report.reject(SOURCE, "file is not UTF-8 text", f"{path}: {err}")
    elif suffix in (".jsonl", ".json"):
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    report.reject(SOURCE, "invalid JSON line", f"{path}:{number}: {err}")
                    continue
                if not isinstance(row, dict):
                    report.reject(SOURCE, "JSON line is not an object", f"{path}:{number}")
                    continue
                yield f"{SOURCE}:{path.name}:{number}", row
    elif suffix in (".csv", ".tsv"):
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # documents are longer than csv's 128 KiB default
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ",")
            if "text" not in (reader.fieldnames or []):
                raise BadInputError(
                    f"{path}: no 'text' column (columns: {', '.join(reader.fieldnames or [])})"
                )
            for number, row in enumerate(reader, 2):
                yield f"{SOURCE}:{path.name}:{number}", row
    else:
        raise BadInputError(f"{path}: unsupported text file type {suffix!r}; use .txt, .jsonl or .csv")


def read_texts(path: str | Path, report: BuildReport, *, limit: int | None = None) -> Iterator[dict]:
    """Unlabelled geotext records from a text file or a folder of .txt files.

    Raises:
        BadInputError: the path does not exist, a CSV has no `text` column, or the file type is unsupported.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise BadInputError(f"text source {path}: no such file or folder")
    files = sorted(path.rglob("*.txt")) if path.is_dir() else [path]
    if not files:
        raise BadInputError(f"text source {path}: the folder holds no .txt file")
    count = 0
    for file in files:
        for doc_id, row in _rows(file, report):
            if limit is not None and count >= limit:
                return
            text = row.get("text")
            if not isinstance(text, str) or not text.strip():
                report.reject(SOURCE, "document without text", doc_id)
                continue
            report.count_read(SOURCE)
            count += 1
            yield _record(doc_id, row)


def silver_labels(records: Iterable[dict], geoparser, report: BuildReport) -> Iterator[dict]:
    """Add the geoparser's resolved toponyms (label source `silver`, its confidence kept) to records.

    This is the one place where geotext building runs the geoparser (a `modeling.geoparsing.Geoparser`).
    """
    batch: list[dict] = []

    def flush() -> Iterator[dict]:
        docs = geoparser.parse_batch([r["text"] for r in batch])
        for record, doc in zip(batch, docs, strict=True):
            record["toponyms"] = [
                make_toponym(
                    record["text"],
                    t.start,
                    t.end,
                    entity_id=t.entity_id,
                    lat=t.lat,
                    lon=t.lon,
                    label_source="silver",
                    confidence=t.confidence,
                )
                for t in doc.toponyms
                if t.entity_id is not None
            ]
            if not record["toponyms"]:
                report.skip(SOURCE, "document without any resolvable mention")
            yield record
        batch.clear()

    for record in records:
        batch.append(record)
        if len(batch) >= SILVER_BATCH:
            yield from flush()
    if batch:
        yield from flush()


__all__ = ["read_texts", "silver_labels"]
