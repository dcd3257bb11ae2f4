"""Real Sentinel patches that install from PyPI: the BigEarthNet examples of `bigearthnet-common`.

The package ships 6 Sentinel-2 L2A patches (12 bands, one GeoTIFF per band, CORINE labels in
`*_labels_metadata.json`) and the matching Sentinel-1 patches (VV, VH) as two `.tar.bz2` archives, extracted once
by `data_builders.imagery.bigearthnet.bigearthnet_examples_dir` (re-exported here). This module lists them as
file paths for GeoLLaVA's demo and tests; `data_builders.imagery.bigearthnet.read_bigearthnet` reads them as
georeferenced patches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# The extraction lives with the BigEarthNet reader (data flows data_builders -> modeling, never back).
from data_builders.imagery.bigearthnet import bigearthnet_examples_dir


@dataclass(frozen=True)
class BigEarthNetPatch:
    """One place seen by Sentinel-2 (12 band files) and, when the example has it, Sentinel-1 (VV, VH)."""

    name: str
    s2_files: list[Path]
    s1_files: list[Path]
    labels: list[str]


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
