"""The eo-learn Slovenia example (sentinel-hub/eo-learn, MIT): five Sentinel-2 L1C scenes with a land-use/land-cover
reference, read as whole-scene patches with a per-pixel label mask.

Files (an EOPatch folder saved by eo-learn, plus the scenes array beside it):

- `REFERENCE_SCENES.npy`: float32 `(scenes, height, width, 13)` L1C reflectance, bands in Sentinel Hub order
  (B01..B08, B8A, B09, B10, B11, B12);
- `TestEOPatch/bbox.geojson`: the scene's bounds as a GeoJSON polygon with a named CRS (UTM 33N);
- `TestEOPatch/mask_timeless/LULC.npy`: uint16 `(height, width, 1)` classes of the eo-learn LULC nomenclature;
- `TestEOPatch/timestamps.json` and `TestEOPatch/data/NDVI.npy`: the EOPatch's acquisition dates and its NDVI
  time series, used to date each reference scene (the scenes file itself carries no dates).

Units: pixels are stored as Sentinel-2 digital numbers, `round(reflectance x 10,000)` in uint16, to keep the
`Patch` units contract (`extra["reflectance_scale"] == 10000` says so).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from georeset.errors import BadInputError

from .patch import Patch
from .report import ALL_NODATA, BAD_METADATA, LABEL_MISMATCH, UNKNOWN_CLASS, ImageryReport
from .tiling import mask_labels, tile_patch

# Band order of Sentinel Hub's L1C "ALL_BANDS" requests, which eo-learn stores (B8A after B08, B10 kept).
EOLEARN_L1C_BANDS: tuple[str, ...] = (
    "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12",
)  # fmt: skip

# The LULC nomenclature of eo-learn's Slovenia land-cover example (its `LULC` enum: NO_DATA, CULTIVATED_LAND, FOREST,
# GRASSLAND, SHRUBLAND, WATER, WETLAND, TUNDRA, ARTIFICIAL_SURFACE, BARELAND, SNOW_AND_ICE).
EOLEARN_LULC_CLASSES: dict[int, str] = {
    0: "no data",
    1: "cultivated land",
    2: "forest",
    3: "grassland",
    4: "shrubland",
    5: "water",
    6: "wetlands",
    7: "tundra",
    8: "artificial surface",
    9: "bareland",
    10: "snow and ice",
}
LULC_NODATA = 0
REFLECTANCE_SCALE = 10_000
# Largest mean |NDVI difference| for a scene to be dated by the EOPatch's NDVI series (exact copies give ~0).
_NDVI_MATCH_TOLERANCE = 1e-3


def read_bbox_geojson(path: str | Path) -> tuple[tuple[float, float, float, float], str]:
    """`(minx, miny, maxx, maxy)` and CRS ("EPSG:n") of an eo-learn `bbox.geojson`.

    Raises:
        BadInputError: the file is missing, not JSON, or has no polygon or CRS.
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    path = Path(path)
    try:
        data = json.loads(path.read_text())
        coords = np.asarray(data["coordinates"][0], dtype=float)
        crs = CRS.from_user_input(data["crs"]["properties"]["name"])
    except (OSError, ValueError, KeyError, IndexError, TypeError, CRSError) as err:
        raise BadInputError(
            f"{path}: not an eo-learn bbox GeoJSON with a polygon and a named CRS ({err})"
        ) from err
    epsg = crs.to_epsg()
    crs_name = f"EPSG:{epsg}" if epsg else crs.to_wkt()
    bounds = (coords[:, 0].min(), coords[:, 1].min(), coords[:, 0].max(), coords[:, 1].max())
    return tuple(float(v) for v in bounds), crs_name  # type: ignore[return-value]


def _scene_dates(scenes: np.ndarray, eopatch: Path, report: ImageryReport, source: str) -> list[str | None]:
    """Date each scene by finding the EOPatch NDVI frame it reproduces; None where there is no such frame."""
    ndvi_path, ts_path = eopatch / "data" / "NDVI.npy", eopatch / "timestamps.json"
    if not (ndvi_path.is_file() and ts_path.is_file()):
        return [None] * len(scenes)
    try:
        ndvi = np.load(ndvi_path, mmap_mode="r")[..., 0]
        timestamps = json.loads(ts_path.read_text())
    except (OSError, ValueError, IndexError) as err:
        report.flag(source, BAD_METADATA, ts_path, f"cannot date the scenes ({err})")
        return [None] * len(scenes)
    if ndvi.shape[0] != len(timestamps) or ndvi.shape[1:] != scenes.shape[1:3]:
        report.flag(
            source, BAD_METADATA, ndvi_path, "NDVI series does not match the timestamps or the scene grid"
        )
        return [None] * len(scenes)
    b04, b08 = EOLEARN_L1C_BANDS.index("B04"), EOLEARN_L1C_BANDS.index("B08")
    dates: list[str | None] = []
    # An all-zero scene gives an all-NaN NDVI: no match, and no warning about it.
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for scene in scenes:
            red, nir = scene[..., b04].astype(np.float64), scene[..., b08].astype(np.float64)
            scene_ndvi = (nir - red) / (nir + red)
            errors = np.nanmean(np.abs(ndvi - scene_ndvi[None]), axis=(1, 2))
            best = int(np.nanargmin(errors)) if np.isfinite(errors).any() else -1
            dates.append(
                str(timestamps[best]) if best >= 0 and errors[best] < _NDVI_MATCH_TOLERANCE else None
            )
    return dates


