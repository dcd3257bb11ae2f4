"""Generic GeoTIFF tiles with label rasters / label vectors, windowed streaming, and malformed inputs."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from data_builders.imagery.geotiff import infer_sensor, read_geotiff_tiles
from data_builders.imagery.report import ImageryReport
from data_builders.imagery.synthetic import DEFAULT_ORIGIN, random_dn, write_geotiff
from georeset.errors import BadInputError

X0, Y0 = DEFAULT_ORIGIN
S2_BANDS = ["B02", "B03", "B04", "B08"]


def _tile(tmp_path: Path, size: int = 40, **kwargs) -> Path:
    pixels = random_dn(np.random.default_rng(0), 4, size)
    return write_geotiff(tmp_path / "tile.tif", pixels, descriptions=S2_BANDS, **kwargs)


def _label_codes(size: int = 40) -> np.ndarray:
    codes = np.full((size, size), 1, np.uint8)  # class 1 on the left, 2 on the right
    codes[:, size // 2 :] = 2
    return codes


def test_tiles_with_band_descriptions_and_transforms(tmp_path: Path) -> None:
    path = _tile(tmp_path)
    report = ImageryReport()
    patches = list(read_geotiff_tiles(path, 16, report=report))
    # 40 px: windows at 0, 16 and one flush with the edge at 24.
    assert [p.id for p in patches[:3]] == ["tile/r0_c0", "tile/r0_c16", "tile/r0_c24"] and len(patches) == 9
    patch = patches[4]
    assert patch.band_names == S2_BANDS and patch.sensor == "s2_l2a" and patch.pixels.shape == (4, 16, 16)
    assert patch.transform == (10.0, 0.0, X0 + 160, 0.0, -10.0, Y0 - 160) and patch.crs == "EPSG:32632"
    import rasterio

    with rasterio.open(path) as src:
        np.testing.assert_array_equal(patch.pixels, src.read()[:, 16:32, 16:32])
    assert report.read["geotiff"] == 9
    assert len(list(read_geotiff_tiles(path, 16, 8, cover_edges=False))) == 16  # 0, 8, 16, 24 squared


def test_band_names_argument_and_sensor_inference(tmp_path: Path) -> None:
    path = write_geotiff(tmp_path / "s1.tif", np.zeros((2, 8, 8), np.float32) - 12.0)
    report = ImageryReport()
    assert list(read_geotiff_tiles(path, 8, report=report)) == []
    assert report.skipped_by_reason() == {"band_mismatch": 1}
    assert "band_names=" in report.to_dict()["examples"]["skipped/geotiff/band_mismatch"][0]
    (patch,) = read_geotiff_tiles(path, 8, band_names=["vv", "vh"])
    assert patch.band_names == ["VV", "VH"] and patch.sensor == "s1"
    assert infer_sensor(["R", "G", "B"]) == "rgb" and infer_sensor(["B01", "B10"]) == "s2_l1c"
    with pytest.raises(BadInputError, match="sensor="):
        infer_sensor(["NDVI"])


def test_label_raster_on_the_same_grid(tmp_path: Path) -> None:
    path = _tile(tmp_path)
    labels = write_geotiff(tmp_path / "labels.tif", _label_codes())
    patches = list(
        read_geotiff_tiles(path, 20, label_raster=labels, classes={1: "forest", 2: "water"}, label_nodata=0)
    )
    assert [p.labels for p in patches] == [["forest"], ["water"], ["forest"], ["water"]]
    assert patches[0].label_mask.shape == (20, 20) and patches[0].extra["labels_resampled"] is False
    assert patches[0].extra["mask_classes"] == {"1": "forest", "2": "water"}


def test_label_raster_in_another_crs_is_warped(tmp_path: Path) -> None:
    """The label raster is in WGS 84 at a coarser grid: it is warped onto the tile, labels land where they should."""
    import rasterio
    from rasterio.warp import calculate_default_transform, reproject

    path = _tile(tmp_path)
    utm_labels = write_geotiff(tmp_path / "labels_utm.tif", _label_codes())
    with rasterio.open(utm_labels) as src:
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:4326", src.width, src.height, *src.bounds
        )
        out = np.zeros((height, width), np.uint8)
        reproject(src.read(1), out, src_transform=src.transform, src_crs=src.crs, dst_transform=transform,
                  dst_crs="EPSG:4326")  # fmt: skip
        profile = {
            **src.profile,
            "crs": "EPSG:4326",
            "transform": transform,
            "width": width,
            "height": height,
        }
    with rasterio.open(tmp_path / "labels_wgs84.tif", "w", **{**profile, "nodata": 0}) as dst:
        dst.write(out, 1)
    report = ImageryReport()
    patches = list(read_geotiff_tiles(path, 20, label_raster=tmp_path / "labels_wgs84.tif", report=report))
    assert [p.labels for p in patches] == [["class 1"], ["class 2"], ["class 1"], ["class 2"]]
    left = patches[0].label_mask
    assert (left[:, :18] == 1).mean() > 0.95 and patches[0].extra["labels_resampled"] is True
    assert report.flagged[("geotiff", "label_mismatch")] == 1
    # Refused when warping is turned off.
    refused = ImageryReport()
    assert list(read_geotiff_tiles(path, 20, label_raster=tmp_path / "labels_wgs84.tif", reproject_labels=False,
                                   report=refused)) == []  # fmt: skip
    assert "reproject_labels=True" in refused.to_dict()["examples"]["skipped/geotiff/label_mismatch"][0]


def test_label_raster_of_another_size_without_georeferencing_is_refused(tmp_path: Path) -> None:
    path = _tile(tmp_path)
    write_geotiff(tmp_path / "bad_labels.tif", np.ones((30, 30), np.uint8), crs=None)
    report = ImageryReport()
    assert list(read_geotiff_tiles(path, 20, label_raster=tmp_path / "bad_labels.tif", report=report)) == []
    assert report.skipped_by_reason() == {"label_mismatch": 1}
    with pytest.raises(BadInputError, match=r"bad_labels.tif.*\(30, 30\)"):
        list(read_geotiff_tiles(path, 20, label_raster=tmp_path / "bad_labels.tif", strict=True))
    # Same size and no georeferencing on either side: taken as pixel-aligned.
    write_geotiff(
        tmp_path / "plain.tif", random_dn(np.random.default_rng(0), 4, 40), crs=None, descriptions=S2_BANDS
    )
    write_geotiff(tmp_path / "plain_labels.tif", _label_codes(), crs=None)
    patches = list(
        read_geotiff_tiles(
            tmp_path / "plain.tif", 20, label_raster=tmp_path / "plain_labels.tif", require_georeference=False
        )
    )
    assert [p.labels for p in patches] == [["class 1"], ["class 2"], ["class 1"], ["class 2"]]
    assert patches[0].crs is None and patches[0].footprint() is None


def test_label_vector_reprojected_and_rasterised(tmp_path: Path) -> None:
    from pyproj import Transformer

    path = _tile(tmp_path)
    to_wgs84 = Transformer.from_crs("EPSG:32632", "EPSG:4326", always_xy=True)

    def ring(x0: float, y0: float, x1: float, y1: float) -> list:
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        return [list(to_wgs84.transform(x, y)) for x, y in corners]

    features = [  # the tile spans 400 m: a pasture on the west half, a lake in the north-east quarter
        {"type": "Feature", "properties": {"crop": "pasture"},
         "geometry": {"type": "Polygon", "coordinates": [ring(X0 - 50, Y0 - 450, X0 + 200, Y0 + 50)]}},
        {"type": "Feature", "properties": {"crop": "lake"},
         "geometry": {"type": "Polygon", "coordinates": [ring(X0 + 200, Y0 - 200, X0 + 450, Y0 + 50)]}},
        {"type": "Feature", "properties": {"crop": "nothing"}, "geometry": None},
    ]  # fmt: skip
    vector = tmp_path / "parcels.geojson"
    vector.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    report = ImageryReport()
    patches = list(read_geotiff_tiles(path, 20, label_vector=vector, class_attribute="crop", report=report))
    by_position = {(p.extra["row"], p.extra["col"]): p for p in patches}
    assert by_position[(0, 0)].labels == ["pasture"] and by_position[(0, 20)].labels == ["lake"]
    assert (
        by_position[(20, 0)].labels == ["pasture"] and by_position[(20, 20)].labels == []
    )  # unlabelled corner
    mask = by_position[(0, 20)].label_mask
    assert set(np.unique(mask)) == {1}  # codes in name order: lake 1, pasture 2 (0 = no label)
    assert by_position[(0, 0)].extra["mask_classes"] == {"1": "lake", "2": "pasture"}
    assert report.flagged[("geotiff", "label_mismatch")] == 1  # the feature without geometry
    with pytest.raises(BadInputError, match="class_attribute"):
        list(read_geotiff_tiles(path, 20, label_vector=vector, strict=True))
    with pytest.raises(BadInputError, match="no attribute 'kind'"):
        list(read_geotiff_tiles(path, 20, label_vector=vector, class_attribute="kind", strict=True))


def test_malformed_tiles(tmp_path: Path) -> None:
    report = ImageryReport()
    no_crs = write_geotiff(tmp_path / "no_crs.tif", random_dn(np.random.default_rng(0), 4, 16), crs=None,
                           descriptions=S2_BANDS)  # fmt: skip
    assert list(read_geotiff_tiles(no_crs, 8, report=report)) == []
    (tmp_path / "junk.tif").write_bytes(b"II*\x00garbage")
    assert list(read_geotiff_tiles(tmp_path / "junk.tif", 8, report=report)) == []
    # A GeoTIFF cut short loses its directory (GDAL writes it last): unreadable as a whole.
    pixels = random_dn(np.random.default_rng(1), 4, 64)
    cut = write_geotiff(tmp_path / "cut.tif", pixels, descriptions=S2_BANDS, tiled=True)
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    assert list(read_geotiff_tiles(cut, 16, report=report)) == []
    # A compressed tiled GeoTIFF with garbage in its middle: the damaged windows fail one by one, the rest read.
    damaged = write_geotiff(
        tmp_path / "damaged.tif", pixels, descriptions=S2_BANDS, tiled=True, compress="deflate"
    )
    data = bytearray(damaged.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = bytes(2000)
    damaged.write_bytes(bytes(data))
    before = report.skipped_by_reason()["unreadable"]
    survived = list(read_geotiff_tiles(damaged, 16, report=report))
    broken = report.skipped_by_reason()["unreadable"] - before
    assert broken >= 1 and len(survived) >= 1 and len(survived) + broken == 16
    # Nodata: windows with nothing in them are left out.
    holes = pixels.copy()
    holes[:, :32, :32] = 0
    nodata_tile = write_geotiff(tmp_path / "holes.tif", holes, descriptions=S2_BANDS, nodata=0)
    assert len(list(read_geotiff_tiles(nodata_tile, 32, report=report))) == 3
    reasons = report.skipped_by_reason()
    assert reasons["no_georeferencing"] == 1 and reasons["all_nodata"] == 1
    assert reasons["unreadable"] >= 3  # junk, cut, and at least one damaged window
    with pytest.raises(BadInputError, match="no_crs.tif"):
        list(read_geotiff_tiles(no_crs, 8, strict=True))


def test_large_tile_streams_in_bounded_memory(tmp_path: Path) -> None:
    """A 2048 x 2048 x 2 uint16 tile (16 MiB of pixels) read as 64 px patches never holds more than a few windows."""
    pixels = np.ones((2, 2048, 2048), np.uint16)
    path = write_geotiff(tmp_path / "big.tif", pixels, descriptions=["VV", "VH"], tiled=True, block_size=256)
    del pixels
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_geotiff_tiles(path, 64, sensor="s1"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 32 * 32
    assert peak < 2 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


@pytest.mark.shared_data
def test_real_slovenia_vector_reference_matches_its_raster(shared_data: Path, tmp_path: Path) -> None:
    """A Slovenia scene written as a GeoTIFF, labelled from the real LULC.gpkg: the rasterised polygons agree with
    eo-learn's own LULC raster of the same area."""
    from data_builders.imagery.eolearn import EOLEARN_LULC_CLASSES, read_eolearn_scenes

    root = shared_data / "sentinel2" / "eolearn-slovenia"
    scene = read_eolearn_scenes(root)[0]
    a, _, c, _, e, f = scene.transform
    tile = write_geotiff(tmp_path / "scene.tif", scene.pixels, crs=scene.crs, origin=(c, f), resolution=a,
                         descriptions=scene.band_names)  # fmt: skip
    assert abs(a + e) < 0.01  # square pixels, as write_geotiff assumes
    patches = list(
        read_geotiff_tiles(
            tile,
            100,
            label_vector=root / "TestEOPatch" / "vector_timeless" / "LULC.gpkg",
            class_attribute="LULC_ID",
            classes=EOLEARN_LULC_CLASSES,
        )
    )
    assert [p.id for p in patches] == [
        "scene/r0_c0",
        "scene/r1_c0",
    ]  # 101 rows: one more window flush with the edge
    vector_mask = patches[0].label_mask
    raster_mask = scene.label_mask[:100]
    both = (vector_mask != 0) & (raster_mask != 0)
    assert both.mean() > 0.9
    agreement = float((vector_mask[both] == raster_mask[both]).mean())
    assert agreement > 0.9, agreement
    assert patches[0].labels[0] == "forest" and patches[0].extra["mask_classes"]["2"] == "forest"
