"""Run a geoparser over a benchmark corpus and score it.

Two modes:

- `gold`: the gold toponym spans are given (`Geoparser.resolve`): resolution only. Every gold toponym with
  coordinates is scored; one left unresolved counts at the maximum error.
- `e2e`: raw text in (`Geoparser.parse_batch`). Recognition is scored on spans (exact and overlapping, against
  every gold toponym); resolution on the gold toponyms with coordinates that a predicted span overlaps (one-to-one).

The report separates gazetteer coverage (`coverage_cap`) from resolution quality (`resolution_over_coverage`).
"""

from __future__ import annotations

import json
import resource
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from data_builders.geotext.corpora import Corpus, Document, GoldToponym
from eval.geoparsing.coverage import CandidateIndex, CoverageChecker
from eval.geoparsing.published import published_figures
from eval.geoparsing.scoring import (
    ACC_THRESHOLD_KM,
    error_km,
    error_statistics,
    id_accuracy,
    match_spans,
    span_prf,
)
from georeset.cli_types import write_atomic
from georeset.errors import BadInputError, GeoresetError

MODES = ("gold", "e2e")
# Documents per parse_batch call: large enough for spaCy's pipe, small enough for a live progress bar.
E2E_BATCH_SIZE = 32


@dataclass
class Prediction:
    """What the geoparser said about one span (the fields of its Toponym that the evaluation reads)."""

    start: int
    end: int
    text: str
    entity_id: str | None
    lat: float | None
    lon: float | None
    geonames_id: int | None
    confidence: float | None
    stage: str
    name: str | None = None
    mention_source: str = ""
    # The predicted entity's polygon (GeoJSON), kept only until scoring: a gold point inside it is a 0 km error
    # for `acc_at_161km_footprint`.
    footprint: dict | None = field(default=None, repr=False)

    @property
    def resolved(self) -> bool:
        return self.entity_id is not None and self.lat is not None and self.lon is not None

    @classmethod
    def from_toponym(cls, toponym: Any) -> Prediction:
        def get(name: str, default: Any = None) -> Any:
            return getattr(toponym, name, default)

        geonames_id = get("geonames_id")
        geometry = get("geometry")
        is_polygon = isinstance(geometry, dict) and geometry.get("type") in ("Polygon", "MultiPolygon")
        return cls(
            start=int(get("start")),
            end=int(get("end")),
            text=str(get("text", "")),
            entity_id=get("entity_id"),
            lat=get("lat"),
            lon=get("lon"),
            geonames_id=int(geonames_id) if geonames_id not in (None, "", 0) else None,
            confidence=get("confidence"),
            stage=str(get("stage", "") or ""),
            name=get("name"),
            mention_source=str(get("mention_source", "") or ""),
            footprint=geometry if is_polygon else None,
        )


@dataclass
class Outcome:
    """One row of the details file: a gold toponym with its prediction, or an unmatched prediction (e2e)."""

    doc_id: str
    gold: GoldToponym | None
    prediction: Prediction | None
    error_km: float | None = None  # set when the gold toponym is scored for resolution
    in_footprint: bool | None = None  # the gold point lies inside the predicted polygon (None: no polygon)
    nearest_candidate_km: float | None = None  # coverage: None when no candidate (or coverage not computed)
    covered: bool | None = None


@dataclass
class Evaluation:
    """The report (JSON-ready) and the per-toponym outcomes behind it."""

    report: dict
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def errors_km(self) -> list[float]:
        return [o.error_km for o in self.outcomes if o.error_km is not None]


def _annotate(err: BaseException, doc: Document, corpus: Corpus) -> None:
    err.add_note(f"while geoparsing document {doc.doc_id} of {corpus.path}")


def _gold_mode(corpus: Corpus, geoparser: Any, progress: bool) -> Iterator[Outcome]:
    for doc in tqdm(corpus.documents, desc=f"{corpus.name} gold", unit="doc", disable=not progress):
        if not doc.toponyms:
            continue
        spans = [(t.start, t.end) for t in doc.toponyms]
        try:
            toponyms = geoparser.resolve(doc.text, spans)
        except Exception as err:
            _annotate(err, doc, corpus)
            raise
        yield from _gold_outcomes(corpus, doc, toponyms)


