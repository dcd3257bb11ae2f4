"""Assemble a GeoLLaVA and its processor from georeset's embedded LM (or any causal LM) and a Sentinel encoder.

This is the georeset side of GeoLLaVA (it knows the embedded SmolLM2); the model files themselves stay free of
georeset imports so that saved checkpoints load anywhere with `trust_remote_code=True`.
"""

from __future__ import annotations

import os

from .configuration_geollava import SentinelEncoderConfig
from .image_processing_geollava import GeoLlavaImageProcessor
from .modeling_geollava import GeoLlavaForConditionalGeneration
from .processing_geollava import GeoLlavaProcessor

DEFAULT_ENCODER = {"architecture": "resnet18", "sensor": "s2_l2a", "image_size": 120}
"""ResNet-18 on Sentinel-2 L2A at BigEarthNet's 120 px: 4 x 4 = 16 image tokens per image."""


def processor_for(model: GeoLlavaForConditionalGeneration, tokenizer) -> GeoLlavaProcessor:
    """The processor that matches a GeoLLaVA: its encoder's sensors and size, its image token and count.

    The tokenizer pads on the left, as batched generation needs (`training_batch` pads on the right itself).
    """
    tokenizer.padding_side = "left"
    return GeoLlavaProcessor(
        image_processor=GeoLlavaImageProcessor.from_encoder_config(model.config.vision_config),
        tokenizer=tokenizer,
        image_token=model.config.image_token,
        image_seq_length=model.config.image_seq_length,
        chat_template=getattr(tokenizer, "chat_template", None),
    )


def build_geollava(
    vision_config: SentinelEncoderConfig | dict | None = None,
    llm: str | os.PathLike | None = None,
    *,
    load_encoder_weights: bool = True,
    device: str | None = None,
    **config_kwargs,
) -> tuple[GeoLlavaForConditionalGeneration, GeoLlavaProcessor]:
    """A new GeoLLaVA (projector untrained) and its processor.

    Args:
        vision_config: the Sentinel encoder's config or dict; default `DEFAULT_ENCODER` (random ResNet-18).
        llm: causal LM, a Hub id or folder; None = the embedded SmolLM2-135M-Instruct.
        load_encoder_weights: load the encoder's `weights` (TorchGeo enum or checkpoint file).
        device: "cpu", "cuda"...; default CUDA when available.
        **config_kwargs: further `GeoLlavaConfig` fields (projector_type...).

    Raises:
        MissingAssetError: the LM or the encoder weights cannot be found.
    """
    from georeset.assets import load_causal_lm

    if vision_config is None:
        vision_config = SentinelEncoderConfig(**DEFAULT_ENCODER)
    elif isinstance(vision_config, dict):
        vision_config = SentinelEncoderConfig(**vision_config)
    language_model, tokenizer = load_causal_lm(llm, device="cpu")
    model = GeoLlavaForConditionalGeneration.from_parts(
        vision_config, language_model, tokenizer, load_encoder_weights=load_encoder_weights, **config_kwargs
    )
    if device:
        model = model.to(device)
    return model.eval(), processor_for(model, tokenizer)


__all__ = ["DEFAULT_ENCODER", "build_geollava", "processor_for"]
