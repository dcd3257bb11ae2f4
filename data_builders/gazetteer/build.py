"""Build a gazetteer folder: read sources -> conflate -> GeoParquet shards + dataset card -> index -> build report.

```
DIR/README.md                               dataset card, YAML `configs:` -> data/*.parquet
DIR/data/entities-00000-of-0000N.parquet    rows of ENTITY_SCHEMA with GeoParquet 1.1 metadata
DIR/index/                                  the candidate index (GazetteerIndex)
DIR/build_report.json                       BuildReport.to_dict() plus counts and timings
```

The whole build happens in a temporary sibling folder (`.DIR.building-<pid>`) that replaces DIR only once
everything is written: an interrupted or failed build leaves the previous gazetteer intact and usable. The swap
is two renames (the old folder aside, the new one in place); a reader that opens DIR in the instant between them
sees no gazetteer rather than a half-written one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from tqdm import tqdm

from data_builders.gazetteer.card import render_card
from data_builders.gazetteer.conflate import Conflator
from data_builders.gazetteer.geoparquet import DEFAULT_SHARD_ROWS, ShardWriter
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import PlaceRecord
from data_builders.gazetteer.source_specs import parse_sources
from georeset.errors import BadInputError
from georeset.settings import gazetteer_dir

BUILD_REPORT = "build_report.json"
STAGING_PREFIX = ".building-"
DEFAULT_SOURCES = ("embedded",)


@dataclass
class BuildResult:
    """What a build wrote and counted."""

    path: Path
    entities: int
    records: int
    polygons: int
    languages: list[str]
    by_source: dict[str, int]
    by_feature_type: dict[str, int]
    shards: list[str]
    report: BuildReport
    timings: dict[str, float] = field(default_factory=dict)
    conflation: dict = field(default_factory=dict)

    def summary(self) -> str:
        """Human lines for the console: the build report, then the counts."""
        seconds = sum(self.timings.values())
        return "\n".join(
            [
                self.report.summary(),
                f"wrote {self.entities:,} entities ({self.polygons:,} polygons, names in {len(self.languages)} "
                f"languages) from {self.records:,} records in {len(self.shards)} shard(s) to {self.path} "
                f"in {seconds:.1f} s",
                "by source: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.by_source.items())),
                "by type: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.by_feature_type.items())),
            ]
        )


def _looks_like_gazetteer(path: Path) -> bool:
    return (path / BUILD_REPORT).is_file() or ((path / "README.md").is_file() and (path / "data").is_dir())


def _remove_stale_staging(target: Path) -> None:
    """Staging folders of builds whose process is gone (killed, power loss) are removed."""
    for stale in target.parent.glob(f".{target.name}{STAGING_PREFIX}*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def build_lock(target: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on building `target` (a `.NAME.lock` file beside it): concurrent builds queue up."""
    target = Path(target).expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_built(folder: str | Path, sources: Sequence[str] | None = None) -> bool:
    """Whether `folder` holds a complete gazetteer (report and index), built from `sources` when given."""
    folder = Path(folder).expanduser()
    report, index = folder / BUILD_REPORT, folder / "index"
    if not report.is_file() or not index.is_dir():
        return False
    from data_builders.gazetteer.index import is_index_current

    if not is_index_current(index):  # built by an older georeset: rebuild rather than fail on open
        return False
    if sources is None:
        return True
    try:
        built_from = json.loads(report.read_text(encoding="utf-8")).get("sources")
    except (OSError, json.JSONDecodeError):
        return False
    return built_from == [spec.text for spec in parse_sources(sources)]


def ensure_gazetteer(
    out_dir: str | Path | None = None, sources: Sequence[str] = DEFAULT_SOURCES, *, progress: bool = True
) -> Path:
    """The gazetteer folder, built from `sources` unless a build from the same sources is already there.

    Safe to call from several processes at once: one builds, the others wait for it and reuse its result.
    """
    folder = Path(out_dir).expanduser() if out_dir is not None else gazetteer_dir()
    if is_built(folder, sources):
        return folder
    with build_lock(folder):
        if not is_built(folder, sources):
            build_gazetteer(folder, sources, progress=progress, lock=False)
    return folder