def _gold_outcomes(corpus: Corpus, doc: Document, toponyms: Sequence[Any]) -> Iterator[Outcome]:
    if len(toponyms) != len(doc.toponyms):
        raise GeoresetError(
            f"the geoparser returned {len(toponyms)} toponyms for the {len(doc.toponyms)} gold spans of document "
            f"{doc.doc_id} ({corpus.path}): resolve() must return one per span"
        )
    for gold, toponym in zip(doc.toponyms, toponyms, strict=True):
        yield Outcome(doc.doc_id, gold, Prediction.from_toponym(toponym))


def _gold_collection_mode(corpus: Corpus, geoparser: Any, progress: bool) -> Iterator[Outcome]:
    """Gold mode with collection context: the documents of one source inform each other (two passes)."""
    docs = [doc for doc in corpus.documents if doc.toponyms]
    results = geoparser.resolve_collection(
        [(doc.text, [(t.start, t.end) for t in doc.toponyms]) for doc in docs], [doc.source for doc in docs]
    )
    for doc, toponyms in zip(docs, results, strict=True):
        yield from _gold_outcomes(corpus, doc, toponyms)


def _e2e_collection_mode(corpus: Corpus, geoparser: Any, progress: bool) -> Iterator[Outcome]:
    """End-to-end mode with collection context (recognition once, resolution in two passes)."""
    parsed = geoparser.parse_collection(
        [doc.text for doc in corpus.documents], [doc.source for doc in corpus.documents]
    )
    yield from _e2e_outcomes(corpus.documents, parsed)


def _e2e_outcomes(documents: Sequence[Document], parsed: Sequence[Any]) -> Iterator[Outcome]:
    for doc, result in zip(documents, parsed, strict=True):
        predictions = [Prediction.from_toponym(t) for t in result.toponyms]
        pairs = match_spans(
            [(p.start, p.end) for p in predictions], [(g.start, g.end) for g in doc.toponyms], overlap=True
        )
        by_gold = {g: p for p, g in pairs}
        matched_predictions = set(by_gold.values())
        for g, gold in enumerate(doc.toponyms):
            yield Outcome(doc.doc_id, gold, predictions[by_gold[g]] if g in by_gold else None)
        for p, prediction in enumerate(predictions):
            if p not in matched_predictions:
                yield Outcome(doc.doc_id, None, prediction)


def _batches(documents: Sequence[Document], size: int) -> Iterator[Sequence[Document]]:
    for i in range(0, len(documents), size):
        yield documents[i : i + size]


def _e2e_mode(corpus: Corpus, geoparser: Any, progress: bool, n_process: int = 1) -> Iterator[Outcome]:
    bar = tqdm(total=len(corpus.documents), desc=f"{corpus.name} e2e", unit="doc", disable=not progress)
    if n_process > 1:  # one pool of whole-document workers for the corpus (`Geoparser.parse_stream`)
        with bar:
            parsed = geoparser.parse_stream(
                (doc.text for doc in corpus.documents), E2E_BATCH_SIZE, n_process=n_process
            )
            try:
                for doc, result in zip(corpus.documents, parsed, strict=True):
                    yield from _e2e_outcomes([doc], [result])
                    bar.update()
            except Exception as err:
                err.add_note(
                    f"while geoparsing {corpus.path} in {n_process} processes, after {bar.n} documents"
                )
                raise
        return
    with bar:
        for batch in _batches(corpus.documents, E2E_BATCH_SIZE):
            try:
                parsed = geoparser.parse_batch([doc.text for doc in batch])
            except Exception as err:
                err.add_note(
                    f"while geoparsing documents {batch[0].doc_id}..{batch[-1].doc_id} of {corpus.path}"
                )
                raise
            yield from _e2e_outcomes(batch, parsed)
            bar.update(len(batch))


def _recognition(corpus: Corpus, outcomes: list[Outcome]) -> dict:
    """Span P/R/F1 from the e2e outcomes, exact and overlapping, against every gold toponym."""
    predicted: dict[str, list[tuple[int, int]]] = {doc.doc_id: [] for doc in corpus.documents}
    for outcome in outcomes:
        if outcome.prediction is not None:
            predicted[outcome.doc_id].append((outcome.prediction.start, outcome.prediction.end))
    gold = [[(t.start, t.end) for t in doc.toponyms] for doc in corpus.documents]
    pred = [predicted[doc.doc_id] for doc in corpus.documents]
    return {"exact": span_prf(pred, gold, overlap=False), "overlap": span_prf(pred, gold, overlap=True)}


