"""`datasets` against the local server: push_to_hub, then load_dataset (and streaming) gives the same rows."""

from __future__ import annotations

import uuid

import pytest

datasets = pytest.importorskip("datasets")

ROWS = {
    "name": ["Montpellier", "Nîmes", "Chennai", "Kyiv", "Ōsaka"],
    "lat": [43.6119, 43.8367, 13.0827, 50.4501, 34.6937],
    "lon": [3.8772, 4.3601, 80.2707, 30.5234, 135.5023],
    "alternate_names": [["Montpelhièr"], ["Nemausus"], ["Madras"], ["Kiev", "Київ"], []],
    "population": [299096, 148561, 4646732, 2952301, 2691185],
}


def _repo(prefix: str) -> str:
    return f"georeset-test/{prefix}-{uuid.uuid4().hex[:8]}"


def test_dataset_push_then_load_and_stream(hub_env, tmp_path):
    dataset = datasets.Dataset.from_dict(ROWS)
    repo_id = _repo("places")
    dataset.push_to_hub(repo_id)

    loaded = datasets.load_dataset(repo_id, split="train", cache_dir=str(tmp_path / "cache"))
    assert loaded.features == dataset.features
    assert loaded.to_dict() == ROWS

    streamed = datasets.load_dataset(repo_id, split="train", streaming=True)
    assert list(streamed) == dataset.to_list()


def test_dataset_dict_push_and_second_config(hub_env, tmp_path):
    splits = datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_dict({k: v[:3] for k, v in ROWS.items()}),
            "test": datasets.Dataset.from_dict({k: v[3:] for k, v in ROWS.items()}),
        }
    )
    repo_id = _repo("splits")
    splits.push_to_hub(repo_id)
    other = datasets.Dataset.from_dict({"code": ["FR", "IN", "UA"]})
    other.push_to_hub(repo_id, config_name="countries")  # updates README's `configs:` through validate-yaml

    loaded = datasets.load_dataset(repo_id, cache_dir=str(tmp_path / "cache"))
    assert set(loaded) == {"train", "test"}
    assert loaded["train"].to_dict() == splits["train"].to_dict()
    assert loaded["test"].to_dict() == splits["test"].to_dict()
    countries = datasets.load_dataset(repo_id, "countries", split="train", cache_dir=str(tmp_path / "cache"))
    assert countries["code"] == ["FR", "IN", "UA"]

    # Pushing the same split again replaces its shards instead of adding to them.
    splits["train"].select(range(2)).push_to_hub(repo_id, split="train")
    again = datasets.load_dataset(repo_id, split="train", cache_dir=str(tmp_path / "cache2"))
    assert again["name"] == ["Montpellier", "Nîmes"]
