"""Fixtures of the GeoLLaVA tests: a tiny word-level tokenizer, tiny random models, real Sentinel samples.

Everything is built locally in seconds; nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
WORDS = (
    "what is in this image a field forest river city sea lake crop pasture highway industrial residential "
    "the it shows and of land cover answer yes no where Sentinel radar optical patch describe"
).split()

# The 13 bands of EuroSAT_MS GeoTIFFs in file order (B8A comes last).
EUROSAT_MS_BANDS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10", "B11", "B12", "B8A"]


def make_tiny_tokenizer():
    """A word-level tokenizer with ChatML-style special tokens and a chat template (no image token yet)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<pad>", "<|im_start|>", "<|im_end|>"]
    vocab = {token: index for index, token in enumerate(specials + ["user", "assistant", "system"] + WORDS)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="<unk>",
        pad_token="<pad>",
        eos_token="<|im_end|>",
        additional_special_tokens=["<|im_start|>"],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_text_config(vocab_size: int) -> dict:
    return {
        "model_type": "llama",
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": vocab_size,
        "max_position_embeddings": 512,
        "tie_word_embeddings": True,
        "pad_token_id": 1,
        "eos_token_id": 3,
        "bos_token_id": 2,
    }


def build_tiny_geollava(**vision_kwargs):
    """(model, processor) with a random tiny llama and a random ResNet-18 encoder, built like real ones."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    from modeling.geollava import (
        GeoLlavaForConditionalGeneration,
        GeoLlavaImageProcessor,
        GeoLlavaProcessor,
        SentinelEncoderConfig,
    )

    torch.manual_seed(0)
    tokenizer = make_tiny_tokenizer()
    language_model = AutoModelForCausalLM.from_config(LlamaConfig(**tiny_text_config(len(tokenizer))))
    vision_kwargs = {"image_size": 64, **vision_kwargs}
    vision_config = SentinelEncoderConfig(**vision_kwargs)
    model = GeoLlavaForConditionalGeneration.from_parts(vision_config, language_model, tokenizer).eval()
    processor = GeoLlavaProcessor(
        image_processor=GeoLlavaImageProcessor.from_encoder_config(vision_config),
        tokenizer=tokenizer,
        image_token=model.config.image_token,
        image_seq_length=model.config.image_seq_length,
    )
    return model, processor


@pytest.fixture
def tiny_tokenizer():
    return make_tiny_tokenizer()


@pytest.fixture(scope="module")
def tiny_geollava():
    return build_tiny_geollava()


@pytest.fixture(scope="session")
def bigearthnet_patch():
    """A real BigEarthNet place: 12 Sentinel-2 L2A band files and its Sentinel-1 VV/VH files."""
    from georeset.errors import MissingAssetError
    from modeling.geollava.sample_data import bigearthnet_patches

    try:
        return next(patch for patch in bigearthnet_patches() if patch.s1_files)
    except MissingAssetError as err:
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def eurosat_ms_files(shared_data) -> list[Path]:
    files = sorted((shared_data / "sentinel2" / "eurosat-ms-subset").glob("*/*/*.tif"))
    if not files:
        pytest.skip("no EuroSAT_MS GeoTIFFs in ../shared/data/sentinel2/eurosat-ms-subset")
    return files
