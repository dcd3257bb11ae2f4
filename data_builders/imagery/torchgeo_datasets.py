"""TorchGeo datasets whose files are already on disk, read as `Patch` records.

TorchGeo's `NonGeoDataset`s return `{"image": Tensor, "label": Tensor}` samples without georeferencing; where the
dataset keeps the path of each sample's file (EuroSAT's `samples`, BigEarthNet's `folders`, BigEarthNetV2's
`metadata_df`), the CRS and transform are read back from that file so the patch keeps its footprint.

    patches = read_torchgeo("EuroSAT", "data/eurosat", split="test")          # download=False, always
    patches = read_torchgeo("BigEarthNet", "data/ben", bands="s2", num_classes=19)

Units are TorchGeo's: the raw values of the files as float32 (Sentinel-2 digital numbers, S1 dB).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from georeset.errors import BadInputError, MissingAssetError

from .patch import Patch
from .raster_io import canonical_band_name, crs_string, is_all_nodata
from .report import ALL_NODATA, UNREADABLE, ImageryReport

# Sensor and band names of the TorchGeo datasets this module knows; others need `sensor=` and `band_names=`.
_KNOWN: dict[str, dict[str, Any]] = {
    "EuroSAT": {"sensor": "s2_l1c"},
    "EuroSAT100": {"sensor": "s2_l1c"},
    "EuroSATSpatial": {"sensor": "s2_l1c"},
    "BigEarthNet": {"sensor": {"s2": "s2_l2a", "s1": "s1"}},
    "BigEarthNetV2": {"sensor": {"s2": "s2_l2a", "s1": "s1"}},
}
# TorchGeo sorts the BigEarthNet band files by name: S1 comes as VH, VV; S2 as B01..B08, B8A, B09, B11, B12.
_BIGEARTHNET_BANDS = {
    "s1": ["VH", "VV"],
    "s2": ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"],
}


def load_torchgeo_dataset(name: str, root: str | Path, **kwargs: Any):
    """Instantiate `torchgeo.datasets.<name>(root=root, download=False, **kwargs)`.

    Raises:
        MissingAssetError: torchgeo is not installed, or the dataset's files are not under `root` (the message
            repeats TorchGeo's, which names the expected files).
        BadInputError: no such TorchGeo dataset, or arguments it refuses.
    """
    try:
        import torchgeo.datasets as tgd
        from torchgeo.datasets.errors import DatasetNotFoundError
    except ImportError as err:
        raise MissingAssetError(
            f"reading TorchGeo datasets needs torchgeo: pip install torchgeo ({err})"
        ) from err
    cls = getattr(tgd, name, None)
    if cls is None or not isinstance(cls, type):
        raise BadInputError(f"torchgeo.datasets has no dataset '{name}'")
    kwargs = {**kwargs, "download": False}
    try:
        return cls(root=os.fspath(root), **kwargs)
    except DatasetNotFoundError as err:
        raise MissingAssetError(
            f"TorchGeo {name}: files not found under {root} ({err}); download=False"
        ) from err
    except (AssertionError, ValueError, TypeError) as err:
        raise BadInputError(
            f"TorchGeo {name} at {root}: {err or 'invalid arguments'} (arguments {kwargs})"
        ) from err


def _class_names(dataset) -> list[str] | None:
    if getattr(dataset, "class_sets", None) and getattr(dataset, "num_classes", None):
        return list(dataset.class_sets[dataset.num_classes])
    for attribute in ("class_set", "classes"):
        names = getattr(dataset, attribute, None)
        if names:
            return [str(n) for n in names]
    return None


def _sample_file(dataset, index: int) -> str | None:
    """A file of sample `index` carrying its georeferencing, when the dataset records where samples live."""
    samples = getattr(dataset, "samples", None)
    if samples is not None:  # ImageFolder-based (EuroSAT): (path, class index)
        return samples[index][0]
    folders = getattr(dataset, "folders", None)
    bands = getattr(dataset, "bands", None)
    if folders is not None and bands in ("s1", "s2"):  # BigEarthNet v1
        folder = Path(folders[index][bands])
        marker = "B02" if bands == "s2" else "VV"
        return str(folder / f"{folder.name}_{marker}.tif")
    frame = getattr(dataset, "metadata_df", None)
    if frame is not None and bands in ("s1", "s2"):  # BigEarthNetV2
        row = frame.iloc[index]
        patch_id = str(row["s1_name" if bands == "s1" else "patch_id"])
        parent = "_".join(patch_id.split("_")[: -3 if bands == "s1" else -2])
        folder = Path(dataset.root) / dataset.dir_file_names[bands] / parent / patch_id
        return str(folder / f"{patch_id}_{'VV' if bands == 's1' else 'B02'}.tif")
    return None


def _georeference(path: str | None, shape: tuple[int, int]) -> tuple[str | None, tuple | None]:
    """CRS and transform of `path`, scaled to a sample of `shape` pixels covering the same ground."""
    if path is None or not Path(path).is_file():
        return None, None
    import rasterio
    from rasterio.errors import RasterioError

    try:
        with rasterio.open(path) as src:
            crs = crs_string(src.crs)
            a, b, c, d, e, f = (float(v) for v in tuple(src.transform)[:6])
            sx, sy = src.width / shape[1], src.height / shape[0]
    except (RasterioError, OSError):
        return None, None
    return (crs, (a * sx, b * sy, c, d * sx, e * sy, f)) if crs else (None, None)


def _patch_id(name: str, file: str | None, index: int) -> str:
    if file is None:
        return f"{name}_{index}"
    # BigEarthNet samples are folders of band files: the folder is the patch.
    return Path(file).parent.name if name.startswith("BigEarthNet") else Path(file).stem


def read_torchgeo(
    name: str,
    root: str | Path,
    *,
    sensor: str | None = None,
    band_names: Sequence[str] | None = None,
    limit: int | None = None,
    report: ImageryReport | None = None,
    strict: bool = False,
    **dataset_kwargs: Any,
) -> Iterator[Patch]:
    """Stream the samples of a TorchGeo dataset as patches (`download=False`: the files must be present).

    Args:
        name: the class name in `torchgeo.datasets` ("EuroSAT", "BigEarthNet", "BigEarthNetV2"...).
        root: the dataset's root folder, laid out as TorchGeo expects it.
        sensor: `Patch.sensor`; known for EuroSAT* ("s2_l1c") and BigEarthNet* (from `bands`).
        band_names: one name per image channel; default the dataset's `bands` (EuroSAT) or TorchGeo's file order.
        limit: read at most this many samples.
        report: counts samples read / skipped.
        strict: raise `BadInputError` on the first unreadable sample instead of skipping it.
        **dataset_kwargs: passed to the dataset (split, bands, num_classes...).

    Yields:
        `Patch` with float32 pixels `(bands, h, w)`, labels as class names (single- or multi-label), source
        `torchgeo_<name>`, CRS/transform read from the sample's file when the dataset records it, `extra` =
        {"index", "split"}.

    Raises:
        MissingAssetError: torchgeo or the dataset's files are missing.
        BadInputError: unknown dataset, arguments it refuses, or mixed-sensor bands (BigEarthNet bands="all").
    """
    dataset = load_torchgeo_dataset(name, root, **dataset_kwargs)
    source = f"torchgeo_{name.lower()}"
    report = report if report is not None else ImageryReport()
    known = _KNOWN.get(name, {})
    bands_arg = getattr(dataset, "bands", None)
    if name.startswith("BigEarthNet"):
        if bands_arg not in ("s1", "s2"):
            raise BadInputError(
                f"TorchGeo {name} with bands={bands_arg!r} mixes S1 and S2: use bands='s1' or 's2'"
            )
        sensor = sensor or known["sensor"][bands_arg]
        default_bands = _BIGEARTHNET_BANDS[bands_arg]
    else:
        sensor = sensor or known.get("sensor")
        default_bands = [str(b) for b in bands_arg] if isinstance(bands_arg, (list, tuple)) else None
    names = [canonical_band_name(b) for b in (band_names or default_bands or [])]
    if sensor is None or not names:
        raise BadInputError(
            f"TorchGeo {name}: pass sensor= and band_names= (this dataset is not one georeset knows)"
        )
    classes = _class_names(dataset)
    split = dataset_kwargs.get("split", getattr(dataset, "split", None))

    count = len(dataset) if limit is None else min(limit, len(dataset))
    for index in range(count):
        file = _sample_file(dataset, index)
        try:
            sample = dataset[index]
        except Exception as err:  # noqa: BLE001 - TorchGeo surfaces rasterio, PIL and IO errors as they come
            report.skip(
                source, UNREADABLE, file or f"{name}[{index}]", f"sample {index}: {err}", strict=strict
            )
            continue
        pixels = np.asarray(sample["image"], dtype=np.float32)
        if pixels.ndim == 2:
            pixels = pixels[None]
        if pixels.shape[0] != len(names):
            raise BadInputError(f"TorchGeo {name}: {pixels.shape[0]} channels but band names {names}")
        if is_all_nodata(pixels, None):
            report.skip(source, ALL_NODATA, file or f"{name}[{index}]", strict=strict)
            continue
        label = np.asarray(sample.get("label", []))
        if label.ndim == 0:
            indices = [int(label)]
        else:
            indices = [int(i) for i in np.flatnonzero(label)]  # multi-hot
        labels = [classes[i] if classes and i < len(classes) else str(i) for i in indices]
        crs, transform = _georeference(file, pixels.shape[1:])
        report.count_read(source)
        yield Patch(
            id=_patch_id(name, file, index),
            pixels=pixels,
            band_names=names,
            sensor=sensor,
            crs=crs,
            transform=transform,
            labels=labels,
            source=source,
            path=file or os.fspath(root),
            extra={"index": index, "split": split},
        )


__all__ = ["load_torchgeo_dataset", "read_torchgeo"]
