"""Gazetteer build and lookup benchmark: rows/s, peak memory, exact and fuzzy lookup latency.

Two gazetteers, each built in its own subprocess (so that peak memory is that build's alone):

1. the embedded default (`--sources embedded`);
2. a generated GeoNames-format file (`allCountries.txt` layout, 19 columns) of `--rows` rows (default 5 M), with
   realistic syllable-built names, alternate names, clustered coordinates, feature codes and populations, read
   through `--sources geonames:FILE` (the columnar `read_geonames_batches`).

For each: build rows/s (read + conflate + GeoParquet) with its stages, index rows/s, the whole build (both) in
wall and CPU seconds, peak RSS, then lookup latency p50/p99 of exact queries (names drawn from the gazetteer)
and fuzzy queries (the same names with one typo) through the index. Baselines measured in the same run:
pyarrow CSV -> Parquet of the same file (raw I/O, no validation, conflation or names), for lookups a Python
dict (exact) and a rapidfuzz scan of every key (fuzzy), and with `--baseline-src DIR` the same build and index
by another georeset source tree (a folder holding an older `data_builders/`, e.g. a copy of the previous
commit), so that speed-ups are measured on the same machine in the same run.

Targets: build >= 50,000 rows/s; exact p99 <= 1 ms; fuzzy p99 <= 20 ms at 5 M rows; peak memory <= 4 GB.

    python benchmarks/gazetteer_build.py [--rows 5000000] [--skip-embedded] [--work DIR] [--queries 2000]
        [--baseline-src DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SYLLABLES = (
    "ba be bi bo bu ca ce co da de di do du fa fe fi ga go gu ha he ho ka ke ki ko la le li lo lu ma me mi mo mu "
    "na ne ni no nu pa pe pi po ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo wa we ya yo za ze zo "
    "ber bur burg dorf ford ham heim ton ville stadt berg field wood mont port sur"
).split()
SUFFIXES = ("", "", "", " City", " Springs", "-sur-Mer", " Heights", "ville", "burg", " North")
FEATURES = [
    ("P", "PPL", 0.55),
    ("P", "PPLX", 0.08),
    ("H", "STM", 0.1),
    ("T", "MT", 0.08),
    ("H", "LK", 0.05),
    ("S", "SCH", 0.06),
    ("L", "PRK", 0.03),
    ("A", "ADM3", 0.03),
    ("T", "HLL", 0.02),
]
COUNTRIES = "US FR DE GB IT ES CN IN BR RU JP MX CA AU NG ID PK TR IR EG ZA AR CO KE PL UA".split()


def generate_geonames(path: Path, rows: int, seed: int = 0) -> None:
    """Write `rows` lines in the GeoNames main-file layout, with names and coordinates that look real."""
    rng = np.random.default_rng(seed)
    syllables = np.array(SYLLABLES)
    centres = np.column_stack([rng.uniform(-50, 65, 400), rng.uniform(-160, 170, 400)])  # settled regions
    probabilities = np.array([f[2] for f in FEATURES]) / sum(f[2] for f in FEATURES)
    chunk = 200_000
    with open(path, "w", encoding="utf-8") as out:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            parts = rng.integers(2, 5, n)
            pieces = syllables[rng.integers(0, len(syllables), (n, 4))]
            suffix = np.array(SUFFIXES)[rng.integers(0, len(SUFFIXES), n)]
            centre = centres[rng.integers(0, len(centres), n)]
            lat = np.clip(centre[:, 0] + rng.normal(0, 3, n), -89.9, 89.9)
            lon = np.clip(centre[:, 1] + rng.normal(0, 4, n), -179.9, 179.9)
            feature = rng.choice(len(FEATURES), n, p=probabilities)
            population = (rng.pareto(1.2, n) * 300).astype(np.int64) * (feature <= 1)
            country = rng.integers(0, len(COUNTRIES), n)
            alternates = rng.integers(0, 4, n)
            lines = []
            for i in range(n):
                name = "".join(pieces[i, : parts[i]]).capitalize() + suffix[i]
                alts = ",".join(f"{name} {k}" if k else name.upper() for k in range(alternates[i]))
                fclass, fcode, _ = FEATURES[feature[i]]
                lines.append(
                    f"{start + i + 1}\t{name}\t{name}\t{alts}\t{lat[i]:.5f}\t{lon[i]:.5f}\t{fclass}\t{fcode}\t"
                    f"{COUNTRIES[country[i]]}\t\t{country[i] % 50:02d}\t{i % 300:03d}\t\t\t{population[i]}\t\t"
                    f"{int(rng.integers(0, 3000))}\tUTC\t2024-01-01\n"
                )
            out.writelines(lines)


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def run_build(sources: str, out: Path) -> dict:
    """(In a subprocess) build the gazetteer table (read + conflate + GeoParquet + card); timings and peak memory."""
    from data_builders.gazetteer.build import build_gazetteer

    started, cpu_started = time.perf_counter(), time.process_time()
    result = build_gazetteer(out, [sources], progress=False, build_index=False)
    build_cpu = time.process_time() - cpu_started
    build_seconds = result.timings["read"] + result.timings["conflate_and_write"]
    return {
        "records": result.records,
        "entities": result.entities,
        "polygons": result.polygons,
        "languages": len(result.languages),
        "read_s": result.timings["read"],
        "conflate_and_write_s": result.timings["conflate_and_write"],
        "build_s": build_seconds,
        "total_s": time.perf_counter() - started,
        "build_rows_per_s": result.records / build_seconds,
        "build_cpu_s": build_cpu,
        "build_rows_per_cpu_s": result.records / build_cpu,
        "peak_rss_gb": _peak_rss_gb(),
    }


def run_index(folder: Path) -> dict:
    """(In its own subprocess, so that its memory is measured alone) build the candidate index of a folder."""
    from data_builders.gazetteer.index import GazetteerIndex

    shards = sorted((folder / "data").glob("*.parquet"))
    started, cpu_started = time.perf_counter(), time.process_time()
    index = GazetteerIndex.build(shards, folder / "index", progress=False)
    seconds = time.perf_counter() - started
    return {
        "index_s": seconds,
        "index_cpu_s": time.process_time() - cpu_started,
        "index_rows_per_s": len(index) / seconds,
        "index_peak_rss_gb": _peak_rss_gb(),
    }


def run_arrow_baseline(path: Path, out: Path) -> dict:
    """(In a subprocess) pyarrow CSV -> Parquet of the same file: raw I/O, no validation, conflation or names."""
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    started = time.perf_counter()
    table = csv.read_csv(
        path,
        read_options=csv.ReadOptions(autogenerate_column_names=True),
        parse_options=csv.ParseOptions(delimiter="\t", quote_char=False),
    )
    pq.write_table(table, out)
    seconds = time.perf_counter() - started
    return {
        "rows": table.num_rows,
        "seconds": seconds,
        "rows_per_s": table.num_rows / seconds,
        "peak_rss_gb": _peak_rss_gb(),
    }


def _typo(name: str, rng: random.Random) -> str:
    if len(name) < 4:
        return name + "x"
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]  # swap two letters


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    values = np.array(seconds) * 1000
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def run_lookups(folder: Path, queries: int) -> dict:
    """(In a subprocess) exact and fuzzy lookup latency through the index, against dict and rapidfuzz baselines."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    from data_builders.gazetteer import load_gazetteer
    from data_builders.gazetteer.normalize import normalize_name

    index = load_gazetteer(folder)
    table = pq.read_table(sorted((folder / "data").glob("*.parquet")), columns=["entity_id", "name"])
    rng = random.Random(0)
    names = [table.column("name")[rng.randrange(table.num_rows)].as_py() for _ in range(queries)]
    typos = [_typo(name, rng) for name in names]
    for name in names[:50]:  # warm the page cache the way a long-running geoparser would have it
        index.lookup(name)

    def timed(function, items):
        seconds = []
        for item in items:
            started = time.perf_counter()
            function(item)
            seconds.append(time.perf_counter() - started)
        return _percentiles(seconds)

    exact = timed(lambda q: index.lookup(q, top_k=10, fuzzy=False), names)
    fuzzy = timed(lambda q: index.lookup(q, top_k=10, fuzzy=True), typos)
    keys: dict[str, list[str]] = {}
    for entity_id, name in zip(
        table.column("entity_id").to_pylist(), pc.utf8_lower(table.column("name")).to_pylist(), strict=True
    ):
        keys.setdefault(normalize_name(name), []).append(entity_id)
    dict_exact = timed(lambda q: keys.get(normalize_name(q), [])[:10], names)
    choices = list(keys)
    scan = timed(
        lambda q: process.extract(
            normalize_name(q), choices, scorer=Levenshtein.distance, limit=10, score_cutoff=2
        ),
        typos[: max(20, queries // 50)],
    )
    return {
        "entities": len(index),
        "exact_p50_ms": exact[0],
        "exact_p99_ms": exact[1],
        "fuzzy_p50_ms": fuzzy[0],
        "fuzzy_p99_ms": fuzzy[1],
        "dict_exact_p50_ms": dict_exact[0],
        "dict_exact_p99_ms": dict_exact[1],
        "scan_fuzzy_p50_ms": scan[0],
        "scan_fuzzy_p99_ms": scan[1],
        "peak_rss_gb": _peak_rss_gb(),
    }


def _subprocess(*args: str, source_tree: Path | None = None) -> dict:
    command = [sys.executable, __file__, "--worker", *args]
    env = None
    if source_tree is not None:  # that tree's data_builders first on the path
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(source_tree), os.environ.get("PYTHONPATH", "")]),
        }
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False, env=env)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _whole(build: dict) -> tuple[float, float]:
    """Seconds of the whole build (table + index): wall, CPU."""
    return build["build_s"] + build["index_s"], build["build_cpu_s"] + build["index_cpu_s"]


