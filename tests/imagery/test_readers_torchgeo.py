"""TorchGeo datasets (download=False) adapted to patches, on fixtures laid out the way torchgeo 0.8.1 expects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from data_builders.imagery.report import ImageryReport
from data_builders.imagery.synthetic import (
    DEFAULT_ORIGIN,
    write_bigearthnet_s1,
    write_bigearthnet_s2,
    write_eurosat_ms,
)
from data_builders.imagery.torchgeo_datasets import load_torchgeo_dataset, read_torchgeo
from georeset.errors import BadInputError, MissingAssetError

pytest.importorskip("torchgeo")

EUROSAT_DIR = Path("ds/images/remote_sensing/otherDatasets/sentinel_2/tif")


def _eurosat_root(root: Path) -> Path:
    write_eurosat_ms(root / EUROSAT_DIR, classes=("Forest", "River"), per_class=3)
    # torchgeo's split files list the RGB (.jpg) names.
    (root / "eurosat-train.txt").write_text("Forest_1.jpg\nRiver_1.jpg\nRiver_2.jpg\n")
    (root / "eurosat-test.txt").write_text("Forest_3.jpg\nRiver_3.jpg\n")
    return root


def test_eurosat_through_torchgeo_keeps_classes_and_footprints(tmp_path: Path) -> None:
    root = _eurosat_root(tmp_path)
    report = ImageryReport()
    patches = list(read_torchgeo("EuroSAT", root, split="train", report=report))
    assert [p.id for p in patches] == ["Forest_1", "River_1", "River_2"]
    assert [p.labels for p in patches] == [["Forest"], ["River"], ["River"]]
    patch = patches[0]
    assert patch.pixels.shape == (13, 64, 64) and patch.pixels.dtype == np.float32
    assert patch.band_names[-1] == "B8A" and patch.band_names[0] == "B01" and patch.sensor == "s2_l1c"
    assert patch.crs == "EPSG:32632" and patch.transform == (
        10.0,
        0.0,
        DEFAULT_ORIGIN[0],
        0.0,
        -10.0,
        DEFAULT_ORIGIN[1],
    )
    assert patch.source == "torchgeo_eurosat" and patch.extra == {"index": 0, "split": "train"}
    assert report.read["torchgeo_eurosat"] == 3
    # The RGB band subset of torchgeo.
    rgb, _ = read_torchgeo("EuroSAT", root, split="test", bands=("B04", "B03", "B02"))
    assert rgb.band_names == ["B04", "B03", "B02"] and rgb.pixels.shape == (3, 64, 64)


def test_missing_files_and_bad_arguments_are_clear(tmp_path: Path) -> None:
    with pytest.raises(MissingAssetError, match="download=False"):
        load_torchgeo_dataset("EuroSAT", tmp_path, split="train")
    with pytest.raises(BadInputError, match="no dataset 'NotADataset'"):
        load_torchgeo_dataset("NotADataset", tmp_path)
    root = _eurosat_root(tmp_path)
    with pytest.raises(BadInputError, match="EuroSAT"):
        list(read_torchgeo("EuroSAT", root, split="nope"))


def test_unreadable_sample_is_reported(tmp_path: Path) -> None:
    root = _eurosat_root(tmp_path)
    (root / EUROSAT_DIR / "River" / "River_1.tif").write_bytes(b"broken")
    report = ImageryReport()
    assert [p.id for p in read_torchgeo("EuroSAT", root, split="train", report=report)] == [
        "Forest_1",
        "River_2",
    ]
    assert report.skipped_by_reason() == {"unreadable": 1}
    with pytest.raises(BadInputError, match="River_1.tif"):
        list(read_torchgeo("EuroSAT", root, split="train", strict=True))


def test_bigearthnet_v1_through_torchgeo(tmp_path: Path) -> None:
    s2_name = "S2A_MSIL2A_20170613T101031_10_20"
    s1_name = "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_10_20"
    labels = ["Non-irrigated arable land", "Sea and ocean"]
    write_bigearthnet_s2(tmp_path / "BigEarthNet-v1.0", s2_name, labels)
    write_bigearthnet_s1(tmp_path / "BigEarthNet-S1-v1.0", s1_name, s2_name, labels)
    for split in ("train", "val", "test"):
        (tmp_path / f"bigearthnet-{split}.csv").write_text(
            f"{s2_name},{s1_name}\n" if split == "train" else ""
        )
    (s2,) = read_torchgeo("BigEarthNet", tmp_path, split="train", bands="s2", num_classes=19)
    assert s2.id == s2_name and s2.sensor == "s2_l2a" and s2.pixels.shape == (12, 120, 120)
    assert s2.labels == ["Arable land", "Marine waters"] and s2.crs == "EPSG:32632"
    assert s2.transform == (10.0, 0.0, DEFAULT_ORIGIN[0], 0.0, -10.0, DEFAULT_ORIGIN[1])
    (s1,) = read_torchgeo("BigEarthNet", tmp_path, split="train", bands="s1", num_classes=43)
    assert s1.band_names == ["VH", "VV"] and s1.sensor == "s1" and s1.labels == labels
    with pytest.raises(BadInputError, match="mixes S1 and S2"):
        list(read_torchgeo("BigEarthNet", tmp_path, split="train", bands="all"))
