"""Land-cover / ecosystem mapping of an area: classify every patch of a sliding grid, write a classified GeoTIFF in
the scene's CRS, and score it pixel by pixel against a reference raster or vector.

Scenes:

- the eo-learn Slovenia example (`data` = its folder; `read_eolearn_scenes`, one of its 5 dated scenes picked by
  `scene`, LULC reference mask);
- any multi-band Sentinel GeoTIFF (`data` = the .tif), read window by window, with `reference` = a label raster
  (any CRS or grid: reprojected on the fly to the scene grid, nearest neighbour, and said so in the report; or
  refused with `reproject_reference=False`) or a vector file of polygons with a class attribute (reprojected to
  the scene CRS, rasterised window by window), and `classes` = the nomenclature (`{code: name}` or a JSON file;
  a vector reference whose class column holds names needs none).

The grid: windows of `patch_size` pixels every `stride` pixels (`data_builders.imagery.tiling.window_starts`, the
last window flush with the far edge). Each window is classified as a whole and "owns" the pixels nearer to its
centre than to any other window's centre, so the map covers every pixel once; with `stride < patch_size` each
window sees context around the block it labels.

Streaming: the scene is processed one strip of windows at a time (a `patch_size`-row strip of the scene, the
matching strip of the reference), and each mode's map is written strip by strip into its GeoTIFF, so memory
depends on the scene width, not its area. A first pass over the reference alone checks its codes (codes outside
the nomenclature are refused, naming them; classes of the nomenclature absent from the reference are listed),
counts classes per fold and keeps a bounded reservoir of labelled windows for the supervised modes.

Protocol of the supervised modes (few-shot, linear probe, majority baseline): spatial cross-fitting over
`n_folds` vertical stripes of the scene: windows of one stripe are classified with support windows (labelled by
their reference majority class) from the other stripes only. Zero-shot and random need no support. All modes are
scored on the same pixels: every reference pixel that is not nodata.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from data_builders.imagery.patch import Patch
from data_builders.imagery.tiling import window_starts
from eval.eo.model import PatchClassifier
from eval.eo.modes import (
    DEFAULT_K,
    MODES,
    LabelledPatches,
    few_shot_support,
    fit_probe,
    instruction_for,
    question_for,
)
from eval.eo.scoring import metrics_from_confusion
from georeset.errors import BadInputError

DEFAULT_PATCH_SIZE = 32
DEFAULT_STRIDE = 16
DEFAULT_MAP_FOLDS = 2
MAX_SUPPORT = 500
"""Labelled windows kept per fold for the supervised modes (a reservoir: memory stays bounded)."""


@dataclass
class Nomenclature:
    """Class codes of a map and their names; `nodata` is the code of unlabelled pixels."""

    values: list[int]
    names: list[str]
    nodata: int = 0

    def __post_init__(self) -> None:
        if self.nodata in self.values:
            raise BadInputError(f"the nodata code {self.nodata} is also a class of the nomenclature")
        if len(set(self.values)) != len(self.values) or len(self.values) != len(self.names):
            raise BadInputError("the nomenclature needs one name per distinct class code")

    @classmethod
    def from_mapping(cls, classes: Mapping, nodata: int = 0) -> Nomenclature:
        """From `{code: name}` (codes as ints or strings); the nodata code is dropped if present."""
        items = sorted((int(code), str(name)) for code, name in classes.items() if int(code) != nodata)
        return cls([code for code, _ in items], [name for _, name in items], nodata)

    def lookup(self) -> np.ndarray:
        """Array mapping a code (0..max) to its class index; -1 for nodata, -2 for codes not in the nomenclature."""
        table = np.full(max([*self.values, self.nodata]) + 1, -2, dtype=np.int64)
        table[self.nodata] = -1
        table[self.values] = np.arange(len(self.values))
        return table


# --------------------------------------------------------------------------------------------------------------
# Scenes: windowed pixel and reference reads on one grid.
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Scene:
    """A scene on one pixel grid: its bands, georeferencing and a reference aligned to that grid (or none)."""

    id: str
    height: int
    width: int
    band_names: list[str]
    sensor: str
    crs: str | None
    transform: tuple | None
    nodata: float | None
    source: str
    path: str
    info: dict = field(default_factory=dict)

    def read(self, row: int, col: int, height: int, width: int) -> np.ndarray:
        """`(bands, height, width)` pixels of a window."""
        raise NotImplementedError

    def reference(self, row: int, col: int, height: int, width: int) -> np.ndarray | None:
        """`(height, width)` reference codes of a window, or None without a reference."""
        raise NotImplementedError

    @property
    def has_reference(self) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        """Release open files."""


class ArrayScene(Scene):
    """A scene held in memory (a `Patch` with `label_mask`, e.g. an eo-learn scene)."""

    def __init__(self, patch: Patch):
        super().__init__(
            id=patch.id,
            height=patch.pixels.shape[1],
            width=patch.pixels.shape[2],
            band_names=list(patch.band_names),
            sensor=patch.sensor,
            crs=patch.crs,
            transform=patch.transform,
            nodata=patch.nodata,
            source=patch.source,
            path=patch.path,
        )
        self.pixels = patch.pixels
        self.mask = patch.label_mask

    def read(self, row, col, height, width):
        return self.pixels[:, row : row + height, col : col + width]

    def reference(self, row, col, height, width):
        return None if self.mask is None else self.mask[row : row + height, col : col + width]

    @property
    def has_reference(self) -> bool:
        return self.mask is not None


def _same_crs(a, b) -> bool:
    from rasterio.crs import CRS

    return CRS.from_user_input(a) == CRS.from_user_input(b)


class GeoTiffScene(Scene):
    """A multi-band GeoTIFF read by windows, with an optional label raster or vector reference on its grid.

    Args:
        path: the scene GeoTIFF.
        band_names: its band order, when the band descriptions do not name the bands.
        reference: a label raster (GeoTIFF) or a vector file (GeoPackage, GeoJSON, shapefile, GeoParquet).
        class_column: the vector attribute holding class codes or names.
        nomenclature: class codes and names (vector names are matched to it).
        reproject_reference: reproject a reference in another CRS or grid (True) or refuse it (False).
    """

    def __init__(
        self,
        path: str | Path,
        band_names: Sequence[str] | None = None,
        reference: str | Path | None = None,
        class_column: str | None = None,
        nomenclature: Nomenclature | None = None,
        reproject_reference: bool = True,
    ):
        import rasterio

        from data_builders.imagery.raster_io import affine_tuple, crs_string
        from modeling.geollava import canonical_band_name

        try:
            self._src = rasterio.open(path)
        except Exception as err:  # rasterio's RasterioIOError or OSError
            raise BadInputError(f"scene {path}: cannot open the GeoTIFF ({err})") from err
        src = self._src
        names = list(band_names) if band_names else list(src.descriptions)
        if any(name is None for name in names) or len(names) != src.count:
            raise BadInputError(
                f"scene {path}: {src.count} bands {'without descriptions' if not band_names else ''}; give "
                f"band names (got {names})"
            )
        names = [canonical_band_name(name) for name in names]
        sensor = "rgb" if names == ["R", "G", "B"] else ("s2_l1c" if "B10" in names else "s2_l2a")
        if src.crs is None:
            raise BadInputError(f"scene {path}: no CRS, so no map can be georeferenced")
        super().__init__(
            id=Path(path).stem,
            height=src.height,
            width=src.width,
            band_names=names,
            sensor=sensor,
            crs=crs_string(src.crs),
            transform=affine_tuple(src.transform),
            nodata=src.nodata,
            source="geotiff",
            path=str(path),
        )
        self._ref = None
        self._vector = None
        self._column = class_column
        self.nomenclature = nomenclature
        if reference is not None:
            reference = Path(reference)
            if not reference.exists():
                raise BadInputError(f"reference {reference}: no such file")
            if reference.suffix.lower() in (".tif", ".tiff", ".vrt"):
                self._open_raster_reference(reference, reproject_reference)
            else:
                self._open_vector_reference(reference, class_column, reproject_reference)

    def _open_raster_reference(self, path: Path, reproject: bool) -> None:
        import rasterio
        from rasterio.enums import Resampling
        from rasterio.vrt import WarpedVRT

        ref = rasterio.open(path)
        if ref.crs is None:
            raise BadInputError(f"reference {path}: no CRS, so it cannot be matched to the scene")
        same_grid = (
            _same_crs(ref.crs, self._src.crs)
            and ref.transform == self._src.transform
            and (ref.height, ref.width) == (self.height, self.width)
        )
        self.info["reference"] = {"path": str(path), "kind": "raster", "crs": str(ref.crs)}
        if same_grid:
            self._ref = ref
            return
        if not reproject:
            raise BadInputError(
                f"reference {path} is in {ref.crs} on another grid than the scene {self.path} ({self._src.crs}): "
                "reproject it to the scene grid, or allow reprojection (reproject_reference=True)"
            )
        # Nearest neighbour keeps class codes intact; pixels outside the reference become its nodata.
        self._ref = WarpedVRT(
            ref,
            crs=self._src.crs,
            transform=self._src.transform,
            width=self.width,
            height=self.height,
            resampling=Resampling.nearest,
            nodata=ref.nodata
            if ref.nodata is not None
            else (self.nomenclature.nodata if self.nomenclature else 0),
        )
        self.info["reference"]["reprojected_to_scene_grid"] = True

    def _open_vector_reference(self, path: Path, column: str | None, reproject: bool) -> None:
        import geopandas as gpd

        try:
            frame = gpd.read_file(path)
        except Exception as err:  # pyogrio / fiona errors
            raise BadInputError(f"reference {path}: cannot read the vector file ({err})") from err
        if frame.crs is None:
            raise BadInputError(f"reference {path}: no CRS, so it cannot be matched to the scene")
        if column is None or column not in frame.columns:
            raise BadInputError(
                f"reference {path}: give the class column (class_column); columns: {list(frame.columns)}"
            )
        self.info["reference"] = {
            "path": str(path),
            "kind": "vector",
            "crs": str(frame.crs),
            "column": column,
        }
        if not _same_crs(frame.crs, self._src.crs):
            if not reproject:
                raise BadInputError(
                    f"reference {path} is in {frame.crs}, the scene {self.path} in {self._src.crs}: reproject it, "
                    "or allow reprojection (reproject_reference=True)"
                )
            frame = frame.to_crs(self._src.crs)
            self.info["reference"]["reprojected_to_scene_crs"] = True
        frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        values = frame[column]
        if values.dtype.kind in "iuf":
            codes = values.astype(int)
        else:
            if self.nomenclature is None:
                names = sorted(set(values.astype(str)))
                self.nomenclature = Nomenclature(list(range(1, len(names) + 1)), names, 0)
            by_name = dict(zip(self.nomenclature.names, self.nomenclature.values, strict=True))
            unknown = sorted(set(values.astype(str)) - set(by_name))
            if unknown:
                raise BadInputError(f"reference {path}: classes {unknown} are not in the nomenclature")
            codes = values.astype(str).map(by_name)
        self._vector = frame.assign(_code=np.asarray(codes, dtype=np.int64))

    def read(self, row, col, height, width):
        from rasterio.windows import Window

        return self._src.read(window=Window(col, row, width, height))

    def reference(self, row, col, height, width):
        from rasterio.windows import Window

        if self._ref is not None:
            return self._ref.read(1, window=Window(col, row, width, height))
        if self._vector is None:
            return None
        from rasterio.features import rasterize
        from rasterio.transform import Affine
        from shapely.geometry import box

        a, b, c, d, e, f = self.transform
        transform = Affine(a, b, c + a * col + b * row, d, e, f + d * col + e * row)
        x0, y0 = transform.c, transform.f
        x1, y1 = transform.c + a * width + b * height, transform.f + d * width + e * height
        bounds = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        hits = self._vector.iloc[self._vector.sindex.query(bounds, predicate="intersects")]
        nodata = self.nomenclature.nodata if self.nomenclature else 0
        if hits.empty:
            return np.full((height, width), nodata, dtype=np.int64)
        return rasterize(
            zip(hits.geometry, hits["_code"], strict=True),
            out_shape=(height, width),
            transform=transform,
            fill=nodata,
            dtype="int64",
        )

    @property
    def has_reference(self) -> bool:
        return self._ref is not None or self._vector is not None

    def close(self) -> None:
        for handle in (self._ref, self._src):
            if handle is not None:
                handle.close()


def open_scene(
    data: str | Path,
    scene: int = 0,
    reference: str | Path | None = None,
    classes: Mapping | str | Path | None = None,
    class_column: str | None = None,
    band_names: Sequence[str] | None = None,
    reproject_reference: bool = True,
) -> tuple[Scene, Nomenclature | None]:
    """The scene and its nomenclature: an eo-learn folder (scene index `scene`) or a GeoTIFF with a reference."""
    path = Path(data)
    if isinstance(classes, str | Path):
        try:
            classes = json.loads(Path(classes).read_text())
        except (OSError, ValueError) as err:
            raise BadInputError(
                f"classes {classes}: not a readable JSON object of code -> name ({err})"
            ) from err
    nomenclature = Nomenclature.from_mapping(classes) if classes else None
    if path.is_dir():
        from data_builders.imagery.eolearn import LULC_NODATA, read_eolearn_scenes

        scenes = read_eolearn_scenes(path)
        if not 0 <= scene < len(scenes):
            raise BadInputError(f"{path} holds {len(scenes)} scenes: scene index {scene} does not exist")
        patch = scenes[scene]
        mask_classes = patch.extra.get("mask_classes") or {}
        nomenclature = nomenclature or Nomenclature.from_mapping(
            mask_classes, patch.extra.get("mask_nodata", LULC_NODATA)
        )
        result = ArrayScene(patch)
        result.info["scene"] = {"index": scene, "timestamp": patch.extra.get("timestamp"), "of": len(scenes)}
        if reference is not None:
            raise BadInputError("an eo-learn folder carries its own LULC reference: do not pass another")
        result.info["reference"] = {"kind": "eo-learn LULC mask", "path": str(path)}
        return result, nomenclature
    if not path.is_file():
        raise BadInputError(f"land-cover data {path}: no such file or folder")
    result = GeoTiffScene(path, band_names, reference, class_column, nomenclature, reproject_reference)
    nomenclature = result.nomenclature
    if result.has_reference and nomenclature is None:
        raise BadInputError(
            f"reference {reference}: give the nomenclature (classes = {{code: name}} or a JSON file of it)"
        )
    return result, nomenclature


# --------------------------------------------------------------------------------------------------------------
# The grid.
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Grid:
    """Window starts along rows and columns, and the pixel bounds each window owns."""

    patch_size: int
    row_starts: list[int]
    col_starts: list[int]
    row_bounds: list[int]  # window i owns rows row_bounds[i]:row_bounds[i + 1]
    col_bounds: list[int]

    @classmethod
    def over(cls, height: int, width: int, patch_size: int, stride: int) -> Grid:
        if stride > patch_size:
            raise BadInputError(f"stride {stride} > patch size {patch_size} would leave pixels unclassified")
        rows, cols = window_starts(height, patch_size, stride), window_starts(width, patch_size, stride)
        if not rows or not cols:
            raise BadInputError(
                f"the scene ({height} x {width} px) is smaller than the patch size {patch_size}"
            )

        def bounds(starts: list[int], length: int) -> list[int]:
            centres = [s + patch_size / 2 for s in starts]
            middle = [int(round((a + b) / 2)) for a, b in zip(centres, centres[1:], strict=False)]
            return [0, *middle, length]

        return cls(patch_size, rows, cols, bounds(rows, height), bounds(cols, width))

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row_starts), len(self.col_starts)


def _majority(codes: np.ndarray, lookup: np.ndarray) -> tuple[int, np.ndarray]:
    """Class index of the majority labelled pixel (-1: none) and the codes outside the nomenclature."""
    codes = codes.astype(np.int64).ravel()
    outside = codes[(codes < 0) | (codes >= len(lookup))]
    inside = codes[(codes >= 0) & (codes < len(lookup))]
    index = lookup[inside]
    unknown = np.concatenate([outside, inside[index == -2]])
    labelled = index[index >= 0]
    if labelled.size == 0:
        return -1, unknown
    return int(np.bincount(labelled).argmax()), unknown


def _fold_of(col_start: int, patch_size: int, width: int, n_folds: int) -> int:
    return min(n_folds - 1, int((col_start + patch_size / 2) / width * n_folds))


class _GeoTiffWriter:
    """A single-band classified map written strip by strip, into a temporary file renamed when complete."""

    def __init__(self, path: Path, scene: Scene, nodata: int, dtype: str):
        import rasterio
        from rasterio.transform import Affine

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, self.tmp = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".tif", dir=self.path.parent)
        os.close(handle)
        profile = {"driver": "GTiff", "height": scene.height, "width": scene.width, "count": 1, "dtype": dtype,
                   "nodata": nodata, "crs": scene.crs, "compress": "deflate"}  # fmt: skip
        if scene.transform is not None:
            profile["transform"] = Affine(*scene.transform)
        if scene.height >= 256 and scene.width >= 256:
            profile.update(tiled=True, blockxsize=256, blockysize=256)
        self.dataset = rasterio.open(self.tmp, "w", **profile)

    def write(self, row: int, strip: np.ndarray) -> None:
        from rasterio.windows import Window

        self.dataset.write(
            strip.astype(self.dataset.dtypes[0]), 1, window=Window(0, row, strip.shape[1], strip.shape[0])
        )

    def close(self, keep: bool = True) -> None:
        self.dataset.close()
        if keep:
            os.replace(self.tmp, self.path)
        elif os.path.exists(self.tmp):
            os.unlink(self.tmp)


def _window_patch(scene: Scene, row: int, col: int, size: int, pixels: np.ndarray | None = None) -> Patch:
    pixels = scene.read(row, col, size, size) if pixels is None else pixels
    return Patch(
        id=f"{scene.id}/r{row}_c{col}",
        pixels=np.ascontiguousarray(pixels),
        band_names=scene.band_names,
        sensor=scene.sensor,
        crs=scene.crs,
        source=scene.source,
        path=scene.path,
        nodata=scene.nodata,
    )


def _nodata_fraction(patch: Patch) -> float:
    """Share of pixels with no data in some band (NaN, or the scene's nodata value)."""
    pixels = patch.pixels
    missing = ~np.isfinite(pixels) if pixels.dtype.kind == "f" else np.zeros(pixels.shape, bool)
    if patch.nodata is not None:
        missing |= pixels == patch.nodata
    return float(missing.any(axis=0).mean())


def evaluate_land_cover_map(
    data: str | Path,
    classifier: PatchClassifier,
    modes: Sequence[str],
    k: int = DEFAULT_K,
    seed: int = 0,
    out: str | Path = "eo-map",
    scene: int = 0,
    reference: str | Path | None = None,
    classes: Mapping | str | Path | None = None,
    class_column: str | None = None,
    band_names: Sequence[str] | None = None,
    reproject_reference: bool = True,
    patch_size: int = DEFAULT_PATCH_SIZE,
    stride: int = DEFAULT_STRIDE,
    n_folds: int = DEFAULT_MAP_FOLDS,
    max_support: int = MAX_SUPPORT,
    progress_factory: Callable[[str, int], Callable[[int], None]] | None = None,
) -> dict:
    """Map a scene with every asked mode, score each map and the baselines against the reference.

    Returns:
        The report: the primary mode's pixel metrics at the top, `map_geotiff` (its map), `maps` (every mode's),
        `modes`, `baselines`, `protocol`, `grid`, `reference` (absent classes, unlabelled windows) and `plots`.
    """
    from eval.eo.modes import ModeResult
    from eval.eo.plots import write_report_plots
    from eval.eo.run import build_report

    started = time.perf_counter()
    unknown_modes = [mode for mode in modes if mode not in MODES]
    if unknown_modes:
        raise BadInputError(f"unknown mode(s) {unknown_modes}: use {MODES}")
    scene_obj, nomenclature = open_scene(
        data, scene, reference, classes, class_column, band_names, reproject_reference
    )
    out = Path(out)
    try:
        grid = Grid.over(scene_obj.height, scene_obj.width, patch_size, stride)
        n_rows, n_cols = grid.shape
        has_reference = scene_obj.has_reference
        supervised = [m for m in modes if m in ("few-shot", "linear-probe")]
        if nomenclature is None:
            raise BadInputError(f"{data}: no nomenclature (classes) to map into")
        if supervised and not has_reference:
            raise BadInputError(f"modes {supervised} need labelled windows, but {data} has no reference")
        lookup = nomenclature.lookup()
        n_classes = len(nomenclature.values)
        rng = np.random.default_rng(seed)

        # Pass 1: the reference alone (window labels, unknown codes, fold class counts, support reservoirs).
        window_labels = np.full(grid.shape, -1, dtype=np.int64)
        fold_counts = np.zeros((n_folds, n_classes), dtype=np.int64)
        reservoirs: list[list[tuple[int, int]]] = [[] for _ in range(n_folds)]
        seen = [0] * n_folds
        unknown_codes: dict[int, int] = {}
        pixel_counts = np.zeros(n_classes, dtype=np.int64)
        if has_reference:
            for i in range(n_rows):
                r0, r1 = grid.row_bounds[i], grid.row_bounds[i + 1]
                strip = scene_obj.reference(r0, 0, r1 - r0, scene_obj.width)
                for j in range(n_cols):
                    c0, c1 = grid.col_bounds[j], grid.col_bounds[j + 1]
                    label, unknown = _majority(strip[:, c0:c1], lookup)
                    for code in unknown.tolist():
                        unknown_codes[code] = unknown_codes.get(code, 0) + 1
                    window_labels[i, j] = label
                    if label < 0:
                        continue
                    fold = _fold_of(grid.col_starts[j], patch_size, scene_obj.width, n_folds)
                    fold_counts[fold, label] += 1
                    seen[fold] += 1
                    if len(reservoirs[fold]) < max_support:
                        reservoirs[fold].append((i, j))
                    else:
                        slot = int(rng.integers(0, seen[fold]))
                        if slot < max_support:
                            reservoirs[fold][slot] = (i, j)
                codes = strip.astype(np.int64).ravel()
                known = codes[(codes >= 0) & (codes < len(lookup))]
                index = lookup[known]
                pixel_counts += np.bincount(index[index >= 0], minlength=n_classes)
            if unknown_codes:
                raise BadInputError(
                    f"the reference of {data} holds codes outside the nomenclature {dict(zip(nomenclature.values, nomenclature.names, strict=True))} "
                    f"(code: pixels) {unknown_codes}: give the full nomenclature (classes) or the nodata code"
                )
            if not pixel_counts.any():
                raise BadInputError(f"the reference of {data} has no labelled pixel inside the scene")

        # The predictors of each mode and baseline: (patches, fold per patch) -> class indices.
        labelled_view = LabelledPatches(
            patches=[], targets=np.zeros(0, dtype=int), classes=nomenclature.names,
            phrases=list(nomenclature.names), subject="land cover",
        )  # fmt: skip
        instruction, question = instruction_for(labelled_view), question_for(labelled_view)

        def support_of(fold: int) -> tuple[list[tuple[int, int]], np.ndarray]:
            positions = [p for f in range(n_folds) if f != fold for p in reservoirs[f]]
            return positions, np.array([window_labels[p] for p in positions], dtype=np.int64)

        def read_window(position: tuple[int, int]) -> Patch:
            return _window_patch(
                scene_obj, grid.row_starts[position[0]], grid.col_starts[position[1]], patch_size
            )

        setup_s: dict[str, float] = {}
        prompted: dict[str, list] = {}  # mode -> per fold (query, prefix cache)
        probes: dict[int, Callable] = {}
        for mode in modes:
            begin = time.perf_counter()
            if mode == "zero-shot":
                prefix, query = classifier.prefix_and_query(instruction, [], question)
                prompted[mode] = [(query, classifier.encode_prefix(prefix))] * n_folds
            elif mode == "few-shot":
                prompted[mode] = []
                for fold in range(n_folds):
                    positions, labels = support_of(fold)
                    chosen = few_shot_support(labels, np.arange(len(labels)), k, rng)
                    shots = [(question, nomenclature.names[labels[c]]) for c in chosen]
                    prefix, query = classifier.prefix_and_query(instruction, shots, question)
                    images = [read_window(positions[c]) for c in chosen]
                    prompted[mode].append((query, classifier.encode_prefix(prefix, images)))
            elif mode == "linear-probe":
                for fold in range(n_folds):
                    positions, labels = support_of(fold)
                    if not len(labels):
                        raise BadInputError(f"fold {fold} of {data}: no labelled windows in the other folds")
                    features = classifier.features([read_window(p) for p in positions])
                    probes[fold] = fit_probe(features, labels, seed)
            setup_s[mode] = time.perf_counter() - begin
        majority = [
            int((fold_counts.sum(0) - fold_counts[f]).argmax()) if has_reference else 0
            for f in range(n_folds)
        ]

        # Pass 2: strip by strip, classify the windows and write every mode's map; score against the reference.
        names = [*modes, "majority", "random"]
        confusion = {name: np.zeros((n_classes, n_classes), dtype=np.int64) for name in names}
        wall = {name: setup_s.get(name, 0.0) for name in names}
        missed = dict.fromkeys(names, 0)
        values = np.asarray(nomenclature.values)
        dtype = "uint8" if max([*nomenclature.values, nomenclature.nodata]) < 256 else "uint16"
        writers = {
            mode: _GeoTiffWriter(out / f"map_{mode}.tif", scene_obj, nomenclature.nodata, dtype)
            for mode in modes
        }
        skipped_windows = 0
        update = progress_factory("map strips", n_rows) if progress_factory else None
        ok = False
        try:
            for i in range(n_rows):
                r0 = grid.row_starts[i]
                strip_pixels = scene_obj.read(r0, 0, patch_size, scene_obj.width)
                patches, folds, usable = [], [], []
                max_nodata = classifier.processor.image_processor.max_nodata_fraction
                for j, c0 in enumerate(grid.col_starts):
                    patch = _window_patch(
                        scene_obj, r0, c0, patch_size, strip_pixels[:, :, c0 : c0 + patch_size]
                    )
                    if _nodata_fraction(patch) > max_nodata:
                        skipped_windows += 1  # mapped as nodata, counted in the report
                        continue
                    patches.append(patch)
                    folds.append(_fold_of(c0, patch_size, scene_obj.width, n_folds))
                    usable.append(j)
                folds_arr = np.asarray(folds, dtype=np.int64)
                predictions: dict[str, np.ndarray] = {}
                features = None
                for name in names:
                    begin = time.perf_counter()
                    pred = np.zeros(len(patches), dtype=np.int64)
                    if not patches:
                        predictions[name] = pred
                        continue
                    if name in prompted:
                        for fold in np.unique(folds_arr):
                            members = np.flatnonzero(folds_arr == fold)
                            query, cache = prompted[name][fold]
                            scores = classifier.score_answers(
                                [patches[m] for m in members], query, nomenclature.names, cache
                            )
                            pred[members] = scores.argmax(1)
                    elif name == "linear-probe":
                        features = classifier.features(patches) if features is None else features
                        for fold in np.unique(folds_arr):
                            members = np.flatnonzero(folds_arr == fold)
                            pred[members] = probes[int(fold)](features[members])
                    elif name == "majority":
                        pred = np.asarray([majority[f] for f in folds_arr], dtype=np.int64)
                    else:
                        pred = rng.integers(0, n_classes, len(patches))
                    predictions[name] = pred
                    wall[name] += time.perf_counter() - begin
                b0, b1 = grid.row_bounds[i], grid.row_bounds[i + 1]
                ref_strip = scene_obj.reference(b0, 0, b1 - b0, scene_obj.width) if has_reference else None
                if ref_strip is not None:
                    ref_codes = ref_strip.astype(np.int64)
                    ref_index = np.where(
                        (ref_codes >= 0) & (ref_codes < len(lookup)),
                        lookup[np.clip(ref_codes, 0, len(lookup) - 1)],
                        -2,
                    )
                for name in names:
                    strip_map = np.full((b1 - b0, scene_obj.width), -1, dtype=np.int64)
                    for pred, j in zip(predictions[name], usable, strict=True):
                        strip_map[:, grid.col_bounds[j] : grid.col_bounds[j + 1]] = pred
                    if name in writers:
                        coded = np.where(
                            strip_map >= 0, values[np.clip(strip_map, 0, None)], nomenclature.nodata
                        )
                        writers[name].write(b0, coded)
                    if ref_strip is not None:
                        scored = (ref_index >= 0) & (strip_map >= 0)
                        np.add.at(confusion[name], (ref_index[scored], strip_map[scored]), 1)
                        # Reference pixels under windows with too much nodata get no prediction: counted apart.
                        missed[name] += int(((ref_index >= 0) & (strip_map < 0)).sum())
                if update:
                    update(1)
            ok = True
        finally:
            for writer in writers.values():
                writer.close(keep=ok)

        results, baselines = {}, {}
        for name in names:
            metrics = metrics_from_confusion(confusion[name], nomenclature.names) if has_reference else {
                "accuracy": None, "macro_f1": None, "per_class": None, "confusion": None, "n": 0}  # fmt: skip
            if missed[name]:
                metrics["unscored_reference_pixels_under_nodata_windows"] = missed[name]
            result = ModeResult(name, np.zeros(0), metrics, wall[name])
            (results if name in modes else baselines)[name] = result
        protocol = {
            "kind": f"spatial cross-fitting over {n_folds} vertical stripes (supervised modes)",
            "folds": n_folds,
            "k": k if "few-shot" in modes else None,
            "max_support_windows_per_fold": max_support,
            "scored": "every reference pixel that is not nodata, against the map pixel of the window owning it",
        }
        dataset = {
            "path": str(data),
            "scene": scene_obj.id,
            "crs": scene_obj.crs,
            "size": [scene_obj.height, scene_obj.width],
            "sensor": scene_obj.sensor,
            "bands": scene_obj.band_names,
            **scene_obj.info,
            "nomenclature": dict(zip(map(str, nomenclature.values), nomenclature.names, strict=True)),
            "nodata": nomenclature.nodata,
            "reference_pixels_per_class": dict(zip(nomenclature.names, pixel_counts.tolist(), strict=True)),
            "classes_absent_from_reference": [n for n, c in zip(nomenclature.names, pixel_counts, strict=True) if c == 0]
            if has_reference else None,
            "windows_without_reference_label": int((window_labels < 0).sum()) if has_reference else None,
            "windows_mostly_nodata_unmapped": skipped_windows,
        }  # fmt: skip
        report = build_report(
            "land-cover",
            dataset,
            dict(classifier.eo_model.info),
            results,
            baselines,
            protocol,
            timing={"total_s": round(time.perf_counter() - started, 3)},
        )
        report["grid"] = {"patch_size": patch_size, "stride": stride, "windows": [n_rows, n_cols]}
        report["maps"] = {mode: str(writer.path) for mode, writer in writers.items()}
        report["map_geotiff"] = report["maps"].get(report["mode"])
        report["classes"] = nomenclature.names
        plots = write_report_plots(report, nomenclature.names, out) if has_reference else []
        if report["map_geotiff"]:
            plots.append(str(plot_map(report["map_geotiff"], scene_obj, nomenclature, out / "map_vs_reference.png",
                                      f"{scene_obj.id}: {report['mode']} map (accuracy "
                                      f"{100 * (report['accuracy'] or 0):.1f}%) and reference")))  # fmt: skip
        report["plots"] = plots
        return report
    finally:
        scene_obj.close()


def _true_colour(scene: Scene, step: int) -> np.ndarray | None:
    """A decimated true-colour view (2 % - 98 % stretch per band), or None when the scene lacks B04, B03, B02."""
    names = scene.band_names
    wanted = ["R", "G", "B"] if scene.sensor == "rgb" else ["B04", "B03", "B02"]
    if not all(name in names for name in wanted):
        return None
    rows = []
    for row in range(0, scene.height, max(1, step * 64)):
        height = min(step * 64, scene.height - row)
        strip = scene.read(row, 0, height, scene.width)[[names.index(n) for n in wanted], ::step, ::step]
        rows.append(strip.astype(np.float32))
    rgb = np.concatenate(rows, axis=1).transpose(1, 2, 0)
    # Per band: top-of-atmosphere blue is brighter than red everywhere (haze), so one stretch for all looks blue.
    low, high = np.nanpercentile(rgb, 2, axis=(0, 1)), np.nanpercentile(rgb, 98, axis=(0, 1))
    return np.clip((rgb - low) / np.maximum(high - low, 1e-6), 0.0, 1.0)


def plot_map(
    map_path: str | Path,
    scene: Scene,
    nomenclature: Nomenclature,
    path: Path,
    title: str,
    max_side: int = 1000,
) -> Path:
    """PNG of the classified map beside the reference (and a true-colour view), decimated to `max_side` pixels."""
    import rasterio

    from eval.eo.plots import plot_map_and_reference

    step = max(1, int(np.ceil(max(scene.height, scene.width) / max_side)))
    with rasterio.open(map_path) as src:
        predicted = src.read(1)[::step, ::step]  # the map is one small band per pixel; decimated below
    reference = None
    if scene.has_reference:
        strips = [scene.reference(row, 0, min(step * 64, scene.height - row), scene.width)[::step, ::step]
                  for row in range(0, scene.height, step * 64)]  # fmt: skip
        reference = np.concatenate(strips, axis=0)
    return plot_map_and_reference(
        predicted, reference, nomenclature.values, nomenclature.names, path, title, nomenclature.nodata,
        rgb=_true_colour(scene, step),
    )  # fmt: skip


def run_land_cover_map(
    data: str | Path | None = None,
    model: str = "embedded",
    out: str | Path = "eo-map",
    mode: str = "zero-shot",
    scene: int = 0,
    patch_size: int = DEFAULT_PATCH_SIZE,
    stride: int = DEFAULT_STRIDE,
    k: int = DEFAULT_K,
    progress: bool = True,
    calibration: str = "none",
) -> dict:
    """For the demo: map the eo-learn Slovenia scene (default `../shared/data/sentinel2/eolearn-slovenia`) with a
    model, write `out/report.json`, the classified GeoTIFF and `out/map_vs_reference.png`.

    Returns:
        The report (`report["plots"]` lists the PNGs, `report["map_geotiff"]` the map).
    """
    from eval.eo.run import run_eo

    if data is None:
        from georeset.settings import shared_data_dir

        shared = shared_data_dir()
        if shared is None:
            raise BadInputError("no data given and ../shared/data is absent (set GEORESET_SHARED_DATA)")
        data = shared / "sentinel2" / "eolearn-slovenia"
    return run_eo("land-cover", data, model=model, mode=mode, out=out, k=k, progress=progress,
                  calibration=calibration, scene=scene, patch_size=patch_size, stride=stride)  # fmt: skip


__all__ = [
    "ArrayScene",
    "DEFAULT_PATCH_SIZE",
    "DEFAULT_STRIDE",
    "GeoTiffScene",
    "Grid",
    "Nomenclature",
    "Scene",
    "evaluate_land_cover_map",
    "open_scene",
    "plot_map",
    "run_land_cover_map",
]
