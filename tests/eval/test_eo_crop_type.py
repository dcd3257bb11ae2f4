"""Crop type per parcel: EuroCrops-style parcels over a Sentinel-2 GeoTIFF, parcels that give no patch reported."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # eo_tiny (pytest runs with --import-mode=importlib)
from eo_tiny import build_tiny_eo_model  # noqa: E402

from eval.eo.crop_type import evaluate_crop_type, parcel_patches, write_synthetic_crop_scene  # noqa: E402
from eval.eo.model import PatchClassifier  # noqa: E402
from georeset.errors import BadInputError  # noqa: E402

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def crop_scene(tmp_path_factory):
    return write_synthetic_crop_scene(tmp_path_factory.mktemp("crops"), n_parcels=25, size=160)


def test_parcels_become_masked_patches_and_bad_parcels_are_counted(crop_scene, tmp_path):
    import geopandas as gpd
    from shapely.geometry import Polygon, box

    image, parcels = crop_scene
    frame = gpd.read_file(parcels)
    extra = gpd.GeoDataFrame(
        {
            "parcel_id": ["EMPTY", "FAR", "SLIVER", "NOLABEL"],
            "EC_hcat_n": ["maize", "maize", "maize", None],
            "EC_hcat_c": [0, 0, 0, 0],
        },
        geometry=[Polygon(), box(0, 0, 0.001, 0.001), box(0, 0, 0, 0), frame.geometry.iloc[0]],
        crs=frame.crs,
    )
    # A sliver inside the image but thinner than any pixel, in the parcels' own CRS (EPSG:4326).
    x, y = frame.geometry.iloc[0].centroid.coords[0]
    extra.loc[2, "geometry"] = box(x, y, x + 1e-9, y + 1e-9)
    bad = tmp_path / "parcels.gpkg"
    gpd.GeoDataFrame(gpd.pd.concat([frame, extra], ignore_index=True), crs=frame.crs).to_file(bad)
    patches, info = parcel_patches(bad, image)
    assert len(patches) == 25 and info["reprojected_to"] == "EPSG:32632"
    assert info["skipped"] == {"empty_geometry": 1, "outside_image": 1, "no_pixels": 1, "no_label": 1}
    assert info["skipped_examples"] == {
        "empty_geometry": ["EMPTY"],
        "outside_image": ["FAR"],
        "no_pixels": ["SLIVER"],
        "no_label": ["NOLABEL"],
    }
    # The window is at least min_size pixels, whatever the parcel size.
    patch = patches[0]
    assert patch.pixels.shape[1] >= 16 and patch.labels[0] in {"maize", "sugar_beet", "rapeseed_rape",
        "winter_common_soft_wheat", "pasture_meadow_grassland_grass"}  # fmt: skip


def test_crop_type_report_with_all_modes(crop_scene, tmp_path):
    image, _ = crop_scene
    classifier = PatchClassifier(build_tiny_eo_model(), batch_size=32)
    report = evaluate_crop_type(image.parent, classifier, ["zero-shot", "linear-probe"], out=tmp_path)
    assert report["task"] == "crop-type" and report["n"] == 25 and len(report["classes"]) == 5
    assert report["modes"]["linear-probe"]["accuracy"] > report["baselines"]["majority"]["accuracy"]
    assert (tmp_path / "confusion_linear-probe.png").is_file()


def test_missing_crop_column_and_image_are_explained(crop_scene, tmp_path):
    image, parcels = crop_scene
    with pytest.raises(BadInputError, match="no crop column"):
        parcel_patches(parcels, image, label_column="crop_name")
    with pytest.raises(BadInputError, match="give the Sentinel-2 GeoTIFF"):
        evaluate_crop_type(parcels, None, ["zero-shot"])
