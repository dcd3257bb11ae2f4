"""GeoLLaVA: a LLaVA-style model that reads Sentinel-1/-2 images through a TorchGeo encoder.

Importing this package registers the classes with transformers' Auto classes (`AutoConfig`, `AutoModel`,
`AutoModelForImageTextToText`, `AutoImageProcessor`, `AutoProcessor`) and marks them for `auto_map`, so that
`save_pretrained` also writes the code files and `from_pretrained(..., trust_remote_code=True)` works where
georeset is not installed.

Usage (the embedded SmolLM2-135M and a ResNet-18 on Sentinel-2 L2A; any causal LM and TorchGeo weights work):

    from modeling.geollava.build import build_geollava
    from modeling.geollava.lora import add_lora

    model, processor = build_geollava({"architecture": "resnet18", "sensor": "s2_l1c",
                                       "weights": "ResNet18_Weights.SENTINEL2_ALL_MOCO", "image_size": 64})
    messages = [{"role": "user", "content": [{"type": "image", "image": "patch.tif"},
                                              {"type": "text", "text": "What land cover is this?"}]}]
    inputs = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                           input_bands=EUROSAT_ORDER)  # when the file's band order differs
    answer = model.generate(**inputs, max_new_tokens=40)
    peft_model = add_lora(model)  # LoRA on the LM, projector trained in full
"""

from __future__ import annotations

from transformers import (
    AutoConfig,
    AutoImageProcessor,
    AutoModel,
    AutoModelForImageTextToText,
    AutoProcessor,
)

from .configuration_geollava import (
    ARCHITECTURES,
    SENSOR_BANDS,
    GeoLlavaConfig,
    SentinelEncoderConfig,
    canonical_band_name,
    sensor_bands,
)
from .image_processing_geollava import GeoLlavaImageProcessor, default_sensor_spec, read_geotiff
from .modeling_geollava import (
    IGNORE_INDEX,
    GeoLlavaCausalLMOutputWithPast,
    GeoLlavaForConditionalGeneration,
    GeoLlavaModel,
    GeoLlavaModelOutputWithPast,
    GeoLlavaPreTrainedModel,
)
from .processing_geollava import GeoLlavaProcessor
from .sentinel_encoder import SentinelEncoderModel, SentinelEncoderOutput, load_backbone_state


def _register() -> None:
    """Register with the Auto classes (for users who import georeset) and for `auto_map` (for everyone else)."""
    AutoConfig.register(GeoLlavaConfig.model_type, GeoLlavaConfig, exist_ok=True)
    AutoConfig.register(SentinelEncoderConfig.model_type, SentinelEncoderConfig, exist_ok=True)
    AutoModel.register(SentinelEncoderConfig, SentinelEncoderModel, exist_ok=True)
    AutoModel.register(GeoLlavaConfig, GeoLlavaModel, exist_ok=True)
    AutoModelForImageTextToText.register(GeoLlavaConfig, GeoLlavaForConditionalGeneration, exist_ok=True)
    AutoImageProcessor.register(
        GeoLlavaConfig, image_processor_classes={"torchvision": GeoLlavaImageProcessor}, exist_ok=True
    )
    AutoProcessor.register(GeoLlavaConfig, GeoLlavaProcessor, exist_ok=True)
    GeoLlavaConfig.register_for_auto_class()
    GeoLlavaForConditionalGeneration.register_for_auto_class("AutoModelForImageTextToText")
    GeoLlavaImageProcessor.register_for_auto_class("AutoImageProcessor")
    GeoLlavaProcessor.register_for_auto_class("AutoProcessor")


_register()

__all__ = [
    "ARCHITECTURES",
    "IGNORE_INDEX",
    "SENSOR_BANDS",
    "GeoLlavaCausalLMOutputWithPast",
    "GeoLlavaConfig",
    "GeoLlavaForConditionalGeneration",
    "GeoLlavaImageProcessor",
    "GeoLlavaModel",
    "GeoLlavaModelOutputWithPast",
    "GeoLlavaPreTrainedModel",
    "GeoLlavaProcessor",
    "SentinelEncoderConfig",
    "SentinelEncoderModel",
    "SentinelEncoderOutput",
    "canonical_band_name",
    "default_sensor_spec",
    "load_backbone_state",
    "read_geotiff",
    "sensor_bands",
]
