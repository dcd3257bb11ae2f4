"""EuroSAT (Helber et al. 2019) in its two public forms: EuroSAT_MS (13-band GeoTIFF) and EuroSAT RGB (JPEG).

Both are folders of 64 x 64 patches, one folder per class. The layouts found in the wild are all accepted:

- `<root>/<Class>/<Class>_N.tif|jpg` (the official `EuroSAT_MS/` and `2750/` archives, `root` may also be their
  parent: `<root>/2750/`, `<root>/EuroSAT_MS/`, `<root>/EuroSAT_RGB/`);
- `<root>/{train,val,test}/<Class>/...` (split folders);
- torchgeo's `EuroSATallBands.zip` extraction, `<root>/ds/images/remote_sensing/otherDatasets/sentinel_2/tif/`,
  with its split files `<root>/eurosat-{train,val,test}.txt`.

Units: EuroSAT_MS pixels are Sentinel-2 L1C digital numbers (uint16, reflectance x 10,000) in the band order
B01..B12, B8A, with the file's UTM CRS and transform; EuroSAT RGB pixels are 8-bit (uint8) R, G, B without
georeferencing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from georeset.errors import BadInputError

from .patch import Patch
from .raster_io import RasterReadError, is_all_nodata, natural_key, read_raster
from .report import (
    ALL_NODATA,
    BAND_MISMATCH,
    NO_GEOREFERENCING,
    UNKNOWN_CLASS,
    UNREADABLE,
    ImageryReport,
)

# The 10 classes in the official archive's folder names (alphabetical, which is also the usual label index).
EUROSAT_CLASSES: tuple[str, ...] = (
    "AnnualCrop",
    "Forest",
    "HerbaceousVegetation",
    "Highway",
    "Industrial",
    "Pasture",
    "PermanentCrop",
    "Residential",
    "River",
    "SeaLake",
)
# Plain-language names for prompts and captions (the class names of the EuroSAT paper, Table 1).
EUROSAT_CLASS_PHRASES: dict[str, str] = {
    "AnnualCrop": "annual crop",
    "Forest": "forest",
    "HerbaceousVegetation": "herbaceous vegetation",
    "Highway": "highway",
    "Industrial": "industrial buildings",
    "Pasture": "pasture",
    "PermanentCrop": "permanent crop",
    "Residential": "residential buildings",
    "River": "river",
    "SeaLake": "sea or lake",
}
# Each class in the plain land-cover words of a general nomenclature (eo-learn's LULC classes, which the
# instruction data's classification task answers with), written from the class definitions of the EuroSAT paper
# (Helber et al. 2019, Table 1: classes chosen after the CORINE/Urban Atlas land-use classes): crops are cultivated
# land, pasture and herbaceous vegetation are grassland (CORINE 2.3.1 pastures, 3.2.1 natural grassland), roads,
# industrial and residential buildings are artificial surface (CORINE 1.x), rivers, seas and lakes are water
# (CORINE 5.x). Fixed by definition, never fitted to EuroSAT images; `eval.eo.modes` uses it as a two-level
# verbalizer (the land-cover word first, then the EuroSAT class among those that share it).
EUROSAT_LAND_COVER_WORDS: dict[str, str] = {
    "AnnualCrop": "cultivated land",
    "Forest": "forest",
    "HerbaceousVegetation": "grassland",
    "Highway": "artificial surface",
    "Industrial": "artificial surface",
    "Pasture": "grassland",
    "PermanentCrop": "cultivated land",
    "Residential": "artificial surface",
    "River": "water",
    "SeaLake": "water",
}
# Band order of the EuroSAT_MS GeoTIFFs (B8A comes last, as in torchgeo's `EuroSAT.all_band_names`).
EUROSAT_MS_BANDS: tuple[str, ...] = (
    "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10", "B11", "B12", "B8A",
)  # fmt: skip
EUROSAT_RGB_BANDS: tuple[str, ...] = ("R", "G", "B")

SPLITS = ("train", "val", "validation", "test")
_NESTED_ROOTS = (
    "2750",
    "EuroSAT_MS",
    "EuroSAT_RGB",
    "EuroSAT",
    "ds/images/remote_sensing/otherDatasets/sentinel_2/tif",
)
_MS_SUFFIXES = (".tif", ".tiff")
_RGB_SUFFIXES = (".jpg", ".jpeg")


def _subdirs(folder: Path) -> list[Path]:
    return sorted(
        (
            Path(entry.path)
            for entry in os.scandir(folder)
            if entry.is_dir() and not entry.name.startswith(".")
        ),
        key=lambda p: natural_key(p.name),
    )


def _image_files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    files = (
        Path(entry.path)
        for entry in os.scandir(folder)
        if entry.is_file() and not entry.name.startswith(".") and entry.name.lower().endswith(suffixes)
    )
    return sorted(files, key=lambda p: natural_key(p.name))


def _is_class_root(folder: Path, suffixes: tuple[str, ...]) -> bool:
    """A folder whose subfolders hold image files (checking the first few subfolders is enough)."""
    return any(_image_files(sub, suffixes) for sub in _subdirs(folder)[:3])


def _layout(
    root: Path, split: str | None, suffixes: tuple[str, ...]
) -> list[tuple[str | None, Path, set | None]]:
    """[(split name or None, folder of class folders, allowed file names or None)] for `root`."""
    root = Path(root)
    if not root.is_dir():
        raise BadInputError(f"EuroSAT folder {root} does not exist or is not a folder")
    for base in (root, *(root / nested for nested in _NESTED_ROOTS)):
        if not base.is_dir():
            continue
        split_dirs = {p.name: p for p in _subdirs(base) if p.name in SPLITS and _is_class_root(p, suffixes)}
        if split_dirs:
            if split is None:
                return [(name, path, None) for name, path in split_dirs.items()]
            if split not in split_dirs:
                raise BadInputError(
                    f"EuroSAT folder {root} has no '{split}' split (found {sorted(split_dirs)})"
                )
            return [(split, split_dirs[split], None)]
        if _is_class_root(base, suffixes):
            if split is None:
                return [(None, base, None)]
            split_file = root / f"eurosat-{split}.txt"
            if not split_file.is_file():
                raise BadInputError(
                    f"EuroSAT folder {root} has no split folders and no split file {split_file.name}: "
                    f"read it with split=None"
                )
            # torchgeo's split files list the RGB names (.jpg) for the MS files too.
            names = {Path(line.strip()).stem for line in split_file.read_text().splitlines() if line.strip()}
            return [(split, base, names)]
    raise BadInputError(
        f"no EuroSAT class folders with {'/'.join(suffixes)} files under {root} "
        f"(expected <root>/<Class>/<Class>_N{suffixes[0]} or <root>/<split>/<Class>/...)"
    )


def _labelled_files(
    root: Path,
    split: str | None,
    suffixes: tuple[str, ...],
    classes: Sequence[str] | None,
    source: str,
    report: ImageryReport,
    strict: bool,
) -> Iterator[tuple[str | None, str, Path]]:
    """(split, class name, file) in a deterministic order; files of unknown class folders are reported."""
    for split_name, base, allowed in _layout(root, split, suffixes):
        for class_dir in _subdirs(base):
            files = _image_files(class_dir, suffixes)
            if allowed is not None:
                files = [f for f in files if f.stem in allowed]
            if classes is not None and class_dir.name not in classes:
                for file in files:
                    report.skip(
                        source, UNKNOWN_CLASS, file, f"class folder '{class_dir.name}'", strict=strict
                    )
                continue
            for file in files:
                yield split_name, class_dir.name, file


def class_names(root: str | Path, classes: Sequence[str] | None = EUROSAT_CLASSES) -> list[str]:
    """The class folders present under a EuroSAT root (either form, any layout), in `classes` order.

    With `classes=None`, every class folder found, in natural sort order.
    """
    root = Path(root)
    try:
        layout = _layout(root, None, _MS_SUFFIXES)
    except BadInputError:
        layout = _layout(root, None, _RGB_SUFFIXES)
    found = {class_dir.name for _, base, _ in layout for class_dir in _subdirs(base)}
    if classes is None:
        return sorted(found, key=natural_key)
    return [name for name in classes if name in found]


def _class_index(name: str, classes: Sequence[str] | None) -> int | None:
    return list(classes).index(name) if classes is not None else None


def read_eurosat_ms(
    root: str | Path,
    split: str | None = None,
    *,
    classes: Sequence[str] | None = EUROSAT_CLASSES,
    band_names: Sequence[str] = EUROSAT_MS_BANDS,
    require_georeference: bool = True,
    report: ImageryReport | None = None,
    strict: bool = False,
) -> Iterator[Patch]:
    """Stream EuroSAT_MS patches (13-band GeoTIFFs), one file at a time, sorted by split, class, then number.

    Args:
        root: the EuroSAT_MS folder (see the module docstring for the layouts accepted).
        split: "train", "val" or "test" to read one split (split folders or torchgeo split files); None reads
            everything, with the split (if any) in `patch.extra["split"]`.
        classes: the class folder names accepted (others are reported as unknown); None accepts any folder.
        band_names: the files' band order (EuroSAT_MS's by default).
        require_georeference: skip (and report) files without CRS; False yields them with `crs=None`, flagged.
        report: collects counts of read / skipped files by reason.
        strict: raise `BadInputError` naming the first bad file instead of skipping it.

    Yields:
        `Patch` with uint16 Sentinel-2 L1C digital numbers `(13, 64, 64)`, sensor "s2_l1c", source "eurosat_ms",
        labels `[class]`, and `extra` = {"split", "class_index"}.

    Raises:
        BadInputError: `root` holds no EuroSAT class folders, or (strict) a bad file.
    """
    source = "eurosat_ms"
    report = report if report is not None else ImageryReport()
    for split_name, class_name, file in _labelled_files(
        Path(root), split, _MS_SUFFIXES, classes, source, report, strict
    ):
        try:
            raster = read_raster(file)
        except RasterReadError as err:
            report.skip(source, UNREADABLE, file, str(err), strict=strict)
            continue
        if raster.pixels.shape[0] != len(band_names):
            detail = f"{raster.pixels.shape[0]} bands, expected {len(band_names)}"
            report.skip(source, BAND_MISMATCH, file, detail, strict=strict)
            continue
        if is_all_nodata(raster.pixels, raster.nodata):
            report.skip(source, ALL_NODATA, file, strict=strict)
            continue
        if raster.crs is None:
            if require_georeference:
                report.skip(source, NO_GEOREFERENCING, file, "no CRS/transform", strict=strict)
                continue
            report.flag(source, NO_GEOREFERENCING, file)
        report.count_read(source)
        yield Patch(
            id=file.stem,
            pixels=raster.pixels,
            band_names=list(band_names),
            sensor="s2_l1c",
            crs=raster.crs,
            transform=raster.transform,
            labels=[class_name],
            source=source,
            path=str(file),
            nodata=raster.nodata,
            extra={"split": split_name, "class_index": _class_index(class_name, classes)},
        )


def read_eurosat_rgb(
    root: str | Path,
    split: str | None = None,
    *,
    classes: Sequence[str] | None = EUROSAT_CLASSES,
    report: ImageryReport | None = None,
    strict: bool = False,
) -> Iterator[Patch]:
    """Stream EuroSAT RGB patches (JPEGs), one file at a time, sorted by split, class, then number.

    Args:
        root: the `2750/` folder, its parent, or a folder of split folders.
        split: as in `read_eurosat_ms`.
        classes: the class folder names accepted; None accepts any folder.
        report: collects counts of read / skipped files by reason.
        strict: raise `BadInputError` naming the first bad file instead of skipping it.

    Yields:
        `Patch` with uint8 `(3, 64, 64)` pixels, band names ["R", "G", "B"], sensor "rgb", source "eurosat_rgb",
        no georeferencing (crs and transform None), labels `[class]`, `extra` = {"split", "class_index"}.
    """
    from PIL import Image, UnidentifiedImageError

    source = "eurosat_rgb"
    report = report if report is not None else ImageryReport()
    for split_name, class_name, file in _labelled_files(
        Path(root), split, _RGB_SUFFIXES, classes, source, report, strict
    ):
        try:
            with Image.open(file) as image:
                image.load()  # decodes now, so a truncated JPEG fails here and not later
                mode = image.mode
                pixels = np.asarray(image) if mode == "RGB" else None
        except (OSError, UnidentifiedImageError, ValueError) as err:
            report.skip(source, UNREADABLE, file, f"unreadable or truncated JPEG ({err})", strict=strict)
            continue
        if pixels is None:
            report.skip(source, BAND_MISMATCH, file, f"image mode {mode}, expected RGB", strict=strict)
            continue
        pixels = np.ascontiguousarray(pixels.transpose(2, 0, 1))
        if is_all_nodata(pixels, None):
            report.skip(source, ALL_NODATA, file, "all pixels black", strict=strict)
            continue
        report.count_read(source)
        yield Patch(
            id=file.stem,
            pixels=pixels,
            band_names=list(EUROSAT_RGB_BANDS),
            sensor="rgb",
            labels=[class_name],
            source=source,
            path=str(file),
            extra={"split": split_name, "class_index": _class_index(class_name, classes)},
        )


__all__ = [
    "EUROSAT_CLASSES",
    "EUROSAT_CLASS_PHRASES",
    "EUROSAT_LAND_COVER_WORDS",
    "EUROSAT_MS_BANDS",
    "EUROSAT_RGB_BANDS",
    "class_names",
    "read_eurosat_ms",
    "read_eurosat_rgb",
]
