"""Resolver examples -> token ids for SFT, with the loss on what the resolver scores only.

Each example (from `data_builders.geotext.distant`) becomes exactly what the geoparser's `LLMResolver` scores, in
either of its scorings:

- `option-text`: the cloze prefix (`cloze_prefix`: the context, then "In this text, X is the place:") followed by
  the answer's place ("Paris, Texas, United States"); `completion_mask` marks the place's tokens.
- `letter`: the chat prompt with the lettered options (`prompt_messages`, generation prompt included) followed by
  the answer's letter, encoded as the resolver reads it; `completion_mask` marks that one token.

So training raises the log-likelihood the resolver compares, and nothing else.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from georeset.errors import BadInputError
from modeling.geoparsing.resolve_llm import (
    DEFAULT_SCORING,
    OPTION_LABELS,
    SCORINGS,
    LLMQuestion,
    cloze_ids,
    prompt_messages,
)

REQUIRED_COLUMNS = ("context", "mention", "options", "answer")


def load_examples(name: str, split: str | None):
    """A split of a resolver-examples dataset (folder or Hub id); None when `split` is None or absent.

    Raises:
        BadInputError: the dataset cannot be read, lacks the example columns, or the split is missing.
    """
    if split is None:
        return None
    from pathlib import Path

    from datasets import load_dataset

    from data_builders.dataset_folder import load_dataset_folder, split_files

    local = Path(name).expanduser()
    try:
        if local.is_dir() and (local / "data").is_dir():
            if split not in split_files(local):
                return None
            dataset = load_dataset_folder(local, split=split)
        else:
            splits = load_dataset(str(local) if local.exists() else name)
            if split not in splits:
                return None
            dataset = splits[split]
    except (FileNotFoundError, ValueError, TypeError, OSError) as err:  # TypeError: datasets on empty configs
        raise BadInputError(f"--dataset {name}: cannot load it as a dataset ({err})") from err
    missing = [c for c in REQUIRED_COLUMNS if c not in dataset.column_names]
    if missing:
        raise BadInputError(
            f"--dataset {name}: split {split!r} is not resolver examples (missing {', '.join(missing)}); make them "
            "with `georeset geotext distant`"
        )
    return dataset


def check_trainable(dataset, name: str) -> Counter:
    """The answer-letter distribution, after refusing data a run cannot learn from.

    Raises:
        BadInputError: no example, or every example has the same answer letter (a model would learn a constant).
    """
    if dataset is None or len(dataset) == 0:
        raise BadInputError(f"--dataset {name}: the training split is empty; nothing to train on")
    letters = Counter(OPTION_LABELS[a] for a in dataset["answer"])
    if len(letters) < 2:
        raise BadInputError(
            f"--dataset {name}: all {len(dataset)} training examples have the answer {next(iter(letters))}; "
            "a single-class dataset teaches a constant (shuffle the options, add examples)"
        )
    return letters


def question_of(example: dict[str, Any]) -> LLMQuestion:
    """The resolver question of an example.

    Raises:
        BadInputError: the answer index does not point at an option.
    """
    options = list(example["options"])
    if not 0 <= int(example["answer"]) < len(options) <= len(OPTION_LABELS):
        raise BadInputError(
            f"example {example.get('id', '?')}: answer {example['answer']} for {len(options)} options"
        )
    return LLMQuestion(example["context"], example["mention"], options)


def letter_ids(tokenizer) -> list[int]:
    """The token id of each option letter, as `LLMResolver` reads it."""
    return [tokenizer.encode(label, add_special_tokens=False)[0] for label in OPTION_LABELS]


def tokenize_example(
    example: dict[str, Any], tokenizer, letters: list[int], scoring: str = DEFAULT_SCORING
) -> dict[str, list[int]]:
    """`input_ids` = prompt + answer (the place, or the letter); `completion_mask` = 1 on the answer only."""
    question = question_of(example)
    if scoring == "option-text":
        prefix, places = cloze_ids(tokenizer, question)
        answer = places[int(example["answer"])]
        return {"input_ids": [*prefix, *answer], "completion_mask": [0] * len(prefix) + [1] * len(answer)}
    prompt = tokenizer.apply_chat_template(
        prompt_messages(question), tokenize=False, add_generation_prompt=True
    )
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    return {
        "input_ids": [*prompt_ids, letters[int(example["answer"])]],
        "completion_mask": [0] * len(prompt_ids) + [1],
    }


def tokenize_dataset(
    dataset, tokenizer, max_length: int, num_proc: int | None = None, scoring: str = DEFAULT_SCORING
):
    """Tokenize a split for `scoring`; examples longer than `max_length` are dropped (truncation would cut the
    answer off).

    Returns:
        `(dataset, n_dropped)`.

    Raises:
        BadInputError: an unknown scoring.
    """
    if scoring not in SCORINGS:
        raise BadInputError(f"--scoring {scoring!r}: expected one of {', '.join(SCORINGS)}")
    letters = letter_ids(tokenizer)
    tokenized = dataset.map(
        tokenize_example,
        fn_kwargs={"tokenizer": tokenizer, "letters": letters, "scoring": scoring},
        remove_columns=dataset.column_names,
        num_proc=num_proc,
        desc="tokenize",
    )
    kept = tokenized.filter(lambda ex: len(ex["input_ids"]) <= max_length, desc="length filter")
    return kept, len(tokenized) - len(kept)


__all__ = [
    "REQUIRED_COLUMNS",
    "check_trainable",
    "letter_ids",
    "load_examples",
    "question_of",
    "tokenize_dataset",
    "tokenize_example",
]
