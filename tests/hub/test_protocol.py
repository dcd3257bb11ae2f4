"""The Hub server's HTTP protocol, spoken directly (status codes, headers, error codes, refusals)."""

from __future__ import annotations

import base64
import hashlib
import http.client as httpclient
import json
import os
import uuid
from urllib.parse import urlsplit

import pytest


class Http:
    """A tiny HTTP client over http.client, so each test sees exact statuses and headers."""

    def __init__(self, endpoint: str, token: str | None):
        split = urlsplit(endpoint)
        self.host, self.port, self.token = split.hostname, split.port, token

    def request(self, method, path, body=None, headers=None, token=True):
        connection = httpclient.HTTPConnection(self.host, self.port, timeout=30)
        headers = dict(headers or {})
        if token and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response, data

    def commit(self, repo_id, lines, revision="main", repo_type="models", token=True):
        body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        return self.request(
            "POST",
            f"/api/{repo_type}/{repo_id}/commit/{revision}",
            body,
            {"Content-Type": "application/x-ndjson"},
            token=token,
        )


@pytest.fixture
def http(hub_server):
    return Http(hub_server.endpoint, hub_server.token)


@pytest.fixture
def repo_id(http):
    repo_id = f"proto/r-{uuid.uuid4().hex[:8]}"
    response, _ = http.request(
        "POST", "/api/repos/create", {"name": repo_id.split("/")[1], "organization": "proto"}
    )
    assert response.status == 200
    return repo_id


def _file_line(path, content: bytes):
    return {
        "key": "file",
        "value": {"path": path, "content": base64.b64encode(content).decode(), "encoding": "base64"},
    }


def _header(summary="c", parent=None):
    value = {"summary": summary, "description": ""}
    if parent:
        value["parentCommit"] = parent
    return {"key": "header", "value": value}


def test_create_twice_is_409_with_url(http, repo_id):
    response, data = http.request(
        "POST", "/api/repos/create", {"name": repo_id.split("/")[1], "organization": "proto"}
    )
    assert response.status == 409
    assert json.loads(data)["url"].endswith(f"/{repo_id}")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "..", "organization": "proto"},
        {"name": "x", "organization": "../etc"},
        {"name": "a/b", "organization": "proto"},
        {"name": "lonely", "organization": None},
        {"name": "x", "organization": "proto", "type": "bucket"},
    ],
)
def test_bad_repo_names_are_refused(http, body):
    response, data = http.request("POST", "/api/repos/create", body)
    assert response.status == 400, data
    assert "Invalid" in json.loads(data)["error"] or "namespace" in json.loads(data)["error"]


def test_traversal_in_urls_stays_inside_the_root(http, hub_server):
    for path in [
        "/api/models/..%2F..%2Fetc/passwd",
        "/..%2F..%2Fetc/passwd/resolve/main/x",
        "/api/models/%2e%2e/x",
    ]:
        response, _ = http.request("GET", path)
        assert response.status in (400, 404)
    assert not (hub_server.root.parent / "etc").exists()


def test_missing_things_carry_x_error_code(http, repo_id):
    cases = {
        "/api/models/proto/does-not-exist": "RepoNotFound",
        f"/api/models/{repo_id}/revision/nope": "RevisionNotFound",
        f"/api/models/{repo_id}/tree/main/nope": "EntryNotFound",
        f"/{repo_id}/resolve/main/nope.txt": "EntryNotFound",
    }
    for path, code in cases.items():
        response, _ = http.request("GET", path)
        assert (response.status, response.getheader("X-Error-Code")) == (404, code), path
        head, _ = http.request("HEAD", path)
        assert head.status == 404