class _Footprints:
    """Point-in-footprint tests, each footprint read (and prepared) once: a country's polygon of tens of thousands
    of vertices was read back from GeoJSON for every mention of it, a third of an e2e run on LGL."""

    def __init__(self) -> None:
        self._shapes: dict[int, Any] = {}

    def covers(self, geojson: dict, lat: float, lon: float) -> bool | None:
        """Whether a GeoJSON polygon covers a point; None when the geometry cannot be read."""
        import shapely
        from shapely.geometry import shape

        # Toponyms of one entity share their footprint dict (the geoparser's geometry cache).
        key = id(geojson)
        cached = self._shapes.get(key)
        if cached is None:
            try:
                geometry = shape(geojson)
                shapely.prepare(geometry)
            except (ValueError, TypeError, KeyError, AttributeError):
                geometry = False
            cached = self._shapes[key] = (geojson, geometry)  # holding the dict keeps its id unique
        geometry = cached[1]
        return None if geometry is False else bool(geometry.covers(shapely.Point(lon, lat)))


def _score_resolution(outcomes: list[Outcome], coverage: CoverageChecker | None, progress: bool) -> None:
    """Fill error and coverage of every gold toponym that resolution is scored on."""
    scored = [
        o for o in outcomes if o.gold is not None and o.gold.has_coordinates and o.prediction is not None
    ]
    footprints = _Footprints()
    for outcome in scored:
        pred = outcome.prediction
        outcome.error_km = error_km(
            (pred.lat, pred.lon) if pred.resolved else None, (outcome.gold.lat, outcome.gold.lon)
        )
        if pred.footprint is not None:
            outcome.in_footprint = footprints.covers(pred.footprint, outcome.gold.lat, outcome.gold.lon)
    for outcome in outcomes:
        if outcome.prediction is not None:
            outcome.prediction.footprint = None  # polygons are large; the details file does not need them
    if coverage is not None:
        for outcome in tqdm(scored, desc="gazetteer coverage", unit="toponym", disable=not progress):
            outcome.nearest_candidate_km = coverage.nearest_km(outcome.gold)
            outcome.covered = (
                outcome.nearest_candidate_km is not None and outcome.nearest_candidate_km < ACC_THRESHOLD_KM
            )


