"""GeoLLaVA through the local Hub server: push_to_hub, then from_pretrained (Auto classes and remote code)."""

from __future__ import annotations

import uuid

import numpy as np
import torch
from transformers import AutoModelForImageTextToText, AutoProcessor

from modeling.geollava.lora import add_lora, load_lora

from .conftest import build_tiny_geollava

PROMPT = "<|im_start|>user\n<image>\nwhat is in this image<|im_end|>\n<|im_start|>assistant\n"


def test_push_then_load_gives_identical_outputs(hub_env, tiny_geollava):
    model, processor = tiny_geollava
    repo_id = f"georeset-test/geollava-{uuid.uuid4().hex[:8]}"
    model.push_to_hub(repo_id)
    processor.push_to_hub(repo_id)
    image = np.random.default_rng(7).integers(1, 5000, (12, 64, 64)).astype(np.uint16)
    inputs = processor(text=PROMPT, images=[image])
    with torch.no_grad():
        reference = model(**inputs).logits
    for remote_code in (False, True):  # the registered classes, then the code files pushed with the weights
        loaded = AutoModelForImageTextToText.from_pretrained(repo_id, trust_remote_code=remote_code).eval()
        loaded_processor = AutoProcessor.from_pretrained(repo_id, trust_remote_code=remote_code)
        loaded_inputs = loaded_processor(text=PROMPT, images=[image])
        assert torch.equal(loaded_inputs["input_ids"], inputs["input_ids"])
        with torch.no_grad():
            assert torch.equal(loaded(**loaded_inputs).logits, reference)


def test_lora_adapter_push_then_load(hub_env):
    model, processor = build_tiny_geollava()  # its own model: PEFT changes the model it wraps
    base_id = f"georeset-test/geollava-base-{uuid.uuid4().hex[:8]}"
    model.push_to_hub(base_id)
    peft_model = add_lora(model, r=4)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.05)
    peft_model.eval()
    inputs = processor(text=PROMPT, images=[np.full((12, 64, 64), 1200, dtype=np.uint16)])
    with torch.no_grad():
        tuned = peft_model(**inputs).logits
    adapter_id = f"georeset-test/geollava-lora-{uuid.uuid4().hex[:8]}"
    peft_model.push_to_hub(adapter_id)
    base = AutoModelForImageTextToText.from_pretrained(base_id).eval()
    with torch.no_grad():
        assert torch.equal(load_lora(base, adapter_id).eval()(**inputs).logits, tuned)
