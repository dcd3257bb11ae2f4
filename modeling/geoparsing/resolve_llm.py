"""LLM disambiguation: a causal LM chooses among a mention's top candidates by scoring each option.

Each question holds the text around the mention, after the document's opening (headline, dateline, "X is a town
in Y County, Z"), and the candidates written as texts write places ("Paris, Lamar County, Texas, United States").
The context is kept short (~200 tokens): on a CPU its length is what training and inference pay for. Options are
scored, never generated and parsed, so the answer is always one of them and the scores are comparable. Two ways:

- `option-text` (the default): the text, then "In this text, Paris is the place:", and each option's place
  ("Paris, Lamar County, Texas, United States") scored by its mean token log-likelihood as the continuation (a
  cloze). Small models are good at this: it asks whether the text makes "Texas" likely, which they learned in
  pre-training. The text runs once; its key/value cache is shared by the options.
- `letter`: a lettered list of the options (with their type, population and the ranker's cues) in a chat prompt,
  scored by the log-likelihood of each letter as the answer. Models of a few hundred million parameters bind
  letters to options poorly (near chance untuned on the distant validation questions); kept for adapters trained
  that way and for larger models.

The LLM does not overrule the ranker outright: `combine_scores` multiplies the ranker's probabilities of the
options by the LLM's raised to a weight (a product of experts). `train_resolver.py` fits the weight of a tuned
adapter on its distant-supervision validation questions and stores it beside the adapter
(`resolver_config.json`), so the geoparser uses it when it loads the adapter.

Questions are batched (left padding, one forward pass per batch). The default model is the embedded
SmolLM2-135M-Instruct; any Hub id or local folder, and a LoRA adapter, can replace it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from georeset.errors import BadInputError
from modeling.geoparsing.countries import country_display_name

OPTION_LABELS = "ABCDEFGHIJ"

SYSTEM_PROMPT = "You link place names in texts to gazetteer entries."
CONTEXT_WIDTH = 160
"""Characters of text on each side of the mention: the cues (a state named, a nearby town) are usually close, and
prompt length is what a CPU pays for, in training and at inference."""
LEAD_CHARS = 120
CUE_THRESHOLD = 0.5
"""A context feature of the ranker (share of the other places in the candidate's country, closeness to them) at or
above this is written into the option as a cue."""
RESOLVER_CONFIG_FILE = "resolver_config.json"
DEFAULT_LLM_WEIGHT = 1.0
"""How much the LLM's option probabilities count against the ranker's when nothing fitted says otherwise (an equal
product of experts); `train_resolver.py` fits the weight of a tuned adapter on its distant validation split."""
SCORINGS = ("option-text", "letter")
DEFAULT_SCORING = "option-text"
CLOZE_CUE = "In this text, {mention} is the place:"
"""What follows the context in `option-text` scoring; each option's place is scored as its continuation."""
DEFAULT_MAX_OPTIONS = 4
"""Options offered: on the benchmark corpora the right place is below the ranker's 4th candidate in under 2% of the
mentions sent to the LLM, and every option costs ~15 tokens."""


TYPE_WORDS = {
    "admin1": "state/province",
    "admin2": "county/district",
    "admin3": "municipality",
    "settlement": "city/town",
    "locality": "neighbourhood",
}
"""The gazetteer's feature types in words a language model has read (it has never seen "admin1")."""


@dataclass
class LLMQuestion:
    """One mention to disambiguate: its context and the descriptions of its options."""

    context: str
    mention: str
    options: list[str]


def short_population(population: int) -> str:
    """A compact population figure: 850, 25k, 2.1M."""
    if population >= 1_000_000:
        return f"{population / 1_000_000:.1f}M"
    if population >= 10_000:
        return f"{population // 1000}k"
    return f"{population:,}"


def ranker_cues(features: dict[str, float]) -> list[str]:
    """What the ranker saw in the text about a candidate, in short words the LLM can weigh ("state/county in
    text": its state or county is named in the text): the LLM learns when these cues outweigh population and type,
    where the ranker's fixed weights cannot tell."""
    cues = []
    if features.get("container", 0.0) > 0:
        cues.append("written with its state/country")
    if features.get("admin_named", 0.0) > 0:
        cues.append("state/county in text")
    if features.get("country_named", 0.0) > 0:
        cues.append("country in text")
    if features.get("country_context", 0.0) >= CUE_THRESHOLD:
        cues.append("same country as other places")
    if features.get("proximity", 0.0) >= CUE_THRESHOLD:
        cues.append("near other places")
    return cues


def describe_candidate(
    name: str,
    feature_type: str,
    admin_path: str,
    country_code: str,
    population: int,
    cues: Sequence[str] = (),
) -> str:
    """One option line, the place then its containers as texts write them, then what the text says about it:
    "Paris, Texas, United States (city/town, pop. 25k; state/county in text)".

    `admin_path` is "Country > Admin1 > Admin2" (the geoparser's output field); without it the country is named.
    `cues` come from `ranker_cues`.
    """
    where = [p.strip() for p in admin_path.split(">") if p.strip()][::-1] if admin_path else []
    if not where and country_code and feature_type != "country":
        where = [country_display_name(country_code)]
    where = [w for w in where if w != name]
    kind = TYPE_WORDS.get(feature_type, feature_type.replace("_", " ") or "place")
    details = f"{kind}, pop. {short_population(population)}" if population > 0 else kind
    details = "; ".join([details, *cues])
    return f"{', '.join([name, *where])} ({details})"


def _cut(text: str, left: int, right: int, start: int, end: int) -> tuple[int, int]:
    """Move a [left, right) window's ends inwards to word boundaries (never past the mention [start, end))."""
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    return left, right


def context_window(
    text: str, start: int, end: int, width: int = CONTEXT_WIDTH, lead: int = LEAD_CHARS
) -> str:
    """The text around a mention, the mention marked with [[ ]], cut at word boundaries.

    When the window starts later in the document, its first `lead` characters come first, then " ... ": a
    document's opening (headline, dateline, "X is a town in Y County, Z") names the place it is about.
    """
    left, right = _cut(text, max(0, start - width), min(len(text), end + width), start, end)
    snippet = f"{text[left:start]}[[{text[start:end]}]]{text[end:right]}"
    if lead > 0 and left > lead + 20:
        cut = text.rfind(" ", 0, lead)
        snippet = f"{text[: cut if cut > lead // 2 else lead]} ... {snippet}"
    return " ".join(snippet.split())


def combine_scores(
    ranker_probabilities: Sequence[float], llm_logprobs: Sequence[float], weight: float | None
) -> list[float]:
    """Probabilities over the options from the ranker's and the LLM's opinions (a weighted product of experts).

    `log p = log p_ranker + weight * log p_llm` (each normalised over the options), renormalised. `weight` None
    means the LLM alone decides (the ranker's probabilities are ignored); 0 means the ranker alone.
    """
    import numpy as np

    llm = np.asarray(llm_logprobs, dtype=np.float64)
    llm = llm - np.logaddexp.reduce(llm)
    if weight is None:
        combined = llm
    else:
        ranker = np.maximum(np.asarray(ranker_probabilities, dtype=np.float64), 1e-12)
        combined = np.log(ranker / ranker.sum()) + weight * llm
    combined = np.exp(combined - combined.max())
    return (combined / combined.sum()).tolist()


def read_resolver_config(name_or_path: str | os.PathLike | None) -> dict:
    """The `resolver_config.json` that `train_resolver.py` writes beside an adapter (folder or Hub id); {} if none."""
    if name_or_path is None or str(name_or_path) in ("default", "embedded"):
        return {}
    local = Path(str(name_or_path)).expanduser()
    path: Path | None = local / RESOLVER_CONFIG_FILE if local.is_dir() else None
    if path is None and not local.exists() and str(name_or_path).count("/") == 1:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

        try:
            path = Path(hf_hub_download(str(name_or_path), RESOLVER_CONFIG_FILE))
        except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError):
            return {}  # not a georeset adapter, or unreachable (the model load then says so)
    if path is None or not path.is_file():
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise BadInputError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(config, dict):
        raise BadInputError(f"{path}: expected a JSON object")
    return config


