"""Fuzzy search over millions of distinct name keys: character-trigram postings in memory-mapped numpy arrays.

Layout (all `.npy`, opened with `mmap_mode="r"`, so opening costs nothing and processes share the page cache):

- `keys_blob.npy` / `keys_offsets.npy`: the UTF-8 keys, concatenated, ids ordered by length, then bytes, so
  `find` is a binary search among the keys of one length and `prefix_ids` one per length;
- `length_starts.npy`: the first key id of each length, so a query of length L reads only ids of lengths
  L - d .. L + d;
- `gram_hashes.npy` / `gram_offsets.npy` / `postings.npy`: for each trigram (32-bit hash, sorted), the sorted ids
  of the keys that contain it.

A search pads the key ("\\x01\\x01paris\\x01\\x01"), takes its distinct trigrams and uses the q-gram lemma: a key
within d edits shares at least n - 4d of the query's n distinct trigrams (an edit, a transposition of neighbours
included, touches at most 4 trigrams). So a candidate holds one of the
n - T + 1 rarest trigrams; those few postings give the candidates, the common trigrams are only probed by binary
search, and rapidfuzz's optimal-string-alignment distance (Levenshtein plus transpositions) verifies the survivors. Hash collisions only let extra candidates
through the filter, which the verification removes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

PAD = "\x01\x01"  # never in a normalized key (control characters become spaces)
_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top 32 bits of code * golden ratio
_FILES = ("keys_blob", "keys_offsets", "length_starts", "gram_hashes", "gram_offsets", "postings")
_BUILD_CHUNK_KEYS = 250_000  # bounds the temporary arrays of the build (~40 bytes per trigram)
_SPLIT_STEP = 1 << 24  # trigram pairs split into hashes and ids per step (bounds one more temporary array)
# One edit (substitution, insertion, deletion, or a transposition of neighbours) changes at most 4 trigrams.
GRAMS_PER_EDIT = 4
MAX_CANDIDATES = 1_000  # keys verified per search, those sharing the most trigrams with the query


def max_edit_distance(length: int) -> int:
    """Edits allowed for a key of `length` characters: none under 4 ("Rio" is no misspelling), 1 up to 9, then 2.

    Two edits in a shorter key leave too few shared trigrams to filter on (and too many near names to choose from).
    """
    if length < 4:
        return 0
    return 1 if length < 10 else 2


def _gram_hashes(codepoints: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """32-bit hashes of the trigrams starting at `starts` in a UTF-32 code-point array."""
    c0 = codepoints[starts].astype(np.uint64)
    c1 = codepoints[starts + 1].astype(np.uint64)
    c2 = codepoints[starts + 2].astype(np.uint64)
    code = (c0 << np.uint64(42)) | (c1 << np.uint64(21)) | c2
    return ((code * _HASH_MULTIPLIER) >> np.uint64(32)).astype(np.uint32)


def _query_hashes(key: str) -> np.ndarray:
    codepoints = np.frombuffer((PAD + key + PAD).encode("utf-32-le"), dtype=np.uint32)
    return np.unique(_gram_hashes(codepoints, np.arange(len(key) + 2)))


def _chunk_pairs(keys: Sequence[str], first_id: int) -> np.ndarray:
    """The (hash << 32 | key id) pairs of a chunk of keys, all in numpy."""
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    codepoints = np.frombuffer((PAD + (PAD + PAD).join(keys) + PAD).encode("utf-32-le"), dtype=np.uint32)
    key_starts = np.concatenate(([0], np.cumsum(lengths + 4)[:-1]))  # where each padded key begins
    grams_per_key = lengths + 2
    gram_key = np.repeat(np.arange(len(keys), dtype=np.int64), grams_per_key)
    first_gram = np.concatenate(([0], np.cumsum(grams_per_key)[:-1]))
    starts = key_starts[gram_key] + (np.arange(len(gram_key)) - first_gram[gram_key])
    return (_gram_hashes(codepoints, starts).astype(np.uint64) << np.uint64(32)) | (
        gram_key + first_id
    ).astype(np.uint64)


def key_order(keys: Sequence[str] | pa.Array) -> np.ndarray:
    """The permutation that sorts `keys` by length (in characters), then by UTF-8 bytes: the order of key ids."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    array = keys if isinstance(keys, pa.Array) else pa.array(keys, pa.string())
    table = pa.table({"length": pc.utf8_length(array), "key": array})
    return pc.sort_indices(table, sort_keys=[("length", "ascending"), ("key", "ascending")]).to_numpy()


@dataclass
class FuzzyMatch:
    """A key within the allowed edit distance of the query."""

    key: str
    key_id: int
    distance: int
    similarity: float  # 1 - distance / max(len(query), len(key))


