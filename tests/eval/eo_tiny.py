"""Tiny GeoLLaVA models and fixture writers in the public formats, for the EO evaluation tests.

The tokenizer is byte-level (any text tokenizes, so class phrases and questions need no vocabulary); the LM and
the encoder are random and tiny. Nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def byte_tokenizer():
    """A byte-level BPE tokenizer without merges, with ChatML special tokens and a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<pad>", "<|im_start|>", "<|im_end|>"]
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {token: index for index, token in enumerate(specials + sorted(alphabet))}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="<unk>",
        pad_token="<pad>",
        eos_token="<|im_end|>",
        additional_special_tokens=["<|im_start|>"],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_eo_model(sensor: str = "s2_l2a", image_size: int = 32, seed: int = 0):
    """An `EOModel` around a random tiny llama and a random ResNet-18 (one image token at 32 px)."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    from eval.eo.model import EOModel
    from modeling.geollava import (
        GeoLlavaForConditionalGeneration,
        GeoLlavaImageProcessor,
        GeoLlavaProcessor,
        SentinelEncoderConfig,
    )

    torch.manual_seed(seed)
    tokenizer = byte_tokenizer()
    text_config = LlamaConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=len(tokenizer) + 1,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        pad_token_id=1,
        eos_token_id=3,
        bos_token_id=2,
    )
    language_model = AutoModelForCausalLM.from_config(text_config)
    vision_config = SentinelEncoderConfig(sensor=sensor, image_size=image_size)
    model = GeoLlavaForConditionalGeneration.from_parts(vision_config, language_model, tokenizer).eval()
    processor = GeoLlavaProcessor(
        image_processor=GeoLlavaImageProcessor.from_encoder_config(vision_config),
        tokenizer=tokenizer,
        image_token=model.config.image_token,
        image_seq_length=model.config.image_seq_length,
        chat_template=CHAT_TEMPLATE,
    )
    info = {
        "id": "tiny-test",
        "untrained": True,
        "encoder": {"sensor": sensor, "bands": list(vision_config.bands)},
    }
    return EOModel(model=model, processor=processor, name="tiny-test", untrained=True, info=info)


# Typical Sentinel-2 L2A reflectance (B01..B12 without B10, x 10,000) of a few surfaces, so fixtures look like
# Sentinel data; the classes differ mainly in the red / near-infrared contrast, as in real scenes.
SIGNATURES_L2A = {
    "water": [600, 500, 450, 300, 250, 200, 180, 150, 140, 120, 80, 60],
    "forest": [300, 350, 550, 350, 900, 2200, 2800, 3000, 3100, 3100, 1500, 700],
    "cropland": [500, 700, 1000, 1100, 1500, 2200, 2500, 2700, 2800, 2800, 2600, 1800],
    "urban": [1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000, 2050, 2050, 2400, 2200],
    "grassland": [400, 500, 800, 600, 1200, 2600, 3200, 3400, 3500, 3500, 2100, 1100],
}
L2A_BANDS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"]


def signature_pixels(
    name: str, shape: tuple[int, int], rng: np.random.Generator, noise: float = 0.08
) -> np.ndarray:
    """`(12, h, w)` uint16 L2A digital numbers of a surface, with multiplicative noise."""
    base = np.asarray(SIGNATURES_L2A[name], dtype=np.float32)[:, None, None]
    values = base * (1 + noise * rng.standard_normal((len(base), *shape)))
    return np.clip(values, 1, 10000).astype(np.uint16)


def write_geotiff(
    path: Path, pixels: np.ndarray, crs: str, transform, nodata=None, descriptions=None
) -> Path:
    """A GeoTIFF of `(bands, h, w)` pixels."""
    import rasterio

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=pixels.shape[1],
        width=pixels.shape[2],
        count=pixels.shape[0],
        dtype=pixels.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(pixels)
        if descriptions:
            dst.descriptions = tuple(descriptions)
    return path


EUROSAT_COLOURS = {"Forest": (40, 90, 40), "SeaLake": (30, 50, 120), "Industrial": (150, 150, 150)}


def write_eurosat_rgb_classes(root: Path, per_class: int = 8, seed: int = 0) -> Path:
    """EuroSAT RGB `2750/<Class>/<Class>_N.jpg` JPEGs whose colour depends on the class (a probe can learn it)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for name, colour in EUROSAT_COLOURS.items():
        folder = root / "2750" / name
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(per_class):
            noise = rng.normal(0, 20, (64, 64, 3))
            image = np.clip(np.asarray(colour)[None, None] + noise, 0, 255).astype(np.uint8)
            Image.fromarray(image).save(folder / f"{name}_{n + 1}.jpg", quality=95)
    return root


def save_tiny_checkpoint(folder: Path) -> Path:
    """A tiny GeoLLaVA saved with its processor, loadable by `from_pretrained` (like a trained checkpoint)."""
    eo_model = build_tiny_eo_model()
    eo_model.model.save_pretrained(folder)
    eo_model.processor.save_pretrained(folder)
    return folder