def prompt_messages(question: LLMQuestion) -> list[dict[str, str]]:
    """The system and user chat messages of a question (training data for the resolver uses the same ones)."""
    lines = [f"{OPTION_LABELS[i]}. {option}" for i, option in enumerate(question.options)]
    user = (
        f"{question.context}\n\n"
        f"Which place is [[{question.mention}]]?\n" + "\n".join(lines) + "\nAnswer with one letter."
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def option_place(option: str) -> str:
    """The place of an option line, without its parenthesised details: "Paris, Texas, United States"."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", option).strip() or option


def cloze_prefix(question: LLMQuestion) -> str:
    """The text an option's place is scored after in `option-text` scoring (the mention's marks removed: the cue
    line names it)."""
    context = question.context.replace(f"[[{question.mention}]]", question.mention)
    return f"{context}\n\n" + CLOZE_CUE.format(mention=question.mention)


def cloze_ids(tokenizer, question: LLMQuestion) -> tuple[list[int], list[list[int]]]:
    """Token ids of the cloze prefix and of each option's place as its continuation (a leading space)."""
    prefix = tokenizer(cloze_prefix(question), add_special_tokens=False)["input_ids"]
    options = [
        tokenizer(" " + option_place(option), add_special_tokens=False)["input_ids"]
        for option in question.options
    ]
    return prefix, options


