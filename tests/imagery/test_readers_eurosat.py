"""EuroSAT_MS / EuroSAT RGB readers on generated fixtures in the official formats, bad files, and the real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_builders.imagery.eurosat import (
    EUROSAT_CLASSES,
    EUROSAT_MS_BANDS,
    class_names,
    read_eurosat_ms,
    read_eurosat_rgb,
)
from data_builders.imagery.report import ImageryReport
from data_builders.imagery.synthetic import (
    DEFAULT_ORIGIN,
    random_dn,
    write_eurosat_ms,
    write_eurosat_rgb,
    write_geotiff,
)
from georeset.errors import BadInputError


def test_ms_reads_bands_labels_and_georeferencing(tmp_path: Path) -> None:
    write_eurosat_ms(tmp_path, classes=("Forest", "AnnualCrop"), per_class=3)
    report = ImageryReport()
    patches = list(read_eurosat_ms(tmp_path, report=report))
    assert [p.id for p in patches] == [f"AnnualCrop_{i}" for i in (1, 2, 3)] + [
        f"Forest_{i}" for i in (1, 2, 3)
    ]
    first = patches[0]
    assert first.pixels.shape == (13, 64, 64) and first.pixels.dtype == np.uint16
    assert first.band_names == list(EUROSAT_MS_BANDS) and first.band_names[-1] == "B8A"
    assert first.sensor == "s2_l1c" and first.source == "eurosat_ms" and first.labels == ["AnnualCrop"]
    assert first.extra["class_index"] == EUROSAT_CLASSES.index("AnnualCrop")
    assert first.crs == "EPSG:32632"
    assert first.transform == (
        10.0,
        0.0,
        DEFAULT_ORIGIN[0] + 1000,
        0.0,
        -10.0,
        DEFAULT_ORIGIN[1],
    )  # 2nd class
    lon_min, lat_min, lon_max, lat_max = first.footprint().bounds
    assert 11.0 < lon_min < lon_max < 12.0 and 48.0 < lat_min < lat_max < 48.3  # Bavaria
    assert report.read["eurosat_ms"] == 6 and report.n_skipped == 0


def test_ms_natural_order_and_split_folders(tmp_path: Path) -> None:
    write_eurosat_ms(tmp_path, classes=("Forest",), per_class=11, splits=("train", "test"))
    ids = [p.id for p in read_eurosat_ms(tmp_path, split="train")]
    assert ids == [f"Forest_{i}" for i in range(1, 12)]  # Forest_2 before Forest_10
    all_patches = list(read_eurosat_ms(tmp_path))
    assert {p.extra["split"] for p in all_patches} == {"train", "test"} and len(all_patches) == 22
    with pytest.raises(BadInputError, match="no 'val' split"):
        list(read_eurosat_ms(tmp_path, split="val"))


def test_ms_torchgeo_layout_with_split_file(tmp_path: Path) -> None:
    base = tmp_path / "ds" / "images" / "remote_sensing" / "otherDatasets" / "sentinel_2" / "tif"
    write_eurosat_ms(base, classes=("River", "SeaLake"), per_class=2)
    (tmp_path / "eurosat-test.txt").write_text("River_2.jpg\nSeaLake_1.jpg\n")
    assert [p.id for p in read_eurosat_ms(tmp_path, split="test")] == ["River_2", "SeaLake_1"]
    assert len(list(read_eurosat_ms(tmp_path))) == 4
    with pytest.raises(BadInputError, match="eurosat-train.txt"):
        list(read_eurosat_ms(tmp_path, split="train"))


def test_ms_bad_files_are_counted_not_fatal(tmp_path: Path) -> None:
    write_eurosat_ms(tmp_path, classes=("Forest",), per_class=1)
    rng = np.random.default_rng(1)
    forest = tmp_path / "Forest"
    # A truncated GeoTIFF: the header survives, the strips do not.
    write_geotiff(forest / "Forest_2.tif", random_dn(rng, 13, 64))
    data = (forest / "Forest_2.tif").read_bytes()
    (forest / "Forest_2.tif").write_bytes(data[: len(data) // 3])
    (forest / "Forest_3.tif").write_bytes(b"not a tiff at all")
    write_geotiff(forest / "Forest_4.tif", random_dn(rng, 13, 64), crs=None)
    write_geotiff(forest / "Forest_5.tif", np.zeros((13, 64, 64), np.uint16))
    write_geotiff(forest / "Forest_6.tif", random_dn(rng, 4, 64))
    write_geotiff(tmp_path / "Glacier" / "Glacier_1.tif", random_dn(rng, 13, 64))

    report = ImageryReport()
    patches = list(read_eurosat_ms(tmp_path, report=report))
    assert [p.id for p in patches] == ["Forest_1"]
    by_reason = report.skipped_by_reason()
    assert by_reason == {
        "unreadable": 2,
        "no_georeferencing": 1,
        "all_nodata": 1,
        "band_mismatch": 1,
        "unknown_class": 1,
    }
    examples = report.to_dict()["examples"]
    assert any("Forest_2.tif" in e for e in examples["skipped/eurosat_ms/unreadable"])
    assert "Glacier_1.tif" in examples["skipped/eurosat_ms/unknown_class"][0]
    assert "skipped 1 eurosat_ms (all_nodata)" in report.summary()

    # Georeferencing optional: the patch without CRS is yielded, flagged.
    lenient = ImageryReport()
    ids = [p.id for p in read_eurosat_ms(tmp_path, report=lenient, require_georeference=False)]
    assert ids == ["Forest_1", "Forest_4"] and lenient.flagged[("eurosat_ms", "no_georeferencing")] == 1
    # Any folder accepted as a class when classes=None.
    assert "Glacier_1" in [p.id for p in read_eurosat_ms(tmp_path, classes=None)]

    with pytest.raises(BadInputError, match="Forest_2.tif"):
        list(read_eurosat_ms(tmp_path, strict=True))


def test_ms_missing_root_is_clear(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="does not exist"):
        list(read_eurosat_ms(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInputError, match="no EuroSAT class folders"):
        list(read_eurosat_ms(tmp_path / "empty"))


def test_rgb_reads_official_2750_layout(tmp_path: Path) -> None:
    write_eurosat_rgb(tmp_path, classes=("Pasture", "Highway"), per_class=2)
    report = ImageryReport()
    patches = list(read_eurosat_rgb(tmp_path, report=report))  # the parent of 2750/
    assert [p.id for p in patches] == ["Highway_1", "Highway_2", "Pasture_1", "Pasture_2"]
    assert patches[0].pixels.shape == (3, 64, 64) and patches[0].pixels.dtype == np.uint8
    assert patches[0].band_names == ["R", "G", "B"] and patches[0].sensor == "rgb"
    assert patches[0].crs is None and patches[0].footprint() is None and patches[0].labels == ["Highway"]
    assert [p.id for p in read_eurosat_rgb(tmp_path / "2750")] == [p.id for p in patches]
    assert class_names(tmp_path) == ["Highway", "Pasture"]


def test_rgb_bad_files(tmp_path: Path) -> None:
    write_eurosat_rgb(tmp_path, classes=("River",), per_class=1)
    folder = tmp_path / "2750" / "River"
    data = (folder / "River_1.jpg").read_bytes()
    (folder / "River_2.jpg").write_bytes(data[: len(data) // 2])
    Image.fromarray(np.full((64, 64), 128, np.uint8)).save(folder / "River_3.jpg")  # greyscale
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(folder / "River_4.jpg")
    report = ImageryReport()
    assert [p.id for p in read_eurosat_rgb(tmp_path, report=report)] == ["River_1"]
    assert report.skipped_by_reason() == {"unreadable": 1, "band_mismatch": 1, "all_nodata": 1}
    with pytest.raises(BadInputError, match="River_2.jpg"):
        list(read_eurosat_rgb(tmp_path, strict=True))


def test_readers_stream_one_file_at_a_time(tmp_path: Path) -> None:
    write_eurosat_ms(tmp_path, classes=("Forest",), per_class=2)
    report = ImageryReport()
    stream = read_eurosat_ms(tmp_path, report=report)
    assert next(stream).id == "Forest_1" and report.read["eurosat_ms"] == 1
    # The second file is opened only when asked for: removed now, it is reported, not yielded.
    (tmp_path / "Forest" / "Forest_2.tif").unlink()
    assert list(stream) == [] and report.skipped_by_reason() == {"unreadable": 1}


@pytest.mark.shared_data
def test_real_eurosat_ms_subset(shared_data: Path) -> None:
    root = shared_data / "sentinel2" / "eurosat-ms-subset"
    report = ImageryReport()
    patches = list(read_eurosat_ms(root, report=report))
    assert len(patches) == 131 and report.n_skipped == 0
    assert class_names(root) == list(EUROSAT_CLASSES)
    assert {p.extra["split"] for p in patches} == {"train", "test"}
    for patch in patches:
        assert patch.pixels.shape == (13, 64, 64) and patch.crs.startswith("EPSG:326")
        lon, lat = patch.footprint().centroid.coords[0]
        assert -25.0 < lon < 45.0 and 34.0 < lat < 72.0, (patch.id, lon, lat)  # Europe (Finland included)


@pytest.mark.shared_data
def test_real_eurosat_rgb_dev(shared_data: Path) -> None:
    import itertools

    root = shared_data / "sentinel2" / "eurosat-rgb-dev"
    assert class_names(root) == list(EUROSAT_CLASSES)
    patches = list(itertools.islice(read_eurosat_rgb(root), 5))
    assert [p.id for p in patches] == [
        "AnnualCrop_2",
        "AnnualCrop_4",
        "AnnualCrop_6",
        "AnnualCrop_8",
        "AnnualCrop_10",
    ]
    assert all(p.pixels.shape == (3, 64, 64) for p in patches)
