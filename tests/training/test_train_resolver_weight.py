"""The LLM weight against the ranker, fitted on the validation split and stored beside the adapter; the choice of
training examples like the geoparser's questions."""

from __future__ import annotations

import json
import math

import pytest
from tests_training_helpers import make_examples, write_examples_folder

from georeset.errors import BadInputError
from training.train_resolver import fit_llm_weight, main, select_training


def _row(answer: int, probs: list[float]) -> dict:
    return {"answer": answer, "option_probs": probs, "kind": "exact"}


def test_fit_llm_weight_prefers_the_ranker_unless_the_llm_helps():
    # The ranker is right on the first two and wrong on the third; the LLM is sure and right on all three.
    rows = [_row(0, [0.6, 0.4]), _row(1, [0.3, 0.7]), _row(1, [0.55, 0.45])]
    llm_right = [
        [math.log(0.2), math.log(0.8)] if r["answer"] else [math.log(0.8), math.log(0.2)] for r in rows
    ]
    weight, table = fit_llm_weight(rows, llm_right, grid=(0.0, 0.5, 1.0))
    assert table == {"0": pytest.approx(2 / 3, abs=1e-4), "0.5": 1.0, "1": 1.0}
    assert weight == 0.5  # ties go to the smaller weight
    # An LLM that is always wrong gets weight 0: the ranker alone.
    llm_wrong = [list(reversed(s)) for s in llm_right]
    weight, table = fit_llm_weight(rows, llm_wrong, grid=(0.0, 0.5, 1.0))
    assert weight == 0.0 and table["1"] < table["0"]
    with pytest.raises(BadInputError, match="option_probs"):
        fit_llm_weight([{"answer": 0, "kind": "x"}], [[0.0, -1.0]])


def test_select_training_takes_the_unsure_examples_first():
    from datasets import Dataset

    rows = [
        {
            "id": str(i),
            "kind": "ambiguous" if i < 3 else "exact",
            "ranker_margin": 0.1 if i in (5, 6) else 0.9,
        }
        for i in range(20)
    ]
    chosen = select_training(Dataset.from_list(rows), 8, 0.2, seed=0)
    ids = set(chosen["id"])
    assert len(ids) == 8 and {"0", "1", "2", "5", "6"} <= ids
    assert (
        len(set(select_training(Dataset.from_list(rows), 3, 0.2, seed=0)["id"]) - {"0", "1", "2", "5", "6"})
        == 0
    )


def test_training_fits_and_stores_the_weight(tmp_path, tiny_model):
    rows = make_examples(40)
    for row in rows:
        n = len(row["options"])
        row["option_probs"] = [0.5 if i == row["answer"] else 0.5 / (n - 1) for i in range(n)]
    dataset = write_examples_folder(tmp_path / "ex", rows)
    out = tmp_path / "run"
    args = ["--dataset", str(dataset), "--model_name_or_path", str(tiny_model), "--output_dir", str(out)]
    args += ["--max_steps", "2", "--per_device_train_batch_size", "4", "--lora_r", "4", "--lora_alpha", "8"]
    import torch

    threads = torch.get_num_threads()
    try:
        assert main([*args, "--max_eval_examples", "8", "--torch_threads", "1"]) == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)  # the rest of the session keeps its threads
    config = json.loads((out / "resolver_config.json").read_text())
    metrics = json.loads((out / "resolver_metrics.json").read_text())
    assert config["llm_weight"] == metrics["llm_weight"] and "fitted_on" in config
    assert set(metrics["accuracy_by_weight"]) >= {"0", "1"}
    assert metrics["combined_accuracy"]["ranker alone"] == 1.0  # the ranker's top is the answer in every row
    from modeling.geoparsing.resolve_llm import LLMResolver

    assert LLMResolver(str(out), device="cpu").llm_weight == config["llm_weight"]


def test_compare_spec_sets_the_weight():
    from eval.geoparsing.compare import _resolver

    assert _resolver("none") is None
    assert _resolver("default@0.35").llm_weight == 0.35
    assert _resolver("default@-1").llm_weight is None  # the LLM alone
    with pytest.raises(BadInputError, match="weight after @"):
        _resolver("default@heavy")
