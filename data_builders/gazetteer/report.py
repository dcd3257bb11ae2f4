"""The build report: every bad row is counted with examples, never silently dropped and never a crash."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

MAX_EXAMPLES = 5


@dataclass
class BuildReport:
    """Counts of what each source yielded, rejected and repaired, with a few examples of each problem."""

    read: Counter = field(default_factory=Counter)  # source -> records yielded
    rejected: Counter = field(default_factory=Counter)  # (source, reason) -> count
    repaired: Counter = field(default_factory=Counter)  # (source, reason) -> count
    skipped: Counter = field(default_factory=Counter)  # (source, reason) -> count: not places, not errors
    examples: dict = field(default_factory=lambda: defaultdict(list))  # (kind, source, reason) -> [example]

    def count_read(self, source: str, n: int = 1) -> None:
        self.read[source] += n

    def reject(self, source: str, reason: str, example: object = "") -> None:
        """A row that could not be used at all (wrong column count, coordinates out of range...)."""
        self.rejected[(source, reason)] += 1
        self._example("rejected", source, reason, example)

    def repair(self, source: str, reason: str, example: object = "") -> None:
        """A row that was kept after a fix (an invalid polygon made valid, a bad encoding decoded...)."""
        self.repaired[(source, reason)] += 1
        self._example("repaired", source, reason, example)

    def skip(self, source: str, reason: str, n: int = 1) -> None:
        """Rows that are fine but not places (Wikidata entities without coordinates): counted, no examples."""
        self.skipped[(source, reason)] += n

    def _example(self, kind: str, source: str, reason: str, example: object) -> None:
        bucket = self.examples[(kind, source, reason)]
        if len(bucket) < MAX_EXAMPLES:
            text = example if isinstance(example, str) else repr(example)
            bucket.append(text[:300])

    def merge(self, other: BuildReport) -> None:
        self.read.update(other.read)
        self.rejected.update(other.rejected)
        self.repaired.update(other.repaired)
        self.skipped.update(other.skipped)
        for key, values in other.examples.items():
            bucket = self.examples[key]
            bucket.extend(values[: MAX_EXAMPLES - len(bucket)])

    def to_dict(self) -> dict:
        def rows(counter: Counter, kind: str) -> list[dict]:
            return [
                {"source": s, "reason": r, "count": n, "examples": self.examples.get((kind, s, r), [])}
                for (s, r), n in sorted(counter.items())
            ]

        return {
            "read": dict(sorted(self.read.items())),
            "rejected": rows(self.rejected, "rejected"),
            "repaired": rows(self.repaired, "repaired"),
            "skipped": [{"source": s, "reason": r, "count": n} for (s, r), n in sorted(self.skipped.items())],
        }

    def write(self, path: str | Path) -> None:
        Path(path).write_text(
            json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    def summary(self) -> str:
        """A few human lines for the console."""
        lines = [
            f"read {sum(self.read.values()):,} records: "
            + ", ".join(f"{s} {n:,}" for s, n in sorted(self.read.items()))
        ]
        for kind, counter in (
            ("rejected", self.rejected),
            ("repaired", self.repaired),
            ("skipped", self.skipped),
        ):
            for (source, reason), n in sorted(counter.items()):
                lines.append(f"  {kind} {n:,} from {source}: {reason}")
        return "\n".join(lines)


__all__ = ["BuildReport"]
