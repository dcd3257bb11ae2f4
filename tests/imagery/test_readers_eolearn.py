"""eo-learn scenes reader and the sliding-grid tiler, on a generated EOPatch folder and on the real Slovenia data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from data_builders.imagery.eolearn import (
    EOLEARN_L1C_BANDS,
    EOLEARN_LULC_CLASSES,
    read_bbox_geojson,
    read_eolearn_scenes,
    tile_patch,
)
from data_builders.imagery.patch import Patch
from data_builders.imagery.report import ImageryReport
from data_builders.imagery.tiling import mask_labels, window_starts
from georeset.errors import BadInputError

MINX, MINY = 465000.0, 5079000.0


def _write_eopatch(root: Path, height: int = 21, width: int = 20, mask_shape=None) -> np.ndarray:
    """An eo-learn example folder: scenes array, bbox.geojson, LULC mask, timestamps and an NDVI series."""
    rng = np.random.default_rng(0)
    scenes = rng.uniform(0.01, 0.5, size=(2, height, width, 13)).astype(np.float32)
    patch_dir = root / "TestEOPatch"
    (patch_dir / "mask_timeless").mkdir(parents=True)
    (patch_dir / "data").mkdir()
    np.save(root / "REFERENCE_SCENES.npy", scenes)
    ring = [
        [MINX, MINY],
        [MINX, MINY + 10 * height],
        [MINX + 10 * width, MINY + 10 * height],
        [MINX + 10 * width, MINY],
    ]
    bbox = {
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32633"}},
        "type": "Polygon",
        "coordinates": [ring + [ring[0]]],
    }
    (patch_dir / "bbox.geojson").write_text(json.dumps(bbox))
    mask = np.full(mask_shape or (height, width), 2, np.uint16)  # forest
    mask[:, :6] = 3  # grassland: 30 %
    mask[0, :] = 0  # no data
    np.save(patch_dir / "mask_timeless" / "LULC.npy", mask[..., None])
    # NDVI series of 3 dates: frame 2 is scene 0, frame 0 is scene 1, frame 1 matches nothing.
    red, nir = scenes[..., 3].astype(np.float64), scenes[..., 7].astype(np.float64)
    ndvi = (nir - red) / (nir + red)
    series = np.stack([ndvi[1], np.zeros_like(ndvi[0]), ndvi[0]])[..., None].astype(np.float32)
    np.save(patch_dir / "data" / "NDVI.npy", series)
    (patch_dir / "timestamps.json").write_text(
        json.dumps(["2020-05-01T10:00:00", "2020-06-01T10:00:00", "2020-07-01T10:00:00"])
    )
    return scenes


def test_scenes_units_grid_labels_and_dates(tmp_path: Path) -> None:
    scenes = _write_eopatch(tmp_path)
    report = ImageryReport()
    patches = read_eolearn_scenes(tmp_path, report=report)
    assert len(patches) == 2 and report.read["eolearn_slovenia"] == 2
    first = patches[0]
    assert first.pixels.shape == (13, 21, 20) and first.pixels.dtype == np.uint16
    assert first.band_names == list(EOLEARN_L1C_BANDS) and first.sensor == "s2_l1c"
    np.testing.assert_array_equal(first.pixels[7], np.rint(scenes[0, ..., 7] * 10000).astype(np.uint16))
    assert first.crs == "EPSG:32633"
    assert first.transform == pytest.approx((10.0, 0.0, MINX, 0.0, -10.0, MINY + 210))
    assert first.label_mask.shape == (21, 20) and first.extra["mask_nodata"] == 0
    assert first.labels == ["forest", "grassland"]  # majority first, grassland 30 % >= 5 %
    assert first.extra["label_fractions"]["grassland"] == pytest.approx(0.3)
    assert [p.extra["timestamp"] for p in patches] == ["2020-07-01T10:00:00", "2020-05-01T10:00:00"]
    assert first.extra["reflectance_scale"] == 10000
    json.dumps(first.extra)  # JSON-serialisable, as the Patch contract asks


def test_mask_of_another_size_is_reported(tmp_path: Path) -> None:
    _write_eopatch(tmp_path, mask_shape=(10, 10))
    report = ImageryReport()
    patches = read_eolearn_scenes(tmp_path, report=report)
    assert len(patches) == 2 and all(p.label_mask is None and p.labels == [] for p in patches)
    assert report.skipped_by_reason() == {"label_mismatch": 1}
    with pytest.raises(BadInputError, match="LULC.npy"):
        read_eolearn_scenes(tmp_path, strict=True)


def test_missing_or_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="REFERENCE_SCENES.npy"):
        read_eolearn_scenes(tmp_path)
    _write_eopatch(tmp_path)
    np.save(tmp_path / "REFERENCE_SCENES.npy", np.zeros((2, 21, 20, 4), np.float32))
    with pytest.raises(BadInputError, match="expected"):
        read_eolearn_scenes(tmp_path)
    scenes = np.random.default_rng(1).uniform(0.01, 0.5, size=(2, 21, 20, 13)).astype(np.float32)
    scenes[1] = 0.0
    np.save(tmp_path / "REFERENCE_SCENES.npy", scenes)
    report = ImageryReport()
    assert len(read_eolearn_scenes(tmp_path, report=report)) == 1
    assert report.skipped_by_reason() == {"all_nodata": 1}
    (tmp_path / "TestEOPatch" / "bbox.geojson").write_text("{}")
    with pytest.raises(BadInputError, match="bbox"):
        read_eolearn_scenes(tmp_path)


def test_tile_patch_transforms_masks_and_labels() -> None:
    mask = np.zeros((10, 12), np.uint16)
    mask[:, 6:] = 5
    mask[:, :6] = 1
    mask[:2, :] = 0
    scene = Patch(
        id="scene",
        pixels=np.arange(2 * 10 * 12, dtype=np.uint16).reshape(2, 10, 12) + 1,
        band_names=["B04", "B08"],
        sensor="s2_l2a",
        crs="EPSG:32633",
        transform=(10.0, 0.0, 1000.0, 0.0, -10.0, 2000.0),
        label_mask=mask,
        extra={"mask_classes": {"0": "no data", "1": "cultivated land", "5": "water"}, "mask_nodata": 0},
    )
    tiles = list(tile_patch(scene, 4, 4))
    # rows 0, 4, + 6 flush with the bottom; cols 0, 4, 8 (12 = 3 x 4).
    assert [(t.extra["row"], t.extra["col"]) for t in tiles][:4] == [(0, 0), (0, 4), (0, 8), (4, 0)]
    assert len(tiles) == 9
    tile = next(t for t in tiles if t.extra["row"] == 4 and t.extra["col"] == 4)
    assert tile.id == "scene/r4_c4" and tile.extra["parent_id"] == "scene"
    assert tile.transform == (10.0, 0.0, 1040.0, 0.0, -10.0, 1960.0)
    np.testing.assert_array_equal(tile.pixels, scene.pixels[:, 4:8, 4:8])
    assert tile.labels == ["cultivated land", "water"]  # 2 columns each: a tie, both listed
    top_left = tiles[0]
    assert top_left.labels == ["cultivated land"]  # the no-data rows are ignored
    assert top_left.extra["label_fractions"] == {"cultivated land": 1.0}
    # The footprint of a sub-patch lies inside the scene's.
    assert scene.footprint().buffer(1e-9).contains(tile.footprint())
    assert len(list(tile_patch(scene, 4, 4, cover_edges=False))) == 6
    with pytest.raises(BadInputError, match="smaller"):
        list(tile_patch(scene, 11))
    assert window_starts(10, 4, 3) == [0, 3, 6]
    assert mask_labels(np.zeros((2, 2), np.uint8), {}, nodata=0) == ([], {})


def test_tile_patch_skips_nodata_windows() -> None:
    pixels = np.ones((1, 8, 8), np.uint16)
    pixels[:, :4, :4] = 0
    scene = Patch(id="s", pixels=pixels, band_names=["B02"], sensor="s2_l2a", source="x")
    report = ImageryReport()
    assert len(list(tile_patch(scene, 4, report=report))) == 3
    assert report.skipped_by_reason() == {"all_nodata": 1} and report.read["x"] == 3


@pytest.mark.shared_data
def test_real_slovenia_scenes(shared_data: Path) -> None:
    import geopandas as gpd

    root = shared_data / "sentinel2" / "eolearn-slovenia"
    report = ImageryReport()
    patches = read_eolearn_scenes(root, report=report)
    assert len(patches) == 5 and report.n_skipped == 0
    assert all(p.pixels.shape == (13, 101, 100) for p in patches)
    assert all(p.extra["timestamp"] and p.extra["timestamp"].startswith("2015-") for p in patches)
    assert len({p.extra["timestamp"] for p in patches}) == 5
    first = patches[0]
    assert first.labels[0] == "forest" and set(first.extra["mask_classes"].values()) == set(
        EOLEARN_LULC_CLASSES.values()
    )
    (minx, miny, maxx, maxy), crs = read_bbox_geojson(root / "TestEOPatch" / "bbox.geojson")
    assert crs == "EPSG:32633" and 990 < maxx - minx < 1010
    # The scene lies inside Slovenia.
    border = gpd.read_file(root / "svn_border.geojson").to_crs("EPSG:4326").geometry.union_all()
    assert border.contains(first.footprint())
    tiles = list(tile_patch(first, 32, 32))
    assert len(tiles) == 16 and all(border.contains(t.footprint()) for t in tiles)
    assert all(t.labels for t in tiles)
