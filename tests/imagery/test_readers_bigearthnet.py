"""BigEarthNet v1/v2 readers on generated patch folders in the archive formats, bad patches, and the real examples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from data_builders.imagery.bigearthnet import (
    BIGEARTHNET_19_CLASSES,
    BIGEARTHNET_43_CLASSES,
    BIGEARTHNET_S2_BANDS,
    CLC43_TO_19,
    CLC_CODES_43,
    pair_bigearthnet,
    read_bigearthnet,
    read_bigearthnet_examples,
    read_bigearthnet_s1,
    read_bigearthnet_s2,
    to_19_classes,
)
from data_builders.imagery.report import ImageryReport
from data_builders.imagery.synthetic import (
    DEFAULT_ORIGIN,
    write_bigearthnet_reference_map,
    write_bigearthnet_s1,
    write_bigearthnet_s2,
    write_bigearthnet_v2_metadata,
    write_geotiff,
)
from georeset.errors import BadInputError

S2_NAME = "S2A_MSIL2A_20170613T101031_10_20"
S1_NAME = "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_10_20"


def test_nomenclature_tables() -> None:
    assert len(BIGEARTHNET_43_CLASSES) == 43 and len(BIGEARTHNET_19_CLASSES) == 19
    assert set(CLC43_TO_19) == set(BIGEARTHNET_43_CLASSES)
    assert {v for v in CLC43_TO_19.values() if v} == set(BIGEARTHNET_19_CLASSES)
    assert sum(v is None for v in CLC43_TO_19.values()) == 11  # classes dropped in the 19-class nomenclature
    assert CLC_CODES_43[243].startswith("Land principally occupied by agriculture")
    assert to_19_classes(["Sea and ocean", "Peatbogs", "Inland marshes", "Airports", "Pastures"]) == [
        "Pastures",
        "Inland wetlands",
        "Marine waters",
    ]
    assert to_19_classes(["Arable land"]) == ["Arable land"]  # already 19-class (v2)


def test_v1_s2_resamples_to_10m_and_keeps_georeferencing(tmp_path: Path) -> None:
    labels = ["Non-irrigated arable land", "Mixed forest"]
    folder = write_bigearthnet_s2(tmp_path, S2_NAME, labels)
    # B01 at 60 m is a 20 x 20 grid: make it a smooth ramp so bilinear resampling is checkable.
    ramp = np.add.outer(np.arange(20), np.arange(20)).astype(np.uint16) * 100 + 1000
    write_geotiff(folder / f"{S2_NAME}_B01.tif", ramp, origin=DEFAULT_ORIGIN, resolution=60.0)
    report = ImageryReport()
    (patch,) = list(read_bigearthnet_s2(tmp_path, report=report))
    assert patch.id == S2_NAME and patch.sensor == "s2_l2a" and patch.source == "bigearthnet_s2"
    assert patch.pixels.shape == (12, 120, 120) and patch.pixels.dtype == np.uint16
    assert patch.band_names == list(BIGEARTHNET_S2_BANDS)
    assert patch.transform == (10.0, 0.0, DEFAULT_ORIGIN[0], 0.0, -10.0, DEFAULT_ORIGIN[1])
    assert patch.crs == "EPSG:32632" and patch.labels == labels
    assert patch.extra["labels_19"] == ["Arable land", "Mixed forest"]
    assert patch.extra["pair_key"] == S2_NAME and patch.extra["acquisition_date"].startswith("2017-06-13")
    b01 = patch.pixels[0].astype(float)
    # Bilinear: values between the coarse ones, monotone along the ramp, not blocky 6 x 6 copies.
    assert b01.min() >= 1000 and b01.max() <= 1000 + 38 * 100
    assert len(np.unique(b01[60, :])) > 40 and np.all(np.diff(b01[60, 3:-3]) >= 0)
    # B02 at 10 m is kept as it is.
    import rasterio

    with rasterio.open(folder / f"{S2_NAME}_B02.tif") as src:
        np.testing.assert_array_equal(patch.pixels[1], src.read(1))
    assert report.read == {"bigearthnet_s2": 1}


def test_v1_nomenclature_option_and_s1_pairing(tmp_path: Path) -> None:
    labels = ["Sea and ocean", "Airports"]
    write_bigearthnet_s2(tmp_path / "BigEarthNet-v1.0", S2_NAME, labels)
    write_bigearthnet_s1(tmp_path / "BigEarthNet-S1-v1.0", S1_NAME, S2_NAME, labels)
    (s2,) = read_bigearthnet(tmp_path, "s2", nomenclature="19")
    assert s2.labels == ["Marine waters"]
    (s1,) = read_bigearthnet_s1(tmp_path)
    assert s1.sensor == "s1" and s1.band_names == ["VV", "VH"] and s1.pixels.dtype == np.float32
    assert s1.pixels.shape == (2, 120, 120) and -40 < float(s1.pixels.mean()) < 0  # dB
    assert s1.labels == labels and s1.extra["pair_key"] == S2_NAME and s1.extra["s1_name"] == S1_NAME
    assert pair_bigearthnet([s2], [s1]) == [(s2, s1)]


def test_v1_split_file(tmp_path: Path) -> None:
    other = "S2A_MSIL2A_20170613T101031_11_20"
    write_bigearthnet_s2(tmp_path / "BigEarthNet-v1.0", S2_NAME, ["Pastures"])
    write_bigearthnet_s2(tmp_path / "BigEarthNet-v1.0", other, ["Pastures"], seed=1)
    (tmp_path / "bigearthnet-test.csv").write_text(f"{other},S1A_IW_GRDH_1SDV_20170613T165043_33UUP_11_20\n")
    assert [p.id for p in read_bigearthnet_s2(tmp_path, "test")] == [other]
    with pytest.raises(BadInputError, match="bigearthnet-train.csv"):
        list(read_bigearthnet_s2(tmp_path, "train"))


def test_v2_layout_with_metadata_parquet_and_reference_maps(tmp_path: Path) -> None:
    tile = "S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP"
    ids = [f"{tile}_26_57", f"{tile}_26_58"]
    s1_names = [f"S1A_IW_GRDH_1SDV_20170613T165043_33UUP_26_{k}" for k in (57, 58)]
    s1_scene = "S1A_IW_GRDH_1SDV_20170613T165043"
    for i, patch_id in enumerate(ids):
        write_bigearthnet_s2(tmp_path / "BigEarthNet-S2" / tile, patch_id, [], version=2, seed=i)
        write_bigearthnet_s1(
            tmp_path / "BigEarthNet-S1" / s1_scene, s1_names[i], patch_id, [], version=2, seed=i
        )
    codes = np.full((120, 120), 211, np.uint16)
    codes[:, 60:] = 312
    write_bigearthnet_reference_map(tmp_path, ids[0], codes)
    write_bigearthnet_v2_metadata(
        tmp_path / "metadata.parquet",
        [
            {
                "patch_id": ids[0],
                "labels": ["Arable land", "Coniferous forest"],
                "split": "train",
                "s1_name": s1_names[0],
            },
            {"patch_id": ids[1], "labels": ["Pastures"], "split": "validation", "s1_name": s1_names[1]},
        ],
    )
    report = ImageryReport()
    patches = list(read_bigearthnet_s2(tmp_path, report=report))
    assert [p.id for p in patches] == ids
    first = patches[0]
    assert first.labels == ["Arable land", "Coniferous forest"] and first.extra["version"] == 2
    assert first.extra["split"] == "train" and first.extra["s1_name"] == s1_names[0]
    assert first.label_mask.shape == (120, 120) and set(np.unique(first.label_mask)) == {211, 312}
    assert first.extra["mask_classes"] == {"211": "Non-irrigated arable land", "312": "Coniferous forest"}
    assert patches[1].label_mask is None and report.flagged[("bigearthnet_s2", "label_mismatch")] == 1
    assert [p.id for p in read_bigearthnet_s2(tmp_path, "val")] == [ids[1]]
    # Pointing at BigEarthNet-S2/ itself finds metadata.parquet beside it; S1 rows are keyed by s1_name.
    assert [p.id for p in read_bigearthnet_s2(tmp_path / "BigEarthNet-S2", "train")] == [ids[0]]
    s1 = list(read_bigearthnet_s1(tmp_path))
    assert [p.extra["pair_key"] for p in s1] == ids and s1[1].labels == ["Pastures"]
    with pytest.raises(BadInputError, match="nomenclature"):
        list(read_bigearthnet_s2(tmp_path, nomenclature="43", strict=True))


def test_bad_patches_are_counted(tmp_path: Path) -> None:
    names = [f"S2A_MSIL2A_20170613T101031_{i}_1" for i in range(1, 8)]
    for i, name in enumerate(names):
        write_bigearthnet_s2(tmp_path, name, ["Pastures"], seed=i)
    (tmp_path / names[1] / f"{names[1]}_B11.tif").unlink()  # missing band
    b05 = tmp_path / names[2] / f"{names[2]}_B05.tif"
    b05.write_bytes(b05.read_bytes()[:300])  # truncated
    (tmp_path / names[3] / f"{names[3]}_labels_metadata.json").write_text("{not json")
    json_path = tmp_path / names[4] / f"{names[4]}_labels_metadata.json"
    json_path.write_text(json.dumps({"labels": ["Moon dust"]}))
    for band_file in (tmp_path / names[5]).glob("*.tif"):  # all nodata
        _fill_with_zeros(band_file)
    # A 20 m band shifted by 1 km: it does not cover the patch.
    write_geotiff(
        tmp_path / names[6] / f"{names[6]}_B06.tif",
        np.ones((60, 60), np.uint16),
        origin=(DEFAULT_ORIGIN[0] + 1000, DEFAULT_ORIGIN[1]),
        resolution=20.0,
    )
    report = ImageryReport()
    assert [p.id for p in read_bigearthnet_s2(tmp_path, report=report)] == [names[0]]
    assert report.skipped_by_reason() == {
        "band_mismatch": 2,
        "unreadable": 1,
        "bad_metadata": 1,
        "unknown_class": 1,
        "all_nodata": 1,
    }
    assert "B11" in report.to_dict()["examples"]["skipped/bigearthnet_s2/band_mismatch"][0]
    with pytest.raises(BadInputError, match=names[1]):
        list(read_bigearthnet_s2(tmp_path, strict=True))
    with pytest.raises(BadInputError, match="no BigEarthNet S1 patch folders"):
        list(read_bigearthnet_s1(tmp_path))


def _fill_with_zeros(path: Path) -> None:
    import rasterio

    with rasterio.open(path, "r+") as dst:
        dst.write(np.zeros((1, dst.height, dst.width), np.uint16))


def test_real_bigearthnet_examples() -> None:
    from georeset.errors import MissingAssetError

    report = ImageryReport()
    try:
        s2 = list(read_bigearthnet_examples("s2", report=report))
    except MissingAssetError as err:
        pytest.skip(str(err))
    s1 = list(read_bigearthnet_examples("s1", report=report))
    assert len(s2) == 6 and len(s1) == 6 and report.n_skipped == 0
    pairs = pair_bigearthnet(s2, s1)
    assert all(other is not None for _, other in pairs)
    for s2_patch, s1_patch in pairs:
        assert s2_patch.pixels.shape == (12, 120, 120) and s1_patch.pixels.shape == (2, 120, 120)
        assert s2_patch.crs == s1_patch.crs and s2_patch.crs.startswith("EPSG:326")
        assert set(s2_patch.labels) <= set(BIGEARTHNET_43_CLASSES) and s2_patch.extra["labels_19"]
        # 1.2 km x 1.2 km in Europe; S1 and S2 of one place share the footprint.
        footprint = s2_patch.footprint()
        lon, lat = footprint.centroid.coords[0]
        assert -25.0 < lon < 45.0 and 34.0 < lat < 72.0
        assert footprint.intersection(s1_patch.footprint()).area / footprint.area > 0.99
    by_id = {p.id: p for p in s2}
    assert by_id["S2A_MSIL2A_20170617T113321_4_55"].labels == ["Pastures"]  # Ireland
    lon, lat = by_id["S2A_MSIL2A_20170617T113321_4_55"].footprint().centroid.coords[0]
    assert -10.5 < lon < -6.0 and 51.4 < lat < 55.4


def test_sample_data_reexports_the_extraction() -> None:
    """modeling/geollava/sample_data.py uses this module's extraction (loaded alone: no transformers import)."""
    import importlib.util
    import sys

    from data_builders.imagery import bigearthnet
    from georeset.settings import REPO_ROOT

    spec = importlib.util.spec_from_file_location(
        "_sample_data", REPO_ROOT / "modeling/geollava/sample_data.py"
    )
    sample_data = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = sample_data  # dataclasses look their module up there
    try:
        spec.loader.exec_module(sample_data)
    finally:
        del sys.modules[spec.name]
    assert sample_data.bigearthnet_examples_dir is bigearthnet.bigearthnet_examples_dir


def test_examples_extraction_is_atomic_and_explains_a_missing_package(tmp_path: Path, monkeypatch) -> None:
    import importlib.util

    from data_builders.imagery import bigearthnet
    from georeset.errors import MissingAssetError

    monkeypatch.setenv("GEORESET_HOME", str(tmp_path / "home"))
    if importlib.util.find_spec("bigearthnet_common") is not None:
        folder = bigearthnet.bigearthnet_examples_dir()
        assert folder == tmp_path / "home" / "bigearthnet-examples"
        assert len(list((folder / "BigEarthNet-S2-Example").iterdir())) == 6
        assert not [
            p for p in folder.parent.iterdir() if p.name.startswith(".tmp-")
        ]  # no staging left behind
    monkeypatch.setenv("GEORESET_HOME", str(tmp_path / "other"))
    monkeypatch.setattr(bigearthnet.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingAssetError, match="pip install --no-deps bigearthnet-common"):
        bigearthnet.bigearthnet_examples_dir()
