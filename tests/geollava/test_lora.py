"""LoRA through PEFT: which weights train, adapter save/load, merge for export."""

from __future__ import annotations

import numpy as np
import torch

from modeling.geollava import GeoLlavaForConditionalGeneration
from modeling.geollava.lora import add_lora, load_lora, merge_lora

from .conftest import build_tiny_geollava

PROMPT = "<|im_start|>user\n<image>\nwhat is in this image<|im_end|>\n<|im_start|>assistant\n"


def _trainable(model) -> list[str]:
    return [name for name, param in model.named_parameters() if param.requires_grad]


def test_adapters_on_the_language_model_projector_in_full():
    model, _ = build_tiny_geollava()
    peft_model = add_lora(model, r=4)
    trainable = _trainable(peft_model)
    assert any("language_model" in name and "lora_A" in name and "q_proj" in name for name in trainable)
    assert any("multi_modal_projector.modules_to_save" in name for name in trainable)
    assert not any("vision_tower" in name for name in trainable)
    assert not any("embed_tokens" in name or "lm_head" in name for name in trainable)


def test_encoder_adapters_when_asked():
    model, _ = build_tiny_geollava(sensor="s2_l2a", extra_sensors=[{"sensor": "s1"}])
    trainable = _trainable(add_lora(model, r=4, lora_encoder=True))
    assert any("vision_tower.towers.1.layer3.0.conv2.lora_A" in name for name in trainable)
    assert not any("towers.0.conv1" in name for name in trainable)  # stems keep their pretrained weights
    assert any("sensor_embedding.modules_to_save" in name for name in trainable)


def test_adapter_round_trip_and_merge(tmp_path):
    model, processor = build_tiny_geollava()
    model.save_pretrained(tmp_path / "base")
    image = np.random.default_rng(0).integers(1, 5000, (12, 64, 64)).astype(np.uint16)
    batch = processor.training_batch([PROMPT], ["a forest"], images=[image])
    peft_model = add_lora(model, r=4, dropout=0.0)
    optimizer = torch.optim.SGD([p for p in peft_model.parameters() if p.requires_grad], lr=0.5)
    for _ in range(3):  # a few real steps, so the adapter and projector differ from the base
        optimizer.zero_grad()
        peft_model(**batch).loss.backward()
        optimizer.step()
    peft_model.eval()
    inputs = processor(text=PROMPT, images=[image])
    with torch.no_grad():
        tuned = peft_model(**inputs).logits
    peft_model.save_pretrained(tmp_path / "adapter")

    base = GeoLlavaForConditionalGeneration.from_pretrained(tmp_path / "base").eval()
    with torch.no_grad():
        assert not torch.allclose(base(**inputs).logits, tuned, atol=1e-4)
    reloaded = load_lora(base, tmp_path / "adapter").eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**inputs).logits, tuned, rtol=0, atol=0)
    generated = reloaded.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert generated.shape[1] == inputs["input_ids"].shape[1] + 3

    merged = merge_lora(reloaded)
    merged.save_pretrained(tmp_path / "merged")
    exported = GeoLlavaForConditionalGeneration.from_pretrained(tmp_path / "merged").eval()
    with torch.no_grad():
        torch.testing.assert_close(exported(**inputs).logits, tuned, rtol=1e-4, atol=1e-4)
