"""Fine-tune the geoparser's LLM resolver with LoRA on distant-supervision examples (TRL SFT + PEFT).

    accelerate launch --config_file training/configs/cpu_1proc.yaml training/train_resolver.py \
        --dataset .cache/geotext/resolver-examples --output_dir runs/resolver-lora --max_steps 300

Arguments are those of TRL's `SFTConfig` (`--output_dir`, `--max_steps`, `--num_train_epochs`, `--learning_rate`,
`--save_steps`, `--resume_from_checkpoint`, `--push_to_hub`, `--hub_model_id`, ...), of `ModelConfig`
(`--model_name_or_path`, default the embedded SmolLM2-135M-Instruct; `--lora_r`, `--lora_alpha`,
`--lora_dropout`, `--lora_target_modules`) and `ResolverArguments` below; `--config FILE.yaml` holds any of them.
`--resume_from_checkpoint last` resumes from the newest checkpoint in `--output_dir`.

The data (from `georeset geotext distant`) are the geoparser's own questions, so the input is built by the same
functions the resolver uses and the loss falls on what it scores alone (`--scoring`: the answer's place after the
text, or the answer's letter). `--max_train_examples N` takes the
questions like those the geoparser sends to its LLM first (ranker margin below `--eval_max_margin`, or several
places of one name). The same script runs on one CPU, two CPU processes or many GPUs, unchanged (see
`training/configs/`; `--torch_threads` bounds the CPU threads of a process on a shared machine).

At the end the main process scores the validation questions the geoparser would send (ranker margin below
`--eval_max_margin`) with the adapter off and on, fits the LLM's weight against the ranker on them
(`fit_llm_weight`: the best of `WEIGHT_GRID`, ties to the smaller weight, 0 = the ranker alone), writes it to
`resolver_config.json` (read by `LLMResolver` when the geoparser loads the adapter), writes `resolver_metrics.json`
and a model card, and pushes the adapter (not the checkpoints) when `--push_to_hub` is given.

A CPU run on a shared 2-core machine (~240-token prompts, batch 8, LoRA on the last 8 layers, 1 thread):

    accelerate launch --num_cpu_threads_per_process 1 --config_file training/configs/cpu_1proc.yaml \
        training/train_resolver.py --dataset DIR --output_dir runs/resolver-lora --max_steps 100 \
        --max_train_examples 800 --lora_last_layers 8 --learning_rate 3e-4 \
        --lr_scheduler_type constant_with_warmup --warmup_steps 8 --save_steps 10 --torch_threads 1
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# Run as a file (`accelerate launch training/train_resolver.py`), the repository root is not on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from georeset.errors import BadInputError, GeoresetError, MissingAssetError  # noqa: E402
from training.checkpoints import TrainingClock, previous_seconds, resume_checkpoint  # noqa: E402

CARD_CONTEXT_FILE = "card_context.json"
ADAPTER_FILES = [
    "adapter_config.json",
    "adapter_model.safetensors",
    "README.md",
    "resolver_metrics.json",
    "resolver_config.json",
]
WEIGHT_GRID = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
"""LLM weights tried against the ranker (`combine_scores`) when fitting on the validation split."""


@dataclass
class ResolverArguments:
    """What to train on and how to check it."""

    dataset: str = field(
        default="",
        metadata={
            "help": "resolver examples: a folder written by `georeset geotext distant`, or a Hub dataset id"
        },
    )
    train_split: str = field(default="train", metadata={"help": "split to train on"})
    eval_split: str | None = field(default="validation", metadata={"help": "split to score before/after"})
    max_train_examples: int | None = field(
        default=None,
        metadata={
            "help": "use at most N training examples: first those like the geoparser's questions to its LLM "
            "(ranker margin below --eval_max_margin, or several places of the same name), then a random sample"
        },
    )
    max_eval_examples: int = field(default=300, metadata={"help": "validation questions scored at the end"})
    eval_batch_size: int = field(default=8, metadata={"help": "questions per forward pass when scoring"})
    eval_max_margin: float | None = field(
        default=0.2,
        metadata={
            "help": "score (and fit the LLM weight on) the validation questions whose ranker margin is below this: "
            "the ones the geoparser sends to its LLM (its llm_margin); none = all"
        },
    )
    torch_threads: int | None = field(
        default=None, metadata={"help": "torch CPU threads (default torch's choice: all cores)"}
    )
    scoring: str = field(
        default="option-text",
        metadata={
            "help": "what the resolver scores: `option-text` (each option's place as the continuation of the "
            "text; small models do well) or `letter` (the option letter in a chat prompt); written to "
            "resolver_config.json so the geoparser scores the same way"
        },
    )
    lora_last_layers: int | None = field(
        default=None,
        metadata={
            "help": "adapt only the last N transformer layers (default all): the backward pass then stops there, "
            "which makes CPU training several times cheaper"
        },
    )


def select_training(dataset, limit: int, max_margin: float | None, seed: int):
    """At most `limit` examples, in random order: the unsure ones first (ranker margin below `max_margin`, or
    `ambiguous`: the cases the geoparser sends to its LLM), then others drawn at random."""
    import random

    columns = dataset.column_names
    margins = dataset["ranker_margin"] if "ranker_margin" in columns and max_margin is not None else None
    kinds = dataset["kind"] if "kind" in columns else [""] * len(dataset)
    unsure = [
        i
        for i in range(len(dataset))
        if kinds[i] == "ambiguous" or (margins is not None and margins[i] < max_margin)
    ]
    rng = random.Random(seed)
    rng.shuffle(unsure)
    chosen = set(unsure[:limit])
    others = [i for i in range(len(dataset)) if i not in chosen]
    rng.shuffle(others)
    picked = sorted(chosen) + others[: max(0, limit - len(chosen))]
    rng.shuffle(picked)
    return dataset.select(picked)


def parse_arguments(argv: list[str] | None = None):
    """`(ResolverArguments, SFTConfig, ModelConfig)` from the command line (and `--config`)."""
    import torch
    from trl import ModelConfig, SFTConfig, TrlParser

    parser = TrlParser((ResolverArguments, SFTConfig, ModelConfig))
    on_gpu = torch.cuda.is_available()
    parser.set_defaults(
        use_peft=True,
        lora_r=16,
        lora_alpha=32,
        lora_target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        learning_rate=2e-4,
        per_device_train_batch_size=8,
        max_length=1024,
        logging_steps=10,
        save_steps=50,
        save_total_limit=3,
        gradient_checkpointing=False,  # a 135M model fits; recomputation would only slow CPUs down
        bf16=on_gpu and torch.cuda.is_bf16_supported(),
        use_cpu=not on_gpu,
        report_to="none",
        dataloader_num_workers=0,
    )
    script_args, training_args, model_args = parser.parse_args_and_config(argv)
    if not script_args.dataset:
        raise BadInputError("--dataset is required: a folder from `georeset geotext distant` or a Hub id")
    return script_args, training_args, model_args


def score_questions(
    model, tokenizer, dataset, batch_size: int, scoring: str = "option-text"
) -> list[list[float]]:
    """The resolver's option scores (log-likelihoods) for every example of a dataset."""
    from modeling.geoparsing.resolve_llm import LLMResolver
    from training.resolver_data import question_of

    resolver = LLMResolver.from_loaded(
        model, tokenizer, batch_size=batch_size, max_options=10, llm_weight=-1, scoring=scoring
    )
    return resolver.score([question_of(row) for row in dataset])


