"""The demo's GeoLLaVA recipe: the spectral-statistics encoder, its BatchNorm statistics estimated on the
training images, RGB views and class balance; the demo config names it and a tiny run trains and saves it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from geollava_helpers import instruction_rows, write_instruction_dataset

from training.train_geollava import main, parse_arguments

REPO = Path(__file__).resolve().parents[2]
SIZE = 32


pytestmark = pytest.mark.usefixtures("one_thread")


def test_demo_config_aligns_the_spectral_encoder_on_balanced_rgb_and_multispectral_rows():
    model_args, data_args, training_args = parse_arguments(
        [str(REPO / "training" / "configs" / "geollava_demo_cpu.yaml")]
    )
    assert model_args.encoder_architecture == "spectral_stats" and model_args.encoder_weights is None
    assert model_args.encoder_bands == ["B02", "B03", "B04"]  # the bands RGB input has too
    assert data_args.encoder_norm_images > 0 and data_args.balance_classes
    assert 0 < data_args.rgb_view_fraction < 1
    # Projector only (the LM frozen): the answer can change only through the image.
    assert model_args.stage == "align" and not model_args.init_from
    assert "classification" in data_args.tasks and training_args.max_steps > 0


def test_a_tiny_run_estimates_and_saves_the_encoder_statistics(tmp_path, tiny_model):
    from modeling.geollava import GeoLlavaForConditionalGeneration

    dataset = write_instruction_dataset(tmp_path / "data", instruction_rows(SIZE), SIZE)
    out = tmp_path / "out"
    args = [
        "--dataset", str(dataset), "--llm", str(tiny_model), "--image_size", str(SIZE), "--output_dir", str(out),
        "--per_device_train_batch_size", "4", "--max_steps", "2", "--save_steps", "2", "--logging_steps", "1",
        "--lora_r", "4", "--lora_alpha", "8", "--stage", "instruct", "--encoder_architecture", "spectral_stats",
        "--encoder_norm_images", "8", "--rgb_view_fraction", "0.5", "--balance_classes", "true",
        "--projector_learning_rate", "0.01",
    ]  # fmt: skip
    assert main(args) == 0
    record = json.loads((out / "geollava_training.json").read_text())
    assert any("spectral-statistics encoder" in note for note in record["notes"])
    assert any("estimated on 8 training images" in note for note in record["notes"])
    model = GeoLlavaForConditionalGeneration.from_pretrained(out)
    assert model.config.vision_config.architecture == "spectral_stats"
    norm = model.model.vision_tower.towers[0].norm
    # Statistics of the training images, not BatchNorm's initial mean 0 / variance 1.
    assert int(norm.num_batches_tracked) > 0
    assert not torch.allclose(norm.running_var, torch.ones_like(norm.running_var))


def test_the_demo_asks_the_closed_set_question_its_training_rows_ask():
    """The demo's question about BigEarthNet patches is the classification task's prompt, over eo-learn's classes."""
    from data_builders.imagery import templates as T
    from georeset.demo_sentinel import land_cover_question

    instruction, question, answers = land_cover_question()
    trained = T.CLASSIFICATION["en"][0]  # the "land cover" wording of the classification task
    assert "land cover" in trained["system"] and question == trained["user"]
    assert instruction.startswith(trained["system"].split("{options}")[0])
    options = instruction.rsplit(": ", 1)[1].rstrip(".").split(T.OPTION_SEPARATOR)
    assert {"forest", "grassland", "cultivated land"} <= set(options) and len(options) == len(set(options))
    assert answers == options  # the demo scores exactly the listed options