def read_eolearn_scenes(
    root: str | Path,
    *,
    scenes_file: str = "REFERENCE_SCENES.npy",
    eopatch: str = "TestEOPatch",
    min_fraction: float = 0.05,
    report: ImageryReport | None = None,
    strict: bool = False,
) -> list[Patch]:
    """The reference scenes as whole-scene patches with the LULC mask.

    Args:
        root: the folder holding `scenes_file` and the `eopatch` folder (`../shared/data/sentinel2/eolearn-slovenia`).
        scenes_file: the `(scenes, height, width, 13)` reflectance array.
        eopatch: the EOPatch folder giving bbox, CRS, LULC mask and dates.
        min_fraction: share of labelled pixels a secondary class needs to be in `labels`.
        report: counts scenes read, skipped (all no data) and flagged (no mask, undated).
        strict: raise `BadInputError` instead of skipping or flagging.

    Returns:
        One `Patch` per scene: uint16 DN `(13, height, width)`, sensor "s2_l1c", source "eolearn_slovenia",
        the UTM CRS and the transform of the bbox, `label_mask` (LULC codes, 0 = no data), `labels` (majority
        LULC class first, then classes above `min_fraction`), `extra` = {"scene_index", "timestamp",
        "mask_classes", "mask_nodata", "label_fractions", "reflectance_scale", "bbox"}.

    Raises:
        BadInputError: the scenes file or the bbox is missing or malformed.
    """
    source = "eolearn_slovenia"
    root = Path(root)
    report = report if report is not None else ImageryReport()
    patch_dir = root / eopatch
    scenes_path = root / scenes_file
    try:
        scenes = np.load(scenes_path, mmap_mode="r")
    except (OSError, ValueError) as err:
        raise BadInputError(f"{scenes_path}: cannot read the eo-learn scenes array ({err})") from err
    if scenes.ndim != 4 or scenes.shape[-1] != len(EOLEARN_L1C_BANDS):
        raise BadInputError(
            f"{scenes_path}: expected (scenes, height, width, {len(EOLEARN_L1C_BANDS)}), got {scenes.shape}"
        )
    height, width = scenes.shape[1:3]
    (minx, miny, maxx, maxy), crs = read_bbox_geojson(patch_dir / "bbox.geojson")
    transform = ((maxx - minx) / width, 0.0, minx, 0.0, -(maxy - miny) / height, maxy)

    mask = None
    mask_path = patch_dir / "mask_timeless" / "LULC.npy"
    if mask_path.is_file():
        mask = np.load(mask_path)
        mask = mask[..., 0] if mask.ndim == 3 else mask
        if mask.shape != (height, width):
            report.skip(
                source,
                LABEL_MISMATCH,
                mask_path,
                f"mask {mask.shape} vs scenes {(height, width)}",
                strict=strict,
            )
            mask = None
    else:
        report.flag(source, LABEL_MISMATCH, mask_path, "no LULC mask: scenes are unlabelled")

    classes = {str(code): name for code, name in EOLEARN_LULC_CLASSES.items()}
    labels: list[str] = []
    fractions: dict[str, float] = {}
    if mask is not None:
        unknown = sorted(set(np.unique(mask).tolist()) - set(EOLEARN_LULC_CLASSES))
        if unknown:
            report.flag(
                source, UNKNOWN_CLASS, mask_path, f"mask values outside the LULC nomenclature: {unknown}"
            )
        labels, fractions = mask_labels(mask, classes, nodata=LULC_NODATA, min_fraction=min_fraction)

    dates = _scene_dates(np.asarray(scenes), patch_dir, report, source)
    patches = []
    for index in range(scenes.shape[0]):
        reflectance = np.asarray(scenes[index], dtype=np.float32)
        if not np.isfinite(reflectance).any() or not np.nan_to_num(reflectance).any():
            report.skip(source, ALL_NODATA, f"{scenes_path}[{index}]", strict=strict)
            continue
        dn = np.clip(np.rint(np.nan_to_num(reflectance) * REFLECTANCE_SCALE), 0, np.iinfo(np.uint16).max)
        extra: dict[str, Any] = {
            "scene_index": index,
            "timestamp": dates[index],
            "reflectance_scale": REFLECTANCE_SCALE,
            "bbox": [minx, miny, maxx, maxy],
        }
        if dates[index] is None:
            report.flag(source, BAD_METADATA, f"{scenes_path}[{index}]", "no acquisition date found")
        if mask is not None:
            extra.update(mask_classes=classes, mask_nodata=LULC_NODATA, label_fractions=fractions)
        report.count_read(source)
        patches.append(
            Patch(
                id=f"{eopatch}/scene_{index}",
                pixels=np.ascontiguousarray(dn.astype(np.uint16).transpose(2, 0, 1)),
                band_names=list(EOLEARN_L1C_BANDS),
                sensor="s2_l1c",
                crs=crs,
                transform=transform,
                labels=list(labels),
                source=source,
                path=str(scenes_path),
                nodata=0.0,
                label_mask=None if mask is None else mask.copy(),
                extra=extra,
            )
        )
    return patches


__all__ = [
    "EOLEARN_L1C_BANDS",
    "EOLEARN_LULC_CLASSES",
    "LULC_NODATA",
    "REFLECTANCE_SCALE",
    "read_bbox_geojson",
    "read_eolearn_scenes",
    "tile_patch",
]
