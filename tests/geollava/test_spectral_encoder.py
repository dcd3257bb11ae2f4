"""The spectral-statistics encoder: informative features without weights, RGB input read back as reflectance,
BatchNorm statistics that travel with a saved GeoLLaVA."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from georeset.errors import BadInputError
from modeling.geollava import GeoLlavaImageProcessor, SentinelEncoderConfig, SentinelEncoderModel
from modeling.geollava.image_processing_geollava import true_colour_8bit
from modeling.geollava.spectral_encoder import NORMALIZED_DIFFERENCES, spectral_feature_count

from .conftest import build_tiny_geollava

L2A = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"]
# Typical L2A reflectance x 10,000 (as the EO evaluation fixtures use): water is dark and blue, forest dark red
# and bright near-infrared, built-up land bright and flat.
SIGNATURES = {
    "water": [600, 500, 450, 300, 250, 200, 180, 150, 140, 120, 80, 60],
    "forest": [300, 350, 550, 350, 900, 2200, 2800, 3000, 3100, 3100, 1500, 700],
    "urban": [1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000, 2050, 2050, 2400, 2200],
}


def surface(name: str, size: int = 64, seed: int = 0) -> np.ndarray:
    """`(12, size, size)` uint16 L2A digital numbers of one surface, with noise."""
    rng = np.random.default_rng(seed)
    base = np.asarray(SIGNATURES[name], dtype=np.float32)[:, None, None]
    return np.clip(base * (1 + 0.08 * rng.standard_normal((12, size, size))), 1, 10000).astype(np.uint16)


def encoder_and_processor(**kwargs):
    config = SentinelEncoderConfig(architecture="spectral_stats", sensor="s2_l2a", image_size=64, **kwargs)
    return SentinelEncoderModel(config).eval(), GeoLlavaImageProcessor.from_encoder_config(config)


def test_config_derives_tokens_and_width_and_refuses_weights():
    config = SentinelEncoderConfig(architecture="spectral_stats", sensor="s2_l2a", image_size=64)
    assert config.token_grid == 2 and config.num_image_tokens == 4
    # 5 statistics x 12 bands, mean and std of the 6 normalised differences, texture.
    assert config.hidden_size == spectral_feature_count(L2A) == 5 * 12 + 2 * len(NORMALIZED_DIFFERENCES) + 1
    rgb = SentinelEncoderConfig(architecture="spectral_stats", sensor="s2_l2a", bands=["B02", "B03", "B04"])
    assert rgb.hidden_size == 5 * 3 + 2 * 3 + 1  # only the visible-band indices
    with pytest.raises(BadInputError, match="no weights"):
        SentinelEncoderConfig(architecture="spectral_stats", weights="ResNet18_Weights.SENTINEL2_ALL_MOCO")
    with pytest.raises(BadInputError, match="too small"):
        SentinelEncoderConfig(architecture="spectral_stats", image_size=2, token_grid=2)
    # The processor hands it physical values (reflectance), not z-scores.
    _, processor = encoder_and_processor()
    assert processor.sensors[0]["normalization"] == "reflectance"
    assert processor.sensors[0]["rgb_input"] == "true_colour"


def test_water_forest_and_urban_patches_give_different_tokens():
    encoder, processor = encoder_and_processor()
    pixels = processor([surface(name) for name in SIGNATURES], channels_first=True)["pixel_values"]
    tokens = encoder(pixels).last_hidden_state
    assert tokens.shape == (3, 4, encoder.config.hidden_size)
    water, forest, urban = tokens.mean(1)
    assert (water - forest).abs().max() > 0.1 and (forest - urban).abs().max() > 0.1
    # The raw statistics carry the physics: NDVI (first normalised difference) high on forest, negative on water.
    raw = encoder.towers[0].statistics(pixels).mean(1)
    ndvi = 5 * 12  # first feature after the per-band statistics
    assert raw[1, ndvi] > 0.7 and raw[0, ndvi] < 0
    # The four cells of a patch that is half water, half forest differ: tokens are local.
    half = surface("water")
    half[:, :, 32:] = surface("forest")[:, :, 32:]
    cells = encoder(processor(half, channels_first=True)["pixel_values"]).last_hidden_state[0]
    assert (cells[0] - cells[1]).abs().max() > 0.1  # top-left (water) vs top-right (forest)


def test_true_colour_rgb_gives_the_statistics_of_its_reflectance():
    """An 8-bit true-colour rendering of a patch reads back as the patch's visible reflectance."""
    encoder, processor = encoder_and_processor(bands=["B02", "B03", "B04"])
    for name in SIGNATURES:
        reflectance = surface(name).astype(np.float32) / 10000
        bands = dict(zip(L2A, reflectance, strict=True))
        from_bands = processor({b: bands[b] for b in ("B02", "B03", "B04")}, input_scale="physical")[
            "pixel_values"
        ]
        from_rgb = processor(
            true_colour_8bit(bands),
            input_bands=["B04", "B03", "B02"],
            channels_first=True,
            input_sensor="rgb",
        )["pixel_values"]
        stats = encoder.towers[0].statistics
        torch.testing.assert_close(stats(from_rgb), stats(from_bands), atol=0.02, rtol=0.05)


def test_batchnorm_statistics_are_saved_with_the_model(tmp_path):
    from modeling.geollava import GeoLlavaForConditionalGeneration

    model, processor = build_tiny_geollava(architecture="spectral_stats", sensor="s2_l2a")
    norm = model.model.vision_tower.towers[0].norm
    assert not list(model.model.vision_tower.parameters())  # nothing to train or to load: statistics only
    norm.running_mean.fill_(0.5)
    norm.running_var.fill_(4.0)
    model.save_pretrained(tmp_path)
    loaded = GeoLlavaForConditionalGeneration.from_pretrained(tmp_path).eval()
    loaded_norm = loaded.model.vision_tower.towers[0].norm
    torch.testing.assert_close(loaded_norm.running_mean, norm.running_mean)
    torch.testing.assert_close(loaded_norm.running_var, norm.running_var)
    pixels = processor.image_processor(surface("forest"), channels_first=True)["pixel_values"]
    torch.testing.assert_close(loaded.get_image_features(pixels), model.get_image_features(pixels))
