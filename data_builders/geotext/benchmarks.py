"""The geoparsing benchmark corpora (LGL, GeoWebNews/TR-News, GeoVirus, WikToR, EUPEG) as gold geotext records.

The corpus readers live in `data_builders.geotext.corpora`, where the evaluation (`eval.geoparsing`) reads them too.
Records keep the gold coordinates, and the GeoNames id as the entity id (`geonames:<id>`, the gazetteer's ids)
where the corpus gives one. `distant` refuses these records for training unless explicitly allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.schema import make_record, make_toponym


def read_benchmark(path: str | Path, report: BuildReport, *, limit: int | None = None) -> Iterator[dict]:
    """Gold geotext records of a benchmark corpus; the loader's repairs and rejections go into `report`.

    Raises:
        BadInputError: the corpus cannot be read (the message names the file and record).
    """
    from data_builders.geotext.corpora import load_corpus

    corpus = load_corpus(path, limit=limit)
    source = corpus.name
    for kind, count in (
        ("annotation span outside the text", corpus.invalid_spans),
        ("coordinates out of range (toponym kept without them)", corpus.invalid_coordinates),
    ):
        for example in corpus.examples.get(
            "invalid_spans" if kind.startswith("annotation") else "invalid_coordinates", []
        )[:1]:
            report.reject(source, kind, example)
        if count > 1:
            report.rejected[(source, kind)] += count - 1
    if corpus.offset_mismatches:
        report.repair(source, "annotation phrase differs from the text at its offsets (kept)", "")
        report.repaired[(source, "annotation phrase differs from the text at its offsets (kept)")] += (
            corpus.offset_mismatches - 1
        )
    for doc in corpus.documents:
        toponyms = [
            make_toponym(
                doc.text,
                t.start,
                t.end,
                entity_id=f"geonames:{t.geonames_id}" if t.geonames_id else "",
                lat=t.lat,
                lon=t.lon,
                label_source="gold",
            )
            for t in doc.toponyms
        ]
        report.count_read(source)
        yield make_record(f"{source}:{doc.doc_id}", doc.text, source=source, title="", toponyms=toponyms)


__all__ = ["read_benchmark"]
