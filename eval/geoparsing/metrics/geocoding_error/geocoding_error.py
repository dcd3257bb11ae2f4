"""Geocoding error metric: Acc@161km, mean and median error (km) and AUC (Gritta et al. 2018).

Load offline with `evaluate.load("eval/geoparsing/metrics/geocoding_error")`.
"""

from __future__ import annotations

import datasets
import evaluate

from eval.geoparsing.scoring import ACC_THRESHOLD_KM, error_km, error_statistics

_DESCRIPTION = """
Toponym resolution quality from predicted and gold coordinates. The error of a toponym is the great-circle distance
(km) between the predicted and the gold point; a toponym left unresolved (prediction `None`) counts at 20,039 km,
the largest distance on Earth. Acc@161km is the share of errors strictly below 161 km (100 miles). AUC is the area
under the curve of the sorted errors scaled to log(1 + error) / log(20039), by the trapezoidal rule divided by
n - 1: 0 is perfect, lower is better.
"""

_CITATION = """
@article{gritta2018whats,
  title={What's missing in geographical parsing?},
  author={Gritta, Milan and Pilehvar, Mohammad Taher and Limsopatham, Nut and Collier, Nigel},
  journal={Language Resources and Evaluation},
  volume={52}, number={2}, pages={603--623}, year={2018}
}
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: one `[lat, lon]` per toponym, or `None` when the system returned no location.
    references: the gold `[lat, lon]` per toponym, same order.
    threshold_km: the k of Acc@k (default 161).
Returns:
    acc_at_161km: share of errors below the threshold, in [0, 1].
    mean_error_km, median_error_km: error statistics in km.
    auc: area under the log-error curve, in [0, 1], lower is better.
    n: number of toponyms scored.
Examples:
    >>> metric = evaluate.load("eval/geoparsing/metrics/geocoding_error")
    >>> metric.compute(predictions=[[48.85, 2.35], None], references=[[48.86, 2.35], [51.5, -0.12]])["acc_at_161km"]
    0.5
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class GeocodingError(evaluate.Metric):
    """Acc@161km, mean / median error and AUC of toponym resolution."""

    def _info(self) -> evaluate.MetricInfo:
        point = datasets.Sequence(datasets.Value("float64"), length=2)
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": point, "references": point}),
            reference_urls=["https://doi.org/10.1007/s10579-017-9385-8"],
        )

    def _compute(self, predictions, references, threshold_km: float = ACC_THRESHOLD_KM) -> dict:
        errors = [
            error_km(tuple(pred) if pred is not None else None, tuple(gold))
            for pred, gold in zip(predictions, references, strict=True)
        ]
        return error_statistics(errors, threshold_km=threshold_km)


__all__ = ["GeocodingError"]
