"""Fixtures of the training tests (builders in `tests_training_helpers`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests_training_helpers import build_tiny_model, make_examples, write_examples_folder  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture
def examples_dir(tmp_path) -> Path:
    return write_examples_folder(tmp_path / "examples", make_examples(40))


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread: on a machine shared with other jobs, two threads contend and run many times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
