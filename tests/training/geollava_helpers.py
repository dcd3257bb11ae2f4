"""Builders for the GeoLLaVA training tests: small instruction datasets in the imagery schema.

Rows come from the real BigEarthNet Sentinel-2 examples that `bigearthnet-common` installs (pixels resampled to a
small square, in reflectance), or from seeded synthetic reflectance when that package is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

S2_L2A = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"]
QUESTIONS = {
    "en": ["What land cover does this Sentinel-2 image show?", "Describe the land cover in this patch."],
    "fr": [
        "Quelle occupation du sol montre cette image Sentinel-2 ?",
        "Décris l'occupation du sol de ce patch.",
    ],
}
PREFIX = {"en": "It shows ", "fr": "On y voit "}


def _resize(band: np.ndarray, size: int) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    tensor = torch.as_tensor(band.astype(np.float32))[None, None]
    return F.interpolate(tensor, size=(size, size), mode="bilinear", antialias=True, align_corners=False)[
        0, 0
    ].numpy()


def bigearthnet_pixels(size: int) -> list[tuple[str, np.ndarray, list[str]]]:
    """`(patch name, (12, size, size) reflectance, CORINE labels)` of the real examples; synthetic without them."""
    try:
        from modeling.geollava import read_geotiff
        from modeling.geollava.sample_data import bigearthnet_patches

        patches = bigearthnet_patches()
    except Exception:  # bigearthnet-common or rasterio missing: seeded synthetic reflectance instead
        rng = np.random.default_rng(0)
        labels = [["Coniferous forest"], ["Pastures", "Water bodies"], ["Non-irrigated arable land"]]
        return [
            (
                f"synthetic_{i}",
                rng.uniform(0.01, 0.4, (12, size, size)).astype(np.float32) + 0.1 * i,
                labels[i % 3],
            )
            for i in range(6)
        ]
    out = []
    for patch in patches:
        bands = read_geotiff(patch.s2_files)
        pixels = np.stack([_resize(bands[name], size) for name in S2_L2A]) / 10000.0
        out.append((patch.name, pixels.astype(np.float32), list(patch.labels)))
    return out


def instruction_rows(size: int = 32, repeat: int = 1, sensor: str = "s2_l2a") -> list[dict]:
    """Land-cover rows in the schema of `data_builders.imagery.schema` (both languages, both templates)."""
    rows = []
    for name, pixels, labels in bigearthnet_pixels(size):
        for language, questions in QUESTIONS.items():
            for template, question in enumerate(questions):
                for copy in range(repeat):
                    rows.append(
                        {
                            "id": f"{name}/land_cover/{language}/{template}-{copy}",
                            "patch_id": name,
                            "pixels": pixels,
                            "band_names": list(S2_L2A),
                            "sensor": sensor,
                            "gsd_m": 10.0 * 120 / size,
                            "footprint_wkt": "",
                            "labels": labels,
                            "task": "land_cover",
                            "language": language,
                            "messages": [
                                {"role": "user", "content": question},
                                {
                                    "role": "assistant",
                                    "content": PREFIX[language] + ", ".join(labels).lower() + ".",
                                },
                            ],
                            "provenance": json.dumps({"source": "bigearthnet_s2", "template": template}),
                        }
                    )
    return rows


def write_instruction_dataset(folder: Path, rows: list[dict], size: int, drop: tuple[str, ...] = ()) -> Path:
    """Parquet shard + README with `configs:`, loadable with `load_dataset(folder)`."""
    from datasets import Dataset

    from data_builders.imagery.schema import instruction_features

    features = instruction_features(size)
    for column in drop:
        del features[column]
    rows = [{k: v for k, v in row.items() if k not in drop} for row in rows]
    table = (
        Dataset.from_list(rows, features=features)
        if rows
        else Dataset.from_dict({name: [] for name in features}, features=features)
    )
    (folder / "data").mkdir(parents=True, exist_ok=True)
    table.to_parquet(str(folder / "data" / "train-00000-of-00001.parquet"))
    (folder / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*.parquet\n---\n",
        encoding="utf-8",
    )
    return folder
