"""Geoparser throughput on LGL news articles: documents/s end to end, time per stage, share sent to the LLM.

The baseline, measured in the same run with the same processes, is spaCy's NER alone over the same texts (the
stage the geoparser cannot skip): the ratio says what gazetteer recovery, candidates and ranking cost on top.
With several processes a second baseline is the older way of using them, recognition alone spread over spaCy's
`n_process` with the other stages in the parent; `parse_batch` now parses whole documents in forked workers.

    .venv/bin/python benchmarks/geoparser_throughput.py [--docs 300] [--llm-docs 60] [--n-process 1 2] [--out f.json]

Needs the built gazetteer (`georeset gazetteer build`) and `../shared/data/geoparsing/LGL/lgl.xml`; without them it
says what is missing and exits 0 (so `make bench` runs everywhere). Target: >= 40 documents/s without the LLM on
2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from georeset.errors import MissingAssetError  # noqa: E402
from georeset.settings import shared_data_dir  # noqa: E402


def _run(geoparser, texts: list[str], n_process: int) -> dict:
    """Parse the texts once (after an 8-document warm-up) and report the rate and the time per stage.

    Give each run a new `Geoparser` (sharing the index): its caches of names and geometries then start as cold as
    in a user's first call, whatever ran before.
    """
    geoparser.parse_batch(texts[:8], n_process=1)  # loads spaCy and warms the caches of the first names
    geoparser.reset_stats()
    started = time.perf_counter()
    docs = geoparser.parse_batch(texts, batch_size=64, n_process=n_process)
    elapsed = time.perf_counter() - started
    stats = geoparser.stats
    words = sum(len(t.split()) for t in texts)
    return {
        "documents": len(texts),
        "n_process": n_process,
        "seconds": round(elapsed, 2),
        "docs_per_s": round(len(texts) / elapsed, 1),
        "words_per_s": round(words / elapsed),
        "toponyms": sum(len(d.toponyms) for d in docs),
        "seconds_per_stage": {k: round(v, 2) for k, v in stats["seconds"].items()},
        "llm_calls": stats["llm_calls"],
        "share_sent_to_llm": round(stats["llm_calls"] / max(stats["mentions"], 1), 3),
    }


def _recognition_only_parallel(geoparser, texts: list[str], n_process: int) -> float:
    """Documents/s when only recognition is spread over processes (spaCy's `n_process`) and candidates, ranking
    and output run in this one: what `parse_batch` did before whole-pipeline workers."""
    geoparser.parse_batch(texts[:8], n_process=1)  # the same warm-up as `_run`
    started = time.perf_counter()
    geoparser._resolve_documents(texts, geoparser._recognize(texts, 64, n_process))
    return len(texts) / (time.perf_counter() - started)


def _spacy_baseline(geoparser, texts: list[str], n_process: int) -> float:
    """Documents/s of the geoparser's own spaCy pipeline alone, with the components it runs."""
    recognizer = geoparser.recognizer("en")
    nlp, disabled = recognizer.nlp, recognizer._skipped_components()
    list(nlp.pipe(texts[:8], disable=disabled))
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=64, n_process=n_process, disable=disabled):
        pass
    return len(texts) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=300, help="LGL articles for the ranker-only runs")
    parser.add_argument(
        "--llm-docs", type=int, default=60, help="LGL articles for the run with the LLM (0: skip)"
    )
    parser.add_argument("--n-process", type=int, nargs="+", default=[1, 2], help="spaCy processes to try")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    data = shared_data_dir()
    lgl = data / "geoparsing" / "LGL" / "lgl.xml" if data else None
    if lgl is None or not lgl.is_file():
        print("skipped: ../shared/data/geoparsing/LGL/lgl.xml is absent (set GEORESET_SHARED_DATA)")
        return 0
    from data_builders.geotext.corpora import load_corpus
    from modeling.geoparsing import Geoparser

    texts = [doc.text for doc in load_corpus(lgl).documents]
    try:
        geoparser = Geoparser()
    except MissingAssetError as err:
        print(f"skipped: {err}")
        return 0
    results = {"corpus": str(lgl), "ranker_only": [], "with_llm": None}
    for n_process in args.n_process:
        result = _run(Geoparser(geoparser.index), texts[: args.docs], n_process)
        baseline = _spacy_baseline(geoparser, texts[: args.docs], n_process)
        result["spacy_ner_alone_docs_per_s"] = round(baseline, 1)
        result["ratio_to_spacy_ner_alone"] = round(result["docs_per_s"] / baseline, 3)
        if n_process > 1:
            before = _recognition_only_parallel(Geoparser(geoparser.index), texts[: args.docs], n_process)
            result["recognition_only_parallel_docs_per_s"] = round(before, 1)
            result["ratio_to_recognition_only_parallel"] = round(result["docs_per_s"] / before, 3)
        results["ranker_only"].append(result)
        print(f"ranker only, n_process={n_process}: {json.dumps(result)}", flush=True)
    if args.llm_docs > 0:
        with_llm = Geoparser(geoparser.index, resolver="default")
        result = _run(with_llm, texts[: args.llm_docs], 1)
        results["with_llm"] = result
        print(f"with LLM: {json.dumps(result)}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