def accuracy_by_kind(dataset, scores: list[list[float]]) -> dict[str, float]:
    """Accuracy of the LLM's choice alone (argmax over its option scores) overall and per example kind."""
    from collections import defaultdict

    hits: dict[str, list[bool]] = defaultdict(list)
    for row, logprobs in zip(dataset, scores, strict=True):
        correct = max(range(len(logprobs)), key=logprobs.__getitem__) == int(row["answer"])
        hits["all"].append(correct)
        hits[row.get("kind") or "unknown"].append(correct)
    return {kind: round(sum(v) / len(v), 4) for kind, v in sorted(hits.items())}


def score_accuracy(
    model, tokenizer, dataset, batch_size: int, scoring: str = "option-text"
) -> dict[str, float]:
    """Accuracy of the resolver's choice (argmax over the option scores) overall and per example kind."""
    rows = list(dataset)
    return accuracy_by_kind(rows, score_questions(model, tokenizer, rows, batch_size, scoring))


def fit_llm_weight(
    dataset, scores: list[list[float]], grid: tuple[float, ...] = WEIGHT_GRID
) -> tuple[float, dict[str, float]]:
    """The LLM weight against the ranker (`combine_scores`) with the best validation accuracy, and the accuracy of
    every weight tried (0 = the ranker alone). Ties go to the smaller weight: trust the ranker unless shown.

    Raises:
        BadInputError: the examples have no `option_probs` (made before they were recorded).
    """
    from modeling.geoparsing.resolve_llm import combine_scores

    rows = list(dataset)
    if not rows or "option_probs" not in rows[0]:
        raise BadInputError(
            "the validation examples have no option_probs: remake them with `georeset geotext distant`"
        )
    table: dict[str, float] = {}
    for weight in grid:
        hits = 0
        for row, logprobs in zip(rows, scores, strict=True):
            shares = combine_scores(row["option_probs"], logprobs, weight)
            hits += max(range(len(shares)), key=shares.__getitem__) == int(row["answer"])
        table[f"{weight:g}"] = round(hits / len(rows), 4)
    best = max(grid, key=lambda w: (table[f"{w:g}"], -w))
    return best, table


