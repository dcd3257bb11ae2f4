"""What the imagery readers read, skipped and flagged: counts by reason, with example paths.

Every reader takes an optional `ImageryReport` and never crashes on one bad file: the file is skipped and counted
under a reason, or, with `strict=True`, a `BadInputError` naming the file stops the read. A reader given no report
still logs every skip, so nothing is dropped silently.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from georeset.errors import BadInputError

logger = logging.getLogger(__name__)

MAX_EXAMPLES = 5

# Reasons a file or patch is skipped (or, for NO_GEOREFERENCING with georeferencing optional, flagged).
NO_GEOREFERENCING = "no_georeferencing"
UNREADABLE = "unreadable"  # unreadable or truncated GeoTIFF/JPEG, a file that is not what its name says
ALL_NODATA = "all_nodata"
LABEL_MISMATCH = "label_mismatch"  # label raster of another size/grid, labels that do not fit the image
UNKNOWN_CLASS = "unknown_class"  # a class folder or label that is not in the nomenclature
BAND_MISMATCH = "band_mismatch"  # missing band files, wrong band count, band grids that disagree
BAD_METADATA = "bad_metadata"  # unreadable or incomplete metadata (labels JSON, timestamps...)

REASONS = (
    NO_GEOREFERENCING,
    UNREADABLE,
    ALL_NODATA,
    LABEL_MISMATCH,
    UNKNOWN_CLASS,
    BAND_MISMATCH,
    BAD_METADATA,
)


@dataclass
class ImageryReport:
    """Counts of patches read and of files skipped or flagged, by source and reason, with example paths.

    Attributes:
        read: source -> patches yielded.
        skipped: (source, reason) -> files or patches left out.
        flagged: (source, reason) -> patches yielded with a caveat (no georeferencing where it is optional,
            a label raster resampled to the image grid...).
        examples: (kind, source, reason) -> up to `MAX_EXAMPLES` "path: detail" strings.
    """

    read: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    flagged: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=lambda: defaultdict(list))

    def count_read(self, source: str, n: int = 1) -> None:
        """Count `n` patches yielded by `source`."""
        self.read[source] += n

    def skip(self, source: str, reason: str, path: object, detail: str = "", *, strict: bool = False) -> None:
        """Count one file/patch left out; with `strict`, raise `BadInputError` naming it instead.

        Raises:
            BadInputError: `strict` is true.
        """
        message = f"{path}: {detail or reason.replace('_', ' ')}"
        if strict:
            raise BadInputError(f"{source}: {message}")
        self.skipped[(source, reason)] += 1
        self._example("skipped", source, reason, message)
        # The first few of each reason go to the log too, so a caller that ignores the report still sees them.
        if self.skipped[(source, reason)] <= MAX_EXAMPLES:
            logger.warning("%s: skipped (%s) %s", source, reason, message)

    def flag(self, source: str, reason: str, path: object, detail: str = "") -> None:
        """Count one patch that is yielded but carries a caveat."""
        self.flagged[(source, reason)] += 1
        self._example("flagged", source, reason, f"{path}: {detail or reason.replace('_', ' ')}")

    def _example(self, kind: str, source: str, reason: str, text: str) -> None:
        bucket = self.examples[(kind, source, reason)]
        if len(bucket) < MAX_EXAMPLES:
            bucket.append(text[:400])

    @property
    def n_read(self) -> int:
        return sum(self.read.values())

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    def skipped_by_reason(self) -> Counter:
        """reason -> count over all sources."""
        totals: Counter = Counter()
        for (_, reason), count in self.skipped.items():
            totals[reason] += count
        return totals

    def merge(self, other: ImageryReport, include_read: bool = True) -> None:
        """Add another report's counts and examples to this one (without its read counts if not `include_read`)."""
        if include_read:
            self.read.update(other.read)
        self.skipped.update(other.skipped)
        self.flagged.update(other.flagged)
        for key, values in other.examples.items():
            bucket = self.examples[key]
            bucket.extend(values[: MAX_EXAMPLES - len(bucket)])

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (for build reports and dataset cards)."""

        def nested(counter: Counter) -> dict[str, dict[str, int]]:
            out: dict[str, dict[str, int]] = defaultdict(dict)
            for (source, reason), count in sorted(counter.items()):
                out[source][reason] = count
            return dict(out)

        return {
            "read": dict(sorted(self.read.items())),
            "skipped": nested(self.skipped),
            "flagged": nested(self.flagged),
            "examples": {
                f"{kind}/{source}/{reason}": list(values)
                for (kind, source, reason), values in sorted(self.examples.items())
            },
        }

    def summary(self) -> str:
        """A few human-readable lines: read, skipped and flagged counts with one example each."""
        lines = [f"read {self.n_read} patches" + (f" ({dict(self.read)})" if len(self.read) > 1 else "")]
        for kind, counter in (("skipped", self.skipped), ("flagged", self.flagged)):
            for (source, reason), count in sorted(counter.items()):
                example = self.examples.get((kind, source, reason), [""])[0]
                lines.append(f"{kind} {count} {source} ({reason}), e.g. {example}")
        return "\n".join(lines)


__all__ = [
    "ALL_NODATA",
    "BAD_METADATA",
    "BAND_MISMATCH",
    "LABEL_MISMATCH",
    "MAX_EXAMPLES",
    "NO_GEOREFERENCING",
    "REASONS",
    "UNKNOWN_CLASS",
    "UNREADABLE",
    "ImageryReport",
]
