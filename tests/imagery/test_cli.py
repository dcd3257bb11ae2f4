"""`georeset imagery build | link` through the real entry point (georeset.cli.main)."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from data_builders.imagery.dataset_io import _pop_tasks_option, expand_source
from georeset.cli import main
from georeset.errors import BadInputError

# 12 Sentinel-2 L2A bands, as BigEarthNet and L2A products name them.
S2_BANDS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"]


def _ljubljana_tile(folder, size=48):
    """A 12-band GeoTIFF of `size` 10 m pixels centred on Ljubljana (EPSG:32633), and a GeoJSON land-cover
    polygon over its western half."""
    from pyproj import Transformer

    from data_builders.imagery.synthetic import write_geotiff

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True).transform(14.50, 46.05)
    origin = (x - size * 5, y + size * 5)
    pixels = np.random.default_rng(0).integers(100, 4000, (12, size, size)).astype(np.uint16)
    tif = write_geotiff(
        folder / "tiles" / "ljubljana.tif", pixels, crs="EPSG:32633", origin=origin, descriptions=S2_BANDS
    )
    to_lonlat = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True)
    corners = [
        (origin[0], origin[1]),
        (origin[0] + size * 5, origin[1]),
        (origin[0] + size * 5, origin[1] - size * 10),
        (origin[0], origin[1] - size * 10),
        (origin[0], origin[1]),
    ]
    ring = [list(to_lonlat.transform(cx, cy)) for cx, cy in corners]
    geojson = folder / "landcover.geojson"
    geojson.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"class": "Forest"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    return tif, geojson


def test_expand_source():
    assert expand_source("bigearthnet", 64) == [
        "bigearthnet_examples?sensor=s2",
        "bigearthnet_examples?sensor=s1",
    ]
    assert expand_source("bigearthnet:/d/BEN", 64) == ["bigearthnet_s2:/d/BEN", "bigearthnet_s1:/d/BEN"]
    assert expand_source("geotiff:/t", 32) == ["geotiff:/t?patch_size=32"]
    assert expand_source("geotiff:/t?stride=8", 32) == ["geotiff:/t?stride=8&patch_size=32"]
    assert expand_source("eolearn:/e?patch_size=50", 32) == ["eolearn:/e?patch_size=50"]
    assert _pop_tasks_option("eolearn:/e?patch_size=16&tasks=classification,land_cover&stride=8") == (
        "eolearn:/e?patch_size=16&stride=8",
        ["classification", "land_cover"],
    )
    assert _pop_tasks_option("bigearthnet_examples") == ("bigearthnet_examples", [])
    with pytest.raises(BadInputError, match="unknown tasks"):
        _pop_tasks_option("eolearn:/e?tasks=colouring")


def test_link_prints_places(small_gazetteer_dir, tmp_path, capsys):
    code = main(
        ["imagery", "link", "--lon", "14.5", "--lat", "46.05", "--gazetteer", str(small_gazetteer_dir)]
    )
    text = capsys.readouterr().out
    assert code == 0 and "country: Slovenia" in text and "nearest town: Ljubljana" in text
    code = main(
        [
            "imagery",
            "link",
            "--lon",
            "14.5",
            "--lat",
            "46.05",
            "--gazetteer",
            str(small_gazetteer_dir),
            "--json",
        ]
        + ["--languages", "en", "fr"]
    )
    data = json.loads(capsys.readouterr().out)
    assert data["country"]["names"]["fr"] == "Slovénie" and data["nearest"][0]["name"] == "Ljubljana"
    tif, _ = _ljubljana_tile(tmp_path)
    assert main(["imagery", "link", "--patch", str(tif), "--gazetteer", str(small_gazetteer_dir)]) == 0
    assert "country: Slovenia" in capsys.readouterr().out


def test_link_bad_input_is_one_clear_error(small_gazetteer_dir, capsys):
    assert main(["imagery", "link", "--lon", "14.5", "--gazetteer", str(small_gazetteer_dir)]) == 1
    assert "--lon and --lat" in capsys.readouterr().err
    assert (
        main(["imagery", "link", "--lon", "500", "--lat", "46", "--gazetteer", str(small_gazetteer_dir)]) == 1
    )
    assert "not a longitude" in capsys.readouterr().err


def test_build_refuses_eurosat(tmp_path, capsys):
    code = main(["imagery", "build", "--source", "eurosat_ms:/data/EuroSAT_MS", "--out", str(tmp_path / "x")])
    assert code == 1 and "evaluation benchmark" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_build_geotiff_with_geotext_and_push(tmp_path, small_gazetteer_dir, geotext_records, hub_env, capsys):
    from datasets import load_dataset

    from data_builders.gazetteer.report import BuildReport
    from data_builders.geotext.dataset_io import write_geotext

    tif, geojson = _ljubljana_tile(tmp_path)
    write_geotext(geotext_records, tmp_path / "geotext", report=BuildReport(), progress=False)
    source = f"geotiff:{tif.parent}?label_vector={geojson}&class_attribute=class"
    args = ["imagery", "build", "--source", source, "--patch-size", "16", "--out", str(tmp_path / "ds")]
    args += ["--gazetteer", str(small_gazetteer_dir), "--geotext", str(tmp_path / "geotext"), "--quiet"]
    args += ["--push-to-hub", "georeset-test/imagery-cli"]
    assert main(args) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "read 9 patches" in out and "pushed to georeset-test/imagery-cli" in out
    rows = load_dataset("georeset-test/imagery-cli", split="train").with_format("numpy")
    assert set(rows["task"]) == {"caption", "land_cover", "location", "geotext", "classification"}
    assert rows[0]["pixels"].shape == (12, 16, 16)
    labelled = [labels for labels in rows["labels"] if len(labels)]
    assert labelled and all(list(labels)[0] == "Forest" for labels in labelled)
    geotext = [json.loads(p) for p, t in zip(rows["provenance"], rows["task"], strict=True) if t == "geotext"]
    assert geotext[0]["passages"][0]["doc_id"].startswith("test:")


@pytest.mark.slow
def test_default_build_on_the_embedded_data(tmp_path, capsys):
    """The default dataset (BigEarthNet examples, eo-learn Slovenia when ../shared is there) on the embedded
    gazetteer and the Factbook: what GeoLLaVA's demo training reads."""
    from data_builders.gazetteer.build import ensure_gazetteer
    from data_builders.imagery.dataset_io import load_instruction_dataset

    ensure_gazetteer(progress=False)
    assert main(["imagery", "build", "--out", str(tmp_path / "default"), "--quiet"]) == 0
    report = json.loads((tmp_path / "default" / "build_report.json").read_text())
    patches = report["instructions"]["patches"]
    assert patches["bigearthnet_s2"] == 6 and patches["bigearthnet_s1"] == 6
    for task in ("caption", "land_cover", "location", "geotext"):
        for lang in ("en", "fr"):
            assert report["instructions"]["examples"][f"{task}/{lang}"] >= 12
    rows = load_instruction_dataset(tmp_path / "default").with_format("numpy")
    s1 = next(row for row in rows if row["sensor"] == "s1")
    assert list(s1["band_names"]) == ["VV", "VH"] and s1["pixels"].shape == (2, 64, 64)
    assert s1["pixels"].max() < 10  # dB, not linear power or DN
    s2 = next(row for row in rows if row["sensor"] == "s2_l2a")
    assert 0 < float(np.median(s2["pixels"])) < 1.5  # reflectance
    assert {row["pixels"].shape[-1] for row in rows} == {64}  # 16-px classification windows resampled too
    from georeset.settings import shared_data_dir

    if shared_data_dir() is not None:  # eo-learn's classification windows, for the demo's zero-shot answers
        assert report["instructions"]["examples"]["classification/en"] > 100


def test_classification_windows_on_request(tmp_path, shared_data):
    from data_builders.gazetteer.build import ensure_gazetteer
    from data_builders.imagery.dataset_io import load_instruction_dataset

    ensure_gazetteer(progress=False)
    scenes = shared_data / "sentinel2" / "eolearn-slovenia"
    spec = f"eolearn:{scenes}?patch_size=16&stride=16&tasks=classification"
    assert main(["imagery", "build", "--source", spec, "--out", str(tmp_path / "w"), "--quiet"]) == 0
    rows = load_instruction_dataset(tmp_path / "w")
    assert len(rows) and set(rows["task"]) == {"classification"}
    assert all(
        row_id.startswith("eolearn_slovenia:") and "/classification" in row_id for row_id in rows["id"]
    )
    answers = Counter(
        m[-1]["content"] for m, lang in zip(rows["messages"], rows["language"], strict=True) if lang == "en"
    )
    assert {"forest", "grassland"} <= set(answers)
