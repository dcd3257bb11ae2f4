"""GeoLLaVA on the embedded SmolLM2-135M and a real BigEarthNet Sentinel-2 patch (slow: loads the LM)."""

from __future__ import annotations

import pytest
import torch

pytestmark = pytest.mark.slow


def test_smollm2_geollava_answers_and_trains_on_a_real_patch(bigearthnet_patch):
    from modeling.geollava.build import build_geollava

    model, processor = build_geollava()
    assert model.config.text_config.model_type == "llama" and model.config.tie_word_embeddings
    assert model.get_input_embeddings().weight.shape[0] == len(processor.tokenizer)  # grew by the image token
    conversation = [
        {
            "role": "user",
            "content": [
                {"type": "image", "image": bigearthnet_patch.s2_files},
                {"type": "text", "text": "What land cover does this Sentinel-2 patch show?"},
            ],
        }
    ]
    inputs = processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=True)
    assert inputs["pixel_values"].shape == (1, 12, 120, 120)
    assert (inputs["input_ids"] == model.config.image_token_id).sum() == 16
    output = model.generate(**inputs, max_new_tokens=6, min_new_tokens=6, do_sample=False)
    answer = processor.tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    assert answer.strip()
    prompt = processor.apply_chat_template(conversation, add_generation_prompt=True)
    batch = processor.training_batch(
        [prompt], ["Coniferous forest and pastures."], images=[bigearthnet_patch.s2_files]
    )
    loss = model(**batch).loss
    assert torch.isfinite(loss) and 0 < loss.item() < 30
