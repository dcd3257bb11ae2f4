"""Dataset folders load by their files, so a rebuilt folder or a same-named folder never returns stale rows."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_builders.dataset_folder import load_dataset_folder, split_files
from georeset.errors import BadInputError

CARD = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*.parquet
  - split: validation
    path: data/validation-*.parquet
---
# test
"""


def write_folder(folder, rows, card=CARD, splits=("train", "validation")):
    (folder / "data").mkdir(parents=True, exist_ok=True)
    for split in splits:
        pq.write_table(
            pa.table({"x": rows, "split": [split] * len(rows)}),
            folder / "data" / f"{split}-00000-of-00001.parquet",
        )
    if card is not None:
        (folder / "README.md").write_text(card)
    return folder


def test_rebuilt_and_same_named_folders_load_their_own_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    first = write_folder(tmp_path / "a" / "out", [1, 2, 3])
    assert load_dataset_folder(first)["x"] == [1, 2, 3]
    second = write_folder(tmp_path / "b" / "out", [7, 8])
    assert load_dataset_folder(second)["x"] == [7, 8]
    write_folder(first, [4, 5, 6, 7])  # rebuilt in place
    assert load_dataset_folder(first)["x"] == [4, 5, 6, 7]
    assert load_dataset_folder(first, split="validation")["split"] == ["validation"] * 4


def test_splits_from_card_or_shard_names(tmp_path):
    carded = write_folder(tmp_path / "carded", [1])
    assert sorted(split_files(carded)) == ["train", "validation"]
    bare = write_folder(tmp_path / "bare", [1], card=None, splits=("train", "test"))
    assert sorted(split_files(bare)) == ["test", "train"]
    everything = load_dataset_folder(bare, split=None)
    assert sorted(everything) == ["test", "train"]
    with pytest.raises(BadInputError, match="no split 'validation'"):
        load_dataset_folder(bare, split="validation")
    with pytest.raises(BadInputError, match="no parquet shards"):
        split_files(tmp_path / "empty")
