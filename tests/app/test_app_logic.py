"""The app's logic without a browser: map SVG, text results, uploads, footprints, errors, the CLI entry."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import shapely

from georeset.app_support import imagery, text_results
from georeset.app_support.basemap import Basemap, MapFeature, fit_view, render_map
from georeset.errors import BadInputError
from modeling.geoparsing.types import GeoparsedDoc, Toponym

from .conftest import write_geotiff


def _doc() -> GeoparsedDoc:
    text = "Floods in Paris and Paris again; Atlantis stays dry."
    candidates = [
        {"entity_id": "gn:2988507", "name": "Paris", "feature_type": "settlement", "country_code": "FR",
         "admin1_name": "Île-de-France", "admin2_name": "", "population": 2138551, "probability": 0.9, "score": 3.1},
        {"entity_id": "gn:4717560", "name": "Paris", "feature_type": "settlement", "country_code": "US",
         "admin1_name": "Texas", "admin2_name": "Lamar County", "population": 24782, "probability": 0.1, "score": 1.2},
    ]  # fmt: skip
    paris = dict(entity_id="gn:2988507", name="Paris", lat=48.85, lon=2.35, country_code="FR",
                 feature_type="settlement", admin_path="France > Île-de-France", confidence=0.9, stage="ranker",
                 candidates=candidates)  # fmt: skip
    return GeoparsedDoc(
        text,
        [
            Toponym(10, 15, "Paris", **paris),
            Toponym(20, 25, "Paris", **{**paris, "confidence": 0.3}),
            Toponym(33, 41, "Atlantis"),
        ],
    )


# ---------------------------------------------------------------------------------------------------- the map
def test_map_draws_one_group_per_feature_zoomed_to_them(small_gazetteer: Path) -> None:
    basemap = Basemap.from_sources(small_gazetteer)
    assert {name: len(layer) for name, layer in basemap.layers.items()} == {"country": 2, "admin1": 2}
    features = [
        MapFeature(shapely.Point(2.35, 48.85), "Paris", entity_id="gn:2988507"),
        MapFeature(shapely.Point(4.36, 43.84), "Nîmes <&>", low_confidence=True),
    ]
    svg = render_map(basemap, features)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert len(re.findall(r'<g class="georeset-feature', svg)) == 2
    assert 'class="georeset-feature low"' in svg and "Nîmes &lt;&amp;&gt;" in svg  # escaped labels
    assert 'data-entity-id="gn:2988507"' in svg
    assert 'class="bm-country"' in svg  # France's polygon lies in the view
    west, south, east, north = map(float, re.search(r'data-view="([^"]+)"', svg).group(1).split(","))
    assert west < 2.35 < 4.36 < east and south < 43.84 < 48.85 < north
    assert east - west < 25  # zoomed to France, not the world
    # Texas lies outside this view: its polygon is not drawn.
    assert svg.count('class="bm-admin1"') == 1


def test_view_keeps_the_aspect_and_the_world_when_empty() -> None:
    world = fit_view([])
    assert (world.west, world.east) == (-180.0, 180.0)
    view = fit_view([shapely.Point(10, 60)], width=900, height=450)
    lon_pixels = (view.east - view.west) * view.x_scale
    assert lon_pixels / (view.north - view.south) == pytest.approx(2.0, rel=1e-6)
    empty = render_map(None, [], empty_message="nothing")
    assert "nothing" in empty and '<g class="georeset-feature' not in empty


def test_natural_earth_layers_are_read_when_present(tmp_path: Path, small_gazetteer: Path) -> None:
    lake = {"type": "Feature", "properties": {"name": "Lac"},
            "geometry": {"type": "Polygon", "coordinates": [[[2, 48], [2.5, 48], [2.5, 48.5], [2, 48]]]}}  # fmt: skip
    (tmp_path / "ne_10m_lakes.json").write_text(json.dumps({"type": "FeatureCollection", "features": [lake]}))
    basemap = Basemap.from_sources(small_gazetteer, tmp_path)
    assert len(basemap.layers["lakes"]) == 1
    assert 'class="bm-water"' in render_map(basemap, [MapFeature(shapely.Point(2.3, 48.3), "x")])


# ---------------------------------------------------------------------------------------------- text results
def test_highlights_table_candidates_and_downloads(tmp_path: Path) -> None:
    doc = _doc()
    segments, owners = text_results.highlight_segments(doc)
    assert "".join(text for text, _ in segments) == doc.text
    assert [(text, label) for text, label in segments if label] == [
        ("Paris", "settlement"),
        ("Paris", "settlement"),
        ("Atlantis", text_results.NO_MATCH_LABEL),
    ]
    assert [owners[i] for i, (_, label) in enumerate(segments) if label] == [0, 1, 2]
    rows = text_results.table_rows(doc)
    assert [row[1] for row in rows] == ["Paris", "Paris", "Atlantis"] and rows[2][7] == "no_match"
    candidates = text_results.candidate_rows(doc.toponyms[0])
    assert [row[0] for row in candidates] == ["✔", ""] and candidates[1][3] == "US"
    assert "Paris" in text_results.candidate_title(doc.toponyms[0])
    assert "no candidate fits" in text_results.candidate_title(doc.toponyms[2])
    # Two mentions of one place are one feature; the no-match is not on the map.
    features = text_results.map_features(doc)
    assert len(features) == 1 and "2x" in features[0].tooltip and not features[0].low_confidence
    geojson_path, csv_path = text_results.write_downloads(doc, tmp_path)
    geojson = json.loads(geojson_path.read_text())
    assert [f["id"] for f in geojson["features"]] == ["gn:2988507", "gn:2988507"]
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert [r["text"] for r in rows] == ["Paris", "Paris", "Atlantis"] and rows[2]["entity_id"] == ""


def test_clicks_outside_a_place_and_stale_indices_find_nothing() -> None:
    doc = _doc()
    assert text_results.toponym_at(doc, 5) is None and text_results.toponym_at(None, 0) is None
    assert text_results.select_row_index([1, 4]) == 1 and text_results.select_row_index(3) == 3


def test_long_empty_and_binary_texts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="paste a text"):
        text_results.check_text("   ")
    with pytest.raises(BadInputError, match=r"101 characters is more than this page accepts \(100"):
        text_results.check_text("x" * 101, max_chars=100)
    assert text_results.check_text("Paris", max_chars=5) == "Paris"
    binary = tmp_path / "a.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(BadInputError, match="a.txt: not UTF-8"):
        text_results.read_text_file(binary)
    big = tmp_path / "big.txt"
    big.write_text("x" * 500)
    with pytest.raises(BadInputError, match="big.txt"):
        text_results.read_text_file(big, max_chars=100)


# -------------------------------------------------------------------------------------------------- uploads
def test_thirteen_band_geotiff_footprint_and_preview(sentinel_tif: Path) -> None:
    image = imagery.read_upload([sentinel_tif])
    assert image.sensor == "s2_l1c" and list(image.bands)[-1] == "B8A" and image.shape == (64, 64)
    assert "EuroSAT" in image.notes[0]
    footprint = image.footprint()
    assert footprint.contains(shapely.Point(2.3486, 48.8562))
    assert footprint.area == pytest.approx(0.64 / 73.3 * 0.64 / 111.2, rel=0.05)  # 640 m x 640 m in degrees
    preview = imagery.true_colour(image)
    assert preview.shape == (256, 256, 3) and preview.dtype == np.uint8 and preview.std() > 10
    esa = imagery.read_upload([sentinel_tif], band_order=next(k for k in imagery.BAND_ORDERS if "ESA" in k))
    assert list(esa.bands)[8] == "B8A"
    assert np.array_equal(esa.bands["B8A"], image.bands["B09"])  # same file, other band names


def test_band_descriptions_band_files_rgb_and_bad_uploads(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    l2a = list(imagery.L2A_ORDER)
    named = write_geotiff(tmp_path / "named.tif", rng.integers(1, 3000, (12, 32, 32), dtype=np.uint16),
                          descriptions=l2a[::-1])  # fmt: skip
    image = imagery.read_upload([named])
    assert list(image.bands) == l2a[::-1] and image.sensor == "s2_l2a"
    files = [
        write_geotiff(
            tmp_path / f"S2_patch_{band}.tif",
            rng.integers(1, 3000, (1, size, size), dtype=np.uint16),
            resolution=1200 / size,
        )  # fmt: skip
        for band, size in (("B04", 120), ("B03", 120), ("B02", 120), ("B11", 60))
    ]
    image = imagery.read_upload(files)
    assert set(image.bands) == {"B04", "B03", "B02", "B11"} and image.shape == (120, 120)
    assert imagery.true_colour(image).shape == (256, 256, 3)
    rgb = write_geotiff(tmp_path / "rgb.tif", rng.integers(0, 255, (3, 64, 64), dtype=np.uint8), crs=None)
    image = imagery.read_upload([rgb])
    assert image.sensor == "rgb" and image.footprint() is None
    five = write_geotiff(tmp_path / "five.tif", rng.integers(0, 9, (5, 8, 8), dtype=np.uint16))
    with pytest.raises(BadInputError, match="five.tif: 5 band"):
        imagery.read_upload([five])
    with pytest.raises(BadInputError, match="S2_patch_B04.tif: one band of a patch"):
        imagery.read_upload([files[0]])
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff at all")
    with pytest.raises(BadInputError, match="junk.tif: not an image"):
        imagery.read_upload([junk])
    with pytest.raises(BadInputError, match="upload a GeoTIFF"):
        imagery.read_upload([])


# --------------------------------------------------------------------------------- the page's handlers (no browser)
@pytest.fixture(scope="module")
def page(small_gazetteer: Path):
    from georeset.app_support.models import AppModels, AppSettings
    from georeset.app_support.ui import GeoresetPage

    return GeoresetPage(AppModels(AppSettings(gazetteer=str(small_gazetteer), max_chars=2_000)))


def _no_progress(*args, **kwargs) -> None:
    return None


def test_text_request_end_to_end_on_the_small_gazetteer(page) -> None:
    text = "Flooding hit Paris, Texas, while Turkish aid arrived in Ankara and Nîmes."
    segments, map_svg, rows, downloads, status, doc, owners, _, candidates = page.analyse_text(
        text, "English", progress=_no_progress
    )
    found = {(t.text, t.entity_id) for t in doc.toponyms}
    assert {("Paris", "gn:4717560"), ("Texas", "gn:4736286"), ("Turkish", "gn:298795")} <= found
    assert ("Ankara", "gn:323786") in found and ("Nîmes", "gn:2990363") in found
    distinct = len({t.entity_id for t in doc.toponyms if t.entity_id})
    assert map_svg.count('<g class="georeset-feature') == distinct
    assert len(rows) == len(doc.toponyms) == sum(label is not None for _, label in segments)
    assert downloads is None and candidates == []  # the downloads come in a second step
    geojson_path, csv_path = page.downloads_for(doc)
    assert len(json.loads(Path(geojson_path).read_text())["features"]) == sum(
        t.entity_id is not None for t in doc.toponyms
    )
    assert Path(csv_path).read_text().count("\n") == len(doc.toponyms) + 1
    assert f"**{len(doc.toponyms)}** place mention(s)" in status
    paris = next(
        i for i, owner in enumerate(owners) if owner is not None and doc.toponyms[owner].text == "Paris"
    )

    class Click:  # what gradio passes to a .select handler
        index = paris

    title, rows = page.candidates_for_segment(doc, owners, Click())
    assert "“Paris”" in title and {row[3] for row in rows} == {"FR", "US"}


def test_errors_are_page_errors_and_the_page_keeps_working(page) -> None:
    import gradio as gr

    from georeset.app_support.ui import guarded

    with pytest.raises(gr.Error, match="more than this page accepts"):
        guarded(page.analyse_text)("Paris " * 500, "English", progress=_no_progress)

    def broken():
        raise KeyError("boom")

    with pytest.raises(gr.Error, match="KeyError"):
        guarded(broken)()
    with pytest.raises(gr.Error, match="read an image"):
        guarded(page.ask)(None, "Land cover", "", progress=_no_progress)
    assert page.analyse_text("Ankara.", "English", progress=_no_progress)[6]  # still answers


def test_image_request_links_the_footprint_to_places(page, sentinel_tif: Path) -> None:
    preview, map_svg, rows, info, image = page.analyse_image([str(sentinel_tif)], None, progress=_no_progress)
    assert preview.shape == (256, 256, 3) and image.sensor == "s2_l1c"
    assert map_svg.count('class="georeset-footprint"') == 1
    places = {row[0]: row for row in rows}
    assert places["France"][2] == "contains the image" and places["Île-de-France"][2] == "contains the image"
    assert places["Paris"][3] < 1.0  # km from the patch centre
    assert "lies in: France > Île-de-France" in info and "EPSG:32631" in info


def test_cli_registers_app_and_reads_space_settings(tmp_path: Path) -> None:
    from georeset.app_support.cli import settings_from_env
    from georeset.cli import build_parser

    args = build_parser(["app", "--port", "0", "--max-chars", "500", "--naturalearth", "none"]).parse_args(
        ["app", "--port", "0", "--max-chars", "500", "--naturalearth", "none"]
    )
    assert args.func.__name__ == "run_app" and args.max_chars == 500 and args.naturalearth == "none"
    settings = settings_from_env({"GEORESET_APP_GEOLLAVA": "org/model", "GEORESET_APP_MAX_CHARS": "900",
                                  "GEORESET_APP_NATURALEARTH": "none"})  # fmt: skip
    assert (settings.geollava, settings.max_chars, settings.naturalearth) == ("org/model", 900, None)
    assert "untrained" not in settings.geollava_description
    with pytest.raises(BadInputError, match="GEORESET_APP_MAX_CHARS='many'"):
        settings_from_env({"GEORESET_APP_MAX_CHARS": "many"})
    with pytest.raises(BadInputError, match="--naturalearth"):
        settings_from_env({"GEORESET_APP_NATURALEARTH": str(tmp_path / "missing")})


def _tiny_geollava_builder():
    """`build_tiny_geollava` of the GeoLLaVA tests (a random tiny llama + ResNet-18, built in a second)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "geollava" / "conftest.py"
    spec = importlib.util.spec_from_file_location("geollava_test_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_tiny_geollava


def test_a_saved_geollava_checkpoint_answers_about_l1c_and_rgb_uploads(
    tmp_path: Path, sentinel_tif: Path
) -> None:
    from georeset.app_support.models import AppModels, AppSettings

    model, processor = _tiny_geollava_builder()(sensor="s2_l2a")
    checkpoint = tmp_path / "checkpoint"
    model.save_pretrained(checkpoint)
    processor.save_pretrained(checkpoint)
    models = AppModels(AppSettings(geollava=str(checkpoint), max_new_tokens=3))
    assert f"`{checkpoint}`" in models.settings.geollava_description
    l1c = imagery.read_upload(
        [sentinel_tif]
    )  # 13 bands into a 12-band L2A encoder: B10 dropped, moments matched
    assert models.ask(l1c, "what is in this image")
    rng = np.random.default_rng(2)
    rgb = imagery.read_upload(
        [write_geotiff(tmp_path / "rgb.tif", rng.integers(0, 255, (3, 64, 64), dtype=np.uint8))]
    )
    assert rgb.sensor == "rgb" and models.ask(rgb, "describe the land cover")  # missing bands filled
    with pytest.raises(BadInputError, match="question"):
        models.ask(rgb, "  ")


def test_old_download_folders_are_removed_when_new_ones_are_made(tmp_path: Path) -> None:
    import os
    import time

    from georeset.app_support.ui import fresh_download_folder

    old, recent = tmp_path / "places-old", tmp_path / "places-recent"
    for folder in (old, recent):
        folder.mkdir()
        (folder / "places.geojson").write_text("{}")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    new = fresh_download_folder(tmp_path, max_age_s=3600)
    assert new.parent == tmp_path and new.is_dir() and new.name.startswith("places-")
    assert not old.exists() and recent.is_dir()