def _report(title: str, build: dict, lookups: dict, baseline: dict | None, before: dict | None) -> None:
    records = build["records"]
    print(f"\n== {title}: {records:,} records -> {build['entities']:,} entities")
    print(
        f"build (read+conflate+parquet): {build['build_s']:.1f} s = {build['build_rows_per_s']:,.0f} rows/s "
        f"(target >= 50,000): read {build['read_s']:.1f} s, conflate+write {build['conflate_and_write_s']:.1f} s"
        + (
            f"; pyarrow CSV->Parquet baseline {baseline['rows_per_s']:,.0f} rows/s, "
            f"ratio {build['build_rows_per_s'] / baseline['rows_per_s']:.2f}"
            if baseline
            else ""
        )
    )
    print(
        f"build CPU time {build['build_cpu_s']:.1f} s = {build['build_rows_per_cpu_s']:,.0f} rows per CPU-second "
        "(the machine may be shared: wall time includes waiting for a core)"
    )
    print(
        f"index build: {build['index_s']:.1f} s = {build['index_rows_per_s']:,.0f} rows/s, "
        f"CPU {build['index_cpu_s']:.1f} s"
    )
    wall, cpu = _whole(build)
    print(
        f"whole build (table + index): {wall:.1f} s = {records / wall:,.0f} rows/s wall, "
        f"{records / cpu:,.0f} rows per CPU-second"
    )
    if before is not None:
        before_wall, before_cpu = _whole(before)
        print(
            f"baseline source tree (same run): table {before['build_s']:.1f} s, index {before['index_s']:.1f} s, "
            f"whole {before_wall:.1f} s = {before['records'] / before_wall:,.0f} rows/s wall, "
            f"{before['records'] / before_cpu:,.0f} rows per CPU-second; speed-up {before_wall / wall:.2f}x wall, "
            f"{before_cpu / cpu:.2f}x CPU; same entities: {before['entities'] == build['entities']}"
        )
    print(
        f"peak memory: build {build['peak_rss_gb']:.2f} GB, index build {build['index_peak_rss_gb']:.2f} GB "
        "(separate processes; target <= 4)"
    )
    print(
        f"exact lookup p50 {lookups['exact_p50_ms']:.3f} ms, p99 {lookups['exact_p99_ms']:.3f} ms (target p99 <= 1); "
        f"dict baseline p99 {lookups['dict_exact_p99_ms']:.4f} ms, ratio {lookups['exact_p99_ms'] / max(lookups['dict_exact_p99_ms'], 1e-9):.0f}x slower"
    )
    print(
        f"fuzzy lookup p50 {lookups['fuzzy_p50_ms']:.2f} ms, p99 {lookups['fuzzy_p99_ms']:.2f} ms (target p99 <= 20); "
        f"rapidfuzz full-scan baseline p50 {lookups['scan_fuzzy_p50_ms']:.1f} ms, speed-up "
        f"{lookups['scan_fuzzy_p50_ms'] / max(lookups['fuzzy_p50_ms'], 1e-9):.0f}x"
    )


