"""LLM disambiguation: option scoring with the embedded causal LM (slow: loads SmolLM2-135M)."""

from __future__ import annotations

import json
import math

import pytest

from georeset.errors import BadInputError
from modeling.geoparsing import Geoparser, LLMResolver
from modeling.geoparsing.resolve_llm import (
    DEFAULT_LLM_WEIGHT,
    RESOLVER_CONFIG_FILE,
    LLMQuestion,
    cloze_ids,
    cloze_prefix,
    combine_scores,
    context_window,
    describe_candidate,
    option_place,
    ranker_cues,
    short_population,
)


def test_context_window_marks_the_mention():
    text = "word " * 200 + "Paris is nice" + " word" * 200
    start = text.index("Paris")
    window = context_window(text, start, start + 5, width=30, lead=0)
    assert "[[Paris]]" in window and len(window) < 80


def test_context_window_leads_with_the_documents_opening():
    text = "Storm hits Springfield, Illinois. " + "word " * 200 + "in Springfield again" + " word" * 50
    start = text.index("Springfield again")
    window = context_window(text, start, start + 11, width=30, lead=34)
    assert window.startswith("Storm hits Springfield, Illinois. ... ")
    assert "[[Springfield]] again" in window
    near = context_window(text, 11, 22, width=30, lead=34)  # the window already holds the opening
    assert near.startswith("Storm hits [[Springfield]]") and "..." not in near


def test_describe_candidate():
    line = describe_candidate("Paris", "settlement", "United States > Texas > Lamar County", "US", 24782)
    assert line == "Paris, Lamar County, Texas, United States (city/town, pop. 24k)"
    assert describe_candidate("Georgia", "admin1", "United States", "US", 4_836_734) == (
        "Georgia, United States (state/province, pop. 4.8M)"
    )
    assert describe_candidate("France", "country", "", "FR", 0) == "France (country)"
    assert describe_candidate("Nile", "river", "", "EG", 0) == "Nile, Egypt (river)"


def test_ranker_cues_in_the_option():
    cues = ranker_cues({"admin_named": 1.0, "country_context": 0.8, "proximity": 0.1, "country_named": 0.0})
    assert cues == ["state/county in text", "same country as other places"]
    assert ranker_cues({}) == []
    line = describe_candidate("Springfield", "settlement", "United States > Nebraska", "US", 1584, cues)
    assert line == (
        "Springfield, Nebraska, United States (city/town, pop. 1,584; state/county in text; "
        "same country as other places)"
    )


def test_short_population():
    assert [short_population(n) for n in (850, 9_999, 25_171, 2_138_551)] == ["850", "9,999", "25k", "2.1M"]


def test_combine_scores_weighs_the_llm_against_the_ranker():
    ranker = [0.5, 0.3, 0.2]
    llm = [math.log(0.1), math.log(0.8), math.log(0.1)]
    assert combine_scores(ranker, llm, 0.0) == pytest.approx(ranker)  # the ranker alone
    alone = combine_scores(ranker, llm, None)  # the LLM alone
    assert alone == pytest.approx([0.1, 0.8, 0.1])
    # equal weights: p ~ ranker * llm = (0.05, 0.24, 0.02) renormalised
    assert combine_scores(ranker, llm, 1.0) == pytest.approx([0.05 / 0.31, 0.24 / 0.31, 0.02 / 0.31])
    small = combine_scores(ranker, llm, 0.1)
    assert max(range(3), key=small.__getitem__) == 0  # a light LLM weight does not overturn the ranker


def test_resolver_weight_comes_from_the_adapter_config(tmp_path):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / RESOLVER_CONFIG_FILE).write_text(json.dumps({"llm_weight": 0.35}))
    assert LLMResolver(adapter=adapter).llm_weight == 0.35
    assert LLMResolver(str(adapter)).llm_weight == 0.35  # the adapter named as the model
    assert LLMResolver(adapter=adapter, llm_weight=2.0).llm_weight == 2.0  # an explicit weight wins
    assert LLMResolver(adapter=adapter, llm_weight=-1).llm_weight is None  # the LLM alone
    assert LLMResolver().llm_weight == DEFAULT_LLM_WEIGHT
    (adapter / RESOLVER_CONFIG_FILE).write_text("{not json")
    with pytest.raises(BadInputError, match="not valid JSON"):
        LLMResolver(adapter=adapter)


def test_scoring_comes_from_the_adapter_config(tmp_path):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    assert LLMResolver().scoring == "option-text"  # the untuned model: places as continuations
    (adapter / RESOLVER_CONFIG_FILE).write_text(json.dumps({"llm_weight": 0.5}))
    assert (
        LLMResolver(adapter=adapter).scoring == "letter"
    )  # adapters from before the field were letter-trained
    (adapter / RESOLVER_CONFIG_FILE).write_text(json.dumps({"llm_weight": 0.5, "scoring": "option-text"}))
    assert LLMResolver(adapter=adapter).scoring == "option-text"
    assert LLMResolver(adapter=adapter, scoring="letter").scoring == "letter"
    with pytest.raises(BadInputError, match="resolver scoring 'words'"):
        LLMResolver(scoring="words")


def test_option_place_and_cloze_prefix():
    assert option_place("Paris, Texas, United States (city/town, pop. 25k; country in text)") == (
        "Paris, Texas, United States"
    )
    assert option_place("Nile") == "Nile"
    question = LLMQuestion("Rain in [[Paris]] today.", "Paris", ["Paris, France (city/town)"])
    assert cloze_prefix(question) == "Rain in Paris today.\n\nIn this text, Paris is the place:"


def test_option_count_is_checked():
    with pytest.raises(ValueError, match="max_options"):
        LLMResolver(max_options=1)


@pytest.fixture(scope="module")
def resolver():
    return LLMResolver(batch_size=4, scoring="letter")


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
def test_option_text_scores_are_mean_place_loglikelihoods(resolver):
    """The cached-prefix scoring equals full forward passes, and the text's evidence decides."""
    import torch

    cloze = LLMResolver.from_loaded(resolver.model, resolver._tokenizer, scoring="option-text", llm_weight=-1)
    question = LLMQuestion(
        "[[Springfield]] is the capital of the U.S. state of Illinois and the county seat of Sangamon County.",
        "Springfield",
        [
            "Springfield, Missouri, United States (city/town, pop. 169k)",
            "Springfield, Illinois, United States (city/town, pop. 116k)",
            "Springfield, Massachusetts, United States (city/town)",
        ],
    )
    scores = cloze.score([question])[0]
    prefix, places = cloze_ids(resolver._tokenizer, question)
    for score, place in zip(scores, places, strict=True):
        ids = torch.tensor([prefix + place])
        with torch.inference_mode():
            logp = torch.log_softmax(resolver.model(input_ids=ids).logits[0, :-1].float(), -1)
        expected = logp[torch.arange(ids.shape[1] - 1), ids[0, 1:]][-len(place) :].mean().item()
        assert score == pytest.approx(expected, abs=1e-4)
    assert max(range(3), key=scores.__getitem__) == 1  # the state the text names


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
