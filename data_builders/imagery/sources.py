"""One entry point for every imagery reader: `read_patches(kind, path, **options)` and `--source kind:path` specs.

    for patch in read_patches("eurosat_ms", "data/EuroSAT_MS", split="test", report=report): ...
    for patch in read_source("geotiff:tiles/T33TVM.tif?patch_size=64&label_raster=tiles/lulc.tif"): ...
    for patch in read_source("torchgeo:EuroSAT:data/eurosat?split=test"): ...
    for patch in read_source("bigearthnet_examples"): ...   # the real examples of bigearthnet-common

Every reader yields `Patch` records and takes `report=` (an `ImageryReport`) and `strict=`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from georeset.errors import BadInputError

from .bigearthnet import read_bigearthnet, read_bigearthnet_examples
from .eolearn import read_eolearn_scenes
from .eurosat import read_eurosat_ms, read_eurosat_rgb
from .geotiff import read_geotiff_tiles
from .patch import Patch
from .report import ImageryReport
from .tiling import tile_patch


@dataclass(frozen=True)
class Reader:
    """A reader of one public format: `read(path, **options)` yields patches."""

    kind: str
    read: Callable[..., Iterator[Patch]]
    description: str
    needs_path: bool = True


def _geotiff(path: str, **options: Any) -> Iterator[Patch]:
    """A GeoTIFF, or every `.tif`/`.tiff` of a folder in name order."""
    if "patch_size" not in options:
        raise BadInputError(f"geotiff source {path}: give patch_size (e.g. geotiff:{path}?patch_size=64)")
    folder = Path(path)
    files = (
        sorted(p for p in folder.iterdir() if p.suffix.lower() in (".tif", ".tiff"))
        if folder.is_dir()
        else [folder]
    )
    if not files:
        raise BadInputError(f"geotiff source {path}: no .tif files in the folder")
    for file in files:
        yield from read_geotiff_tiles(file, **options)


def _eolearn(
    path: str, patch_size: int | None = None, stride: int | None = None, **options: Any
) -> Iterator[Patch]:
    """The eo-learn scenes whole, or cut into `patch_size` sub-patches when it is given."""
    if patch_size is None:
        yield from read_eolearn_scenes(path, **options)
        return
    report = options.pop("report", None)
    report = report if report is not None else ImageryReport()
    # The scenes are an intermediate step here: their problems are reported, "read" counts the tiles only.
    scenes_report = ImageryReport()
    scenes = read_eolearn_scenes(path, report=scenes_report, **options)
    report.merge(scenes_report, include_read=False)
    step = None if stride is None else int(stride)
    for scene in scenes:
        yield from tile_patch(scene, int(patch_size), step, report=report)


def _torchgeo(path: str, **options: Any) -> Iterator[Patch]:
    from .torchgeo_datasets import read_torchgeo  # torchgeo is imported only when asked for

    name, _, root = path.partition(":")
    if not root:
        raise BadInputError(f"torchgeo source needs torchgeo:<DatasetName>:<root>, got torchgeo:{path}")
    return read_torchgeo(name, root, **options)


READERS: dict[str, Reader] = {
    reader.kind: reader
    for reader in (
        Reader("eurosat_ms", read_eurosat_ms, "EuroSAT_MS 13-band GeoTIFF class folders (options: split)"),
        Reader(
            "eurosat_rgb", read_eurosat_rgb, "EuroSAT RGB JPEG class folders, e.g. 2750/ (options: split)"
        ),
        Reader(
            "bigearthnet_s2",
            lambda path, **kw: read_bigearthnet(path, "s2", **kw),
            "BigEarthNet v1/v2 Sentinel-2 patch folders (options: split, nomenclature=source|19|43)",
        ),
        Reader(
            "bigearthnet_s1",
            lambda path, **kw: read_bigearthnet(path, "s1", **kw),
            "BigEarthNet v1/v2 Sentinel-1 patch folders (options: split, nomenclature)",
        ),
        Reader(
            "bigearthnet_examples",
            lambda path="", sensor="s2", **kw: read_bigearthnet_examples(sensor, **kw),
            "the 6 real BigEarthNet examples of bigearthnet-common, no path (options: sensor=s2|s1)",
            needs_path=False,
        ),
        Reader(
            "geotiff",
            _geotiff,
            "GeoTIFF tile(s) cut into patches (options: patch_size, stride, label_raster, "
            "label_vector, class_attribute, band_names, sensor)",
        ),  # fmt: skip
        Reader(
            "eolearn", _eolearn, "eo-learn example scenes with the LULC mask (options: patch_size, stride)"
        ),
        Reader(
            "torchgeo",
            _torchgeo,
            "a TorchGeo dataset on disk: torchgeo:<Name>:<root> (options: split, bands)",
        ),
    )
}


@dataclass(frozen=True)
class SourceSpec:
    """A parsed `kind:path?option=value&...` argument."""

    kind: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)


def _option_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.split(",") if "," in text else text


def parse_source(spec: str) -> SourceSpec:
    """Parse `kind:path` with optional `?key=value&...` options (numbers and true/false converted, commas make
    lists), e.g. `eurosat_ms:/data/EuroSAT_MS?split=test`.

    Raises:
        BadInputError: unknown kind, or a kind that needs a path given none.
    """
    match = re.match(r"\s*([A-Za-z0-9_]+)", spec)
    kind = match.group(1) if match else spec
    rest = spec[match.end() :] if match else ""
    rest = rest[1:] if rest.startswith(":") else rest
    if kind not in READERS or (rest and spec[match.end()] not in ":?"):
        raise BadInputError(f"unknown imagery source '{kind}' in '{spec}': use one of {sorted(READERS)}")
    path, _, query = rest.partition("?")
    if READERS[kind].needs_path and not path:
        raise BadInputError(f"imagery source '{spec}' needs a path: {kind}:<path>")
    options = {key: _option_value(value) for key, value in parse_qsl(query, keep_blank_values=True)}
    return SourceSpec(kind, path, options)


def read_patches(
    kind: str,
    path: str | Path = "",
    *,
    report: ImageryReport | None = None,
    strict: bool = False,
    **options: Any,
) -> Iterator[Patch]:
    """Stream the patches of `path` with the reader of `kind` (a key of `READERS`), passing `options` on.

    Raises:
        BadInputError: unknown kind (the message lists them), or what the reader raises.
    """
    if kind not in READERS:
        raise BadInputError(f"unknown imagery source '{kind}': use one of {sorted(READERS)}")
    return READERS[kind].read(str(path), report=report, strict=strict, **options)


def read_source(
    spec: str, *, report: ImageryReport | None = None, strict: bool = False, **options: Any
) -> Iterator[Patch]:
    """`read_patches` from a `kind:path?options` string; keyword `options` override those in the string."""
    parsed = parse_source(spec)
    return read_patches(
        parsed.kind, parsed.path, report=report, strict=strict, **{**parsed.options, **options}
    )


__all__ = ["READERS", "Reader", "SourceSpec", "parse_source", "read_patches", "read_source"]