def _mention_sources(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Per recognition source (NER, demonym, gazetteer n-gram...): predictions and the share matching a gold span."""
    counts: dict[str, list[int]] = {}
    for outcome in outcomes:
        if outcome.prediction is not None:
            total_matched = counts.setdefault(outcome.prediction.mention_source or "unknown", [0, 0])
            total_matched[0] += 1
            total_matched[1] += outcome.gold is not None
    return {
        source: {"predicted": total, "precision_overlap": matched / total}
        for source, (total, matched) in sorted(counts.items(), key=lambda item: -item[1][0])
    }


def _notes(corpus: Corpus, mode: str) -> list[str]:
    """What a reader of the figures should know about this corpus and mode."""
    notes = []
    if corpus.offset_shift:
        notes.append(
            f"the corpus offsets disagree with its text as written; shifted by {corpus.offset_shift} "
            f"({corpus.unshifted_mismatches} annotations), after which {corpus.offset_mismatches} still disagree"
        )
    if corpus.name == "wiktor" and mode == "e2e":
        notes.append("WikToR annotates only each article's own place name: precision is not meaningful here")
    if corpus.name in ("wiktor", "geovirus"):
        notes.append(
            "gold points are Wikipedia coordinates, not GeoNames: even a perfect resolver caps below 100"
        )
    if mode == "gold":
        notes.append("gold mode: spans given, so precision / recall / F1 are not measured (null)")
    return notes


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def _children_cpu_s() -> float:
    """CPU seconds of this process's finished child processes (the geoparsing workers, once they are joined)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def evaluate_geoparser(
    corpus: Corpus,
    geoparser: Any,
    mode: str = "gold",
    index: CandidateIndex | None = None,
    progress: bool = True,
    collection_context: bool = False,
    n_process: int = 1,
) -> Evaluation:
    """Geoparse a corpus and score it.

    Args:
        corpus: from `load_corpus`.
        geoparser: a `modeling.geoparsing.Geoparser` (or anything with its `resolve` / `parse_batch` / `stats`).
        mode: `gold` (spans given, resolution only) or `e2e` (raw text).
        index: the gazetteer index for `coverage_cap`; None leaves coverage out.
        progress: show tqdm progress bars.
        collection_context: let documents of one source (LGL's feeds) inform each other
            (`Geoparser.resolve_collection` / `parse_collection`); the corpus must name sources.
        n_process: e2e mode only: processes parsing whole documents (`Geoparser.parse_stream`); the figures are
            the same as in one process.

    Returns:
        The report (keys `acc_at_161km`, `mean_error_km`, `median_error_km`, `auc`, `precision`, `recall`, `f1`,
        `n_gold`, `n_resolved`, `coverage_cap`, `geonames_id_accuracy`, `resolution_over_coverage`, ...; shares
        in [0, 1]) and the per-toponym outcomes.
    """
    if mode not in MODES:
        raise BadInputError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    if n_process < 1:
        raise BadInputError(f"n_process: {n_process}; must be at least 1")
    if n_process > 1 and (mode != "e2e" or collection_context):
        raise BadInputError(
            "n_process > 1 (--n-process) applies to --mode e2e without collection context: gold mode resolves "
            "given spans at about 100 documents/s in one process"
        )
    started, cpu_started, children_started = time.perf_counter(), time.process_time(), _children_cpu_s()
    if collection_context:
        if not any(doc.source for doc in corpus.documents):
            raise BadInputError(
                f"corpus {corpus.path}: collection context needs documents that name their source "
                f"(LGL's <feedid>); the {corpus.format} format does not"
            )
        run = _gold_collection_mode if mode == "gold" else _e2e_collection_mode
    else:
        run = _gold_mode if mode == "gold" else partial(_e2e_mode, n_process=n_process)
    outcomes = list(run(corpus, geoparser, progress))
    geoparse_s = time.perf_counter() - started
    # CPU time of this process and of its finished workers: on a shared machine, wall-clock throughput understates
    # what the code can do.
    geoparse_cpu_s = time.process_time() - cpu_started + _children_cpu_s() - children_started

    started = time.perf_counter()
    _score_resolution(outcomes, CoverageChecker(index) if index is not None else None, progress)
    coverage_s = time.perf_counter() - started

    scored = [o for o in outcomes if o.error_km is not None]
    stats = error_statistics([o.error_km for o in scored])
    covered = [o for o in scored if o.covered]
    on_covered = error_statistics([o.error_km for o in covered])["acc_at_161km"]
    footprint_errors = [0.0 if o.in_footprint else o.error_km for o in scored]
    coverage_cap = len(covered) / len(scored) if index is not None and scored else None
    with_ids = [o for o in scored if o.gold.geonames_id is not None]
    ids = id_accuracy([o.prediction.geonames_id for o in with_ids], [o.gold.geonames_id for o in with_ids])

    recognition = _recognition(corpus, outcomes) if mode == "e2e" else None
    exact = recognition["exact"] if recognition else {}
    overlap = recognition["overlap"] if recognition else {}
    geoparser_stats = dict(getattr(geoparser, "stats", {}) or {})
    n_docs = corpus.n_documents
    report = {
        "corpus": corpus.name,
        "mode": mode,
        "n_documents": n_docs,
        "acc_at_161km": stats["acc_at_161km"],
        "mean_error_km": stats["mean_error_km"],
        "median_error_km": stats["median_error_km"],
        "auc": stats["auc"],
        "precision": exact.get("precision"),
        "recall": exact.get("recall"),
        "f1": exact.get("f1"),
        "precision_overlap": overlap.get("precision"),
        "recall_overlap": overlap.get("recall"),
        "f1_overlap": overlap.get("f1"),
        "n_gold": corpus.n_toponyms,
        "n_gold_with_coordinates": corpus.n_toponyms_with_coordinates,
        "n_scored": len(scored),
        "n_resolved": sum(o.prediction.resolved for o in scored),
        "n_predicted": sum(o.prediction is not None for o in outcomes) if mode == "e2e" else None,
        "coverage_cap": coverage_cap,
        "resolution_over_coverage": _ratio(stats["acc_at_161km"], coverage_cap),
        "acc_at_161km_on_covered": on_covered,
        "acc_at_161km_footprint": error_statistics(footprint_errors)["acc_at_161km"],
        "geonames_id_accuracy": ids["geonames_id_accuracy"],
        "n_gold_with_geonames_id": ids["n"],
        "llm_calls": geoparser_stats.get("llm_calls"),
        "stages": dict(Counter(o.prediction.stage for o in scored).most_common()),
        "mention_sources": _mention_sources(outcomes) if mode == "e2e" else None,
        "recognition": recognition,
        "timing": {
            "geoparse_s": round(geoparse_s, 3),
            "coverage_s": round(coverage_s, 3),
            "geoparse_cpu_s": round(geoparse_cpu_s, 3),
            "documents_per_s": round(n_docs / geoparse_s, 3) if geoparse_s > 0 else None,
            "documents_per_cpu_s": round(n_docs / geoparse_cpu_s, 3) if geoparse_cpu_s > 0 else None,
        },
        "geoparser_stats": geoparser_stats,
        "notes": _notes(corpus, mode),
        "corpus_notes": corpus.summary(),
        "published": published_figures(corpus.name),
    }
    return Evaluation(report=report, outcomes=outcomes)


