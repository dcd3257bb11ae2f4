"""Does the LLM step help? Gold-mode Acc@161km of the ranker alone and with the LLM, on the toponyms sent to it.

    .venv/bin/python benchmarks/geoparser_llm_gain.py [--limit 100] [--margin 0.2] [--resolver default] [--out f.json]

For every gold toponym whose ranker margin is below `--margin`, the LLM scores the options; the report gives, on
those toponyms only, the share within 161 km of the gold point for the ranker's choice and for the LLM's, and
overall figures for both. Needs the built gazetteer and `../shared/data/geoparsing`; says what is missing otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from georeset.errors import MissingAssetError  # noqa: E402
from georeset.settings import shared_data_dir  # noqa: E402

CORPORA = {"LGL": "LGL/lgl.xml", "GeoVirus": "GeoVirus/GeoVirus.xml", "WikToR": "WikToR"}


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def _within(candidate: dict | None, gold) -> bool:
    return candidate is not None and _km(candidate["lat"], candidate["lon"], gold.lat, gold.lon) <= 161


def measure(geoparser, corpus) -> dict:
    """Ranker vs LLM on the toponyms the LLM decided, and both overall."""
    sent = ranker_hits = llm_hits = total = ranker_total_hits = llm_total_hits = 0
    calibration: list[tuple[float, bool]] = []  # (ranker confidence, right within 161 km)
    for doc in corpus.documents:
        gold = [t for t in doc.toponyms if t.has_coordinates]
        if not gold:
            continue
        for g, toponym in zip(
            gold, geoparser.resolve(doc.text, [(t.start, t.end) for t in gold]), strict=True
        ):
            total += 1
            ranker_top = max(toponym.candidates, key=lambda c: c["probability"], default=None)
            if toponym.entity_id is None:
                ranker_top = None
            chosen = next((c for c in toponym.candidates if c["entity_id"] == toponym.entity_id), None)
            ranker_ok, llm_ok = _within(ranker_top, g), _within(chosen, g)
            ranker_total_hits += ranker_ok
            if ranker_top is not None:
                calibration.append((ranker_top["probability"], ranker_ok))
            llm_total_hits += llm_ok
            if toponym.stage == "llm":
                sent += 1
                ranker_hits += ranker_ok
                llm_hits += llm_ok
    return {
        "toponyms": total,
        "sent_to_llm": sent,
        "share_sent": round(sent / max(total, 1), 3),
        "acc161_on_sent_ranker": round(ranker_hits / max(sent, 1), 4),
        "acc161_on_sent_llm": round(llm_hits / max(sent, 1), 4),
        "acc161_all_ranker_only": round(ranker_total_hits / max(total, 1), 4),
        "acc161_all_with_llm": round(llm_total_hits / max(total, 1), 4),
        "ranker_calibration": _calibration(calibration),
    }


def _calibration(pairs: list[tuple[float, bool]], bins: int = 10) -> dict:
    """Expected calibration error of the ranker's confidence, and accuracy per confidence bin."""
    table, ece = [], 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [(c, ok) for c, ok in pairs if low <= c < high or (b == bins - 1 and c == 1.0)]
        if not inside:
            continue
        confidence = sum(c for c, _ in inside) / len(inside)
        accuracy = sum(ok for _, ok in inside) / len(inside)
        ece += len(inside) / len(pairs) * abs(confidence - accuracy)
        table.append(
            {
                "bin": f"{low:.1f}-{high:.1f}",
                "n": len(inside),
                "confidence": round(confidence, 3),
                "accuracy": round(accuracy, 3),
            }
        )
    return {"ece": round(ece, 4), "bins": table}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=100, help="documents per corpus")
    parser.add_argument("--margin", type=float, default=0.2, help="ranker margin below which the LLM decides")
    parser.add_argument("--resolver", default="default", help="LLM: 'default' or a Hub id / folder")
    parser.add_argument("--adapter", default=None, help="LoRA adapter for the LLM")
    parser.add_argument("--corpora", nargs="+", default=list(CORPORA), choices=list(CORPORA))
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    data = shared_data_dir()
    if data is None:
        print("skipped: ../shared/data is absent (set GEORESET_SHARED_DATA)")
        return 0
    from data_builders.geotext.corpora import load_corpus
    from modeling.geoparsing import Geoparser

    try:
        geoparser = Geoparser(resolver=args.resolver, adapter=args.adapter, llm_margin=args.margin)
    except MissingAssetError as err:
        print(f"skipped: {err}")
        return 0
    results = {"margin": args.margin, "resolver": args.resolver, "limit": args.limit}
    for name in args.corpora:
        corpus = load_corpus(data / "geoparsing" / CORPORA[name], limit=args.limit)
        results[name] = measure(geoparser, corpus)
        print(f"{name}: {json.dumps(results[name])}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
