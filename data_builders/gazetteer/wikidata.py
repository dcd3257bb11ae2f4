"""Reader of the Wikidata JSON dump (https://dumps.wikimedia.org/wikidatawiki/entities/, CC0).

`latest-all.json.bz2` / `.gz` is one JSON array with one entity per line: `[` on the first line, then
`{...},` lines, the last entity without its comma, then `]`. Entities with coordinates (P625, on Earth) become
records: labels and aliases in every language, instance-of classes (P31) mapped to the taxonomy, GeoNames id
(P1566), OSM relation (P402), country (P17), population (P1082), containing admin units (P131) and the English
Wikipedia sitelink. Lines without "P625" are skipped before JSON parsing: most of the 100 M entities are not places.

The country code of a record comes from the ISO 3166-1 code (P297) of its P17 country, collected from the country
entities of the same dump as they stream by. Countries have small ids and come early in the dump, so nearly every
record is resolved at once; the few whose country has not been seen yet are held back (a bounded buffer) and
resolved at the end, or left without a country code and counted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import LANG_CODE, LANG_UNKNOWN, PlaceName, PlaceRecord
from data_builders.gazetteer.sources import PathOrUrl, iter_lines
from data_builders.gazetteer.taxonomy import WIKIDATA_CLASSES, from_wikidata_classes

SOURCE = "wikidata"
EARTH = "http://www.wikidata.org/entity/Q2"
CODE_PROPERTIES = ("P297", "P298", "P300")  # ISO 3166-1 alpha-2, alpha-3, ISO 3166-2
MULTILINGUAL = "mul"  # the label language Wikidata uses for names written the same in every language
MAX_HELD_BACK = 100_000  # records waiting for their country's code; beyond that they go out without one


def read_wikidata(
    path_or_url: PathOrUrl, report: BuildReport, *, progress: bool = False
) -> Iterator[PlaceRecord]:
    """Stream `PlaceRecord`s of the entities with coordinates in a Wikidata JSON dump.

    Args:
        path_or_url: `latest-all.json.bz2`, `.json.gz` or `.json` (also a line-per-entity excerpt), local or URL.
        report: counts records read, entities skipped (no coordinates, not on Earth), malformed lines rejected
            and records whose country code could not be resolved, with examples.
        progress: show a progress bar (compressed bytes).

    Yields:
        One record per item with coordinates: `record_id` "wikidata:Q<id>".
    """
    country_codes: dict[str, str] = {}  # country qid -> ISO 3166-1 alpha-2
    held_back: list[tuple[PlaceRecord, str]] = []
    for number, line in enumerate(iter_lines(path_or_url, report, SOURCE, progress=progress), 1):
        line = line.strip()
        if line.endswith(","):
            line = line[:-1]
        if not line or line in ("[", "]"):
            continue
        if (
            '"P625"' not in line and '"P297"' not in line
        ):  # P297: a country without coordinates still names its code
            report.skip(SOURCE, "no coordinates (P625): not a place")
            continue
        try:
            entity = json.loads(line)
        except json.JSONDecodeError as error:
            report.reject(SOURCE, "malformed JSON line", f"line {number}: {error}: {line[:120]}")
            continue
        if not isinstance(entity, dict) or not isinstance(entity.get("id"), str):
            report.reject(SOURCE, "not an entity object (no id)", f"line {number}: {line[:120]}")
            continue
        if not entity["id"].startswith("Q"):
            report.skip(SOURCE, "not an item (property or lexeme)")
            continue
        try:
            own_code = _iso_code(entity.get("claims") or {})
            parsed = _entity(entity, own_code, report)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            report.reject(SOURCE, "entity not in the dump's structure", f"{entity['id']}: {error!r}")
            continue
        if own_code:
            country_codes[entity["id"]] = own_code
        if parsed is None:
            continue
        record, country = parsed
        if country and not record.country_code:
            record.country_code = country_codes.get(country, "")
            if not record.country_code:
                held_back.append((record, country))
                if len(held_back) >= MAX_HELD_BACK:
                    yield from _release(held_back, country_codes, report)
                continue
        report.count_read(SOURCE)
        yield record
    yield from _release(held_back, country_codes, report)


def _release(
    held_back: list[tuple[PlaceRecord, str]], country_codes: dict[str, str], report: BuildReport
) -> Iterator[PlaceRecord]:
    for record, country in held_back:
        record.country_code = country_codes.get(country, "")
        if not record.country_code:
            report.repair(
                SOURCE,
                "country (P17) without an ISO code in this dump: country code left empty",
                f"{record.record_id} -> {country}",
            )
        report.count_read(SOURCE)
        yield record
    held_back.clear()


def _iso_code(claims: dict) -> str:
    """The ISO 3166-1 alpha-2 code (P297) of a country entity, "" for other entities."""
    return next(
        (str(v).upper() for v in _values(claims.get("P297")) if isinstance(v, str) and len(v) == 2), ""
    )


def _entity(entity: dict, own_code: str, report: BuildReport) -> tuple[PlaceRecord, str] | None:
    """(record, country qid) or None when the entity is not a place on Earth."""
    qid = entity["id"]
    claims = entity.get("claims") or {}
    coordinates = _best_value(claims.get("P625"))
    if not isinstance(coordinates, dict):
        report.skip(SOURCE, "no coordinates (P625): not a place")
        return None
    if coordinates.get("globe", EARTH) != EARTH:
        report.skip(SOURCE, "coordinates not on Earth")
        return None
    lat, lon = coordinates.get("latitude"), coordinates.get("longitude")
    if not _valid_coordinate(lat, 90.0) or not _valid_coordinate(lon, 180.0):
        report.reject(SOURCE, "coordinates out of range", f"{qid}: {lat}, {lon}")
        return None
    names = _names(entity, claims)
    if not names:
        report.reject(SOURCE, "no label or alias", qid)
        return None
    classes = [
        value["id"] for value in _values(claims.get("P31")) if isinstance(value, dict) and "id" in value
    ]
    kind = from_wikidata_classes(classes)
    deciding = next((c for c in classes if WIKIDATA_CLASSES.get(c) == kind), classes[0] if classes else "")
    country = _best_value(claims.get("P17"))
    country_qid = country.get("id", "") if isinstance(country, dict) else ""
    geonames = _best_value(claims.get("P1566"))
    osm_relation = _best_value(claims.get("P402"))
    enwiki = (entity.get("sitelinks") or {}).get("enwiki") or {}
    record = PlaceRecord(
        record_id=f"{SOURCE}:{qid}",
        source=SOURCE,
        name=names[0].name,
        lat=float(lat),
        lon=float(lon),
        feature_type=kind,
        feature_code=deciding,
        names=names,
        country_code=own_code,
        population=_population(claims.get("P1082")),
        geonames_id=int(geonames) if isinstance(geonames, str) and geonames.isdigit() else None,
        wikidata_id=qid,
        osm_id=f"relation/{osm_relation}" if isinstance(osm_relation, str) and osm_relation.isdigit() else "",
        wikipedia=f"en:{enwiki['title']}" if enwiki.get("title") else "",
        parent_ids=[
            f"{SOURCE}:{value['id']}"
            for value in _values(claims.get("P131"))
            if isinstance(value, dict) and "id" in value
        ],
    )
    return record, country_qid if country_qid != qid else ""


def _valid_coordinate(value: Any, limit: float) -> bool:
    return isinstance(value, (int, float)) and not math.isnan(value) and -limit <= value <= limit


def _statements(statements: Any) -> list[dict]:
    """Statements with a value, preferred ones first, deprecated ones dropped."""
    if not isinstance(statements, list):
        return []
    usable = [
        s
        for s in statements
        if isinstance(s, dict)
        and s.get("rank") != "deprecated"
        and (s.get("mainsnak") or {}).get("snaktype", "value") == "value"
        and "datavalue" in (s.get("mainsnak") or {})
    ]
    return sorted(usable, key=lambda s: s.get("rank") != "preferred")


def _values(statements: Any) -> list[Any]:
    return [s["mainsnak"]["datavalue"].get("value") for s in _statements(statements)]


def _best_value(statements: Any) -> Any:
    values = _values(statements)
    return values[0] if values else None


def _population(statements: Any) -> int:
    """The preferred population, else the most recent one (P585 point in time), else the first."""
    usable = _statements(statements)
    if not usable:
        return 0
    if usable[0].get("rank") != "preferred":
        usable.sort(key=_point_in_time, reverse=True)
    amount = usable[0]["mainsnak"]["datavalue"].get("value", {}).get("amount", "0")
    try:
        return max(0, int(float(amount)))
    except (TypeError, ValueError, OverflowError):
        return 0


def _point_in_time(statement: dict) -> str:
    qualifiers = (statement.get("qualifiers") or {}).get("P585") or [{}]
    value = (qualifiers[0].get("datavalue") or {}).get("value") or {}
    return str(value.get("time", "")) if isinstance(value, dict) else ""


def _names(entity: dict, claims: dict) -> list[PlaceName]:
    """Labels (English first, the primary name) and aliases in every language, then ISO codes."""
    names: list[PlaceName] = []
    seen: set[tuple[str, str]] = set()

    def add(text: Any, lang: str, preferred: bool) -> None:
        if not isinstance(text, str) or not text.strip():
            return
        lang = LANG_UNKNOWN if lang == MULTILINGUAL else lang
        key = (text.strip(), lang)
        if key not in seen:
            seen.add(key)
            names.append(PlaceName(key[0], lang, is_preferred=preferred, source=SOURCE))

    labels = entity.get("labels") or {}
    for lang in ("en", MULTILINGUAL):
        if lang in labels:
            add(labels[lang].get("value"), lang, True)
    for lang, label in labels.items():
        add(label.get("value"), lang, True)
    for lang, aliases in (entity.get("aliases") or {}).items():
        for alias in aliases if isinstance(aliases, list) else []:
            add(alias.get("value"), lang, False)
    for prop in CODE_PROPERTIES:
        for value in _values(claims.get(prop)):
            add(value, LANG_CODE, False)
    return names


__all__ = ["read_wikidata", "SOURCE"]
