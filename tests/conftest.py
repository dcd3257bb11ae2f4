"""Shared test settings: no Hub on the internet, caches inside the checkout, shared data located once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# Set before any Hugging Face library is imported: they read these at import time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Caches (dense model copies, the embedded gazetteer) live in the checkout: reused between local runs, fresh in CI.
os.environ.setdefault("GEORESET_HOME", str(REPO_ROOT / ".cache" / "test-home"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data`, or skip with the reason when it is absent."""
    from georeset.settings import shared_data_dir

    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (set GEORESET_SHARED_DATA to its location)")
    return path