def test_resolve_headers_and_ranges(http, repo_id):
    content = bytes(range(256)) * 40
    response, data = http.commit(repo_id, [_header(), _file_line("dir/blob.txt", content)])
    assert response.status == 200, data
    commit = json.loads(data)["commitOid"]
    path = f"/{repo_id}/resolve/main/dir/blob.txt"
    head, _ = http.request("HEAD", path)
    assert head.status == 200
    assert head.getheader("X-Repo-Commit") == commit
    git_blob = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
    assert head.getheader("ETag") == f'"{git_blob}"'
    assert head.getheader("Content-Length") == str(len(content))
    assert head.getheader("Accept-Ranges") == "bytes"
    partial, body = http.request("GET", path, headers={"Range": "bytes=2-9"})
    assert partial.status == 206 and body == content[2:10]
    assert partial.getheader("Content-Range") == f"bytes 2-9/{len(content)}"
    tail, body = http.request("GET", path, headers={"Range": "bytes=-5"})
    assert tail.status == 206 and body == content[-5:]
    beyond, _ = http.request("GET", path, headers={"Range": f"bytes={len(content)}-"})
    assert beyond.status == 416 and beyond.getheader("Content-Range") == f"bytes */{len(content)}"
    whole, body = http.request("GET", f"/{repo_id}/resolve/{commit}/dir/blob.txt")
    assert whole.status == 200 and body == content


def _lfs_batch(http, repo_id, oid, size):
    response, data = http.request(
        "POST",
        f"/{repo_id}.git/info/lfs/objects/batch",
        {
            "operation": "upload",
            "transfers": ["basic"],
            "objects": [{"oid": oid, "size": size}],
            "hash_algo": "sha256",
        },
    )
    assert response.status == 200, data
    return json.loads(data)["objects"][0]


def test_lfs_upload_verify_commit_and_linked_headers(http, repo_id):
    content = os.urandom(200_000)
    oid = hashlib.sha256(content).hexdigest()
    obj = _lfs_batch(http, repo_id, oid, len(content))
    upload = urlsplit(obj["actions"]["upload"]["href"])
    response, _ = http.request("PUT", f"{upload.path}?{upload.query}", content, token=False)
    assert response.status == 200
    response, _ = http.request(
        "POST", urlsplit(obj["actions"]["verify"]["href"]).path, {"oid": oid, "size": len(content)}
    )
    assert response.status == 200
    assert "actions" not in _lfs_batch(http, repo_id, oid, len(content))  # already stored: nothing to upload
    lfs_line = {
        "key": "lfsFile",
        "value": {"path": "w.bin", "algo": "sha256", "oid": oid, "size": len(content)},
    }
    response, data = http.commit(repo_id, [_header(), lfs_line])
    assert response.status == 200, data
    head, _ = http.request("HEAD", f"/{repo_id}/resolve/main/w.bin")
    assert head.getheader("X-Linked-Etag") == f'"{oid}"'
    assert head.getheader("X-Linked-Size") == str(len(content))
    response, data = http.request("GET", f"/api/models/{repo_id}?blobs=true")
    sibling = next(s for s in json.loads(data)["siblings"] if s["rfilename"] == "w.bin")
    assert sibling["lfs"]["sha256"] == oid and sibling["size"] == len(content)


def test_corrupted_lfs_upload_is_refused(http, repo_id):
    content = os.urandom(100_000)
    oid = hashlib.sha256(content).hexdigest()
    obj = _lfs_batch(http, repo_id, oid, len(content))
    upload = urlsplit(obj["actions"]["upload"]["href"])
    corrupted = bytearray(content)
    corrupted[500] ^= 0xFF
    response, data = http.request("PUT", f"{upload.path}?{upload.query}", bytes(corrupted), token=False)
    assert response.status == 400
    assert "does not match the announced oid" in json.loads(data)["error"]
    response, _ = http.request("POST", "/_lfs/verify", {"oid": oid, "size": len(content)})
    assert response.status == 404
    lfs_line = {
        "key": "lfsFile",
        "value": {"path": "bad.bin", "algo": "sha256", "oid": oid, "size": len(content)},
    }
    response, data = http.commit(repo_id, [_header(), lfs_line])
    assert response.status == 400 and "never uploaded" in json.loads(data)["error"]


def test_unsigned_lfs_upload_url_is_refused(http):
    oid = hashlib.sha256(b"x").hexdigest()
    response, _ = http.request("PUT", f"/_lfs/upload/{oid}?size=1&sig=forged", b"x", token=False)
    assert response.status == 403


