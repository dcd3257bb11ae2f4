"""Input hygiene: decode bytes, blank what is not prose, and cut long documents into chunks with their offsets.

Every transformation keeps the length of the text, so offsets found in the cleaned text are offsets in the
user's text: markup and control characters become spaces rather than disappearing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from georeset.errors import BadInputError

_TAG = re.compile(
    r"<(?:script|style)\b[^>]*>.*?</(?:script|style)\s*>|<!--.*?-->|<[!/?]?[A-Za-z][^<>]{0,2000}>",
    re.S | re.I,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_BOUNDARY = re.compile(r"\n\s*\n|[.!?]\s+(?=[A-Z\"“])|\n")


def as_text(value: object, *, name: str = "text") -> str:
    """The document as `str`: bytes are decoded as UTF-8, anything else is refused with a clear error.

    Raises:
        BadInputError: bytes that are not UTF-8 text (binary data), or a value that is not text at all.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise BadInputError(
                f"{name}: {len(raw)} bytes that are not UTF-8 text (first bad byte at offset {err.start}); "
                "geoparsing needs text"
            ) from err
        if decoded and sum(ch in "\x00\ufffd" for ch in decoded) > 0.1 * len(decoded):
            raise BadInputError(f"{name}: {len(raw)} bytes of binary data (mostly NUL), not text")
        return decoded
    raise BadInputError(f"{name}: expected a string, got {type(value).__name__}")


def clean_for_nlp(text: str) -> str:
    """The text with markup and control characters replaced by spaces (same length, same offsets)."""
    if "<" in text and ">" in text:
        text = _TAG.sub(lambda m: " " * len(m.group()), text)
    return _CONTROL.sub(" ", text)


def chunk_spans(text: str, max_chars: int) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive chunks of at most `max_chars`, cut at paragraph or sentence ends when possible.

    Cuts look back over the last fifth of a window for a boundary, so a toponym is rarely split; a text with no
    boundary at all (one huge token) is cut hard rather than sent whole to the NER.
    """
    if max_chars <= 0:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    start, length = 0, len(text)
    while start < length:
        end = min(start + max_chars, length)
        if end < length:
            window_start = start + (4 * max_chars) // 5
            cut = None
            for match in _BOUNDARY.finditer(text, window_start, end):
                cut = match.end()
            if cut is None:
                space = text.rfind(" ", window_start, end)
                cut = space + 1 if space > start else end
            end = cut
        yield start, end
        start = end


__all__ = ["as_text", "chunk_spans", "clean_for_nlp"]
