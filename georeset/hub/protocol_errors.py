"""The one exception the storage layer raises: an HTTP status, a message for the user, and the Hub's error code."""

from __future__ import annotations


class HubProtocolError(Exception):
    """A request the server refuses, answered as `status` with `message` (and `X-Error-Code` when set).

    Args:
        status: HTTP status code (400, 401, 403, 404, 409, 412, 416, 422...).
        message: what is wrong, naming the input; shown by huggingface_hub in the raised exception.
        error_code: the Hub's `X-Error-Code` (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`) that clients map to
            their own exception classes.
        extra: more fields for the JSON body (a 409 on create carries the existing repo's `url`).
    """

    def __init__(
        self, status: int, message: str, error_code: str | None = None, extra: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code
        self.extra = extra or {}


def repo_not_found(repo: object) -> HubProtocolError:
    """404 RepoNotFound for `repo` (a RepoRef or an id)."""
    return HubProtocolError(404, f"Repository not found: {repo}.", "RepoNotFound")


def revision_not_found(repo: object, revision: str) -> HubProtocolError:
    """404 RevisionNotFound for `revision` in `repo`."""
    return HubProtocolError(
        404, f"Invalid rev id: {revision!r} is not a branch, tag or commit of {repo}.", "RevisionNotFound"
    )


def entry_not_found(repo: object, revision: str, path: str) -> HubProtocolError:
    """404 EntryNotFound for `path` at `revision` of `repo`."""
    return HubProtocolError(
        404, f"Entry not found: {path!r} does not exist at revision {revision!r} of {repo}.", "EntryNotFound"
    )


__all__ = ["HubProtocolError", "repo_not_found", "revision_not_found", "entry_not_found"]
