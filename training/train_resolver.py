"""Fine-tune the geoparser's LLM resolver with LoRA on distant-supervision examples (TRL SFT + PEFT).

    accelerate launch --config_file training/configs/cpu_1proc.yaml training/train_resolver.py \
        --dataset .cache/geotext/resolver-examples --output_dir runs/resolver-lora --max_steps 300

Arguments are those of TRL's `SFTConfig` (`--output_dir`, `--max_steps`, `--num_train_epochs`, `--learning_rate`,
`--save_steps`, `--resume_from_checkpoint`, `--push_to_hub`, `--hub_model_id`, ...), of `ModelConfig`
(`--model_name_or_path`, default the embedded SmolLM2-135M-Instruct; `--lora_r`, `--lora_alpha`,
`--lora_dropout`, `--lora_target_modules`) and `ResolverArguments` below; `--config FILE.yaml` holds any of them.
`--resume_from_checkpoint last` resumes from the newest checkpoint in `--output_dir`.

The data (from `georeset geotext distant`) are the geoparser's own questions, so the prompt is built by the same
function the resolver uses and the loss falls on the answer letter alone. The same script runs on one CPU, two CPU
processes or many GPUs, unchanged (see `training/configs/`). At the end the main process scores the validation
questions with the adapter off and on, writes `resolver_metrics.json` and a model card, and pushes the adapter
(not the checkpoints) when `--push_to_hub` is given.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# Run as a file (`accelerate launch training/train_resolver.py`), the repository root is not on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from transformers import TrainerCallback  # noqa: E402

from georeset.errors import BadInputError, GeoresetError, MissingAssetError  # noqa: E402

CARD_CONTEXT_FILE = "card_context.json"
ADAPTER_FILES = ["adapter_config.json", "adapter_model.safetensors", "README.md", "resolver_metrics.json"]


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
    max_train_examples: int | None = field(default=None, metadata={"help": "use at most N training examples"})
    max_eval_examples: int = field(default=300, metadata={"help": "validation questions scored at the end"})
    eval_batch_size: int = field(default=8, metadata={"help": "questions per forward pass when scoring"})
    lora_last_layers: int | None = field(
        default=None,
        metadata={
            "help": "adapt only the last N transformer layers (default all): the backward pass then stops there, "
            "which makes CPU training several times cheaper"
        },
    )


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


def _complete_checkpoints(output_dir: str) -> list[Path]:
    """Checkpoint folders of `output_dir`, oldest first, that a kill did not leave half-written.

    The Trainer writes `trainer_state.json` last when it saves a checkpoint, so a folder without it was interrupted.
    """
    folder = Path(output_dir)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("checkpoint-*"):
        step = path.name.removeprefix("checkpoint-")
        if path.is_dir() and step.isdigit() and (path / "trainer_state.json").is_file():
            found.append((int(step), path))
    return [path for _, path in sorted(found)]


def _resume_checkpoint(training_args) -> str | None:
    """`--resume_from_checkpoint last|true` -> the newest complete checkpoint of the output folder; a path as is."""
    wanted = training_args.resume_from_checkpoint
    if wanted is None or str(wanted).lower() in ("false", "no", ""):
        return None
    if str(wanted).lower() in ("last", "true", "yes"):
        complete = _complete_checkpoints(training_args.output_dir)
        if not complete:
            raise BadInputError(
                f"--resume_from_checkpoint {wanted}: no complete checkpoint in {training_args.output_dir}"
            )
        return str(complete[-1])
    if not os.path.isdir(wanted):
        raise BadInputError(f"--resume_from_checkpoint {wanted}: no such checkpoint folder")
    if not (Path(wanted) / "trainer_state.json").is_file():
        raise BadInputError(
            f"--resume_from_checkpoint {wanted}: the checkpoint is incomplete (no trainer_state.json; "
            "the run was probably killed while saving it): resume from an earlier one or with 'last'"
        )
    return wanted


TIME_FILE = "georeset_train_seconds.json"


def _previous_seconds(checkpoint: str | None) -> float:
    """Training seconds spent before a checkpoint (0 for a fresh run or a checkpoint without the record)."""
    path = Path(checkpoint) / TIME_FILE if checkpoint else None
    return float(json.loads(path.read_text())["seconds"]) if path is not None and path.is_file() else 0.0


class TrainingClock(TrainerCallback):
    """Writes the training time so far into each checkpoint, so that a resumed run reports the whole run's time."""

    def __init__(self, before: float) -> None:
        self.before = before
        self.started = time.perf_counter()

    def on_save(self, args, state, control, **kwargs):
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero and folder.is_dir():
            seconds = self.before + time.perf_counter() - self.started
            (folder / TIME_FILE).write_text(json.dumps({"seconds": round(seconds, 1)}) + "\n")
        return control


def score_accuracy(model, tokenizer, dataset, batch_size: int) -> dict[str, float]:
    """Accuracy of the resolver's choice (argmax over option letters) overall and per example kind."""
    from collections import defaultdict

    from modeling.geoparsing.resolve_llm import LLMResolver
    from training.resolver_data import question_of

    resolver = LLMResolver.from_loaded(model, tokenizer, batch_size=batch_size, max_options=10)
    rows = list(dataset)
    scores = resolver.score([question_of(row) for row in rows])
    hits: dict[str, list[bool]] = defaultdict(list)
    for row, logprobs in zip(rows, scores, strict=True):
        correct = max(range(len(logprobs)), key=logprobs.__getitem__) == int(row["answer"])
        hits["all"].append(correct)
        hits[row.get("kind") or "unknown"].append(correct)
    return {kind: round(sum(v) / len(v), 4) for kind, v in sorted(hits.items())}


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
        train = train.shuffle(seed=training_args.seed).select(
            range(min(script_args.max_train_examples, len(train)))
        )
    letters = check_trainable(train, script_args.dataset)
    evaluation = load_examples(script_args.dataset, script_args.eval_split)
    if evaluation is not None and len(evaluation) > script_args.max_eval_examples:
        evaluation = evaluation.shuffle(seed=0).select(range(script_args.max_eval_examples))
    resume_from = _resume_checkpoint(training_args)

    import torch
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
    train_tokens, dropped = tokenize_dataset(train, tokenizer, training_args.max_length)
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
    clock = TrainingClock(_previous_seconds(resume_from))
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
    if evaluation is not None and len(evaluation):
        n_scored = len(evaluation)
        with peft_model.disable_adapter():
            before = score_accuracy(peft_model, tokenizer, evaluation, script_args.eval_batch_size)
        after = score_accuracy(peft_model, tokenizer, evaluation, script_args.eval_batch_size)
        metrics = {f"base {k}": v for k, v in before.items()} | {f"LoRA {k}": v for k, v in after.items()}
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
    "score_accuracy",
]
