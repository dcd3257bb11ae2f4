"""Generic GeoTIFF tiles (a scene, a mosaic tile) cut into patches, with optional per-pixel labels.

The tile is read window by window (one `patch_size` square at a time), so a 10,980 x 10,980 Sentinel-2 tile streams
in bounded memory. Labels come from either

- a label raster (per-pixel class codes): used as is when it shares the tile's grid; otherwise warped onto the tile
  grid (nearest neighbour, through a `WarpedVRT`, so it streams too) when both have a CRS, or refused with a message
  saying why (no CRS and another size, no overlap);
- a label vector file (GeoJSON, GeoPackage, shapefile...: polygons with a class attribute), reprojected with pyproj
  to the tile's CRS and rasterised with `rasterio.features` onto each window.

Each patch gets `label_mask` (class codes; `extra["mask_classes"]` names them, `extra["mask_nodata"]` marks
unlabelled pixels) and `labels` (majority class first, then every class above `min_fraction`).

Units are the file's own: give `sensor` and `band_names` to match the `Patch` contract (Sentinel-2 DN, S1 dB,
8-bit RGB).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from georeset.errors import BadInputError

from .patch import SENSORS, Patch
from .raster_io import affine_tuple, canonical_band_name, crs_string, is_all_nodata
from .report import ALL_NODATA, BAND_MISMATCH, LABEL_MISMATCH, NO_GEOREFERENCING, UNREADABLE, ImageryReport
from .tiling import mask_labels, sub_transform, window_starts

_S2_BANDS = {"B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"}


def infer_sensor(band_names: Sequence[str]) -> str:
    """The `Patch.sensor` of a band list: "s1" (VV/VH), "rgb" (R/G/B), "s2_l1c" (with B10) or "s2_l2a".

    Raises:
        BadInputError: bands of no known sensor (pass `sensor=` explicitly).
    """
    names = set(band_names)
    if names <= {"VV", "VH", "HH", "HV"}:
        return "s1"
    if names <= {"R", "G", "B"}:
        return "rgb"
    if names <= _S2_BANDS:
        return "s2_l1c" if "B10" in names else "s2_l2a"
    raise BadInputError(f"cannot tell the sensor of bands {sorted(names)}: pass sensor= (one of {SENSORS})")


def _band_names(
    path: Path, descriptions: Sequence[str | None], band_names: Sequence[str] | None
) -> list[str]:
    if band_names is not None:
        names = [canonical_band_name(b) for b in band_names]
    elif all(descriptions):
        names = [canonical_band_name(str(d)) for d in descriptions]
    else:
        raise BadInputError(
            f"{path}: its bands have no descriptions; pass band_names= (e.g. ['B02', 'B03', 'B04', 'B08'])"
        )
    if len(names) != len(descriptions):
        raise BadInputError(f"{path}: {len(descriptions)} bands but {len(names)} band names {names}")
    if len(set(names)) != len(names):
        raise BadInputError(f"{path}: repeated band names {names}")
    return names


class _RasterLabels:
    """Windows of a label raster on the tile grid (the file itself, or a WarpedVRT of it)."""

    def __init__(self, path: Path, tile, stack: ExitStack, reproject: bool, nodata: int | None) -> None:
        import rasterio
        from rasterio.enums import Resampling
        from rasterio.errors import NotGeoreferencedWarning
        from rasterio.vrt import WarpedVRT

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = stack.enter_context(rasterio.open(path))
        self.path = path
        declared = src.nodata if src.nodata is not None else nodata
        same_grid = src.shape == tile.shape and (
            (src.crs is None and tile.crs is None)
            or (src.crs == tile.crs and src.transform.almost_equals(tile.transform))
        )
        if same_grid:
            self.reader, self.resampled = src, False
        elif src.crs is None and src.transform.is_identity:
            raise BadInputError(
                f"label raster {path} has no georeferencing and its size {src.shape} differs from the tile's "
                f"{tile.shape}: it cannot be aligned"
            )
        elif tile.crs is None:
            raise BadInputError(f"label raster {path} cannot be aligned with a tile that has no CRS")
        elif not reproject:
            raise BadInputError(
                f"label raster {path} is on another grid ({src.crs}, {src.shape}) than the tile "
                f"({tile.crs}, {tile.shape}); pass reproject_labels=True to warp it"
            )
        else:
            if not _bounds_overlap(src, tile):
                raise BadInputError(f"label raster {path} does not overlap the tile")
            # Pixels outside the label raster need a code no class uses.
            fill = declared if declared is not None else int(np.iinfo(src.dtypes[0]).max)
            vrt = WarpedVRT(
                src,
                crs=tile.crs,
                transform=tile.transform,
                width=tile.width,
                height=tile.height,
                resampling=Resampling.nearest,
                nodata=fill,
            )
            self.reader, self.resampled = stack.enter_context(vrt), True
            declared = fill
        self.nodata = None if declared is None else int(declared)

    def read(self, window) -> np.ndarray:
        return self.reader.read(1, window=window)


def _bounds_overlap(src, tile) -> bool:
    from rasterio.warp import transform_bounds

    left, bottom, right, top = transform_bounds(src.crs, tile.crs, *src.bounds, densify_pts=21)
    return (
        left < tile.bounds.right
        and right > tile.bounds.left
        and bottom < tile.bounds.top
        and top > tile.bounds.bottom
    )


class _VectorLabels:
    """Polygons with a class code, in the tile's CRS, rasterised window by window."""

    def __init__(
        self,
        path: Path,
        tile,
        class_attribute: str | None,
        classes: Mapping[int, str] | None,
        nodata: int,
        report: ImageryReport,
        source: str,
    ) -> None:
        import geopandas as gpd
        from shapely import STRtree

        try:
            frame = gpd.read_file(path)
        except Exception as err:  # noqa: BLE001 - pyogrio raises several types for unreadable files
            raise BadInputError(f"label vector file {path} cannot be read ({err})") from err
        if frame.crs is None:
            raise BadInputError(f"label vector file {path} has no CRS: it cannot be placed on the tile")
        attributes = [c for c in frame.columns if c != frame.geometry.name]
        if class_attribute is None:
            raise BadInputError(f"label vector file {path}: pass class_attribute= (one of {attributes})")
        if class_attribute not in frame.columns:
            raise BadInputError(
                f"label vector file {path} has no attribute '{class_attribute}' (has {attributes})"
            )
        frame = frame.to_crs(tile.crs.to_wkt())
        empty = frame.geometry.is_empty | frame.geometry.isna()
        if empty.any():
            report.flag(source, LABEL_MISMATCH, path, f"{int(empty.sum())} features without geometry ignored")
        frame = frame[~empty]
        values = frame[class_attribute]
        self.nodata = nodata
        import pandas as pd

        if pd.api.types.is_integer_dtype(values.dtype):
            codes = values.astype(int).to_numpy()
            names = dict(classes) if classes else {int(c): str(c) for c in np.unique(codes)}
            self.classes = {str(code): names.get(int(code), f"class {code}") for code in np.unique(codes)}
        else:
            # Class names as attribute values: codes 1..n in name order (0 stays "no label" unless taken).
            texts = values.astype(str).str.strip()
            ordered = sorted(set(texts))
            start = 1 if nodata == 0 else 0
            code_of = {name: start + i for i, name in enumerate(ordered)}
            codes = texts.map(code_of).to_numpy()
            self.classes = {str(code): name for name, code in code_of.items()}
        self.geometries = list(frame.geometry)
        self.codes = [int(c) for c in codes]
        self.tree = STRtree(self.geometries)
        self.path = path

    def read(self, window, transform) -> np.ndarray:
        from rasterio.features import rasterize
        from shapely.geometry import box

        height, width = int(window.height), int(window.width)
        a, _, c, _, e, f = transform
        bounds = box(
            min(c, c + a * width), min(f, f + e * height), max(c, c + a * width), max(f, f + e * height)
        )
        hits = self.tree.query(bounds, predicate="intersects")
        shapes = [(self.geometries[i], self.codes[i]) for i in sorted(hits)]
        if not shapes:
            return np.full((height, width), self.nodata, dtype=np.int32)
        from rasterio.transform import Affine

        return rasterize(
            shapes, out_shape=(height, width), transform=Affine(*transform), fill=self.nodata, dtype="int32"
        )