class TrigramIndex:
    """Distinct keys with trigram postings, memory-mapped from a folder."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        # Plain ndarray views of the memory maps: np.memmap's Python-level indexing costs ~5 us per access.
        arrays = {name: array.view(np.ndarray) for name, array in arrays.items()}
        self._blob = memoryview(arrays["keys_blob"])
        self._offsets = arrays["keys_offsets"]
        self._length_starts = arrays["length_starts"]
        self._gram_hashes = arrays["gram_hashes"]
        self._gram_offsets = arrays["gram_offsets"]
        self._postings = arrays["postings"]

    @classmethod
    def build(
        cls, keys: Sequence[str] | pa.Array, out_dir: str | Path, *, presorted: bool = False
    ) -> TrigramIndex:
        """Write the index of `keys` (distinct, non-empty) into `out_dir` and open it.

        Key ids are positions in `key_order` order (by length, then UTF-8 bytes); pass `presorted=True` when
        `keys` are in that order already. `keys` may be an Arrow string array: millions of keys then never
        become Python strings all at once (they are read a chunk at a time).
        """
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        array = (
            keys.cast(pa.large_string()) if isinstance(keys, pa.Array) else pa.array(keys, pa.large_string())
        )
        del keys
        if not presorted:
            array = array.take(pa.array(key_order(array)))
        array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        count = len(array)
        lengths = pc.utf8_length(array).to_numpy(zero_copy_only=False).astype(np.int64)
        max_length = int(lengths[-1]) if count else 0
        length_starts = np.searchsorted(lengths, np.arange(max_length + 2)).astype(np.int64)
        value_offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[
            array.offset : array.offset + count + 1
        ]
        offsets = (value_offsets - value_offsets[0]).astype(np.int64)
        data = array.buffers()[2]
        blob = (
            np.frombuffer(data, dtype=np.uint8)[value_offsets[0] : value_offsets[-1]].copy()
            if count and data is not None
            else np.zeros(0, dtype=np.uint8)
        )

        # (hash << 32 | key id) of every trigram, filled a chunk of keys at a time into one array.
        pairs = np.empty(int((lengths + 2).sum()), dtype=np.uint64)
        filled = 0
        for start in range(0, count, _BUILD_CHUNK_KEYS):
            chunk = _chunk_pairs(array.slice(start, _BUILD_CHUNK_KEYS).to_pylist(), start)
            pairs[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
            del chunk
        del array
        pairs.sort()  # by hash, then key id: each posting list comes out sorted
        # A trigram twice in one key counts once; split into hashes and key ids a slice at a time.
        keep = np.ones(len(pairs), dtype=bool)
        np.not_equal(pairs[1:], pairs[:-1], out=keep[1:])
        kept = int(keep.sum())
        hashes = np.empty(kept, dtype=np.uint32)
        postings = np.empty(kept, dtype=np.uint32)
        position = 0
        for start in range(0, len(pairs), _SPLIT_STEP):
            part = pairs[start : start + _SPLIT_STEP][keep[start : start + _SPLIT_STEP]]
            hashes[position : position + len(part)] = part >> np.uint64(32)
            postings[position : position + len(part)] = part & np.uint64(0xFFFFFFFF)
            position += len(part)
        del pairs, keep
        boundaries = np.flatnonzero(np.diff(hashes)) + 1 if len(hashes) else np.zeros(0, dtype=np.int64)
        gram_starts = np.concatenate(([0], boundaries)).astype(np.int64) if len(hashes) else boundaries
        gram_hashes = hashes[gram_starts] if len(hashes) else hashes
        gram_offsets = np.append(gram_starts, len(postings)).astype(np.int64)
        arrays = {
            "keys_blob": blob,
            "keys_offsets": offsets,
            "length_starts": length_starts,
            "gram_hashes": gram_hashes,
            "gram_offsets": gram_offsets,
            "postings": postings,
        }
        for name, array in arrays.items():
            np.save(out_dir / f"{name}.npy", array)
        return cls.open(out_dir)

    @classmethod
    def open(cls, path: str | Path) -> TrigramIndex:
        """Memory-map an index folder written by `build`."""
        path = Path(path)
        return cls({name: np.load(path / f"{name}.npy", mmap_mode="r") for name in _FILES})

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def key(self, key_id: int) -> str:
        """The key of id `key_id`."""
        return str(self._blob[self._offsets[key_id] : self._offsets[key_id + 1]], "utf-8")

    def _bucket_search(self, target: bytes, low: int, high: int) -> int:
        """First id in [low, high) whose UTF-8 key is not below `target` (ids of one length are byte-sorted)."""
        blob, offsets = self._blob, self._offsets
        while low < high:
            middle = (low + high) // 2
            if blob[offsets[middle] : offsets[middle + 1]].tobytes() < target:
                low = middle + 1
            else:
                high = middle
        return low

    def find(self, key: str) -> int:
        """The id of `key`, or -1 when it is not indexed (a binary search among the keys of its length)."""
        if not key or len(key) + 1 >= len(self._length_starts):
            return -1
        target = key.encode("utf-8")
        high = int(self._length_starts[len(key) + 1])
        found = self._bucket_search(target, int(self._length_starts[len(key)]), high)
        if found < high and self._blob[self._offsets[found] : self._offsets[found + 1]].tobytes() == target:
            return found
        return -1

    def prefix_ids(self, prefix: str, limit: int) -> np.ndarray:
        """Ids of up to `limit` keys that begin with `prefix` and are longer, shorter keys first."""
        if not prefix:
            return np.zeros(0, dtype=np.int64)
        target = prefix.encode("utf-8")
        ranges, total = [], 0
        for length in range(len(prefix) + 1, len(self._length_starts) - 1):
            low, high = int(self._length_starts[length]), int(self._length_starts[length + 1])
            if low == high:
                continue
            first = self._bucket_search(target, low, high)
            last = self._bucket_search(target + b"\xff", first, high)  # no UTF-8 byte is 0xff
            if last > first:
                ranges.append(np.arange(first, min(last, first + limit - total)))
                total += len(ranges[-1])
                if total >= limit:
                    break
        return np.concatenate(ranges) if ranges else np.zeros(0, dtype=np.int64)

    def keys(self, key_ids: np.ndarray) -> list[str]:
        """The keys of several ids, decoded in one pass."""
        starts = self._offsets[key_ids].tolist()
        ends = self._offsets[key_ids + 1].tolist()
        blob = self._blob
        return [str(blob[start:end], "utf-8") for start, end in zip(starts, ends, strict=True)]

    def _id_window(self, length: int, distance: int) -> tuple[int, int]:
        top = len(self._length_starts) - 1
        low = self._length_starts[min(max(length - distance, 0), top)]
        high = self._length_starts[min(length + distance + 1, top)]
        return int(low), int(high)

    def search(self, key: str, *, max_distance: int | None = None, limit: int = 50) -> list[FuzzyMatch]:
        """Keys within `max_distance` edits of `key` (default: `max_edit_distance(len(key))`), nearest first.

        The key itself, when indexed, comes back with distance 0.
        """
        distance = max_edit_distance(len(key)) if max_distance is None else max_distance
        if not key or len(self) == 0:
            return []
        low, high = self._id_window(len(key), distance)
        if low >= high:
            return []
        grams = _query_hashes(key)
        threshold = len(grams) - GRAMS_PER_EDIT * distance
        slots = np.searchsorted(self._gram_hashes, grams)
        lists = []
        for gram, slot in zip(grams, slots, strict=True):
            if slot < len(self._gram_hashes) and self._gram_hashes[slot] == gram:
                posting = self._postings[self._gram_offsets[slot] : self._gram_offsets[slot + 1]]
                lo, hi = np.searchsorted(posting, (low, high))
                lists.append(posting[lo:hi])
            else:
                lists.append(self._postings[:0])
        if (
            threshold <= 0
        ):  # too short to filter by grams: every key of the window sharing one gram is a candidate
            threshold = 1
        lists.sort(key=len)
        # A candidate misses at most len(grams) - threshold grams, so it holds one of the first n - T + 1 lists.
        seed_count = len(lists) - threshold + 1
        seeds = np.concatenate(lists[:seed_count])
        if not len(seeds):
            return []
        candidates, counts = np.unique(seeds, return_counts=True)
        for posting in lists[seed_count:]:
            if not len(posting):
                continue
            positions = np.minimum(np.searchsorted(posting, candidates), len(posting) - 1)
            counts += posting[positions] == candidates
        keep = counts >= threshold
        candidates, counts = candidates[keep], counts[keep]
        if len(candidates) > MAX_CANDIDATES:
            candidates = candidates[np.argsort(-counts, kind="stable")[:MAX_CANDIDATES]]
        choices = self.keys(candidates)
        found = extract(key, choices, scorer=OSA.distance, score_cutoff=distance, limit=None)
        matches = [
            FuzzyMatch(choice, int(candidates[index]), int(dist), 1.0 - dist / max(len(key), len(choice)))
            for choice, dist, index in found
        ]
        matches.sort(key=lambda match: (-match.similarity, match.key))
        return matches[:limit]


__all__ = ["FuzzyMatch", "GRAMS_PER_EDIT", "MAX_CANDIDATES", "TrigramIndex", "key_order", "max_edit_distance"]
