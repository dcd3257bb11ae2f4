"""GeoLlavaConfig / SentinelEncoderConfig: derived sizes, band handling, validation, JSON round trip."""

from __future__ import annotations

import pytest

from georeset.errors import BadInputError
from modeling.geollava import GeoLlavaConfig, SentinelEncoderConfig, canonical_band_name

from .conftest import tiny_text_config


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("B1", "B01"), ("b01", "B01"), ("B8a", "B8A"), ("B8A", "B8A"), ("B12", "B12"), ("vv", "VV")],
)
def test_band_names_are_spelled_one_way(raw, canonical):
    assert canonical_band_name(raw) == canonical


@pytest.mark.parametrize(
    ("sensor", "bands", "in_chans"),
    [
        ("s2_l1c", None, 13),
        ("s2_l2a", None, 12),
        ("s1", None, 2),
        ("rgb", None, 3),
        ("s2_l2a", ["B4", "B3", "B2", "B8"], 4),
    ],
)
def test_sensor_presets_and_subsets_set_in_chans(sensor, bands, in_chans):
    config = SentinelEncoderConfig(sensor=sensor, bands=bands)
    assert config.in_chans == in_chans == len(config.bands)


@pytest.mark.parametrize(
    ("kwargs", "tokens", "hidden"),
    [
        ({"architecture": "resnet18", "image_size": 128}, 16, 512),  # layer4: 128 / 32 = 4 -> 4 x 4
        ({"architecture": "resnet18", "image_size": 120}, 16, 512),  # BigEarthNet size: ceil(120 / 32) = 4
        ({"architecture": "resnet50", "image_size": 128, "feature_layer": -2}, 64, 1024),  # layer3: 8 x 8
        ({"architecture": "resnet18", "image_size": 128, "token_grid": 2}, 4, 512),
        ({"architecture": "vit_small_patch16_224", "image_size": 64}, 17, 384),  # 4 x 4 patches + CLS
        (
            {"architecture": "vit_small_patch16_224", "image_size": 64, "feature_select_strategy": "default"},
            16,
            384,
        ),
    ],
)
def test_number_of_image_tokens_follows_the_encoder(kwargs, tokens, hidden):
    config = SentinelEncoderConfig(**kwargs)
    assert (config.num_image_tokens, config.hidden_size) == (tokens, hidden)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sensor": "s2_l2a", "in_chans": 13}, "in_chans=13 does not match the 12 bands"),
        ({"sensor": "hyperspectral"}, "unknown sensor 'hyperspectral'"),
        ({"architecture": "resnet18", "feature_select_strategy": "default"}, "no CLS token"),
        ({"image_size": 16}, "too small"),
        ({"architecture": "vit_small_patch16_224", "image_size": 100}, "multiple of the patch size"),
        ({"feature_layer": 7}, "out of range"),
        ({"extra_sensors": [{"bands": ["VV"]}]}, "needs a 'sensor' key"),
        ({"sensor": "s1", "extra_sensors": [{"sensor": "s1"}]}, "each sensor may appear once"),
        ({"bands": ["B04", "B04"]}, "without repeats"),
    ],
)
def test_bad_encoder_settings_are_explained(kwargs, message):
    with pytest.raises(BadInputError, match=message):
        SentinelEncoderConfig(**kwargs)


def test_multi_sensor_layout():
    config = SentinelEncoderConfig(sensor="s2_l2a", extra_sensors=[{"sensor": "s1"}])
    assert [spec["sensor"] for spec in config.sensors] == ["s2_l2a", "s1"]
    assert config.max_in_chans == 12


def test_geollava_config_round_trips_through_json(tmp_path):
    config = GeoLlavaConfig(
        vision_config=SentinelEncoderConfig(sensor="s1", extra_sensors=[{"sensor": "s2_l1c"}]).to_dict(),
        text_config=tiny_text_config(50),
        image_token_id=49,
    )
    assert config.image_seq_length == config.vision_config.num_image_tokens
    assert config.tie_word_embeddings  # inherited from the text config, as LLaVA does
    config.save_pretrained(tmp_path)
    loaded = GeoLlavaConfig.from_pretrained(tmp_path)
    assert loaded.vision_config.sensors == config.vision_config.sensors
    assert loaded.text_config.hidden_size == 32 and loaded.image_token_id == 49
