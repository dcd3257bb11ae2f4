"""The Sentinel encoder: token shapes per backbone, sensor routing, frozen BatchNorm, TorchGeo weight loading."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
import timm
import torch

from georeset.errors import BadInputError, MissingAssetError
from modeling.geollava import SentinelEncoderConfig, SentinelEncoderModel


def _pixels(config: SentinelEncoderConfig, count: int = 2) -> torch.Tensor:
    return torch.randn(count, config.max_in_chans, config.image_size, config.image_size)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"architecture": "resnet18", "sensor": "s2_l1c", "image_size": 64},
        {"architecture": "resnet18", "sensor": "s2_l2a", "image_size": 120, "token_grid": 3},
        {"architecture": "resnet18", "sensor": "s1", "image_size": 64, "feature_layer": -2},
        {"architecture": "resnet18", "sensor": "rgb", "image_size": 64},
        {"architecture": "resnet50", "sensor": "s2_l2a", "image_size": 64},
        {"architecture": "vit_small_patch16_224", "sensor": "s2_l1c", "image_size": 32},
        {
            "architecture": "vit_small_patch16_224",
            "sensor": "s1",
            "image_size": 32,
            "feature_select_strategy": "default",
        },
    ],
)
def test_tokens_have_the_configured_shape(kwargs):
    config = SentinelEncoderConfig(**kwargs)
    encoder = SentinelEncoderModel(config).eval()
    output = encoder(_pixels(config), output_hidden_states=True)
    assert output.last_hidden_state.shape == (2, config.num_image_tokens, config.hidden_size)
    assert output.pooler_output.shape == (2, config.hidden_size)
    assert len(output.hidden_states) == config.stage_index + 1


def test_each_sensor_reads_its_own_images():
    config = SentinelEncoderConfig(sensor="s2_l2a", extra_sensors=[{"sensor": "s1"}], image_size=64)
    encoder = SentinelEncoderModel(config).eval()
    pixels = _pixels(config, 3)
    pixels[1, 2:] = 0  # the S1 image: two bands, zero-padded
    ids = torch.tensor([0, 1, 0])
    with torch.no_grad():
        mixed = encoder(pixels, image_sensor_ids=ids).last_hidden_state
        s2_alone = encoder(pixels[[0, 2]], image_sensor_ids=torch.tensor([0, 0])).last_hidden_state
        changed = pixels.clone()
        changed[1, :2] += 1.0
        after_s1_change = encoder(changed, image_sensor_ids=ids).last_hidden_state
    torch.testing.assert_close(mixed[[0, 2]], s2_alone)
    torch.testing.assert_close(after_s1_change[[0, 2]], mixed[[0, 2]])
    assert not torch.allclose(after_s1_change[1], mixed[1])
    # the sensor embedding tells the two sensors' tokens apart
    assert encoder.sensor_embedding.weight.shape == (2, config.hidden_size)


def test_frozen_backbone_keeps_batchnorm_statistics():
    config = SentinelEncoderConfig(image_size=64, frozen=True)
    encoder = SentinelEncoderModel(config).train()
    before = encoder.towers[0].bn1.running_mean.clone()
    encoder(_pixels(config) * 5 + 3)
    assert not encoder.towers[0].training
    assert torch.equal(before, encoder.towers[0].bn1.running_mean)
    assert not any(param.requires_grad for param in encoder.towers.parameters())
    trainable = SentinelEncoderModel(SentinelEncoderConfig(image_size=64, frozen=False)).train()
    assert trainable.towers[0].training and all(param.requires_grad for param in trainable.parameters())


@pytest.mark.parametrize(
    ("pixels", "ids", "message"),
    [
        (torch.randn(1, 12, 32, 32), None, "32x32 pixels, but the encoder expects 64x64"),
        (torch.randn(1, 13, 64, 64), None, "13 bands, but the encoder expects 12"),
        (torch.randint(0, 9, (1, 12, 64, 64)), None, "must be float"),
        (torch.randn(12, 64, 64), None, "must be a \\(images, bands, height, width\\) tensor"),
        (torch.randn(2, 12, 64, 64), torch.tensor([0]), "image_sensor_ids has 1 entries for 2 images"),
        (torch.randn(1, 12, 64, 64), torch.tensor([3]), "must lie in 0..0"),
    ],
)
def test_bad_pixel_values_are_explained(pixels, ids, message):
    encoder = SentinelEncoderModel(SentinelEncoderConfig(image_size=64))
    with pytest.raises(BadInputError, match=message):
        encoder(pixels, image_sensor_ids=ids)


def _torchgeo_checkpoint(torch_home: Path, enum_name: str, architecture: str, in_chans: int) -> dict:
    """Write random weights in TorchGeo's format (a timm state dict) where the enum's download looks first."""
    from torchgeo.models import get_weight

    url = get_weight(enum_name).url
    state = timm.create_model(architecture, in_chans=in_chans, num_classes=1000).state_dict()
    target = torch_home / "hub" / "checkpoints" / os.path.basename(urlparse(url).path)
    target.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, target)
    return state


def test_torchgeo_weights_load_through_the_real_path(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    state = _torchgeo_checkpoint(tmp_path, "ResNet18_Weights.SENTINEL2_ALL_MOCO", "resnet18", 13)
    config = SentinelEncoderConfig(
        sensor="s2_l1c", weights="ResNet18_Weights.SENTINEL2_ALL_MOCO", image_size=64
    )
    encoder = SentinelEncoderModel(config)
    assert encoder.load_backbone_weights() == ["ResNet18_Weights.SENTINEL2_ALL_MOCO"]
    torch.testing.assert_close(encoder.towers[0].conv1.weight, state["conv1.weight"])
    torch.testing.assert_close(encoder.towers[0].layer4[1].bn2.running_var, state["layer4.1.bn2.running_var"])


def test_vit_weights_are_resampled_to_the_image_size(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    state = _torchgeo_checkpoint(
        tmp_path, "ViTSmall16_Weights.SENTINEL2_ALL_MOCO", "vit_small_patch16_224", 13
    )
    config = SentinelEncoderConfig(
        architecture="vit_small_patch16_224",
        sensor="s2_l1c",
        weights="ViTSmall16_Weights.SENTINEL2_ALL_MOCO",
        image_size=64,
    )
    encoder = SentinelEncoderModel(config)
    encoder.load_backbone_weights()
    assert encoder.towers[0].pos_embed.shape == (1, 17, 384)  # 224 px (197 tokens) resampled to 64 px
    torch.testing.assert_close(encoder.towers[0].blocks[3].attn.qkv.weight, state["blocks.3.attn.qkv.weight"])


def test_local_checkpoint_file_is_loaded(tmp_path):
    state = timm.create_model("resnet18", in_chans=2, num_classes=0).state_dict()
    path = tmp_path / "s1_encoder.pth"
    torch.save({"state_dict": state}, path)
    encoder = SentinelEncoderModel(SentinelEncoderConfig(sensor="s1", weights=str(path), image_size=64))
    encoder.load_backbone_weights()
    torch.testing.assert_close(encoder.towers[0].layer2[0].conv1.weight, state["layer2.0.conv1.weight"])


def test_unreachable_weights_name_the_file_to_place(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    config = SentinelEncoderConfig(
        sensor="s2_l1c", weights="ResNet18_Weights.SENTINEL2_ALL_MOCO", image_size=64
    )
    with pytest.raises(MissingAssetError, match=r"cannot download .*resnet18_sentinel2_all_moco"):
        SentinelEncoderModel(config).load_backbone_weights()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"sensor": "s2_l2a", "weights": "ResNet18_Weights.SENTINEL2_ALL_MOCO"},
            BadInputError,
            "expect 13 bands",
        ),
        (
            {"sensor": "s2_l1c", "weights": "ResNet50_Weights.SENTINEL2_ALL_MOCO"},
            BadInputError,
            "are for resnet50",
        ),
        (
            {"sensor": "s2_l1c", "weights": "NoSuch_Weights.X"},
            MissingAssetError,
            "neither a local checkpoint",
        ),
    ],
)
def test_weights_that_do_not_fit_are_refused(kwargs, error, message):
    encoder = SentinelEncoderModel(SentinelEncoderConfig(image_size=64, **kwargs))
    with pytest.raises(error, match=message):
        encoder.load_backbone_weights()
