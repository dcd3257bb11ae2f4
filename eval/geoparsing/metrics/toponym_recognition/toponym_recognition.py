"""Toponym recognition precision, recall and F1 over character spans, exact and overlapping.

Load offline with `evaluate.load("eval/geoparsing/metrics/toponym_recognition")`.
"""

from __future__ import annotations

import datasets
import evaluate

from eval.geoparsing.scoring import span_prf

_DESCRIPTION = """
Micro-averaged precision, recall and F1 of predicted toponym spans against gold spans, per document. `exact_*`
counts a prediction as correct when its (start, end) equals a gold span; `overlap_*` when it shares at least one
character with a gold span, matching spans one-to-one (exact pairs first, then by largest overlap).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: per document, the list of predicted `[start, end]` character spans.
    references: per document, the list of gold `[start, end]` spans, same document order.
Returns:
    exact_precision, exact_recall, exact_f1, overlap_precision, overlap_recall, overlap_f1: in [0, 1].
    exact_tp, exact_fp, exact_fn, overlap_tp, overlap_fp, overlap_fn: the counts.
Examples:
    >>> metric = evaluate.load("eval/geoparsing/metrics/toponym_recognition")
    >>> metric.compute(predictions=[[[0, 5], [10, 14]]], references=[[[0, 5], [9, 14]]])["overlap_f1"]
    1.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class ToponymRecognition(evaluate.Metric):
    """Span precision / recall / F1, exact and overlapping."""

    def _info(self) -> evaluate.MetricInfo:
        spans = datasets.Sequence(datasets.Sequence(datasets.Value("int64"), length=2))
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": spans, "references": spans}),
            reference_urls=["https://doi.org/10.1007/s10579-019-09475-3"],
        )

    def _compute(self, predictions, references) -> dict:
        result = {}
        for kind, overlap in (("exact", False), ("overlap", True)):
            scores = span_prf(
                [[tuple(s) for s in doc] for doc in predictions],
                [[tuple(s) for s in doc] for doc in references],
                overlap=overlap,
            )
            result.update({f"{kind}_{key}": value for key, value in scores.items()})
        return result


__all__ = ["ToponymRecognition"]
