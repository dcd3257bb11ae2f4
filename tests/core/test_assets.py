"""The embedded models load offline, and a missing model gives one clear message."""

from __future__ import annotations

import pytest

from georeset import assets
from georeset.errors import MissingAssetError


def test_spacy_pipelines_tag_places_in_english_and_french():
    english = assets.load_spacy("en")("The river Thames flows through London and Oxford.")
    french = assets.load_spacy("fr")("Les inondations ont touché Montpellier et Nîmes.")
    assert {"London", "Oxford"} <= {ent.text for ent in english.ents}
    assert {"Montpellier", "Nîmes"} <= {ent.text for ent in french.ents if ent.label_ == "LOC"}


def test_missing_spacy_pipeline_says_what_to_install():
    with pytest.raises(MissingAssetError, match="xx_no_such_pipeline.*install"):
        assets.load_spacy("xx_no_such_pipeline")


def test_missing_package_says_what_to_install():
    with pytest.raises(MissingAssetError, match="not installed; install it with: pip install nope"):
        assets._package_dir("no_such_package_georeset", "pip install nope")


def test_unknown_hub_id_is_a_clear_error_offline():
    with pytest.raises(
        MissingAssetError, match="cannot load the causal LM 'nobody/no-such-model'.*HF_HUB_OFFLINE"
    ):
        assets.load_causal_lm("nobody/no-such-model")


@pytest.mark.slow
def test_embedded_llm_converts_once_and_generates(tmp_path, monkeypatch):
    import torch

    dense = assets.embedded_llm_path()  # cached dense copy (converted from GGUF on first use)
    assert (dense / "model.safetensors").is_file() and (dense / "tokenizer.json").is_file()
    model, tokenizer = assets.load_causal_lm()
    assert model.dtype == torch.float32 and not getattr(model, "hf_quantizer", None)
    inputs = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Name a river in France."}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**inputs, max_new_tokens=8, do_sample=False)
    assert out.shape[1] > inputs["input_ids"].shape[1]
    # The dense copy reloads with plain transformers and gives the same logits as the loader's model.
    from transformers import AutoModelForCausalLM

    again = AutoModelForCausalLM.from_pretrained(dense, dtype=torch.float32)
    with torch.no_grad():
        assert torch.equal(model(**inputs).logits, again(**inputs).logits)


def test_text_encoder_embeds_sentences():
    encoder = assets.load_text_encoder()
    vectors = encoder.encode(["Paris, France", "Paris, Texas", "a bowl of soup"], normalize_embeddings=True)
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
