"""GeoLLaVA end to end with tiny random models: shapes, loss, generation, save/load, remote code, sensors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from georeset.errors import BadInputError
from modeling.geollava import IGNORE_INDEX, GeoLlavaForConditionalGeneration

from .conftest import build_tiny_geollava

PROMPT = "<|im_start|>user\n<image>\nwhat is in this image<|im_end|>\n<|im_start|>assistant\n"


def _s2(seed: int = 0, bands: int = 12, size: int = 64) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 5000, (bands, size, size)).astype(np.uint16)


def test_forward_shapes_and_image_features(tiny_geollava):
    model, processor = tiny_geollava
    inputs = processor(text=[PROMPT, PROMPT + "a forest"], images=[_s2(0), _s2(1)])
    image_tokens = (inputs["input_ids"] == model.config.image_token_id).sum(-1)
    assert image_tokens.tolist() == [model.config.image_seq_length] * 2
    with torch.no_grad():
        out = model(**inputs)
    assert out.logits.shape == (*inputs["input_ids"].shape, model.config.text_config.vocab_size)
    assert out.image_hidden_states.shape == (
        2,
        model.config.image_seq_length,
        model.config.text_config.hidden_size,
    )


def test_images_change_the_answer_logits(tiny_geollava):
    model, processor = tiny_geollava
    with torch.no_grad():
        first = model(**processor(text=PROMPT, images=[_s2(0)])).logits[0, -1]
        second = model(**processor(text=PROMPT, images=[_s2(1)])).logits[0, -1]
    assert not torch.allclose(first, second)


def test_loss_covers_the_answer_only(tiny_geollava):
    model, processor = tiny_geollava
    batch = processor.training_batch(
        [PROMPT, PROMPT], ["a forest", "the river and the city"], images=[_s2(0), _s2(1)]
    )
    labels = batch["labels"]
    answer_positions = labels != IGNORE_INDEX
    assert answer_positions.sum(-1).tolist() == [3, 6]  # answer words + eos
    assert not answer_positions[batch["input_ids"] == model.config.image_token_id].any()
    loss = model(**batch).loss
    loss.backward()
    assert model.model.multi_modal_projector.linear_1.weight.grad is not None
    # whatever the labels say at image-token positions, the loss ignores them
    tampered = labels.clone()
    tampered[batch["input_ids"] == model.config.image_token_id] = 5
    with torch.no_grad():
        torch.testing.assert_close(model(**{**batch, "labels": tampered}).loss, loss.detach())
    model.zero_grad()


def test_generation_reads_pixels_on_the_first_step_only(tiny_geollava):
    model, processor = tiny_geollava
    inputs = processor(text=PROMPT, images=[_s2(0)])
    calls = []
    hook = model.model.vision_tower.register_forward_hook(lambda *args: calls.append(1))
    try:
        output = model.generate(**inputs, max_new_tokens=5, min_new_tokens=5, do_sample=False)
    finally:
        hook.remove()
    assert output.shape == (1, inputs["input_ids"].shape[1] + 5)
    assert len(calls) == 1
    # greedy generation with the cache equals step-by-step argmax without it
    ids = inputs["input_ids"]
    with torch.no_grad():
        for _ in range(5):
            logits = model(input_ids=ids, pixel_values=inputs["pixel_values"]).logits
            ids = torch.cat([ids, logits[:, -1:].argmax(-1)], dim=1)
    assert torch.equal(ids, output)


def test_image_token_count_mismatch_is_explained(tiny_geollava):
    model, processor = tiny_geollava
    inputs = processor(text=PROMPT, images=[_s2(0)])
    with pytest.raises(BadInputError, match=r"hold 4 image tokens .* but 2 images give"):
        model(input_ids=inputs["input_ids"], pixel_values=torch.cat([inputs["pixel_values"]] * 2))
    with pytest.raises(BadInputError, match="2 '<image>' placeholders, but 1 images"):
        processor(text=PROMPT + "<image>", images=[_s2(0)])


@pytest.mark.parametrize(
    ("vision", "images"),
    [
        ({"sensor": "s2_l1c"}, [_s2(0, 13)]),
        ({"sensor": "s2_l2a"}, [_s2(0, 12)]),
        ({"sensor": "rgb"}, [np.random.default_rng(0).integers(0, 255, (64, 64, 3)).astype(np.uint8)]),
        ({"sensor": "s2_l2a", "bands": ["B04", "B03", "B02", "B08"]}, [_s2(0, 4)]),
        ({"sensor": "s1"}, [np.random.default_rng(0).normal(-15, 5, (2, 64, 64)).astype(np.float32)]),
        (
            {"sensor": "s2_l2a", "extra_sensors": [{"sensor": "s1"}]},
            [
                {
                    "s2_l2a": _s2(0),
                    "s1": np.random.default_rng(0).normal(-15, 5, (2, 64, 64)).astype(np.float32),
                }
            ],
        ),
        ({"architecture": "vit_small_patch16_224", "sensor": "s2_l1c", "image_size": 32}, [_s2(0, 13, 32)]),
    ],
    ids=["s2-l1c-13", "s2-l2a-12", "rgb-8bit", "bands-subset", "s1-vv-vh", "s1+s2", "vit-s16"],
)
def test_every_sensor_configuration_trains_and_generates(vision, images):
    model, processor = build_tiny_geollava(**vision)
    batch = processor.training_batch([PROMPT], ["a field"], images=images)
    sensor_images = len(images[0]) if isinstance(images[0], dict) else 1
    assert (
        batch["input_ids"] == model.config.image_token_id
    ).sum() == sensor_images * model.config.image_seq_length
    loss = model(**batch).loss
    assert torch.isfinite(loss)
    loss.backward()
    inputs = processor(text=PROMPT, images=images)
    assert (
        model.generate(**inputs, max_new_tokens=2, do_sample=False).shape[1]
        == inputs["input_ids"].shape[1] + 2
    )


def test_save_and_load_round_trip(tiny_geollava, tmp_path):
    model, processor = tiny_geollava
    inputs = processor(text=PROMPT, images=[_s2(0)])
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    loaded = GeoLlavaForConditionalGeneration.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(**inputs).logits, model(**inputs).logits, rtol=0, atol=0)
    assert loaded.lm_head.weight.data_ptr() == loaded.get_input_embeddings().weight.data_ptr()  # still tied


@pytest.mark.slow  # a fresh Python process imports torch and transformers (~10 s on 2 cores)
def test_trust_remote_code_load_in_a_process_without_georeset(tiny_geollava, tmp_path):
    model, processor = tiny_geollava
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    for name in (
        "configuration_geollava.py",
        "modeling_geollava.py",
        "sentinel_encoder.py",
        "geollava_errors.py",
    ):
        assert (tmp_path / name).is_file()
    image = _s2(3)
    inputs = processor(text=PROMPT, images=[image])
    with torch.no_grad():
        torch.save({"image": image, "logits": model(**inputs).logits}, tmp_path / "reference.pt")
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["georeset"] = None  # importing georeset or modeling now fails: the saved code must stand alone
        sys.modules["modeling"] = None
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor
        folder = {str(tmp_path)!r}
        model = AutoModelForImageTextToText.from_pretrained(folder, trust_remote_code=True).eval()
        processor = AutoProcessor.from_pretrained(folder, trust_remote_code=True)
        reference = torch.load(folder + "/reference.pt", weights_only=False)
        inputs = processor(text={PROMPT!r}, images=[reference["image"]])
        with torch.no_grad():
            logits = model(**inputs).logits
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        print("max-diff", float((logits - reference["logits"]).abs().max()))
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "max-diff 0.0" in result.stdout


def test_left_padded_batch_generates_like_single_prompts(tiny_geollava):
    model, processor = tiny_geollava
    prompts = [PROMPT, "describe the land cover of the patch " + PROMPT]
    images = [_s2(4), _s2(5)]
    side = processor.tokenizer.padding_side
    processor.tokenizer.padding_side = "left"
    try:
        batch = processor(text=prompts, images=images)
    finally:
        processor.tokenizer.padding_side = side
    settings = {
        "max_new_tokens": 2,
        "do_sample": False,
        "output_logits": True,
        "return_dict_in_generate": True,
    }
    batched = model.generate(**batch, **settings).logits[0]
    for index, (prompt, image) in enumerate(zip(prompts, images, strict=True)):
        single = model.generate(**processor(text=prompt, images=[image]), **settings).logits[0]
        torch.testing.assert_close(batched[index], single[0], rtol=1e-4, atol=1e-4)
