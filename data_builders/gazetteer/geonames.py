"""Reader of the GeoNames dump (https://download.geonames.org/export/dump/, CC-BY 4.0).

The main file (`allCountries.txt`, `citiesN.txt`, a country file `FR.txt`, or their official `.zip`) is a 19-column
TSV: geonameid, name, asciiname, alternatenames, latitude, longitude, feature class, feature code, country code,
cc2, admin1..admin4 codes, population, elevation, dem, timezone, modification date.

Side files, each optional: `alternateNamesV2.txt` (names by language with preferred/short/colloquial/historic flags,
and the pseudo-languages `link`, `wkdt`, `post`, `iata`, `abbr`...), `admin1CodesASCII.txt`, `admin2Codes.txt`,
`countryInfo.txt` and `hierarchy.txt`. The small ones are read into dicts; alternate names (700 MB+) go through an
on-disk SQLite table keyed by geonameid, so memory stays flat whatever the size of the dump.

Speed: the main file is read in blocks of ~16 MB of whole lines (`sources.iter_text_blocks`, in a background
thread), split into cells and checked by Arrow compute kernels; the plainly well-formed rows become record
batches of `schema.RECORD_SCHEMA` column by column (names deduplicated with numpy), and only the other rows (bad
ones, odd ones, those a side file adds names to) go through the row-by-row parser `_parse_main_row`, so every
rejection and repair is counted exactly as before. `read_geonames_batches` yields the batches (what a build
conflates); `read_geonames` turns them into `PlaceRecord`s.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.schema import (
    LANG_ABBREVIATION,
    LANG_CODE,
    LANG_UNKNOWN,
    NAME_TYPE,
    RECORD_SCHEMA,
    PlaceName,
    PlaceRecord,
    constant_strings,
    records_from_arrow,
    records_to_arrow,
)
from data_builders.gazetteer.sources import (
    PathOrUrl,
    is_url,
    iter_lines,
    iter_text_blocks,
    prefetched,
    wikipedia_title,
)
from data_builders.gazetteer.taxonomy import from_geonames

SOURCE = "geonames"
MAIN_COLUMNS = 19
# alternateNamesV2.txt has 10 columns; the older alternateNames.txt has 8 (no from/to periods).
ALTERNATE_COLUMNS = (10, 8)
# Pseudo-languages of alternateNamesV2 whose "names" are codes; `link` and `wkdt` become source ids instead.
CODE_LANGUAGES = frozenset({"post", "iata", "icao", "faac", "unlc", "tcid"})
HISTORIC_LANGUAGES = {"fr_1793": "fr"}  # names of the French revolutionary period
SKIPPED_LANGUAGES = frozenset({"phon"})  # pronunciations, not names anyone writes
_BATCH = 20_000  # alternate-name rows per SQLite insert
_MAX_FILTER_IDS = (
    2_000_000  # main files with more places load every alternate name (a set this size: ~150 MB)
)


@dataclass
class _Extras:
    """What the alternate-names file adds to one geonameid."""

    names: list[PlaceName] = field(default_factory=list)
    wikidata_id: str = ""
    wikipedia: str = ""


def read_geonames(
    path_or_url: PathOrUrl,
    report: BuildReport,
    *,
    alternate_names: PathOrUrl | None = None,
    admin1_codes: PathOrUrl | None = None,
    admin2_codes: PathOrUrl | None = None,
    country_info: PathOrUrl | None = None,
    hierarchy: PathOrUrl | None = None,
    progress: bool = False,
) -> Iterator[PlaceRecord]:
    """Stream `PlaceRecord`s from a GeoNames main file, joined with whichever side files are given.

    Args:
        path_or_url: `allCountries.txt`, `cities500.txt`, `FR.txt`... or their `.zip`/`.gz`, local or http(s).
        report: counts records read, and rows rejected or repaired with examples.
        alternate_names: `alternateNamesV2.txt` (or the older 8-column `alternateNames.txt`, or a zip of either).
            When given, its names (with languages and flags) replace the main file's language-less
            `alternatenames` column. With a local main file of at most 2 M places, only the rows of its places
            are loaded (rows of other places are neither stored nor checked).
        admin1_codes: `admin1CodesASCII.txt` (`FR.76<TAB>Occitanie<TAB>Occitanie<TAB>11071623`).
        admin2_codes: `admin2Codes.txt` (`FR.76.34<TAB>Hérault<TAB>Herault<TAB>3013500`).
        country_info: `countryInfo.txt`: adds the short name and the ISO 3166 alpha-2/alpha-3 codes (as `code`
            names) of countries.
        hierarchy: `hierarchy.txt` (parent, child, type): fills `parent_ids`.
        progress: show progress bars.

    Yields:
        One record per valid row, with `record_id` "geonames:<id>" and `feature_code` "<class>.<code>".
    """
    for batch in read_geonames_batches(
        path_or_url,
        report,
        alternate_names=alternate_names,
        admin1_codes=admin1_codes,
        admin2_codes=admin2_codes,
        country_info=country_info,
        hierarchy=hierarchy,
        progress=progress,
    ):
        yield from records_from_arrow(batch)


def read_geonames_batches(
    path_or_url: PathOrUrl,
    report: BuildReport,
    *,
    alternate_names: PathOrUrl | None = None,
    admin1_codes: PathOrUrl | None = None,
    admin2_codes: PathOrUrl | None = None,
    country_info: PathOrUrl | None = None,
    hierarchy: PathOrUrl | None = None,
    progress: bool = False,
) -> Iterator[pa.RecordBatch]:
    """The records of `read_geonames` (same arguments) as record batches of `RECORD_SCHEMA`, in file order.

    The main file is read in blocks of lines that Arrow compute kernels split and check: rows whose fields are
    plainly well formed (integer id, decimal coordinates in range, a name without surrounding spaces, an integer
    population or none) and that no side file adds names to become columns without any Python object per row.
    Every other row (bad rows included) goes through the row-by-row parser, so the report counts and examples
    are those of the row-by-row reader.
    """
    side_files = (alternate_names, admin1_codes, admin2_codes, country_info, hierarchy)
    # Blocks are read and parsed (mostly in Arrow kernels, without the GIL) while the consumer handles the last.
    yield from prefetched(lambda: _read_batches(path_or_url, report, *side_files, progress))


def _read_batches(
    path_or_url: PathOrUrl,
    report: BuildReport,
    alternate_names: PathOrUrl | None,
    admin1_codes: PathOrUrl | None,
    admin2_codes: PathOrUrl | None,
    country_info: PathOrUrl | None,
    hierarchy: PathOrUrl | None,
    progress: bool,
) -> Iterator[pa.RecordBatch]:
    admin1 = _read_admin_codes(admin1_codes, report, 2, progress) if admin1_codes else {}
    admin2 = _read_admin_codes(admin2_codes, report, 3, progress) if admin2_codes else {}
    countries = _read_country_info(country_info, report, progress) if country_info else {}
    parents = _read_hierarchy(hierarchy, report, progress) if hierarchy else {}
    tables = _SideTables(admin1, admin2, countries, parents)
    with tempfile.TemporaryDirectory(prefix="georeset-geonames-") as folder:
        lookup = None
        if alternate_names is not None:
            lookup = _AlternateNames(Path(folder) / "alternate_names.sqlite")
            lookup.load(alternate_names, report, progress, _main_ids(path_or_url, progress))
        try:
            for first_line, text in iter_text_blocks(path_or_url, report, SOURCE, progress=progress):
                batch = _read_block(text, first_line, report, tables, lookup)
                if batch.num_rows:
                    yield batch
        finally:
            if lookup is not None:
                lookup.close()


def _main_ids(path_or_url: PathOrUrl, progress: bool) -> set[int] | None:
    """The geonameids of a local main file that is small enough for a set, else None (keep every name).

    cities500 holds 200k of the 12M places that alternateNamesV2 names: loading only theirs saves most of the
    SQLite work. For allCountries (or a URL, which would be downloaded twice) nothing is filtered.
    """
    if is_url(path_or_url):
        return None
    ids: set[int] = set()
    for line in iter_lines(path_or_url, BuildReport(), SOURCE, progress=progress):  # rows are judged later
        head = line.split("\t", 1)[0]
        if head.isdigit():
            ids.add(int(head))
            if len(ids) > _MAX_FILTER_IDS:
                return None
    return ids


@dataclass
class _SideTables:
    """The small side files, as dicts (for the row-by-row parser) and Arrow lookups (for the columnar one)."""

    admin1: dict[str, str]
    admin2: dict[str, str]
    countries: dict[int, list[PlaceName]]
    parents: dict[int, list[str]]

    def __post_init__(self) -> None:
        self.admin1_keys = pa.array(list(self.admin1), pa.string())
        self.admin1_names = pa.array(list(self.admin1.values()), pa.string())
        self.admin2_keys = pa.array(list(self.admin2), pa.string())
        self.admin2_names = pa.array(list(self.admin2.values()), pa.string())


# Fields of a row that the columnar path takes as they are; anything else goes to the row-by-row parser.
_ID_PATTERN = r"^[0-9]{1,18}$"
_COORDINATE_PATTERN = r"^-?[0-9]{1,3}(\.[0-9]{1,20})?$"
_NAME_PATTERN = r"^[^\pZ\pC](?:.*[^\pZ\pC])?$"  # str.strip() would change nothing
_POPULATION_PATTERN = r"^[0-9]{0,18}$"


def _read_block(
    text: str, first_line: int, report: BuildReport, tables: _SideTables, lookup: _AlternateNames | None
) -> pa.RecordBatch:
    """The records of a block of main-file lines (numbered from `first_line`), in line order."""
    lines = pc.split_pattern(pa.array([text], pa.large_string()), "\n").values
    if len(lines) and text.endswith("\n"):
        lines = lines.slice(0, len(lines) - 1)
    if "\r" in text:
        lines = pc.utf8_rtrim(lines, "\r")
    numbers = np.arange(first_line, first_line + len(lines), dtype=np.int64)
    used = pc.and_(pc.greater(pc.binary_length(lines), 0), pc.invert(pc.starts_with(lines, "#")))
    lines, numbers = lines.filter(used), numbers[used.to_numpy(zero_copy_only=False)]
    cells = pc.split_pattern(lines, "\t")
    complete = pc.equal(pc.list_value_length(cells), MAIN_COLUMNS).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(complete)
    starts = cells.offsets.to_numpy()[rows]
    values = cells.values

    def column(index: int) -> pa.Array:
        return values.take(pa.array(starts + index)).cast(pa.string())

    ids, lat_text, lon_text, name = column(0), column(4), column(5), column(1)
    population_text = column(14)
    plain = pc.and_(
        pc.and_(pc.match_substring_regex(ids, _ID_PATTERN), pc.match_substring_regex(name, _NAME_PATTERN)),
        pc.and_(
            pc.and_(
                pc.match_substring_regex(lat_text, _COORDINATE_PATTERN),
                pc.match_substring_regex(lon_text, _COORDINATE_PATTERN),
            ),
            pc.match_substring_regex(population_text, _POPULATION_PATTERN),
        ),
    ).to_numpy(zero_copy_only=False)
    # Numbers of the complete rows, NaN / -1 where a field is not plain (those rows are parsed one by one).
    lat, lon = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    geonameids = np.full(len(rows), -1, dtype=np.int64)
    mask = pa.array(plain)
    lat[plain] = pc.cast(lat_text.filter(mask), pa.float64()).to_numpy()
    lon[plain] = pc.cast(lon_text.filter(mask), pa.float64()).to_numpy()
    geonameids[plain] = pc.cast(ids.filter(mask), pa.int64()).to_numpy()
    plain &= (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)  # NaN compares False
    extras = lookup.get_many(geonameids[plain].tolist()) if lookup is not None else {}
    if extras or tables.countries:
        # Rows that a side file adds names to take the row-by-row path, which merges those names.
        named = np.isin(geonameids, np.fromiter((*extras, *tables.countries), dtype=np.int64))
        plain &= ~named
    fast = pa.array(plain)
    batch = _plain_rows(
        {i: column(i).filter(fast) for i in (1, 2, 3, 6, 7, 8, 10, 11)},
        pa.array(geonameids[plain]),
        lat[plain],
        lon[plain],
        pc.cast(population_text.filter(fast), pa.int64()),
        tables,
    )
    report.count_read(SOURCE, batch.num_rows)
    # Everything else: incomplete rows, rows with unusual fields, rows that side files add names to.
    slow = np.ones(len(lines), dtype=bool)
    slow[rows[plain]] = False
    slow_rows = np.flatnonzero(slow)
    if not len(slow_rows):
        return batch
    parsed = []
    for row, line in zip(slow_rows.tolist(), lines.take(pa.array(slow_rows)).to_pylist(), strict=True):
        result = _parse_main_row(
            line, int(numbers[row]), report, tables.admin1, tables.admin2, tables.parents
        )
        if result is not None:
            parsed.append((row, *result))
    if not parsed:
        return batch
    if lookup is not None:
        missing = [record.geonames_id for _, record, _ in parsed if record.geonames_id not in extras]
        extras.update(lookup.get_many(missing))
    slow_records = records_to_arrow(
        list(_complete([(record, column) for _, record, column in parsed], extras, tables.countries, report))
    )
    order = np.argsort(np.concatenate([rows[plain], np.array([row for row, _, _ in parsed])]), kind="stable")
    table = pa.Table.from_batches([batch, slow_records])
    return table.take(pa.array(order)).combine_chunks().to_batches()[0]


def _plain_rows(
    cols: dict[int, pa.Array],
    geonameids: pa.Array,
    lat: np.ndarray,
    lon: np.ndarray,
    population: pa.Array,
    tables: _SideTables,
) -> pa.RecordBatch:
    """Records of well-formed rows, column by column (no side file adds names to them)."""
    n = len(geonameids)
    name, ascii_name, country, admin1, admin2 = cols[1], cols[2], cols[8], cols[10], cols[11]
    fclass, fcode = cols[6], cols[7]
    pairs = pc.binary_join_element_wise(fclass, fcode, "\x00").dictionary_encode()
    types = [_feature_type(*pair.split("\x00")) for pair in pairs.dictionary.to_pylist()]
    feature_type = pa.array(types, pa.string()).take(pairs.indices)
    feature_code = pc.if_else(
        pc.and_(pc.equal(fclass, ""), pc.equal(fcode, "")),
        "",
        pc.binary_join_element_wise(fclass, fcode, "."),
    )
    has_admin1 = pc.not_equal(admin1, "")
    admin1_key = pc.binary_join_element_wise(country, admin1, ".")
    admin1_name = _lookup(admin1_key, has_admin1, tables.admin1_keys, tables.admin1_names)
    admin2_name = _lookup(
        pc.binary_join_element_wise(admin1_key, admin2, "."),
        pc.and_(has_admin1, pc.not_equal(admin2, "")),
        tables.admin2_keys,
        tables.admin2_names,
    )
    empty = constant_strings("", n)
    no_lists = pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], pa.string()))
    if tables.parents:
        parent_ids = pa.array(
            [tables.parents.get(i, []) for i in geonameids.to_pylist()], pa.list_(pa.string())
        )
    else:
        parent_ids = no_lists
    columns = {
        "record_id": pc.binary_join_element_wise("geonames:", pc.cast(geonameids, pa.string()), ""),
        "source": constant_strings(SOURCE, n),
        "name": name,
        "lat": pa.array(lat),
        "lon": pa.array(lon),
        "feature_type": feature_type,
        "feature_code": feature_code,
        "names": _plain_names(name, ascii_name, cols[3]),
        "country_code": country,
        "admin1_code": admin1,
        "admin1_name": admin1_name,
        "admin2_code": admin2,
        "admin2_name": admin2_name,
        "population": population.fill_null(0),
        "geometry_wkb": pa.nulls(n, pa.binary()),
        "geonames_id": geonameids,
        "wikidata_id": empty,
        "osm_id": empty,
        "naturalearth_id": empty,
        "wikipedia": empty,
        "parent_ids": parent_ids,
    }
    return pa.RecordBatch.from_arrays(list(columns.values()), schema=RECORD_SCHEMA)


def _lookup(keys: pa.Array, present: pa.Array, table_keys: pa.Array, table_names: pa.Array) -> pa.Array:
    """table_names[table_keys == key] where `present`, else "" (the dict.get of the row-by-row parser)."""
    if not len(table_keys):
        return pa.array([""] * len(keys), pa.string())
    found = table_names.take(pc.index_in(keys, value_set=table_keys)).fill_null("")
    return pc.if_else(present, found, "")


def _plain_names(name: pa.Array, ascii_name: pa.Array, alternates: pa.Array) -> pa.ListArray:
    """Each row's names: its name (preferred), its ASCII name and the `alternatenames` column, each text once."""
    n = len(name)
    split = pc.split_pattern(alternates, ",")
    alternate_counts = pc.list_value_length(split).to_numpy(zero_copy_only=False)
    texts = pa.concat_arrays([name, ascii_name, split.values])
    owners = np.concatenate([np.arange(n), np.arange(n), np.repeat(np.arange(n), alternate_counts)])
    # Keep the first of each (row, text) in the order name, ASCII name, alternates (the order of `texts`, so
    # the first occurrence in `texts` is the one to keep); drop empty texts.
    order = np.concatenate(
        [np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64), 2 + _positions(alternate_counts)]
    )
    codes = texts.dictionary_encode().indices.to_numpy().astype(np.int64)
    pair = owners.astype(np.int64) * (int(codes.max(initial=0)) + 1) + codes
    _, first = np.unique(pair, return_index=True)
    first = first[pc.binary_length(texts).to_numpy(zero_copy_only=False)[first] > 0]
    kept = first[np.lexsort((order[first], owners[first]))]
    counts = np.bincount(owners[kept], minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    total = len(kept)
    false = pa.array(np.zeros(total, dtype=bool))
    struct = pa.StructArray.from_arrays(
        [
            texts.take(pa.array(kept)),
            constant_strings(LANG_UNKNOWN, total),
            pa.array(order[kept] == 0),
            false,
            false,
            false,
            constant_strings(SOURCE, total),
        ],
        fields=list(NAME_TYPE),
    )
    return pa.ListArray.from_arrays(pa.array(offsets), struct, type=pa.list_(NAME_TYPE))


def _positions(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within each run of `counts` items."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


_feature_type = functools.lru_cache(maxsize=4096)(from_geonames)  # ~700 distinct codes, millions of rows


def _parse_main_row(
    line: str,
    number: int,
    report: BuildReport,
    admin1: dict[str, str],
    admin2: dict[str, str],
    parents: dict[int, list[str]],
) -> tuple[PlaceRecord, str] | None:
    """A record without its alternate names, and the main file's language-less `alternatenames` column."""
    cols = line.split("\t")
    if len(cols) != MAIN_COLUMNS:
        report.reject(SOURCE, f"wrong column count (expected {MAIN_COLUMNS})", f"line {number}: {line[:200]}")
        return None
    try:
        geonameid = int(cols[0])
    except ValueError:
        report.reject(SOURCE, "geonameid not an integer", f"line {number}: {line[:200]}")
        return None
    try:
        lat = float(cols[4])
        lon = float(cols[5])
    except ValueError:
        report.reject(SOURCE, "non-numeric coordinates", f"line {number}: {cols[4]!r}, {cols[5]!r}")
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # also False for NaN
        report.reject(SOURCE, "coordinates out of range", f"line {number}: id {geonameid}: {lat}, {lon}")
        return None
    name = cols[1].strip() or cols[2].strip()
    if not name:
        report.reject(SOURCE, "no name", f"line {number}: id {geonameid}")
        return None
    feature_class, feature_code, country = cols[6], cols[7], cols[8]
    names = [PlaceName(name, LANG_UNKNOWN, is_preferred=True, source=SOURCE)]
    if cols[2] and cols[2] != name:
        names.append(PlaceName(cols[2], LANG_UNKNOWN, source=SOURCE))
    admin1_key = f"{country}.{cols[10]}" if cols[10] else ""
    record = PlaceRecord(
        record_id=f"geonames:{geonameid}",
        source=SOURCE,
        name=name,
        lat=lat,
        lon=lon,
        feature_type=_feature_type(feature_class, feature_code),
        feature_code=f"{feature_class}.{feature_code}" if feature_class or feature_code else "",
        names=names,
        country_code=country,
        admin1_code=cols[10],
        admin1_name=admin1.get(admin1_key, "") if admin1_key else "",
        admin2_code=cols[11],
        admin2_name=admin2.get(f"{admin1_key}.{cols[11]}", "") if admin1_key and cols[11] else "",
        population=_population(cols[14], report, number),
        geonames_id=geonameid,
        parent_ids=parents.get(geonameid, []),
    )
    return record, cols[3]


def _complete(
    batch: list[tuple[PlaceRecord, str]],
    extras_by_id: dict[int, _Extras],
    countries: dict[int, list[PlaceName]],
    report: BuildReport,
) -> Iterator[PlaceRecord]:
    for record, column in batch:
        names = record.names
        extras = extras_by_id.get(record.geonames_id)
        if extras is not None:
            names.extend(extras.names)
            record.wikidata_id = extras.wikidata_id
            record.wikipedia = extras.wikipedia
        elif column:  # no alternate-names file, or it lacks this id: the language-less column is all there is
            seen = {name.name for name in names}
            for alternate in column.split(","):
                if alternate and alternate not in seen:
                    seen.add(alternate)
                    names.append(PlaceName(alternate, LANG_UNKNOWN, source=SOURCE))
        names.extend(countries.get(record.geonames_id, ()))
        report.count_read(SOURCE)
        yield record


def _population(text: str, report: BuildReport, number: int) -> int:
    if not text:
        return 0
    try:
        value = int(text)
    except ValueError:
        report.repair(SOURCE, "population not an integer, set to 0", f"line {number}: {text!r}")
        return 0
    if value < 0:
        report.repair(SOURCE, "negative population, set to 0", f"line {number}: {text!r}")
        return 0
    if value >= 1 << 63:
        report.repair(SOURCE, "population out of range, set to 0", f"line {number}: {text!r}")
        return 0
    return value


def _read_admin_codes(path: PathOrUrl, report: BuildReport, parts: int, progress: bool) -> dict[str, str]:
    """`admin1CodesASCII.txt` / `admin2Codes.txt`: code ("FR.76", "FR.76.34") -> name."""
    source = f"{SOURCE}:admin{parts - 1}"
    names: dict[str, str] = {}
    for number, line in enumerate(iter_lines(path, report, source, progress=progress), 1):
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 4 or cols[0].count(".") != parts - 1 or not (cols[1] or cols[2]):
            report.reject(
                source,
                f"not code<TAB>name<TAB>asciiname<TAB>geonameid with a {parts}-part code",
                f"line {number}: {line[:200]}",
            )
            continue
        names[cols[0]] = cols[1] or cols[2]
    return names


def _read_country_info(path: PathOrUrl, report: BuildReport, progress: bool) -> dict[int, list[PlaceName]]:
    """`countryInfo.txt`: country geonameid -> its short name ("France") and ISO alpha-2 / alpha-3 codes."""
    source = f"{SOURCE}:countryInfo"
    names: dict[int, list[PlaceName]] = {}
    for number, line in enumerate(iter_lines(path, report, source, progress=progress), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 17:
            report.reject(source, "fewer than 17 columns", f"line {number}: {line[:200]}")
            continue
        try:
            geonameid = int(cols[16])
        except ValueError:
            report.reject(source, "geonameid not an integer", f"line {number}: {line[:200]}")
            continue
        names[geonameid] = [PlaceName(cols[4], LANG_UNKNOWN, source=SOURCE)] if cols[4] else []
        names[geonameid] += [PlaceName(code, LANG_CODE, source=SOURCE) for code in (cols[0], cols[1]) if code]
    return names


def _read_hierarchy(path: PathOrUrl, report: BuildReport, progress: bool) -> dict[int, list[str]]:
    """`hierarchy.txt`: child geonameid -> parent record ids (a few hundred thousand rows: fits in memory)."""
    source = f"{SOURCE}:hierarchy"
    parents: dict[int, list[str]] = defaultdict(list)
    for number, line in enumerate(iter_lines(path, report, source, progress=progress), 1):
        if not line:
            continue
        cols = line.split("\t")
        if len(cols) not in (2, 3):
            report.reject(source, "not parent<TAB>child<TAB>type", f"line {number}: {line[:200]}")
            continue
        try:
            parent, child = int(cols[0]), int(cols[1])
        except ValueError:
            report.reject(source, "ids not integers", f"line {number}: {line[:200]}")
            continue
        parents[child].append(f"geonames:{parent}")
    return dict(parents)


def _flag(text: str) -> bool:
    return text == "1"


def _extras(rows: list[tuple]) -> _Extras:
    extras = _Extras()
    other_wikipedia = ""
    for lang, name, preferred, short, colloquial, historic in rows:
        if lang == "link":
            title = wikipedia_title(name)
            if title is None:
                continue  # links to other sites (official sites, geonames' own pages) are not names
            if title[0] == "en":
                extras.wikipedia = f"en:{title[1]}"
            elif not other_wikipedia:
                other_wikipedia = f"{title[0]}:{title[1]}"
            continue
        if lang == "wkdt":
            if name.startswith("Q") and name[1:].isdigit():
                extras.wikidata_id = name
            continue
        if lang in CODE_LANGUAGES:
            lang = LANG_CODE
        elif lang == "abbr":
            lang = LANG_ABBREVIATION
        elif lang in HISTORIC_LANGUAGES:
            lang, historic = HISTORIC_LANGUAGES[lang], True
        extras.names.append(
            PlaceName(name, lang, bool(preferred), bool(short), bool(historic), bool(colloquial), SOURCE)
        )
    extras.wikipedia = extras.wikipedia or other_wikipedia
    return extras


class _AlternateNames:
    """alternateNamesV2 rows in an on-disk SQLite table, looked up by geonameid while the main file streams."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path)
        self.connection.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
            "CREATE TABLE alt (geonameid INTEGER NOT NULL, lang TEXT, name TEXT,"
            " preferred INTEGER, short INTEGER, colloquial INTEGER, historic INTEGER);"
        )

    def load(
        self, path_or_url: PathOrUrl, report: BuildReport, progress: bool, keep: set[int] | None
    ) -> None:
        """Load the alternate names; with `keep`, only those of these geonameids (rows of others are not read)."""
        source = f"{SOURCE}:alternateNames"
        batch: list[tuple] = []
        insert = "INSERT INTO alt VALUES (?, ?, ?, ?, ?, ?, ?)"
        for number, line in enumerate(iter_lines(path_or_url, report, source, progress=progress), 1):
            if not line:
                continue
            if keep is not None:
                head = line.split("\t", 2)
                if len(head) == 3 and head[1].isdigit() and int(head[1]) not in keep:
                    continue  # a place this build does not read: not parsed, so not judged either
            cols = line.split("\t")
            if len(cols) not in ALTERNATE_COLUMNS:
                report.reject(
                    source,
                    "wrong column count (expected 10, or 8 in the old format)",
                    f"line {number}: {line[:200]}",
                )
                continue
            try:
                geonameid = int(cols[1])
            except ValueError:
                report.reject(source, "geonameid not an integer", f"line {number}: {line[:200]}")
                continue
            lang, name = cols[2].strip(), cols[3].strip()
            if not name:
                report.reject(source, "empty alternate name", f"line {number}: {line[:200]}")
                continue
            if lang in SKIPPED_LANGUAGES:
                continue
            flags = (_flag(cols[4]), _flag(cols[5]), _flag(cols[6]), _flag(cols[7]))
            batch.append((geonameid, lang, name, *flags))
            if len(batch) >= _BATCH:
                self.connection.executemany(insert, batch)
                batch.clear()
        if batch:
            self.connection.executemany(insert, batch)
        with tqdm(total=1, desc="indexing alternate names", disable=not progress, leave=False):
            # Indexing after the bulk insert is several times faster than inserting into an indexed table.
            self.connection.execute("CREATE INDEX alt_id ON alt (geonameid)")
        self.connection.commit()
        self._query = (
            "SELECT geonameid, lang, name, preferred, short, colloquial, historic FROM alt"
            " WHERE geonameid IN (SELECT value FROM json_each(?))"
        )

    def get_many(self, geonameids: list[int]) -> dict[int, _Extras]:
        """The alternate names, Wikidata id and Wikipedia link of each of these ids that has any."""
        rows_by_id: dict[int, list[tuple]] = defaultdict(list)
        for row in self.connection.execute(self._query, (json.dumps(geonameids),)):
            rows_by_id[row[0]].append(row[1:])
        return {geonameid: _extras(rows) for geonameid, rows in rows_by_id.items()}

    def close(self) -> None:
        self.connection.close()


__all__ = ["read_geonames", "read_geonames_batches", "MAIN_COLUMNS", "CODE_LANGUAGES"]
