"""Dataset cards from the one generator: gazetteer, geotext and Sentinel-text instructions. YAML that
huggingface_hub and `load_dataset` read, counts and licences from the stats, the schema from `datasets.Features`."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from huggingface_hub import DatasetCard

from georeset.errors import BadInputError
from model_cards.dataset_card import render_dataset_card

INSTRUCTION_STATS = {
    "rows": 12,
    "patches": 3,
    "patch_size": 4,
    "sources": {"bigearthnet": 2, "eolearn": 1},
    "by_task": {"caption": 6, "land_cover": 4, "location": 2},
    "by_language": {"en": 6, "fr": 6},
    "languages": ["en", "fr"],
    "report_summary": "patches read: 4, rejected: 1 (all-nodata)",
}


def front_matter(text: str) -> dict:
    return yaml.safe_load(text.split("---\n")[1])


def test_instruction_card_metadata_counts_schema_and_licences():
    text = render_dataset_card("instructions", INSTRUCTION_STATS, "georeset-test/sentinel-text")
    card = DatasetCard(text)
    assert card.data.configs == [
        {"config_name": "default", "data_files": [{"split": "train", "path": "data/*.parquet"}]}
    ]
    assert card.data.license == "other" and card.data.license_name == "mixed-source-licenses"
    assert card.data.size_categories == ["n<1K"] and card.data.language == ["en", "fr"]
    assert "image-text-to-text" in card.data.task_categories
    assert (
        "| caption | 6 |" in text and "| bigearthnet | 2 |" in text and "**12 examples**, 3 patches" in text
    )
    assert (
        "| `pixels` | `array3d<float32>(N, 4, 4)` |" in text and "| `band_names` | `list<string>` |" in text
    )
    assert "CDLA-Permissive-1.0" in text and "modified Copernicus Sentinel" in text
    assert 'load_dataset("georeset-test/sentinel-text", split="train", streaming=True)' in text
    assert "sumbul2019bigearthnet" in text and "eolearn" in text
    assert "all-nodata" in text  # the build report summary
    changed = render_dataset_card("instructions", {**INSTRUCTION_STATS, "by_task": {"caption": 7}}, None)
    assert "| caption | 7 |" in changed and "ORG/NAME" in changed


def test_single_licence_goes_into_the_yaml():
    text = render_dataset_card("instructions", {**INSTRUCTION_STATS, "sources": {"bigearthnet": 3}}, None)
    assert front_matter(text)["license"] == "cdla-permissive-1.0"


def test_gazetteer_and_geotext_kinds():
    from data_builders.gazetteer.card import render_card as gazetteer_card
    from data_builders.geotext.card import render_card as geotext_card

    gazetteer = gazetteer_card(
        pretty_name="Small gazetteer",
        rows=12,
        by_source={"geonames": 10, "naturalearth": 3},
        by_feature_type={"settlement": 9, "country": 3},
        polygons=2,
        languages=["en", "fr", "abbr"],
        source_specs=["embedded"],
        repo_id="georeset-test/gaz",
    )
    assert front_matter(gazetteer)["pretty_name"] == "Small gazetteer"
    assert "| settlement | 9 |" in gazetteer and "**12 entities**, 2 with polygon footprints" in gazetteer
    assert "| `bbox` | `struct<xmin: float64, ymin: float64, xmax: float64, ymax: float64>` |" in gazetteer
    assert 'load_gazetteer("georeset-test/gaz")' in gazetteer and "How sources were merged" in gazetteer
    assert "language" not in front_matter(gazetteer)  # name languages include pseudo-languages (abbr)
    geotext = geotext_card(
        pretty_name="Geotext",
        documents=5,
        toponyms_by_label={"distant": 4},
        sources={"wikipedia": 5},
        description="Wikipedia articles.",
        report_summary="ok",
    )
    meta = front_matter(geotext)
    assert meta["license"] == "cc-by-sa-4.0" and meta["task_categories"] == ["token-classification"]
    assert "| `distant` | 4 |" in geotext and "| `toponyms` | `list<struct<start: int32" in geotext


def test_card_folder_loads_with_load_dataset_and_streaming(tmp_path):
    """The card's `configs:` is what `load_dataset` follows: a folder with it and one shard loads, streams too."""
    from datasets import Dataset, load_dataset

    from data_builders.imagery.schema import instruction_features

    rows = {
        "id": ["p1/caption/en/0"],
        "patch_id": ["p1"],
        "pixels": [np.arange(32, dtype=np.float32).reshape(2, 4, 4) / 100],
        "band_names": [["B04", "B08"]],
        "sensor": ["s2_l2a"],
        "gsd_m": [10.0],
        "footprint_wkt": [""],
        "labels": [["Forest"]],
        "task": ["caption"],
        "language": ["en"],
        "messages": [
            [{"role": "user", "content": "Describe."}, {"role": "assistant", "content": "A forest."}]
        ],
        "provenance": ["{}"],
    }
    (tmp_path / "data").mkdir()
    Dataset.from_dict(rows, features=instruction_features(4)).to_parquet(
        tmp_path / "data" / "train-0.parquet"
    )
    (tmp_path / "README.md").write_text(render_dataset_card("instructions", {**INSTRUCTION_STATS, "rows": 1}))
    loaded = load_dataset(str(tmp_path), split="train").with_format("numpy")
    assert loaded[0]["pixels"].shape == (2, 4, 4) and list(loaded[0]["band_names"]) == ["B04", "B08"]
    streamed = next(iter(load_dataset(str(tmp_path), split="train", streaming=True)))
    assert streamed["messages"][1]["content"] == "A forest."


