"""Jinja2 rendering of the card bodies in `model_cards/templates/` (strict: a missing value is an error)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_card(template: str, **context: Any) -> str:
    """The text of a template (`"resolver"` -> `templates/resolver.md.jinja`) filled with `context`.

    Raises:
        FileNotFoundError: no such template.
        jinja2.UndefinedError: the template uses a value not in `context`.
    """
    import jinja2

    path = TEMPLATES / f"{template}.md.jinja"
    if not path.is_file():
        known = ", ".join(sorted(p.name.split(".")[0] for p in TEMPLATES.glob("*.md.jinja")))
        raise FileNotFoundError(f"no model card template {template!r} in {TEMPLATES} (known: {known})")
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.from_string(path.read_text(encoding="utf-8")).render(**context)


__all__ = ["TEMPLATES", "render_card"]
