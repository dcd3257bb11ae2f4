"""Repositories on disk: commits, refs and trees, written so that a crash or a race never loses or tears a commit.

Layout under the server root::

    objects/<aa>/<sha256>                        every file body once, content-addressed (see objects.py)
    repos/<type>s/<namespace>/<name>/
        repo.json                                {"createdAt", "private"}
        refs.json                                {"branches": {name: sha}, "tags": {name: {...}}, "pulls": {n: sha}}
        commits/<sha1>.json                      one immutable commit: parents, message, date, full file tree
        .lock                                    flock'ed while a commit, branch or tag is written

A commit is a JSON file named after the sha1 of its own content; it is written (atomically) before `refs.json` is
swapped to point at it, so a server killed in between leaves an unreferenced commit file, never a half commit.
All ref changes of a repo happen under its file lock, which serializes concurrent commits from threads of one
server and from several server processes sharing a root; a stale `parentCommit` is refused with 412.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from georeset.hub.locks import file_lock, read_json, write_json_atomic
from georeset.hub.naming import RepoRef, validate_path_in_repo, validate_ref_name
from georeset.hub.objects import ObjectStore, git_blob_sha1, lfs_pointer
from georeset.hub.protocol_errors import HubProtocolError, entry_not_found, repo_not_found, revision_not_found
from georeset.hub.upload_modes import DEFAULT_GITATTRIBUTES

DEFAULT_BRANCH = "main"
SERVER_USER = "georeset"
_COMMIT_CACHE_SIZE = 1024


def utc_now_iso() -> str:
    """Current time as the Hub writes it (`2026-11-24T08:00:00.000Z`)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class AddFile:
    """Commit operation: put an already stored object at `path`."""

    path: str
    sha256: str
    size: int
    lfs: bool
    blob: str  # git blob id: of the content (regular) or of the LFS pointer (lfs)


@dataclass(frozen=True)
class DeleteFile:
    """Commit operation: remove the file at `path`."""

    path: str


@dataclass(frozen=True)
class DeleteFolder:
    """Commit operation: remove every file under `path/`."""

    path: str


CommitOperation = AddFile | DeleteFile | DeleteFolder


@dataclass(frozen=True)
class CommitResult:
    """What a commit produced: the new commit id, and the pull-request number when `create_pr` was asked."""

    commit_id: str
    pr_num: int | None = None


@dataclass(frozen=True)
class TreeEntry:
    """A file or folder of a tree listing (the shape of `/tree` and `/paths-info` items)."""

    path: str
    kind: str  # "file" or "directory"
    oid: str
    size: int
    sha256: str | None = None
    lfs: bool = False

    def to_json(self) -> dict:
        """The Hub's JSON form of this entry (`lfs` details for LFS files)."""
        item: dict = {"type": self.kind, "oid": self.oid, "size": self.size, "path": self.path}
        if self.kind == "file" and self.lfs:
            item["lfs"] = {
                "oid": self.sha256,
                "size": self.size,
                "pointerSize": len(lfs_pointer(self.sha256 or "", self.size)),
            }
        return item


def add_operation_for(path: str, sha256: str, size: int, lfs: bool, content: bytes | None = None) -> AddFile:
    """An `AddFile` with its git blob id: of `content` for regular files, of the pointer for LFS files."""
    if lfs:
        blob = git_blob_sha1(lfs_pointer(sha256, size))
    else:
        if content is None:
            raise ValueError("a regular file needs its content to compute its git blob id")
        blob = git_blob_sha1(content)
    return AddFile(validate_path_in_repo(path), sha256, size, lfs, blob)


