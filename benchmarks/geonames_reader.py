"""Throughput of the GeoNames reader on a generated dump in the real format (prints figures; not a test).

    .venv/bin/python benchmarks/geonames_reader.py --rows 1000000 [--alternate-names 2]

Writes `allCountries.txt` (19 columns) and, with `--alternate-names N`, an `alternateNamesV2.txt` with about N
names per place in random languages, into a temporary folder; then reads them with `read_geonames` and prints rows
per second for the main file alone and joined with the alternate names, both for the columnar reader the build
uses (`read_geonames_batches`: record batches) and for `read_geonames` (one `PlaceRecord` per row, made from those
batches), and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from data_builders.gazetteer.geonames import read_geonames, read_geonames_batches
from data_builders.gazetteer.report import BuildReport

FEATURES = [
    ("P", "PPL"),
    ("P", "PPLA2"),
    ("H", "STM"),
    ("T", "MT"),
    ("S", "HTL"),
    ("A", "ADM3"),
    ("L", "PRK"),
]
LANGUAGES = ["", "en", "fr", "de", "es", "ru", "zh", "ar", "post", "link", "wkdt", "abbr"]


def write_dump(folder: Path, rows: int, alternate_names: float, seed: int = 0) -> tuple[Path, Path | None]:
    """A GeoNames-format main file of `rows` places and, if asked, an alternate-names file."""
    rng = random.Random(seed)
    main = folder / "allCountries.txt"
    alternates = folder / "alternateNamesV2.txt" if alternate_names else None
    alt_out = open(alternates, "w", encoding="utf-8") if alternates else None
    alternate_id = 0
    with open(main, "w", encoding="utf-8") as out:
        for i in range(1, rows + 1):
            fclass, fcode = rng.choice(FEATURES)
            name = f"Lieu {i} Saint-Étienne"
            column = ",".join(f"Alt {i}.{k}" for k in range(rng.randint(0, 4)))
            lat, lon = rng.uniform(-90, 90), rng.uniform(-180, 180)
            out.write(
                f"{i}\t{name}\t{name}\t{column}\t{lat:.5f}\t{lon:.5f}\t{fclass}\t{fcode}\tFR\t\t76\t34\t\t\t"
                f"{rng.randint(0, 100000)}\t\t120\tEurope/Paris\t2024-01-01\n"
            )
            if alt_out is not None:
                for _ in range(rng.randint(0, int(2 * alternate_names))):
                    alternate_id += 1
                    lang = rng.choice(LANGUAGES)
                    text = (
                        f"https://{lang or 'en'}.wikipedia.org/wiki/Lieu_{i}"
                        if lang == "link"
                        else f"Nom {i}"
                    )
                    text = f"Q{i}" if lang == "wkdt" else text
                    alt_out.write(f"{alternate_id}\t{i}\t{lang}\t{text}\t{rng.randint(0, 1)}\t\t\t\t\t\n")
    if alt_out is not None:
        alt_out.close()
    return main, alternates


def measure(main: Path, alternates: Path | None, batches: bool = True) -> tuple[int, float, float]:
    """(records, wall seconds, CPU seconds): on a shared machine the CPU time is the steadier figure.

    With `batches`, the record batches of `read_geonames_batches` (what a build reads); else `read_geonames`'s
    `PlaceRecord`s.
    """
    report = BuildReport()
    start, cpu = time.perf_counter(), time.process_time()
    if batches:
        count = sum(b.num_rows for b in read_geonames_batches(main, report, alternate_names=alternates))
    else:
        count = sum(1 for _ in read_geonames(main, report, alternate_names=alternates))
    return count, time.perf_counter() - start, time.process_time() - cpu


def _line(label: str, count: int, seconds: float, cpu: float) -> str:
    return (
        f"{label:<34} {count:,} records in {seconds:.1f} s = {count / seconds:,.0f} rows/s"
        f" (CPU {cpu:.1f} s = {count / cpu:,.0f} rows/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--alternate-names", type=float, default=0.0, help="mean alternate names per place")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="georeset-bench-") as folder:
        start = time.perf_counter()
        main_file, alternates = write_dump(Path(folder), args.rows, args.alternate_names)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - start:.1f} s")
        print(_line("main file alone (batches):", *measure(main_file, None)))
        print(_line("main file alone (records):", *measure(main_file, None, batches=False)))
        if alternates is not None:
            with open(alternates, encoding="utf-8") as lines:
                n_alternates = sum(1 for _ in lines)
            print(_line(f"with {n_alternates:,} alternate names:", *measure(main_file, alternates)))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()


__all__ = ["write_dump", "measure"]
