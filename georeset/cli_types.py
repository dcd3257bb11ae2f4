"""Small helpers shared by the subcommands' argument parsers and their output files."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path


def positive_int(value: str) -> int:
    """argparse `type=` for counts: an integer of at least 1, with a message naming the bad value."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an integer") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return number


def write_atomic(path: str | Path, text: str) -> Path:
    """Write through a temporary file in the same folder, so an interrupted run never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


__all__ = ["positive_int", "write_atomic"]
