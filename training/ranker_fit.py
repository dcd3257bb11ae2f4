"""Learn the ranker's feature weights from gold-annotated corpora (a conditional logit over each mention's candidates).

The ranker scores a candidate as `features @ weights` and turns scores into probabilities with a softmax over the
candidates and a fixed no-match score. Given gold toponyms with coordinates, the candidates within
`correct_km` of the gold point are right; the weights that maximise the probability of the right candidates
(L2-regularised towards the hand-set weights, which act as the prior) are the maximum a posteriori conditional
logit. Context features (country, admin1, proximity) depend on the other mentions' probabilities, hence on the
weights: the features are collected with the current weights, the weights refitted, and so on for a few rounds.

    from training.ranker_fit import collect_examples, fit_weights
    examples = collect_examples(geoparser, corpus.documents)          # gold spans, features per candidate
    weights, report = fit_weights(examples, prior=RankerWeights())

Only mentions with at least one right candidate and at least two candidates teach anything; the others are counted.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import minimize
from tqdm.auto import tqdm

from georeset.errors import BadInputError
from modeling.geoparsing.rank import FEATURES, Ranker, RankerWeights, haversine_km

if TYPE_CHECKING:
    from data_builders.geotext.corpora import Document
    from modeling.geoparsing.geoparser import Geoparser

CORRECT_KM = 161.0
"""A candidate within this distance of the gold point is right: the Acc@161km convention of the benchmarks."""


@dataclass
class RankingExample:
    """One gold toponym: the features of its candidates (rows in `FEATURES` order) and which of them are right."""

    doc_id: str
    text: str
    features: np.ndarray  # (n_candidates, n_features)
    correct: np.ndarray  # (n_candidates,) bool


@dataclass
class CollectReport:
    """What `collect_examples` used and why it skipped the rest."""

    toponyms: int = 0
    used: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


class RecordingRanker(Ranker):
    """A `Ranker` that keeps the scored candidates of every mention it ranked, keyed by (start, end)."""

    def __init__(self, index: Any = None, weights: RankerWeights | None = None) -> None:
        super().__init__(index, weights)
        self.records: dict[tuple[int, int], list] = {}

    def rank(self, text, mentions, candidates, context=(), home=None):  # noqa: D102 - as Ranker.rank
        results = super().rank(text, mentions, candidates, context, home=home)
        for mention, (scored, _) in zip(mentions, results, strict=True):
            self.records[(mention.start, mention.end)] = scored
        return results


def collect_examples(
    geoparser: Geoparser,
    documents: Iterable[Document],
    *,
    correct_km: float = CORRECT_KM,
    progress: bool = True,
    report: CollectReport | None = None,
) -> list[RankingExample]:
    """Resolve the gold spans of each document with the geoparser's ranker and keep each toponym's features.

    Args:
        geoparser: the geoparser whose candidates, context and current ranker weights produce the features
            (its ranker is swapped for a recording one with the same weights; the LLM step is not used).
        documents: gold documents (`data_builders.geotext.corpora.Document`).
        correct_km: candidates within this distance of the gold point are right.
        report: counts what was used and skipped, filled in place when given.
    """
    report = report if report is not None else CollectReport()
    original = geoparser.ranker
    recorder = RecordingRanker(original.index, original.weights)
    geoparser.ranker = recorder
    resolver, geoparser.resolver = geoparser.resolver, None
    examples: list[RankingExample] = []
    try:
        for doc in tqdm(list(documents), desc="ranking features", unit="doc", disable=not progress):
            gold = doc.toponyms
            if not gold:
                continue
            recorder.records.clear()
            geoparser.resolve(doc.text, [(t.start, t.end) for t in gold])
            for toponym in gold:
                report.toponyms += 1
                if not toponym.has_coordinates:
                    report.skip("gold toponym without coordinates")
                    continue
                scored = recorder.records.get((toponym.start, toponym.end))
                if not scored:
                    report.skip("no candidate")
                    continue
                lats = np.array([s.candidate.lat for s in scored], dtype=np.float64)
                lons = np.array([s.candidate.lon for s in scored], dtype=np.float64)
                correct = (
                    haversine_km(np.array([toponym.lat]), np.array([toponym.lon]), lats, lons)[0]
                    <= correct_km
                )
                if not correct.any():
                    report.skip("no candidate within the distance (not covered)")
                    continue
                if len(scored) < 2:
                    report.skip("a single candidate")
                    continue
                features = np.array([[s.features[name] for name in FEATURES] for s in scored])
                examples.append(RankingExample(doc.doc_id, toponym.text, features, correct))
                report.used += 1
    finally:
        geoparser.ranker = original
        geoparser.resolver = resolver
    return examples


def _objective(
    params: np.ndarray, examples: Sequence[RankingExample], prior: np.ndarray, nil: float, strength: float
) -> tuple[float, np.ndarray]:
    """Negative log-likelihood of the right candidates plus the L2 pull towards the prior, and its gradient."""
    loss = 0.5 * strength * float(np.sum((params - prior) ** 2))
    grad = strength * (params - prior)
    for ex in examples:
        scores = ex.features @ params
        top = max(float(scores.max()), nil)
        exp = np.exp(scores - top)
        total = exp.sum() + math.exp(nil - top)
        right = exp[ex.correct].sum()
        loss -= math.log(right) - math.log(total)
        # d/dw [log sum_right - log sum_all] = E_right[f] - E_all[f]
        grad -= (exp[ex.correct] @ ex.features[ex.correct]) / right - (exp @ ex.features) / total
    return loss, grad


def accuracy(examples: Sequence[RankingExample], weights: RankerWeights) -> float:
    """Share of examples whose top-scored candidate is right (and beats no-match) with these weights."""
    if not examples:
        return float("nan")
    vector = weights.vector()
    hits = 0
    for ex in examples:
        scores = ex.features @ vector
        best = int(np.argmax(scores))
        hits += bool(ex.correct[best]) and scores[best] > weights.nil_score
    return float(hits / len(examples))


def fit_weights(
    examples: Sequence[RankingExample],
    prior: RankerWeights | None = None,
    *,
    strength: float = 1.0,
) -> tuple[RankerWeights, dict[str, Any]]:
    """The MAP weights of the conditional logit on these examples, with a Gaussian prior centred on `prior`.

    Args:
        examples: from `collect_examples`.
        prior: the weights to start from and regularise towards (default: the hand-set ones); its no-match
            score, temperature and context settings are kept.
        strength: precision of the prior (the L2 coefficient); larger keeps the weights nearer the prior.

    Raises:
        BadInputError: no example to learn from.
    """
    if not examples:
        raise BadInputError(
            "no ranking example: the documents have no gold toponym with coordinates whose right candidate is "
            "among two or more gazetteer candidates"
        )
    prior = prior or RankerWeights()
    start = prior.vector()
    nil = prior.nil_score / prior.temperature
    before = accuracy(examples, prior)
    result = minimize(
        _objective,
        start,
        args=(examples, start, nil, strength),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 500},
    )
    fitted = replace(
        prior, weights={name: round(float(w), 4) for name, w in zip(FEATURES, result.x, strict=True)}
    )
    report = {
        "examples": len(examples),
        "converged": bool(result.success),
        "iterations": int(result.nit),
        "loss": round(float(result.fun), 3),
        "train_accuracy_before": round(before, 4),
        "train_accuracy_after": round(accuracy(examples, fitted), 4),
        "strength": strength,
    }
    return fitted, report


def save_weights(weights: RankerWeights, path: str | os.PathLike, **metadata: Any) -> Path:
    """Write the weights (and metadata such as the training corpora and the fit report) as JSON, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({**weights.to_dict(), **metadata}, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


__all__ = [
    "CORRECT_KM",
    "CollectReport",
    "RankingExample",
    "RecordingRanker",
    "accuracy",
    "collect_examples",
    "fit_weights",
    "save_weights",
]