def write_report(evaluation: Evaluation, path: str | Path) -> Path:
    """Write the report as indented JSON (atomically)."""
    path = Path(path)
    write_atomic(path, json.dumps(evaluation.report, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def write_details(evaluation: Evaluation, path: str | Path) -> Path:
    """Write one JSON line per gold toponym (and per unmatched e2e prediction), for error analysis."""
    path = Path(path)
    lines = [json.dumps(asdict(o), ensure_ascii=False, default=str) for o in evaluation.outcomes]
    write_atomic(path, "\n".join(lines) + ("\n" if lines else ""))
    return path


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def format_summary(report: dict) -> str:
    """A short text table of the headline figures, with the published ones for the corpus beside them."""
    rows = [
        f"corpus {report['corpus']} ({report['mode']} mode): {report['n_documents']} documents, "
        f"{report['n_scored']} toponyms scored for resolution, {report['n_resolved']} resolved",
        f"  Acc@161km {_percent(report['acc_at_161km'])}   AUC "
        + ("-" if report["auc"] is None else f"{report['auc']:.3f}")
        + "   mean / median error "
        + (
            "-"
            if report["mean_error_km"] is None
            else f"{report['mean_error_km']:.0f} / {report['median_error_km']:.0f} km"
        ),
        f"  coverage_cap {_percent(report['coverage_cap'])}   Acc@161km / coverage_cap "
        + ("-" if report["resolution_over_coverage"] is None else f"{report['resolution_over_coverage']:.3f}")
        + f"   Acc@161km on covered toponyms {_percent(report['acc_at_161km_on_covered'])}",
        f"  GeoNames-id accuracy {_percent(report['geonames_id_accuracy'])} (n = {report['n_gold_with_geonames_id']})",
    ]
    if report["mode"] == "e2e":
        rows.append(
            f"  recognition P / R / F1 exact {_percent(report['precision'])} / {_percent(report['recall'])} / "
            f"{_percent(report['f1'])}   overlapping {_percent(report['precision_overlap'])} / "
            f"{_percent(report['recall_overlap'])} / {_percent(report['f1_overlap'])}"
        )
    timing = report["timing"]
    rows.append(
        f"  {timing['documents_per_s']} documents/s wall clock ({timing['documents_per_cpu_s']} per CPU second), "
        f"LLM calls: {report['llm_calls']}"
    )
    for system, figures in report.get("published", {}).items():
        auc = f"   AUC {figures['auc']:.2f}" if "auc" in figures else ""
        rows.append(f"  published {system}: Acc@161km {_percent(figures.get('acc_at_161km'))}{auc}")
    return "\n".join(rows)


__all__ = [
    "MODES",
    "Prediction",
    "Outcome",
    "Evaluation",
    "evaluate_geoparser",
    "write_report",
    "write_details",
    "format_summary",
]