def test_writes_need_the_token(http, repo_id):
    name = f"t-{uuid.uuid4().hex[:8]}"
    response, data = http.request(
        "POST", "/api/repos/create", {"name": name, "organization": "proto"}, token=False
    )
    assert response.status == 401 and "HF_TOKEN" in json.loads(data)["error"]
    response, data = http.request(
        "POST",
        "/api/repos/create",
        {"name": name, "organization": "proto"},
        {"Authorization": "Bearer wrong"},
        False,
    )
    assert response.status == 403 and "token" in json.loads(data)["error"]
    response, _ = http.commit(repo_id, [_header(), _file_line("x.txt", b"x")], token=False)
    assert response.status == 401
    response, _ = http.request("GET", f"/api/models/{repo_id}", token=False)
    assert response.status == 200  # reads of public repos stay open


def test_stale_parent_commit_is_412(http, repo_id):
    response, data = http.request("GET", f"/api/models/{repo_id}")
    base = json.loads(data)["sha"]
    response, _ = http.commit(repo_id, [_header("one", base), _file_line("a.txt", b"a")])
    assert response.status == 200
    response, data = http.commit(repo_id, [_header("two", base), _file_line("b.txt", b"b")])
    assert response.status == 412 and "refresh" in json.loads(data)["error"]


def test_tree_non_recursive_and_missing_folder(http, repo_id):
    http.commit(repo_id, [_header(), _file_line("data/a/x.txt", b"x"), _file_line("data/y.txt", b"y")])
    response, data = http.request("GET", f"/api/models/{repo_id}/tree/main/data?recursive=false&expand=false")
    assert [(e["type"], e["path"]) for e in json.loads(data)] == [
        ("directory", "data/a"),
        ("file", "data/y.txt"),
    ]
    response, data = http.request("GET", f"/api/models/{repo_id}/tree/main/data%2Fa?recursive=true")
    assert [e["path"] for e in json.loads(data)] == ["data/a/x.txt"]


def test_validate_yaml(http):
    ok, data = http.request(
        "POST", "/api/validate-yaml", {"content": "---\nlicense: mit\n---\n", "repoType": "model"}
    )
    assert ok.status == 200 and json.loads(data) == {"errors": [], "warnings": []}
    bad, data = http.request(
        "POST", "/api/validate-yaml", {"content": "---\na: [\n---\nx", "repoType": "dataset"}
    )
    assert bad.status == 400 and "Invalid YAML" in json.loads(data)["errors"][0]["message"]


def test_bad_bodies_get_clear_400s(http, repo_id):
    response, data = http.request(
        "POST", "/api/repos/create", b"{not json", {"Content-Type": "application/json"}
    )
    assert response.status == 400 and "not valid JSON" in json.loads(data)["error"]
    response, data = http.commit(repo_id, [_file_line("a.txt", b"a")])
    assert response.status == 400 and "header" in json.loads(data)["error"]
    response, data = http.commit(repo_id, [_header(), _file_line("../escape.txt", b"a")])
    assert response.status == 400 and "escape.txt" in json.loads(data)["error"]
    response, data = http.request("GET", f"/api/models/{repo_id}/xet-write-token/main")
    assert response.status == 400 and "HF_HUB_DISABLE_XET=1" in json.loads(data)["error"]


def test_misc_endpoints(http, repo_id):
    response, data = http.request("GET", "/api/whoami-v2")
    assert response.status == 200 and json.loads(data)["auth"]["accessToken"]["role"] == "write"
    response, _ = http.request(
        "GET", "/api/whoami-v2", headers={"Authorization": "Bearer wrong"}, token=False
    )
    assert response.status == 401
    response, data = http.request("GET", "/api/agent-harnesses")
    assert json.loads(data) == {"standardEnvVars": [], "harnesses": {}}
    response, data = http.request(
        "POST",
        f"/api/models/{repo_id}/paths-info/main",
        b"paths=.gitattributes&paths=nope&expand=false",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert [e["path"] for e in json.loads(data)] == [".gitattributes"]
    response, _ = http.request(
        "DELETE", "/api/repos/delete", {"name": repo_id.split("/")[1], "organization": "proto"}
    )
    assert response.status == 200
    response, _ = http.request("GET", f"/api/models/{repo_id}")
    assert response.status == 404
