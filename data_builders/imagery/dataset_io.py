"""Build the instruction dataset from `--source` specs, write it as parquet shards + card (resuming an interrupted
build), publish and load it. `build_instruction_dataset` is `georeset imagery build` in Python.

```
DIR/README.md                              card (sources, licences, counts, schema, how to load), YAML `configs:`
DIR/data/train-00000-of-0000N.parquet      rows of `schema.instruction_features(patch_size)`
DIR/build_report.json                      settings, sources, counts per task/language, skips, timings
```

The build writes into `.DIR.partial/` beside DIR and renames it into place only when every patch is done, so a
reader never sees half a dataset. Shards are flushed every `shard_rows` rows (at patch boundaries) and recorded in
`.DIR.partial/progress.json` with the patches they hold and the report so far: a build that is killed and run
again with the same settings keeps those shards and carries on with the next patch (a different configuration
starts afresh). Examples are a deterministic function of the settings and the patch, so a resumed build writes
the same rows as an uninterrupted one.

EuroSAT is an evaluation benchmark for this project: a EuroSAT source (`eurosat*`) is refused as training data
unless `allow_eval_sources=True` (`--allow-eval-sources`), both by its source spec and by each patch's `source`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from data_builders.imagery.instructions import InstructionBuilder, InstructionReport, InstructionSettings
from data_builders.imagery.patch import Patch
from georeset.errors import BadInputError

SHARD_ROWS = 512
PROGRESS_FILE = "progress.json"
BUILD_REPORT = "build_report.json"
UPLOAD_PATTERNS = ["README.md", BUILD_REPORT, "data/*.parquet"]
EVAL_ONLY_PREFIXES = ("eurosat",)


def is_eval_only(source: str) -> bool:
    """Whether a source kind, `--source` spec or patch source is an evaluation benchmark (EuroSAT in any form:
    `eurosat_ms`, `eurosat_rgb`, `torchgeo:EuroSAT:...`, patches of source `torchgeo_eurosat`)."""
    name = source.strip().lower().replace("-", "_").replace(":", "_")
    name = name.removeprefix("torchgeo_")
    return name.startswith(EVAL_ONLY_PREFIXES)


def check_training_sources(sources: Iterable[str], allow_eval_sources: bool = False) -> None:
    """Refuse evaluation-only sources as training data.

    Raises:
        BadInputError: a source is evaluation-only and `allow_eval_sources` is false.
    """
    refused = [s for s in sources if is_eval_only(s)]
    if refused and not allow_eval_sources:
        raise BadInputError(
            f"--source {', '.join(refused)}: EuroSAT is this project's evaluation benchmark and must not enter "
            "instruction-tuning data; pass --allow-eval-sources only to build an evaluation set"
        )


@dataclass
class InstructionBuildResult:
    """What `write_instruction_dataset` wrote."""

    path: Path
    rows: int
    shards: list[str]
    report: InstructionReport
    seconds: float
    resumed_patches: int

    def summary(self) -> str:
        resumed = (
            f" ({self.resumed_patches:,} patches kept from an interrupted build)"
            if self.resumed_patches
            else ""
        )
        return (
            f"wrote {self.rows:,} examples in {len(self.shards)} shard(s) to {self.path} in {self.seconds:.1f} s"
            f"{resumed}\n{self.report.summary()}"
        )


def fingerprint(config: Mapping[str, Any]) -> str:
    """A short hash of everything that decides the rows (settings, sources, gazetteer, geotext)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _check_target(out_dir: Path) -> None:
    if out_dir.exists() and (
        not out_dir.is_dir()
        or (
            any(out_dir.iterdir())
            and not (out_dir / BUILD_REPORT).is_file()
            and not (out_dir / "README.md").is_file()
        )
    ):
        raise BadInputError(
            f"{out_dir}: exists and is not an instruction dataset folder; refusing to replace it"
        )


def _write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temporary file + rename): a kill never leaves a truncated progress file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _write_shard(rows: list[dict[str, Any]], path: Path, patch_size: int) -> None:
    from datasets import Dataset

    from data_builders.imagery.schema import instruction_features

    tmp = path.with_name(f".{path.name}.tmp")
    Dataset.from_list(rows, features=instruction_features(patch_size)).to_parquet(str(tmp))
    os.replace(tmp, path)


