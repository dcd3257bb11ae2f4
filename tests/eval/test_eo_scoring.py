"""EO metrics: single-label and multi-label scores, and their `evaluate` modules loaded from the local path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eval.eo.scoring import (
    classification_metrics,
    confusion_matrix,
    metrics_from_confusion,
    multilabel_metrics,
)
from georeset.errors import BadInputError

METRICS = Path(__file__).resolve().parents[2] / "eval" / "eo" / "metrics"


def test_single_label_metrics_by_hand():
    classes = ["forest", "water", "urban"]
    metrics = classification_metrics([0, 1, 1, 0], [0, 1, 0, 0], classes)
    assert metrics["accuracy"] == 0.75
    assert metrics["confusion"] == [[2, 1, 0], [0, 1, 0], [0, 0, 0]]
    assert metrics["per_class"]["forest"]["f1"] == pytest.approx(0.8)  # P 1, R 2/3
    assert metrics["per_class"]["water"]["f1"] == pytest.approx(2 / 3)  # P 1/2, R 1
    # A class absent from references and predictions has no F1 and stays out of the macro average.
    assert metrics["per_class"]["urban"]["f1"] is None
    assert metrics["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert metrics["n"] == 4


def test_confusion_accumulates_like_one_list():
    rng = np.random.default_rng(0)
    pred, ref = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    total = confusion_matrix(pred[:120], ref[:120], 4) + confusion_matrix(pred[120:], ref[120:], 4)
    assert metrics_from_confusion(total, list("abcd")) == classification_metrics(pred, ref, list("abcd"))


def test_bad_class_indices_are_refused():
    with pytest.raises(BadInputError, match="outside 0..1"):
        classification_metrics([0, 2], [0, 1], ["a", "b"])


def test_multilabel_metrics_by_hand():
    pred = np.array([[1, 0, 1], [0, 1, 0]])
    ref = np.array([[1, 0, 0], [0, 1, 1]])
    metrics = multilabel_metrics(pred, ref, ["a", "b", "c"])
    assert metrics["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert metrics["exact_match"] == 0.0
    assert metrics["hamming_loss"] == pytest.approx(2 / 6)
    assert metrics["per_class"]["c"]["f1"] == 0.0


def test_evaluate_modules_load_offline():
    import evaluate

    single = evaluate.load(str(METRICS / "eo_classification"))
    out = single.compute(predictions=[0, 1, 1], references=[0, 1, 0], classes=["forest", "water"])
    assert out["accuracy"] == pytest.approx(2 / 3) and out["confusion"] == [[1, 1], [0, 1]]
    multi = evaluate.load(str(METRICS / "eo_multilabel"))
    assert multi.compute(predictions=[[1, 0], [1, 1]], references=[[1, 0], [0, 1]])[
        "micro_f1"
    ] == pytest.approx(0.8)
