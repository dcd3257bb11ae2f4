"""Fit the geoparser ranker's feature weights on gold-annotated documents of your domain.

    python training/train_ranker.py --corpus my_gold.xml --corpus more_gold/ --out runs/ranker.json
    georeset geoparse --ranker-weights runs/ranker.json "..."
    georeset eval geoparsing --corpus other_gold.xml --mode gold --ranker-weights runs/ranker.json --out r.json

Any corpus format `georeset eval geoparsing` reads (LGL / GeoWebNews / TR-News XML, GeoVirus XML, WikToR, EUPEG gold
lines) can train. Documents are split by a hash of their id into training and validation parts; the validation
accuracy of the hand-set weights and of the fitted ones is printed and written with the weights, so the fitted file
is only worth using when it wins there. The fit is a conditional logit over each toponym's candidates, regularised
towards the hand-set weights (`training/ranker_fit.py`); context features depend on the weights, so features are
re-collected and the weights refitted for `--rounds` rounds. Fitted on one corpus, weights help held-out documents of
that corpus; across corpora of another kind they may not (the note of issue 4 has the figures): keep the evaluated
corpus out of training.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_builders.geotext.corpora import load_corpus  # noqa: E402
from georeset.errors import BadInputError  # noqa: E402
from modeling.geoparsing.rank import RankerWeights  # noqa: E402
from training.ranker_fit import CollectReport, accuracy, collect_examples, fit_weights, save_weights  # noqa: E402


def split_of(doc_id: str, validation_fraction: float) -> str:
    """'validation' or 'train', from a stable hash of the document id (the same on every machine and run)."""
    bucket = zlib.crc32(doc_id.encode("utf-8")) % 1000
    return "validation" if bucket < round(validation_fraction * 1000) else "train"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", action="append", required=True, help="gold corpus file or folder (repeatable)"
    )
    parser.add_argument("--out", type=Path, required=True, help="the weights JSON to write")
    parser.add_argument("--gazetteer", default=None, help="gazetteer folder (default: the built one)")
    parser.add_argument("--limit", type=int, default=None, help="first N documents of each corpus")
    parser.add_argument(
        "--init", type=Path, default=None, help="weights JSON to start from (default: hand-set)"
    )
    parser.add_argument("--strength", type=float, default=10.0, help="pull towards the starting weights (L2)")
    parser.add_argument("--rounds", type=int, default=2, help="collect-and-fit rounds (context features)")
    parser.add_argument(
        "--validation-fraction", type=float, default=0.2, help="documents held out to compare"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if not 0.0 <= args.validation_fraction < 1.0:
        raise BadInputError(f"--validation-fraction {args.validation_fraction}: must be in [0, 1)")
    if args.rounds < 1:
        raise BadInputError(f"--rounds {args.rounds}: must be at least 1")

    from modeling.geoparsing import Geoparser

    documents = {"train": [], "validation": []}
    for path in args.corpus:
        corpus = load_corpus(path, limit=args.limit)
        for doc in corpus.documents:
            documents[split_of(f"{corpus.name}/{doc.doc_id}", args.validation_fraction)].append(doc)
    if not any(t.has_coordinates for doc in documents["train"] for t in doc.toponyms):
        raise BadInputError(
            f"--corpus {', '.join(args.corpus)}: no gold toponym with coordinates in the training documents"
        )
    start = RankerWeights.load(args.init) if args.init else RankerWeights()
    geoparser = Geoparser(args.gazetteer, ranker_weights=start, with_geometry=False)
    weights, fits = start, []
    for round_ in range(args.rounds):
        geoparser.ranker.weights = weights  # context features follow the current weights
        report = CollectReport()
        examples = collect_examples(geoparser, documents["train"], report=report, progress=not args.quiet)
        weights, fit = fit_weights(examples, start, strength=args.strength)
        fits.append({"round": round_ + 1, **fit, "collected": report.__dict__})
        print(f"round {round_ + 1}: {fit}", file=sys.stderr)
    summary: dict = {
        "corpora": args.corpus,
        "documents": {k: len(v) for k, v in documents.items()},
        "fits": fits,
    }
    if documents["validation"]:
        validation = {}
        for name, candidate in (("start", start), ("fitted", weights)):
            geoparser.ranker.weights = candidate
            held_out = collect_examples(geoparser, documents["validation"], progress=False)
            validation[name] = round(accuracy(held_out, candidate), 4)
        validation["examples"] = len(held_out)
        summary["validation_accuracy"] = validation
        print(
            f"validation ({len(documents['validation'])} documents, {len(held_out)} toponyms with 2+ candidates "
            f"and a right one): start {validation['start']:.4f} -> fitted {validation['fitted']:.4f}",
            file=sys.stderr,
        )
    save_weights(weights, args.out, training=summary)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
