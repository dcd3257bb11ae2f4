"""Load a dataset folder written by a georeset builder (parquet shards under `data/` and a card) by its files.

`load_dataset(folder)` works on these folders, but datasets 5.2 keys the cache of a local folder by the folder's
and files' *names*: a folder rebuilt in place, or another folder of the same name elsewhere (two runs' `out/`),
loads the rows cached the first time. The parquet builder with explicit `data_files` keys its cache by the files'
paths and modification times instead, so every georeset loader goes through `load_dataset_folder`.
"""

from __future__ import annotations

import re
from pathlib import Path

from georeset.errors import BadInputError

# `train-00000-of-00003.parquet`, `validation.parquet`: the names `Dataset.push_to_hub` and our builders write.
_SHARD_NAME = re.compile(r"^(?P<split>[A-Za-z][A-Za-z0-9_.]*?)(?:-\d{5}-of-\d{5})?\.parquet$")


def _card_splits(folder: Path) -> dict[str, list[str]]:
    """Split -> files from the card's `configs:` (the default config), as `load_dataset(folder)` reads them."""
    card = folder / "README.md"
    if not card.is_file():
        return {}
    from huggingface_hub import DatasetCard

    try:
        configs = DatasetCard.load(card).data.to_dict().get("configs") or []
    except Exception as err:  # a card whose YAML cannot be parsed: say which file
        raise BadInputError(f"{card}: cannot read its YAML front matter ({err})") from err
    config = next((c for c in configs if c.get("config_name", "default") == "default"), None)
    if config is None:
        return {}
    data_files = config.get("data_files") or []
    if isinstance(data_files, str | dict):
        data_files = [data_files]
    splits: dict[str, list[str]] = {}
    for entry in data_files:
        split, patterns = (
            ("train", entry) if isinstance(entry, str) else (entry.get("split", "train"), entry["path"])
        )
        for pattern in [patterns] if isinstance(patterns, str) else patterns:
            splits.setdefault(split, []).extend(str(p) for p in sorted(folder.glob(pattern)) if p.is_file())
    return {split: files for split, files in splits.items() if files}


def split_files(folder: str | Path) -> dict[str, list[str]]:
    """Split name -> parquet files of a dataset folder.

    The card's `configs:` decide when it has them; otherwise shard names (`data/{split}-NNNNN-of-NNNNN.parquet`).

    Raises:
        BadInputError: the folder holds no parquet shards under `data/`.
    """
    folder = Path(folder).expanduser()
    splits = _card_splits(folder)
    if not splits:
        for path in sorted((folder / "data").glob("*.parquet")):
            match = _SHARD_NAME.match(path.name)
            splits.setdefault(match["split"] if match else "train", []).append(str(path))
    if not splits:
        raise BadInputError(f"{folder}: not a dataset folder (no parquet shards under data/)")
    return splits


def load_dataset_folder(folder: str | Path, *, split: str | None = "train", streaming: bool = False):
    """One split (or, with `split=None`, all splits as a DatasetDict) of a dataset folder, read from its files.

    Raises:
        BadInputError: not a dataset folder, or no such split in it.
    """
    from datasets import load_dataset

    files = split_files(folder)
    if split is not None and split not in files:
        raise BadInputError(f"{folder}: no split {split!r} (it has {', '.join(sorted(files))})")
    return load_dataset("parquet", data_files=files, split=split, streaming=streaming)


__all__ = ["load_dataset_folder", "split_files"]
