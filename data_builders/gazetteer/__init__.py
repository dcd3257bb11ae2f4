"""Gazetteer: readers of public place databases, conflation into one entity table, the candidate index.

`load_gazetteer()` opens the candidate index of a built gazetteer folder (`georeset gazetteer build`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from georeset.errors import GeoresetError, MissingAssetError

if TYPE_CHECKING:
    from data_builders.gazetteer.index import GazetteerIndex

_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def load_gazetteer(path: str | Path | None = None) -> GazetteerIndex:
    """Open the candidate index of a gazetteer.

    Args:
        path: a gazetteer folder (default: `georeset.settings.gazetteer_dir()`), its `index/` folder, or the Hub id
            (`ORG/NAME`) of a published gazetteer when no such local folder exists (downloaded once, then cached).

    Raises:
        MissingAssetError: no gazetteer there; the message says to run `georeset gazetteer build`.
    """
    from data_builders.gazetteer.index import GazetteerIndex
    from georeset.settings import gazetteer_dir

    folder = Path(path).expanduser() if path is not None else gazetteer_dir()
    if path is not None and not folder.exists() and _HUB_ID.match(str(path)):
        from data_builders.gazetteer.publish import download_gazetteer

        try:
            folder = download_gazetteer(str(path))
        except GeoresetError as error:
            raise MissingAssetError(
                f"{path}: no such gazetteer folder, and it could not be fetched as a Hub dataset ({error}); build "
                f"one with `georeset gazetteer build --out {path}`"
            ) from error
    index = folder if folder.name == "index" and not (folder / "index").is_dir() else folder / "index"
    if not index.is_dir():
        raise MissingAssetError(
            f"no gazetteer index at {index}: run `georeset gazetteer build` (or `georeset gazetteer build --out "
            f"{folder}`) first"
        )
    return GazetteerIndex.open(index.resolve())


__all__ = ["load_gazetteer"]
