"""GeoLLaVA speed: training throughput and peak memory against transformers' LLaVA, and SmolLM2 + ResNet-18 figures.

    .venv/bin/python benchmarks/geollava_throughput.py [--steps 10] [--skip-embedded] [--out f.json]

1. GeoLLaVA (ResNet-18, RGB, 224 px -> 49 image tokens) against `LlavaForConditionalGeneration` with a CLIP
   vision tower of the same forward compute (11 layers, width 512, patch 32 -> 49 tokens: about 1.8 GMACs,
   like ResNet-18 at 224 px), the same tiny llama
   and the same batch; vision towers frozen, language model and projector trained. Each model runs in its own
   process for its peak RSS; throughput is timed with both in one process, steps interleaved in alternating
   order so that load swings on a shared machine hit both alike. The medians give the ratio
   `GeoLLaVA samples/s / LLaVA samples/s` (target >= 0.95), also with each tower's own time taken out, which
   isolates the wrapper (projector, scatter, loss) from the difference between a CNN and a ViT. Every rate is
   given per wall-clock second and per CPU second of the process: on a shared machine the CPU figures are the
   steadier ones.
2. The embedded SmolLM2-135M with a ResNet-18 Sentinel-2 L2A encoder (120 px, 16 tokens): LoRA training
   samples/s and greedy generation tokens/s on this machine's CPU, the latter also against the bare LM on a
   text prompt of the same length (interleaved runs).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

BATCH, TEXT_TOKENS, IMAGE_SIZE = 4, 32, 224
TINY_LM = {
    "model_type": "llama",
    "hidden_size": 256,
    "intermediate_size": 1024,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "vocab_size": 8000,
    "tie_word_embeddings": False,
}
CLIP_TOWER = {
    "hidden_size": 512,
    "intermediate_size": 2048,
    # Layers chosen by arithmetic, not timing: 49 patch tokens + CLS at width 512 cost ~160 M MACs per layer and
    # the patch embedding ~77 M, so 11 layers match ResNet-18's ~1.82 GMACs at 224 px.
    "num_hidden_layers": 11,
    "num_attention_heads": 8,
    "image_size": IMAGE_SIZE,
    "patch_size": 32,
}


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build(kind: str):
    """(model, vision tower, batch) for one side of the comparison."""
    import torch
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration

    from modeling.geollava import GeoLlavaConfig, GeoLlavaForConditionalGeneration, SentinelEncoderConfig

    torch.manual_seed(0)
    image_token_id = TINY_LM["vocab_size"] - 1
    if kind == "geollava":
        vision = SentinelEncoderConfig(
            architecture="resnet18", sensor="rgb", image_size=IMAGE_SIZE, frozen=True
        )
        config = GeoLlavaConfig(
            vision_config=vision.to_dict(), text_config=TINY_LM, image_token_id=image_token_id
        )
        model = GeoLlavaForConditionalGeneration(config)
        tower, tokens = model.model.vision_tower, config.image_seq_length
    else:
        config = LlavaConfig(
            vision_config=CLIPVisionConfig(**CLIP_TOWER).to_dict() | {"model_type": "clip_vision_model"},
            text_config=LlamaConfig(**{k: v for k, v in TINY_LM.items() if k != "model_type"}).to_dict(),
            image_token_id=image_token_id,
            vision_feature_select_strategy="default",
            vision_feature_layer=-1,
            image_seq_length=(IMAGE_SIZE // CLIP_TOWER["patch_size"]) ** 2,
        )
        model = LlavaForConditionalGeneration(config)
        tower, tokens = model.model.vision_tower, config.image_seq_length
        tower.requires_grad_(False)
    ids = torch.randint(0, image_token_id, (BATCH, TEXT_TOKENS + tokens))
    ids[:, 4 : 4 + tokens] = image_token_id
    batch = {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "pixel_values": torch.randn(BATCH, 3, IMAGE_SIZE, IMAGE_SIZE),
        "labels": ids.masked_fill(ids == image_token_id, -100),
    }
    return model.train(), tower, batch


def _train_step(model, batch) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one forward+backward pass."""
    model.zero_grad(set_to_none=True)
    started, cpu_started = time.perf_counter(), time.process_time()
    model(**batch).loss.backward()
    return time.perf_counter() - started, time.process_time() - cpu_started


