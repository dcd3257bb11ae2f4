"""Builders for the resolver training tests: a tiny random Llama with a tokenizer built here, and examples."""

from __future__ import annotations

import random
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
WORDS = (
    "Paris Texas France Georgia Atlanta Tbilisi London Ontario England Springfield Illinois Missouri settlement "
    "country admin1 population United States Which place does refer to Answer with one letter Text marked the of "
    "in a and is was city river lake You are geographer link names texts entries gazetteer A B C D E F G H I J"
)


def build_tiny_model(folder: Path) -> Path:
    """A 2-layer random Llama and a byte-level BPE tokenizer with a ChatML template, saved in `folder`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    backend.train_from_iterator([WORDS] * 20, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token="<|im_end|>", pad_token="<|endoftext|>", bos_token="<|im_start|>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def make_examples(n: int, seed: int = 0, *, answers: list[int] | None = None) -> list[dict]:
    """Resolver examples in the `georeset geotext distant` layout (answers spread over the letters)."""
    rng = random.Random(seed)
    places = [
        "Paris, Texas, United States (city/town, pop. 25k)",
        "Paris, France (city/town, pop. 2.1M)",
        "Paris, Ontario, Canada (city/town, pop. 12k)",
    ]
    rows = []
    for i in range(n):
        options = places[:]
        rng.shuffle(options)
        answer = answers[i] if answers is not None else options.index(places[i % 2])
        rows.append(
            {
                "id": f"doc{i}#0:exact",
                "doc_id": f"doc{i}",
                "source": "test",
                "entity_id": f"e{i % 2}",
                "kind": "ambiguous" if i % 2 else "misspelling",
                "mention": "Paris",
                "original": "Paris",
                "context": f"Flooding hit [[Paris]], {'Texas' if i % 2 == 0 else 'France'} on day {i}.",
                "options": options,
                "option_ids": ["e0", "e1", "e2"],
                "option_probs": [0.4, 0.35, 0.25],
                "answer": answer,
                "ranker_top": False,
                "ranker_margin": 0.1,
                "split": "train" if i % 5 else "validation",
            }
        )
    return rows


def write_examples_folder(folder: Path, rows: list[dict]) -> Path:
    """Parquet splits + a README with `configs:`, like `write_examples` writes."""
    from datasets import Dataset

    (folder / "data").mkdir(parents=True, exist_ok=True)
    splits = sorted({r["split"] for r in rows}) or ["train"]
    columns = list(make_examples(1)[0])
    for split in splits:
        chosen = [r for r in rows if r["split"] == split]
        table = Dataset.from_list(chosen) if chosen else Dataset.from_dict({c: [] for c in columns})
        table.to_parquet(str(folder / "data" / f"{split}-00000-of-00001.parquet"))
    files = "".join(f"  - split: {s}\n    path: data/{s}-*.parquet\n" for s in splits)
    (folder / "README.md").write_text(
        f"---\nconfigs:\n- config_name: default\n  data_files:\n{files}---\n", encoding="utf-8"
    )
    return folder
