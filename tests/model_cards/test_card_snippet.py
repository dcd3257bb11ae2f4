"""The "How to use" code of a GeoLLaVA card runs as written: a tiny GeoLLaVA on the local Hub, a Sentinel-2
GeoTIFF with named bands, `from_pretrained(..., trust_remote_code=True)`, `apply_chat_template`, `generate`, and
the `image-text-to-text` pipeline."""

from __future__ import annotations

import re

import numpy as np
import pytest

from model_cards.render import render_geollava_card

from .conftest import load_test_module

L2A_BANDS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"]


def _build_tiny_geollava():
    """The tiny random GeoLLaVA of the GeoLLaVA tests."""
    return load_test_module("geollava/conftest.py").build_tiny_geollava()


def test_how_to_use_code_runs_against_the_pushed_model(hub_env, tmp_path, monkeypatch):
    rasterio = pytest.importorskip("rasterio")
    model, processor = _build_tiny_geollava()
    repo = "georeset-test/card-snippet-geollava"
    model.push_to_hub(repo)
    processor.push_to_hub(repo)
    config = {"model": {"llm": "embedded", "vision_config": model.config.vision_config.to_dict()}}
    card = render_geollava_card(config, [], repo)
    how_to_use = card.split("## How to use")[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(.*?)```", how_to_use, re.DOTALL)
    assert len(blocks) == 2 and "pipeline(" in blocks[1]

    pixels = np.random.default_rng(3).integers(1, 4000, (len(L2A_BANDS), 64, 64)).astype(np.uint16)
    monkeypatch.chdir(tmp_path)
    profile = dict(
        driver="GTiff",
        width=64,
        height=64,
        count=len(L2A_BANDS),
        dtype="uint16",
        crs="EPSG:32633",
        transform=rasterio.Affine(10, 0, 500000, 0, -10, 5100000),
    )
    with rasterio.open("S2_patch.tif", "w", **profile) as dataset:
        dataset.write(pixels)
        dataset.descriptions = tuple(L2A_BANDS)
    namespace: dict = {}
    exec(compile(blocks[0], "card-how-to-use", "exec"), namespace)  # the card's own code, unchanged
    assert namespace["output"].shape[1] > namespace["inputs"]["input_ids"].shape[1]  # it generated tokens
    assert tuple(namespace["inputs"]["pixel_values"].shape[-2:]) == (64, 64)
    exec(compile(blocks[1], "card-pipeline", "exec"), namespace)  # the pipeline, on the same conversation
    assert namespace["answer"][0]["generated_text"][-1]["role"] == "assistant"
