"""Multi-label classification metrics of EO patches (BigEarthNet): micro / macro / sample F1, per-class F1.

Load offline with `evaluate.load("eval/eo/metrics/eo_multilabel")`.
"""

from __future__ import annotations

import datasets
import evaluate
import numpy as np

from eval.eo.scoring import multilabel_metrics

_DESCRIPTION = """
Multi-label scores over 0/1 indicator rows (one column per class): micro-F1 over every (sample, class) decision,
macro-F1 over the classes present in references or predictions, sample-averaged F1, exact-match ratio, Hamming
loss and per-class precision / recall / F1.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: per sample, a list of 0/1 (one per class).
    references: per sample, a list of 0/1 (one per class).
    classes: the class names, column order (default "0".."K-1").
Returns:
    micro_f1, macro_f1, samples_f1, exact_match, hamming_loss, per_class, n.
Examples:
    >>> metric = evaluate.load("eval/eo/metrics/eo_multilabel")
    >>> metric.compute(predictions=[[1, 0], [1, 1]], references=[[1, 0], [0, 1]])["micro_f1"]
    0.8
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class EoMultilabel(evaluate.Metric):
    """Micro / macro / sample F1, exact match and Hamming loss of multi-label EO classification."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("int8")),
                    "references": datasets.Sequence(datasets.Value("int8")),
                }
            ),
        )

    def _compute(self, predictions, references, classes=None) -> dict:
        pred, ref = np.asarray(predictions), np.asarray(references)
        if classes is None:
            classes = [str(index) for index in range(pred.shape[1] if pred.ndim == 2 else 0)]
        return multilabel_metrics(pred, ref, list(classes))


__all__ = ["EoMultilabel"]
