"""transformers against the local server: a tiny model and a tokenizer pushed, then loaded back identical."""

from __future__ import annotations

import uuid

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from georeset.hub.roundtrip_demo import run_hub_roundtrip, tiny_llama  # noqa: E402

pytestmark = pytest.mark.slow  # importing torch + transformers alone takes ~10 s on 2 cores


def _repo(prefix: str) -> str:
    return f"georeset-test/{prefix}-{uuid.uuid4().hex[:8]}"


def _tiny_tokenizer() -> transformers.PreTrainedTokenizerFast:
    words = [
        "[UNK]",
        "[PAD]",
        "flooding",
        "hit",
        "montpellier",
        "and",
        "the",
        "hérault",
        "valley",
        "on",
        "monday",
    ]
    model = tokenizers.models.WordLevel({word: i for i, word in enumerate(words)}, unk_token="[UNK]")
    backend = tokenizers.Tokenizer(model)
    backend.normalizer = tokenizers.normalizers.Lowercase()
    backend.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]"
    )


def test_model_push_then_from_pretrained_is_bit_identical(hub_env):
    model = tiny_llama()
    repo_id = _repo("tiny-llama")
    model.push_to_hub(repo_id)

    loaded = transformers.AutoModelForCausalLM.from_pretrained(repo_id).eval()
    original_state, loaded_state = model.state_dict(), loaded.state_dict()
    assert original_state.keys() == loaded_state.keys()
    for name, tensor in original_state.items():
        assert torch.equal(tensor, loaded_state[name]), name
    input_ids = torch.tensor([[1, 5, 9, 42, 7]])
    with torch.no_grad():
        assert torch.equal(model(input_ids).logits, loaded(input_ids).logits)


def test_tokenizer_push_then_load(hub_env):
    tokenizer = _tiny_tokenizer()
    repo_id = _repo("tiny-tokenizer")
    tokenizer.push_to_hub(repo_id)

    loaded = transformers.AutoTokenizer.from_pretrained(repo_id)
    sentence = "Flooding hit Montpellier and the Hérault valley on Monday"
    assert loaded(sentence)["input_ids"] == tokenizer(sentence)["input_ids"]
    assert loaded.convert_ids_to_tokens(loaded("unknown words")["input_ids"]) == ["[UNK]", "[UNK]"]
    assert loaded.pad_token == "[PAD]"


def test_demo_round_trip(tmp_path):
    report = run_hub_roundtrip(tmp_path, rows=20)
    assert report.dataset_rows == 20 and report.model_parameters > 0
    assert (
        tmp_path / "hub-root" / "repos" / "datasets" / "georeset-demo" / "largest-cities" / "refs.json"
    ).is_file()
