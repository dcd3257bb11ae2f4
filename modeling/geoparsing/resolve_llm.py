"""LLM disambiguation: a causal LM chooses among a mention's top candidates by scoring option labels.

The prompt (through the model's chat template) holds the text around the mention, with the mention marked, and a
lettered list of candidates (name, type, admin path, country, population). The model's next-token distribution
after the assistant turn starts gives the log-likelihood of each letter; the letters are scored, never generated
and parsed, so the answer is always one of the options and its scores are comparable across options.

Questions are batched (left padding, one forward pass per batch). The default model is the embedded
SmolLM2-135M-Instruct; any Hub id or local folder, and a LoRA adapter, can replace it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from modeling.geoparsing.countries import country_display_name

OPTION_LABELS = "ABCDEFGHIJ"

SYSTEM_PROMPT = "You are a geographer. You link place names in texts to entries of a gazetteer."


@dataclass
class LLMQuestion:
    """One mention to disambiguate: its context and the descriptions of its options."""

    context: str
    mention: str
    options: list[str]


def describe_candidate(
    name: str, feature_type: str, admin_path: str, country_code: str, population: int
) -> str:
    """One option line: "Paris (settlement; Texas, United States; population 25,171)"."""
    parts = [feature_type.replace("_", " ") or "place"]
    where = admin_path or country_display_name(country_code)
    if where:
        parts.append(where)
    if population > 0:
        parts.append(f"population {population:,}")
    return f"{name} ({'; '.join(parts)})"


def context_window(text: str, start: int, end: int, width: int = 400) -> str:
    """The text around a mention, the mention marked with [[ ]], cut at word boundaries."""
    left = max(0, start - width)
    right = min(len(text), end + width)
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    snippet = f"{text[left:start]}[[{text[start:end]}]]{text[end:right]}"
    return " ".join(snippet.split())


def prompt_messages(question: LLMQuestion) -> list[dict[str, str]]:
    """The system and user chat messages of a question (training data for the resolver uses the same ones)."""
    lines = [f"{OPTION_LABELS[i]}. {option}" for i, option in enumerate(question.options)]
    user = (
        f"Text: {question.context}\n\n"
        f'Which place does "{question.mention}" (marked [[ ]]) refer to?\n'
        + "\n".join(lines)
        + f"\n\nAnswer with one letter ({', '.join(OPTION_LABELS[: len(lines)])})."
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


class LLMResolver:
    """Score candidate options with a causal LM.

    Args:
        model: a Hub id, a local folder, or None / "default" for the embedded SmolLM2-135M-Instruct.
        adapter: a PEFT (LoRA) adapter to apply on top, Hub id or folder.
        batch_size: questions per forward pass.
        max_options: at most this many candidates are offered (the ranker's best).
        device: torch device; default CUDA when available.
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        adapter: str | os.PathLike | None = None,
        batch_size: int = 8,
        max_options: int = 5,
        device: str | None = None,
    ) -> None:
        if not 2 <= max_options <= len(OPTION_LABELS):
            raise ValueError(f"max_options must be between 2 and {len(OPTION_LABELS)}, got {max_options}")
        self.model_name = None if model in (None, "default") else str(model)
        self.adapter = adapter
        self.batch_size = batch_size
        self.max_options = max_options
        self.device = device
        self._model = None
        self._tokenizer = None
        self._label_ids: list[int] = []

    @classmethod
    def from_loaded(cls, model, tokenizer, **kwargs) -> LLMResolver:
        """A resolver around an already loaded causal LM and its tokenizer (e.g. from `pipeline()`)."""
        resolver = cls(getattr(model, "name_or_path", None) or "loaded model", **kwargs)
        resolver._setup(model.eval(), tokenizer)
        return resolver

    def _load(self) -> None:
        if self._model is not None:
            return
        from georeset.assets import load_causal_lm

        self._setup(*load_causal_lm(self.model_name, adapter=self.adapter, device=self.device))

    def _setup(self, model, tokenizer) -> None:
        self._model, self._tokenizer = model, tokenizer
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._tokenizer.padding_side = "left"
        # The first token of each label as the model writes it at the start of its answer.
        self._label_ids = [
            self._tokenizer.encode(label, add_special_tokens=False)[0] for label in OPTION_LABELS
        ]
        if len(set(self._label_ids)) != len(OPTION_LABELS):
            raise ValueError(f"the tokenizer of {self.model_name or 'the embedded LLM'} merges option labels")

    @property
    def model(self):
        """The causal LM (loaded on first use)."""
        self._load()
        return self._model

    def prompt(self, question: LLMQuestion) -> str:
        """The chat-formatted prompt for a question, ending where the answer letter goes."""
        self._load()
        return self._tokenizer.apply_chat_template(
            prompt_messages(question), tokenize=False, add_generation_prompt=True
        )

    def score(self, questions: Sequence[LLMQuestion]) -> list[list[float]]:
        """Log-likelihood of each option's label as the answer, per question (natural log, over the vocabulary)."""
        import torch

        for question in questions:
            if not 1 <= len(question.options) <= self.max_options:
                raise ValueError(
                    f"a question has {len(question.options)} options; between 1 and {self.max_options} allowed"
                )
        if not questions:
            return []
        self._load()
        results: list[list[float]] = []
        for first in range(0, len(questions), self.batch_size):
            batch = questions[first : first + self.batch_size]
            encoded = self._tokenizer(
                [self.prompt(q) for q in batch], return_tensors="pt", padding=True, add_special_tokens=False
            ).to(self._model.device)
            with torch.inference_mode():
                logits = self._model(**encoded).logits[:, -1, :].float()
            logprobs = torch.log_softmax(logits, dim=-1)
            for row, question in zip(logprobs, batch, strict=True):
                ids = self._label_ids[: len(question.options)]
                results.append([float(row[i]) for i in ids])
        return results


__all__ = [
    "OPTION_LABELS",
    "SYSTEM_PROMPT",
    "LLMQuestion",
    "LLMResolver",
    "context_window",
    "describe_candidate",
    "prompt_messages",
]
