"""Writers of small synthetic files in the public imagery formats, for tests, demos and fixtures elsewhere.

Each writer produces what the real archive holds on disk (GeoTIFFs with a UTM CRS via rasterio, JPEGs via PIL,
BigEarthNet's per-band files and labels JSON), with random pixel values, so the readers run on them unchanged.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# A 10 m UTM grid origin in Bavaria (EPSG:32632): footprints land in Europe, like the real data.
DEFAULT_CRS = "EPSG:32632"
DEFAULT_ORIGIN = (680000.0, 5340000.0)


def write_geotiff(
    path: str | Path,
    pixels: np.ndarray,
    *,
    crs: str | None = DEFAULT_CRS,
    origin: tuple[float, float] = DEFAULT_ORIGIN,
    resolution: float = 10.0,
    nodata: float | None = None,
    descriptions: Sequence[str] | None = None,
    tiled: bool = False,
    block_size: int = 16,
    compress: str | None = None,
) -> Path:
    """Write `(bands, h, w)` (or `(h, w)`) pixels as a GeoTIFF on a north-up grid; `crs=None` writes none."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.transform import Affine

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = pixels[None] if pixels.ndim == 2 else pixels
    profile = {
        "driver": "GTiff",
        "height": pixels.shape[1],
        "width": pixels.shape[2],
        "count": pixels.shape[0],
        "dtype": pixels.dtype.name,
        "nodata": nodata,
    }
    if compress:
        profile["compress"] = compress
    if tiled:
        profile.update(tiled=True, blockxsize=block_size, blockysize=block_size)
    if crs is not None:
        profile.update(crs=crs, transform=Affine(resolution, 0.0, origin[0], 0.0, -resolution, origin[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # crs=None is asked for: a file without one
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(pixels)
            for i, text in enumerate(descriptions or [], start=1):
                dst.set_band_description(i, text)
    return path


def random_dn(rng: np.random.Generator, bands: int, size: int) -> np.ndarray:
    """Sentinel-2-like digital numbers (uint16, 200..4000)."""
    return rng.integers(200, 4000, size=(bands, size, size), dtype=np.uint16)


def write_eurosat_ms(
    root: str | Path,
    classes: Sequence[str] = ("AnnualCrop", "Forest"),
    per_class: int = 2,
    *,
    splits: Sequence[str] | None = None,
    size: int = 64,
    seed: int = 0,
) -> list[Path]:
    """EuroSAT_MS folders `<root>[/<split>]/<Class>/<Class>_N.tif`: 13-band uint16 GeoTIFFs in UTM."""
    rng = np.random.default_rng(seed)
    written = []
    for split in splits or [None]:
        for c, name in enumerate(classes):
            for n in range(per_class):
                folder = Path(root) / split / name if split else Path(root) / name
                number = n + 1 + (1000 if split == "test" else 0)
                origin = (DEFAULT_ORIGIN[0] + 1000 * c, DEFAULT_ORIGIN[1] - 1000 * n)
                written.append(
                    write_geotiff(folder / f"{name}_{number}.tif", random_dn(rng, 13, size), origin=origin)
                )
    return written


def write_eurosat_rgb(
    root: str | Path,
    classes: Sequence[str] = ("AnnualCrop", "Forest"),
    per_class: int = 2,
    *,
    size: int = 64,
    seed: int = 0,
) -> list[Path]:
    """EuroSAT RGB folders `<root>/2750/<Class>/<Class>_N.jpg`: 8-bit RGB JPEGs."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    written = []
    for name in classes:
        folder = Path(root) / "2750" / name
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(per_class):
            path = folder / f"{name}_{n + 1}.jpg"
            Image.fromarray(rng.integers(20, 235, size=(size, size, 3), dtype=np.uint8)).save(
                path, quality=95
            )
            written.append(path)
    return written


# Sentinel-2 L2A bands of BigEarthNet and their native resolution (m); B10 is not in L2A products.
BIGEARTHNET_S2_RESOLUTION = {
    "B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20, "B07": 20, "B08": 10, "B8A": 20,
    "B09": 60, "B11": 20, "B12": 20,
}  # fmt: skip


def write_bigearthnet_s2(
    root: str | Path,
    name: str,
    labels: Sequence[str],
    *,
    origin: tuple[float, float] = DEFAULT_ORIGIN,
    crs: str = DEFAULT_CRS,
    seed: int = 0,
    version: int = 1,
    acquisition_date: str = "2017-06-13 10:10:31",
) -> Path:
    """One BigEarthNet S2 patch folder: `<name>_<band>.tif` (120/60/20 px at 10/20/60 m), + labels JSON in v1.

    For v2 pass `root=<BigEarthNet-S2>/<tile>` and `version=2` (labels then go to `metadata.parquet`)."""
    rng = np.random.default_rng(seed)
    folder = Path(root) / name
    for band, resolution in BIGEARTHNET_S2_RESOLUTION.items():
        size = 1200 // resolution
        write_geotiff(folder / f"{name}_{band}.tif", random_dn(rng, 1, size)[0], crs=crs, origin=origin,
                      resolution=float(resolution))  # fmt: skip
    if version == 1:
        x, y = origin
        metadata = {
            "labels": list(labels),
            "coordinates": {"ulx": x, "uly": y, "lrx": x + 1200, "lry": y - 1200},
            "projection": crs,
            "tile_source": "S2A_MSIL1C_20170613T101031_N0205_R022_T33UUP_20170613T101525",
            "acquisition_date": acquisition_date,
        }
        (folder / f"{name}_labels_metadata.json").write_text(json.dumps(metadata))
    return folder


def write_bigearthnet_s1(
    root: str | Path,
    name: str,
    s2_name: str,
    labels: Sequence[str],
    *,
    origin: tuple[float, float] = DEFAULT_ORIGIN,
    crs: str = DEFAULT_CRS,
    seed: int = 0,
    version: int = 1,
) -> Path:
    """One BigEarthNet-S1 patch folder: `<name>_VV.tif`, `<name>_VH.tif` (float32 dB), + labels JSON in v1."""
    rng = np.random.default_rng(seed)
    folder = Path(root) / name
    for pol in ("VV", "VH"):
        db = rng.normal(-12.0 if pol == "VV" else -19.0, 3.0, size=(120, 120)).astype(np.float32)
        write_geotiff(folder / f"{name}_{pol}.tif", db, crs=crs, origin=origin)
    if version != 1:
        return folder
    metadata = {
        "labels": list(labels),
        "corresponding_s2_patch": s2_name,
        "acquisition_time": "2017-06-13T16:41:25",
        "scene_source": "S1A_IW_GRDH_1SDV_20170613T164125_20170613T164150_017003_01C4C7_5C34",
    }
    (folder / f"{name}_labels_metadata.json").write_text(json.dumps(metadata))
    return folder


def write_bigearthnet_v2_metadata(path: str | Path, rows: Sequence[dict]) -> Path:
    """BigEarthNet v2 `metadata.parquet`: one row per patch with patch_id, labels (19-class), split, country,
    s1_name, contains_seasonal_snow, contains_cloud_or_shadow (defaults filled in)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    defaults = {"split": "train", "country": "Austria", "contains_seasonal_snow": False,
                "contains_cloud_or_shadow": False}  # fmt: skip
    table = pa.Table.from_pylist([{**defaults, **row} for row in rows])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def write_bigearthnet_reference_map(
    root: str | Path,
    patch_id: str,
    codes: np.ndarray,
    *,
    origin: tuple[float, float] = DEFAULT_ORIGIN,
    crs: str = DEFAULT_CRS,
) -> Path:
    """v2 `Reference_Maps/<tile>/<patch_id>/<patch_id>_reference_map.tif` holding CORINE codes (uint16)."""
    tile = "_".join(patch_id.split("_")[:-2])
    path = Path(root) / "Reference_Maps" / tile / patch_id / f"{patch_id}_reference_map.tif"
    return write_geotiff(path, codes.astype(np.uint16), crs=crs, origin=origin)


__all__ = [
    "BIGEARTHNET_S2_RESOLUTION",
    "DEFAULT_CRS",
    "DEFAULT_ORIGIN",
    "random_dn",
    "write_bigearthnet_reference_map",
    "write_bigearthnet_s1",
    "write_bigearthnet_s2",
    "write_bigearthnet_v2_metadata",
    "write_eurosat_ms",
    "write_eurosat_rgb",
    "write_geotiff",
]