class LLMResolver:
    """Score candidate options with a causal LM.

    Args:
        model: a Hub id, a local folder, or None / "default" for the embedded SmolLM2-135M-Instruct.
        adapter: a PEFT (LoRA) adapter to apply on top, Hub id or folder.
        batch_size: questions per forward pass.
        max_options: at most this many candidates are offered (the ranker's best).
        device: torch device; default CUDA when available.
        llm_weight: how much the LLM's opinion counts against the ranker's (`combine_scores`); None reads the
            weight fitted for the adapter (its `resolver_config.json`), else `DEFAULT_LLM_WEIGHT`. A negative
            value means the LLM alone decides.
        scoring: `option-text` or `letter` (see the module docstring); None reads the adapter's
            `resolver_config.json` (adapters written before it named one were trained on letters), else
            `DEFAULT_SCORING`.
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        adapter: str | os.PathLike | None = None,
        batch_size: int = 8,
        max_options: int = DEFAULT_MAX_OPTIONS,
        device: str | None = None,
        llm_weight: float | None = None,
        scoring: str | None = None,
    ) -> None:
        if not 2 <= max_options <= len(OPTION_LABELS):
            raise ValueError(f"max_options must be between 2 and {len(OPTION_LABELS)}, got {max_options}")
        self.model_name = None if model in (None, "default") else str(model)
        self.adapter = adapter
        self.batch_size = batch_size
        self.max_options = max_options
        self.device = device
        config = (
            read_resolver_config(adapter) or read_resolver_config(self.model_name)
            if llm_weight is None or scoring is None
            else {}
        )
        if llm_weight is None:
            llm_weight = float(config.get("llm_weight", DEFAULT_LLM_WEIGHT))
        if scoring is None:
            scoring = config.get("scoring", "letter" if config else DEFAULT_SCORING)
        if scoring not in SCORINGS:
            raise BadInputError(f"resolver scoring {scoring!r}: expected one of {', '.join(SCORINGS)}")
        self.scoring = scoring
        self.llm_weight: float | None = None if llm_weight < 0 else llm_weight
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

    def combine(self, ranker_probabilities: Sequence[float], llm_logprobs: Sequence[float]) -> list[float]:
        """Probabilities over a question's options from the ranker's and this LLM's scores (`combine_scores`)."""
        return combine_scores(ranker_probabilities, llm_logprobs, self.llm_weight)

    def score(self, questions: Sequence[LLMQuestion]) -> list[list[float]]:
        """A log-likelihood score per option, per question: of its place as the continuation (mean per token) in
        `option-text` scoring, of its letter as the answer in `letter` scoring (natural log)."""
        import torch

        for question in questions:
            if not 1 <= len(question.options) <= self.max_options:
                raise ValueError(
                    f"a question has {len(question.options)} options; between 1 and {self.max_options} allowed"
                )
        if not questions:
            return []
        self._load()
        if self.scoring == "option-text":
            return [self._score_places(question) for question in questions]
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

    def _score_places(self, question: LLMQuestion) -> list[float]:
        """Mean token log-likelihood of each option's place after the cloze prefix; the prefix runs once and its
        cache is repeated for the options (right-padded: padding comes after the tokens it could disturb)."""
        import torch

        from modeling.answer_scoring import cache_tensors, pad_answers, repeated_cache

        prefix, options = cloze_ids(self._tokenizer, question)
        device = self._model.device
        padded, mask = pad_answers(options, self._tokenizer.pad_token_id, device)
        with torch.inference_mode():
            out = self._model(input_ids=torch.tensor([prefix], device=device), use_cache=True)
            total = torch.log_softmax(out.logits[0, -1].float(), dim=-1)[padded[:, 0]]
            if padded.shape[1] > 1:
                cache = repeated_cache(cache_tensors(out.past_key_values), len(options))
                logits = self._model(input_ids=padded[:, :-1], past_key_values=cache, use_cache=False).logits
                rest = torch.log_softmax(logits.float(), dim=-1).gather(-1, padded[:, 1:, None])[..., 0]
                total = total + (rest * mask[:, 1:]).sum(1)
        return (total / mask.sum(1)).tolist()


__all__ = [
    "CLOZE_CUE",
    "DEFAULT_SCORING",
    "OPTION_LABELS",
    "SCORINGS",
    "SYSTEM_PROMPT",
    "CONTEXT_WIDTH",
    "CUE_THRESHOLD",
    "DEFAULT_LLM_WEIGHT",
    "DEFAULT_MAX_OPTIONS",
    "LEAD_CHARS",
    "RESOLVER_CONFIG_FILE",
    "TYPE_WORDS",
    "LLMQuestion",
    "LLMResolver",
    "cloze_ids",
    "cloze_prefix",
    "combine_scores",
    "context_window",
    "describe_candidate",
    "option_place",
    "prompt_messages",
    "ranker_cues",
    "read_resolver_config",
    "short_population",
]
