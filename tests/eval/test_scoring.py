"""The metrics against hand-computed values, and the `evaluate` modules against the plain functions."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from eval.geoparsing.scoring import (
    MAX_ERROR_KM,
    auc_of_errors,
    error_km,
    error_statistics,
    great_circle_km,
    id_accuracy,
    match_spans,
    span_prf,
)

METRICS = Path(__file__).resolve().parents[2] / "eval" / "geoparsing" / "metrics"


def test_great_circle_distance():
    # One degree of longitude on the equator: 2 * pi * 6371.009 / 360.
    assert great_circle_km(0, 0, 0, 1) == pytest.approx(111.19508, abs=1e-4)
    # Paris - London, as geopy's great_circle gives it.
    assert great_circle_km(48.8566, 2.3522, 51.5072, -0.1276) == pytest.approx(343.53035, abs=1e-4)
    assert great_circle_km(10, 20, 10, 20) == 0.0
    assert great_circle_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.009)


def test_unresolved_counts_at_max_error():
    assert error_km(None, (1.0, 2.0)) == MAX_ERROR_KM == 20039.0
    assert error_km((None, None), (1.0, 2.0)) == MAX_ERROR_KM


def test_error_statistics_hand_computed():
    stats = error_statistics([200.0, 0.0, 20039.0, 100.0])
    assert stats["n"] == 4
    assert stats["acc_at_161km"] == 0.5  # 0 and 100 km
    assert stats["mean_error_km"] == pytest.approx((0 + 100 + 200 + 20039) / 4)
    assert stats["median_error_km"] == 150.0  # even count: mean of 100 and 200
    # Sorted scaled errors 0, ln 101 / ln 20039, ln 201 / ln 20039, ln 20040 / ln 20039; trapezoid / (n - 1):
    log_max = math.log(20039)
    expected = (math.log(101) / log_max + math.log(201) / log_max + 0.5 * math.log(20040) / log_max) / 3
    assert stats["auc"] == pytest.approx(expected) == pytest.approx(0.500438, abs=1e-6)


def test_acc_threshold_is_strict_and_odd_median():
    stats = error_statistics([161.0, 160.9, 5.0])
    assert stats["acc_at_161km"] == pytest.approx(2 / 3)
    assert stats["median_error_km"] == 160.9


def test_auc_edge_cases():
    assert auc_of_errors([]) is None
    assert auc_of_errors([0.0, 0.0, 0.0]) == 0.0
    assert auc_of_errors([50.0]) == pytest.approx(math.log(51) / math.log(20039))
    assert auc_of_errors([MAX_ERROR_KM] * 3) == pytest.approx(math.log(20040) / math.log(20039))
    assert auc_of_errors([10.0, 1000.0]) == auc_of_errors([1000.0, 10.0])  # sorted before integrating
    assert error_statistics([])["acc_at_161km"] is None


def test_id_accuracy_skips_gold_without_id():
    assert id_accuracy([1, None, 3, 4], [1, 2, None, 5]) == {
        "geonames_id_accuracy": pytest.approx(1 / 3),
        "n": 3,
    }
    assert id_accuracy([1], [None]) == {"geonames_id_accuracy": None, "n": 0}
    with pytest.raises(ValueError):
        id_accuracy([1, 2], [1])


def test_span_prf_exact_and_overlap_hand_computed():
    gold = [[(0, 5), (10, 20), (30, 35)]]
    predicted = [[(0, 5), (12, 18), (40, 45)]]
    exact = span_prf(predicted, gold)
    assert (exact["tp"], exact["fp"], exact["fn"]) == (1, 2, 2)
    assert exact["precision"] == exact["recall"] == exact["f1"] == pytest.approx(1 / 3)
    overlap = span_prf(predicted, gold, overlap=True)
    assert (overlap["tp"], overlap["fp"], overlap["fn"]) == (2, 1, 1)
    assert overlap["f1"] == pytest.approx(2 / 3)


def test_overlap_matching_is_one_to_one():
    # One long prediction covering two gold toponyms matches the one it shares most with.
    assert match_spans([(0, 20)], [(0, 5), (10, 20)]) == [(0, 1)]
    assert span_prf([[(0, 20)]], [[(0, 5), (10, 20)]], overlap=True)["fn"] == 1
    # Exact pairs go first even when another prediction overlaps more.
    assert match_spans([(0, 12), (2, 8)], [(2, 8)]) == [(1, 0)]
    assert match_spans([(0, 3)], [(3, 6)]) == []  # touching is not overlapping
    assert span_prf([[]], [[]]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 0, "fn": 0}


def test_evaluate_modules_load_offline_and_agree():
    evaluate = pytest.importorskip("evaluate")
    geocoding = evaluate.load(str(METRICS / "geocoding_error"))
    result = geocoding.compute(
        predictions=[[48.85, 2.35], None, [0.0, 0.0]], references=[[48.86, 2.35], [51.5, -0.12], [0.0, 1.0]]
    )
    expected = error_statistics(
        [error_km((48.85, 2.35), (48.86, 2.35)), MAX_ERROR_KM, error_km((0, 0), (0, 1))]
    )
    assert result == pytest.approx(expected)
    assert result["acc_at_161km"] == pytest.approx(2 / 3)

    ids = evaluate.load(str(METRICS / "geonames_id_accuracy"))
    assert ids.compute(predictions=[2988507, None, 5], references=[2988507, 2643743, None]) == {
        "geonames_id_accuracy": 0.5,
        "n": 2,
    }

    recognition = evaluate.load(str(METRICS / "toponym_recognition"))
    scores = recognition.compute(
        predictions=[[[0, 5], [12, 18], [40, 45]]], references=[[[0, 5], [10, 20], [30, 35]]]
    )
    assert scores["exact_f1"] == pytest.approx(1 / 3) and scores["overlap_f1"] == pytest.approx(2 / 3)


def test_footprints_are_read_once_and_bad_ones_are_unknown():
    from eval.geoparsing.run import _Footprints

    square = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}
    footprints = _Footprints()
    assert footprints.covers(square, 1.0, 1.0) is True
    assert footprints.covers(square, 1.0, 2.0) is True  # on the border: covered
    assert footprints.covers(square, 3.0, 1.0) is False
    assert len(footprints._shapes) == 1  # one footprint, read once
    assert footprints.covers({"type": "Polygon", "coordinates": "nonsense"}, 1.0, 1.0) is None
