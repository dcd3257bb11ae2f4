"""Whole-pipeline parallelism: documents parsed end to end in forked worker processes.

spaCy's own `n_process` spreads only recognition over processes: candidates, ranking and output then run in the
parent on one core while the others wait, and every spaCy `Doc` is serialized back to the parent. Here each worker
runs every stage for its share of the documents and sends back finished `GeoparsedDoc`s. Workers are forked, so they
start with the parent's loaded spaCy pipeline and memory-mapped gazetteer index, at no load cost.

Used by `Geoparser.parse_stream` and `parse_batch` with `n_process=N` when the LLM step is off (the LLM stays in the
parent, where its questions are batched across documents) and the platform can fork.
"""

from __future__ import annotations

import math
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import TYPE_CHECKING, Any

from georeset.errors import GeoresetError
from modeling.geoparsing.output import PolygonsLater

if TYPE_CHECKING:
    from modeling.geoparsing.geoparser import Geoparser
    from modeling.geoparsing.types import GeoparsedDoc

CHUNKS_PER_PROCESS = 4
"""Chunks each worker gets on average: enough that one slow chunk does not leave the other workers idle."""

IN_FLIGHT_PER_PROCESS = 2
"""Tasks submitted ahead per worker: one running, one queued, so that no worker waits for the next."""

_PARENT: Geoparser | None = None  # set just before the fork; each worker uses its inherited copy


def can_fork() -> bool:
    """Whether worker processes can be forked here (not on Windows; macOS allows it)."""
    return "fork" in multiprocessing.get_all_start_methods()


def chunk_size(n_texts: int, batch_size: int, n_process: int) -> int:
    """Documents per task: at most `batch_size`, small enough for `CHUNKS_PER_PROCESS` tasks per worker."""
    return max(1, min(batch_size, math.ceil(n_texts / (CHUNKS_PER_PROCESS * n_process))))


def parse_in_workers(
    geoparser: Geoparser, texts: Iterable[str], chunk: int, n_process: int
) -> Iterator[tuple[list[GeoparsedDoc], dict[str, Any]]]:
    """Parse `texts` in `n_process` forked workers, `chunk` documents per task.

    Yields each task's documents and stats, in input order. One pool serves the whole iterable, so the workers'
    caches of names and geometries stay warm from one task to the next; at most `IN_FLIGHT_PER_PROCESS` tasks per
    worker are read ahead, so a stream is never read whole into memory.

    Raises:
        GeoresetError: a worker died (killed for memory, say) instead of returning its documents.
    """
    global _PARENT
    previous, _PARENT = _PARENT, geoparser  # the workers are forked from here on, at the first submissions
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(n_process, mp_context=context) as pool:
            pending: deque[Future] = deque()
            try:
                for texts_chunk in batches(texts, chunk):
                    pending.append(pool.submit(_parse_chunk, texts_chunk))
                    if len(pending) >= IN_FLIGHT_PER_PROCESS * n_process:
                        yield _result(pending.popleft())
                while pending:
                    yield _result(pending.popleft())
            finally:  # a caller that stops early (or an error) leaves no queued task to wait for
                for future in pending:
                    future.cancel()
    finally:
        _PARENT = previous


def _result(future: Future) -> tuple[list[GeoparsedDoc], dict[str, Any]]:
    try:
        return future.result()
    except BrokenProcessPool as err:
        raise GeoresetError(
            "a geoparsing worker process died before returning its documents (killed for lack of memory?); "
            "run again with fewer processes (n_process / --n-process) or smaller documents"
        ) from err


def batches(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    """Consecutive lists of `size` texts (the last one shorter), read lazily from any iterable."""
    iterator = iter(texts)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _parse_chunk(texts: list[str]) -> tuple[list[GeoparsedDoc], dict[str, Any]]:
    geoparser = _PARENT
    if geoparser is None:  # only reachable if a pool were started some other way than parse_in_workers
        raise RuntimeError("geoparsing worker started without a parent geoparser")
    if not isinstance(geoparser.geometry, PolygonsLater):  # this worker's copy: the parent fills footprints
        geoparser.geometry = PolygonsLater(geoparser.geometry.index)
    geoparser.reset_stats()
    docs = geoparser.parse_batch(texts, batch_size=len(texts))
    return docs, geoparser.stats


__all__ = [
    "CHUNKS_PER_PROCESS",
    "IN_FLIGHT_PER_PROCESS",
    "batches",
    "can_fork",
    "chunk_size",
    "parse_in_workers",
]
