"""Non-exact forms of a place name, as texts write them: the cases a resolver must learn beyond exact matches.

Each function returns a form different from the name, or None when the kind does not apply. The forms come from
the entity's own gazetteer names (abbreviations, other languages, demonyms) or from the name itself (a typing
error, a part of a multi-word name).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from typing import Any

PERTURBATIONS = ("abbreviation", "misspelling", "other_language", "partial", "demonym")
MIN_MISSPELL_CHARS = 5
MIN_PART_CHARS = 4
_NOT_LANGUAGES = frozenset({"", "en", "abbr", "code", "demonym"})


def is_latin(text: str) -> bool:
    """Whether every letter of a text is Latin script (English text rarely quotes other scripts)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all("LATIN" in unicodedata.name(c, "") for c in letters)


def _pick(rng: random.Random, options: Sequence[str], surface: str) -> str | None:
    fresh = sorted({o for o in options if o and o.casefold() != surface.casefold()})
    return rng.choice(fresh) if fresh else None


def abbreviation(surface: str, names: Sequence[dict[str, Any]], rng: random.Random) -> str | None:
    """One of the entity's abbreviations ("Calif.", "N.Y.")."""
    return _pick(rng, [n["name"] for n in names if n.get("lang") == "abbr"], surface)


def other_language(surface: str, names: Sequence[dict[str, Any]], rng: random.Random) -> str | None:
    """A name of the entity in another language, in Latin script ("Wien" for Vienna, "Londres" for London)."""
    return _pick(
        rng,
        [n["name"] for n in names if n.get("lang") not in _NOT_LANGUAGES and is_latin(n["name"])],
        surface,
    )


def demonym(surface: str, names: Sequence[dict[str, Any]], rng: random.Random) -> str | None:
    """The entity's demonym ("French" for France)."""
    return _pick(rng, [n["name"] for n in names if n.get("lang") == "demonym"], surface)


def misspelling(surface: str, names: Sequence[dict[str, Any]], rng: random.Random) -> str | None:
    """One typing error (drop, double, swap or replace a letter), never on the first letter."""
    letters = [i for i, c in enumerate(surface) if c.isalpha() and i > 0]
    if len(surface) < MIN_MISSPELL_CHARS or len(letters) < 3:
        return None
    i = rng.choice(letters)
    edit = rng.choice(("drop", "double", "swap", "replace"))
    if edit == "drop":
        form = surface[:i] + surface[i + 1 :]
    elif edit == "double":
        form = surface[:i] + surface[i] + surface[i:]
    elif edit == "swap" and i + 1 < len(surface) and surface[i + 1].isalpha():
        form = surface[:i] + surface[i + 1] + surface[i] + surface[i + 2 :]
    else:
        replacement = rng.choice([c for c in "aeiounrstl" if c != surface[i].lower()])
        form = surface[:i] + (replacement.upper() if surface[i].isupper() else replacement) + surface[i + 1 :]
    return form if form != surface else None


def partial(surface: str, names: Sequence[dict[str, Any]], rng: random.Random) -> str | None:
    """A multi-word name without its first or last word ("Rio Grande do Sul" -> "Grande do Sul")."""
    words = surface.split()
    if len(words) < 2:
        return None
    parts = [" ".join(words[1:]), " ".join(words[:-1])]
    parts = [p for p in parts if len(p) >= MIN_PART_CHARS and p[:1].isupper()]
    return rng.choice(parts) if parts else None


PERTURBERS = {
    "abbreviation": abbreviation,
    "misspelling": misspelling,
    "other_language": other_language,
    "partial": partial,
    "demonym": demonym,
}


def perturb(kind: str, surface: str, names: Sequence[dict[str, Any]], rng: random.Random) -> str | None:
    """The form of one kind (see `PERTURBATIONS`), or None when it does not apply to this name.

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in PERTURBERS:
        raise ValueError(f"unknown perturbation {kind!r}; expected one of {', '.join(PERTURBATIONS)}")
    return PERTURBERS[kind](surface, names, rng)


__all__ = ["PERTURBATIONS", "PERTURBERS", "is_latin", "perturb"]
