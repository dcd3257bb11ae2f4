"""The resolver model card: rendered from the template, re-rendered with benchmark comparisons."""

from __future__ import annotations

import json

import jinja2
import pytest

from model_cards.render import comparison_table, main, render_card, render_resolver_card

CONTEXT = dict(
    title="georeset LoRA resolver (test)",
    base_model="HuggingFaceTB/SmolLM2-135M-Instruct",
    base_model_display="SmolLM2-135M-Instruct",
    repo_or_path="org/resolver",
    datasets=["org/examples"],
    n_train=10,
    n_eval=4,
    n_dropped=0,
    max_length=768,
    lora_r=16,
    lora_alpha=32,
    lora_dropout=0.05,
    target_modules="q_proj",
    steps=3,
    learning_rate=1e-4,
    batch_size=4,
    train_seconds=5,
    hardware="1 x cpu",
    n_eval_scored=4,
    metrics={"base all": 0.25, "LoRA all": 0.5},
    benchmark_table="",
)
REPORT = {
    "corpus": "geovirus",
    "resolvers": ["none", "org/resolver"],
    "n_sent_to_llm": 7,
    "sent_to_llm": {"none": {"acc_at_161km": 0.5}, "org/resolver": {"acc_at_161km": 0.75}},
    "all_toponyms": {"none": {"acc_at_161km": 0.8}, "org/resolver": {"acc_at_161km": None}},
}


def test_render_and_rerender_with_comparisons(tmp_path):
    card = render_resolver_card(**CONTEXT)
    assert card.startswith("---\nlibrary_name: peft\nbase_model: HuggingFaceTB/SmolLM2-135M-Instruct")
    assert "datasets:\n- org/examples" in card and "| LoRA all | 0.5 |" in card
    assert "Geoparsing benchmarks" not in card
    table = comparison_table([REPORT])
    assert "| geovirus | org/resolver | 7 | 75.0 | - |" in table
    (tmp_path / "card_context.json").write_text(json.dumps(CONTEXT))
    (tmp_path / "cmp.json").write_text(json.dumps(REPORT))
    assert main([str(tmp_path), "--comparison", str(tmp_path / "cmp.json")]) == 0
    assert "| geovirus | none | 7 | 50.0 | 80.0 |" in (tmp_path / "README.md").read_text()


def test_missing_values_and_templates_fail_loudly():
    with pytest.raises(jinja2.UndefinedError):
        render_resolver_card(title="x")
    with pytest.raises(FileNotFoundError, match="no model card template"):
        render_card("nope")
