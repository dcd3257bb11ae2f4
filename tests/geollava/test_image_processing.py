"""The multispectral image processor on real Sentinel patches and on generated arrays."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from georeset.errors import BadInputError
from modeling.geollava import GeoLlavaImageProcessor, SentinelEncoderConfig, read_geotiff

from .conftest import EUROSAT_MS_BANDS


def _processor(**kwargs) -> GeoLlavaImageProcessor:
    return GeoLlavaImageProcessor.from_encoder_config(
        SentinelEncoderConfig(image_size=kwargs.pop("image_size", 64), **kwargs)
    )


def _s2_dn(shape=(12, 64, 64), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, 5000, shape).astype(np.uint16)


@pytest.mark.shared_data
def test_eurosat_ms_geotiffs_are_reordered_by_band_name(eurosat_ms_files):
    processor = _processor(sensor="s2_l1c")
    out = processor([str(path) for path in eurosat_ms_files[:3]], input_bands=EUROSAT_MS_BANDS)
    assert out["pixel_values"].shape == (3, 13, 64, 64) and out["pixel_values"].dtype == torch.float32
    raw = read_geotiff(eurosat_ms_files[0], EUROSAT_MS_BANDS)
    # B8A is the last band in the file but the 9th the encoder sees; standardised with the L1C statistics.
    spec = processor.sensors[0]
    expected = (raw["B8A"].astype(np.float32) / 10000 - spec["mean"][8]) / spec["std"][8]
    torch.testing.assert_close(out["pixel_values"][0, 8], torch.from_numpy(expected), rtol=1e-4, atol=1e-4)
    # real patches standardise to values of order one
    assert out["pixel_values"].abs().mean() < 3


@pytest.mark.shared_data
def test_rgb_subset_from_a_13_band_file(eurosat_ms_files):
    processor = _processor(sensor="s2_l1c", bands=["B04", "B03", "B02"])
    out = processor(str(eurosat_ms_files[0]), input_bands=EUROSAT_MS_BANDS)
    assert out["pixel_values"].shape == (1, 3, 64, 64)


def test_bigearthnet_band_files_of_three_resolutions(bigearthnet_patch):
    files = bigearthnet_patch.s2_files
    bands = read_geotiff(files)
    assert (
        bands["B01"].shape == (20, 20) and bands["B05"].shape == (60, 60) and bands["B02"].shape == (120, 120)
    )
    out = _processor(sensor="s2_l2a", image_size=120)(files)
    assert out["pixel_values"].shape == (1, 12, 120, 120)
    assert torch.isfinite(out["pixel_values"]).all()
    # 10 m bands are not resampled at their native size: standardised values only
    spec = _processor(sensor="s2_l2a").sensors[0]
    expected = (bands["B02"].astype(np.float32) / 10000 - spec["mean"][1]) / spec["std"][1]
    torch.testing.assert_close(out["pixel_values"][0, 1], torch.from_numpy(expected), rtol=1e-4, atol=1e-4)


def test_bigearthnet_s1_and_s2_of_one_place_together(bigearthnet_patch):
    processor = _processor(sensor="s2_l2a", extra_sensors=[{"sensor": "s1"}])
    out = processor([{"s2_l2a": bigearthnet_patch.s2_files, "s1": bigearthnet_patch.s1_files}])
    assert out["pixel_values"].shape == (2, 12, 64, 64)
    assert out["image_sensor_ids"].tolist() == [0, 1] and out["num_sensor_images"].tolist() == [2]
    assert torch.count_nonzero(out["pixel_values"][1, 2:]) == 0  # S1's two bands, zero-padded to twelve
    assert out["pixel_values"][1, :2].abs().mean() < 3  # dB backscatter standardised


def test_channels_first_last_numpy_and_torch_agree():
    processor = _processor()
    image = _s2_dn()
    first = processor(image)["pixel_values"]
    last = processor(np.moveaxis(image, 0, -1))["pixel_values"]
    from_torch = processor(torch.from_numpy(image.astype(np.int32)))["pixel_values"]
    torch.testing.assert_close(first, last)
    torch.testing.assert_close(first, from_torch)
    ambiguous = _s2_dn((12, 20, 12))
    with pytest.raises(BadInputError, match="could be channels first or last"):
        processor(ambiguous)
    assert processor(ambiguous, channels_first=True)["pixel_values"].shape == (1, 12, 64, 64)


def test_reflectance_floats_and_digital_numbers_give_the_same_pixels():
    processor = _processor()
    dn = _s2_dn()
    torch.testing.assert_close(
        processor(dn)["pixel_values"],
        processor(dn.astype(np.float32) / 10000)["pixel_values"],
        rtol=1e-4,
        atol=1e-4,
    )
    with pytest.raises(BadInputError, match="look like digital numbers"):
        processor(dn.astype(np.float32))
    torch.testing.assert_close(
        processor(dn.astype(np.float32), input_scale="dn")["pixel_values"], processor(dn)["pixel_values"]
    )


def test_pretrained_s2_weights_get_plain_reflectance():
    config = SentinelEncoderConfig(
        sensor="s2_l1c", weights="ResNet18_Weights.SENTINEL2_ALL_MOCO", image_size=64
    )
    processor = GeoLlavaImageProcessor.from_encoder_config(config)
    dn = _s2_dn((13, 64, 64))
    torch.testing.assert_close(
        processor(dn)["pixel_values"][0], torch.from_numpy(dn.astype(np.float32) / 10000)
    )


def test_nodata_is_filled_or_refused():
    processor = _processor()
    image = _s2_dn().astype(np.float32) / 10000
    image[:, :8] = np.nan  # 12.5 % of each band
    out = processor(image)["pixel_values"]
    assert torch.isfinite(out).all()
    dn = _s2_dn()
    dn[:, :40] = 0  # ESA's NODATA digital number over 62 % of the patch
    with pytest.raises(BadInputError, match=r"band B01 has 62.5% nodata pixels"):
        processor(dn)
    strict = GeoLlavaImageProcessor(sensors=processor.sensors, image_size=64, nodata_policy="error")
    with pytest.raises(BadInputError, match="nodata"):
        strict(image)


@pytest.mark.parametrize(
    ("image", "kwargs", "message"),
    [
        (_s2_dn((13, 64, 64)), {}, "expected 12 bands"),
        (_s2_dn((12, 4, 4)), {}, "too small for the encoder's 64x64"),
        (np.zeros((2, 64, 64), dtype=np.int16), {"sensor": "s2_l2a"}, "expected 12 bands"),
        ({"B02": np.ones((64, 64), dtype=np.uint16)}, {}, r"missing \['B01', 'B03'"),
        (_s2_dn(), {"sensor": "landsat"}, "unknown sensor 'landsat'"),
        (_s2_dn(), {"input_scale": "percent"}, "input_scale must be"),
        ([], {}, "empty list"),
    ],
)
def test_bad_images_are_explained(image, kwargs, message):
    with pytest.raises(BadInputError, match=message):
        _processor()(image, **kwargs)


def test_s1_needs_float_decibels():
    processor = _processor(sensor="s1")
    with pytest.raises(BadInputError, match="expects float values"):
        processor(np.ones((2, 64, 64), dtype=np.int32))
    with pytest.raises(BadInputError, match="outside the physical range"):
        processor(np.full((2, 64, 64), 300.0, dtype=np.float32))
    assert processor(np.full((2, 64, 64), -15.0, dtype=np.float32))["pixel_values"].shape == (1, 2, 64, 64)


def test_save_and_load(tmp_path):
    processor = _processor(sensor="s2_l2a", extra_sensors=[{"sensor": "s1"}], image_size=96)
    processor.save_pretrained(tmp_path)
    loaded = GeoLlavaImageProcessor.from_pretrained(tmp_path)
    assert loaded.sensors == processor.sensors and loaded.image_size == 96
    image = _s2_dn((12, 96, 96))
    torch.testing.assert_close(loaded(image)["pixel_values"], processor(image)["pixel_values"])