def _tower_time(tower, batch) -> tuple[float, float]:
    """Wall-clock and CPU seconds of the frozen vision tower alone."""
    import torch

    with torch.no_grad():
        started, cpu_started = time.perf_counter(), time.process_time()
        tower(batch["pixel_values"])
        return time.perf_counter() - started, time.process_time() - cpu_started


class _RssSampler:
    """Highest resident memory seen while the block runs (sampled every 2 ms), and the level before it.

    `ru_maxrss` cannot tell a model's training peak from the larger transient peak of importing the libraries.
    """

    def __enter__(self) -> _RssSampler:
        import threading

        import psutil

        self._process = psutil.Process()
        self.start_mib = self.peak_mib = self._process.memory_info().rss / 2**20
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak_mib = max(self.peak_mib, self._process.memory_info().rss / 2**20)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def memory_worker(kind: str) -> dict:
    """Peak RSS of building one model and running its training steps, alone in this process."""
    import transformers  # noqa: F401  (both sides import the same libraries before the measurement)

    import modeling.geollava  # noqa: F401

    with _RssSampler() as rss:
        model, _, batch = _build(kind)
        for _ in range(2):
            _train_step(model, batch)
    return {
        "kind": kind,
        "peak_rss_mib": rss.peak_mib,
        "peak_rss_above_imports_mib": rss.peak_mib - rss.start_mib,
    }


def compare(steps: int) -> dict:
    """Both models in one process, steps interleaved (order alternating), so load swings hit both alike.

    CPU seconds (all threads of this process) are reported beside wall-clock seconds: on a shared machine they
    count the work done rather than the time spent waiting for a core.
    """
    kinds = ("geollava", "llava")
    times: dict[str, dict[str, list[tuple[float, float]]]] = {
        kind: {"step": [], "tower": []} for kind in kinds
    }
    built = {kind: _build(kind) for kind in kinds}
    for model, _, batch in built.values():
        _train_step(model, batch)  # warm-up: allocations, kernels
    for index in range(steps):
        for kind in kinds if index % 2 == 0 else kinds[::-1]:
            model, tower, batch = built[kind]
            times[kind]["step"].append(_train_step(model, batch))
            times[kind]["tower"].append(_tower_time(tower, batch))
    summary: dict = {}
    for kind in kinds:
        memory_run = subprocess.run(
            [sys.executable, __file__, "--worker", kind],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        ).stdout
        memory = json.loads(memory_run.strip().splitlines()[-1])
        figures = {"parameters_m": round(sum(p.numel() for p in built[kind][0].parameters()) / 1e6, 2)}
        for clock, column in (("wall", 0), ("cpu", 1)):
            step = statistics.median(pair[column] for pair in times[kind]["step"])
            tower = statistics.median(pair[column] for pair in times[kind]["tower"])
            figures[f"samples_per_{clock}_s"] = round(BATCH / step, 3)
            figures[f"tower_{clock}_s"] = round(tower, 3)
            figures[f"samples_per_{clock}_s_without_tower"] = round(BATCH / (step - tower), 3)
        figures["peak_rss_mib"] = round(memory["peak_rss_mib"])
        figures["peak_rss_above_imports_mib"] = round(memory["peak_rss_above_imports_mib"])
        summary[kind] = figures
    geo, llava = summary["geollava"], summary["llava"]
    for key in (
        "samples_per_wall_s",
        "samples_per_wall_s_without_tower",
        "samples_per_cpu_s",
        "samples_per_cpu_s_without_tower",
        "peak_rss_mib",
        "peak_rss_above_imports_mib",
    ):
        summary[f"ratio_{key}"] = round(geo[key] / llava[key], 3)
    return summary


