"""Content-addressed file storage: every file body is stored once, under its sha256, and never changes.

Uploads are streamed to a temporary file in the store while their sha256 is computed; only when the digest (and
the size, when announced) matches is the file moved into place with `os.replace`, so a reader never sees a partial
object and a corrupted upload never enters the store. Git blob ids (sha1 of `blob <size>\\0<content>`) are computed
for regular files, and for LFS files from their pointer text, exactly as the Hub reports them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from georeset.hub.protocol_errors import HubProtocolError

CHUNK_SIZE = 1024 * 1024
ABANDONED_UPLOAD_SECONDS = 24 * 3600
_HEX = frozenset("0123456789abcdef")


def git_blob_sha1(content: bytes) -> str:
    """Git's blob id of `content` (what the Hub calls the `oid` of a regular file)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The git-lfs pointer file that stands in the git tree for an LFS file."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def is_sha256(value: object) -> bool:
    """True for a 64-character lowercase hex string."""
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


@dataclass(frozen=True)
class StoredObject:
    """An object in the store.

    Attributes:
        sha256: hex digest of the content.
        size: content length in bytes.
        path: where the content lies on disk.
    """

    sha256: str
    size: int
    path: Path


class ObjectStore:
    """Immutable blobs under `<root>/objects/<aa>/<sha256>`, written atomically.

    Args:
        root: folder of the store; created if missing.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.incoming = self.root / "incoming"
        self.root.mkdir(parents=True, exist_ok=True)
        self.incoming.mkdir(exist_ok=True)
        self._remove_abandoned_uploads()

    def _remove_abandoned_uploads(self) -> None:
        # Uploads cut off by a killed server; recent ones may belong to another live server sharing the root.
        cutoff = time.time() - ABANDONED_UPLOAD_SECONDS
        for leftover in self.incoming.glob("upload-*"):
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()

    def path_for(self, sha256: str) -> Path:
        """Where the object `sha256` lies (whether or not it exists)."""
        if not is_sha256(sha256):
            raise HubProtocolError(
                400, f"Invalid object id {sha256!r}: expected 64 lowercase hex characters."
            )
        return self.root / sha256[:2] / sha256

    def get(self, sha256: str) -> StoredObject | None:
        """The stored object `sha256`, or None when it was never uploaded."""
        path = self.path_for(sha256)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        return StoredObject(sha256, size, path)

    def put_bytes(self, content: bytes) -> StoredObject:
        """Store `content` (already in memory: a regular file from a commit) and return its object."""
        sha256 = hashlib.sha256(content).hexdigest()
        existing = self.get(sha256)
        if existing is not None:
            return existing
        return self.put_stream(_BytesReader(content).read, len(content), expected_sha256=sha256)

    def put_stream(
        self,
        read: Callable[[int], bytes],
        size: int | None,
        expected_sha256: str | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> StoredObject:
        """Stream a body into the store, verifying its sha256 (and size) before it becomes visible.

        Args:
            read: a `read(n)` callable returning at most n bytes, b"" at the end.
            size: the announced length; None reads until `read` returns b"".
            expected_sha256: the digest the client announced; a mismatch is rejected and nothing is stored.
            chunk_size: bytes per read, so that large uploads never sit in memory.

        Raises:
            HubProtocolError: 400 when the content does not match the announced sha256 or size.
        """
        digest = hashlib.sha256()
        received = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.incoming, prefix="upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                while size is None or received < size:
                    want = chunk_size if size is None else min(chunk_size, size - received)
                    chunk = read(want)
                    if not chunk:
                        break
                    digest.update(chunk)
                    tmp.write(chunk)
                    received += len(chunk)
            if size is not None and received != size:
                raise HubProtocolError(
                    400, f"Upload truncated: received {received} of {size} announced bytes."
                )
            sha256 = digest.hexdigest()
            if expected_sha256 is not None and sha256 != expected_sha256:
                raise HubProtocolError(
                    400,
                    f"Upload rejected: content sha256 {sha256} does not match the announced oid {expected_sha256} "
                    f"({received} bytes received). The file was corrupted in transit or changed during upload.",
                )
            target = self.path_for(sha256)
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp_name, target)
            return StoredObject(sha256, received, target)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def open(self, sha256: str) -> BinaryIO:
        """Open object `sha256` for reading."""
        return open(self.path_for(sha256), "rb")


class _BytesReader:
    """`read(n)` over bytes in memory, without copying them into a BytesIO."""

    def __init__(self, content: bytes) -> None:
        self._view = memoryview(content)
        self._pos = 0

    def read(self, n: int) -> bytes:
        chunk = self._view[self._pos : self._pos + n]
        self._pos += len(chunk)
        return bytes(chunk)


__all__ = [
    "CHUNK_SIZE",
    "ABANDONED_UPLOAD_SECONDS",
    "git_blob_sha1",
    "lfs_pointer",
    "is_sha256",
    "StoredObject",
    "ObjectStore",
]
