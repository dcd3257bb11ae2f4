"""The EO metrics as plain functions: single-label (accuracy, macro-F1, per-class F1, confusion) and multi-label.

The `evaluate` modules in `metrics/` wrap these, so one implementation serves the CLI, the tests and users of
`evaluate.load`. Definitions:

- accuracy: share of samples whose prediction equals the reference (overall accuracy, OA, for maps);
- per-class precision / recall / F1 over the classes of the nomenclature; a class with no reference and no
  prediction has F1 None (not 0) and is left out of the macro average, so absent classes neither help nor hurt;
- macro-F1: the mean F1 over the classes that occur in the references or the predictions;
- confusion: `confusion[i][j]` = samples of reference class i predicted as class j, in `classes` order;
- multi-label (BigEarthNet): micro and macro F1 over (sample, class) decisions, per-class F1, sample-averaged F1,
  exact-match ratio and Hamming loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from georeset.errors import BadInputError


def confusion_matrix(predictions: Sequence[int], references: Sequence[int], num_classes: int) -> np.ndarray:
    """`(num_classes, num_classes)` int64 counts, rows = reference, columns = prediction."""
    pred = np.asarray(predictions, dtype=np.int64).reshape(-1)
    ref = np.asarray(references, dtype=np.int64).reshape(-1)
    if pred.shape != ref.shape:
        raise BadInputError(f"{pred.size} predictions for {ref.size} references")
    for name, values in (("prediction", pred), ("reference", ref)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise BadInputError(f"a {name} class index lies outside 0..{num_classes - 1}")
    return np.bincount(ref * num_classes + pred, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )


def metrics_from_confusion(confusion: np.ndarray, classes: Sequence[str]) -> dict:
    """Accuracy, macro-F1, per-class precision / recall / F1 / support and the confusion matrix as lists.

    Maps accumulate the confusion window by window and call this once, so millions of pixels need no list.
    """
    confusion = np.asarray(confusion, dtype=np.int64)
    if confusion.shape != (len(classes), len(classes)):
        raise BadInputError(f"confusion of shape {confusion.shape} for {len(classes)} classes")
    n = int(confusion.sum())
    true_pos = np.diag(confusion)
    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    per_class: dict[str, dict] = {}
    f1s = []
    for index, name in enumerate(classes):
        tp, ref_count, pred_count = int(true_pos[index]), int(support[index]), int(predicted[index])
        if ref_count == 0 and pred_count == 0:
            per_class[name] = {"precision": None, "recall": None, "f1": None, "support": 0, "predicted": 0}
            continue
        precision = tp / pred_count if pred_count else 0.0
        recall = tp / ref_count if ref_count else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1s.append(f1)
        per_class[name] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": ref_count,
            "predicted": pred_count,
        }
    return {
        "accuracy": float(true_pos.sum() / n) if n else None,
        "macro_f1": float(np.mean(f1s)) if f1s and n else None,
        "per_class": per_class,
        "confusion": confusion.tolist(),
        "n": n,
    }


def classification_metrics(
    predictions: Sequence[int], references: Sequence[int], classes: Sequence[str]
) -> dict:
    """Single-label metrics of class indices into `classes` (see the module docstring)."""
    return metrics_from_confusion(confusion_matrix(predictions, references, len(classes)), classes)


def multilabel_metrics(predictions: np.ndarray, references: np.ndarray, classes: Sequence[str]) -> dict:
    """Multi-label metrics of `(samples, classes)` 0/1 indicator matrices.

    Returns:
        `micro_f1`, `macro_f1` (over classes present in references or predictions), `samples_f1`,
        `exact_match`, `hamming_loss`, `per_class` (precision, recall, f1, support, predicted) and `n`.
    """
    pred = np.asarray(predictions, dtype=bool)
    ref = np.asarray(references, dtype=bool)
    if pred.shape != ref.shape or pred.ndim != 2 or pred.shape[1] != len(classes):
        raise BadInputError(
            f"multi-label predictions {pred.shape} and references {ref.shape} must both be (samples, "
            f"{len(classes)})"
        )
    n = pred.shape[0]
    tp = (pred & ref).sum(axis=0)
    fp = (pred & ~ref).sum(axis=0)
    fn = (~pred & ref).sum(axis=0)
    per_class, f1s = {}, []
    for index, name in enumerate(classes):
        support, predicted = int(tp[index] + fn[index]), int(tp[index] + fp[index])
        if support == 0 and predicted == 0:
            per_class[name] = {"precision": None, "recall": None, "f1": None, "support": 0, "predicted": 0}
            continue
        precision = tp[index] / predicted if predicted else 0.0
        recall = tp[index] / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1s.append(float(f1))
        per_class[name] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": support,
            "predicted": predicted,
        }
    micro_den = 2 * tp.sum() + fp.sum() + fn.sum()
    sample_tp = (pred & ref).sum(axis=1)
    sample_den = pred.sum(axis=1) + ref.sum(axis=1)
    # A sample with no reference and no predicted label is a perfect match (F1 1), as in scikit-learn.
    samples_f1 = np.where(sample_den > 0, 2 * sample_tp / np.maximum(sample_den, 1), 1.0)
    return {
        "micro_f1": float(2 * tp.sum() / micro_den) if micro_den else None,
        "macro_f1": float(np.mean(f1s)) if f1s else None,
        "samples_f1": float(samples_f1.mean()) if n else None,
        "exact_match": float((pred == ref).all(axis=1).mean()) if n else None,
        "hamming_loss": float((pred != ref).mean()) if n else None,
        "per_class": per_class,
        "n": n,
    }


__all__ = ["classification_metrics", "confusion_matrix", "metrics_from_confusion", "multilabel_metrics"]
