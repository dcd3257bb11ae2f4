"""Write geotext records as a dataset folder (parquet shards + card + build report), publish and load it.

The folder layout is what `Dataset.push_to_hub` writes (`data/train-*.parquet` and a README whose YAML names
them), so `load_dataset(folder)` and `load_dataset("ORG/NAME")` both work offline and on any Hub endpoint.
Folders are written beside the target and renamed into place: an interrupted build never leaves half a dataset.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.card import render_card
from data_builders.geotext.schema import check_record, features
from georeset.errors import BadInputError

SHARD_ROWS = 2_000
UPLOAD_PATTERNS = ["README.md", "build_report.json", "data/*.parquet"]


@contextlib.contextmanager
def staged_folder(out_dir: str | Path) -> Iterator[Path]:
    """A fresh folder (with `data/`) beside `out_dir` that replaces `out_dir` when the block succeeds, and is
    removed when it fails: readers never see half a dataset."""
    out_dir = Path(out_dir).expanduser()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".{out_dir.name}.building-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "data").mkdir(parents=True)
    try:
        yield staging
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class GeotextBuildResult:
    """What `write_geotext` wrote: the folder, counts and the build report."""

    def __init__(self, path: Path, documents: int, toponyms: Counter, report: BuildReport) -> None:
        self.path = path
        self.documents = documents
        self.toponyms = toponyms
        self.report = report

    def summary(self) -> str:
        """A few human lines for the console."""
        labels = ", ".join(f"{k} {v:,}" for k, v in sorted(self.toponyms.items())) or "none"
        return f"{self.path}: {self.documents:,} documents, toponyms: {labels}\n{self.report.summary()}"


def _write_shard(rows: list[dict[str, Any]], path: Path) -> None:
    from datasets import Dataset

    Dataset.from_list(rows, features=features()).to_parquet(str(path))


def write_geotext(
    records: Iterable[dict[str, Any]],
    out_dir: str | Path,
    *,
    report: BuildReport,
    pretty_name: str = "georeset geotext",
    description: str = "Text about places with toponym labels.",
    shard_rows: int = SHARD_ROWS,
    progress: bool = True,
) -> GeotextBuildResult:
    """Write records (the `schema` dicts) as a dataset folder.

    Args:
        records: geotext records; duplicates of an earlier id are rejected into the report.
        out_dir: the folder to create or replace.
        report: the build report the readers filled; written as `build_report.json`.
        pretty_name, description: for the card.
        shard_rows: documents per parquet shard.
        progress: show a progress bar.

    Raises:
        BadInputError: no record at all (the report says why each was rejected).
    """
    out_dir = Path(out_dir).expanduser()
    seen: set[str] = set()
    sources: Counter = Counter()
    labels: Counter = Counter()
    with staged_folder(out_dir) as staging:
        shard: list[dict[str, Any]] = []
        shards: list[Path] = []
        for record in tqdm(records, desc="documents", unit="doc", disable=not progress):
            check_record(record)
            if record["id"] in seen:
                report.reject(record["source"], "duplicate document id", record["id"])
                continue
            seen.add(record["id"])
            sources[record["source"]] += 1
            labels.update(t["label_source"] for t in record["toponyms"])
            shard.append(record)
            if len(shard) >= shard_rows:
                shards.append(staging / "data" / f"part-{len(shards):05d}.parquet")
                _write_shard(shard, shards[-1])
                shard = []
        if shard:
            shards.append(staging / "data" / f"part-{len(shards):05d}.parquet")
            _write_shard(shard, shards[-1])
        if not shards:
            raise BadInputError(
                f"no document to write to {out_dir}: every input was rejected or empty\n{report.summary()}"
            )
        # The shard names datasets itself writes, so a later push_to_hub of the loaded dataset lines up.
        for i, path in enumerate(shards):
            path.rename(path.with_name(f"train-{i:05d}-of-{len(shards):05d}.parquet"))
        report.write(staging / "build_report.json")
        (staging / "README.md").write_text(
            render_card(
                pretty_name=pretty_name,
                documents=len(seen),
                toponyms_by_label=labels,
                sources=sources,
                description=description,
                report_summary=report.summary(),
            ),
            encoding="utf-8",
        )
    return GeotextBuildResult(out_dir, len(seen), labels, report)


def load_geotext(path_or_repo: str | Path, *, split: str = "train", streaming: bool = False):
    """Load a geotext dataset from a folder written by `write_geotext` or a Hub id (`ORG/NAME`).

    Raises:
        BadInputError: neither a geotext folder nor a namespaced Hub id.
    """
    from datasets import load_dataset

    from data_builders.dataset_folder import load_dataset_folder
    from data_builders.gazetteer.publish import check_repo_id

    local = Path(path_or_repo).expanduser()
    if local.exists():
        if not any((local / "data").glob("*.parquet")):
            raise BadInputError(f"{local}: not a geotext dataset folder (no data/*.parquet)")
        dataset = load_dataset_folder(local, split=split, streaming=streaming)
    else:
        dataset = load_dataset(check_repo_id(str(path_or_repo)), split=split, streaming=streaming)
    missing = [c for c in ("id", "text", "toponyms") if c not in (dataset.column_names or [])]
    if missing:
        raise BadInputError(f"{path_or_repo}: not a geotext dataset, missing column(s) {', '.join(missing)}")
    return dataset


def push_geotext(
    folder: str | Path, repo_id: str, *, token: str | None = None, private: bool | None = None
) -> str:
    """Upload a geotext dataset folder as a Hub dataset repository; returns the commit URL.

    Raises:
        BadInputError: not a geotext folder, or a repo id that is not `ORG/NAME`.
        HubUnreachableError: the endpoint does not answer or offline mode is on.
        GeoresetError: the Hub refused the upload.
    """
    from data_builders.gazetteer.publish import push_folder

    folder = Path(folder).expanduser()
    if not (folder / "README.md").is_file() or not any((folder / "data").glob("*.parquet")):
        raise BadInputError(
            f"{folder}: not a geotext dataset folder (README.md and data/*.parquet are missing)"
        )
    return push_folder(
        folder,
        repo_id,
        allow_patterns=UPLOAD_PATTERNS,
        delete_patterns=["data/*.parquet"],
        commit_message="Upload georeset geotext dataset",
        token=token,
        private=private,
    )


def read_build_report(folder: str | Path) -> dict:
    """The build report of a dataset folder (empty when it has none)."""
    path = Path(folder) / "build_report.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


__all__ = [
    "SHARD_ROWS",
    "UPLOAD_PATTERNS",
    "GeotextBuildResult",
    "load_geotext",
    "push_geotext",
    "read_build_report",
    "staged_folder",
    "write_geotext",
]
