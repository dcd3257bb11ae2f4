"""The Hub server's storage without HTTP: names, objects, commits, refs, locks."""

from __future__ import annotations

import hashlib
import io
import json
import threading

import pytest

from georeset.hub.cards import validate_card
from georeset.hub.naming import make_repo_ref, validate_path_in_repo, validate_ref_name
from georeset.hub.objects import git_blob_sha1
from georeset.hub.protocol_errors import HubProtocolError
from georeset.hub.storage import DeleteFile, DeleteFolder, HubStorage, add_operation_for
from georeset.hub.upload_modes import DEFAULT_GITATTRIBUTES, lfs_patterns, upload_mode


@pytest.fixture
def storage(tmp_path) -> HubStorage:
    return HubStorage(tmp_path / "root")


def _add(storage: HubStorage, path: str, content: bytes, lfs: bool = False):
    stored = storage.objects.put_bytes(content)
    return add_operation_for(path, stored.sha256, stored.size, lfs, None if lfs else content)


def test_git_blob_id_matches_git():
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_sha1(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


@pytest.mark.parametrize(
    "namespace,name",
    [
        ("..", "x"),
        ("ns", ".."),
        ("ns", "a/b"),
        ("ns", "../../etc"),
        ("", "x"),
        (None, "x"),
        ("api", "x"),
        ("ns", "-x"),
    ],
)
def test_bad_repo_names_are_refused(namespace, name):
    with pytest.raises(HubProtocolError) as err:
        make_repo_ref("model", namespace, name)
    assert err.value.status == 400


@pytest.mark.parametrize("path", ["/etc/passwd", "a/../b", "../x", "a//b", ".git/config", "a\\b", "a\0b", ""])
def test_bad_paths_in_repo_are_refused(path):
    with pytest.raises(HubProtocolError):
        validate_path_in_repo(path)


def test_ref_names():
    assert validate_ref_name("release/v1") == "release/v1"
    for bad in ["a..b", "-x", "x.lock", "a b", "refs/heads/x"]:
        with pytest.raises(HubProtocolError):
            validate_ref_name(bad)


def test_object_with_wrong_sha256_is_rejected_and_not_stored(storage):
    content = b"x" * 3_000_000
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(HubProtocolError, match="does not match the announced oid"):
        storage.objects.put_stream(io.BytesIO(content).read, len(content), expected_sha256=wrong)
    assert storage.objects.get(wrong) is None
    assert storage.objects.get(hashlib.sha256(content).hexdigest()) is None
    assert list(storage.objects.incoming.iterdir()) == []  # no temporary file left behind


def test_truncated_object_is_rejected(storage):
    with pytest.raises(HubProtocolError, match="truncated"):
        storage.objects.put_stream(io.BytesIO(b"abc").read, 10)


def test_create_repo_twice_gives_409(storage):
    repo = make_repo_ref("dataset", "ns", "places")
    storage.create_repo(repo)
    with pytest.raises(HubProtocolError) as err:
        storage.create_repo(repo)
    assert err.value.status == 409
    assert [entry.path for entry in storage.list_tree(repo, "main")] == [".gitattributes"]


def test_commit_add_delete_and_history(storage):
    repo = make_repo_ref("model", "ns", "m")
    storage.create_repo(repo)
    first = storage.apply_commit(
        repo, "main", [_add(storage, "a.txt", b"a"), _add(storage, "d/b.bin", b"b", True)], "one"
    )
    second = storage.apply_commit(repo, "main", [DeleteFolder("d"), DeleteFile("a.txt")], "two")
    assert storage.resolve_revision(repo, "main") == second.commit_id
    assert set(storage.tree_at(repo, first.commit_id)[1]) == {".gitattributes", "a.txt", "d/b.bin"}
    assert set(storage.tree_at(repo, "main")[1]) == {".gitattributes"}
    assert [c["title"] for c in storage.history(repo, "main")] == ["two", "one", "initial commit"]
    with pytest.raises(HubProtocolError) as err:
        storage.apply_commit(repo, "main", [DeleteFile("a.txt")], "again")
    assert err.value.error_code == "EntryNotFound"


def test_stale_parent_commit_is_refused_with_412(storage):
    repo = make_repo_ref("model", "ns", "m")
    storage.create_repo(repo)
    base = storage.resolve_revision(repo, "main")
    storage.apply_commit(repo, "main", [_add(storage, "a.txt", b"a")], "one", parent_commit=base)
    with pytest.raises(HubProtocolError) as err:
        storage.apply_commit(repo, "main", [_add(storage, "b.txt", b"b")], "two", parent_commit=base)
    assert err.value.status == 412
    assert "b.txt" not in storage.tree_at(repo, "main")[1]


def test_file_folder_clash_is_refused(storage):
    repo = make_repo_ref("model", "ns", "m")
    storage.create_repo(repo)
    storage.apply_commit(repo, "main", [_add(storage, "data/x.txt", b"x")], "one")
    with pytest.raises(HubProtocolError, match="is a folder"):
        storage.apply_commit(repo, "main", [_add(storage, "data", b"y")], "two")
    with pytest.raises(HubProtocolError, match="is a file"):
        storage.apply_commit(repo, "main", [_add(storage, "data/x.txt/z", b"y")], "three")


def test_concurrent_commits_from_threads_all_land(storage):
    repo = make_repo_ref("model", "ns", "busy")
    storage.create_repo(repo)
    operations = [_add(storage, f"f{i}.txt", str(i).encode()) for i in range(16)]
    errors = []

    def commit(operation):
        try:
            storage.apply_commit(repo, "main", [operation], operation.path)
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=commit, args=(op,)) for op in operations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {f"f{i}.txt" for i in range(16)} <= set(storage.tree_at(repo, "main")[1])
    assert len(storage.history(repo, "main")) == 17


