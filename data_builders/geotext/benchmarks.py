"""The geoparsing benchmark corpora (LGL, GeoWebNews/TR-News, GeoVirus, WikToR, EUPEG) as gold geotext records.

The corpus readers live in `data_builders.geotext.corpora`, where the evaluation (`eval.geoparsing`) reads them too.
Records keep the gold coordinates. The entity id is the GeoNames id (`geonames:<id>`, the gazetteer's ids) where
the corpus gives one and the gazetteer holds it; otherwise, with a gazetteer index, the gazetteer entry of that name
nearest to the gold point within 161 km (the Acc@161 tolerance), so corpora with coordinates only (WikToR,
GeoVirus) can serve as resolver training data for the *other* corpora. `distant` refuses these records for
training unless explicitly allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.schema import make_record, make_toponym

if TYPE_CHECKING:
    from data_builders.gazetteer.index import GazetteerIndex

LINK_MAX_KM = 161.0
LINK_TOP_K = 50


class GoldLinker:
    """Gold toponym -> gazetteer entity id: the corpus' GeoNames id when the gazetteer has it, else the entry of
    the mention's name nearest to the gold point within `LINK_MAX_KM`; counts each outcome in the report."""

    def __init__(self, index: GazetteerIndex | None, report: BuildReport, source: str) -> None:
        self.index, self.report, self.source = index, report, source
        self._known: dict[str, bool] = {}

    def _has(self, entity_id: str) -> bool:
        if entity_id not in self._known:
            from data_builders.gazetteer.index import UnknownEntityError

            try:
                self.index.entity(entity_id)
                self._known[entity_id] = True
            except UnknownEntityError:
                self._known[entity_id] = False
        return self._known[entity_id]

    def __call__(self, surface: str, lat: float | None, lon: float | None, geonames_id: str | None) -> str:
        given = f"geonames:{geonames_id}" if geonames_id else ""
        if self.index is None:
            return given
        if given and self._has(given):
            return given
        if lat is None or lon is None:
            self.report.skip(
                self.source, "gold toponym without coordinates or a known GeoNames id: not linked"
            )
            return ""
        from geopy.distance import great_circle

        best, best_km = "", LINK_MAX_KM
        for candidate in self.index.lookup(surface, top_k=LINK_TOP_K):
            km = great_circle((lat, lon), (candidate.lat, candidate.lon)).km
            if km < best_km:
                best, best_km = candidate.entity_id, km
        if best:
            self.report.repair(
                self.source,
                "gold toponym without a known GeoNames id linked to the nearest entry of its name",
                f"{surface} ({lat:.3f}, {lon:.3f}) -> {best} at {best_km:.0f} km",
            )
        else:
            self.report.skip(
                self.source, f"gold toponym with no gazetteer entry of its name within {LINK_MAX_KM:.0f} km"
            )
        return best


def read_benchmark(
    path: str | Path, report: BuildReport, *, limit: int | None = None, index: GazetteerIndex | None = None
) -> Iterator[dict]:
    """Gold geotext records of a benchmark corpus; the loader's repairs and rejections go into `report`.

    With `index`, every gold toponym is linked to a gazetteer entity where one fits (see `GoldLinker`).

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
    link = GoldLinker(index, report, source)
    for doc in corpus.documents:
        toponyms = [
            make_toponym(
                doc.text,
                t.start,
                t.end,
                entity_id=link(doc.text[t.start : t.end], t.lat, t.lon, t.geonames_id),
                lat=t.lat,
                lon=t.lon,
                label_source="gold",
            )
            for t in doc.toponyms
        ]
        report.count_read(source)
        yield make_record(f"{source}:{doc.doc_id}", doc.text, source=source, title="", toponyms=toponyms)


__all__ = ["GoldLinker", "read_benchmark"]
