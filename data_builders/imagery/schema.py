"""Layout of the Sentinel <-> text instruction dataset on the Hub (one row = one patch + one conversation).

Pixels are stored in physical units so that every source reads the same way: Sentinel-2 reflectance (digital
number / 10,000), Sentinel-1 backscatter in dB, RGB scaled to 0..1. `load_dataset(...).with_format("numpy")`
returns `pixels` as a `(bands, size, size)` float32 array beside its `band_names`; all rows of one dataset share
`size` (the builder's `--patch-size`).
"""

from __future__ import annotations

import datasets

TASKS = ("caption", "land_cover", "location", "geotext", "classification")
LANGUAGES = ("en", "fr")


def instruction_features(patch_size: int) -> datasets.Features:
    """Features of the instruction dataset for square patches of `patch_size` pixels."""
    message = {"role": datasets.Value("string"), "content": datasets.Value("string")}
    return datasets.Features(
        {
            "id": datasets.Value("string"),  # unique per row: <patch id>/<task>/<language>/<n>
            "patch_id": datasets.Value("string"),
            "pixels": datasets.Array3D(shape=(None, patch_size, patch_size), dtype="float32"),
            "band_names": datasets.List(datasets.Value("string")),
            "sensor": datasets.Value("string"),
            "gsd_m": datasets.Value("float32"),  # ground sampling distance of the stored pixels
            "footprint_wkt": datasets.Value("string"),  # EPSG:4326 polygon; "" when not georeferenced
            "labels": datasets.List(datasets.Value("string")),
            "task": datasets.Value("string"),  # one of TASKS
            "language": datasets.Value("string"),  # one of LANGUAGES
            # The user turn refers to the image implicitly: the trainer puts the image placeholder before it.
            "messages": datasets.List(message),
            # JSON: source, path, template ids, gazetteer ids, passages, pixel handling.
            "provenance": datasets.Value("string"),
        }
    )


__all__ = ["LANGUAGES", "TASKS", "instruction_features"]