class HubStorage:
    """All repositories and objects of one server root.

    Args:
        root: folder holding everything; created if missing. Several server processes may share it.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().resolve()
        self.repos_root = self.root / "repos"
        self.trash = self.root / "trash"
        for folder in (self.repos_root, self.trash):
            folder.mkdir(parents=True, exist_ok=True)
        self.objects = ObjectStore(self.root / "objects")
        self._commit_cache: OrderedDict[tuple[str, str], dict] = OrderedDict()
        self._cache_lock = threading.Lock()

    # ---------------------------------------------------------------- repos

    def repo_dir(self, repo: RepoRef) -> Path:
        """Folder of `repo` (validated names only reach here, so this stays under the root)."""
        return self.repos_root / f"{repo.repo_type}s" / repo.namespace / repo.name

    def repo_exists(self, repo: RepoRef) -> bool:
        """Whether `repo` exists."""
        return (self.repo_dir(repo) / "refs.json").is_file()

    def repo_meta(self, repo: RepoRef) -> dict:
        """`repo.json` of `repo`: createdAt, private. 404 RepoNotFound when absent."""
        try:
            meta = read_json(self.repo_dir(repo) / "repo.json")
        except FileNotFoundError:
            raise repo_not_found(repo) from None
        return meta  # type: ignore[return-value]

    def create_repo(self, repo: RepoRef, private: bool = False) -> None:
        """Create `repo` with an initial commit holding the default `.gitattributes`.

        The repo is assembled in a temporary folder and renamed into place, which is atomic and fails when the
        target exists: two concurrent creations give one repo and one 409.

        Raises:
            HubProtocolError: 409 when the repo exists.
        """
        target = self.repo_dir(repo)
        if self.repo_exists(repo):
            raise HubProtocolError(409, f"You already created this {repo.repo_type} repo: {repo.repo_id}.")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f".creating-{repo.name}-{uuid.uuid4().hex}"
        (staging / "commits").mkdir(parents=True)
        try:
            now = utc_now_iso()
            write_json_atomic(staging / "repo.json", {"createdAt": now, "private": bool(private)})
            content = DEFAULT_GITATTRIBUTES.encode()
            stored = self.objects.put_bytes(content)
            tree = {
                ".gitattributes": _entry(
                    add_operation_for(".gitattributes", stored.sha256, stored.size, False, content)
                )
            }
            commit_id = self._write_commit(staging, [], "initial commit", "", tree, now)
            write_json_atomic(
                staging / "refs.json", {"branches": {DEFAULT_BRANCH: commit_id}, "tags": {}, "pulls": {}}
            )
            try:
                os.rename(staging, target)
            except OSError:
                raise HubProtocolError(
                    409, f"You already created this {repo.repo_type} repo: {repo.repo_id}."
                ) from None
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def delete_repo(self, repo: RepoRef) -> None:
        """Delete `repo` (moved aside atomically, then removed). 404 RepoNotFound when absent."""
        target = self.repo_dir(repo)
        if not self.repo_exists(repo):
            raise repo_not_found(repo)
        with file_lock(target / ".lock"):
            graveyard = self.trash / uuid.uuid4().hex
            os.rename(target, graveyard)
        shutil.rmtree(graveyard, ignore_errors=True)

    def set_private(self, repo: RepoRef, private: bool) -> None:
        """Change the visibility of `repo`."""
        folder = self.repo_dir(repo)
        with file_lock(folder / ".lock"):
            meta = self.repo_meta(repo)
            meta["private"] = bool(private)
            write_json_atomic(folder / "repo.json", meta)

    def list_repos(self, repo_type: str) -> list[RepoRef]:
        """Every repo of `repo_type`, sorted by id."""
        base = self.repos_root / f"{repo_type}s"
        found = []
        for refs_file in sorted(base.glob("*/*/refs.json")):
            found.append(RepoRef(repo_type, refs_file.parent.parent.name, refs_file.parent.name))
        return found

    # ---------------------------------------------------------------- refs and commits

    def refs(self, repo: RepoRef) -> dict:
        """`refs.json` of `repo` (branches, tags, pulls). 404 RepoNotFound when absent."""
        try:
            return read_json(self.repo_dir(repo) / "refs.json")  # type: ignore[return-value]
        except FileNotFoundError:
            raise repo_not_found(repo) from None

    def commit(self, repo: RepoRef, commit_id: str) -> dict:
        """The commit `commit_id` of `repo` (cached: commits never change)."""
        key = (str(self.repo_dir(repo)), commit_id)
        with self._cache_lock:
            cached = self._commit_cache.get(key)
            if cached is not None:
                self._commit_cache.move_to_end(key)
                return cached
        try:
            data = read_json(self.repo_dir(repo) / "commits" / f"{commit_id}.json")
        except FileNotFoundError:
            raise revision_not_found(repo, commit_id) from None
        with self._cache_lock:
            self._commit_cache[key] = data  # type: ignore[assignment]
            if len(self._commit_cache) > _COMMIT_CACHE_SIZE:
                self._commit_cache.popitem(last=False)
        return data  # type: ignore[return-value]

    def resolve_revision(self, repo: RepoRef, revision: str) -> str:
        """The commit id a branch, tag, `refs/...` name or commit id points at.

        Raises:
            HubProtocolError: 404 RepoNotFound or RevisionNotFound.
        """
        refs = self.refs(repo)
        name = revision
        if name in refs["branches"]:
            return refs["branches"][name]
        if name in refs["tags"]:
            return refs["tags"][name]["target"]
        for prefix, table in (("refs/heads/", "branches"), ("refs/tags/", "tags"), ("refs/pr/", "pulls")):
            if name.startswith(prefix) and name[len(prefix) :] in refs[table]:
                value = refs[table][name[len(prefix) :]]
                return value["target"] if table == "tags" else value
        if len(name) == 40 and all(ch in "0123456789abcdef" for ch in name):
            if (self.repo_dir(repo) / "commits" / f"{name}.json").is_file():
                return name
        raise revision_not_found(repo, revision)

    def tree_at(self, repo: RepoRef, revision: str) -> tuple[str, dict[str, dict]]:
        """(commit id, {path: entry}) of `repo` at `revision`."""
        commit_id = self.resolve_revision(repo, revision)
        return commit_id, self.commit(repo, commit_id)["tree"]

    def history(self, repo: RepoRef, revision: str, limit: int | None = None) -> list[dict]:
        """Commits reachable from `revision` by first parents, newest first."""
        commit_id: str | None = self.resolve_revision(repo, revision)
        commits = []
        while commit_id and (limit is None or len(commits) < limit):
            commit = self.commit(repo, commit_id)
            commits.append(commit)
            commit_id = commit["parents"][0] if commit["parents"] else None
        return commits

    def apply_commit(
        self,
        repo: RepoRef,
        revision: str,
        operations: list[CommitOperation],
        summary: str,
        description: str = "",
        parent_commit: str | None = None,
        create_pr: bool = False,
    ) -> CommitResult:
        """Apply `operations` on top of branch `revision` and move the branch (or a new PR ref) to the result.

        Args:
            repo: the repository.
            revision: a branch name (or `refs/pr/N`); tags and commit ids cannot be committed to.
            operations: additions (objects already stored), file and folder deletions, in order.
            summary: commit title.
            description: commit message body.
            parent_commit: when given, the commit the client based its change on: if the branch has moved since,
                the commit is refused with 412 so the client can refresh instead of silently overwriting.
            create_pr: commit onto a new `refs/pr/N` branched from `revision`, leaving `revision` as it was.

        Raises:
            HubProtocolError: 404 for a missing repo, branch or deleted entry, 412 for a stale parent, 400 for a
                missing LFS object or a path that is both a file and a folder.
        """
        for operation in operations:
            if isinstance(operation, AddFile) and self.objects.get(operation.sha256) is None:
                raise HubProtocolError(
                    400,
                    f"LFS object {operation.sha256} for {operation.path!r} was never uploaded: upload it through "
                    "the LFS batch API before committing.",
                )
        with self._editing_refs(repo) as refs:
            table, branch = _branch_slot(refs, revision)
            if table is None:
                raise revision_not_found(repo, revision)
            head = refs[table][branch]
            if parent_commit and parent_commit != head:
                raise HubProtocolError(
                    412,
                    f"A commit has happened since {parent_commit} on {revision!r} of {repo} (head is now {head}). "
                    "Please refresh and try again.",
                )
            tree = dict(self.commit(repo, head)["tree"])
            for operation in operations:
                _apply_operation(tree, operation, repo, revision)
            commit_id = self._write_commit(
                self.repo_dir(repo), [head], summary or "Upload files", description, tree, utc_now_iso()
            )
            pr_num = None
            if create_pr:
                pr_num = 1 + max((int(n) for n in refs["pulls"]), default=0)
                refs["pulls"][str(pr_num)] = commit_id
            else:
                refs[table][branch] = commit_id
        return CommitResult(commit_id, pr_num)

    def _write_commit(
        self, folder: Path, parents: list[str], title: str, message: str, tree: dict, date: str
    ) -> str:
        body = {
            "parents": parents,
            "title": title,
            "message": message,
            "date": date,
            "authors": [{"user": SERVER_USER}],
            "tree": tree,
        }
        commit_id = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()
        body["id"] = commit_id
        write_json_atomic(folder / "commits" / f"{commit_id}.json", body)
        return commit_id

    # ---------------------------------------------------------------- branches and tags

    @contextlib.contextmanager
    def _editing_refs(self, repo: RepoRef) -> Iterator[dict]:
        """Lock `repo`, yield its refs for changes, then write them atomically (not at all if the block raised)."""
        folder = self.repo_dir(repo)
        if not self.repo_exists(repo):
            raise repo_not_found(repo)
        try:
            with file_lock(folder / ".lock"):
                refs = self.refs(repo)  # read under the lock: the repo may have been deleted meanwhile
                yield refs
                write_json_atomic(folder / "refs.json", refs)
        except FileNotFoundError:
            raise repo_not_found(repo) from None

    def create_branch(self, repo: RepoRef, branch: str, starting_point: str | None = None) -> str:
        """Create `branch` at `starting_point` (default: the default branch's head). 409 if it exists."""
        validate_ref_name(branch, "branch")
        with self._editing_refs(repo) as refs:
            if branch in refs["branches"]:
                raise HubProtocolError(409, f"Branch {branch!r} already exists in {repo}.")
            target = self.resolve_revision(repo, starting_point or DEFAULT_BRANCH)
            refs["branches"][branch] = target
        return target

    def delete_branch(self, repo: RepoRef, branch: str) -> None:
        """Delete `branch` (never the default branch). 404 RevisionNotFound if it does not exist."""
        if branch == DEFAULT_BRANCH:
            raise HubProtocolError(403, f"The default branch {DEFAULT_BRANCH!r} of {repo} cannot be deleted.")
        with self._editing_refs(repo) as refs:
            if branch not in refs["branches"]:
                raise revision_not_found(repo, branch)
            del refs["branches"][branch]

    def create_tag(self, repo: RepoRef, tag: str, revision: str, message: str = "") -> str:
        """Tag the commit `revision` points at. 409 if the tag exists."""
        validate_ref_name(tag, "tag")
        with self._editing_refs(repo) as refs:
            if tag in refs["tags"]:
                raise HubProtocolError(409, f"Tag {tag!r} already exists in {repo}.")
            target = self.resolve_revision(repo, revision)
            refs["tags"][tag] = {"target": target, "message": message or ""}
        return target

    def delete_tag(self, repo: RepoRef, tag: str) -> None:
        """Delete `tag`. 404 RevisionNotFound if it does not exist."""
        with self._editing_refs(repo) as refs:
            if tag not in refs["tags"]:
                raise revision_not_found(repo, tag)
            del refs["tags"][tag]

    # ---------------------------------------------------------------- trees

    def list_tree(
        self, repo: RepoRef, revision: str, path: str = "", recursive: bool = False
    ) -> list[TreeEntry]:
        """Entries under folder `path` at `revision` (all descendants when `recursive`), folders first.

        Raises:
            HubProtocolError: 404 EntryNotFound when `path` is not a folder of the tree.
        """
        _, tree = self.tree_at(repo, revision)
        path = path.strip("/")
        prefix = f"{path}/" if path else ""
        files = {p: e for p, e in tree.items() if p.startswith(prefix)}
        if path and not files:
            raise entry_not_found(repo, revision, path)
        folders: dict[str, list[tuple[str, str]]] = {}
        entries: list[TreeEntry] = []
        for file_path, entry in sorted(files.items()):
            rest = file_path[len(prefix) :]
            parts = rest.split("/")
            for depth in range(1, len(parts)):
                if not recursive and depth > 1:
                    break
                folders.setdefault(prefix + "/".join(parts[:depth]), []).append((file_path, entry["blob"]))
            if recursive or len(parts) == 1:
                entries.append(_file_entry(file_path, entry))
        folder_entries = [
            TreeEntry(folder, "directory", _folder_oid(folder, tree), 0) for folder in sorted(folders)
        ]
        return folder_entries + entries

    def paths_info(self, repo: RepoRef, revision: str, paths: Iterable[str]) -> list[TreeEntry]:
        """Entries for the given paths (files or folders) at `revision`; missing paths are left out."""
        _, tree = self.tree_at(repo, revision)
        found = []
        for path in paths:
            path = path.strip("/")
            if path in tree:
                found.append(_file_entry(path, tree[path]))
            elif any(p.startswith(path + "/") for p in tree):
                found.append(TreeEntry(path, "directory", _folder_oid(path, tree), 0))
        return found

    def last_commits(self, repo: RepoRef, revision: str, paths: list[str]) -> dict[str, dict]:
        """For each path (file or folder), the newest commit reachable from `revision` that changed it."""
        wanted = set(paths)
        found: dict[str, dict] = {}
        for commit in self.history(repo, revision):
            if not wanted:
                break
            parent_tree = self.commit(repo, commit["parents"][0])["tree"] if commit["parents"] else {}
            tree = commit["tree"]
            changed = {p for p in set(tree) | set(parent_tree) if tree.get(p) != parent_tree.get(p)}
            for path in list(wanted):
                if path in changed or any(c.startswith(path + "/") for c in changed):
                    found[path] = commit
                    wanted.discard(path)
        return found


def _branch_slot(refs: dict, revision: str) -> tuple[str | None, str]:
    """Which table of refs.json holds branch `revision` (branches or pulls), and its key there."""
    if revision in refs["branches"]:
        return "branches", revision
    if revision.startswith("refs/heads/") and revision[11:] in refs["branches"]:
        return "branches", revision[11:]
    if revision.startswith("refs/pr/") and revision[8:] in refs["pulls"]:
        return "pulls", revision[8:]
    return None, revision


def _entry(operation: AddFile) -> dict:
    return {"sha256": operation.sha256, "size": operation.size, "lfs": operation.lfs, "blob": operation.blob}


def _apply_operation(tree: dict[str, dict], operation: CommitOperation, repo: RepoRef, revision: str) -> None:
    """Apply one operation to `tree` in place, refusing file/folder clashes and deletions of nothing."""
    path = validate_path_in_repo(
        operation.path.strip("/") if isinstance(operation, DeleteFolder) else operation.path
    )
    if isinstance(operation, AddFile):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in tree:
                raise HubProtocolError(
                    400, f"Cannot add {path!r}: {'/'.join(parts[:depth])!r} is a file in {repo}."
                )
        if path not in tree and any(p.startswith(path + "/") for p in tree):
            raise HubProtocolError(400, f"Cannot add file {path!r}: it is a folder in {repo}.")
        tree[path] = _entry(operation)
    elif isinstance(operation, DeleteFile):
        if path not in tree:
            raise entry_not_found(repo, revision, path)
        del tree[path]
    else:
        doomed = [p for p in tree if p.startswith(path + "/")]
        if not doomed:
            raise entry_not_found(repo, revision, path)
        for doomed_path in doomed:
            del tree[doomed_path]


def _file_entry(path: str, entry: dict) -> TreeEntry:
    return TreeEntry(path, "file", entry["blob"], entry["size"], entry["sha256"], entry["lfs"])


def _folder_oid(folder: str, tree: dict[str, dict]) -> str:
    # Not git's tree hash, but like it a digest of everything below, so it changes exactly when the folder does.
    digest = hashlib.sha1()
    prefix = folder + "/"
    for path in sorted(p for p in tree if p.startswith(prefix)):
        digest.update(f"{path[len(prefix) :]}\0{tree[path]['blob']}\n".encode())
    return digest.hexdigest()


__all__ = [
    "DEFAULT_BRANCH",
    "SERVER_USER",
    "utc_now_iso",
    "AddFile",
    "DeleteFile",
    "DeleteFolder",
    "CommitOperation",
    "CommitResult",
    "TreeEntry",
    "add_operation_for",
    "HubStorage",
]
