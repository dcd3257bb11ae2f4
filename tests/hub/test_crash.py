"""A server killed mid-upload leaves no partial object and no half commit; a restarted server serves the repo."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import socket
import time
import urllib.request
from urllib.parse import urlsplit

TOKEN = "crash-token"


def _call(endpoint, method, path, body=None, content_type="application/json"):
    request = urllib.request.Request(endpoint + path, data=body, method=method)
    request.add_header("Authorization", f"Bearer {TOKEN}")
    request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def test_kill_during_upload_then_restart(start_hub_server, tmp_path):
    root = tmp_path / "root"
    server = start_hub_server(root, TOKEN)
    _call(
        server.endpoint,
        "POST",
        "/api/repos/create",
        json.dumps({"name": "r", "organization": "crash"}).encode(),
    )
    line = {"key": "file", "value": {"path": "a.txt", "content": base64.b64encode(b"kept").decode()}}
    header = {"key": "header", "value": {"summary": "one"}}
    ndjson = b"".join(json.dumps(item).encode() + b"\n" for item in (header, line))
    head = _call(server.endpoint, "POST", "/api/models/crash/r/commit/main", ndjson, "application/x-ndjson")[
        "commitOid"
    ]

    content = os.urandom(8 * 1024 * 1024)
    oid = hashlib.sha256(content).hexdigest()
    batch = {"operation": "upload", "objects": [{"oid": oid, "size": len(content)}]}
    answer = _call(server.endpoint, "POST", "/crash/r.git/info/lfs/objects/batch", json.dumps(batch).encode())
    upload = urlsplit(answer["objects"][0]["actions"]["upload"]["href"])

    # Send the headers and half the body, then kill the server without warning.
    with socket.create_connection((upload.hostname, upload.port)) as sock:
        sock.sendall(
            f"PUT {upload.path}?{upload.query} HTTP/1.1\r\nHost: {upload.netloc}\r\n"
            f"Content-Length: {len(content)}\r\n\r\n".encode()
        )
        sock.sendall(content[: len(content) // 2])
        deadline = time.monotonic() + 10
        while not any((root / "objects" / "incoming").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)  # the server is streaming the body to a temporary file
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)

    assert not (root / "objects" / oid[:2] / oid).exists()  # the partial body never became an object

    restarted = start_hub_server(root, TOKEN)
    info = _call(restarted.endpoint, "GET", "/api/models/crash/r")
    assert info["sha"] == head and {s["rfilename"] for s in info["siblings"]} == {".gitattributes", "a.txt"}
    answer = _call(
        restarted.endpoint, "POST", "/crash/r.git/info/lfs/objects/batch", json.dumps(batch).encode()
    )
    assert "upload" in answer["objects"][0]["actions"]  # still missing: the client simply uploads again
