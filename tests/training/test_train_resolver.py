"""The resolver training script end to end on a tiny random Llama: train, checkpoints, resume, refuse bad data,
card, push to a Hub server, and the geoparser's resolver loading the pushed adapter."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests_training_helpers import make_examples, write_examples_folder

from georeset.errors import BadInputError
from training.train_resolver import main

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "training" / "train_resolver.py"


def base_args(dataset: Path, model: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--dataset",
        str(dataset),
        "--model_name_or_path",
        str(model),
        "--output_dir",
        str(out),
        "--per_device_train_batch_size",
        "4",
        "--lora_r",
        "4",
        "--lora_alpha",
        "8",
        "--max_eval_examples",
        "8",
        "--learning_rate",
        "1e-3",
        *extra,
    ]


def test_train_saves_adapter_card_and_metrics(tmp_path, tiny_model, examples_dir):
    out = tmp_path / "run"
    assert main(base_args(examples_dir, tiny_model, out, "--max_steps", "4", "--save_steps", "2")) == 0
    assert (out / "adapter_model.safetensors").is_file() and (out / "checkpoint-4").is_dir()
    metrics = json.loads((out / "resolver_metrics.json").read_text())
    assert metrics["steps"] == 4 and metrics["train_examples"] == 32 and metrics["validation_examples"] == 8
    assert set(metrics["validation_accuracy"]) >= {"base all", "LoRA all"}
    card = (out / "README.md").read_text()
    assert "library_name: peft" in card and "Geoparser(resolver=" in card and "| LoRA all |" in card
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tiny_model)  # not the embedded model: kept as given
    resolver_config = json.loads((out / "resolver_config.json").read_text())
    assert resolver_config["scoring"] == "option-text" and "llm_weight" in resolver_config


def test_examples_tokenize_for_either_scoring(tiny_model):
    from transformers import AutoTokenizer

    from modeling.geoparsing.resolve_llm import option_place
    from training.resolver_data import letter_ids, tokenize_example

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    example = make_examples(4)[1]
    letters = letter_ids(tokenizer)
    cloze = tokenize_example(example, tokenizer, letters, scoring="option-text")
    answer = [t for t, m in zip(cloze["input_ids"], cloze["completion_mask"], strict=True) if m]
    place = option_place(example["options"][example["answer"]])
    assert tokenizer.decode(answer).strip() == place  # the loss is on the answer's place, nothing else
    assert cloze["completion_mask"][-len(answer) :] == [1] * len(answer) and sum(
        cloze["completion_mask"]
    ) == len(answer)
    letter = tokenize_example(example, tokenizer, letters, scoring="letter")
    assert letter["input_ids"][-1] == letters[example["answer"]] and sum(letter["completion_mask"]) == 1


def test_resume_from_last_checkpoint(tmp_path, tiny_model, examples_dir):
    out = tmp_path / "run"
    main(base_args(examples_dir, tiny_model, out, "--max_steps", "2", "--save_steps", "2"))
    main(
        base_args(
            examples_dir,
            tiny_model,
            out,
            "--max_steps",
            "4",
            "--save_steps",
            "2",
            "--resume_from_checkpoint",
            "last",
        )
    )
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    metrics = json.loads((out / "resolver_metrics.json").read_text())
    assert metrics["steps"] == 4
    first_segment = json.loads((out / "checkpoint-2" / "georeset_train_seconds.json").read_text())["seconds"]
    assert metrics["train_seconds"] >= first_segment > 0  # the resumed run counts the time before the kill


def test_refuses_useless_data_before_loading_a_model(tmp_path):
    empty = write_examples_folder(tmp_path / "empty", [])
    with pytest.raises(BadInputError, match="empty"):
        main(
            [
                "--dataset",
                str(empty),
                "--output_dir",
                str(tmp_path / "x"),
                "--model_name_or_path",
                "/nonexistent",
            ]
        )
    single = write_examples_folder(tmp_path / "single", make_examples(12, answers=[1] * 12))
    with pytest.raises(BadInputError, match="single-class"):
        main(
            [
                "--dataset",
                str(single),
                "--output_dir",
                str(tmp_path / "x"),
                "--model_name_or_path",
                "/nonexistent",
            ]
        )
    with pytest.raises(BadInputError, match="no complete checkpoint"):
        main(
            [
                "--dataset",
                str(write_examples_folder(tmp_path / "ok", make_examples(20))),
                "--output_dir",
                str(tmp_path / "fresh"),
                "--model_name_or_path",
                "/nonexistent",
                "--resume_from_checkpoint",
                "last",
                "--max_steps",
                "1",
            ]
        )


def test_push_then_the_geoparser_resolver_loads_it(tmp_path, tiny_model, examples_dir, hub_env):
    from modeling.geoparsing.resolve_llm import LLMQuestion, LLMResolver

    out = tmp_path / "run"
    main(
        base_args(
            examples_dir,
            tiny_model,
            out,
            "--max_steps",
            "2",
            "--push_to_hub",
            "--hub_model_id",
            "georeset/resolver-test",
        )
    )
    from huggingface_hub import HfApi

    files = set(HfApi().list_repo_files("georeset/resolver-test"))
    assert {"adapter_config.json", "adapter_model.safetensors", "README.md", "resolver_metrics.json"} <= files
    assert not any(name.startswith("checkpoint-") for name in files)
    resolver = LLMResolver("georeset/resolver-test", device="cpu")
    scores = resolver.score(
        [LLMQuestion("Rain in [[Paris]], Texas.", "Paris", ["Paris (France)", "Paris (Texas)"])]
    )
    assert len(scores[0]) == 2
    assert type(resolver.model).__name__.startswith("Peft")


@pytest.mark.slow
def test_killed_run_resumes_with_accelerate_launch(tmp_path, tiny_model):
    """A real kill (SIGKILL after the first checkpoint), then `--resume_from_checkpoint last` under
    `accelerate launch` with the one-process CPU config."""
    dataset = write_examples_folder(tmp_path / "ex", make_examples(400))
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(REPO / "training" / "configs" / "cpu_1proc.yaml"),
        str(SCRIPT),
        *base_args(dataset, tiny_model, out, "--save_steps", "2", "--per_device_train_batch_size", "1"),
    ]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [*command, "--max_steps", "100000"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 180
    while not any(out.glob("checkpoint-*/trainer_state.json")) and time.time() < deadline:
        if process.poll() is not None:
            pytest.fail(f"training exited early with {process.returncode}")
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (out / "adapter_model.safetensors").exists()
    first = max(int(p.name.split("-")[1]) for p in out.glob("checkpoint-*"))
    resumed = subprocess.run(
        [*command, "--max_steps", str(first + 2), "--resume_from_checkpoint", "last"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    metrics = json.loads((out / "resolver_metrics.json").read_text())
    assert metrics["steps"] == first + 2


def test_resume_last_skips_a_checkpoint_half_written_by_a_kill(tmp_path):
    from types import SimpleNamespace

    from training.checkpoints import resume_checkpoint as _resume_checkpoint

    out = tmp_path / "run"
    for step, complete in ((2, True), (4, True), (6, False)):
        folder = out / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        (folder / "adapter_model.safetensors").write_bytes(b"x")
        if complete:
            (folder / "trainer_state.json").write_text("{}")
    assert _resume_checkpoint(SimpleNamespace(resume_from_checkpoint="last", output_dir=str(out))) == str(
        out / "checkpoint-4"
    )
    with pytest.raises(BadInputError, match="checkpoint-6.*incomplete"):
        _resume_checkpoint(
            SimpleNamespace(resume_from_checkpoint=str(out / "checkpoint-6"), output_dir=str(out))
        )
    with pytest.raises(BadInputError, match="no complete checkpoint"):
        _resume_checkpoint(SimpleNamespace(resume_from_checkpoint="last", output_dir=str(tmp_path / "empty")))
