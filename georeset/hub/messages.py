"""Requests and responses as the protocol code sees them, independent of the HTTP server that carries them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from georeset.hub.bodies import RequestBody, read_limited
from georeset.hub.protocol_errors import HubProtocolError

JSON_BODY_LIMIT = 16 * 1024 * 1024
# huggingface_hub treats a 401 carrying exactly this message as bad credentials instead of "repo not found".
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass
class Request:
    """One HTTP request, parsed.

    Attributes:
        method: "GET", "HEAD", "POST", "PUT" or "DELETE".
        segments: URL path segments, each percent-decoded on its own (so `refs%2Fpr%2F1` stays one segment).
        query: parsed query string.
        headers: request headers.
        body: the request body stream.
        base_url: `http://host:port` as the client reached the server (used in URLs handed back to it).
    """

    method: str
    segments: list[str]
    query: dict[str, list[str]]
    headers: Message
    body: RequestBody
    base_url: str

    @property
    def bearer_token(self) -> str | None:
        """The token of an `Authorization: Bearer ...` header, or None."""
        value = self.headers.get("Authorization", "")
        return value[7:].strip() or None if value.lower().startswith("bearer ") else None

    def flag(self, name: str) -> bool:
        """Whether query parameter `name` is set to a true value (`?blobs=true`, `?create_pr=1`)."""
        return self.query.get(name, [""])[-1].lower() in ("1", "true", "yes")

    def json(self) -> dict:
        """The body parsed as a JSON object ({} when empty); 400 naming the problem otherwise."""
        raw = read_limited(self.body, JSON_BODY_LIMIT, "JSON")
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise HubProtocolError(400, f"Request body is not valid JSON: {err}.") from None
        if not isinstance(data, dict):
            raise HubProtocolError(400, f"Request body must be a JSON object, got {type(data).__name__}.")
        return data


@dataclass
class Response:
    """What to send back: a status, headers, and either bytes or a byte range of a stored file."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    file_path: Path | None = None
    file_offset: int = 0
    file_length: int = 0

    @classmethod
    def json(cls, data: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        """A JSON response."""
        return cls(
            status,
            {"Content-Type": "application/json", **(headers or {})},
            json.dumps(data, ensure_ascii=False).encode(),
        )


def error_response(error: HubProtocolError) -> Response:
    """The Hub's error shape: JSON `{"error": ...}` plus `X-Error-Code` / `X-Error-Message` headers."""
    headers = {"X-Error-Message": _header_safe(error.message)}
    if error.error_code:
        headers["X-Error-Code"] = error.error_code
    if error.status == 401:
        headers["X-Error-Message"] = INVALID_CREDENTIALS
    return Response.json({**error.extra, "error": error.message}, error.status, headers)


def file_response(req: Request, path: Path, size: int, headers: dict[str, str]) -> Response:
    """200 with the whole file, or 206/416 for a `Range: bytes=a-b` request."""
    headers = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", **headers}
    range_header = req.headers.get("Range")
    offset, length, status = 0, size, 200
    if range_header:
        match = _RANGE_RE.match(range_header.strip())
        if match is None:
            raise HubProtocolError(
                416, f"Unsupported Range {range_header!r}: only one 'bytes=a-b' range is served."
            )
        first, last = match.groups()
        if first == "" and last == "":
            raise HubProtocolError(416, f"Invalid Range {range_header!r}.")
        if first == "":
            offset = max(0, size - int(last))
            end = size - 1
        else:
            offset = int(first)
            end = min(int(last), size - 1) if last else size - 1
        if offset >= size or end < offset:
            error = error_response(
                HubProtocolError(416, f"Range {range_header!r} is outside the file's {size} bytes.")
            )
            error.headers["Content-Range"] = f"bytes */{size}"
            return error
        length, status = end - offset + 1, 206
        headers["Content-Range"] = f"bytes {offset}-{end}/{size}"
    return Response(status, headers, file_path=path, file_offset=offset, file_length=length)


def _header_safe(text: str) -> str:
    # Header values must be one latin-1 line.
    return " ".join(text.split()).encode("latin-1", errors="replace").decode("latin-1")[:1000]


__all__ = ["JSON_BODY_LIMIT", "INVALID_CREDENTIALS", "Request", "Response", "error_response", "file_response"]
