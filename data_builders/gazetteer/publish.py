"""Publish a built gazetteer folder to the Hugging Face Hub, and fetch one back.

`push_to_hub` uploads README.md, data/*.parquet, index/ and build_report.json in one commit (stale shards of an
earlier push are deleted in the same commit), so `load_dataset("ORG/NAME")` gives the rows of `load_dataset(DIR)`
and geoparsers can download the index. It works against any Hub endpoint (`HF_ENDPOINT`), including georeset's
own Hub-protocol server for air-gapped teams.
"""

from __future__ import annotations

import re
from pathlib import Path

from georeset.errors import BadInputError, GeoresetError

UPLOAD_PATTERNS = ["README.md", "build_report.json", "data/*.parquet", "index/**"]
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_repo_id(repo_id: str) -> str:
    """A namespaced Hub id (`ORG/NAME`), or a BadInputError that says what is wrong with it."""
    if not isinstance(repo_id, str) or not _REPO_ID.match(repo_id):
        raise BadInputError(f"--push-to-hub {repo_id!r}: a Hub dataset id must look like ORG/NAME")
    return repo_id


def _check_folder(folder: Path) -> None:
    if not (folder / "README.md").is_file() or not any((folder / "data").glob("*.parquet")):
        raise BadInputError(f"{folder}: not a gazetteer folder (README.md and data/*.parquet are missing)")


# What a card rendered without a repo id writes in its loading examples (model_cards.dataset_card).
CARD_REPO_PLACEHOLDER = "ORG/NAME"


def _name_repo_in_card(folder: Path, repo_id: str) -> None:
    """Cards are written at build time, before the repo is known: name the repo in their loading examples."""
    card = folder / "README.md"
    if card.is_file() and CARD_REPO_PLACEHOLDER in (text := card.read_text(encoding="utf-8")):
        from georeset.cli_types import write_atomic

        write_atomic(card, text.replace(CARD_REPO_PLACEHOLDER, repo_id))


def push_folder(
    folder: str | Path,
    repo_id: str,
    *,
    allow_patterns: list[str],
    delete_patterns: list[str],
    commit_message: str,
    token: str | None = None,
    private: bool | None = None,
    revision: str | None = None,
) -> str:
    """Upload the matching files of a folder to a Hub dataset repository in one commit; returns the commit URL.

    `delete_patterns` removes remote files of an earlier push (stale shards) in the same commit. Any dataset folder
    (gazetteer, geotext...) publishes through here.

    Raises:
        BadInputError: the repo id is not `ORG/NAME`.
        HubUnreachableError: the endpoint does not answer or offline mode is on.
        GeoresetError: the Hub refused the upload (the message carries its answer).
    """
    check_repo_id(repo_id)
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    from georeset.hub.client import check_endpoint

    check_endpoint()
    _name_repo_in_card(Path(folder), repo_id)
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(
            folder_path=Path(folder),
            repo_id=repo_id,
            repo_type="dataset",
            revision=revision,
            allow_patterns=allow_patterns,
            delete_patterns=delete_patterns,
            commit_message=commit_message,
        )
    except HfHubHTTPError as error:
        raise GeoresetError(f"pushing {folder} to {repo_id} failed: {error}") from error
    return commit.commit_url


def push_to_hub(
    gazetteer_dir: str | Path,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool | None = None,
    revision: str | None = None,
    commit_message: str = "Upload georeset gazetteer",
) -> str:
    """Upload a gazetteer folder (card, shards, index, report) as a Hub dataset repository; returns the commit URL.

    Raises:
        BadInputError: the folder is not a gazetteer, or the repo id is not `ORG/NAME`.
        HubUnreachableError: the endpoint does not answer or offline mode is on.
        GeoresetError: the Hub refused the upload (the message carries its answer).
    """
    folder = Path(gazetteer_dir).expanduser()
    _check_folder(folder)
    return push_folder(
        folder,
        check_repo_id(repo_id),
        allow_patterns=UPLOAD_PATTERNS,
        delete_patterns=["data/*.parquet", "index/**"],
        commit_message=commit_message,
        token=token,
        private=private,
        revision=revision,
    )


def download_gazetteer(repo_id: str, *, revision: str | None = None, token: str | None = None) -> Path:
    """Download a published gazetteer (card, shards, index) into the Hub cache; returns its local folder.

    Raises:
        HubUnreachableError: the endpoint does not answer or offline mode is on (and nothing is cached).
    """
    check_repo_id(repo_id)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    from georeset.hub.client import check_endpoint

    try:
        return Path(
            snapshot_download(
                repo_id, repo_type="dataset", revision=revision, token=token, allow_patterns=UPLOAD_PATTERNS
            )
        )
    except LocalEntryNotFoundError:
        check_endpoint()  # raises the clear offline / unreachable error
        raise
    except HfHubHTTPError as error:
        raise GeoresetError(f"downloading the gazetteer {repo_id} failed: {error}") from error


__all__ = ["UPLOAD_PATTERNS", "check_repo_id", "push_folder", "push_to_hub", "download_gazetteer"]
