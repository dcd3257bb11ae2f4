"""LoRA for GeoLLaVA through PEFT: adapters on the language model (and optionally the encoder), projector fully
trained.

The projector (and the sensor embedding of multi-sensor encoders) is new in every GeoLLaVA, so it is trained in
full and saved with the adapter (`modules_to_save`); the language model and the encoder keep their pretrained
weights under low-rank adapters. `merge_lora` folds the adapters in for export as a plain GeoLLaVA checkpoint.
"""

from __future__ import annotations

import os
import re

from torch import nn

from .geollava_errors import BadInputError
from .modeling_geollava import GeoLlavaForConditionalGeneration

LM_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
"""Linear layers of llama-style language models (SmolLM2, Llama, Qwen2, Mistral) that get adapters."""

ENCODER_TARGETS = {
    "resnet": (r"conv\d",),  # the 3x3/1x1 convolutions of every residual block
    "vit": ("qkv", "proj", "fc1", "fc2"),
}


def lora_target_regex(model: GeoLlavaForConditionalGeneration, lora_encoder: bool = False) -> str:
    """A PEFT `target_modules` regex that names the LM's projections (and the encoder's layers if asked)."""
    lm_names = {name.rsplit(".", 1)[-1] for name, module in model.model.language_model.named_modules()}
    targets = [name for name in LM_TARGETS if name in lm_names]
    if not targets:
        # Other LM families (GPT-2's c_attn...): every Linear of the language model.
        targets = sorted(
            {
                name.rsplit(".", 1)[-1]
                for name, module in model.model.language_model.named_modules()
                if isinstance(module, nn.Linear)
            }
        )
    pattern = rf"model\.language_model\..*\.({'|'.join(map(re.escape, targets))})"
    if lora_encoder:
        encoder_targets = ENCODER_TARGETS[model.config.vision_config.family]
        # ResNet stems (conv1 of the tower itself) are excluded: only the layers inside residual stages.
        pattern += rf"|model\.vision_tower\.towers\.\d+\.(layer\d\.\d+|blocks\.\d+)\.(.*\.)?({'|'.join(encoder_targets)})"
    return pattern


def add_lora(
    model: GeoLlavaForConditionalGeneration,
    r: int = 16,
    alpha: int = 32,
    dropout: float = 0.05,
    lora_encoder: bool = False,
):
    """Wrap a GeoLLaVA in PEFT LoRA adapters; the projector (and sensor embedding) train in full.

    Args:
        model: the GeoLLaVA to adapt (it is modified in place, as PEFT does).
        r: LoRA rank.
        alpha: LoRA scaling numerator.
        dropout: dropout on the adapter input.
        lora_encoder: also put adapters on the Sentinel encoder's layers (otherwise it stays as configured).

    Returns:
        A `peft.PeftModelForCausalLM`; `.generate()`, `.save_pretrained()` and the HF `Trainer` work on it.
    """
    from peft import LoraConfig, get_peft_model

    if not isinstance(model, GeoLlavaForConditionalGeneration):
        raise BadInputError(
            f"add_lora expects a GeoLlavaForConditionalGeneration, got {type(model).__name__}"
        )
    modules_to_save = ["multi_modal_projector"]
    if model.model.vision_tower.sensor_embedding is not None:
        modules_to_save.append("sensor_embedding")
    config = LoraConfig(
        r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=lora_target_regex(model, lora_encoder),
        modules_to_save=modules_to_save,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def load_lora(model: GeoLlavaForConditionalGeneration, adapter: str | os.PathLike, trainable: bool = False):
    """Put a saved adapter (folder or Hub id) on a GeoLLaVA: the base model must be the one it was trained on."""
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, str(adapter), is_trainable=trainable)
    except (OSError, ValueError) as err:
        raise BadInputError(f"cannot load the LoRA adapter '{adapter}': {err}") from err


def merge_lora(peft_model) -> GeoLlavaForConditionalGeneration:
    """Fold the adapters into the weights and return the plain GeoLLaVA, ready for `save_pretrained`."""
    merged = peft_model.merge_and_unload()
    if not isinstance(merged, GeoLlavaForConditionalGeneration):
        raise BadInputError(f"merging gave a {type(merged).__name__}, not a GeoLLaVA")
    return merged


__all__ = ["ENCODER_TARGETS", "LM_TARGETS", "add_lora", "load_lora", "lora_target_regex", "merge_lora"]
