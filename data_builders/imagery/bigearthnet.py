"""BigEarthNet (Sumbul et al. 2019; v2 "reBEN", Clasen et al. 2024) patch folders: Sentinel-2 L2A and Sentinel-1.

On disk a patch is a folder of single-band GeoTIFFs named after it:

- v1 S2: `BigEarthNet-v1.0/<patch>/<patch>_B01.tif ... _B12.tif, _B8A.tif` (B01/B09 at 60 m = 20 px, B05-B07,
  B8A, B11, B12 at 20 m = 60 px, the rest at 10 m = 120 px) and `<patch>_labels_metadata.json` with "labels" (CORINE
  43-class names), "coordinates", "projection", "tile_source", "acquisition_date".
- v1 S1: `BigEarthNet-S1-v1.0/<patch>/<patch>_VV.tif, _VH.tif` (float32 backscatter in dB, 120 px) and a labels JSON
  whose "corresponding_s2_patch" names the S2 patch of the same place.
- v2: `BigEarthNet-S2/<tile>/<patch_id>/<patch_id>_B02.tif ...`, `BigEarthNet-S1/<scene>/<s1_name>/...` with no
  JSON: labels (19-class names), split, country and `s1_name` come from `metadata.parquet`; per-pixel CORINE codes are
  in `Reference_Maps/<tile>/<patch_id>/<patch_id>_reference_map.tif`.

Units: S2 pixels are L2A digital numbers (uint16, reflectance x 10,000) in `BIGEARTHNET_S2_BANDS` order, every band
resampled (bilinear) to the 10 m grid of B02; S1 pixels are float32 dB, bands ["VV", "VH"]. The S1/S2 pairing key,
the S2 patch name, is `extra["pair_key"]` on both.

The real examples shipped by `bigearthnet-common` (6 S2 + 6 S1 v1 patches) are found by `bigearthnet_examples_dir()`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from georeset.errors import BadInputError, MissingAssetError

from .patch import Patch
from .raster_io import RasterReadError, affine_tuple, crs_string, is_all_nodata, natural_key
from .report import (
    ALL_NODATA,
    BAD_METADATA,
    BAND_MISMATCH,
    LABEL_MISMATCH,
    NO_GEOREFERENCING,
    UNKNOWN_CLASS,
    UNREADABLE,
    ImageryReport,
)

BIGEARTHNET_S2_BANDS: tuple[str, ...] = (
    "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12",
)  # fmt: skip
BIGEARTHNET_S1_BANDS: tuple[str, ...] = ("VV", "VH")

# CORINE Land Cover level-3 codes and names of the 43 BigEarthNet v1 classes (CLC 2018 nomenclature without 335
# "Glaciers and perpetual snow"), in the order of BigEarthNet's `label_indices.json` (also torchgeo's order).
# Source: https://git.tu-berlin.de/rsim/BigEarthNet-S2_19-classes_models/-/blob/master/label_indices.json, as
# reproduced in `bigearthnet_common.constants.OLD2NEW_LABELS_DICT` and torchgeo's `BigEarthNet.class_sets[43]`.
CLC_CODES_43: dict[int, str] = {
    111: "Continuous urban fabric",
    112: "Discontinuous urban fabric",
    121: "Industrial or commercial units",
    122: "Road and rail networks and associated land",
    123: "Port areas",
    124: "Airports",
    131: "Mineral extraction sites",
    132: "Dump sites",
    133: "Construction sites",
    141: "Green urban areas",
    142: "Sport and leisure facilities",
    211: "Non-irrigated arable land",
    212: "Permanently irrigated land",
    213: "Rice fields",
    221: "Vineyards",
    222: "Fruit trees and berry plantations",
    223: "Olive groves",
    231: "Pastures",
    241: "Annual crops associated with permanent crops",
    242: "Complex cultivation patterns",
    243: "Land principally occupied by agriculture, with significant areas of natural vegetation",
    244: "Agro-forestry areas",
    311: "Broad-leaved forest",
    312: "Coniferous forest",
    313: "Mixed forest",
    321: "Natural grassland",
    322: "Moors and heathland",
    323: "Sclerophyllous vegetation",
    324: "Transitional woodland/shrub",
    331: "Beaches, dunes, sands",
    332: "Bare rock",
    333: "Sparsely vegetated areas",
    334: "Burnt areas",
    411: "Inland marshes",
    412: "Peatbogs",
    421: "Salt marshes",
    422: "Salines",
    423: "Intertidal flats",
    511: "Water courses",
    512: "Water bodies",
    521: "Coastal lagoons",
    522: "Estuaries",
    523: "Sea and ocean",
}
BIGEARTHNET_43_CLASSES: tuple[str, ...] = tuple(CLC_CODES_43.values())

# The 19-class nomenclature of Sumbul et al., "BigEarthNet-MM" (IEEE GRSM 2021), Table 2, in its official order;
# v2 metadata uses these names. Source: the same `label_indices.json` ("BigEarthNet-19_labels").
BIGEARTHNET_19_CLASSES: tuple[str, ...] = (
    "Urban fabric",
    "Industrial or commercial units",
    "Arable land",
    "Permanent crops",
    "Pastures",
    "Complex cultivation patterns",
    "Land principally occupied by agriculture, with significant areas of natural vegetation",
    "Agro-forestry areas",
    "Broad-leaved forest",
    "Coniferous forest",
    "Mixed forest",
    "Natural grassland and sparsely vegetated areas",
    "Moors, heathland and sclerophyllous vegetation",
    "Transitional woodland, shrub",
    "Beaches, dunes, sands",
    "Inland wetlands",
    "Coastal wetlands",
    "Inland waters",
    "Marine waters",
)

# 43 -> 19 ("label_conversion" of `label_indices.json`); None: the class has no 19-class counterpart (it is dropped,
# as in the official 19-class experiments).
CLC43_TO_19: dict[str, str | None] = {
    "Continuous urban fabric": "Urban fabric",
    "Discontinuous urban fabric": "Urban fabric",
    "Industrial or commercial units": "Industrial or commercial units",
    "Road and rail networks and associated land": None,
    "Port areas": None,
    "Airports": None,
    "Mineral extraction sites": None,
    "Dump sites": None,
    "Construction sites": None,
    "Green urban areas": None,
    "Sport and leisure facilities": None,
    "Non-irrigated arable land": "Arable land",
    "Permanently irrigated land": "Arable land",
    "Rice fields": "Arable land",
    "Vineyards": "Permanent crops",
    "Fruit trees and berry plantations": "Permanent crops",
    "Olive groves": "Permanent crops",
    "Pastures": "Pastures",
    "Annual crops associated with permanent crops": "Permanent crops",
    "Complex cultivation patterns": "Complex cultivation patterns",
    "Land principally occupied by agriculture, with significant areas of natural vegetation": (
        "Land principally occupied by agriculture, with significant areas of natural vegetation"
    ),
    "Agro-forestry areas": "Agro-forestry areas",
    "Broad-leaved forest": "Broad-leaved forest",
    "Coniferous forest": "Coniferous forest",
    "Mixed forest": "Mixed forest",
    "Natural grassland": "Natural grassland and sparsely vegetated areas",
    "Moors and heathland": "Moors, heathland and sclerophyllous vegetation",
    "Sclerophyllous vegetation": "Moors, heathland and sclerophyllous vegetation",
    "Transitional woodland/shrub": "Transitional woodland, shrub",
    "Beaches, dunes, sands": "Beaches, dunes, sands",
    "Bare rock": None,
    "Sparsely vegetated areas": "Natural grassland and sparsely vegetated areas",
    "Burnt areas": None,
    "Inland marshes": "Inland wetlands",
    "Peatbogs": "Inland wetlands",
    "Salt marshes": "Coastal wetlands",
    "Salines": "Coastal wetlands",
    "Intertidal flats": None,
    "Water courses": "Inland waters",
    "Water bodies": "Inland waters",
    "Coastal lagoons": "Marine waters",
    "Estuaries": "Marine waters",
    "Sea and ocean": "Marine waters",
}

Nomenclature = Literal["source", "43", "19"]

_EXAMPLE_ARCHIVES = ("BigEarthNet-S2-Example", "BigEarthNet-S1-Example")
_PIP = "pip install --no-deps bigearthnet-common==2.8.0"
# Folder names of the archives (v1, v2, the bigearthnet-common examples) under a root that holds several.
_S2_DIRS = ("BigEarthNet-S2", "BigEarthNet-v1.0", "BigEarthNet-S2-v1.0", "BigEarthNet-S2-Example")
_S1_DIRS = ("BigEarthNet-S1", "BigEarthNet-S1-v1.0", "BigEarthNet-S1-Example")
_V2_SPLITS = {"train": "train", "val": "validation", "validation": "validation", "test": "test"}


def bigearthnet_examples_dir() -> Path:
    """Folder holding `BigEarthNet-S2-Example/` and `BigEarthNet-S1-Example/`, extracted on first use.

    `bigearthnet-common` ships the examples as two `.tar.bz2` archives; importing the package needs dependencies it
    is installed without, so the archives are found and extracted directly, once, under `georeset_home()`.

    Raises:
        MissingAssetError: bigearthnet-common is not installed.
    """
    from georeset.settings import georeset_home

    target = georeset_home() / "bigearthnet-examples"
    if all((target / name).is_dir() for name in _EXAMPLE_ARCHIVES):
        return target
    spec = importlib.util.find_spec("bigearthnet_common")
    if spec is None or not spec.submodule_search_locations:
        raise MissingAssetError(f"the BigEarthNet examples need bigearthnet-common: {_PIP}")
    package = Path(next(iter(spec.submodule_search_locations)))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-bigearthnet-", dir=target.parent))
    try:
        for name in _EXAMPLE_ARCHIVES:
            with tarfile.open(package / f"{name}.tar.bz2") as archive:
                archive.extractall(staging, filter="data")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)  # all or nothing: an interrupted extraction leaves no half folder
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def to_19_classes(labels: Sequence[str]) -> list[str]:
    """BigEarthNet labels (43-class or already 19-class names) in the 19-class nomenclature, official order.

    Raises:
        KeyError: a name in neither nomenclature.
    """
    mapped = set()
    for label in labels:
        if label in BIGEARTHNET_19_CLASSES:
            mapped.add(label)
        else:
            target = CLC43_TO_19[label]
            if target is not None:
                mapped.add(target)
    return [name for name in BIGEARTHNET_19_CLASSES if name in mapped]


# --------------------------------------------------------------------------------------------------------------
# Layout: find patch folders, labels and splits.
# --------------------------------------------------------------------------------------------------------------


def _subdirs(folder: Path) -> list[Path]:
    entries = (Path(e.path) for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))
    return sorted(entries, key=lambda p: natural_key(p.name))


def _is_patch_folder(folder: Path, marker: str) -> bool:
    return (folder / f"{folder.name}_{marker}.tif").is_file()


def _sensor_root(root: Path, sensor: str) -> Path:
    """The folder of patch folders (or tile folders of patch folders) for `sensor` under `root`."""
    if not root.is_dir():
        raise BadInputError(f"BigEarthNet folder {root} does not exist or is not a folder")
    for name in _S2_DIRS if sensor == "s2" else _S1_DIRS:
        if (root / name).is_dir():
            return root / name
    return root


def _patch_folders(base: Path, marker: str) -> Iterator[Path]:
    """Patch folders directly under `base` (v1) or one level down in tile folders (v2), in natural order."""
    for folder in _subdirs(base):
        if _is_patch_folder(folder, marker):
            yield folder
        else:
            for inner in _subdirs(folder):
                if _is_patch_folder(inner, marker):
                    yield inner


def _find_metadata_parquet(root: Path, metadata: str | Path | None) -> Path | None:
    if metadata is not None:
        path = Path(metadata)
        if not path.is_file():
            raise BadInputError(f"BigEarthNet metadata file {path} does not exist")
        return path
    for candidate in (root / "metadata.parquet", root.parent / "metadata.parquet"):
        if candidate.is_file():
            return candidate
    return None


class _V2Metadata:
    """Rows of the v2 `metadata.parquet` by `key` ("patch_id" or "s1_name"), materialised one at a time: the full
    table has ~550,000 rows, too many to hold as Python dicts."""

    def __init__(self, path: Path, key: str) -> None:
        import pyarrow.parquet as pq

        try:
            self.table = pq.read_table(path)
        except Exception as err:  # noqa: BLE001 - pyarrow raises several types for a bad file
            raise BadInputError(f"{path}: unreadable parquet ({err})") from err
        missing = {"patch_id", "labels", key} - set(self.table.column_names)
        if missing:
            raise BadInputError(f"{path}: not a BigEarthNet v2 metadata table (no column {sorted(missing)})")
        self.path = path
        self.index = {str(value): i for i, value in enumerate(self.table.column(key).to_pylist()) if value}

    def get(self, name: str) -> dict[str, Any] | None:
        i = self.index.get(name)
        return None if i is None else self.table.slice(i, 1).to_pylist()[0]


def _v1_split_names(root: Path, split: str) -> set[str]:
    """S2 and S1 patch names of a v1 split file (`bigearthnet-<split>.csv` of torchgeo, or `<split>.csv`)."""
    for folder in (root, root.parent):
        for name in (f"bigearthnet-{split}.csv", f"{split}.csv"):
            if (folder / name).is_file():
                names = set()
                for line in (folder / name).read_text().splitlines():
                    names.update(part.strip() for part in line.split(",") if part.strip())
                return names
    raise BadInputError(
        f"BigEarthNet folder {root} has no metadata.parquet and no split file bigearthnet-{split}.csv: "
        "read it with split=None"
    )


def _read_json(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _labels_in(
    labels: Sequence[str], nomenclature: Nomenclature
) -> tuple[list[str], list[str]]:  # (labels, unknown names)
    unknown = [x for x in labels if x not in CLC43_TO_19 and x not in BIGEARTHNET_19_CLASSES]
    known = [x for x in labels if x not in unknown]
    if nomenclature == "19":
        return to_19_classes(known), unknown
    if nomenclature == "43":
        unknown += [x for x in known if x not in CLC43_TO_19]  # 19-class names cannot be turned into 43
        return [x for x in known if x in CLC43_TO_19], unknown
    return list(known), unknown


# --------------------------------------------------------------------------------------------------------------
# Pixels
# --------------------------------------------------------------------------------------------------------------


def _read_band_stack(files: list[Path]) -> tuple[np.ndarray, str | None, tuple | None, float | None]:
    """Read single-band files onto the grid of the finest one (bilinear), checking that their extents agree.

    Raises:
        RasterReadError: a band file is unreadable or truncated.
        BadInputError: the bands do not cover the same ground (the message says which band).
    """
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.errors import RasterioError

    opened = []
    try:
        for file in files:
            try:
                opened.append(rasterio.open(file))
            except (RasterioError, OSError) as err:
                raise RasterReadError(f"{file}: unreadable or truncated GeoTIFF ({err})") from err
        finest = min(opened, key=lambda src: abs(src.res[0]))
        shape = (finest.height, finest.width)
        for src in opened:
            # Half a coarse pixel of tolerance: the band grids of one patch share the outer edge exactly.
            if any(abs(a - b) > abs(src.res[0]) / 2 for a, b in zip(src.bounds, finest.bounds, strict=True)):
                raise BadInputError(
                    f"{src.name}: covers {tuple(src.bounds)}, not the patch {tuple(finest.bounds)}"
                )
        bands = []
        for src in opened:
            try:
                resampling = Resampling.nearest if src.shape == shape else Resampling.bilinear
                bands.append(src.read(1, out_shape=shape, resampling=resampling))
            except (RasterioError, OSError) as err:
                raise RasterReadError(f"{src.name}: unreadable or truncated GeoTIFF ({err})") from err
        crs = crs_string(finest.crs)
        transform = affine_tuple(finest.transform) if crs is not None else None
        nodata = finest.nodata
    finally:
        for src in opened:
            src.close()
    return np.stack(bands), crs, transform, None if nodata is None else float(nodata)


def _read_reference_map(path: Path, shape: tuple[int, int]) -> np.ndarray:
    import rasterio
    from rasterio.enums import Resampling

    with rasterio.open(path) as src:
        return src.read(1, out_shape=shape, resampling=Resampling.nearest)


# --------------------------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------------------------


def read_bigearthnet(
    root: str | Path,
    sensor: Literal["s2", "s1"] = "s2",
    split: str | None = None,
    *,
    nomenclature: Nomenclature = "source",
    metadata: str | Path | None = None,
    with_reference_maps: bool = True,
    require_georeference: bool = True,
    report: ImageryReport | None = None,
    strict: bool = False,
) -> Iterator[Patch]:
    """Stream BigEarthNet v1 or v2 patches of one sensor, one patch folder at a time, in natural name order.

    Args:
        root: a folder of patch folders (`BigEarthNet-v1.0/`, `BigEarthNet-S2/`, the examples folder...) or the
            folder above it that holds `BigEarthNet-S2/`, `BigEarthNet-S1/` and `metadata.parquet`.
        sensor: "s2" (12 bands, L2A) or "s1" (VV, VH).
        split: "train", "val" or "test": v2 from `metadata.parquet`, v1 from torchgeo's `bigearthnet-<split>.csv`;
            None reads every patch.
        nomenclature: labels as the source gives them ("source": 43-class names in v1, 19-class in v2), or
            converted to "19" classes, or "43" (v1 only). `extra["labels_19"]` always holds the 19-class labels.
        metadata: the v2 `metadata.parquet` (found beside `root` when not given).
        with_reference_maps: v2 only, S2: read `Reference_Maps/.../<patch>_reference_map.tif` into `label_mask`
            (CORINE codes; `extra["mask_classes"]` maps codes to names).
        require_georeference: skip (and report) patches without CRS; False yields them, flagged.
        report: collects counts of read / skipped patches by reason.
        strict: raise `BadInputError` naming the first bad patch instead of skipping it.

    Yields:
        `Patch` (sensor "s2_l2a" with uint16 DN, or "s1" with float32 dB), source "bigearthnet_s2"/"bigearthnet_s1",
        `extra` = {"version", "pair_key" (the S2 patch name), "s1_name"/"s2_name" when known, "labels_19",
        "split", "country", "acquisition_date", "tile_source"... as the source provides}.

    Raises:
        BadInputError: `root` is not a folder, holds no patch folders, or (strict) a bad patch.
    """
    if sensor not in ("s2", "s1"):
        raise BadInputError(f"BigEarthNet sensor must be 's2' or 's1', got {sensor!r}")
    if nomenclature not in ("source", "43", "19"):
        raise BadInputError(f"BigEarthNet nomenclature must be 'source', '43' or '19', got {nomenclature!r}")
    root = Path(root)
    base = _sensor_root(root, sensor)
    report = report if report is not None else ImageryReport()
    source = f"bigearthnet_{sensor}"
    bands = BIGEARTHNET_S2_BANDS if sensor == "s2" else BIGEARTHNET_S1_BANDS
    marker = "B02" if sensor == "s2" else "VV"

    parquet = _find_metadata_parquet(root, metadata)
    v2_rows = _V2Metadata(parquet, "patch_id" if sensor == "s2" else "s1_name") if parquet else None
    wanted: set[str] | None = None
    if split is not None and v2_rows is None:
        wanted = _v1_split_names(root, split)
    v2_split = _V2_SPLITS.get(split or "", split)
    maps_root = next(
        (p / "Reference_Maps" for p in (root, root.parent) if (p / "Reference_Maps").is_dir()), None
    )

    found_any = False
    for folder in _patch_folders(base, marker):
        found_any = True
        name = folder.name
        if wanted is not None and name not in wanted:
            continue
        extra: dict[str, Any] = {}
        if v2_rows is not None:
            row = v2_rows.get(name)
            if row is None:
                report.skip(source, BAD_METADATA, folder, f"patch {name} not in {parquet}", strict=strict)
                continue
            if split is not None and row.get("split") != v2_split:
                continue
            raw_labels = [str(x) for x in (row.get("labels") or [])]
            s2_name = str(row["patch_id"])
            extra.update(version=2, split=row.get("split"), country=row.get("country"))
            extra.update(s2_name=s2_name, s1_name=row.get("s1_name"), pair_key=s2_name)
            for flag in ("contains_seasonal_snow", "contains_cloud_or_shadow"):
                if flag in row:
                    extra[flag] = bool(row[flag])
        else:
            json_path = folder / f"{name}_labels_metadata.json"
            try:
                meta = _read_json(json_path)
                raw_labels = [str(x) for x in meta["labels"]]
            except (OSError, ValueError, KeyError, TypeError) as err:
                report.skip(
                    source, BAD_METADATA, json_path, f"unreadable labels metadata ({err})", strict=strict
                )
                continue
            s2_name = str(meta.get("corresponding_s2_patch", name)) if sensor == "s1" else name
            extra.update(version=1, s2_name=s2_name, pair_key=s2_name)
            if sensor == "s1":
                extra["s1_name"] = name
            for key in ("acquisition_date", "acquisition_time", "tile_source", "scene_source"):
                if key in meta:
                    extra[key] = str(meta[key])

        labels, unknown = _labels_in(raw_labels, nomenclature)
        if unknown:
            report.skip(
                source, UNKNOWN_CLASS, folder, f"labels not in the nomenclature: {unknown}", strict=strict
            )
            continue
        extra["labels_19"] = to_19_classes(raw_labels)

        files = [folder / f"{name}_{band}.tif" for band in bands]
        missing = [band for band, file in zip(bands, files, strict=True) if not file.is_file()]
        if missing:
            report.skip(source, BAND_MISMATCH, folder, f"missing band files {missing}", strict=strict)
            continue
        try:
            pixels, crs, transform, nodata = _read_band_stack(files)
        except RasterReadError as err:
            report.skip(source, UNREADABLE, folder, str(err), strict=strict)
            continue
        except BadInputError as err:
            report.skip(source, BAND_MISMATCH, folder, str(err), strict=strict)
            continue
        if is_all_nodata(pixels, nodata):
            report.skip(source, ALL_NODATA, folder, strict=strict)
            continue
        if crs is None:
            if require_georeference:
                report.skip(source, NO_GEOREFERENCING, folder, "band files without CRS", strict=strict)
                continue
            report.flag(source, NO_GEOREFERENCING, folder)

        label_mask = None
        if sensor == "s2" and v2_rows is not None and with_reference_maps and maps_root is not None:
            map_path = maps_root / "_".join(name.split("_")[:-2]) / name / f"{name}_reference_map.tif"
            if map_path.is_file():
                try:
                    label_mask = _read_reference_map(map_path, pixels.shape[1:])
                except Exception as err:  # noqa: BLE001 - any failure of a reference map is reported, not fatal
                    report.skip(
                        source, LABEL_MISMATCH, map_path, f"unreadable reference map ({err})", strict=strict
                    )
                    continue
                codes = sorted(int(c) for c in np.unique(label_mask))
                extra["mask_classes"] = {str(c): CLC_CODES_43.get(c, "unknown") for c in codes}
            else:
                report.flag(source, LABEL_MISMATCH, map_path, "no reference map for this patch")

        report.count_read(source)
        yield Patch(
            id=name,
            pixels=pixels,
            band_names=list(bands),
            sensor="s2_l2a" if sensor == "s2" else "s1",
            crs=crs,
            transform=transform,
            labels=labels,
            source=source,
            path=str(folder),
            nodata=nodata,
            label_mask=label_mask,
            extra=extra,
        )
    if not found_any:
        raise BadInputError(
            f"no BigEarthNet {sensor.upper()} patch folders under {root} "
            f"(expected <patch>/<patch>_{marker}.tif, directly or inside tile folders)"
        )


def read_bigearthnet_s2(root: str | Path, split: str | None = None, **kwargs: Any) -> Iterator[Patch]:
    """`read_bigearthnet(root, "s2", split, **kwargs)`: 12-band Sentinel-2 L2A patches on the 10 m grid."""
    return read_bigearthnet(root, "s2", split, **kwargs)


def read_bigearthnet_s1(root: str | Path, split: str | None = None, **kwargs: Any) -> Iterator[Patch]:
    """`read_bigearthnet(root, "s1", split, **kwargs)`: Sentinel-1 VV/VH patches in dB."""
    return read_bigearthnet(root, "s1", split, **kwargs)


def pair_bigearthnet(
    s2_patches: Sequence[Patch], s1_patches: Sequence[Patch]
) -> list[tuple[Patch, Patch | None]]:
    """Each S2 patch with the S1 patch of the same place (matched on `extra["pair_key"]`), or None."""
    s1_by_key = {p.extra.get("pair_key"): p for p in s1_patches}
    return [(p, s1_by_key.get(p.extra.get("pair_key"))) for p in s2_patches]


def read_bigearthnet_examples(
    sensor: Literal["s2", "s1"] = "s2", *, report: ImageryReport | None = None, **kwargs: Any
) -> Iterator[Patch]:
    """The real BigEarthNet v1 examples of `bigearthnet-common` (6 patches per sensor).

    Raises:
        MissingAssetError: bigearthnet-common is not installed.
    """
    folder = "BigEarthNet-S2-Example" if sensor == "s2" else "BigEarthNet-S1-Example"
    return read_bigearthnet(bigearthnet_examples_dir() / folder, sensor, report=report, **kwargs)


__all__ = [
    "BIGEARTHNET_19_CLASSES",
    "BIGEARTHNET_43_CLASSES",
    "BIGEARTHNET_S1_BANDS",
    "BIGEARTHNET_S2_BANDS",
    "CLC43_TO_19",
    "CLC_CODES_43",
    "bigearthnet_examples_dir",
    "pair_bigearthnet",
    "read_bigearthnet",
    "read_bigearthnet_examples",
    "read_bigearthnet_s1",
    "read_bigearthnet_s2",
    "to_19_classes",
]
