"""Request bodies read as streams: `Content-Length` or chunked, never more than the request announced.

Large uploads are consumed a chunk at a time by the object store; JSON and ndjson bodies get a buffered reader so
that a commit is parsed line by line instead of being held whole in memory.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from georeset.hub.protocol_errors import HubProtocolError


class RequestBody(io.RawIOBase):
    """The body of one HTTP request, as a raw readable stream.

    Args:
        stream: the connection's input stream, positioned at the start of the body.
        content_length: the `Content-Length` header value, or None.
        chunked: whether `Transfer-Encoding: chunked` was announced (then `content_length` is ignored).
    """

    def __init__(self, stream: BinaryIO, content_length: int | None, chunked: bool) -> None:
        super().__init__()
        self._stream = stream
        self._chunked = chunked
        self._remaining = 0 if chunked else (content_length or 0)
        self._chunk_left = 0
        self._finished = not chunked and self._remaining == 0

    @property
    def exhausted(self) -> bool:
        """Whether the whole body has been read (so the connection can serve the next request)."""
        return self._finished

    @property
    def length(self) -> int | None:
        """The announced length, None for a chunked body."""
        return None if self._chunked else self._remaining

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._finished:
            return 0
        if self._chunked:
            return self._readinto_chunked(buffer)
        want = min(len(buffer), self._remaining)
        data = self._stream.read(want)
        if not data:
            raise HubProtocolError(400, f"Request body ended early: {self._remaining} bytes missing.")
        buffer[: len(data)] = data
        self._remaining -= len(data)
        self._finished = self._remaining == 0
        return len(data)

    def _readinto_chunked(self, buffer: memoryview) -> int:
        if self._chunk_left == 0:
            line = self._stream.readline(1024).strip()
            try:
                self._chunk_left = int(line.split(b";")[0], 16)
            except ValueError:
                raise HubProtocolError(
                    400, f"Malformed chunked body: bad chunk size line {line[:40]!r}."
                ) from None
            if self._chunk_left == 0:
                while self._stream.readline(1024).strip():  # trailers end with an empty line
                    pass
                self._finished = True
                return 0
        data = self._stream.read(min(len(buffer), self._chunk_left))
        if not data:
            raise HubProtocolError(400, "Request body ended early inside a chunk.")
        buffer[: len(data)] = data
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self._stream.readline(1024)  # CRLF after each chunk
        return len(data)

    def drain(self, limit: int) -> bool:
        """Read and drop up to `limit` bytes of what is left; True when the body is then exhausted."""
        dropped = 0
        buffer = bytearray(64 * 1024)
        while not self._finished and dropped < limit:
            count = self.readinto(memoryview(buffer))
            if count == 0:
                break
            dropped += count
        return self._finished


def read_limited(body: RequestBody, limit: int, what: str) -> bytes:
    """The whole body, refused with 413 when it is larger than `limit` bytes (JSON requests are small)."""
    if body.length is not None and body.length > limit:
        raise HubProtocolError(413, f"{what} body too large: {body.length} bytes (limit {limit}).")
    data = io.BufferedReader(body).read(limit + 1)
    if len(data) > limit:
        raise HubProtocolError(413, f"{what} body too large: more than {limit} bytes.")
    return data


__all__ = ["RequestBody", "read_limited"]
