"""huggingface_hub's own client against the local server: uploads, downloads, refs, conflicts, concurrency."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

LARGE_FILE_BYTES = 52 * 1024 * 1024


def _repo(prefix: str) -> str:
    return f"georeset-test/{prefix}-{uuid.uuid4().hex[:8]}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def test_create_repo_exist_ok_and_conflict(hub_env):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi()
    repo_id = _repo("exists")
    url = api.create_repo(repo_id, repo_type="dataset")
    assert url.repo_id == repo_id and url.repo_type == "dataset"
    assert api.create_repo(repo_id, repo_type="dataset", exist_ok=True).repo_id == repo_id
    with pytest.raises(HfHubHTTPError) as err:
        api.create_repo(repo_id, repo_type="dataset")
    assert err.value.response.status_code == 409
    assert api.repo_exists(repo_id, repo_type="dataset") and not api.repo_exists(repo_id)  # not a model repo


def test_branches_tags_and_ranges(hub_env, tmp_path):
    from huggingface_hub import HfApi, HfFileSystem, hf_hub_download

    api = HfApi()
    repo_id = _repo("refs")
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"version one", path_in_repo="a.txt", repo_id=repo_id)
    api.create_tag(repo_id, tag="v1.0")
    api.create_branch(repo_id, branch="dev")
    api.upload_file(path_or_fileobj=b"dev only", path_in_repo="dev.txt", repo_id=repo_id, revision="dev")
    api.upload_file(path_or_fileobj=b"version two", path_in_repo="a.txt", repo_id=repo_id)

    refs = api.list_repo_refs(repo_id)
    assert {b.name for b in refs.branches} == {"main", "dev"} and [t.name for t in refs.tags] == ["v1.0"]
    assert Path(hf_hub_download(repo_id, "a.txt", revision="v1.0")).read_bytes() == b"version one"
    assert Path(hf_hub_download(repo_id, "a.txt")).read_bytes() == b"version two"
    assert "dev.txt" in api.list_repo_files(repo_id, revision="dev")
    assert "dev.txt" not in api.list_repo_files(repo_id)
    assert [c.title for c in api.list_repo_commits(repo_id)][-1] == "initial commit"

    with HfFileSystem().open(f"{repo_id}/a.txt", "rb") as handle:  # HfFileSystem reads with Range requests
        handle.seek(8)
        assert handle.read(3) == b"two"

    api.delete_tag(repo_id, tag="v1.0")
    api.delete_branch(repo_id, branch="dev")
    refs = api.list_repo_refs(repo_id)
    assert [b.name for b in refs.branches] == ["main"] and refs.tags == []


def test_stale_parent_commit_is_refused(hub_env):
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi()
    repo_id = _repo("stale")
    api.create_repo(repo_id)
    base = api.repo_info(repo_id).sha
    api.create_commit(repo_id, [CommitOperationAdd("a.txt", b"a")], commit_message="a", parent_commit=base)
    with pytest.raises(HfHubHTTPError) as err:
        api.create_commit(
            repo_id, [CommitOperationAdd("b.txt", b"b")], commit_message="b", parent_commit=base
        )
    assert err.value.response.status_code == 412
    assert "b.txt" not in api.list_repo_files(repo_id)


def test_writes_without_the_token_are_refused(hub_env):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as err:
        HfApi(token=False).create_repo(_repo("anonymous"))
    assert err.value.response.status_code == 401 and "HF_TOKEN" in str(err.value)
    with pytest.raises(HfHubHTTPError) as err:
        HfApi(token="not-the-token").create_repo(_repo("wrong"))
    assert err.value.response.status_code == 403 and "token" in str(err.value)


def test_private_repo_is_hidden_without_the_token(hub_env):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    repo_id = _repo("private")
    HfApi().create_repo(repo_id, private=True)
    assert HfApi().repo_info(repo_id).private is True
    with pytest.raises(RepositoryNotFoundError):
        HfApi(token=False).repo_info(repo_id)


def test_large_upload_folder_and_snapshot_download(hub_env, tmp_path):
    from huggingface_hub import HfApi, snapshot_download

    folder = tmp_path / "upload"
    (folder / "weights").mkdir(parents=True)
    big = folder / "weights" / "big.bin"
    with open(big, "wb") as handle:
        for _ in range(LARGE_FILE_BYTES // (4 << 20)):
            handle.write(os.urandom(4 << 20))
    (folder / "config.json").write_text('{"hidden": 32}')
    expected = _sha256(big)

    api = HfApi()
    repo_id = _repo("large")
    api.create_repo(repo_id)
    started = time.perf_counter()
    api.upload_folder(folder_path=folder, repo_id=repo_id)
    upload_s = time.perf_counter() - started
    info = api.model_info(repo_id, files_metadata=True)
    sibling = next(s for s in info.siblings if s.rfilename == "weights/big.bin")
    assert sibling.lfs is not None and sibling.lfs.sha256 == expected and sibling.size == LARGE_FILE_BYTES

    started = time.perf_counter()
    local = Path(snapshot_download(repo_id, local_dir=tmp_path / "download"))
    download_s = time.perf_counter() - started
    assert _sha256(local / "weights" / "big.bin") == expected
    assert (local / "config.json").read_text() == '{"hidden": 32}'
    megabytes = LARGE_FILE_BYTES / 1e6
    print(
        f"\n{megabytes:.0f} MB: upload_folder {upload_s:.2f} s ({megabytes / upload_s:.0f} MB/s), "
        f"snapshot_download {download_s:.2f} s ({megabytes / download_s:.0f} MB/s)"
    )


_COMMITTER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from huggingface_hub import HfApi
    repo_id, name, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    api = HfApi()
    while not go.exists():
        time.sleep(0.01)
    for i in range(4):
        api.upload_file(path_or_fileobj=f"{name} {i}".encode(), path_in_repo=f"{name}/{i}.txt", repo_id=repo_id)
    """
)


def test_two_processes_committing_at_once_both_land(hub_env, tmp_path):
    from huggingface_hub import HfApi

    api = HfApi()
    repo_id = _repo("concurrent")
    api.create_repo(repo_id)
    go = tmp_path / "go"
    env = {**os.environ, **hub_env.environ}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _COMMITTER, repo_id, name, str(go)], env=env, stderr=subprocess.PIPE
        )
        for name in ("alpha", "beta")
    ]
    time.sleep(1.0)  # both processes have imported huggingface_hub and wait for the signal
    go.touch()
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
    files = set(api.list_repo_files(repo_id))
    assert {f"{name}/{i}.txt" for name in ("alpha", "beta") for i in range(4)} <= files
    assert len(api.list_repo_commits(repo_id)) == 1 + 8