@contextlib.contextmanager
def staged_directory(target: str | Path) -> Iterator[Path]:
    """A temporary folder next to `target` that replaces it when the block ends without an exception.

    Raises:
        BadInputError: `target` exists, is not empty and is not a gazetteer (it is never overwritten then).
    """
    target = Path(target).expanduser().resolve()
    if target.exists() and (
        not target.is_dir() or (any(target.iterdir()) and not _looks_like_gazetteer(target))
    ):
        raise BadInputError(f"{target}: exists and is not a gazetteer folder; refusing to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(target)
    staging = target.parent / f".{target.name}{STAGING_PREFIX}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    retired = target.parent / f".{target.name}.previous-{os.getpid()}"
    if target.exists():
        os.replace(target, retired)
    try:
        os.replace(staging, target)
    except OSError:
        if retired.exists():
            os.replace(retired, target)  # put the previous gazetteer back
        raise
    shutil.rmtree(retired, ignore_errors=True)


def write_gazetteer(
    records: Iterable[PlaceRecord | pa.RecordBatch],
    out_dir: str | Path,
    report: BuildReport,
    *,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    source_specs: Sequence[str] = ("records",),
    build_index: bool = True,
    progress: bool = True,
    pretty_name: str = "georeset gazetteer",
    lock: bool = True,
) -> BuildResult:
    """Conflate records and write a complete gazetteer folder atomically.

    Args:
        records: records of any readers, or record batches of `schema.RECORD_SCHEMA` (columnar readers).
        out_dir: the gazetteer folder (replaced only when the build succeeds).
        report: receives the readers' and conflation's counts; written to `build_report.json`.
        shard_rows: rows per Parquet shard.
        source_specs: how the records were obtained, for the card and the report.
        build_index: build the candidate index in `index/` (tests of the table alone can skip it).
        progress: show progress bars.
        pretty_name: the card's title.
        lock: hold the build lock of `out_dir` (concurrent builds of one folder queue up).
    """
    if shard_rows < 1:
        raise BadInputError(f"--shard-rows {shard_rows}: must be at least 1")
    timings: dict[str, float] = {}
    target = Path(out_dir).expanduser().resolve()
    with build_lock(target) if lock else contextlib.nullcontext(), staged_directory(target) as staging:
        start = time.perf_counter()
        conflator = Conflator(report, spill_dir=staging, progress=progress)
        with tqdm(desc="read sources", unit=" records", disable=not progress) as bar:
            conflator.add_all(_counted(records, bar))
        timings["read"] = time.perf_counter() - start
        start = time.perf_counter()
        writer = ShardWriter(staging / "data", report, shard_rows)
        try:
            for batch in conflator.entities():
                writer.write(batch)
        except BaseException:
            writer.abort()  # before the staging folder is removed
            raise
        shards = writer.close()
        timings["conflate_and_write"] = time.perf_counter() - start
        result = BuildResult(
            path=target,
            entities=writer.rows,
            records=conflator.stats.records,
            polygons=writer.polygons,
            languages=writer.natural_languages,
            by_source=dict(writer.by_source),
            by_feature_type=dict(writer.by_feature_type),
            shards=[f"data/{p.name}" for p in shards],
            report=report,
            timings=timings,
            conflation=conflator.stats.to_dict(),
        )
        (staging / "README.md").write_text(
            render_card(
                pretty_name=pretty_name,
                rows=result.entities,
                by_source=result.by_source,
                by_feature_type=result.by_feature_type,
                polygons=result.polygons,
                languages=result.languages,
                source_specs=source_specs,
            ),
            encoding="utf-8",
        )
        if build_index:
            from data_builders.gazetteer.index import GazetteerIndex

            start = time.perf_counter()
            GazetteerIndex.build(
                [staging / shard for shard in result.shards], staging / "index", progress=progress
            )
            timings["index"] = time.perf_counter() - start
        _write_report(staging / BUILD_REPORT, result, source_specs)
    return result


def _counted(
    records: Iterable[PlaceRecord | pa.RecordBatch], bar: tqdm
) -> Iterator[PlaceRecord | pa.RecordBatch]:
    """The records (or record batches) as they are, advancing the progress bar by records."""
    for item in records:
        yield item
        bar.update(item.num_rows if isinstance(item, pa.RecordBatch) else 1)


def _write_report(path: Path, result: BuildResult, source_specs: Sequence[str]) -> None:
    payload = {
        **result.report.to_dict(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sources": list(source_specs),
        "counts": {
            "records": result.records,
            "entities": result.entities,
            "polygons": result.polygons,
            "languages": len(result.languages),
            "by_source": result.by_source,
            "by_feature_type": result.by_feature_type,
        },
        "languages": result.languages,
        "conflation": result.conflation,
        "shards": result.shards,
        "timings_s": {k: round(v, 2) for k, v in result.timings.items()},
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def build_gazetteer(
    out_dir: str | Path | None = None,
    sources: str | Sequence[str] = DEFAULT_SOURCES,
    *,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    progress: bool = True,
    build_index: bool = True,
    lock: bool = True,
) -> BuildResult:
    """Build a gazetteer from `--sources` specifications (see `source_specs`).

    Args:
        out_dir: the gazetteer folder (default: `georeset.settings.gazetteer_dir()`).
        sources: e.g. `["embedded", "naturalearth", "geonames:allCountries.zip"]`.
        shard_rows: rows per Parquet shard.
        progress: show progress bars.
        build_index: build the candidate index.
        lock: hold the build lock of the folder.

    Raises:
        BadInputError: a bad source specification or input file (nothing is replaced then).
        MissingAssetError: a data package or file is missing.
    """
    specs = parse_sources(sources)
    readers = [spec.reader() for spec in specs]  # resolve every source before reading any
    report = BuildReport()

    def records() -> Iterator[PlaceRecord]:
        for reader in readers:
            yield from reader(report, progress)

    return write_gazetteer(
        records(),
        out_dir if out_dir is not None else gazetteer_dir(),
        report,
        shard_rows=shard_rows,
        source_specs=[spec.text for spec in specs],
        build_index=build_index,
        progress=progress,
        lock=lock,
    )


__all__ = [
    "BUILD_REPORT",
    "DEFAULT_SOURCES",
    "BuildResult",
    "staged_directory",
    "write_gazetteer",
    "build_gazetteer",
]
