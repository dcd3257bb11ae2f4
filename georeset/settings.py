"""Where georeset keeps things: cache folders, the shared data folder, Hub settings.

Every path can be overridden by an environment variable so that tests, CI and users on shared machines can point
georeset elsewhere without touching code.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def georeset_home() -> Path:
    """Root of georeset's caches (`GEORESET_HOME`, default `~/.cache/georeset`)."""
    return Path(os.environ.get("GEORESET_HOME", Path.home() / ".cache" / "georeset")).expanduser()


def models_cache() -> Path:
    """Dense copies of embedded models (the GGUF -> safetensors conversion is slow, so it is done once)."""
    return georeset_home() / "models"


def gazetteer_dir() -> Path:
    """Default location of the built gazetteer (`GEORESET_GAZETTEER`)."""
    return Path(os.environ.get("GEORESET_GAZETTEER", georeset_home() / "gazetteer")).expanduser()


def shared_data_dir() -> Path | None:
    """The folder of public benchmark data (`GEORESET_SHARED_DATA`, default `../shared/data` beside the repo).

    Returns None when it is absent: callers skip or explain, never crash.
    """
    env = os.environ.get("GEORESET_SHARED_DATA")
    candidates = (
        [Path(env)] if env else [REPO_ROOT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    )
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    return None


__all__ = ["REPO_ROOT", "georeset_home", "models_cache", "gazetteer_dir", "shared_data_dir"]
