"""The Hub protocol: one method per endpoint, from a parsed request to a response, with no socket code.

The endpoints and their shapes follow `hub-protocol.md` (what huggingface_hub 2.x, datasets and transformers send
and read). `server.py` turns HTTP into `Request` objects and writes `Response` objects back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
from urllib.parse import parse_qs, quote

from georeset.hub.bodies import read_limited
from georeset.hub.cards import card_metadata, validate_card
from georeset.hub.messages import JSON_BODY_LIMIT, Request, Response, error_response, file_response
from georeset.hub.naming import REPO_TYPES, RepoRef, make_repo_ref, validate_path_in_repo
from georeset.hub.objects import is_sha256, lfs_pointer
from georeset.hub.protocol_errors import HubProtocolError, entry_not_found, repo_not_found
from georeset.hub.storage import (
    DEFAULT_BRANCH,
    SERVER_USER,
    AddFile,
    CommitOperation,
    DeleteFile,
    DeleteFolder,
    HubStorage,
    add_operation_for,
)
from georeset.hub.upload_modes import DEFAULT_GITATTRIBUTES, lfs_patterns, upload_mode


class HubApi:
    """Every endpoint of the protocol over one `HubStorage`.

    Args:
        storage: where repos and objects live.
        token: when set, writes need `Authorization: Bearer <token>` and private repos are hidden without it.
    """

    def __init__(self, storage: HubStorage, token: str | None = None) -> None:
        self.storage = storage
        self.token = token
        # Signs LFS upload URLs: the client PUTs bodies there without its Authorization header.
        self._upload_key = hashlib.sha256(b"georeset-hub-upload:" + (token or "").encode()).digest()

    # ------------------------------------------------------------------ routing

    def handle(self, request: Request) -> Response:
        """Route `request` to its endpoint; protocol errors become the Hub's error responses."""
        try:
            return self._route(request)
        except HubProtocolError as err:
            return error_response(err)

    def _route(self, req: Request) -> Response:
        seg, method = req.segments, req.method
        if seg[:1] == ["api"]:
            return self._route_api(req, seg[1:], method)
        if seg[:1] == ["_lfs"]:
            return self._route_lfs(req, seg[1:], method)
        repo_type = {"datasets": "dataset", "spaces": "space"}.get(seg[0] if seg else "", "model")
        rest = seg[1:] if repo_type != "model" else seg
        if len(rest) >= 6 and rest[1].endswith(".git") and rest[2:6] == ["info", "lfs", "objects", "batch"]:
            if method == "POST":
                return self.lfs_batch(req, make_repo_ref(repo_type, rest[0], rest[1][:-4]))
        if len(rest) >= 4 and rest[2] == "resolve" and method in ("GET", "HEAD"):
            revision, path_parts = _split_revision(rest[3:])
            return self.resolve(
                req, make_repo_ref(repo_type, rest[0], rest[1]), revision, "/".join(path_parts)
            )
        raise HubProtocolError(
            404, f"Not found: {method} /{'/'.join(seg)} is not an endpoint of this server."
        )

    def _route_api(self, req: Request, seg: list[str], method: str) -> Response:
        simple = {
            ("GET", "whoami-v2"): self.whoami,
            ("GET", "agent-harnesses"): lambda r: Response.json({"standardEnvVars": [], "harnesses": {}}),
            ("POST", "validate-yaml"): self.validate_yaml,
            ("POST", "repos/create"): self.create_repo,
            ("DELETE", "repos/delete"): self.delete_repo,
        }
        endpoint = simple.get((method, "/".join(seg)))
        if endpoint is not None:
            return endpoint(req)
        if len(seg) == 1 and seg[0] in REPO_TYPES and method == "GET":
            return self.list_repos(req, REPO_TYPES[seg[0]])
        if len(seg) < 3 or seg[0] not in REPO_TYPES:
            raise HubProtocolError(
                404, f"Not found: {method} /api/{'/'.join(seg)} is not an endpoint of this server."
            )
        repo = make_repo_ref(REPO_TYPES[seg[0]], seg[1], seg[2])
        action, args = (seg[3], seg[4:]) if len(seg) > 3 else ("", [])
        revision, rest = _split_revision(args) if args else (DEFAULT_BRANCH, [])
        routes = {
            ("GET", ""): lambda: self.repo_info(req, repo, DEFAULT_BRANCH),
            ("GET", "revision"): lambda: self.repo_info(req, repo, revision),
            ("GET", "tree"): lambda: self.tree(req, repo, revision, "/".join(rest)),
            ("POST", "preupload"): lambda: self.preupload(req, repo, revision),
            ("POST", "commit"): lambda: self.commit(req, repo, revision),
            ("GET", "refs"): lambda: self.refs(req, repo),
            ("GET", "commits"): lambda: self.commits(req, repo, revision),
            ("POST", "paths-info"): lambda: self.paths_info(req, repo, revision),
            ("POST", "branch"): lambda: self.create_branch(req, repo, "/".join(args)),
            ("DELETE", "branch"): lambda: self.delete_branch(req, repo, "/".join(args)),
            ("POST", "tag"): lambda: self.create_tag(req, repo, revision),
            ("DELETE", "tag"): lambda: self.delete_tag(req, repo, "/".join(args)),
            ("PUT", "settings"): lambda: self.settings(req, repo),
            ("GET", "xet-write-token"): lambda: self.no_xet(),
            ("GET", "xet-read-token"): lambda: self.no_xet(),
        }
        endpoint_call = routes.get((method, action))
        if endpoint_call is None:
            raise HubProtocolError(
                404, f"Not found: {method} /api/{'/'.join(seg)} is not an endpoint of this server."
            )
        return endpoint_call()

    def _route_lfs(self, req: Request, seg: list[str], method: str) -> Response:
        if method == "PUT" and len(seg) == 2 and seg[0] == "upload":
            return self.lfs_upload(req, seg[1])
        if method == "POST" and seg == ["verify"]:
            return self.lfs_verify(req)
        if method in ("GET", "HEAD") and len(seg) == 2 and seg[0] == "objects":
            return self.lfs_download(req, seg[1])
        raise HubProtocolError(
            404, f"Not found: {method} /_lfs/{'/'.join(seg)} is not an endpoint of this server."
        )

    # ------------------------------------------------------------------ access

    def require_write(self, req: Request) -> None:
        """Refuse a write without the server's token (when it has one): 401 without a token, 403 with a wrong one."""
        if self.token is None:
            return
        sent = req.bearer_token
        if sent is None:
            raise HubProtocolError(
                401,
                "This server accepts writes only with its token: send 'Authorization: Bearer <token>' "
                "(set HF_TOKEN to the token given to 'georeset hub serve --token').",
            )
        if not hmac.compare_digest(sent.encode(), self.token.encode()):
            raise HubProtocolError(
                403,
                "Wrong token: this server was started with a different --token; set HF_TOKEN to that token.",
            )

    def require_read(self, req: Request, repo: RepoRef) -> None:
        """404 RepoNotFound when `repo` is absent, or private and the request lacks the server's token."""
        meta = self.storage.repo_meta(repo)
        if meta.get("private") and self.token is not None:
            sent = req.bearer_token or ""
            if not hmac.compare_digest(sent.encode(), self.token.encode()):
                raise repo_not_found(repo)

    def whoami(self, req: Request) -> Response:
        """`GET /api/whoami-v2`."""
        if self.token is not None and req.bearer_token != self.token:
            raise HubProtocolError(401, "Unknown or missing token for this server.")
        return Response.json(
            {
                "type": "user",
                "id": SERVER_USER,
                "name": SERVER_USER,
                "fullname": "georeset local Hub",
                "email": None,
                "emailVerified": False,
                "canPay": False,
                "isPro": False,
                "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"displayName": "local", "role": "write"}},
            }
        )

    # ------------------------------------------------------------------ repos

    def create_repo(self, req: Request) -> Response:
        """`POST /api/repos/create`: 409 when the repo exists."""
        self.require_write(req)
        body = req.json()
        repo = _repo_from_body(body)
        private = bool(body.get("private")) or body.get("visibility") in ("private", "protected")
        url = f"{req.base_url}/{repo.url_prefix}{repo.repo_id}"
        try:
            self.storage.create_repo(repo, private=private)
        except HubProtocolError as err:
            err.extra["url"] = url  # the client reads it even from the 409
            raise
        return Response.json({"url": url, "name": repo.repo_id, "id": repo.repo_id})

    def delete_repo(self, req: Request) -> Response:
        """`DELETE /api/repos/delete`."""
        self.require_write(req)
        self.storage.delete_repo(_repo_from_body(req.json()))
        return Response.json({})

    def settings(self, req: Request, repo: RepoRef) -> Response:
        """`PUT /api/{type}s/{repo}/settings`: only visibility is stored."""
        self.require_write(req)
        body = req.json()
        if "private" in body or "visibility" in body:
            private = bool(body.get("private")) or body.get("visibility") in ("private", "protected")
            self.storage.set_private(repo, private)
        else:
            self.storage.repo_meta(repo)
        return Response.json({})

    def list_repos(self, req: Request, repo_type: str) -> Response:
        """`GET /api/{type}s`: every visible repo (filtered by `author` and `search` when given)."""
        author = req.query.get("author", [None])[-1]
        search = (req.query.get("search", [""])[-1] or "").lower()
        items = []
        for repo in self.storage.list_repos(repo_type):
            if (author and repo.namespace != author) or (search and search not in repo.repo_id.lower()):
                continue
            try:
                self.require_read(req, repo)
                items.append(self._info_json(req, repo, DEFAULT_BRANCH, with_blobs=False))
            except HubProtocolError:
                continue  # deleted meanwhile, or private
        return Response.json(items)

    def repo_info(self, req: Request, repo: RepoRef, revision: str) -> Response:
        """`GET /api/{type}s/{repo}[/revision/{rev}]`, siblings with sizes and LFS details when `blobs=true`."""
        self.require_read(req, repo)
        return Response.json(self._info_json(req, repo, revision, with_blobs=req.flag("blobs")))

    def _info_json(self, req: Request, repo: RepoRef, revision: str, with_blobs: bool) -> dict:
        meta = self.storage.repo_meta(repo)
        commit_id = self.storage.resolve_revision(repo, revision)
        commit = self.storage.commit(repo, commit_id)
        siblings = []
        for path, entry in sorted(commit["tree"].items()):
            sibling: dict = {"rfilename": path}
            if with_blobs:
                sibling.update(size=entry["size"], blobId=entry["blob"])
                if entry["lfs"]:
                    pointer = lfs_pointer(entry["sha256"], entry["size"])
                    sibling["lfs"] = {
                        "sha256": entry["sha256"],
                        "size": entry["size"],
                        "pointerSize": len(pointer),
                    }
            siblings.append(sibling)
        info = {
            "_id": hashlib.sha1(f"{repo.repo_type}/{repo.repo_id}".encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.namespace,
            "sha": commit_id,
            "lastModified": commit["date"],
            "createdAt": meta["createdAt"],
            "private": bool(meta.get("private")),
            "disabled": False,
            "gated": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": siblings,
        }
        readme = commit["tree"].get("README.md")
        if readme is not None and readme["size"] < JSON_BODY_LIMIT:
            with self.storage.objects.open(readme["sha256"]) as handle:
                metadata = card_metadata(handle.read().decode("utf-8", errors="replace"))
            if metadata:
                info["cardData"] = metadata
                if isinstance(metadata.get("tags"), list):
                    info["tags"] = [str(tag) for tag in metadata["tags"]]
        if repo.repo_type == "model":
            info["modelId"] = repo.repo_id
        if repo.repo_type == "space":
            info["sdk"] = (info.get("cardData") or {}).get("sdk", "static")
        return info

    # ------------------------------------------------------------------ trees, refs, history

    def tree(self, req: Request, repo: RepoRef, revision: str, path: str) -> Response:
        """`GET .../tree/{rev}[/{path}]?recursive=&expand=`: 404 EntryNotFound for a missing folder."""
        self.require_read(req, repo)
        if path:
            validate_path_in_repo(path)
        entries = self.storage.list_tree(repo, revision, path, recursive=req.flag("recursive"))
        items = [entry.to_json() for entry in entries]
        if req.flag("expand"):
            self._add_last_commits(repo, revision, items)
        return Response.json(items)

    def paths_info(self, req: Request, repo: RepoRef, revision: str) -> Response:
        """`POST .../paths-info/{rev}` with form (or JSON) fields `paths` and `expand`."""
        self.require_read(req, repo)
        content_type = req.headers.get("Content-Type", "")
        raw = read_limited(req.body, JSON_BODY_LIMIT, "paths-info")
        if "json" in content_type:
            try:
                data = json.loads(raw or b"{}")
            except json.JSONDecodeError as err:
                raise HubProtocolError(400, f"paths-info body is not valid JSON: {err}.") from None
            paths = data.get("paths", [])
            expand = bool(data.get("expand"))
        else:
            form = parse_qs(raw.decode("utf-8", errors="replace"))
            paths = form.get("paths", [])
            expand = form.get("expand", ["false"])[-1].lower() in ("1", "true")
        if isinstance(paths, str):
            paths = [paths]
        items = [entry.to_json() for entry in self.storage.paths_info(repo, revision, paths)]
        if expand:
            self._add_last_commits(repo, revision, items)
        return Response.json(items)

    def _add_last_commits(self, repo: RepoRef, revision: str, items: list[dict]) -> None:
        last = self.storage.last_commits(repo, revision, [item["path"] for item in items])
        for item in items:
            commit = last.get(item["path"])
            if commit is not None:
                item["lastCommit"] = {"id": commit["id"], "title": commit["title"], "date": commit["date"]}
            if item["type"] == "file":
                # Nothing is scanned here: say so, in the shape the client parses.
                item["securityFileStatus"] = {"status": "unscanned", "avScan": None, "pickleImportScan": None}

    def refs(self, req: Request, repo: RepoRef) -> Response:
        """`GET .../refs`: branches, tags, and pull requests when `include_prs=1`."""
        self.require_read(req, repo)
        refs = self.storage.refs(repo)
        data = {
            "branches": [
                {"name": name, "ref": f"refs/heads/{name}", "targetCommit": sha}
                for name, sha in sorted(refs["branches"].items())
            ],
            "tags": [
                {"name": name, "ref": f"refs/tags/{name}", "targetCommit": tag["target"]}
                for name, tag in sorted(refs["tags"].items())
            ],
            "converts": [],
        }
        if req.flag("include_prs"):
            data["pullRequests"] = [
                {"name": f"refs/pr/{num}", "ref": f"refs/pr/{num}", "targetCommit": sha}
                for num, sha in sorted(refs["pulls"].items(), key=lambda item: int(item[0]))
            ]
        return Response.json(data)

    def commits(self, req: Request, repo: RepoRef, revision: str) -> Response:
        """`GET .../commits/{rev}`: first-parent history, newest first."""
        self.require_read(req, repo)
        items = [
            {
                "id": commit["id"],
                "title": commit["title"],
                "message": commit["message"],
                "date": commit["date"],
                "authors": [{"user": author["user"], "avatar": None} for author in commit["authors"]],
            }
            for commit in self.storage.history(repo, revision)
        ]
        return Response.json(items)

    def create_branch(self, req: Request, repo: RepoRef, branch: str) -> Response:
        """`POST .../branch/{branch}` with optional `startingPoint`: 409 when it exists."""
        self.require_write(req)
        body = req.json()
        self.storage.create_branch(repo, branch, body.get("startingPoint"))
        return Response.json({})

    def delete_branch(self, req: Request, repo: RepoRef, branch: str) -> Response:
        """`DELETE .../branch/{branch}`."""
        self.require_write(req)
        self.storage.delete_branch(repo, branch)
        return Response.json({})

    def create_tag(self, req: Request, repo: RepoRef, revision: str) -> Response:
        """`POST .../tag/{revision}` with `tag` and optional `message`: 409 when the tag exists."""
        self.require_write(req)
        body = req.json()
        tag = body.get("tag")
        self.storage.create_tag(repo, tag, revision, str(body.get("message") or ""))
        return Response.json({})

    def delete_tag(self, req: Request, repo: RepoRef, tag: str) -> Response:
        """`DELETE .../tag/{tag}`."""
        self.require_write(req)
        self.storage.delete_tag(repo, tag)
        return Response.json({})

    # ------------------------------------------------------------------ uploads and commits

    def preupload(self, req: Request, repo: RepoRef, revision: str) -> Response:
        """`POST .../preupload/{rev}`: upload mode of each file, and the oid already there (to skip no-ops)."""
        self.require_write(req)
        body = req.json()
        files = body.get("files")
        if not isinstance(files, list):
            raise HubProtocolError(400, "preupload body needs a 'files' list of {path, sample, size}.")
        self.storage.repo_meta(repo)
        _, tree = self.storage.tree_at(repo, revision)
        patterns = lfs_patterns(self._gitattributes(tree))
        answers = []
        for item in files:
            if not isinstance(item, dict):
                raise HubProtocolError(400, f"preupload entry {item!r} is not an object.")
            path = validate_path_in_repo(item.get("path"))
            size = item.get("size")
            if not isinstance(size, int) or size < 0:
                raise HubProtocolError(
                    400, f"preupload entry {path!r}: 'size' must be a non-negative integer."
                )
            try:
                sample = base64.b64decode(item.get("sample") or "", validate=True)
            except (binascii.Error, ValueError):
                raise HubProtocolError(400, f"preupload entry {path!r}: 'sample' is not base64.") from None
            mode = upload_mode(path, size, sample, patterns)
            existing = tree.get(path)
            oid = None
            if existing is not None:
                oid = existing["sha256"] if existing["lfs"] else existing["blob"]
            answers.append({"path": path, "uploadMode": mode, "shouldIgnore": False, "oid": oid})
        return Response.json({"files": answers, "commitOid": self.storage.resolve_revision(repo, revision)})

    def _gitattributes(self, tree: dict) -> str:
        entry = tree.get(".gitattributes")
        if entry is None:
            return DEFAULT_GITATTRIBUTES
        with self.storage.objects.open(entry["sha256"]) as handle:
            return handle.read(1024 * 1024).decode("utf-8", errors="replace")

    def lfs_batch(self, req: Request, repo: RepoRef) -> Response:
        """`POST /{prefix}{repo}.git/info/lfs/objects/batch`: where to PUT each object (nothing if it is stored)."""
        body = req.json()
        operation = body.get("operation")
        if operation == "upload":
            self.require_write(req)
            self.storage.repo_meta(repo)
        elif operation == "download":
            self.require_read(req, repo)
        else:
            raise HubProtocolError(400, f"LFS batch operation {operation!r} is not 'upload' or 'download'.")
        objects = body.get("objects")
        if not isinstance(objects, list):
            raise HubProtocolError(400, "LFS batch body needs an 'objects' list of {oid, size}.")
        answers = []
        for item in objects:
            oid, size = (item.get("oid"), item.get("size")) if isinstance(item, dict) else (None, None)
            answer: dict = {"oid": str(oid), "size": size if isinstance(size, int) else 0}
            stored = self.storage.objects.get(oid) if is_sha256(oid) else None
            if not is_sha256(oid) or not isinstance(size, int) or size < 0:
                answer["error"] = {
                    "code": 422,
                    "message": f"Invalid LFS object {item!r}: need a sha256 oid and a size.",
                }
            elif operation == "download":
                if stored is None:
                    answer["error"] = {
                        "code": 404,
                        "message": f"LFS object {oid} is not stored on this server.",
                    }
                else:
                    answer["actions"] = {
                        "download": {"href": f"{req.base_url}/_lfs/objects/{oid}", "header": {}}
                    }
            elif stored is not None and stored.size != size:
                answer["error"] = {
                    "code": 422,
                    "message": f"LFS object {oid} is stored with size {stored.size}, not {size}.",
                }
            elif stored is None:
                signature = self._sign(oid, size)
                answer["actions"] = {
                    "upload": {
                        "href": f"{req.base_url}/_lfs/upload/{oid}?size={size}&sig={signature}",
                        "header": {},
                    },
                    "verify": {"href": f"{req.base_url}/_lfs/verify", "header": {}},
                }
            answers.append(answer)
        return Response.json(
            {"transfer": "basic", "objects": answers, "hash_algo": "sha256"},
            headers={"Content-Type": "application/vnd.git-lfs+json"},
        )

    def _sign(self, oid: str, size: int) -> str:
        return hmac.new(self._upload_key, f"{oid}:{size}".encode(), hashlib.sha256).hexdigest()

    def lfs_upload(self, req: Request, oid: str) -> Response:
        """`PUT /_lfs/upload/{oid}`: stream the body to disk, keep it only if its sha256 is `oid`."""
        size_text = req.query.get("size", [""])[-1]
        signature = req.query.get("sig", [""])[-1]
        if not is_sha256(oid) or not size_text.isdigit():
            raise HubProtocolError(400, f"Invalid LFS upload URL for {oid!r}: expected a sha256 and a size.")
        size = int(size_text)
        if not hmac.compare_digest(signature, self._sign(oid, size)):
            raise HubProtocolError(
                403, f"LFS upload URL for {oid} is not signed by this server: ask the batch API."
            )
        if req.body.length is not None and req.body.length != size:
            raise HubProtocolError(
                400,
                f"LFS upload of {oid}: body has {req.body.length} bytes, the batch request announced {size}.",
            )
        if self.storage.objects.get(oid) is None:
            self.storage.objects.put_stream(req.body.read, size, expected_sha256=oid)
        else:
            req.body.drain(size + 1)
        return Response.json({})

    def lfs_verify(self, req: Request) -> Response:
        """`POST /_lfs/verify` with `{oid, size}`: 404 unless that object is stored with that size."""
        self.require_write(req)
        body = req.json()
        oid, size = body.get("oid"), body.get("size")
        stored = self.storage.objects.get(oid) if is_sha256(oid) else None
        if stored is None:
            raise HubProtocolError(404, f"LFS object {oid!r} was not uploaded (or was rejected).")
        if stored.size != size:
            raise HubProtocolError(
                422, f"LFS object {oid} has {stored.size} bytes, the client announced {size}."
            )
        return Response.json({"success": True})

    def lfs_download(self, req: Request, oid: str) -> Response:
        """`GET /_lfs/objects/{oid}`: the raw object (target of LFS batch download actions)."""
        stored = self.storage.objects.get(oid) if is_sha256(oid) else None
        if stored is None:
            raise HubProtocolError(404, f"LFS object {oid!r} is not stored on this server.")
        return file_response(req, stored.path, stored.size, {"ETag": f'"{oid}"'})

    def commit(self, req: Request, repo: RepoRef, revision: str) -> Response:
        """`POST .../commit/{rev}` (ndjson): apply the operations atomically on the branch; 412 on stale parent."""
        self.require_write(req)
        self.storage.repo_meta(repo)
        header, operations = self._read_commit_lines(req)
        parent = header.get("parentCommit")
        if parent is not None and not isinstance(parent, str):
            raise HubProtocolError(400, f"'parentCommit' must be a commit id, got {parent!r}.")
        create_pr = req.flag("create_pr")
        result = self.storage.apply_commit(
            repo,
            revision,
            operations,
            summary=str(header.get("summary") or ""),
            description=str(header.get("description") or ""),
            parent_commit=parent,
            create_pr=create_pr,
        )
        repo_url = f"{req.base_url}/{repo.url_prefix}{repo.repo_id}"
        return Response.json(
            {
                "success": True,
                "commitOid": result.commit_id,
                "commitUrl": f"{repo_url}/commit/{result.commit_id}",
                "pullRequestUrl": f"{repo_url}/discussions/{result.pr_num}" if result.pr_num else None,
            }
        )

    def _read_commit_lines(self, req: Request) -> tuple[dict, list[CommitOperation]]:
        """Parse the ndjson commit body line by line, storing regular files' contents as they come."""
        reader = io.BufferedReader(req.body, buffer_size=1024 * 1024)
        header: dict | None = None
        operations: list[CommitOperation] = []
        for number, line in enumerate(reader, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                key, value = item["key"], item["value"]
                if not isinstance(value, dict):
                    raise TypeError
            except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
                raise HubProtocolError(
                    400, f"Commit line {number} is not a {{'key', 'value'}} JSON object: {line[:80]!r}."
                ) from None
            if key == "header":
                header = value
            elif key == "file":
                operations.append(self._regular_file_operation(value, number))
            elif key == "lfsFile":
                operations.append(self._lfs_file_operation(value, number))
            elif key == "deletedFile":
                operations.append(DeleteFile(validate_path_in_repo(value.get("path"))))
            elif key == "deletedFolder":
                operations.append(
                    DeleteFolder(validate_path_in_repo(str(value.get("path") or "").strip("/")))
                )
            else:
                raise HubProtocolError(400, f"Commit line {number}: unknown operation key {key!r}.")
        if header is None:
            raise HubProtocolError(
                400, "Commit body has no 'header' line (summary, description, parentCommit)."
            )
        return header, operations

    def _regular_file_operation(self, value: dict, number: int) -> AddFile:
        path = validate_path_in_repo(value.get("path"))
        encoding = value.get("encoding", "base64")
        content_text = value.get("content")
        if not isinstance(content_text, str):
            raise HubProtocolError(400, f"Commit line {number} ({path!r}): 'content' must be a string.")
        if encoding == "base64":
            try:
                content = base64.b64decode(content_text, validate=True)
            except (binascii.Error, ValueError):
                raise HubProtocolError(
                    400, f"Commit line {number} ({path!r}): content is not valid base64."
                ) from None
        elif encoding in ("utf-8", "utf8"):
            content = content_text.encode()
        else:
            raise HubProtocolError(400, f"Commit line {number} ({path!r}): unknown encoding {encoding!r}.")
        stored = self.storage.objects.put_bytes(content)
        return add_operation_for(path, stored.sha256, stored.size, lfs=False, content=content)

    def _lfs_file_operation(self, value: dict, number: int) -> AddFile:
        path = validate_path_in_repo(value.get("path"))
        oid, algo = value.get("oid"), value.get("algo", "sha256")
        if algo != "sha256" or not is_sha256(oid):
            raise HubProtocolError(
                400, f"Commit line {number} ({path!r}): need algo 'sha256' and a sha256 oid."
            )
        stored = self.storage.objects.get(oid)
        if stored is None:
            raise HubProtocolError(
                400,
                f"Commit line {number}: LFS object {oid} for {path!r} was never uploaded (or was rejected).",
            )
        size = value.get("size")
        if size is not None and size != stored.size:
            raise HubProtocolError(
                400,
                f"Commit line {number} ({path!r}): size {size} does not match the stored {stored.size} bytes.",
            )
        return add_operation_for(path, oid, stored.size, lfs=True)

    def validate_yaml(self, req: Request) -> Response:
        """`POST /api/validate-yaml`: 400 with the problems of a card's YAML front matter."""
        body = req.json()
        content = body.get("content")
        if not isinstance(content, str):
            raise HubProtocolError(400, "validate-yaml needs the card text in 'content'.")
        errors = validate_card(content, str(body.get("repoType") or "model"))
        if errors:
            return Response.json(
                {"errors": [{"message": message} for message in errors], "warnings": []}, 400
            )
        return Response.json({"errors": [], "warnings": []})

    def no_xet(self) -> Response:
        """Xet token endpoints: refused with the setting the client needs."""
        raise HubProtocolError(
            400,
            "This server stores files over plain HTTP and LFS, not Xet: run the client with HF_HUB_DISABLE_XET=1.",
        )

    # ------------------------------------------------------------------ downloads

    def resolve(self, req: Request, repo: RepoRef, revision: str, path: str) -> Response:
        """`HEAD`/`GET /{prefix}{repo}/resolve/{rev}/{path}` with the Hub's headers and byte ranges."""
        self.require_read(req, repo)
        validate_path_in_repo(path)
        commit_id, tree = self.storage.tree_at(repo, revision)
        entry = tree.get(path)
        if entry is None:
            raise entry_not_found(repo, revision, path)
        headers = {
            "X-Repo-Commit": commit_id,
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(path.rsplit('/', 1)[-1])}",
        }
        if entry["lfs"]:
            headers.update(
                {
                    "ETag": f'"{entry["sha256"]}"',
                    "X-Linked-Etag": f'"{entry["sha256"]}"',
                    "X-Linked-Size": str(entry["size"]),
                }
            )
        else:
            headers["ETag"] = f'"{entry["blob"]}"'
        return file_response(req, self.storage.objects.path_for(entry["sha256"]), entry["size"], headers)


def _repo_from_body(body: dict) -> RepoRef:
    """The repo named by a create/delete body: `name` + `organization` (or a full `ns/name` in `name`) + `type`."""
    name, namespace = body.get("name"), body.get("organization")
    if namespace is None and isinstance(name, str) and "/" in name:
        namespace, name = name.split("/", 1)
    return make_repo_ref(body.get("type"), namespace, name)


def _split_revision(parts: list[str]) -> tuple[str, list[str]]:
    """(revision, rest) from path segments, accepting an unquoted `refs/pr/1` as one revision."""
    if len(parts) >= 3 and parts[0] == "refs" and parts[1] in ("heads", "tags", "pr", "convert"):
        return "/".join(parts[:3]), parts[3:]
    return parts[0], parts[1:]


__all__ = ["HubApi"]
