"""Exact GeoNames-id accuracy of toponym resolution.

Load offline with `evaluate.load("eval/geoparsing/metrics/geonames_id_accuracy")`.
"""

from __future__ import annotations

import datasets
import evaluate

from eval.geoparsing.scoring import id_accuracy

_DESCRIPTION = """
Share of toponyms resolved to exactly the gold GeoNames id. Toponyms whose gold has no id (`None`) are left out;
a prediction of `None` (unresolved, or an entity without a GeoNames id) counts as wrong.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: the predicted GeoNames id per toponym, or `None`.
    references: the gold GeoNames id per toponym, or `None` when the corpus has none.
Returns:
    geonames_id_accuracy: in [0, 1], None when no gold id was given.
    n: number of toponyms with a gold id.
Examples:
    >>> metric = evaluate.load("eval/geoparsing/metrics/geonames_id_accuracy")
    >>> metric.compute(predictions=[2988507, None, 5], references=[2988507, 2643743, None])["geonames_id_accuracy"]
    0.5
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class GeonamesIdAccuracy(evaluate.Metric):
    """Exact GeoNames-id accuracy where the gold has ids."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}
            ),
            reference_urls=["https://www.geonames.org/"],
        )

    def _compute(self, predictions, references) -> dict:
        return id_accuracy(predictions, references)


__all__ = ["GeonamesIdAccuracy"]
