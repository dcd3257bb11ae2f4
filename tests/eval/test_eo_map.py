"""Land-cover maps: sliding grid, classified GeoTIFF in the scene CRS, references in another CRS or as vectors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # eo_tiny (pytest runs with --import-mode=importlib)
from eo_tiny import build_tiny_eo_model, signature_pixels, write_geotiff  # noqa: E402

from eval.eo.land_cover_map import Grid, evaluate_land_cover_map  # noqa: E402
from eval.eo.model import PatchClassifier  # noqa: E402
from georeset.errors import BadInputError  # noqa: E402

torch.set_num_threads(2)
L2A = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"]
CLASSES = {1: "forest", 2: "water"}
SIZE = 48


@pytest.fixture(scope="module")
def classifier():
    return PatchClassifier(build_tiny_eo_model(), batch_size=32)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """A 48 x 48 px 12-band L2A scene in UTM: forest rows, then water rows (so every vertical stripe has both)."""
    from rasterio.transform import Affine

    folder = tmp_path_factory.mktemp("scene")
    rng = np.random.default_rng(0)
    pixels = np.concatenate(
        [signature_pixels("forest", (24, SIZE), rng), signature_pixels("water", (24, SIZE), rng)], 1
    )
    labels = np.zeros((SIZE, SIZE), np.uint8)
    labels[:24], labels[24:] = 1, 2
    labels[:2, :2] = 0  # a few unlabelled pixels
    transform = Affine(10, 0, 680000, 0, -10, 5340000)
    write_geotiff(folder / "scene.tif", pixels, "EPSG:32632", transform, nodata=0, descriptions=L2A)
    write_geotiff(folder / "labels.tif", labels[None], "EPSG:32632", transform, nodata=0)
    return folder, labels, transform


def _reference_in_wgs84(folder: Path) -> Path:
    """The label raster reprojected to EPSG:4326 (another CRS and grid than the scene)."""
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    with rasterio.open(folder / "labels.tif") as src:
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:4326", src.width, src.height, *src.bounds
        )
        out = np.zeros((height, width), np.uint8)
        reproject(src.read(1), out, src_transform=src.transform, src_crs=src.crs, dst_transform=transform,
                  dst_crs="EPSG:4326", resampling=Resampling.nearest)  # fmt: skip
    return write_geotiff(folder / "labels_wgs84.tif", out[None], "EPSG:4326", transform, nodata=0)


def test_grid_owns_every_pixel_once():
    grid = Grid.over(101, 100, 16, 8)
    assert grid.row_starts[-1] == 101 - 16 and grid.row_bounds[0] == 0 and grid.row_bounds[-1] == 101
    assert all(a < b for a, b in zip(grid.row_bounds, grid.row_bounds[1:], strict=False))
    with pytest.raises(BadInputError, match="smaller than the patch size"):
        Grid.over(10, 100, 16, 8)


def test_map_of_a_geotiff_scene_in_its_crs(scene, classifier, tmp_path):
    import rasterio

    folder, labels, transform = scene
    report = evaluate_land_cover_map(
        folder / "scene.tif", classifier, ["zero-shot", "linear-probe"], reference=folder / "labels.tif",
        classes=CLASSES, out=tmp_path, patch_size=16, stride=8,
    )  # fmt: skip
    assert report["n"] == int((labels > 0).sum())  # every labelled pixel scored once
    with rasterio.open(report["map_geotiff"]) as src:
        assert src.crs.to_epsg() == 32632 and src.transform == transform and src.shape == (SIZE, SIZE)
        assert set(np.unique(src.read(1))) <= {1, 2}
    # Forest and water differ strongly: the probe on frozen features maps them, from the other stripe's windows.
    assert report["modes"]["linear-probe"]["accuracy"] > 0.9
    assert report["baselines"]["majority"]["n"] == report["n"]
    assert (tmp_path / "map_vs_reference.png").is_file()


def test_reference_in_another_crs_is_reprojected_or_refused(scene, classifier, tmp_path):
    folder, labels, _ = scene
    reference = _reference_in_wgs84(folder)
    report = evaluate_land_cover_map(folder / "scene.tif", classifier, ["linear-probe"], reference=reference,
                                     classes=CLASSES, out=tmp_path, patch_size=16, stride=8)  # fmt: skip
    assert report["dataset"]["reference"]["reprojected_to_scene_grid"] is True
    assert abs(report["n"] - int((labels > 0).sum())) < 0.1 * SIZE * SIZE
    with pytest.raises(BadInputError, match="EPSG:4326.*reproject"):
        evaluate_land_cover_map(folder / "scene.tif", classifier, ["zero-shot"], reference=reference,
                                classes=CLASSES, out=tmp_path, reproject_reference=False)  # fmt: skip


def test_vector_reference_and_bad_references(scene, classifier, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    folder, labels, _ = scene
    top = box(680000, 5340000 - 240, 680480, 5340000)
    bottom = box(680000, 5340000 - 480, 680480, 5340000 - 240)
    vector = folder / "lulc.gpkg"
    gpd.GeoDataFrame({"name": ["forest", "water"]}, geometry=[top, bottom], crs="EPSG:32632").to_crs(
        "EPSG:3035"
    ).to_file(vector)
    report = evaluate_land_cover_map(folder / "scene.tif", classifier, ["zero-shot"], reference=vector,
                                     class_column="name", out=tmp_path, patch_size=16, stride=8)  # fmt: skip
    assert report["classes"] == ["forest", "water"] and report["n"] > 0.9 * SIZE * SIZE
    # Codes outside the nomenclature are refused, naming them.
    with pytest.raises(BadInputError, match=r"codes outside the nomenclature.*\{2: "):
        evaluate_land_cover_map(folder / "scene.tif", classifier, ["zero-shot"], reference=folder / "labels.tif",
                                classes={1: "forest"}, out=tmp_path)  # fmt: skip
    # Classes of the nomenclature missing from the reference are listed.
    report = evaluate_land_cover_map(folder / "scene.tif", classifier, [], reference=folder / "labels.tif",
                                     classes={**CLASSES, 3: "urban"}, out=tmp_path)  # fmt: skip
    assert report["dataset"]["classes_absent_from_reference"] == ["urban"]


@pytest.mark.slow
@pytest.mark.shared_data
def test_eolearn_slovenia_map(shared_data, classifier, tmp_path):
    import rasterio

    report = evaluate_land_cover_map(shared_data / "sentinel2" / "eolearn-slovenia", classifier, ["zero-shot"],
                                     out=tmp_path, patch_size=32, stride=32)  # fmt: skip
    assert report["n"] == 101 * 100 - 155  # every pixel but the reference's nodata
    assert report["dataset"]["classes_absent_from_reference"] == [
        "water",
        "wetlands",
        "tundra",
        "bareland",
        "snow and ice",
    ]
    with rasterio.open(report["map_geotiff"]) as src:
        assert src.crs.to_epsg() == 32633
    assert json.dumps(report, default=str)


@pytest.mark.slow
def test_cli_land_cover_writes_report_map_and_png(scene, tmp_path):
    from eo_tiny import save_tiny_checkpoint

    from georeset.cli import main

    folder, labels, _ = scene
    checkpoint = save_tiny_checkpoint(tmp_path / "ckpt")
    out = tmp_path / "out"
    argv = ["eval", "eo", "--task", "land-cover", "--data", str(folder / "scene.tif"), "--reference",
            str(folder / "labels.tif"), "--classes", json.dumps(CLASSES), "--model", str(checkpoint),
            "--mode", "linear-probe", "--patch-size", "16", "--stride", "8", "--out", str(out), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    report = json.loads((out / "report.json").read_text())
    assert Path(report["map_geotiff"]).is_file() and report["n"] == int((labels > 0).sum())
    assert {"majority", "random"} == set(report["baselines"]) and (out / "map_vs_reference.png").is_file()
