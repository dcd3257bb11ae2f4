"""GeoLlavaProcessor: image-token expansion, chat template with images, training labels, save/load."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from georeset.errors import BadInputError
from modeling.geollava import GeoLlavaImageProcessor, GeoLlavaProcessor, SentinelEncoderConfig

from .conftest import make_tiny_tokenizer


def _processor(**vision) -> GeoLlavaProcessor:
    from transformers import AddedToken

    tokenizer = make_tiny_tokenizer()
    tokenizer.add_tokens([AddedToken("<image>", special=True, normalized=False)], special_tokens=True)
    config = SentinelEncoderConfig(image_size=64, **vision)
    return GeoLlavaProcessor(
        image_processor=GeoLlavaImageProcessor.from_encoder_config(config),
        tokenizer=tokenizer,
        image_seq_length=config.num_image_tokens,
    )


def _s2(bands: int = 12) -> np.ndarray:
    return np.random.default_rng(0).integers(1, 5000, (bands, 64, 64)).astype(np.uint16)


def _s1() -> np.ndarray:
    return np.random.default_rng(0).normal(-15, 4, (2, 64, 64)).astype(np.float32)


def test_each_placeholder_becomes_the_encoder_tokens():
    processor = _processor()
    out = processor(
        text=["<image> what is in this image", "describe <image> and <image>"], images=[_s2()] * 3
    )
    counts = (out["input_ids"] == processor.image_token_id).sum(-1)
    assert counts.tolist() == [4, 8]  # 64 px through ResNet-18 layer4: 2 x 2 tokens per image
    assert out["pixel_values"].shape == (3, 12, 64, 64)
    assert out["attention_mask"][0].sum() < out["attention_mask"][1].sum()  # padded batch


def test_a_place_seen_by_two_sensors_takes_both_token_blocks():
    processor = _processor(sensor="s2_l2a", extra_sensors=[{"sensor": "s1"}])
    out = processor(text="<image> radar and optical", images=[{"s2_l2a": _s2(), "s1": _s1()}])
    assert (out["input_ids"] == processor.image_token_id).sum() == 8
    assert out["image_sensor_ids"].tolist() == [0, 1]
    only_radar = processor(text="<image> radar", images=[_s1()], sensor="s1")
    assert only_radar["image_sensor_ids"].tolist() == [1]


def test_chat_template_with_image_parts():
    processor = _processor()
    conversation = [
        {
            "role": "user",
            "content": [{"type": "image", "image": _s2()}, {"type": "text", "text": "what is in this image"}],
        }
    ]
    prompt = processor.apply_chat_template(conversation, add_generation_prompt=True)
    assert prompt == "<|im_start|>user\n<image>\nwhat is in this image<|im_end|>\n<|im_start|>assistant\n"
    batch = processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=True)
    assert batch["pixel_values"].shape == (1, 12, 64, 64)
    assert (batch["input_ids"] == processor.image_token_id).sum() == 4
    with pytest.raises(BadInputError, match="unknown message part"):
        processor.apply_chat_template([{"role": "user", "content": [{"type": "video"}]}])


def test_training_labels_mask_prompt_images_and_padding():
    processor = _processor()
    prompt = processor.apply_chat_template(
        [{"role": "user", "content": "<image> what is in this image"}], add_generation_prompt=True
    )
    batch = processor.training_batch([prompt, prompt], ["yes", "a river and a city"], images=[_s2(), _s2()])
    labels, ids = batch["labels"], batch["input_ids"]
    kept = labels != -100
    assert processor.tokenizer.decode(ids[1][kept[1]]) == "a river and a city <|im_end|>"
    assert processor.tokenizer.decode(ids[0][kept[0]]) == "yes <|im_end|>"
    assert torch.equal(labels[kept], ids[kept])
    assert processor.tokenizer.padding_side == "right"  # restored after the right-padded training batch


def test_tokenizer_without_the_image_token_is_refused():
    config = SentinelEncoderConfig(image_size=64)
    with pytest.raises(BadInputError, match="splits the image token"):
        GeoLlavaProcessor(
            image_processor=GeoLlavaImageProcessor.from_encoder_config(config),
            tokenizer=make_tiny_tokenizer(),
        )


def test_save_and_load(tmp_path):
    processor = _processor(sensor="s1")
    processor.save_pretrained(tmp_path)
    loaded = GeoLlavaProcessor.from_pretrained(tmp_path)
    assert (
        loaded.image_seq_length == processor.image_seq_length
        and loaded.image_token_id == processor.image_token_id
    )
    assert loaded.image_processor.sensors == processor.image_processor.sensors
    first, second = (
        processor(text="<image> radar", images=[_s1()]),
        loaded(text="<image> radar", images=[_s1()]),
    )
    assert torch.equal(first["input_ids"], second["input_ids"])
    torch.testing.assert_close(first["pixel_values"], second["pixel_values"])