def _load_progress(staging: Path, key: str) -> dict[str, Any] | None:
    """The progress of an interrupted build of the same configuration, or None (then the folder is reset)."""
    try:
        progress = json.loads((staging / PROGRESS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if progress.get("fingerprint") != key:
        return None
    shards = progress.get("shards", [])
    if not all((staging / shard["file"]).is_file() for shard in shards):
        return None
    return progress


def write_instruction_dataset(
    patches: Iterable[Patch],
    out_dir: str | Path,
    builder: InstructionBuilder,
    *,
    config: Mapping[str, Any],
    source_specs: Sequence[str] = (),
    allow_eval_sources: bool = False,
    shard_rows: int = SHARD_ROWS,
    reader_report: Any = None,
    pretty_name: str = "georeset Sentinel instruction data",
    progress: bool = True,
    total: int | None = None,
) -> InstructionBuildResult:
    """Build the dataset folder from patches (see the module docstring for atomicity and resume).

    Args:
        patches: patches in a deterministic order (a resumed build skips those already written).
        out_dir: the folder to create or replace.
        builder: makes the rows; its settings, with `config`, decide whether a partial build can be resumed.
        config: what else decides the rows (source specs, gazetteer and geotext identities), for the fingerprint.
        source_specs: the `--source` specs, for the eval-source check and the card.
        allow_eval_sources: let EuroSAT in (evaluation sets only).
        shard_rows: rows per shard (shards end at patch boundaries).
        reader_report: the readers' `ImageryReport` (read / skipped counts), for the card and build report.
        pretty_name: the card's title.
        progress: show a tqdm bar.
        total: number of patches, when known, for the bar.

    Raises:
        BadInputError: an evaluation-only source without `allow_eval_sources`, a target that is not a dataset
            folder, or no row at all (the report says why each patch gave none).
    """
    check_training_sources(source_specs, allow_eval_sources)
    if shard_rows < 1:
        raise BadInputError(f"shard_rows {shard_rows}: must be at least 1")
    out_dir = Path(out_dir).expanduser().resolve()
    _check_target(out_dir)
    from data_builders.gazetteer.build import build_lock

    with build_lock(out_dir):  # two builds of one folder would share its partial shards
        return _write(
            patches,
            out_dir,
            builder,
            config,
            source_specs,
            allow_eval_sources,
            shard_rows,
            reader_report,
            pretty_name,
            progress,
            total,
        )


def _write(
    patches: Iterable[Patch],
    out_dir: Path,
    builder: InstructionBuilder,
    config: Mapping[str, Any],
    source_specs: Sequence[str],
    allow_eval_sources: bool,
    shard_rows: int,
    reader_report: Any,
    pretty_name: str,
    progress: bool,
    total: int | None,
) -> InstructionBuildResult:
    started = time.perf_counter()
    staging = out_dir.with_name(f".{out_dir.name}.partial")
    full_config = {"builder": builder.settings.to_dict(), **dict(config), "shard_rows": shard_rows}
    key = fingerprint(full_config)
    state = _load_progress(staging, key)
    if state is None:
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "data").mkdir(parents=True)
        state = {"fingerprint": key, "config": full_config, "shards": [], "report": None}
    else:
        builder.report = InstructionReport.from_dict(state["report"] or {})
    done = {uid for shard in state["shards"] for uid in shard["patches"]}
    resumed = len(done)
    seen: set[str] = set(done)
    pending_rows: list[dict[str, Any]] = []
    pending_patches: list[str] = []
    patch_size = builder.settings.patch_size

    def flush() -> None:
        if not pending_patches:
            return
        name = f"data/part-{len(state['shards']):05d}.parquet"
        if pending_rows:
            _write_shard(pending_rows, staging / name, patch_size)
        state["shards"].append(
            {
                "file": name if pending_rows else "",
                "patches": list(pending_patches),
                "rows": len(pending_rows),
            }
        )
        state["report"] = builder.report.to_dict()
        _write_json(staging / PROGRESS_FILE, state)
        pending_rows.clear()
        pending_patches.clear()

    bar = tqdm(patches, desc="patches", unit="patch", total=total, disable=not progress)
    for patch in bar:
        uid = f"{patch.source or 'unknown'}:{patch.id}"
        if uid in done:
            continue
        if patch.source and is_eval_only(patch.source) and not allow_eval_sources:
            raise BadInputError(
                f"patch {uid} ({patch.path}) comes from {patch.source}, an evaluation-only benchmark: it must not "
                "enter training data (--allow-eval-sources builds an evaluation set)"
            )
        if uid in seen:
            builder.report.skipped[(patch.source or "unknown", "duplicate patch id")] += 1
            continue
        seen.add(uid)
        pending_rows.extend(builder.rows(patch))
        pending_patches.append(uid)
        if len(pending_rows) >= shard_rows:
            flush()
    flush()
    bar.close()

    files = [shard["file"] for shard in state["shards"] if shard["file"]]
    rows = sum(shard["rows"] for shard in state["shards"])
    if not rows:
        raise BadInputError(f"no instruction example could be made for {out_dir}\n{builder.report.summary()}")
    final = []
    for number, name in enumerate(files):
        target = f"data/train-{number:05d}-of-{len(files):05d}.parquet"
        os.replace(staging / name, staging / target)
        final.append(target)
    seconds = time.perf_counter() - started
    report = {
        "settings": builder.settings.to_dict(),
        "config": full_config,
        "sources": list(source_specs),
        "rows": rows,
        "shards": final,
        "instructions": builder.report.to_dict(),
        "readers": reader_report.to_dict() if reader_report is not None else {},
        "resumed_patches": resumed,
        "seconds": round(seconds, 2),
    }
    _write_json(staging / BUILD_REPORT, report)
    from data_builders.imagery.card import render_card

    (staging / "README.md").write_text(
        render_card(
            pretty_name=pretty_name,
            patch_size=patch_size,
            rows=rows,
            report=builder.report,
            source_specs=source_specs,
            settings=builder.settings.to_dict(),
            reader_summary=reader_report.summary() if reader_report is not None else "",
        ),
        encoding="utf-8",
    )
    (staging / PROGRESS_FILE).unlink()
    _swap_in(staging, out_dir)
    return InstructionBuildResult(out_dir, rows, final, builder.report, seconds, resumed)


DEFAULT_GEOTEXT = ("factbook",)
CLASSIFICATION_WINDOW = 16
CLASSIFICATION_STRIDE = 8


def default_sources() -> list[str]:
    """The embedded real data: BigEarthNet examples, and eo-learn Slovenia (64 px patches for every task, 16 px
    windows for classification) when ../shared/data is there."""
    from georeset.settings import shared_data_dir

    sources = ["bigearthnet"]
    shared = shared_data_dir()
    if shared is not None and (shared / "sentinel2" / "eolearn-slovenia").is_dir():
        scenes = shared / "sentinel2" / "eolearn-slovenia"
        sources.append(f"eolearn:{scenes}")
        # Closed-set classification windows of the same scenes (forest and grassland dominate them; the trainer's
        # --balance_classes evens them out): the image-dependent answers that zero-shot scoring reads.
        sources.append(
            f"eolearn:{scenes}?patch_size={CLASSIFICATION_WINDOW}&stride={CLASSIFICATION_STRIDE}"
            "&tasks=classification"
        )
    return sources


def expand_source(spec: str, patch_size: int) -> list[str]:
    """A `--source` of this command as the readers' specs (`sources.parse_source`).

    `bigearthnet` is the embedded examples, Sentinel-2 then Sentinel-1; `bigearthnet:PATH` a BigEarthNet folder,
    both sensors. GeoTIFF tiles and eo-learn scenes are cut into `patch_size` patches unless the spec says
    otherwise (`geotiff:PATH?patch_size=128`).
    """
    kind, _, rest = spec.partition(":")
    if kind == "bigearthnet":
        if not rest:
            return ["bigearthnet_examples?sensor=s2", "bigearthnet_examples?sensor=s1"]
        return [f"bigearthnet_s2:{rest}", f"bigearthnet_s1:{rest}"]
    if kind in ("geotiff", "eolearn") and "patch_size=" not in rest:
        return [f"{spec}{'&' if '?' in spec else '?'}patch_size={patch_size}"]
    return [spec]


def read_sources(specs: Sequence[str], report, patch_size: int) -> Iterator[Patch]:
    """Patches of every `--source`, in order. An eo-learn scene smaller than `patch_size` is read whole.

    A source may end in `tasks=a,b` (e.g. `eolearn:PATH?patch_size=16&stride=8&tasks=classification`): its
    patches get only those tasks, and ids ending in `/a+b`.
    """
    from dataclasses import replace

    from data_builders.imagery.sources import parse_source, read_source
    from georeset.errors import BadInputError

    for spec in specs:
        for reader_spec in expand_source(spec, patch_size):
            reader_spec, tasks = _pop_tasks_option(reader_spec)
            parse_source(reader_spec)  # a bad spec fails here, before any reading
            if reader_spec.startswith("eolearn"):
                try:
                    patches = list(read_source(reader_spec, report=report))
                except BadInputError as error:
                    if "smaller than the tile size" not in str(error):
                        raise
                    patches = read_source(reader_spec.split("?", 1)[0], report=report)
            else:
                patches = read_source(reader_spec, report=report)
            for patch in patches:
                if tasks:
                    # Its own id too: the same window may come from another spec of the same scenes.
                    patch = replace(
                        patch,
                        id=f"{patch.id}/{'+'.join(tasks)}",
                        extra={**patch.extra, "instruction_tasks": tasks},
                    )
                yield patch


def _pop_tasks_option(spec: str) -> tuple[str, list[str]]:
    """`kind:path?tasks=a,b&x=1` -> (`kind:path?x=1`, [a, b]): the builder's own option, not the reader's."""
    from urllib.parse import parse_qsl, urlencode

    from data_builders.imagery.schema import TASKS
    from georeset.errors import BadInputError

    head, sep, query = spec.partition("?")
    if not sep:
        return spec, []
    pairs = parse_qsl(query, keep_blank_values=True)
    tasks = [t for key, value in pairs if key == "tasks" for t in value.split(",") if t]
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise BadInputError(f"source '{spec}': unknown tasks {unknown}; choose among {', '.join(TASKS)}")
    rest = urlencode([(key, value) for key, value in pairs if key != "tasks"], safe=":/,")
    return (f"{head}?{rest}" if rest else head), tasks


def passage_index(specs: Sequence[str], index, report=None):
    """A PassageIndex over geotext sources: "factbook" (embedded, labelled now) or dataset folders / Hub ids."""
    from data_builders.gazetteer.report import BuildReport
    from data_builders.imagery.link import PassageIndex

    records = []
    for spec in specs:
        if spec == "factbook":
            from data_builders.geotext.factbook import read_factbook

            records.extend(read_factbook(index, report if report is not None else BuildReport()))
        else:
            from data_builders.geotext.dataset_io import load_geotext

            records.extend(load_geotext(spec))
    return PassageIndex.from_records(records)


def build_instruction_dataset(
    out_dir: str | Path,
    sources: Sequence[str] | None = None,
    *,
    settings: InstructionSettings | None = None,
    gazetteer: str | Path | None = None,
    geotext: Sequence[str] | None = None,
    allow_eval_sources: bool = False,
    reader_report: Any = None,
    progress: bool = True,
) -> InstructionBuildResult:
    """`georeset imagery build` in Python: read the sources, link, make the rows, write the folder.

    Args:
        out_dir: the dataset folder (an interrupted build of the same configuration is resumed).
        sources: `--source` specs (`expand_source`); None: `default_sources()`, the embedded real data.
        settings: patch size, languages, tasks, seed...
        gazetteer: gazetteer folder or Hub id (default: `georeset.settings.gazetteer_dir()`).
        geotext: geotext sources for the geotext task (`passage_index`); None: the embedded Factbook; [] none.
        allow_eval_sources: let EuroSAT in (evaluation sets only).
        reader_report: an `ImageryReport` that receives the readers' counts (a new one when None).
        progress: show progress bars.

    Raises:
        BadInputError: an evaluation-only or malformed source, or no row at all.
        MissingAssetError: no gazetteer (run `georeset gazetteer build`) or a missing data package.
    """
    from data_builders.gazetteer import load_gazetteer
    from data_builders.imagery.link import spatial_gazetteer
    from data_builders.imagery.report import ImageryReport

    specs = list(sources) if sources else default_sources()
    check_training_sources(specs, allow_eval_sources)  # before any slow step
    settings = settings or InstructionSettings()
    index = load_gazetteer(gazetteer)
    geotext = list(DEFAULT_GEOTEXT) if geotext is None else list(geotext)
    passages = passage_index(geotext, index) if geotext else None
    builder = InstructionBuilder(settings, spatial_gazetteer(index), passages)
    report = reader_report if reader_report is not None else ImageryReport()
    config = {
        "sources": specs,
        "gazetteer": str(index.path),
        "gazetteer_entities": len(index),
        "gazetteer_built_ns": (Path(index.path) / "entities.arrow").stat().st_mtime_ns,
        "geotext": geotext,
    }
    return write_instruction_dataset(
        read_sources(specs, report, settings.patch_size),
        out_dir,
        builder,
        config=config,
        source_specs=specs,
        allow_eval_sources=allow_eval_sources,
        reader_report=report,
        progress=progress,
    )


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames (the previous dataset stays until the new one is in)."""
    retired = target.with_name(f".{target.name}.previous-{os.getpid()}")
    if target.exists():
        os.replace(target, retired)
    try:
        os.replace(staging, target)
    except OSError:
        if retired.exists():
            os.replace(retired, target)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def load_instruction_dataset(path_or_repo: str | Path, *, split: str = "train", streaming: bool = False):
    """Load an instruction dataset folder or Hub id; `.with_format("numpy")` gives `pixels` as float32 arrays.

    Raises:
        BadInputError: neither a dataset folder nor a namespaced Hub id, or not an instruction dataset.
    """
    from datasets import load_dataset

    from data_builders.gazetteer.publish import check_repo_id

    local = Path(path_or_repo).expanduser()
    if local.exists():
        files = sorted(str(p) for p in (local / "data").glob("*.parquet"))
        if not files:
            raise BadInputError(f"{local}: not an instruction dataset folder (no data/*.parquet)")
        # The parquet builder keys its cache by the files' paths and modification times, so a folder rebuilt in
        # place is read again (a folder load is keyed by names only and would return the previous build).
        dataset = load_dataset("parquet", data_files={split: files}, split=split, streaming=streaming)
    else:
        dataset = load_dataset(check_repo_id(str(path_or_repo)), split=split, streaming=streaming)
    missing = [c for c in ("pixels", "band_names", "messages") if c not in (dataset.column_names or [])]
    if missing:
        raise BadInputError(
            f"{path_or_repo}: not an instruction dataset, missing column(s) {', '.join(missing)}"
        )
    return dataset


def push_instruction_dataset(
    folder: str | Path, repo_id: str, *, token: str | None = None, private: bool | None = None
) -> str:
    """Upload a dataset folder (card, shards, build report) in one commit; returns the commit URL.

    Raises:
        BadInputError: not an instruction dataset folder, or a repo id that is not `ORG/NAME`.
        HubUnreachableError: the endpoint does not answer or offline mode is on.
        GeoresetError: the Hub refused the upload.
    """
    from data_builders.gazetteer.publish import push_folder

    folder = Path(folder).expanduser()
    if not (folder / "README.md").is_file() or not any((folder / "data").glob("*.parquet")):
        raise BadInputError(
            f"{folder}: not an instruction dataset folder (README.md and data/*.parquet are missing)"
        )
    return push_folder(
        folder,
        repo_id,
        allow_patterns=UPLOAD_PATTERNS,
        delete_patterns=["data/*.parquet"],
        commit_message="Upload georeset Sentinel instruction dataset",
        token=token,
        private=private,
    )


__all__ = [
    "BUILD_REPORT",
    "CLASSIFICATION_WINDOW",
    "DEFAULT_GEOTEXT",
    "EVAL_ONLY_PREFIXES",
    "SHARD_ROWS",
    "UPLOAD_PATTERNS",
    "InstructionBuildResult",
    "build_instruction_dataset",
    "check_training_sources",
    "default_sources",
    "expand_source",
    "fingerprint",
    "is_eval_only",
    "load_instruction_dataset",
    "passage_index",
    "push_instruction_dataset",
    "read_sources",
    "write_instruction_dataset",
]