def _build_and_index(sources: str, folder: Path, source_tree: Path | None = None) -> dict:
    build = _subprocess("build", sources, str(folder), source_tree=source_tree)
    build.update(_subprocess("index", str(folder), source_tree=source_tree))
    return build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the generated GeoNames file")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        default=None,
        help="a georeset source tree (holding data_builders/) whose build and index are measured too, for ratios",
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        result = {
            "build": lambda: run_build(rest[0], Path(rest[1])),
            "index": lambda: run_index(Path(rest[0])),
            "arrow": lambda: run_arrow_baseline(Path(rest[0]), Path(rest[1])),
            "lookups": lambda: run_lookups(Path(rest[0]), int(rest[1])),
        }[kind]()
        print(json.dumps(result))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="gazetteer-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        before = None
        if not args.skip_embedded:
            if args.baseline_src:
                before = _build_and_index("embedded", work / "embedded-baseline", args.baseline_src)
            build = _build_and_index("embedded", work / "embedded")
            lookups = _subprocess("lookups", str(work / "embedded"), str(args.queries))
            _report("embedded default", build, lookups, None, before)
        if not args.skip_generated:
            source = work / "allCountries-generated.txt"
            started = time.perf_counter()
            generate_geonames(source, args.rows)
            print(
                f"\ngenerated {args.rows:,} GeoNames rows ({source.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s"
            )
            baseline = _subprocess("arrow", str(source), str(work / "arrow.parquet"))
            if args.baseline_src:
                before = _build_and_index(
                    f"geonames:{source}", work / "generated-baseline", args.baseline_src
                )
                shutil.rmtree(work / "generated-baseline", ignore_errors=True)
            build = _build_and_index(f"geonames:{source}", work / "generated")
            lookups = _subprocess("lookups", str(work / "generated"), str(args.queries))
            _report(f"generated GeoNames file ({args.rows:,} rows)", build, lookups, baseline, before)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


__all__ = ["generate_geonames", "run_build", "run_index", "run_arrow_baseline", "run_lookups", "main"]

if __name__ == "__main__":
    main()
