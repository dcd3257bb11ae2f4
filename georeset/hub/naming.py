"""Repo ids, repo types and paths inside a repo, validated before they ever touch the disk.

Every name that arrives over HTTP goes through here first, so that no request can reach outside the server's root
(`../`, absolute paths, NUL bytes) and so that the URL space stays unambiguous (a model repo cannot be called
`datasets/x`, because `/datasets/...` is where dataset files are resolved).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from georeset.hub.protocol_errors import HubProtocolError

# Plural form used in API URLs (`/api/models/...`) -> singular type used in JSON bodies (`"type": "dataset"`).
REPO_TYPES: dict[str, str] = {"models": "model", "datasets": "dataset", "spaces": "space"}
# Prefix of resolve and LFS URLs: models have none.
URL_PREFIXES: dict[str, str] = {"model": "", "dataset": "datasets/", "space": "spaces/"}

# The Hub's own rule: letters, digits, '-', '_', '.'; no leading/trailing '-' or '.', no '--' or '..'; <= 96 chars.
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
# First URL segments the server routes itself: a namespace of that name would shadow them.
RESERVED_NAMESPACES = frozenset({"api", "datasets", "spaces", "models", "_lfs", "resolve", "refs"})


@dataclass(frozen=True)
class RepoRef:
    """A validated repository address.

    Attributes:
        repo_type: "model", "dataset" or "space".
        namespace: user or organization part of the id.
        name: repository name.
    """

    repo_type: str
    namespace: str
    name: str

    @property
    def repo_id(self) -> str:
        """`namespace/name`."""
        return f"{self.namespace}/{self.name}"

    @property
    def url_prefix(self) -> str:
        """Prefix of this repo's resolve URLs ("" for models)."""
        return URL_PREFIXES[self.repo_type]

    def __str__(self) -> str:
        return f"{self.repo_type} repo '{self.repo_id}'"


def validate_name_part(value: object, what: str) -> str:
    """Return `value` if it is a legal namespace or repo name, else raise a 400 that names the problem."""
    if not isinstance(value, str) or not value:
        raise HubProtocolError(400, f"Invalid {what} {value!r}: expected a non-empty string.")
    if not _NAME_RE.match(value) or ".." in value or "--" in value:
        raise HubProtocolError(
            400,
            f"Invalid {what} {value!r}: use letters, digits, '-', '_' and '.', at most 96 characters, "
            "not starting or ending with '-' or '.', and without '..' or '--'.",
        )
    return value


def make_repo_ref(repo_type: str | None, namespace: object, name: object) -> RepoRef:
    """Build a `RepoRef` from untrusted parts.

    Args:
        repo_type: singular type ("model", "dataset", "space"); None means model (as in the Hub's create API).
        namespace: the namespace; repos must be namespaced (`ns/name`).
        name: the repository name.

    Raises:
        HubProtocolError: 400 naming the bad part.
    """
    repo_type = repo_type or "model"
    if repo_type not in URL_PREFIXES:
        raise HubProtocolError(
            400, f"Invalid repo type {repo_type!r}: expected one of {', '.join(sorted(URL_PREFIXES))}."
        )
    if namespace is None or namespace == "":
        raise HubProtocolError(
            400, f"Repo name {name!r} has no namespace: this server needs namespaced ids ('namespace/name')."
        )
    validate_name_part(namespace, "namespace")
    validate_name_part(name, "repo name")
    if str(namespace).lower() in RESERVED_NAMESPACES:
        raise HubProtocolError(
            400, f"Invalid namespace {namespace!r}: the name is reserved by the server's URLs."
        )
    return RepoRef(repo_type, str(namespace), str(name))


def validate_path_in_repo(path: object) -> str:
    """Return a normalized file path inside a repo, or raise a 400 naming the problem.

    Rejected: empty paths, absolute paths, backslashes, NUL or control characters, `.` / `..` / empty segments and
    anything under `.git/`.
    """
    if not isinstance(path, str) or not path:
        raise HubProtocolError(400, f"Invalid path in repo {path!r}: expected a non-empty string.")
    if path.startswith("/") or "\\" in path or any(ord(ch) < 32 for ch in path):
        raise HubProtocolError(
            400, f"Invalid path in repo {path!r}: absolute, backslash or control character."
        )
    segments = path.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        raise HubProtocolError(400, f"Invalid path in repo {path!r}: empty, '.' or '..' segment.")
    if segments[0] == ".git":
        raise HubProtocolError(400, f"Invalid path in repo {path!r}: '.git' is reserved.")
    return path


def validate_ref_name(name: object, what: str = "branch") -> str:
    """Return a legal branch or tag name (git's rules, simplified), or raise a 400."""
    if not isinstance(name, str) or not name or len(name) > 200:
        raise HubProtocolError(400, f"Invalid {what} name {name!r}.")
    bad = (
        name.startswith(("/", "-", "refs/"))
        or name.endswith(("/", ".lock", "."))
        or ".." in name
        or "//" in name
        or "@{" in name
        or any(ord(ch) < 33 or ch in "~^:?*[\\" for ch in name)
    )
    if bad:
        raise HubProtocolError(400, f"Invalid {what} name {name!r}: not a legal git ref name.")
    return name


__all__ = [
    "REPO_TYPES",
    "URL_PREFIXES",
    "RESERVED_NAMESPACES",
    "RepoRef",
    "validate_name_part",
    "make_repo_ref",
    "validate_path_in_repo",
    "validate_ref_name",
]
