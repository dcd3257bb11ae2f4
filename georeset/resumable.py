"""Line files that survive interruption: what a killed job wrote is kept, and the same job run again goes on from there.

`ResumableLines` writes into `.NAME.partial` beside the target, one flushed line per item, and renames it into place
only when the job is done; a half-written last line is cut off when the job resumes. A partial file is resumed only by
a job with the same fingerprint (whatever decides the lines: the input, its size and time, the settings), kept in
`.NAME.partial.json`; any other job starts it afresh. Two jobs cannot write one target at once.

```python
with ResumableLines(Path("out.jsonl"), {"input": ..., "settings": ...}) as out:
    for item in items[out.done:]:          # out.done: lines kept from an interrupted run
        out.write(json.dumps(result(item)))
```
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from georeset.errors import BadInputError

_READ_CHUNK = 1 << 20


class ResumableLines:
    """A text file written line by line that an interrupted job resumes (see the module docstring).

    Attributes:
        target: the finished file.
        partial: where lines go until the job is done.
        done: complete lines kept from an interrupted run of the same job (0 for a fresh start).
        written: lines written by this run.
    """

    def __init__(self, target: str | os.PathLike, fingerprint: Mapping[str, Any]) -> None:
        self.target = Path(target)
        self.partial = self.target.with_name(f".{self.target.name}.partial")
        self._meta = self.target.with_name(f".{self.target.name}.partial.json")
        self._lock_path = self.target.with_name(f".{self.target.name}.lock")
        self._fingerprint = json.loads(json.dumps(dict(fingerprint), sort_keys=True, default=str))
        self.done = 0
        self.written = 0
        self._handle: IO[str] | None = None
        self._lock: IO[str] | None = None

    def __enter__(self) -> ResumableLines:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(self._lock_path, "w")  # noqa: SIM115 - held until __exit__
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise BadInputError(f"{self.target}: another job is writing it now") from None
        if self._resumable():
            self.done = _keep_complete_lines(self.partial)
        else:
            self.partial.unlink(missing_ok=True)
            tmp = self._meta.with_name(self._meta.name + ".tmp")
            tmp.write_text(json.dumps(self._fingerprint, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self._meta)
        self._handle = open(self.partial, "a", encoding="utf-8")  # noqa: SIM115 - closed in __exit__
        return self

    def write(self, line: str) -> None:
        """Append one line (it must not contain a newline) and flush it to the operating system."""
        if self._handle is None:
            raise RuntimeError("ResumableLines.write outside its `with` block")
        if "\n" in line:
            raise ValueError("a line of a ResumableLines file must not contain a newline")
        self._handle.write(line + "\n")
        self._handle.flush()
        self.written += 1

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if self._handle is not None:
                if kind is None:
                    os.fsync(self._handle.fileno())
                self._handle.close()
                self._handle = None
            if kind is None:
                os.replace(self.partial, self.target)
                self._meta.unlink(missing_ok=True)
        finally:
            if self._lock is not None:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
                self._lock.close()
                self._lock = None

    def _resumable(self) -> bool:
        try:
            kept = json.loads(self._meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return kept == self._fingerprint and self.partial.is_file()


def _keep_complete_lines(path: Path) -> int:
    """Cut a half-written last line off `path`; returns how many complete lines it holds."""
    lines, end = 0, 0
    with open(path, "rb") as handle:
        offset = 0
        while chunk := handle.read(_READ_CHUNK):
            count = chunk.count(b"\n")
            if count:
                lines += count
                end = offset + chunk.rindex(b"\n") + 1
            offset += len(chunk)
    if end != offset:
        os.truncate(path, end)
    return lines


__all__ = ["ResumableLines"]
