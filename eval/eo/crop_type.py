"""Crop-type mapping: one prediction per parcel, from the Sentinel-2 pixels inside the parcel polygon.

Input: a vector file of parcels with a crop attribute (EuroCrops layout: `EC_hcat_n` HCAT class name, `EC_hcat_c`
code; or any `crop` / `crop_type` / `label` / `class` column, or `label_column`), as GeoPackage, GeoJSON, shapefile
or GeoParquet (a parcel table), over a multi-band Sentinel-2 GeoTIFF (`image`). `data` may also be a folder that
holds exactly one GeoTIFF and one vector file.

Each parcel becomes one patch: the square window around its bounding box (at least `min_size` pixels, clipped to
the image), read on its own (windowed: memory holds one parcel at a time plus the kept patches); pixels outside
the polygon are replaced by the per-band mean of the pixels inside it, so the model sees the parcel only. Parcels
in another CRS than the image are reprojected. Parcels that cannot give a patch are never dropped silently: they
are counted by reason in the report (`empty_geometry`, `outside_image`, `no_pixels` (a polygon smaller than a
pixel even with all-touched rasterisation), `all_nodata`) with example ids, and a warning lists them.

No real crop-type data ships with georeset or `../shared`: `write_synthetic_crop_scene` writes a realistic
fixture in the public formats (a 12-band Sentinel-2 L2A GeoTIFF in UTM and a EuroCrops-style GeoPackage in
EPSG:4326, parcels with typical mid-season reflectance of their crop), for tests and demos.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from data_builders.imagery.patch import Patch
from eval.eo.land_use import stratified_sample
from eval.eo.model import PatchClassifier
from eval.eo.modes import DEFAULT_FOLDS, DEFAULT_K, LabelledPatches, evaluate_modes
from georeset.errors import BadInputError

logger = logging.getLogger(__name__)

LABEL_COLUMNS = ("EC_hcat_n", "crop_type", "crop", "label", "class", "EC_trans_n")
"""Crop attributes looked for, in order, when `label_column` is not given (EuroCrops HCAT name first)."""
VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".parquet", ".fgb")
DEFAULT_MIN_SIZE = 16
MAX_EXAMPLES = 5


def _find_inputs(data: Path, image: str | Path | None) -> tuple[Path, Path]:
    """(parcels file, image GeoTIFF) from `data` (a file or a folder) and `image`."""
    if data.is_dir():
        vectors = sorted(p for p in data.iterdir() if p.suffix.lower() in VECTOR_SUFFIXES)
        tifs = sorted(p for p in data.iterdir() if p.suffix.lower() in (".tif", ".tiff"))
        if len(vectors) != 1 or (image is None and len(tifs) != 1):
            raise BadInputError(
                f"crop-type data {data}: expected one parcels file ({VECTOR_SUFFIXES}) and one GeoTIFF, found "
                f"{[p.name for p in vectors]} and {[p.name for p in tifs]}; pass the parcels file and --image"
            )
        return vectors[0], Path(image) if image else tifs[0]
    if not data.is_file():
        raise BadInputError(f"crop-type data {data}: no such file or folder")
    if image is None:
        raise BadInputError(f"crop-type data {data}: give the Sentinel-2 GeoTIFF the parcels lie on (image)")
    return data, Path(image)


def read_parcels(path: Path, label_column: str | None = None):
    """The parcels as a GeoDataFrame and the crop column used."""
    import geopandas as gpd

    try:
        frame = gpd.read_parquet(path) if path.suffix.lower() == ".parquet" else gpd.read_file(path)
    except Exception as err:  # pyogrio, pyarrow or shapely errors
        raise BadInputError(f"parcels {path}: cannot read them ({err})") from err
    column = label_column or next((c for c in LABEL_COLUMNS if c in frame.columns), None)
    if column is None or column not in frame.columns:
        raise BadInputError(
            f"parcels {path}: no crop column {label_column or LABEL_COLUMNS}; columns: {list(frame.columns)}"
        )
    if frame.crs is None:
        raise BadInputError(f"parcels {path}: no CRS, so they cannot be placed on the image")
    return frame, column


def parcel_patches(
    parcels_path: Path, image_path: Path, label_column: str | None = None, min_size: int = DEFAULT_MIN_SIZE,
    band_names: Sequence[str] | None = None,
) -> tuple[list[Patch], dict]:  # fmt: skip
    """One patch per usable parcel, and what was read, reprojected and skipped (by reason, with examples)."""
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    from data_builders.imagery.raster_io import crs_string
    from eval.eo.land_cover_map import GeoTiffScene

    frame, column = read_parcels(parcels_path, label_column)
    scene = GeoTiffScene(image_path, band_names)  # checks CRS and band names
    scene.close()
    info: dict = {"parcels": str(parcels_path), "image": str(image_path), "label_column": column,
                  "n_parcels": int(len(frame)), "parcels_crs": str(frame.crs)}  # fmt: skip
    skipped: Counter = Counter()
    examples: dict[str, list[str]] = {}
    patches: list[Patch] = []
    id_column = next((c for c in ("parcel_id", "ID_PARCEL", "id", "fid") if c in frame.columns), None)
    with rasterio.open(image_path) as src:
        if not frame.crs.equals(src.crs):
            frame = frame.to_crs(src.crs)
            info["reprojected_to"] = crs_string(src.crs)

        def skip(reason: str, parcel_id: str) -> None:
            skipped[reason] += 1
            bucket = examples.setdefault(reason, [])
            if len(bucket) < MAX_EXAMPLES:
                bucket.append(parcel_id)

        for position, row in enumerate(frame.itertuples(index=False)):
            geometry = row.geometry
            parcel_id = str(getattr(row, id_column)) if id_column else str(position)
            label = getattr(row, column)
            if label is None or (isinstance(label, float) and np.isnan(label)) or str(label).strip() == "":
                skip("no_label", parcel_id)
                continue
            if geometry is None or geometry.is_empty:
                skip("empty_geometry", parcel_id)
                continue
            minx, miny, maxx, maxy = geometry.bounds
            rows, cols = rasterio.transform.rowcol(src.transform, [minx, maxx], [maxy, miny], op=np.floor)
            r0, r1 = sorted(int(v) for v in rows)
            c0, c1 = sorted(int(v) for v in cols)
            side = max(r1 - r0 + 1, c1 - c0 + 1, min_size)
            centre_r, centre_c = (r0 + r1) // 2, (c0 + c1) // 2
            top = int(np.clip(centre_r - side // 2, 0, max(src.height - side, 0)))
            left = int(np.clip(centre_c - side // 2, 0, max(src.width - side, 0)))
            if r1 < 0 or c1 < 0 or r0 >= src.height or c0 >= src.width:
                skip("outside_image", parcel_id)
                continue
            window = Window(left, top, min(side, src.width - left), min(side, src.height - top))
            pixels = src.read(window=window)
            transform = window_transform(window, src.transform)
            shape = (int(window.height), int(window.width))
            inside = ~geometry_mask([geometry], shape, transform, all_touched=False)
            if not inside.any():  # smaller than a pixel centre: take every pixel it touches
                inside = ~geometry_mask([geometry], shape, transform, all_touched=True)
            if not inside.any():
                skip("no_pixels", parcel_id)
                continue
            valid = inside.copy()
            if src.nodata is not None:
                valid &= ~(pixels == src.nodata).any(axis=0)
            if pixels.dtype.kind == "f":
                valid &= np.isfinite(pixels).all(axis=0)
            if not valid.any():
                skip("all_nodata", parcel_id)
                continue
            means = pixels[:, valid].mean(axis=1)
            filled = np.where(valid[None], pixels, means[:, None, None].astype(pixels.dtype))
            patches.append(
                Patch(
                    id=parcel_id,
                    pixels=filled,
                    band_names=scene.band_names,
                    sensor=scene.sensor,
                    crs=scene.crs,
                    transform=tuple(transform)[:6],
                    labels=[str(label)],
                    source="parcels",
                    path=str(parcels_path),
                    extra={"pixels_inside": int(valid.sum())},
                )
            )
    info.update({"n_patches": len(patches), "skipped": dict(skipped), "skipped_examples": examples})
    if skipped:
        logger.warning(
            "crop-type: parcels left out of %s: %s (examples %s)", parcels_path, dict(skipped), examples
        )
    if not patches:
        raise BadInputError(
            f"parcels {parcels_path}: no parcel gives a patch on {image_path} ({dict(skipped)})"
        )
    return patches, info


def evaluate_crop_type(
    data: str | Path,
    classifier: PatchClassifier,
    modes: Sequence[str],
    k: int = DEFAULT_K,
    max_samples: int | None = None,
    seed: int = 0,
    out: str | Path | None = None,
    image: str | Path | None = None,
    label_column: str | None = None,
    band_names: Sequence[str] | None = None,
    min_size: int = DEFAULT_MIN_SIZE,
    n_folds: int = DEFAULT_FOLDS,
    progress_factory=None,
) -> dict:
    """Per-parcel crop-type evaluation with the modes and baselines; with `out`, also the plots.

    Returns:
        The report (see `eval.eo.run.build_report`); `dataset` says how many parcels were read and skipped.
    """
    from eval.eo.plots import write_report_plots
    from eval.eo.run import build_report

    started = time.perf_counter()
    parcels_path, image_path = _find_inputs(Path(data), image)
    patches, info = parcel_patches(parcels_path, image_path, label_column, min_size, band_names)
    classes = sorted({p.labels[0] for p in patches})
    patches = stratified_sample(patches, lambda p: p.labels[0], classes, max_samples, seed)
    info.update({"path": str(data), "n_evaluated": len(patches), "max_samples": max_samples,
                 "note": "no real crop-type data is bundled: figures on the synthetic fixture test the pipeline"})  # fmt: skip
    if len(classes) < 2:
        raise BadInputError(f"parcels {parcels_path}: one crop class only ({classes}): nothing to classify")
    labelled = LabelledPatches(
        patches=patches,
        targets=np.array([classes.index(p.labels[0]) for p in patches]),
        classes=classes,
        phrases=[name.replace("_", " ").lower() for name in classes],
        subject="crop type",
    )
    read_s = time.perf_counter() - started
    results, baselines, protocol = evaluate_modes(
        classifier, labelled, modes, k=k, n_folds=n_folds, seed=seed, progress_factory=progress_factory
    )
    report = build_report(
        "crop-type", info, dict(classifier.eo_model.info), results, baselines, protocol,
        timing={"read_s": round(read_s, 3), "evaluate_s": round(time.perf_counter() - started - read_s, 3)},
    )  # fmt: skip
    report["classes"] = classes
    if out is not None:
        report["plots"] = write_report_plots(report, classes, out)
    return report


# Typical mid-season (June-July) Sentinel-2 L2A reflectance x 10,000 of common crops, bands B01..B12 without B10.
CROP_SIGNATURES = {
    "maize": [350, 450, 750, 500, 1200, 2900, 3600, 3900, 4000, 4000, 2300, 1200],
    "winter_common_soft_wheat": [500, 650, 950, 1100, 1500, 2100, 2400, 2600, 2700, 2700, 2800, 2000],
    "pasture_meadow_grassland_grass": [400, 500, 800, 600, 1200, 2600, 3200, 3400, 3500, 3500, 2100, 1100],
    "sugar_beet": [300, 400, 700, 400, 1100, 3200, 4100, 4400, 4500, 4500, 2200, 1000],
    "rapeseed_rape": [450, 600, 1000, 800, 1500, 2500, 2900, 3100, 3200, 3200, 2500, 1600],
}
CROP_CODES = {"maize": 3301010301, "winter_common_soft_wheat": 3301010101, "pasture_meadow_grassland_grass": 3302000000,
              "sugar_beet": 3301290400, "rapeseed_rape": 3301060701}  # fmt: skip
L2A_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12")


def write_synthetic_crop_scene(
    folder: str | Path,
    n_parcels: int = 40,
    size: int = 256,
    seed: int = 0,
    crs: str = "EPSG:32632",
    origin: tuple[float, float] = (680000.0, 5340000.0),
    parcels_crs: str = "EPSG:4326",
) -> tuple[Path, Path]:
    """Write `s2_l2a.tif` (12 bands, uint16 DN, 10 m UTM) and `parcels.gpkg` (EuroCrops columns `EC_hcat_n`,
    `EC_hcat_c`, `parcel_id`, polygons in `parcels_crs`): rectangular-ish parcels of random crops with their
    signature plus within-field noise, bare soil between them.

    Returns:
        (image path, parcels path)
    """
    import geopandas as gpd
    import rasterio
    from rasterio.features import rasterize
    from rasterio.transform import Affine
    from shapely.affinity import rotate
    from shapely.geometry import box

    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    transform = Affine(10.0, 0.0, origin[0], 0.0, -10.0, origin[1])
    soil = np.array([900, 1100, 1400, 1700, 1900, 2000, 2100, 2200, 2300, 2300, 2900, 2500], dtype=np.float32)
    pixels = soil[:, None, None] * (1 + 0.05 * rng.standard_normal((12, size, size)))
    crops = sorted(CROP_SIGNATURES)
    records = []
    cells = int(np.ceil(np.sqrt(n_parcels)))
    cell = size // cells
    for n in range(n_parcels):
        r, c = divmod(n, cells)
        x0 = origin[0] + 10 * (c * cell + rng.integers(1, 4))
        y0 = origin[1] - 10 * (r * cell + rng.integers(1, 4))
        width, height = 10 * rng.integers(cell // 2, cell - 3), 10 * rng.integers(cell // 2, cell - 3)
        polygon = rotate(box(x0, y0 - height, x0 + width, y0), rng.uniform(-10, 10), origin="centroid")
        crop = crops[n % len(crops)]
        inside = rasterize([(polygon, 1)], out_shape=(size, size), transform=transform, fill=0).astype(bool)
        signature = np.asarray(CROP_SIGNATURES[crop], dtype=np.float32) * rng.uniform(0.9, 1.1)
        noise = 1 + 0.06 * rng.standard_normal((12, int(inside.sum())))
        pixels[:, inside] = signature[:, None] * noise
        records.append(
            {"parcel_id": f"P{n:04d}", "EC_hcat_n": crop, "EC_hcat_c": CROP_CODES[crop], "geometry": polygon}
        )
    image = folder / "s2_l2a.tif"
    with rasterio.open(image, "w", driver="GTiff", height=size, width=size, count=12, dtype="uint16", crs=crs,
                       transform=transform, nodata=0) as dst:  # fmt: skip
        dst.write(np.clip(pixels, 1, 10000).astype(np.uint16))
        dst.descriptions = L2A_BANDS
    parcels = folder / "parcels.gpkg"
    gpd.GeoDataFrame(records, crs=crs).to_crs(parcels_crs).to_file(parcels, driver="GPKG")
    return image, parcels


__all__ = [
    "CROP_SIGNATURES",
    "LABEL_COLUMNS",
    "evaluate_crop_type",
    "parcel_patches",
    "read_parcels",
    "write_synthetic_crop_scene",
]
