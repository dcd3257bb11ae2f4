"""Helpers of the card tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parents[1]


def load_test_module(relative_path: str) -> ModuleType:
    """A module of another test folder, by path (test folders are not packages): reuse its fixtures' builders
    and contexts instead of copying them."""
    path = TESTS / relative_path
    name = "card_tests_" + relative_path.replace("/", "_").removesuffix(".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
