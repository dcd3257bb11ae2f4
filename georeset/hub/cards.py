"""Model/dataset card checks behind `POST /api/validate-yaml`: the YAML front matter must parse into a mapping."""

from __future__ import annotations

import re

import yaml

# The Hub reads metadata from a `---` fenced block at the very top of README.md.
_FRONT_MATTER_RE = re.compile(r"\A\s*---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def front_matter(content: str) -> str | None:
    """The YAML text between the leading `---` fences of a card, or None when there is none."""
    match = _FRONT_MATTER_RE.match(content)
    return match.group(1) if match else None


def card_metadata(content: str) -> dict:
    """The parsed front matter of a card; {} when it has none or it does not parse (used for `cardData`)."""
    text = front_matter(content)
    if text is None:
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def validate_card(content: str, repo_type: str) -> list[str]:
    """Problems with a card's metadata, as messages; an empty list means valid.

    Args:
        content: the full README.md text.
        repo_type: "model", "dataset" or "space" (a dataset's `configs` must be a list of mappings).
    """
    text = front_matter(content)
    if text is None:
        return []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        return [f"Invalid YAML in the card's metadata block: {err}"]
    if data is None:
        return []
    if not isinstance(data, dict):
        return [f"The card's metadata must be a YAML mapping, got {type(data).__name__}."]
    errors: list[str] = []
    configs = data.get("configs")
    if repo_type == "dataset" and configs is not None:
        if not isinstance(configs, list) or not all(isinstance(c, dict) for c in configs):
            errors.append("'configs' must be a list of mappings (each with 'config_name' and 'data_files').")
        else:
            names = [c.get("config_name") for c in configs]
            if any(not isinstance(name, str) or not name for name in names):
                errors.append("every entry of 'configs' needs a non-empty string 'config_name'.")
            elif len(set(names)) != len(names):
                errors.append(f"'configs' repeats a config_name: {names}.")
    tags = data.get("tags")
    if tags is not None and not (
        isinstance(tags, list) and all(isinstance(t, str | int | float) for t in tags)
    ):
        errors.append("'tags' must be a list of strings.")
    return errors


__all__ = ["front_matter", "card_metadata", "validate_card"]
