"""`georeset geoparse`: geoparse text arguments, stdin, a text file, or a JSONL file of documents.

georeset geoparse "Flooding hit Paris, Texas."                      # one JSON object per document
echo "Les inondations ont touché Nîmes." | georeset geoparse --lang auto
georeset geoparse --input docs.jsonl --output out.jsonl             # {"text": ...} per line in, JSONL out
                                                                    # (killed? the same command resumes)
georeset geoparse --input news.jsonl --source-field feed            # a feed's articles inform each other
georeset geoparse --format geojson "Snow in Denver and Boulder."    # a FeatureCollection per document
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from georeset.errors import BadInputError

if TYPE_CHECKING:
    from modeling.geoparsing.types import GeoparsedDoc

FORMATS = ("json", "geojson", "jsonl")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `georeset geoparse`."""
    parser = subparsers.add_parser(
        "geoparse",
        help="find place names in text and link them to gazetteer entities",
        description="Find place names in text and link them to gazetteer entities with footprints.",
    )
    parser.add_argument("texts", nargs="*", metavar="TEXT", help="texts to geoparse (default: stdin)")
    parser.add_argument(
        "--input",
        type=Path,
        help="a .jsonl file of documents ({'text': ...} or a string per line) or a text file",
    )
    parser.add_argument("--output", type=Path, help="write here (atomically) instead of stdout")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="json: one object per document (default); jsonl: one compact line per document (default for a "
        ".jsonl input); geojson: a FeatureCollection per document",
    )
    parser.add_argument("--lang", choices=("en", "fr", "auto"), default="en", help="language of the texts")
    parser.add_argument(
        "--resolver",
        default=None,
        help="LLM for unsure cases: 'default' (embedded SmolLM2-135M) or a Hub id / folder; default: ranker only",
    )
    parser.add_argument("--adapter", default=None, help="a LoRA adapter (folder or Hub id) for the resolver")
    parser.add_argument("--gazetteer", default=None, help="gazetteer folder (default: the built one)")
    parser.add_argument(
        "--ranker-weights",
        default=None,
        help="ranker weights JSON from training/train_ranker.py (default: hand-set)",
    )
    parser.add_argument("--ner", default=None, help="spaCy pipeline name or path replacing the default")
    parser.add_argument("--text-field", default="text", help="the field holding the text in JSONL input")
    parser.add_argument(
        "--source-field",
        default=None,
        help="JSONL input: the field naming each document's source (a paper, a feed); documents of one source "
        "then inform each other (collection context: two passes over the whole input)",
    )
    parser.add_argument("--batch-size", type=int, default=32, help="documents per batch")
    parser.add_argument(
        "--n-process",
        type=int,
        default=1,
        help="CPU processes: without --resolver each parses its share of the documents end to end (2 on 2 cores: "
        "about 1.8x the documents/s of 1)",
    )
    parser.add_argument("--candidates", action="store_true", help="include the considered candidates")
    parser.add_argument("--no-geometry", action="store_true", help="leave out GeoJSON geometries")
    parser.add_argument("--stats", action="store_true", help="print counts and time per stage to stderr")
    parser.set_defaults(func=run_geoparse)


