"""GeoLLaVA training speed in the demo configuration, against transformers' LLaVA with a vision tower of the same
forward compute, in the same run.

    .venv/bin/python benchmarks/geollava_training.py [--steps 6] [--llm-size 135m|1b] [--out f.json]

Both sides train the way `training/train_geollava.py --stage instruct` does: LoRA (r 16) on the LM's projections,
the projector in full, the vision tower frozen; AdamW steps on the same batch (same LM, same text, same number of
image tokens). The GeoLLaVA side is the demo configuration of `training/configs/geollava_demo_cpu.yaml` (embedded
SmolLM2-135M-Instruct + ResNet-18 over 12 Sentinel-2 L2A bands at its image size); the LLaVA side is
`LlavaForConditionalGeneration` with a CLIP vision tower whose depth is chosen so that its forward FLOPs (counted by
`torch.utils.flop_counter`) match the ResNet's, with a patch size that gives the same number of image tokens.
`--llm-size 1b` swaps the LM for a 1.1 B-parameter Llama config with random weights (for GPUs; on a CPU use
`--steps 2`).

Timing interleaves the two models' steps in one process (order alternating) so that load swings on a shared machine
hit both alike, and reports medians per wall-clock and per CPU second; peak memory (RSS, or GPU memory on CUDA) is
measured with each model alone in a subprocess. The helpers for memory sampling come from
`benchmarks/geollava_throughput.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.geollava_throughput import _RssSampler  # noqa: E402

DEMO_CONFIG = REPO_ROOT / "training" / "configs" / "geollava_demo_cpu.yaml"
TEXT_TOKENS = 128  # about the mean conversation of the default instruction dataset (SmolLM2 template)
ONE_B_LM = {
    "model_type": "llama",
    "hidden_size": 2048,
    "intermediate_size": 8192,
    "num_hidden_layers": 16,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 49152,
    "max_position_embeddings": 2048,
    "tie_word_embeddings": True,
}
"""About 1.1 B parameters: SmolLM2-1.7B's width and vocabulary with 16 layers instead of 24."""
CLIP_WIDTH = 512


def demo_settings() -> dict:
    """Encoder settings and batch size of the demo configuration."""
    import yaml

    config = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    return {
        "architecture": config["encoder_architecture"],
        "sensor": config["encoder_sensor"],
        "image_size": config["image_size"],
        "lora_r": config["lora_r"],
        "lora_alpha": config["lora_alpha"],
        "batch": config["per_device_train_batch_size"],
    }


def _device():
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _text_config(llm_size: str) -> dict:
    from transformers import AutoConfig

    from georeset.assets import resolve_llm

    if llm_size == "1b":
        return dict(ONE_B_LM)
    return AutoConfig.from_pretrained(resolve_llm(None)).to_dict()


def _forward_flops(module, *inputs) -> int:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(*inputs)
    return counter.get_total_flops()


def matched_clip_config(vision, flops_target: int) -> dict:
    """A CLIP vision config with the GeoLLaVA tower's token count and (to one layer) its forward FLOPs."""
    import torch
    from transformers import CLIPVisionConfig, CLIPVisionModel

    grid = vision.token_grid or vision.feature_grid
    patch = vision.image_size // grid
    base = {
        "hidden_size": CLIP_WIDTH,
        "intermediate_size": 4 * CLIP_WIDTH,
        "num_attention_heads": 8,
        "image_size": patch * grid,
        "patch_size": patch,
    }
    pixels = torch.randn(1, 3, patch * grid, patch * grid)
    one, two = (
        _forward_flops(CLIPVisionModel(CLIPVisionConfig(**base, num_hidden_layers=n)).eval(), pixels)
        for n in (1, 2)
    )
    per_layer, fixed = two - one, 2 * one - two
    layers = max(1, round((flops_target - fixed) / per_layer))
    return {**base, "num_hidden_layers": layers, "flops": fixed + layers * per_layer}