def test_a_commit_file_without_ref_update_is_invisible(storage):
    """A server killed between writing a commit and moving the ref leaves the branch at the old commit."""
    repo = make_repo_ref("model", "ns", "crash")
    storage.create_repo(repo)
    head = storage.resolve_revision(repo, "main")
    orphan = storage._write_commit(storage.repo_dir(repo), [head], "half", "", {}, "2026-01-01T00:00:00.000Z")
    assert storage.resolve_revision(repo, "main") == head
    assert json.loads((storage.repo_dir(repo) / "commits" / f"{orphan}.json").read_text())["title"] == "half"


def test_branches_tags_and_tree_listing(storage):
    repo = make_repo_ref("model", "ns", "m")
    storage.create_repo(repo)
    storage.apply_commit(
        repo, "main", [_add(storage, "a/b/c.txt", b"c"), _add(storage, "a/d.txt", b"d")], "one"
    )
    storage.create_branch(repo, "dev")
    storage.create_tag(repo, "v1", "main")
    with pytest.raises(HubProtocolError) as err:
        storage.create_branch(repo, "dev")
    assert err.value.status == 409
    storage.apply_commit(repo, "dev", [DeleteFile("a/d.txt")], "dev only")
    assert "a/d.txt" in storage.tree_at(repo, "v1")[1]
    assert "a/d.txt" not in storage.tree_at(repo, "refs/heads/dev")[1]
    flat = [(e.path, e.kind) for e in storage.list_tree(repo, "main", "a")]
    assert flat == [("a/b", "directory"), ("a/d.txt", "file")]
    deep = [e.path for e in storage.list_tree(repo, "main", "", recursive=True)]
    assert deep == ["a", "a/b", ".gitattributes", "a/b/c.txt", "a/d.txt"]
    with pytest.raises(HubProtocolError) as err:
        storage.list_tree(repo, "main", "nope")
    assert err.value.error_code == "EntryNotFound"
    storage.delete_tag(repo, "v1")
    storage.delete_branch(repo, "dev")
    with pytest.raises(HubProtocolError) as err:
        storage.resolve_revision(repo, "v1")
    assert err.value.error_code == "RevisionNotFound"


def test_upload_modes():
    patterns = lfs_patterns(DEFAULT_GITATTRIBUTES)
    assert upload_mode("data/train.parquet", 100, b"PAR1", patterns) == "lfs"
    assert upload_mode("README.md", 100, b"# hi", patterns) == "regular"
    assert upload_mode("x.txt", 100, b"\0\1\2", patterns) == "lfs"
    assert upload_mode("big.txt", 50_000_000, b"text", patterns) == "lfs"
    assert upload_mode("empty.bin", 0, b"", patterns) == "regular"


def test_card_validation():
    assert validate_card("---\nlicense: mit\n---\n# Card", "model") == []
    assert validate_card("no front matter", "dataset") == []
    assert validate_card("---\nlicense: [unclosed\n---\n", "model")[0].startswith("Invalid YAML")
    assert validate_card("---\n- a\n- b\n---\n", "model")
    assert validate_card("---\nconfigs: nope\n---\n", "dataset")
