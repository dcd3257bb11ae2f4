"""LLM disambiguation: option scoring with the embedded causal LM (slow: loads SmolLM2-135M)."""

from __future__ import annotations

import math

import pytest

from modeling.geoparsing import Geoparser, LLMResolver
from modeling.geoparsing.resolve_llm import LLMQuestion, context_window, describe_candidate


def test_context_window_marks_the_mention():
    text = "word " * 200 + "Paris is nice" + " word" * 200
    start = text.index("Paris")
    window = context_window(text, start, start + 5, width=30)
    assert "[[Paris]]" in window and len(window) < 80


def test_describe_candidate():
    line = describe_candidate("Paris", "settlement", "United States > Texas", "US", 24782)
    assert line == "Paris (settlement; United States > Texas; population 24,782)"


def test_option_count_is_checked():
    with pytest.raises(ValueError, match="max_options"):
        LLMResolver(max_options=1)


@pytest.fixture(scope="module")
def resolver():
    return LLMResolver(batch_size=4)


@pytest.mark.slow
def test_scores_are_log_likelihoods_and_batching_is_consistent(resolver):
    questions = [
        LLMQuestion(
            "What is the capital of France? It is [[Paris]].",
            "Paris",
            [
                "Paris (settlement; France > Île-de-France; population 2,138,551)",
                "Paris (settlement; United States > Texas)",
            ],
        ),
        LLMQuestion(
            "The [[Nile]] flows north.",
            "Nile",
            ["Nile (river; Egypt)", "Nile (settlement; United States)", "Nile (poi)"],
        ),
    ]
    batched = resolver.score(questions)
    assert [len(s) for s in batched] == [2, 3]
    for scores in batched:
        assert all(s <= 0 for s in scores)
        assert sum(math.exp(s) for s in scores) <= 1.0 + 1e-6
    single = resolver.score(questions[1:])[0]
    assert single == pytest.approx(batched[1], abs=1e-3)
    assert resolver.score([]) == []


@pytest.mark.slow
def test_geoparser_sends_unsure_mentions_to_the_llm(memory_index, resolver):
    gp = Geoparser(
        memory_index, resolver=resolver, llm_margin=1.01
    )  # every ambiguous mention goes to the LLM
    toponyms = gp.resolve("Storms hit Paris and Athens.", [(11, 16), (21, 27)])
    assert gp.stats["llm_calls"] == 2
    assert all(t.stage == "llm" for t in toponyms)
    assert all(t.entity_id in {c["entity_id"] for c in t.candidates} for t in toponyms)
    assert all("llm_logprob" in c for t in toponyms for c in t.candidates[:2])
