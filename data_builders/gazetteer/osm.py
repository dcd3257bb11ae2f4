"""Reader of OpenStreetMap extracts (`.osm.pbf`, `.osm`, `.osm.bz2`; ODbL) through pyosmium.

Named geographic features become records: nodes as points, open ways as lines, and polygons assembled by
libosmium's area manager from closed ways and from multipolygon and boundary relations. Which objects count as
geographic features (places, administrative boundaries, natural features, waterways, land use, protected areas,
airports, stations...) is `taxonomy.from_osm_tags`.

Extracts are cut from the planet, so ways and relations at their edge lose members. Such a feature is never
dropped silently: a way keeps the part of its geometry inside the extract, a relation whose polygon cannot be
assembled keeps its `label`/`admin_centre` node as its point, and whatever is left unusable is counted as rejected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import osmium
import osmium.filter
import shapely
from shapely.geometry import LineString, Point
from tqdm import tqdm

from data_builders.gazetteer.geometry_repair import make_valid_keeping_kind
from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import LANG_CODE, LANG_UNKNOWN, PlaceName, PlaceRecord
from data_builders.gazetteer.sources import PathOrUrl, guarded, local_copy
from data_builders.gazetteer.taxonomy import from_osm_tags

SOURCE = "osm"
AREA_RELATION_TYPES = frozenset({"multipolygon", "boundary"})
LABEL_ROLES = ("label", "admin_centre")  # preferred first
# Name keys: (key, is_historic, is_short, is_colloquial). Each may also carry a language suffix (`old_name:sv`).
NAME_KEYS: tuple[tuple[str, bool, bool, bool], ...] = (
    ("name", False, False, False),
    ("official_name", False, False, False),
    ("alt_name", False, False, False),
    ("int_name", False, False, False),
    ("nat_name", False, False, False),
    ("reg_name", False, False, False),
    ("short_name", False, True, False),
    ("old_name", True, False, False),
    ("loc_name", False, False, True),
)
CODE_KEYS = ("ISO3166-1", "ISO3166-1:alpha2", "ISO3166-1:alpha3", "ISO3166-2", "iata", "icao", "unlocode")
COUNTRY_KEYS = ("ISO3166-1:alpha2", "ISO3166-1", "is_in:country_code", "country_code", "addr:country")
# The key that decided the type, reported as the feature code ("place=city").
TYPE_KEYS = (
    "place",
    "boundary",
    "natural",
    "waterway",
    "water",
    "aeroway",
    "railway",
    "public_transport",
    "amenity",
    "harbour",
    "landuse",
    "leisure",
    "highway",
    "historic",
    "tourism",
    "man_made",
    "building",
)
LINEAR_WATERWAYS = frozenset({"river", "stream", "canal", "brook", "ditch", "drain", "tidal_channel"})
LINEAR_NATURAL = frozenset({"ridge", "arete", "cliff", "coastline", "tree_row"})
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_WIKIDATA_ID = re.compile(r"^Q[1-9][0-9]*$")
_THOUSANDS = re.compile(r"[\s,'\u202f]|\.(?=\d{3}(?:\D|$))")  # "12 345", "12,345", "12.345"
_WIKIPEDIA = re.compile(r"^[a-z][a-z-]{1,11}:.+")


@dataclass
class _Pending:
    """A closed way or an area relation waiting for its polygon; emitted from its fallback if none comes."""

    record: PlaceRecord
    fallback: object | None  # shapely geometry (closed ways: the ring as a line), or None (relations)
    complete: bool = True  # closed ways: every node of the ring is in the extract
    linear: bool = False  # closed ways: a line by its tags (a ring road), not an outline


class _LabelCollector:
    """First-pass handler: the label or admin-centre node of each named relation."""

    def __init__(self) -> None:
        self.node_of_relation: dict[int, int] = {}

    def relation(self, relation: osmium.osm.Relation) -> None:
        found: dict[str, int] = {}
        for member in relation.members:
            if member.type == "n" and member.role in LABEL_ROLES:
                found.setdefault(member.role, member.ref)
        for role in LABEL_ROLES:
            if role in found:
                self.node_of_relation[relation.id] = found[role]
                break


def read_osm(
    path_or_url: PathOrUrl,
    report: BuildReport,
    *,
    node_cache: str = "flex_mem",
    progress: bool = False,
) -> Iterator[PlaceRecord]:
    """Stream `PlaceRecord`s of the named geographic features of an OSM file.

    Args:
        path_or_url: an `.osm.pbf`, `.osm`, `.osm.bz2`/`.osm.gz` file or an http(s) URL of one (downloaded to a
            temporary file first: assembling polygons reads the file twice).
        report: counts records read, and features rejected or repaired, with examples.
        node_cache: pyosmium's node location store: "flex_mem" for extracts, "dense_file_array,<path>" for the
            planet (see pyosmium's manual on location storage).
        progress: show a progress bar of OSM objects.

    Yields:
        Records "osm:node/<id>" (points), "osm:way/<id>" (lines or polygons), "osm:relation/<id>" (polygons).
    """
    with local_copy(path_or_url) as path:
        labels = _LabelCollector()
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations(node_cache)
            .with_areas(osmium.filter.KeyFilter("name"), labels)
            .with_filter(osmium.filter.KeyFilter("name"))
        )
        # libosmium raises RuntimeError for files that are not OSM data or break off.
        objects = guarded(processor, path_or_url, report, SOURCE, (RuntimeError,), "not a readable OSM file")
        yield from _Reader(report, labels.node_of_relation).run(objects, progress)


class _Reader:
    def __init__(self, report: BuildReport, node_of_relation: dict[int, int]) -> None:
        self.report = report
        self.node_of_relation = node_of_relation  # filled by the first pass, before the first object arrives
        self.label_nodes: set[int] | None = None
        self.label_points: dict[int, tuple[float, float]] = {}  # node id -> (lon, lat)
        self.pending_ways: dict[int, _Pending] = {}
        self.pending_relations: dict[int, _Pending] = {}
        self.assembled_relations: set[int] = set()
        self.wkb = osmium.geom.WKBFactory()

    def run(self, processor: Iterator, progress: bool) -> Iterator[PlaceRecord]:
        for obj in tqdm(processor, desc="OSM objects", unit=" objects", disable=not progress, leave=False):
            if isinstance(obj, osmium.osm.Node):
                record = self.node(obj)
            elif isinstance(obj, osmium.osm.Way):
                record = self.way(obj)
            elif isinstance(obj, osmium.osm.Area):
                record = self.area(obj)
            elif isinstance(obj, osmium.osm.Relation):
                record = self.relation(obj)
            else:
                continue
            if record is not None:
                self.report.count_read(SOURCE)
                yield record
        yield from self.unassembled()

    # --- objects ---

    def node(self, node: osmium.osm.Node) -> PlaceRecord | None:
        if self.label_nodes is None:
            self.label_nodes = set(self.node_of_relation.values())
        location = node.location
        if node.id in self.label_nodes and location.valid():
            self.label_points[node.id] = (location.lon, location.lat)
        tags = dict(node.tags)
        kind = _kind(tags)
        if kind is None:
            return None
        if not location.valid():
            self.report.reject(SOURCE, "node without a valid location", f"node/{node.id} {tags.get('name')}")
            return None
        return _record(self.report, f"node/{node.id}", tags, kind, location.lon, location.lat, None)

    def way(self, way: osmium.osm.Way) -> PlaceRecord | None:
        tags = dict(way.tags)
        kind = _kind(tags)
        if kind is None:
            return None
        line = self._way_line(way, tags)
        if line is None:
            return None
        point = line.representative_point()
        record = _record(self.report, f"way/{way.id}", tags, kind, point.x, point.y, None)
        if way.is_closed():
            # Its polygon comes later from the area manager (if the ring is complete and valid).
            complete = len(line.coords) == len(way.nodes) if isinstance(line, LineString) else False
            self.pending_ways[way.id] = _Pending(record, line, complete, is_linear(tags))
            return None
        record.geometry_wkb = shapely.to_wkb(line)
        return record

    def relation(self, relation: osmium.osm.Relation) -> PlaceRecord | None:
        tags = dict(relation.tags)
        kind = _kind(tags)
        if kind is None:
            return None
        relation_type = tags.get("type", "")
        if relation_type not in AREA_RELATION_TYPES:
            self.report.reject(
                SOURCE,
                "relation that is not a multipolygon or boundary (no geometry assembled)",
                f"relation/{relation.id} type={relation_type} {tags.get('name')}",
            )
            return None
        if relation.id not in self.assembled_relations:
            self.pending_relations[relation.id] = _Pending(
                _record(self.report, f"relation/{relation.id}", tags, kind, 0, 0, None), None
            )
        return None

    def area(self, area: osmium.osm.Area) -> PlaceRecord | None:
        orig_id = area.orig_id()
        from_way = area.from_way()
        pending = (self.pending_ways if from_way else self.pending_relations).pop(orig_id, None)
        tags = dict(area.tags)
        kind = _kind(tags)
        if kind is None:
            return None
        if from_way and pending is not None and is_linear(tags):
            # A ring road or a looping river: libosmium makes an area of any closed way, the feature is a line.
            pending.record.geometry_wkb = shapely.to_wkb(pending.fallback)
            return pending.record
        local_id = f"{'way' if from_way else 'relation'}/{orig_id}"
        try:
            geometry = shapely.from_wkb(self.wkb.create_multipolygon(area))
        except (RuntimeError, shapely.errors.ShapelyError):
            # libosmium marks rings it could not close as an invalid area: the fallback at the end counts it.
            if pending is not None:
                (self.pending_ways if from_way else self.pending_relations)[orig_id] = pending
            return None
        if not geometry.is_valid:
            reason = shapely.is_valid_reason(geometry)
            geometry = make_valid_keeping_kind(geometry)
            self.report.repair(
                SOURCE, "invalid polygon made valid", f"{local_id} {tags.get('name')}: {reason}"
            )
        if geometry.is_empty:
            if pending is not None:  # put it back: its fallback is used at the end
                (self.pending_ways if from_way else self.pending_relations)[orig_id] = pending
            return None
        if not from_way:
            self.assembled_relations.add(orig_id)
        if geometry.geom_type == "MultiPolygon" and len(geometry.geoms) == 1:
            geometry = geometry.geoms[0]
        label = self.label_points.get(self.node_of_relation.get(orig_id, -1)) if not from_way else None
        if label is None or not geometry.covers(Point(label)):
            point = geometry.representative_point()
            label = (point.x, point.y)
        return _record(self.report, local_id, tags, kind, label[0], label[1], shapely.to_wkb(geometry))

    # --- what the area manager could not assemble ---

    def unassembled(self) -> Iterator[PlaceRecord]:
        for pending in self.pending_ways.values():
            record = pending.record
            polygon = None if pending.linear else _ring_polygon(pending)
            if polygon is not None:
                # libosmium refuses self-intersecting rings; shapely's make_valid repairs them.
                point = polygon.representative_point()
                record.lon, record.lat = point.x, point.y
                record.geometry_wkb = shapely.to_wkb(polygon)
                reason = "self-intersecting ring made a valid polygon"
            else:
                record.geometry_wkb = shapely.to_wkb(pending.fallback)
                reason = "closed way not assembled into a polygon (broken ring, or part of a multipolygon): kept as a line"
            self.report.repair(SOURCE, reason, f"{record.record_id} {record.name}")
            self.report.count_read(SOURCE)
            yield record
        for relation_id, pending in self.pending_relations.items():
            record = pending.record
            label = self.label_points.get(self.node_of_relation.get(relation_id, -1))
            if label is None:
                self.report.reject(
                    SOURCE,
                    "multipolygon or boundary not assembled (members missing from the extract?) and no label node",
                    f"{record.record_id} {record.name}",
                )
                continue
            record.lon, record.lat = label
            self.report.repair(
                SOURCE,
                "multipolygon or boundary not assembled (members missing from the extract?): kept as its label node",
                f"{record.record_id} {record.name}",
            )
            self.report.count_read(SOURCE)
            yield record
        self.pending_ways.clear()
        self.pending_relations.clear()

    def _way_line(self, way: osmium.osm.Way, tags: Mapping[str, str]) -> LineString | Point | None:
        coordinates = [(node.lon, node.lat) for node in way.nodes if node.location.valid()]
        missing = len(way.nodes) - len(coordinates)
        example = f"way/{way.id} {tags.get('name')}"
        if not coordinates:
            self.report.reject(SOURCE, "way whose nodes are all missing from the extract", example)
            return None
        if missing:
            self.report.repair(
                SOURCE, "way with nodes missing from the extract: kept the part present", example
            )
        if len(set(coordinates)) < 2:
            return Point(coordinates[0])
        return LineString(coordinates)


def _kind(tags: Mapping[str, str]) -> str | None:
    """The feature type of a named geographic feature, None for anything else (a blank name included)."""
    return from_osm_tags(tags) if tags.get("name", "").strip(" ;") else None


def is_linear(tags: Mapping[str, str]) -> bool:
    """Whether a closed way with these tags is a line (a ring road, a ridge), not the outline of an area."""
    if tags.get("area") == "yes":
        return False
    return (
        "highway" in tags
        or tags.get("waterway") in LINEAR_WATERWAYS
        or tags.get("natural") in LINEAR_NATURAL
        or "barrier" in tags
    )


def _ring_polygon(pending: _Pending):
    """The valid polygon of a complete closed way that libosmium could not assemble, or None."""
    line = pending.fallback
    if not pending.complete or not isinstance(line, LineString) or len(line.coords) < 4:
        return None
    polygon = make_valid_keeping_kind(shapely.Polygon(line.coords))
    return None if polygon.is_empty else polygon


def _record(
    report: BuildReport,
    local_id: str,
    tags: Mapping[str, str],
    kind: str,
    lon: float,
    lat: float,
    geometry_wkb: bytes | None,
) -> PlaceRecord:
    name = next(part.strip() for part in tags["name"].split(";") if part.strip())  # "A;B": A is the name
    wikidata = next(
        (q.strip() for q in tags.get("wikidata", "").split(";") if _WIKIDATA_ID.match(q.strip())), ""
    )
    wikipedia = tags.get("wikipedia", "").strip()
    return PlaceRecord(
        record_id=f"{SOURCE}:{local_id}",
        source=SOURCE,
        name=name,
        lat=lat,
        lon=lon,
        feature_type=kind,
        feature_code=_feature_code(tags),
        names=osm_names(tags),
        country_code=_country_code(tags),
        population=_population(tags.get("population", ""), report, local_id),
        geometry_wkb=geometry_wkb,
        wikidata_id=wikidata,
        osm_id=local_id,
        wikipedia=wikipedia if _WIKIPEDIA.match(wikipedia) else "",
    )


def osm_names(tags: Mapping[str, str]) -> list[PlaceName]:
    """The names of an OSM object: `name`, `name:<lang>`, `alt_name`, `old_name` (historic), `short_name`...

    Values holding several names separated by ";" become several names.
    """
    names: list[PlaceName] = []
    seen: set[tuple[str, str]] = set()
    has_primary = False
    for key, value in tags.items():
        base, _, lang = key.partition(":")
        flags = next((f for f in NAME_KEYS if f[0] == base), None)
        if flags is None or (lang and not _LANGUAGE.match(lang)):
            continue
        for text in value.split(";"):
            text = text.strip()
            if text and (text, lang) not in seen:
                seen.add((text, lang or LANG_UNKNOWN))
                is_primary = key == "name" and not has_primary  # the first part of the main `name`
                has_primary = has_primary or is_primary
                names.append(
                    PlaceName(text, lang or LANG_UNKNOWN, is_primary, flags[2], flags[1], flags[3], SOURCE)
                )
    for key in CODE_KEYS:
        value = tags.get(key, "").strip()
        if value and (value, LANG_CODE) not in seen:
            seen.add((value, LANG_CODE))
            names.append(PlaceName(value, LANG_CODE, source=SOURCE))
    names.sort(key=lambda n: not n.is_preferred)  # the primary name first
    return names


def _feature_code(tags: Mapping[str, str]) -> str:
    for key in TYPE_KEYS:
        if key in tags:
            code = f"{key}={tags[key]}"
            if key == "boundary" and "admin_level" in tags:
                code += f";admin_level={tags['admin_level']}"
            return code
    return ""


def _country_code(tags: Mapping[str, str]) -> str:
    for key in COUNTRY_KEYS:
        value = tags.get(key, "").strip().upper()
        if len(value) == 2 and value.isalpha():
            return value
    return ""


def _population(text: str, report: BuildReport, local_id: str) -> int:
    if not text:
        return 0
    digits = _THOUSANDS.sub("", text)
    if digits.isdigit():
        return int(digits)
    report.repair(SOURCE, "population not a number, set to 0", f"{local_id}: population={text!r}")
    return 0


__all__ = ["read_osm", "osm_names", "is_linear", "SOURCE"]
