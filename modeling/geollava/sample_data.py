"""Real Sentinel patches that install from PyPI: the BigEarthNet examples of `bigearthnet-common`.

The package ships 6 Sentinel-2 L2A patches (12 bands, one GeoTIFF per band, CORINE labels in
`*_labels_metadata.json`) and the matching Sentinel-1 patches (VV, VH) as two `.tar.bz2` archives. Importing the
package needs dependencies it is installed without, so the archives are found and extracted directly, once,
under `georeset_home()`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .geollava_errors import MissingAssetError

_ARCHIVES = ("BigEarthNet-S2-Example", "BigEarthNet-S1-Example")
_PIP = "pip install --no-deps bigearthnet-common==2.8.0"


@dataclass(frozen=True)
class BigEarthNetPatch:
    """One place seen by Sentinel-2 (12 band files) and, when the example has it, Sentinel-1 (VV, VH)."""

    name: str
    s2_files: list[Path]
    s1_files: list[Path]
    labels: list[str]


def bigearthnet_examples_dir() -> Path:
    """Folder holding `BigEarthNet-S2-Example/` and `BigEarthNet-S1-Example/`, extracted on first use.

    Raises:
        MissingAssetError: bigearthnet-common is not installed.
    """
    from georeset.settings import georeset_home

    target = georeset_home() / "bigearthnet-examples"
    if all((target / name).is_dir() for name in _ARCHIVES):
        return target
    spec = importlib.util.find_spec("bigearthnet_common")
    if spec is None or not spec.submodule_search_locations:
        raise MissingAssetError(f"the BigEarthNet examples need bigearthnet-common: {_PIP}")
    package = Path(next(iter(spec.submodule_search_locations)))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-bigearthnet-", dir=target.parent))
    try:
        for name in _ARCHIVES:
            with tarfile.open(package / f"{name}.tar.bz2") as archive:
                archive.extractall(staging, filter="data")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)  # all or nothing: an interrupted extraction leaves no half folder
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def bigearthnet_patches() -> list[BigEarthNetPatch]:
    """The example patches, each with its Sentinel-1 counterpart (matched by the patch's tile position)."""
    root = bigearthnet_examples_dir()
    s1_by_position = {
        "_".join(folder.name.split("_")[-2:]): folder
        for folder in (root / "BigEarthNet-S1-Example").iterdir()
    }
    patches = []
    for folder in sorted((root / "BigEarthNet-S2-Example").iterdir()):
        s1_folder = s1_by_position.get("_".join(folder.name.split("_")[-2:]))
        metadata = next(folder.glob("*_labels_metadata.json"), None)
        labels = json.loads(metadata.read_text())["labels"] if metadata else []
        patches.append(
            BigEarthNetPatch(
                name=folder.name,
                s2_files=sorted(folder.glob("*.tif")),
                s1_files=sorted(s1_folder.glob("*.tif")) if s1_folder else [],
                labels=labels,
            )
        )
    return patches


__all__ = ["BigEarthNetPatch", "bigearthnet_examples_dir", "bigearthnet_patches"]
