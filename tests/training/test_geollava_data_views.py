"""Training data that prepares for zero-shot use: class-balanced resampling and RGB views of Sentinel-2 rows."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from geollava_helpers import instruction_rows

from data_builders.imagery.patch import Patch
from georeset.errors import BadInputError
from training.geollava_data import GeoLlavaCollator, balanced_indices, route_sensors

SIZE = 32


@pytest.fixture(scope="module")
def parts(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from modeling.geollava import GeoLlavaForConditionalGeneration, SentinelEncoderConfig
    from modeling.geollava.build import processor_for

    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    vision = SentinelEncoderConfig(architecture="resnet18", sensor="s2_l2a", image_size=SIZE)
    model = GeoLlavaForConditionalGeneration.from_parts(
        vision, AutoModelForCausalLM.from_pretrained(tiny_model), tokenizer, load_encoder_weights=False
    )
    return model, processor_for(model, tokenizer), vision


def test_balanced_indices_equalise_classes_within_each_task():
    keys = [("classification", "forest")] * 90 + [("classification", "grassland")] * 10
    keys += [("caption", "forest")] * 20
    chosen = balanced_indices(keys, seed=0)
    assert len(chosen) == len(keys) and chosen == balanced_indices(keys, seed=0)
    drawn = Counter(keys[i] for i in chosen)
    assert drawn[("caption", "forest")] == 20  # each task keeps its size
    share = drawn[("classification", "grassland")] / 100
    assert 0.35 < share < 0.65  # 10 % before; half expected after
    assert balanced_indices(keys, seed=1) != chosen


def _routes(rows, vision):
    groups = Counter((row["sensor"], tuple(row["band_names"])) for row in rows)
    return {(r.data_sensor, r.data_bands): r for r in route_sensors(groups, vision.sensors)}


def test_rgb_views_reach_the_encoder_as_rgb_input_does_at_inference(parts):
    from eval.eo.model import EOModel, PatchClassifier
    from modeling.geollava.image_processing_geollava import true_colour_8bit

    model, processor, vision = parts
    rows = instruction_rows(SIZE)[:4]
    routes = _routes(rows, vision)
    plain = GeoLlavaCollator(processor, routes)(rows)
    every = GeoLlavaCollator(processor, routes, rgb_view_fraction=1.0)
    batch = every(rows)
    torch.testing.assert_close(batch["input_ids"], plain["input_ids"])
    torch.testing.assert_close(batch["labels"], plain["labels"])
    bands = vision.sensors[0]["bands"]
    rgb_index = [bands.index(b) for b in ("B04", "B03", "B02")]
    for index, row in enumerate(rows):
        gain = every.rgb_view_gain(row["id"])
        assert 2.5 / 2**0.5 <= gain <= 2.5 * 2**0.5 and gain == every.rgb_view_gain(row["id"])
        rgb = true_colour_8bit(dict(zip(row["band_names"], row["pixels"], strict=True)), gain)
        assert rgb.dtype == np.uint8 and rgb.shape == (3, SIZE, SIZE)
        # The same pixels as an 8-bit RGB patch classified at inference (EuroSAT RGB's path).
        patch = Patch(f"rgb{index}", rgb, ("R", "G", "B"), "rgb")
        expected = PatchClassifier(EOModel(model, processor, "tiny")).pixel_values([patch])[0]
        torch.testing.assert_close(batch["pixel_values"][index], expected)
        others = [i for i in range(len(bands)) if i not in rgb_index]
        assert torch.all(batch["pixel_values"][index, others] == 0)  # filled with the band means
    # A share of 0.5 turns about half of the rows, always the same ones.
    half = GeoLlavaCollator(processor, routes, rgb_view_fraction=0.5)
    chosen = [half.rgb_view_gain(f"row-{i}") is not None for i in range(400)]
    assert 0.4 < np.mean(chosen) < 0.6
    assert chosen == [half.rgb_view_gain(f"row-{i}") is not None for i in range(400)]
    with pytest.raises(BadInputError, match="rgb_view_fraction"):
        GeoLlavaCollator(processor, routes, rgb_view_fraction=1.5)


def test_true_colour_rendering_is_sentinel_hubs_and_needs_the_three_bands():
    from modeling.geollava.image_processing_geollava import true_colour_8bit

    bands = {
        "B04": np.full((2, 2), 0.2),
        "B03": np.full((2, 2), 0.1),
        "B02": np.array([[0.0, 0.5], [np.nan, 1]]),
    }
    rgb = true_colour_8bit(bands)
    assert rgb[:, 0, 0].tolist() == [128, 64, 0] and rgb[2].tolist() == [[0, 255], [0, 255]]
    with pytest.raises(BadInputError, match="B02"):
        true_colour_8bit({"B04": bands["B04"], "B03": bands["B03"]})


def test_prepare_dataset_balances_and_reports(parts):
    from datasets import Dataset

    from data_builders.imagery.schema import instruction_features
    from training.geollava_data import prepare_dataset

    _, processor, vision = parts
    rows = instruction_rows(SIZE)
    dataset = Dataset.from_list(rows, features=instruction_features(SIZE))
    before = Counter(row["labels"][0] for row in rows)
    _, _, report = prepare_dataset(dataset, "rows", processor, vision.sensors, balance_classes=True, seed=0)
    assert report.rows_used == len(rows)
    balanced = {key.split("/", 1)[1]: n for key, n in report.balanced.items()}
    assert set(balanced) == set(before)
    assert max(balanced.values()) - min(balanced.values()) <= max(before.values()) - min(before.values()) + 8


def test_encoder_norms_from_training_images_make_features_differ_between_images(parts):
    from training.train_geollava import estimate_encoder_norms

    model, processor, vision = parts
    rows = instruction_rows(SIZE)
    collator = GeoLlavaCollator(processor, _routes(rows, vision))
    pixels = collator(rows[:8])["pixel_values"]
    tower = model.model.vision_tower

    def features():
        with torch.no_grad():
            return tower(pixels, return_dict=True).last_hidden_state

    stem = tower.towers[0]
    with torch.no_grad():
        stem_out = stem.conv1(pixels)
    assert estimate_encoder_norms(model, rows, collator, images=0) == 0
    assert torch.all(stem.bn1.running_mean == 0)  # untouched: the initial statistics
    assert estimate_encoder_norms(model, rows[:8], collator, images=8, batch_size=8) == 8
    # The statistics are the training images' own moments (what BatchNorm computes in train mode).
    torch.testing.assert_close(stem.bn1.running_mean, stem_out.mean((0, 2, 3)), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(
        stem.bn1.running_var, stem_out.var((0, 2, 3), unbiased=True), rtol=1e-3, atol=1e-5
    )
    assert not tower.towers.training  # frozen towers stay in eval mode
    after = features()
    assert after.std(0).mean() > 0.1  # features that differ between images
    # Deterministic: the same rows give the same statistics.
    assert estimate_encoder_norms(model, rows, collator, images=len(rows), batch_size=5) == len(rows)
    first = features()
    estimate_encoder_norms(model, rows, collator, images=len(rows), batch_size=5)
    torch.testing.assert_close(features(), first)
    tower.config.weights = "pretrained"  # statistics of pretrained weights are theirs: left alone
    assert estimate_encoder_norms(model, rows, collator, images=len(rows)) == 0


def test_projector_gets_its_own_learning_rate(parts, tmp_path):
    from transformers import TrainingArguments

    from modeling.geollava.lora import add_lora
    from training.train_geollava import GeoLlavaTrainer

    model, _, _ = parts
    model = add_lora(model, r=2, alpha=4, dropout=0.0)
    args = TrainingArguments(output_dir=str(tmp_path), learning_rate=1e-3, report_to=[], use_cpu=True)
    trainer = GeoLlavaTrainer(model=model, args=args, checkpoint_prefixes=None, projector_learning_rate=1e-2)
    groups = trainer.create_optimizer().param_groups
    projector = {
        id(p) for n, p in model.named_parameters() if "multi_modal_projector" in n and p.requires_grad
    }
    by_lr = {group["lr"]: {id(p) for p in group["params"]} for group in groups}
    assert by_lr[1e-2] == projector and by_lr[1e-3] and not by_lr[1e-3] & projector
    plain = GeoLlavaTrainer(model=model, args=args, checkpoint_prefixes=None)
    assert {group["lr"] for group in plain.create_optimizer().param_groups} == {1e-3}
