"""Parquet shards of entity rows with GeoParquet 1.1 metadata.

Each shard carries the `geo` key in its Parquet metadata: primary column `geometry`, WKB encoding, the geometry
types and bbox of that shard, and the `bbox` struct column declared as the covering (GeoParquet 1.1), so spatial
readers (GDAL, DuckDB, GeoPandas) can skip row groups. No `crs` key: the default, OGC:CRS84 (WGS 84 longitude /
latitude), is what the geometry holds. Shards are written under temporary names and renamed to
`entities-00000-of-0000N.parquet` once their number is known.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely

from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import (
    ENTITY_SCHEMA,
    LANG_ABBREVIATION,
    LANG_CODE,
    LANG_DEMONYM,
    LANG_UNKNOWN,
)

GEOPARQUET_VERSION = "1.1.0"
DEFAULT_SHARD_ROWS = 500_000
ROW_GROUP_ROWS = 50_000  # small enough for streaming readers and HTTP range requests
_PSEUDO_LANGUAGES = frozenset({LANG_ABBREVIATION, LANG_CODE, LANG_DEMONYM, LANG_UNKNOWN})
_POINT = "Point"
# Columns worth dictionary pages (few distinct values); ids, names and WKB would only fill and drop a dictionary.
DICTIONARY_COLUMNS = (
    "feature_type",
    "feature_code",
    "country_code",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "geometry_type",
    "sources.list.element",
    "field_sources.list.element.field",
    "field_sources.list.element.source",
    "names.list.element.lang",
    "names.list.element.source",
)


def geo_metadata(geometry_types: list[str], bbox: list[float]) -> dict:
    """The GeoParquet `geo` metadata of one file."""
    return {
        "version": GEOPARQUET_VERSION,
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": sorted(geometry_types),
                "bbox": bbox,
                "covering": {"bbox": {key: ["bbox", key] for key in ("xmin", "ymin", "xmax", "ymax")}},
            }
        },
    }


def repair_geometries(table: pa.Table, report: BuildReport) -> pa.Table:
    """Make invalid non-point footprints valid (shapely `make_valid`), counting each in the report."""
    types = table.column("geometry_type").to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(types != _POINT)
    if not len(rows):
        return table
    geometries = shapely.from_wkb(
        table.column("geometry").take(pa.array(rows)).to_numpy(zero_copy_only=False)
    )
    invalid = ~shapely.is_valid(geometries)
    if not invalid.any():
        return table
    wkb = table.column("geometry").to_numpy(zero_copy_only=False).copy()
    ids = table.column("entity_id")
    for row, geometry in zip(rows[invalid], geometries[invalid], strict=True):
        fixed = shapely.make_valid(geometry)
        wkb[row] = shapely.to_wkb(fixed)
        types[row] = fixed.geom_type
        report.repair("conflation", "invalid footprint made valid", ids[int(row)].as_py())
    table = table.set_column(table.schema.get_field_index("geometry"), "geometry", pa.array(wkb, pa.binary()))
    return table.set_column(
        table.schema.get_field_index("geometry_type"), "geometry_type", pa.array(types, pa.string())
    )


class ShardWriter:
    """Accumulates entity batches and writes shards of `shard_rows` rows; counts what it wrote."""

    def __init__(self, data_dir: Path, report: BuildReport, shard_rows: int = DEFAULT_SHARD_ROWS) -> None:
        if shard_rows < 1:
            raise ValueError(f"shard_rows must be at least 1, got {shard_rows}")
        self.data_dir = data_dir
        self.report = report
        self.shard_rows = shard_rows
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._written: list[Path] = []
        # Parquet encoding releases the GIL: one shard is written in a thread while the next one is conflated.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shard-writer")
        self._writing: Future | None = None
        self.rows = 0
        self.by_feature_type: Counter = Counter()
        self.by_source: Counter = Counter()
        self.by_geometry_type: Counter = Counter()
        self.languages: Counter = Counter()
        self.names = 0

    def write(self, batch: pa.RecordBatch) -> None:
        """Queue a batch; full shards are written as they fill."""
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        while self._pending_rows >= self.shard_rows:
            table = pa.Table.from_batches(self._pending, schema=ENTITY_SCHEMA)
            self._write_shard(table.slice(0, self.shard_rows))
            rest = table.slice(self.shard_rows)
            self._pending = rest.to_batches()
            self._pending_rows = rest.num_rows

    def close(self) -> list[Path]:
        """Write the last shard and give the shards their final `-of-N` names."""
        if self._pending_rows or not self._written:
            self._write_shard(pa.Table.from_batches(self._pending, schema=ENTITY_SCHEMA))
        self._pending, self._pending_rows = [], 0
        self._wait()
        self._executor.shutdown()
        total = len(self._written)
        final = []
        for number, path in enumerate(self._written):
            target = self.data_dir / f"entities-{number:05d}-of-{total:05d}.parquet"
            path.rename(target)
            final.append(target)
        self._written = final
        return final

    def _write_shard(self, table: pa.Table) -> None:
        table = repair_geometries(table.combine_chunks(), self.report)
        self._count(table)
        if table.num_rows:
            bbox = table.column("bbox")
            extent = [
                pc.min(pc.struct_field(bbox, "xmin")).as_py(),
                pc.min(pc.struct_field(bbox, "ymin")).as_py(),
                pc.max(pc.struct_field(bbox, "xmax")).as_py(),
                pc.max(pc.struct_field(bbox, "ymax")).as_py(),
            ]
            types = sorted(pc.unique(table.column("geometry_type")).to_pylist())
        else:
            extent, types = [], []
        metadata = {b"geo": json.dumps(geo_metadata(types, extent)).encode()}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
        path = self.data_dir / f".part-{len(self._written):05d}.parquet"
        self._wait()  # at most one shard in flight: memory stays at two shards
        self._writing = self._executor.submit(
            pq.write_table,
            table,
            path,
            compression="zstd",
            row_group_size=ROW_GROUP_ROWS,
            use_dictionary=list(DICTIONARY_COLUMNS),
        )
        self._written.append(path)

    def abort(self) -> None:
        """Stop after a failed build: let the shard in flight finish (its error does not matter any more)."""
        try:
            self._wait()
        except Exception:  # noqa: BLE001 (the build is failing already; its own error is the one to raise)
            pass
        self._executor.shutdown()

    def _wait(self) -> None:
        """Wait for the shard being written (its error, a full disk say, is raised here)."""
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()

    def _count(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        for column, counter in (
            (table.column("feature_type"), self.by_feature_type),
            (table.column("geometry_type"), self.by_geometry_type),
            (pc.list_flatten(table.column("sources")), self.by_source),
        ):
            for item in pc.value_counts(column).to_pylist():
                counter[item["values"]] += item["counts"]
        langs = pc.struct_field(pc.list_flatten(table.column("names")), "lang")
        self.names += len(langs)
        for item in pc.value_counts(langs).to_pylist():
            counter_key = item["values"]
            self.languages[counter_key] += item["counts"]

    @property
    def natural_languages(self) -> list[str]:
        """Languages (ISO 639 codes) that some name is written in, without the pseudo-languages."""
        return sorted(lang for lang in self.languages if lang not in _PSEUDO_LANGUAGES)

    @property
    def polygons(self) -> int:
        return self.by_geometry_type["Polygon"] + self.by_geometry_type["MultiPolygon"]


__all__ = ["GEOPARQUET_VERSION", "DEFAULT_SHARD_ROWS", "geo_metadata", "repair_geometries", "ShardWriter"]
