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