@pytest.mark.parametrize(
    ("kind", "stats", "message"),
    [
        ("weather", {"rows": 1}, "expected one of gazetteer, geotext, instructions"),
        ("geotext", {"sources": {"text": 1}}, "need the number of rows"),
        ("geotext", {"rows": -3}, "need the number of rows"),
        ("geotext", {"rows": 1, "sources": {"text": "many"}}, "expected a mapping of name -> count"),
        ("instructions", {"rows": 1}, "needs 'patch_size'"),
        ("geotext", {"rows": 1, "features": "id: string"}, "expected datasets.Features"),
        ("geotext", ["rows", 1], "expected a mapping"),
    ],
)
def test_bad_stats_are_refused_clearly(kind, stats, message):
    with pytest.raises(BadInputError, match=message):
        render_dataset_card(kind, stats)


def test_source_names_with_suffixes_find_their_licence():
    text = render_dataset_card("instructions", {**INSTRUCTION_STATS, "sources": {"bigearthnet-s1": 2}})
    assert (
        front_matter(text)["license"] == "cdla-permissive-1.0" and "- **bigearthnet-s1**: BigEarthNet" in text
    )


def test_unknown_source_is_named_not_dropped():
    text = render_dataset_card("geotext", {"rows": 2, "sources": {"my-archive": 2}})
    assert "- **my-archive**: my-archive: see the source's terms" in text
    extra = {"my-archive": ("cc-by-4.0", "My archive, CC BY 4.0")}
    text = render_dataset_card("geotext", {"rows": 2, "sources": {"my-archive": 2}, "source_licenses": extra})
    assert front_matter(text)["license"] == "cc-by-4.0" and "My archive, CC BY 4.0" in text


def test_builder_sections_and_shard_glob():
    stats = {
        **INSTRUCTION_STATS,
        "data_files": "data/train-*.parquet",
        "sections": {"Pixels": "Centred square crops, resampled by area averaging."},
    }
    text = render_dataset_card("instructions", stats)
    assert front_matter(text)["configs"][0]["data_files"][0]["path"] == "data/train-*.parquet"
    assert "## Pixels\n\nCentred square crops, resampled by area averaging." in text
    with pytest.raises(BadInputError, match="relative glob"):
        render_dataset_card("instructions", {**INSTRUCTION_STATS, "data_files": "../elsewhere/*.parquet"})
    with pytest.raises(BadInputError, match="title -> Markdown"):
        render_dataset_card("instructions", {**INSTRUCTION_STATS, "sections": ["just a string"]})