def make_portable(adapter_dir: Path, base_is_embedded: bool) -> None:
    """Record the embedded base model by its georeset name, not this machine's cache path."""
    from georeset.assets import EMBEDDED_LLM

    config_path = adapter_dir / "adapter_config.json"
    if base_is_embedded and config_path.is_file():
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config["base_model_name_or_path"] = EMBEDDED_LLM
        config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def push_adapter(
    adapter_dir: Path, repo_id: str, token: str | None = None, private: bool | None = None
) -> str:
    """Upload the adapter, its card and metrics (not the checkpoints) to a Hub model repository."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    from data_builders.gazetteer.publish import check_repo_id
    from georeset.hub.client import check_endpoint

    check_repo_id(repo_id)
    check_endpoint()
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        commit = api.upload_folder(
            folder_path=adapter_dir,
            repo_id=repo_id,
            allow_patterns=ADAPTER_FILES,
            commit_message="Upload georeset LoRA resolver adapter",
        )
    except HfHubHTTPError as error:
        raise GeoresetError(f"pushing the adapter in {adapter_dir} to {repo_id} failed: {error}") from error
    return commit.commit_url


def main(argv: list[str] | None = None) -> int:
    """Train, score, save, card, push. Returns the exit status."""
    script_args, training_args, model_args = parse_arguments(argv)
    from training.resolver_data import check_trainable, load_examples, tokenize_dataset

    # Refuse useless data before loading any model.
    train = load_examples(script_args.dataset, script_args.train_split)
    if script_args.max_train_examples is not None and train is not None:
        train = select_training(
            train, script_args.max_train_examples, script_args.eval_max_margin, training_args.seed
        )
    letters = check_trainable(train, script_args.dataset)
    evaluation = load_examples(script_args.dataset, script_args.eval_split)
    if (
        evaluation is not None
        and script_args.eval_max_margin is not None
        and "ranker_margin" in evaluation.column_names
    ):
        limit = script_args.eval_max_margin
        evaluation = evaluation.filter(lambda ex: ex["ranker_margin"] < limit, desc="unsure questions")
    if evaluation is not None and len(evaluation) > script_args.max_eval_examples:
        evaluation = evaluation.shuffle(seed=0).select(range(script_args.max_eval_examples))
    resume_from = resume_checkpoint(training_args)

    import torch

    if script_args.torch_threads:
        torch.set_num_threads(script_args.torch_threads)
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTTrainer

    from georeset.assets import resolve_llm
    from model_cards.render import render_resolver_card

    base_is_embedded = model_args.model_name_or_path in (None, "", "default", "embedded")
    source = resolve_llm(None if base_is_embedded else model_args.model_name_or_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
    except (OSError, ValueError) as err:
        raise MissingAssetError(
            f"--model_name_or_path {source}: cannot load a tokenizer there ({err})"
        ) from err
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    train_tokens, dropped = tokenize_dataset(
        train, tokenizer, training_args.max_length, scoring=script_args.scoring
    )
    if len(train_tokens) == 0:
        raise BadInputError(f"--dataset {script_args.dataset}: every example is longer than --max_length")
    dtype = torch.bfloat16 if training_args.bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
    n_layers = model.config.num_hidden_layers
    last = script_args.lora_last_layers
    if last is not None and not 1 <= last <= n_layers:
        raise BadInputError(f"--lora_last_layers {last}: the model has {n_layers} layers")
    peft_config = LoraConfig(
        layers_to_transform=list(range(n_layers - last, n_layers)) if last else None,
        r=model_args.lora_r,
        lora_alpha=model_args.lora_alpha,
        lora_dropout=model_args.lora_dropout,
        target_modules=model_args.lora_target_modules,
        task_type="CAUSAL_LM",
    )
    push_repo = training_args.hub_model_id if training_args.push_to_hub else None
    if training_args.push_to_hub and not push_repo:
        raise BadInputError("--push_to_hub needs --hub_model_id ORG/NAME")
    training_args.push_to_hub = (
        False  # the adapter and its card are pushed once, at the end, not every checkpoint
    )
    training_args.completion_only_loss = True
    trainer = SFTTrainer(
        model=model,
        args=training_args,
        train_dataset=train_tokens,
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    clock = TrainingClock(previous_seconds(resume_from))
    trainer.add_callback(clock)
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume_from)
    train_seconds = clock.before + time.perf_counter() - started  # resumed runs count their earlier segments
    output_dir = Path(training_args.output_dir)
    trainer.save_model(str(output_dir))
    if not trainer.accelerator.is_main_process:
        return 0

    make_portable(output_dir, base_is_embedded)
    peft_model = trainer.model
    metrics: dict[str, float] = {}
    n_scored = 0
    weights: dict[str, object] = {}
    if evaluation is not None and len(evaluation):
        n_scored = len(evaluation)
        rows = list(evaluation)
        with peft_model.disable_adapter():
            base_scores = score_questions(
                peft_model, tokenizer, rows, script_args.eval_batch_size, script_args.scoring
            )
        tuned_scores = score_questions(
            peft_model, tokenizer, rows, script_args.eval_batch_size, script_args.scoring
        )
        before, after = accuracy_by_kind(rows, base_scores), accuracy_by_kind(rows, tuned_scores)
        metrics = {f"base {k}": v for k, v in before.items()} | {f"LoRA {k}": v for k, v in after.items()}
        if "option_probs" in rows[0]:
            llm_weight, table = fit_llm_weight(rows, tuned_scores)
            base_weight, base_table = fit_llm_weight(rows, base_scores)
            weights = {
                "combined_accuracy": {
                    "ranker alone": table["0"],
                    "ranker + base LLM": base_table[f"{base_weight:g}"],
                    "ranker + LoRA": table[f"{llm_weight:g}"],
                },
                "llm_weight": llm_weight,
                "base_llm_weight": base_weight,
                "accuracy_by_weight": table,
                "base_accuracy_by_weight": base_table,
            }
            config = {
                "llm_weight": llm_weight,
                "scoring": script_args.scoring,
                "fitted_on": f"{n_scored} {script_args.eval_split} questions of {script_args.dataset}"
                + (
                    f" with ranker margin < {script_args.eval_max_margin}"
                    if script_args.eval_max_margin
                    else ""
                ),
            }
            (output_dir / "resolver_config.json").write_text(
                json.dumps(config, indent=2) + "\n", encoding="utf-8"
            )
    world = trainer.accelerator.num_processes
    summary = {
        "base_model": "embedded:SmolLM2-135M-Instruct" if base_is_embedded else source,
        "dataset": script_args.dataset,
        "train_examples": len(train_tokens),
        "dropped_too_long": dropped,
        "answer_letters": dict(letters),
        "validation_examples": n_scored,
        "steps": result.global_step,
        "train_loss": round(float(result.training_loss), 4),
        "train_seconds": round(train_seconds, 1),
        "processes": world,
        "device": str(trainer.args.device),
        "validation_accuracy": metrics,
        **weights,
    }
    (output_dir / "resolver_metrics.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    card_context = dict(
        title=f"georeset LoRA resolver ({push_repo or output_dir.name})",
        base_model="HuggingFaceTB/SmolLM2-135M-Instruct" if base_is_embedded else str(source),
        base_model_display="SmolLM2-135M-Instruct (embedded in georeset)"
        if base_is_embedded
        else str(source),
        repo_or_path=push_repo or str(output_dir),
        datasets=[script_args.dataset],
        n_train=len(train_tokens),
        n_eval=len(evaluation) if evaluation is not None else 0,
        n_dropped=dropped,
        max_length=training_args.max_length,
        lora_r=model_args.lora_r,
        lora_alpha=model_args.lora_alpha,
        lora_dropout=model_args.lora_dropout,
        target_modules=", ".join(model_args.lora_target_modules or []),
        steps=result.global_step,
        learning_rate=training_args.learning_rate,
        batch_size=training_args.per_device_train_batch_size
        * training_args.gradient_accumulation_steps
        * world,
        train_seconds=round(train_seconds),
        hardware=f"{world} x {trainer.args.device}",
        n_eval_scored=n_scored,
        metrics=metrics or {"(no validation split)": "-"},
        benchmark_table="",
    )
    # Kept beside the card so that `python -m model_cards.render` can add benchmark comparisons later.
    (output_dir / CARD_CONTEXT_FILE).write_text(json.dumps(card_context, indent=2) + "\n", encoding="utf-8")
    (output_dir / "README.md").write_text(render_resolver_card(**card_context), encoding="utf-8")
    print(json.dumps(summary, indent=2))
    if push_repo:
        print(f"pushed to {push_repo}: {push_adapter(output_dir, push_repo, token=training_args.hub_token)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GeoresetError as err:
        print(f"train_resolver: error: {err}", file=sys.stderr)
        sys.exit(1)


__all__ = [
    "CARD_CONTEXT_FILE",
    "ResolverArguments",
    "main",
    "make_portable",
    "parse_arguments",
    "push_adapter",
    "accuracy_by_kind",
    "fit_llm_weight",
    "score_accuracy",
    "score_questions",
    "select_training",
]