def embedded(steps: int, new_tokens: int) -> dict:
    """SmolLM2-135M + ResNet-18 (S2 L2A): LoRA training samples/s and generation tokens/s."""
    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM

    from georeset.assets import resolve_llm
    from modeling.geollava.build import build_geollava
    from modeling.geollava.lora import add_lora

    started = time.perf_counter()
    model, processor = build_geollava()
    load_s = time.perf_counter() - started
    rng = np.random.default_rng(0)
    images = [rng.integers(1, 5000, (12, 120, 120)).astype(np.uint16) for _ in range(2)]
    prompt = processor.apply_chat_template(
        [{"role": "user", "content": "<image>\nWhat land cover does this Sentinel-2 patch show?"}],
        add_generation_prompt=True,
    )
    inputs = processor(text=prompt, images=images[:1])
    # The bare LM on a prompt of the same length (image tokens replaced by text) isolates GeoLLaVA's own cost.
    text_ids = inputs["input_ids"].masked_fill(inputs["input_ids"] == model.config.image_token_id, 28)
    bare_lm = AutoModelForCausalLM.from_pretrained(resolve_llm(None)).eval()
    settings = {"max_new_tokens": new_tokens, "min_new_tokens": new_tokens, "do_sample": False}
    geo_times, lm_times = [], []  # (wall, cpu) seconds

    def timed(generate, **kwargs):
        started, cpu_started = time.perf_counter(), time.process_time()
        output = generate(**kwargs, **settings)
        return output, (time.perf_counter() - started, time.process_time() - cpu_started)

    with torch.no_grad():
        model.generate(**inputs, max_new_tokens=2, do_sample=False)  # warm-up
        bare_lm.generate(input_ids=text_ids, attention_mask=inputs["attention_mask"], max_new_tokens=2)
        for _ in range(2):
            output, seconds = timed(model.generate, **inputs)
            geo_times.append(seconds)
            lm_times.append(
                timed(bare_lm.generate, input_ids=text_ids, attention_mask=inputs["attention_mask"])[1]
            )
    del bare_lm
    generated = output.shape[1] - inputs["input_ids"].shape[1]
    batch = processor.training_batch(
        [prompt] * 2,
        ["Mostly coniferous forest with some pastures.", "Arable land and a small town."],
        images=images,
    )
    peft_model = add_lora(model, r=16).train()
    optimizer = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=1e-4)
    peft_model(**batch).loss.backward()  # warm-up
    step_times = []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        started, cpu_started = time.perf_counter(), time.process_time()
        peft_model(**batch).loss.backward()
        optimizer.step()
        step_times.append((time.perf_counter() - started, time.process_time() - cpu_started))
    results = {"build_s": round(load_s, 1), "sequence_tokens": int(batch["input_ids"].shape[1])}
    for clock, column in (("wall", 0), ("cpu", 1)):
        step = statistics.median(pair[column] for pair in step_times)
        geo = statistics.median(pair[column] for pair in geo_times)
        bare = statistics.median(pair[column] for pair in lm_times)
        results[f"lora_train_samples_per_{clock}_s"] = round(2 / step, 3)
        results[f"generate_tokens_per_{clock}_s"] = round(generated / geo, 2)
        results[f"bare_lm_generate_tokens_per_{clock}_s"] = round(new_tokens / bare, 2)
        results[f"generate_ratio_vs_bare_lm_{clock}"] = round(bare / geo, 3)
    results["peak_rss_mib"] = round(_peak_rss_mib())
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per model")
    parser.add_argument("--new-tokens", type=int, default=16, help="generated tokens for the embedded model")
    parser.add_argument("--skip-embedded", action="store_true", help="only the comparison with LLaVA")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch threads (0: torch's default); 1 is steadier on a busy machine",
    )
    parser.add_argument("--worker", choices=["geollava", "llava"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.worker:
        print(json.dumps(memory_worker(args.worker)))
        return 0
    load = os.getloadavg()[0]
    results = {
        "cpu_count": os.cpu_count(),
        "threads": args.threads or "default",
        "load_average_1min": round(load, 2),
    }
    results["vs_llava"] = compare(args.steps)
    print(json.dumps({"vs_llava": results["vs_llava"]}, indent=2), flush=True)
    if not args.skip_embedded:
        from georeset.errors import MissingAssetError

        try:
            results["embedded_smollm2_resnet18"] = embedded(max(2, args.steps // 2), args.new_tokens)
        except MissingAssetError as err:
            results["embedded_smollm2_resnet18"] = f"skipped: {err}"
        print(json.dumps({"embedded_smollm2_resnet18": results["embedded_smollm2_resnet18"]}, indent=2))
    results["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
