"""Source specs of `georeset geotext build`: which reader reads what.

- `factbook` (the embedded CIA World Factbook, distant labels);
- `wikipedia:PATH` / `wikinews:PATH` (a `pages-articles.xml[.bz2]` dump, distant labels from links and `{{coord}}`);
- `text:PATH` (a .txt file or a folder of them, JSONL or CSV with a `text` column; silver labels by the geoparser);
- `benchmark:PATH` (LGL / GeoVirus / WikToR / EUPEG gold; for evaluation, never trains unless allowed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from data_builders.gazetteer.report import BuildReport
from georeset.errors import BadInputError

if TYPE_CHECKING:
    from data_builders.gazetteer.index import GazetteerIndex

KINDS = ("factbook", "wikipedia", "wikinews", "text", "benchmark")


def parse_spec(spec: str) -> tuple[str, str | None]:
    """`"wikipedia:/data/enwiki.xml.bz2"` -> `("wikipedia", "/data/enwiki.xml.bz2")`.

    Raises:
        BadInputError: an unknown kind, or a kind that needs a path without one.
    """
    kind, _, path = spec.partition(":")
    if kind not in KINDS:
        raise BadInputError(f"--source {spec!r}: unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind != "factbook" and not path:
        raise BadInputError(f"--source {spec!r}: give a path, as in {kind}:PATH")
    return kind, path or None


def read_source(
    spec: str,
    index: GazetteerIndex | None,
    report: BuildReport,
    *,
    limit: int | None = None,
    geoparser=None,
) -> Iterator[dict]:
    """The geotext records of one source spec (see the module docstring)."""
    kind, path = parse_spec(spec)
    if kind == "factbook":
        from data_builders.geotext.factbook import read_factbook

        return read_factbook(index, report, path, limit=limit)
    if kind in ("wikipedia", "wikinews"):
        from data_builders.geotext.wikipedia import read_wiki_dump

        return read_wiki_dump(path, index, report, source=kind, limit=limit)
    if kind == "text":
        from data_builders.geotext.textfiles import read_texts, silver_labels

        records = read_texts(path, report, limit=limit)
        return silver_labels(records, geoparser, report) if geoparser is not None else records
    from data_builders.geotext.benchmarks import read_benchmark

    return read_benchmark(path, report, limit=limit, index=index)


__all__ = ["KINDS", "parse_spec", "read_source"]
