"""The `read_patches` dispatcher and `kind:path?options` source specs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from data_builders.imagery.report import ImageryReport
from data_builders.imagery.sources import READERS, parse_source, read_patches, read_source
from data_builders.imagery.synthetic import random_dn, write_eurosat_ms, write_eurosat_rgb, write_geotiff
from georeset.errors import BadInputError, MissingAssetError


def test_parse_source_specs() -> None:
    spec = parse_source(
        "geotiff:/data/tile.tif?patch_size=64&stride=32&band_names=B02,B03&reproject_labels=false"
    )
    assert spec.kind == "geotiff" and spec.path == "/data/tile.tif"
    assert spec.options == {
        "patch_size": 64,
        "stride": 32,
        "band_names": ["B02", "B03"],
        "reproject_labels": False,
    }
    assert parse_source("torchgeo:EuroSAT:/data/eurosat?split=test").path == "EuroSAT:/data/eurosat"
    assert parse_source("bigearthnet_examples").path == ""
    with pytest.raises(BadInputError, match="unknown imagery source 'sentinel3'"):
        parse_source("sentinel3:/x")
    with pytest.raises(BadInputError, match="unknown imagery source"):
        parse_source("eurosat_ms/data")
    with pytest.raises(BadInputError, match="needs a path"):
        parse_source("eurosat_ms:")
    assert {
        "eurosat_ms",
        "eurosat_rgb",
        "bigearthnet_s2",
        "bigearthnet_s1",
        "geotiff",
        "eolearn",
        "torchgeo",
    } <= set(READERS)


def test_dispatch_to_each_reader(tmp_path: Path) -> None:
    write_eurosat_ms(tmp_path / "ms", classes=("Forest",), per_class=2, splits=("train", "test"))
    write_eurosat_rgb(tmp_path / "rgb", classes=("River",), per_class=1)
    write_geotiff(
        tmp_path / "tiles" / "a.tif", random_dn(np.random.default_rng(0), 2, 32), descriptions=["VV", "VH"]
    )
    write_geotiff(
        tmp_path / "tiles" / "b.tif", random_dn(np.random.default_rng(1), 2, 16), descriptions=["VV", "VH"]
    )
    report = ImageryReport()
    assert [p.id for p in read_source(f"eurosat_ms:{tmp_path / 'ms'}?split=test", report=report)] == [
        "Forest_1001",
        "Forest_1002",
    ]
    assert [p.sensor for p in read_patches("eurosat_rgb", tmp_path / "rgb", report=report)] == ["rgb"]
    tiles = list(read_source(f"geotiff:{tmp_path / 'tiles'}?patch_size=16", report=report))
    assert [p.id for p in tiles] == ["a/r0_c0", "a/r0_c16", "a/r16_c0", "a/r16_c16", "b/r0_c0"]
    assert report.read == {"eurosat_ms": 2, "eurosat_rgb": 1, "geotiff": 5}
    with pytest.raises(BadInputError, match="patch_size"):
        list(read_source(f"geotiff:{tmp_path / 'tiles'}"))
    with pytest.raises(BadInputError, match="unknown imagery source"):
        read_patches("nope", tmp_path)


def test_bigearthnet_examples_source() -> None:
    try:
        patches = list(read_source("bigearthnet_examples?sensor=s1"))
    except MissingAssetError as err:
        pytest.skip(str(err))
    assert len(patches) == 6 and all(p.sensor == "s1" for p in patches)


@pytest.mark.shared_data
def test_eolearn_source_tiles_the_scenes(shared_data: Path) -> None:
    root = shared_data / "sentinel2" / "eolearn-slovenia"
    report = ImageryReport()
    tiles = list(read_source(f"eolearn:{root}?patch_size=50", report=report))
    assert len(tiles) == 5 * 3 * 2 and all(t.pixels.shape == (13, 50, 50) for t in tiles)  # rows 0, 50, 51
    assert report.read == {"eolearn_slovenia": 30}  # the tiles yielded, not the scenes cut
