"""ResumableLines: a killed job keeps its complete lines, the same job resumes, another job starts afresh."""

from __future__ import annotations

import pytest

from georeset.errors import BadInputError
from georeset.resumable import ResumableLines

JOB = {"input": "docs.jsonl", "size": 10}


def test_a_finished_job_leaves_only_the_target(tmp_path):
    target = tmp_path / "sub" / "out.jsonl"
    with ResumableLines(target, JOB) as out:
        assert out.done == 0
        out.write("a")
        out.write("b")
    assert target.read_text() == "a\nb\n"
    assert sorted(p.name for p in target.parent.iterdir()) == [".out.jsonl.lock", "out.jsonl"]


def test_an_interrupted_job_resumes_after_its_last_complete_line(tmp_path):
    target = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt), ResumableLines(target, JOB) as out:
        out.write("a")
        out.write("b")
        raise KeyboardInterrupt
    assert not target.exists()
    partial = tmp_path / ".out.jsonl.partial"
    assert partial.read_text() == "a\nb\n"
    with open(partial, "a") as handle:  # a kill in the middle of a line
        handle.write('{"half')
    with ResumableLines(target, dict(JOB)) as out:
        assert out.done == 2
        out.write("c")
    assert target.read_text() == "a\nb\nc\n"
    assert not partial.exists()


def test_another_job_starts_afresh(tmp_path):
    target = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError), ResumableLines(target, JOB) as out:
        out.write("old")
        raise RuntimeError
    with ResumableLines(target, {**JOB, "size": 11}) as out:
        assert out.done == 0
        out.write("new")
    assert target.read_text() == "new\n"


def test_one_writer_at_a_time_and_one_line_per_write(tmp_path):
    target = tmp_path / "out.jsonl"
    with ResumableLines(target, JOB) as out:
        with pytest.raises(BadInputError, match="another job is writing it"), ResumableLines(target, JOB):
            pass
        with pytest.raises(ValueError, match="newline"):
            out.write("two\nlines")
        out.write("x")
    assert target.read_text() == "x\n"
