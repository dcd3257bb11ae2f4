"""GeoLLaVA training in process on a tiny random Llama + ResNet-18: arguments, both stages, checkpoints, the data
checks that fail before the first step, the collator, and a push to the local Hub that loads and answers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch
from geollava_helpers import instruction_rows, write_instruction_dataset

from georeset.errors import BadInputError
from training.train_geollava import main, parse_arguments

REPO = Path(__file__).resolve().parents[2]
SIZE = 32  # ResNet-18 at 32 px: one image token per patch, seconds per run


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return instruction_rows(SIZE)


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory, rows) -> Path:
    return write_instruction_dataset(tmp_path_factory.mktemp("geollava-data"), rows, SIZE)


pytestmark = pytest.mark.usefixtures("one_thread")


def run_args(dataset: Path, model: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--dataset", str(dataset), "--llm", str(model), "--image_size", str(SIZE), "--output_dir", str(out),
        "--per_device_train_batch_size", "4", "--logging_steps", "1", "--learning_rate", "5e-3",
        "--lora_r", "4", "--lora_alpha", "8", *extra,
    ]  # fmt: skip


def losses(out: Path) -> list[float]:
    record = json.loads((out / "geollava_training.json").read_text())
    return [loss for _, loss in record["stages"][-1]["loss_curve"]]


def test_arguments_from_yaml_and_json_files_with_flag_overrides(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(
        "dataset: some/data\nstage: instruct\nlora_r: 8\nmax_steps: 7\nencoder_bands: [B04, B03]\n"
    )
    model_args, data_args, training_args = parse_arguments([str(config), "--max_steps", "3"])
    assert (model_args.stage, model_args.lora_r, model_args.encoder_bands) == ("instruct", 8, ["B04", "B03"])
    assert data_args.dataset == "some/data" and training_args.max_steps == 3  # the flag wins
    assert training_args.remove_unused_columns is False and not training_args.bf16  # CPU: no mixed precision
    as_json = tmp_path / "run.json"
    as_json.write_text(json.dumps({"dataset": "d", "tasks": ["caption"], "gradient_accumulation_steps": 2}))
    _, data_args, training_args = parse_arguments(["--config", str(as_json)])
    assert data_args.tasks == ["caption"] and training_args.gradient_accumulation_steps == 2
    config.write_text("dataset: d\nlearning_rat: 0.1\n")
    with pytest.raises(BadInputError, match="unknown arguments.*learning_rat"):
        parse_arguments([str(config)])
    demo = parse_arguments([str(REPO / "training" / "configs" / "geollava_demo_cpu.yaml")])
    assert demo[0].llm == "embedded" and demo[2].max_steps > 0


def test_align_checkpoints_hold_no_frozen_lm_and_resume_continues_the_loss_curve(
    tmp_path, dataset_dir, tiny_model
):
    from safetensors import safe_open

    from modeling.geollava import GeoLlavaForConditionalGeneration

    full = tmp_path / "full"
    assert main(run_args(dataset_dir, tiny_model, full, "--max_steps", "6", "--save_steps", "3")) == 0
    with safe_open(full / "checkpoint-3" / "model.safetensors", "pt") as checkpoint:
        names = list(checkpoint.keys())
    assert any(name.startswith("model.multi_modal_projector.") for name in names)
    assert any(name.startswith("model.vision_tower.") for name in names)  # random encoder: kept
    assert not any("language_model" in name or name.startswith("lm_head") for name in names)  # frozen LM: not
    # A second run resumes from the checkpoint copied alone (as a kill after step 3 would leave it).
    resumed = tmp_path / "resumed"
    resumed.mkdir()
    import shutil

    shutil.copytree(full / "checkpoint-3", resumed / "checkpoint-3")
    args = run_args(dataset_dir, tiny_model, resumed, "--max_steps", "6", "--save_steps", "3")
    assert main([*args, "--resume_from_checkpoint", "last"]) == 0
    np.testing.assert_allclose(losses(resumed), losses(full), atol=1e-5)
    assert len(losses(full)) == 6
    trained = GeoLlavaForConditionalGeneration.from_pretrained(full)
    saved = GeoLlavaForConditionalGeneration.from_pretrained(resumed)
    for (name, a), b in zip(trained.state_dict().items(), saved.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, msg=name)


def test_instruct_stage_from_align_output_lowers_the_loss(tmp_path, dataset_dir, tiny_model):
    align = tmp_path / "align"
    main(run_args(dataset_dir, tiny_model, align, "--max_steps", "1", "--save_steps", "100"))
    out = tmp_path / "instruct"
    args = run_args(
        dataset_dir, tiny_model, out, "--max_steps", "9", "--save_steps", "6", "--stage", "instruct"
    )
    assert (
        main([*args, "--init_from", str(align), "--learning_rate", "2e-2", "--lr_scheduler_type", "constant"])
        == 0
    )
    curve = losses(out)
    assert np.mean(curve[-3:]) < np.mean(curve[:3])
    assert (out / "checkpoint-6" / "adapter_model.safetensors").is_file()
    assert (out / "adapter" / "adapter_config.json").is_file() and (out / "model.safetensors").is_file()
    record = json.loads((out / "geollava_training.json").read_text())
    assert [stage["stage"] for stage in record["stages"]] == ["align", "instruct"]
    assert record["base_model"] == str(tiny_model) and record["n_train_examples"] == 24
    sample = record["sample_answers"][0]  # the trained model answered a training question after the run
    assert sample["question"] and sample["reference"] and isinstance(sample["answer"], str)


def test_gradient_accumulation_matches_a_large_batch(tmp_path, dataset_dir, tiny_model):
    """Loss normalised per answer token: batch 4 equals 2 micro-batches of 2 (same update, same weights)."""
    from modeling.geollava import GeoLlavaForConditionalGeneration

    common = ("--max_steps", "2", "--save_steps", "100", "--lr_scheduler_type", "constant")
    main(run_args(dataset_dir, tiny_model, tmp_path / "big", *common))
    main(run_args(dataset_dir, tiny_model, tmp_path / "acc", *common, "--per_device_train_batch_size", "2",
                  "--gradient_accumulation_steps", "2"))  # fmt: skip
    big = GeoLlavaForConditionalGeneration.from_pretrained(tmp_path / "big").model.multi_modal_projector
    acc = GeoLlavaForConditionalGeneration.from_pretrained(tmp_path / "acc").model.multi_modal_projector
    for a, b in zip(big.parameters(), acc.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=2e-5, rtol=1e-4)


def test_bad_data_and_configs_fail_before_the_first_step(tmp_path, rows, dataset_dir, tiny_model):
    def fails(match: str, dataset, *extra: str) -> None:
        out = tmp_path / f"out-{uuid.uuid4().hex[:6]}"
        with pytest.raises(BadInputError, match=match):
            main(run_args(dataset, tiny_model, out, "--max_steps", "1", *extra))
        assert not list(out.glob("checkpoint-*"))

    fails("no such folder", tmp_path / "nowhere")
    fails("no such dataset|cannot be read", "georeset-test/no-such-dataset")
    fails("is empty", write_instruction_dataset(tmp_path / "empty", [], SIZE))
    fails(
        r"missing columns \['messages'\]",
        write_instruction_dataset(tmp_path / "cols", rows, SIZE, drop=("messages",)),
    )
    fails("no rows left after the filters", dataset_dir, "--tasks", "caption")
    radar = [
        dict(row, pixels=row["pixels"][:2] * 0 - 12.0, band_names=["VV", "VH"], sensor="s1")
        for row in rows[:4]
    ]
    mixed = write_instruction_dataset(tmp_path / "mixed", rows[:8] + radar, SIZE)
    fails(r"4 rows of sensor 's1' with bands \['VV', 'VH'\] lack \['B01'", mixed)
    fails("no row left to train on", write_instruction_dataset(tmp_path / "radar", radar, SIZE), "--on_missing_bands",
          "skip")  # fmt: skip
    bad_turns = [dict(rows[0], messages=[{"role": "user", "content": "hello"}])]
    fails(
        "row .*expected .*got roles",
        write_instruction_dataset(tmp_path / "turns", bad_turns, SIZE),
    )
    fails("cannot fit", dataset_dir, "--per_device_train_batch_size", "100000000")
    fails("longer than --max_length", dataset_dir, "--max_length", "5")
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dataset": "eurosat", "n": 10}))  # no task, no metric
    fails("task|metric", dataset_dir, "--eval_reports", str(report))
    fails("cannot read a JSON report", dataset_dir, "--eval_reports", str(tmp_path / "missing.json"))
    # Skipping unreadable rows trains on the rest and counts them.
    out = tmp_path / "skip"
    main(run_args(mixed, tiny_model, out, "--max_steps", "1", "--on_missing_bands", "skip"))
    record = json.loads((out / "geollava_training.json").read_text())
    assert record["data"]["rows_dropped_unreadable"] == 4 and record["n_train_examples"] == 8


def test_collator_labels_only_the_answer_and_routes_bands_by_name(rows, tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from modeling.geollava import GeoLlavaForConditionalGeneration, SentinelEncoderConfig
    from modeling.geollava.build import processor_for
    from training.geollava_data import GeoLlavaCollator, route_sensors

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    vision = SentinelEncoderConfig(architecture="resnet18", sensor="s2_l2a", image_size=SIZE)
    model = GeoLlavaForConditionalGeneration.from_parts(
        vision, AutoModelForCausalLM.from_pretrained(tiny_model), tokenizer, load_encoder_weights=False
    )
    processor = processor_for(model, tokenizer)
    l1c = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"]
    from collections import Counter

    groups = Counter(
        {("s2_l2a", tuple(rows[0]["band_names"])): 2, ("s2_l1c", tuple(l1c)): 1, ("s1", ("VV", "VH")): 1}
    )
    routes = {(r.data_sensor, r.data_bands): r for r in route_sensors(groups, vision.sensors)}
    assert routes[("s2_l1c", tuple(l1c))].encoder_sensor == "s2_l2a"  # every L2A band is in an L1C patch
    assert (
        routes[("s1", ("VV", "VH"))].encoder_sensor is None and "B02" in routes[("s1", ("VV", "VH"))].missing
    )
    # Shuffle the band order of one row: the collator must pick bands by name, giving the same pixels.
    order = np.random.default_rng(0).permutation(12)
    shuffled = dict(
        rows[0], pixels=rows[0]["pixels"][order], band_names=[rows[0]["band_names"][i] for i in order]
    )
    groups[("s2_l2a", tuple(shuffled["band_names"]))] = 1
    routes = {(r.data_sensor, r.data_bands): r for r in route_sensors(groups, vision.sensors)}
    batch = GeoLlavaCollator(processor, routes)([rows[0], shuffled])
    torch.testing.assert_close(batch["pixel_values"][0], batch["pixel_values"][1])
    labelled = batch["labels"][0][batch["labels"][0] != -100]
    answer = rows[0]["messages"][1]["content"]
    assert tokenizer.decode(labelled).startswith(
        answer + tokenizer.eos_token
    )  # the answer and its end of turn
    two_turns = dict(rows[1], messages=[*rows[0]["messages"], {"role": "user", "content": "And in French?"},
                                         {"role": "assistant", "content": "En français."}])  # fmt: skip
    batch = GeoLlavaCollator(processor, routes)([two_turns])
    labelled = tokenizer.decode(batch["labels"][0][batch["labels"][0] != -100])
    assert (
        labelled.startswith(answer + tokenizer.eos_token) and "En français." + tokenizer.eos_token in labelled
    )
    assert "And in French?" not in labelled
    image_positions = (batch["input_ids"][0] == model.config.image_token_id).nonzero().flatten()
    question = tokenizer(rows[0]["messages"][0]["content"], add_special_tokens=False)["input_ids"]
    first_question = (batch["input_ids"][0] == question[0]).nonzero().flatten()[0]
    assert image_positions.max() < first_question  # the image comes before the user's text


def test_push_to_hub_then_from_pretrained_answers(tmp_path, dataset_dir, tiny_model, hub_env):
    from huggingface_hub import HfApi
    from transformers import AutoModelForImageTextToText, AutoProcessor

    import modeling.geollava  # noqa: F401  (registers the Auto classes)

    repo_id = f"georeset-test/geollava-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "run"
    args = run_args(
        dataset_dir, tiny_model, out, "--max_steps", "4", "--save_steps", "2", "--stage", "instruct"
    )
    assert main([*args, "--push_to_hub", "--hub_model_id", repo_id]) == 0
    files = set(HfApi().list_repo_files(repo_id))
    assert {
        "config.json",
        "model.safetensors",
        "processor_config.json",
        "README.md",
        "geollava_training.json",
    } <= files
    assert (
        "last-checkpoint/trainer_state.json" in files and "last-checkpoint/adapter_model.safetensors" in files
    )
    assert not any(name.startswith("checkpoint-") for name in files)
    state = json.loads(
        Path(HfApi().hf_hub_download(repo_id, "last-checkpoint/trainer_state.json")).read_text()
    )
    assert state["global_step"] == 4  # the newest checkpoint replaced the one of step 2
    card = Path(HfApi().hf_hub_download(repo_id, "README.md")).read_text()
    assert "pipeline_tag: image-text-to-text" in card
    model = AutoModelForImageTextToText.from_pretrained(repo_id).eval()
    processor = AutoProcessor.from_pretrained(repo_id)
    conversation = [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What land cover is this?"}]}
    ]
    inputs = processor.apply_chat_template(
        conversation, add_generation_prompt=True, tokenize=True,
        images=[{"s2_l2a": dict(zip(instruction_rows(SIZE)[0]["band_names"], instruction_rows(SIZE)[0]["pixels"], strict=True))}],
        input_scale="physical",
    )  # fmt: skip
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=6, do_sample=False)
    answer = processor.tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    assert output.shape[1] > inputs["input_ids"].shape[1] and answer.strip()


def test_resume_auto_starts_fresh_or_takes_the_newest_complete_checkpoint(tmp_path):
    from types import SimpleNamespace

    from training.train_geollava import resume_checkpoint

    args = SimpleNamespace(resume_from_checkpoint="auto", output_dir=str(tmp_path))
    assert resume_checkpoint(args) is None
    for step, complete in ((2, True), (4, False)):
        (tmp_path / f"checkpoint-{step}").mkdir()
        if complete:
            (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    assert resume_checkpoint(args) == str(tmp_path / "checkpoint-2")
    with pytest.raises(BadInputError, match="incomplete"):
        resume_checkpoint(
            SimpleNamespace(resume_from_checkpoint=str(tmp_path / "checkpoint-4"), output_dir="x")
        )
