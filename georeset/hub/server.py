"""The HTTP side of the Hub server: a threading stdlib server that turns requests into `HubApi` calls.

HTTP/1.1 with keep-alive (the clients reuse connections), request bodies streamed (see bodies.py), file bodies sent
with `sendfile` so that large downloads never pass through Python buffers.
"""

from __future__ import annotations

import sys
import threading
import traceback
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from georeset.hub.api import HubApi
from georeset.hub.bodies import RequestBody
from georeset.hub.messages import Request, Response, error_response
from georeset.hub.protocol_errors import HubProtocolError
from georeset.hub.storage import HubStorage

# A request whose body was not read (refused early) is drained up to this size to keep the connection; beyond, closed.
_DRAIN_LIMIT = 1024 * 1024


class HubRequestHandler(BaseHTTPRequestHandler):
    """Parses one request, calls the API, writes the response."""

    protocol_version = "HTTP/1.1"
    server_version = "georeset-hub/0.1"
    timeout = 600  # an idle keep-alive connection is closed after this many seconds
    server: HubHTTPServer

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._handle("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._handle("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        body = RequestBody(self.rfile, None, False)
        try:
            body = self._open_body()
            request = self._parse(method, body)
            response = self.server.api.handle(request)
        except HubProtocolError as err:
            response = error_response(err)
        except Exception as err:  # a bug must not kill the connection thread silently
            traceback.print_exc(file=sys.stderr)
            response = error_response(
                HubProtocolError(500, f"Internal server error: {type(err).__name__}: {err}")
            )
        if not body.exhausted:
            with suppress(HubProtocolError, OSError):
                body.drain(_DRAIN_LIMIT)
            if not body.exhausted:
                self.close_connection = True
        try:
            self._send(method, response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (interrupted upload or download)

    def _open_body(self) -> RequestBody:
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        length_text = self.headers.get("Content-Length")
        length = None
        if length_text is not None:
            if not length_text.strip().isdigit():
                self.close_connection = True
                raise HubProtocolError(400, f"Invalid Content-Length {length_text!r}.")
            length = int(length_text)
        return RequestBody(self.rfile, length, chunked)

    def _parse(self, method: str, body: RequestBody) -> Request:
        split = urlsplit(self.path)
        # Decode each segment on its own: a quoted revision like `refs%2Fpr%2F1` must stay one segment.
        segments = [unquote(part) for part in split.path.split("/")[1:]]
        if segments and segments[-1] == "":
            segments.pop()
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        return Request(method, segments, parse_qs(split.query), self.headers, body, f"http://{host}")

    def _send(self, method: str, response: Response) -> None:
        self.send_response(response.status)
        length = response.file_length if response.file_path is not None else len(response.body)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if method == "HEAD":
            return
        if response.file_path is None:
            self.wfile.write(response.body)
            return
        self._send_file(response.file_path, response.file_offset, length)

    def _send_file(self, path: Path, offset: int, length: int) -> None:
        self.wfile.flush()
        with open(path, "rb") as handle:
            sent = self.connection.sendfile(handle, offset, length)
        if sent != length:
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


class HubHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one `HubApi`.

    Args:
        address: (host, port); port 0 picks a free port (read it back from `server_address`).
        root: the storage root.
        token: when set, writes need this bearer token.
        verbose: log every request to stderr.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # snapshot_download opens several connections at once

    def __init__(
        self, address: tuple[str, int], root: Path | str, token: str | None = None, verbose: bool = False
    ):
        self.api = HubApi(HubStorage(root), token=token)
        self.verbose = verbose
        super().__init__(address, HubRequestHandler)

    @property
    def endpoint(self) -> str:
        """`http://host:port` of this server."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class HubServer:
    """A Hub server running in a background thread of this process; a context manager.

    Attributes:
        endpoint: `http://127.0.0.1:PORT`.
        root: the storage root.
        token: the write token, or None.
    """

    def __init__(self, root: Path | str, port: int = 0, token: str | None = None, host: str = "127.0.0.1"):
        self.root = Path(root)
        self.token = token
        self.httpd = HubHTTPServer((host, port), self.root, token=token)
        self.endpoint = self.httpd.endpoint
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="georeset-hub", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> HubServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_in_background(
    root: Path | str, port: int = 0, token: str | None = None, host: str = "127.0.0.1"
) -> HubServer:
    """Start a Hub server on a thread of this process (for demos and in-process tests).

    Args:
        root: storage folder (created if missing).
        port: TCP port; 0 picks a free one (see `.endpoint`).
        token: when set, writes need `Authorization: Bearer <token>`.
        host: interface to bind; keep the loopback default unless others must reach it.

    Returns:
        The running `HubServer`; use it as a context manager or call `.close()`.
    """
    return HubServer(root, port=port, token=token, host=host)


__all__ = ["HubRequestHandler", "HubHTTPServer", "HubServer", "serve_in_background"]
