"""Ranker alone vs ranker + untuned LLM vs ranker + LoRA-tuned LLM, in gold mode, on the benchmark corpora.

    python benchmarks/resolver_comparison.py --adapter runs/resolver-lora --limit 20 --out-dir runs/compare
    python benchmarks/resolver_comparison.py --adapter runs/resolver-lora --extra default@0.35 --threads 2 ...

One report per corpus (the `georeset eval geoparsing --compare` layout) and a Markdown table of Acc@161km on the
toponyms sent to the LLM; the geoparser and its gazetteer are loaded once for all corpora.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_builders.geotext.corpora import load_corpus  # noqa: E402
from eval.geoparsing.compare import compare_resolvers, format_comparison  # noqa: E402
from georeset.settings import shared_data_dir  # noqa: E402

CORPORA = {"LGL": "LGL/lgl.xml", "GeoVirus": "GeoVirus/GeoVirus.xml", "WikToR": "WikToR"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", help="the LoRA adapter folder or Hub id")
    parser.add_argument(
        "--resolvers",
        help="comma-separated specs instead of none,default,ADAPTER (e.g. none,default to measure the baselines "
        "while an adapter trains)",
    )
    parser.add_argument("--corpora", default=",".join(CORPORA), help="comma-separated: LGL,GeoVirus,WikToR")
    parser.add_argument("--limit", type=int, default=None, help="first N documents of each corpus")
    parser.add_argument(
        "--gazetteer", default=None, help="gazetteer folder (default $GEORESET_HOME/gazetteer)"
    )
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        help="more resolver specs to compare, e.g. default@0.35 (the untuned LLM at another weight)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all cores)")
    args = parser.parse_args(argv)
    specs = args.resolvers.split(",") if args.resolvers else ["none", "default", args.adapter]
    if None in specs:
        parser.error("give --adapter or --resolvers")
    specs += args.extra
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    data = shared_data_dir()
    if data is None:
        parser.error("the shared benchmark data folder is absent (set GEORESET_SHARED_DATA)")
    from modeling.geoparsing import Geoparser

    geoparser = Geoparser(gazetteer=args.gazetteer, with_geometry=False)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    tables = []
    for name in args.corpora.split(","):
        started = time.perf_counter()
        corpus = load_corpus(data / "geoparsing" / CORPORA[name], limit=args.limit)
        report = compare_resolvers(corpus, geoparser, specs, progress=False)
        report["seconds"] = round(time.perf_counter() - started, 1)
        (args.out_dir / f"{name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
        tables.append(format_comparison(report) + f"\n({report['seconds']} s)")
        print(tables[-1], flush=True)
    (args.out_dir / "comparison.md").write_text("\n\n".join(tables) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