def _read_jsonl(path: Path, field: str) -> Iterator[tuple[dict[str, Any], str]]:
    """(record, text) per line; a line that is not a JSON object/string with text is an error naming the line."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise BadInputError(f"{path}:{number}: not valid JSON ({err.msg})") from err
            if isinstance(record, str):
                record = {field: record}
            if not isinstance(record, dict) or not isinstance(record.get(field), str):
                raise BadInputError(f"{path}:{number}: expected an object with a string field '{field}'")
            yield record, record[field]


def _documents(args: argparse.Namespace) -> tuple[Iterable[tuple[dict[str, Any], str]], int, bool]:
    """The documents to parse (a JSONL file is read lazily), how many there are, and whether they came from JSONL
    (which sets the default output format)."""
    if args.input is not None:
        if not args.input.is_file():
            raise BadInputError(f"--input {args.input}: no such file")
        if args.input.suffix.lower() in (".jsonl", ".ndjson"):
            return _read_jsonl(args.input, args.text_field), _count_records(args.input, args.text_field), True
        from modeling.geoparsing.text_input import as_text

        return [({}, as_text(args.input.read_bytes(), name=str(args.input)))], 1, False
    if args.texts:
        return [({}, text) for text in args.texts], len(args.texts), False
    if sys.stdin.isatty():
        raise BadInputError("no text: give TEXT arguments, --input FILE, or pipe text to stdin")
    from modeling.geoparsing.text_input import as_text

    return [({}, as_text(sys.stdin.buffer.read(), name="stdin"))], 1, False


def _count_records(path: Path, field: str) -> int:
    """How many documents a JSONL file holds. The pass also checks every line, so that a bad line is an error
    before any parsing, not after hours of it."""
    return sum(1 for _ in _read_jsonl(path, field))


def _fingerprint(args: argparse.Namespace, output_format: str) -> dict[str, Any]:
    """What decides the output lines: a partial output is resumed only by a run with the same one."""
    source = args.input.resolve()
    stat = source.stat()
    settings = (
        "text_field",
        "lang",
        "ner",
        "resolver",
        "adapter",
        "gazetteer",
        "ranker_weights",
        "candidates",
    )
    return {
        "input": str(source),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "format": output_format,
        "geometry": not args.no_geometry,
        **{name: getattr(args, name) for name in settings},
    }


def _write(records: Iterator[str], out: TextIO) -> None:
    for record in records:
        out.write(record)
        out.write("\n")


def _write_resumable(
    args: argparse.Namespace,
    render: Callable[..., Iterator[str]],
    documents: Iterable[tuple[dict[str, Any], str]],
    fingerprint: dict[str, Any],
) -> None:
    """One line per document into `--output`, resumable: a killed run keeps its lines, the same command goes on."""
    from georeset.resumable import ResumableLines

    with ResumableLines(args.output, fingerprint) as out:
        if out.done:
            print(f"resuming: {out.done:,} documents already in {out.partial}", file=sys.stderr)
        try:
            for line in render(islice(documents, out.done, None), out.done):
                out.write(line)
        except BaseException:
            print(
                f"stopped after {out.done + out.written:,} documents, kept in {out.partial}: run the same command "
                "again to go on from there",
                file=sys.stderr,
            )
            raise


def run_geoparse(args: argparse.Namespace) -> int:
    """Run `georeset geoparse`."""
    from tqdm import tqdm

    from modeling.geoparsing.geoparser import Geoparser
    from modeling.geoparsing.output import to_geojson

    if args.batch_size < 1:
        raise BadInputError(f"--batch-size {args.batch_size}: must be at least 1")
    if args.n_process < 1:
        raise BadInputError(f"--n-process {args.n_process}: must be at least 1")
    if args.output is not None and args.output.is_dir():
        raise BadInputError(f"--output {args.output}: is a folder; give a file path")
    documents, total, from_jsonl = _documents(args)
    if args.source_field and not from_jsonl:
        raise BadInputError("--source-field needs a .jsonl --input whose records name their source")
    output_format = args.format or ("jsonl" if from_jsonl else "json")
    geoparser = Geoparser(
        args.gazetteer,
        lang=args.lang,
        ner=args.ner,
        resolver=args.resolver,
        adapter=args.adapter,
        with_geometry=not args.no_geometry,
        ranker_weights=args.ranker_weights,
    )

    def parsed(
        documents: Iterable[tuple[dict[str, Any], str]],
    ) -> Iterator[tuple[dict[str, Any], GeoparsedDoc]]:
        if args.source_field:  # the whole input at once: a source's documents inform each other
            documents = list(documents)
            texts = [text for _, text in documents]
            sources = [str(record.get(args.source_field) or "") for record, _ in documents]
            docs = geoparser.parse_collection(texts, sources, args.batch_size, n_process=args.n_process)
            yield from zip((record for record, _ in documents), docs, strict=True)
            return
        # The records wait here while the parser reads their texts ahead; documents come back in input order.
        records: deque[dict[str, Any]] = deque()

        def texts() -> Iterator[str]:
            for record, text in documents:
                records.append(record)
                yield text

        for doc in geoparser.parse_stream(texts(), args.batch_size, n_process=args.n_process):
            yield records.popleft(), doc

    def render(documents: Iterable[tuple[dict[str, Any], str]], done: int = 0) -> Iterator[str]:
        progress = tqdm(total=total, initial=done, unit="doc", disable=total < 2, file=sys.stderr)
        for record, doc in parsed(documents):
            if output_format == "geojson":
                yield json.dumps(to_geojson(doc), ensure_ascii=False)
            else:
                result = {
                    **record,
                    **doc.to_dict(with_candidates=args.candidates, with_geometry=not args.no_geometry),
                }
                yield json.dumps(result, ensure_ascii=False, indent=2 if output_format == "json" else None)
            progress.update()
        progress.close()

    if args.output is None:
        _write(render(documents), sys.stdout)
    elif from_jsonl and output_format != "json" and not args.source_field:
        _write_resumable(args, render, documents, _fingerprint(args, output_format))
    else:  # one result per input, or a whole-collection job: written at once, atomically
        args.output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{args.output.name}.", dir=args.output.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                _write(render(documents), handle)
            os.replace(tmp, args.output)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    if args.stats:
        stats = {
            **geoparser.stats,
            "seconds": {k: round(v, 3) for k, v in geoparser.stats["seconds"].items()},
        }
        print(json.dumps(stats, default=dict), file=sys.stderr)
    return 0


__all__ = ["FORMATS", "add_parser", "run_geoparse"]