def build(kind: str, llm_size: str) -> tuple:
    """(model with LoRA, batch, figures) for "geollava" or "llava"."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration

    from modeling.geollava import GeoLlavaConfig, GeoLlavaForConditionalGeneration, SentinelEncoderConfig
    from modeling.geollava.lora import LM_TARGETS, add_lora

    settings = demo_settings()
    torch.manual_seed(0)
    vision = SentinelEncoderConfig(
        architecture=settings["architecture"], sensor=settings["sensor"], image_size=settings["image_size"]
    )
    text = _text_config(llm_size)
    image_token_id = text["vocab_size"] - 1
    tokens = vision.num_image_tokens
    figures: dict = {}
    if kind == "geollava":
        if llm_size == "135m":
            from modeling.geollava.build import build_geollava

            model, _ = build_geollava(vision, load_encoder_weights=False, device="cpu")
            image_token_id = model.config.image_token_id
        else:
            config = GeoLlavaConfig(
                vision_config=vision.to_dict(), text_config=text, image_token_id=image_token_id
            )
            model = GeoLlavaForConditionalGeneration(config)
        model = add_lora(model, r=settings["lora_r"], alpha=settings["lora_alpha"])
        pixels = torch.randn(settings["batch"], vision.in_chans, vision.image_size, vision.image_size)
        figures["tower_gflops"] = round(
            _forward_flops(model.base_model.model.model.vision_tower.eval(), pixels[:1]) / 1e9, 3
        )
    else:
        probe = GeoLlavaForConditionalGeneration(
            GeoLlavaConfig(vision_config=vision.to_dict(), text_config=dict(_tiny_text()), image_token_id=1)
        ).model.vision_tower.eval()
        target = _forward_flops(probe, torch.randn(1, vision.in_chans, vision.image_size, vision.image_size))
        clip = matched_clip_config(vision, target)
        figures["tower_gflops"] = round(clip.pop("flops") / 1e9, 3)
        figures["clip_layers"] = clip["num_hidden_layers"]
        text_config = {k: v for k, v in text.items() if k not in ("architectures", "_name_or_path")}
        config = LlavaConfig(
            vision_config=CLIPVisionConfig(**clip).to_dict() | {"model_type": "clip_vision_model"},
            text_config=text_config,
            image_token_index=image_token_id,
            vision_feature_select_strategy="default",
            vision_feature_layer=-1,
            image_seq_length=tokens,
            tie_word_embeddings=bool(text.get("tie_word_embeddings", False)),  # as GeoLLaVA inherits it
        )
        model = LlavaForConditionalGeneration(config)
        model.model.vision_tower.requires_grad_(False)
        lora = LoraConfig(
            r=settings["lora_r"],
            lora_alpha=settings["lora_alpha"],
            lora_dropout=0.05,
            target_modules=rf"model\.language_model\..*\.({'|'.join(LM_TARGETS)})",
            modules_to_save=["multi_modal_projector"],
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, lora)
        pixels = torch.randn(settings["batch"], 3, clip["image_size"], clip["image_size"])
    ids = torch.randint(0, min(image_token_id, 30000), (settings["batch"], TEXT_TOKENS + tokens))
    ids[:, 4 : 4 + tokens] = image_token_id
    labels = ids.masked_fill(ids == image_token_id, -100)
    labels[:, : 4 + tokens] = -100  # the prompt
    batch = {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "pixel_values": pixels,
        "labels": labels,
    }
    device = _device()
    model = model.to(device).train()
    batch = {key: value.to(device) for key, value in batch.items()}
    figures["parameters_m"] = round(sum(p.numel() for p in model.parameters()) / 1e6, 1)
    figures["trainable_m"] = round(sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6, 2)
    figures["image_tokens"] = tokens
    figures["sequence_tokens"] = int(ids.shape[1])
    return model, batch, figures


def _tiny_text() -> dict:
    return {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
            "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 64}  # fmt: skip


class Trainee:
    """A model, its optimizer and batch; `step()` is one timed training step."""

    def __init__(self, kind: str, llm_size: str):
        import torch

        self.model, self.batch, self.figures = build(kind, llm_size)
        self.optimizer = torch.optim.AdamW([p for p in self.model.parameters() if p.requires_grad], lr=1e-4)
        cuda = _device() == "cuda"
        self.autocast = (
            torch.autocast("cuda", dtype=torch.bfloat16) if cuda and torch.cuda.is_bf16_supported() else None
        )

    def step(self) -> tuple[float, float]:
        import contextlib

        import torch

        cuda = _device() == "cuda"
        if cuda:
            torch.cuda.synchronize()
        started, cpu_started = time.perf_counter(), time.process_time()
        self.optimizer.zero_grad(set_to_none=True)
        with self.autocast or contextlib.nullcontext():
            loss = self.model(**self.batch).loss
        loss.backward()
        self.optimizer.step()
        if cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - started, time.process_time() - cpu_started


def memory_worker(kind: str, llm_size: str) -> dict:
    """Peak memory of building one model and running two training steps, alone in this process."""
    import torch

    import modeling.geollava  # noqa: F401  (both sides import the same libraries before measuring)

    with _RssSampler() as rss:
        trainee = Trainee(kind, llm_size)
        for _ in range(2):
            trainee.step()
    result = {
        "peak_rss_mib": round(rss.peak_mib),
        "peak_rss_above_imports_mib": round(rss.peak_mib - rss.start_mib),
    }
    if torch.cuda.is_available():
        result["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return result


def compare(steps: int, llm_size: str, interleave: bool) -> dict:
    """Per-step times of both models (interleaved in one process, or one after the other for big LMs)."""
    kinds = ("geollava", "llava")
    times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    figures: dict[str, dict] = {}
    if interleave:
        trainees = {kind: Trainee(kind, llm_size) for kind in kinds}
        for trainee in trainees.values():
            trainee.step()  # warm-up: allocations, kernels
        for index in range(steps):
            for kind in kinds if index % 2 == 0 else kinds[::-1]:
                times[kind].append(trainees[kind].step())
        figures = {kind: trainee.figures for kind, trainee in trainees.items()}
    else:  # two 1 B models do not fit one CPU process's share of a laptop's memory
        import gc

        for kind in kinds:
            trainee = Trainee(kind, llm_size)
            trainee.step()
            times[kind] = [trainee.step() for _ in range(steps)]
            figures[kind] = trainee.figures
            del trainee
            gc.collect()
    batch = demo_settings()["batch"]
    summary: dict = {}
    for kind in kinds:
        memory_run = subprocess.run(
            [sys.executable, __file__, "--worker", kind, "--llm-size", llm_size],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        ).stdout
        result = dict(figures[kind])
        for clock, column in (("wall", 0), ("cpu", 1)):
            step = statistics.median(pair[column] for pair in times[kind])
            result[f"step_{clock}_s"] = round(step, 4)
            result[f"samples_per_{clock}_s"] = round(batch / step, 3)
        result.update(json.loads(memory_run.strip().splitlines()[-1]))
        summary[kind] = result
    geo, llava = summary["geollava"], summary["llava"]
    for key in ("samples_per_wall_s", "samples_per_cpu_s", "peak_rss_mib", "peak_gpu_mib"):
        if key in geo and key in llava:
            summary[f"ratio_{key}"] = round(geo[key] / llava[key], 3)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", "--max-steps", type=int, default=6, help="timed training steps per model")
    parser.add_argument(
        "--llm-size", choices=["135m", "1b"], default="135m", help="embedded LM or a 1.1 B config"
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--worker", choices=["geollava", "llava"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.worker:
        print(json.dumps(memory_worker(args.worker, args.llm_size)))
        return 0
    results = {
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else f"cpu x {os.cpu_count()}",
        "threads": torch.get_num_threads(),
        "llm_size": args.llm_size,
        "demo": demo_settings(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    interleave = args.llm_size == "135m" or torch.cuda.is_available()
    results["vs_llava"] = compare(args.steps, args.llm_size, interleave)
    results["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
