"""The geoparsing metrics as plain functions: geocoding error statistics, GeoNames-id accuracy, span P/R/F1.

The `evaluate` modules in `metrics/` wrap these, so that one implementation serves the CLI, the tests and users
of `evaluate.load`. Definitions follow Gritta et al. (2018, "What's missing in geographical parsing?", and the
CamCoder / EUPEG reference code):

- error: great-circle distance in km between the predicted and the gold point; a toponym left unresolved counts at
  `MAX_ERROR_KM`, the largest distance between two points on Earth;
- Acc@161km: share of errors strictly below 161 km (100 miles);
- AUC: the errors sorted ascending, each scaled to `log(1 + error) / log(MAX_ERROR_KM)`, integrated with the
  trapezoidal rule at unit steps and divided by `n - 1` (so 0 is perfect and 1 is every toponym at the antipode);
  lower is better;
- recognition: precision / recall / F1 of predicted spans against gold spans, exact (same start and end) or
  overlapping (one-to-one matching of spans that share at least one character).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

MAX_ERROR_KM = 20039.0  # half the Earth's circumference: the worst possible error
ACC_THRESHOLD_KM = 161.0  # 100 miles, the usual Acc@k of the geoparsing literature
EARTH_RADIUS_KM = 6371.009  # geopy's great_circle radius, so figures match geopy-based evaluations

Span = tuple[int, int]


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def error_km(predicted: tuple[float, float] | None, gold: tuple[float, float]) -> float:
    """The geocoding error of one toponym: the distance to gold, or `MAX_ERROR_KM` when nothing was predicted."""
    if predicted is None or predicted[0] is None or predicted[1] is None:
        return MAX_ERROR_KM
    return great_circle_km(predicted[0], predicted[1], gold[0], gold[1])


def auc_of_errors(errors_km: Sequence[float]) -> float | None:
    """Area under the curve of sorted, log-scaled errors (Gritta et al. 2018); lower is better.

    A single error has no curve to integrate: its own scaled value is returned. None for no errors.
    """
    if not errors_km:
        return None
    scaled = sorted(math.log1p(e) / math.log(MAX_ERROR_KM) for e in errors_km)
    if len(scaled) == 1:
        return scaled[0]
    trapezoid = sum(scaled) - 0.5 * (scaled[0] + scaled[-1])
    return trapezoid / (len(scaled) - 1)


def error_statistics(
    errors_km: Sequence[float], threshold_km: float = ACC_THRESHOLD_KM
) -> dict[str, float | None]:
    """Acc@threshold, mean and median error (km) and AUC of a list of geocoding errors.

    Returns:
        `acc_at_161km` (named after the default threshold; a share in [0, 1]), `mean_error_km`,
        `median_error_km`, `auc`, and `n`; the statistics are None when there are no errors.
    """
    n = len(errors_km)
    if n == 0:
        return {"acc_at_161km": None, "mean_error_km": None, "median_error_km": None, "auc": None, "n": 0}
    ordered = sorted(errors_km)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {
        "acc_at_161km": sum(e < threshold_km for e in errors_km) / n,
        "mean_error_km": sum(errors_km) / n,
        "median_error_km": median,
        "auc": auc_of_errors(errors_km),
        "n": n,
    }


def id_accuracy(
    predicted_ids: Sequence[int | None], gold_ids: Sequence[int | None]
) -> dict[str, float | None]:
    """Share of toponyms whose predicted GeoNames id equals gold, over the toponyms whose gold has an id."""
    if len(predicted_ids) != len(gold_ids):
        raise ValueError(f"{len(predicted_ids)} predicted ids for {len(gold_ids)} gold ids")
    pairs = [(p, g) for p, g in zip(predicted_ids, gold_ids, strict=True) if g is not None]
    if not pairs:
        return {"geonames_id_accuracy": None, "n": 0}
    return {
        "geonames_id_accuracy": sum(p is not None and int(p) == int(g) for p, g in pairs) / len(pairs),
        "n": len(pairs),
    }


def _overlap(a: Span, b: Span) -> int:
    return min(a[1], b[1]) - max(a[0], b[0])


def match_spans(
    predicted: Sequence[Span], gold: Sequence[Span], overlap: bool = True
) -> list[tuple[int, int]]:
    """One-to-one matching of predicted to gold spans.

    Exact matches are taken first; with `overlap`, the remaining spans are paired by largest shared length (ties:
    leftmost), so one long prediction covering two gold toponyms matches only one of them.

    Returns:
        (predicted index, gold index) pairs.
    """
    pairs: list[tuple[int, int]] = []
    used_pred: set[int] = set()
    used_gold: set[int] = set()
    gold_positions: dict[Span, list[int]] = {}
    for g, span in enumerate(gold):
        gold_positions.setdefault((span[0], span[1]), []).append(g)
    for p, span in enumerate(predicted):
        free = gold_positions.get((span[0], span[1]))
        if free:
            g = free.pop(0)
            pairs.append((p, g))
            used_pred.add(p)
            used_gold.add(g)
    if overlap:
        candidates = [
            (-_overlap(ps, gs), ps[0], p, g)
            for p, ps in enumerate(predicted)
            if p not in used_pred
            for g, gs in enumerate(gold)
            if g not in used_gold and _overlap(ps, gs) > 0
        ]
        for _, _, p, g in sorted(candidates):
            if p not in used_pred and g not in used_gold:
                pairs.append((p, g))
                used_pred.add(p)
                used_gold.add(g)
    return sorted(pairs)


def span_prf(
    predicted_docs: Iterable[Sequence[Span]], gold_docs: Iterable[Sequence[Span]], overlap: bool = False
) -> dict[str, float | int]:
    """Micro-averaged precision, recall and F1 of predicted spans over documents.

    Args:
        predicted_docs: per document, the predicted (start, end) spans.
        gold_docs: per document, the gold spans, in the same document order.
        overlap: count a prediction as correct when it overlaps a gold span (one-to-one), not only when equal.

    Returns:
        `precision`, `recall`, `f1` (0 when undefined) and the counts `tp`, `fp`, `fn`.
    """
    tp = fp = fn = 0
    predicted_docs, gold_docs = list(predicted_docs), list(gold_docs)
    if len(predicted_docs) != len(gold_docs):
        raise ValueError(f"{len(predicted_docs)} predicted documents for {len(gold_docs)} gold documents")
    for predicted, gold in zip(predicted_docs, gold_docs, strict=True):
        matched = len(match_spans(predicted, gold, overlap=overlap))
        tp += matched
        fp += len(predicted) - matched
        fn += len(gold) - matched
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


__all__ = [
    "MAX_ERROR_KM",
    "ACC_THRESHOLD_KM",
    "EARTH_RADIUS_KM",
    "Span",
    "great_circle_km",
    "error_km",
    "auc_of_errors",
    "error_statistics",
    "id_accuracy",
    "match_spans",
    "span_prf",
]