def read_geotiff_tiles(
    path: str | Path,
    patch_size: int,
    stride: int | None = None,
    *,
    band_names: Sequence[str] | None = None,
    sensor: str | None = None,
    label_raster: str | Path | None = None,
    label_vector: str | Path | None = None,
    class_attribute: str | None = None,
    classes: Mapping[int, str] | None = None,
    label_nodata: int | None = 0,
    reproject_labels: bool = True,
    min_fraction: float = 0.05,
    cover_edges: bool = True,
    require_georeference: bool = True,
    source: str = "geotiff",
    cache_mb: int = 64,
    report: ImageryReport | None = None,
    strict: bool = False,
) -> Iterator[Patch]:
    """Stream `patch_size` x `patch_size` patches of a GeoTIFF every `stride` pixels, reading one window at a time.

    Args:
        path: the multi-band GeoTIFF.
        patch_size: patch side in pixels.
        stride: step between patches (default `patch_size`).
        band_names: one name per band; default the band descriptions of the file (e.g. "B02"), canonicalised.
        sensor: `Patch.sensor`; default inferred from the band names (`infer_sensor`).
        label_raster: per-pixel class codes (same grid, or warped onto it; see the module docstring).
        label_vector: polygons with `class_attribute` (integer codes, or class names turned into codes 1..n).
        class_attribute: the class column of `label_vector`.
        classes: code -> class name (for integer codes of either label source).
        label_nodata: the code of unlabelled pixels when the label raster declares none, and the fill of the
            rasterised vector (default 0).
        reproject_labels: warp a label raster on another grid onto the tile's (False: refuse it).
        min_fraction: share of labelled pixels a secondary class needs to be listed in `labels`.
        cover_edges: add patches flush with the right/bottom edges when the grid stops short of them.
        require_georeference: refuse (report) a tile without CRS; False reads it, flagged.
        source: `Patch.source` of the patches.
        cache_mb: GDAL block cache size (MB) while reading: what bounds memory on large tiles.
        report: counts patches read, windows skipped (all no data) and files refused.
        strict: raise `BadInputError` naming the file instead of reporting it.

    Yields:
        `Patch` per window, id `<file stem>/r<row>_c<col>`, with `extra` = {"tile", "row", "col"} plus, with
        labels, {"mask_classes", "mask_nodata", "label_fractions", "labels_resampled"}.
    """
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioError
    from rasterio.windows import Window

    path = Path(path)
    report = report if report is not None else ImageryReport()
    stride = patch_size if stride is None else stride
    if label_raster is not None and label_vector is not None:
        raise BadInputError("give label_raster or label_vector, not both")
    with ExitStack() as stack:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                tile = stack.enter_context(rasterio.open(path))
        except (RasterioError, OSError) as err:
            report.skip(source, UNREADABLE, path, f"unreadable GeoTIFF ({err})", strict=strict)
            return
        try:
            names = _band_names(path, tile.descriptions, band_names)
            patch_sensor = sensor or infer_sensor(names)
        except BadInputError as err:
            report.skip(source, BAND_MISMATCH, path, str(err), strict=strict)
            return
        crs = crs_string(tile.crs)
        georeferenced = crs is not None and not tile.transform.is_identity
        if not georeferenced:
            if require_georeference:
                report.skip(source, NO_GEOREFERENCING, path, "no CRS/transform", strict=strict)
                return
            report.flag(source, NO_GEOREFERENCING, path)
        try:
            labels_src: _RasterLabels | _VectorLabels | None = None
            if label_raster is not None:
                labels_src = _RasterLabels(Path(label_raster), tile, stack, reproject_labels, label_nodata)
                mask_classes = None if classes is None else {str(k): v for k, v in classes.items()}
                if labels_src.resampled:
                    report.flag(
                        source, LABEL_MISMATCH, label_raster, "label raster warped onto the tile grid"
                    )
            elif label_vector is not None:
                if not georeferenced:
                    raise BadInputError(
                        f"tile {path} has no CRS: label vector {label_vector} cannot be placed"
                    )
                fill = 0 if label_nodata is None else label_nodata
                labels_src = _VectorLabels(
                    Path(label_vector), tile, class_attribute, classes, fill, report, source
                )
                mask_classes = labels_src.classes
        except (RasterioError, OSError) as err:
            report.skip(
                source, UNREADABLE, label_raster or label_vector, f"unreadable labels ({err})", strict=strict
            )
            return
        except BadInputError as err:
            report.skip(source, LABEL_MISMATCH, label_raster or label_vector, str(err), strict=strict)
            return

        rows = window_starts(tile.height, patch_size, stride, cover_edges)
        cols = window_starts(tile.width, patch_size, stride, cover_edges)
        if not rows or not cols:
            report.skip(
                source,
                BAND_MISMATCH,
                path,
                f"tile {tile.height} x {tile.width} px < patch {patch_size}",
                strict=strict,
            )
            return
        nodata = None if tile.nodata is None else float(tile.nodata)
        tile_transform = affine_tuple(tile.transform)
        for row in rows:
            for col in cols:
                window = Window(col, row, patch_size, patch_size)
                tile_id = f"{path.stem}/r{row}_c{col}"
                try:
                    # GDAL's block cache (5 % of RAM by default) would otherwise keep every block read so far.
                    with rasterio.Env(GDAL_CACHEMAX=cache_mb):
                        pixels = tile.read(window=window)
                except (RasterioError, OSError) as err:
                    report.skip(
                        source,
                        UNREADABLE,
                        f"{path} [{tile_id}]",
                        f"truncated or corrupt ({err})",
                        strict=strict,
                    )
                    continue
                if is_all_nodata(pixels, nodata):
                    report.skip(source, ALL_NODATA, f"{path} [{tile_id}]", strict=strict)
                    continue
                transform = sub_transform(tile_transform, row, col) if georeferenced else None
                extra: dict[str, Any] = {"tile": path.stem, "row": row, "col": col}
                mask, labels = None, []
                if labels_src is not None:
                    if isinstance(labels_src, _VectorLabels):
                        mask = labels_src.read(window, transform)
                    else:
                        with rasterio.Env(GDAL_CACHEMAX=cache_mb):
                            mask = labels_src.read(window)
                    names_by_code = mask_classes or {
                        str(int(v)): f"class {int(v)}" for v in np.unique(mask) if int(v) != labels_src.nodata
                    }
                    labels, fractions = mask_labels(
                        mask, names_by_code, nodata=labels_src.nodata, min_fraction=min_fraction
                    )
                    extra.update(
                        mask_classes=names_by_code,
                        mask_nodata=labels_src.nodata,
                        label_fractions=fractions,
                        labels_resampled=bool(getattr(labels_src, "resampled", False)),
                    )
                report.count_read(source)
                yield Patch(
                    id=tile_id,
                    pixels=pixels,
                    band_names=names,
                    sensor=patch_sensor,
                    crs=crs if georeferenced else None,
                    transform=transform,
                    labels=labels,
                    source=source,
                    path=str(path),
                    nodata=nodata,
                    label_mask=mask,
                    extra=extra,
                )


__all__ = ["infer_sensor", "read_geotiff_tiles"]
