"""Single-label classification metrics of EO patches and maps: accuracy, macro-F1, per-class F1, confusion.

Load offline with `evaluate.load("eval/eo/metrics/eo_classification")`.
"""

from __future__ import annotations

import datasets
import evaluate

from eval.eo.scoring import classification_metrics

_DESCRIPTION = """
Overall accuracy, macro-F1 (mean F1 over the classes present in references or predictions), per-class precision,
recall and F1, and the confusion matrix (rows: reference, columns: prediction) of class indices.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: predicted class index per sample.
    references: reference class index per sample.
    classes: the class names, index order (default: "0".."K-1" for the largest index seen).
Returns:
    accuracy, macro_f1, per_class ({name: {precision, recall, f1, support, predicted}}), confusion, n.
Examples:
    >>> metric = evaluate.load("eval/eo/metrics/eo_classification")
    >>> metric.compute(predictions=[0, 1, 1], references=[0, 1, 0], classes=["forest", "water"])["accuracy"]
    0.6666666666666666
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class EoClassification(evaluate.Metric):
    """Accuracy, macro-F1, per-class F1 and confusion of single-label EO classification."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}
            ),
        )

    def _compute(self, predictions, references, classes=None) -> dict:
        if classes is None:
            top = max([*predictions, *references], default=-1)
            classes = [str(index) for index in range(top + 1)]
        return classification_metrics(predictions, references, list(classes))


__all__ = ["EoClassification"]
