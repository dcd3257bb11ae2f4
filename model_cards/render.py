"""Render model cards from the templates in `model_cards/templates/` (Jinja2, as transformers' chat templates)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).resolve().parent / "templates"
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def render_card(template: str, **context: Any) -> str:
    """The card text of a template (`"resolver"` -> `templates/resolver.md.jinja`) filled with `context`.

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


def render_resolver_card(**context: Any) -> str:
    """The card of a LoRA resolver adapter (see `templates/resolver.md.jinja` for the expected keys); the datasets
    that are Hub ids go into the YAML header, local folders only into the text."""
    hub_datasets = [d for d in context.get("datasets", []) if _HUB_ID.match(str(d))]
    return render_card("resolver", hub_datasets=hub_datasets, **context)


def comparison_table(reports: list[dict[str, Any]]) -> str:
    """Markdown rows from `georeset eval geoparsing --compare` reports: Acc@161km on the toponyms sent to the LLM
    and on all toponyms, per corpus and resolver."""
    lines = [
        "| corpus | resolver | sent to LLM | Acc@161 sent | Acc@161 all |",
        "|---|---|---|---|---|",
    ]
    for report in reports:
        for spec in report["resolvers"]:
            sent = report["sent_to_llm"][spec]["acc_at_161km"]
            every = report["all_toponyms"][spec]["acc_at_161km"]
            lines.append(
                f"| {report['corpus']} | {spec} | {report['n_sent_to_llm']} | "
                f"{'-' if sent is None else f'{100 * sent:.1f}'} | {'-' if every is None else f'{100 * every:.1f}'} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m model_cards.render ADAPTER_DIR --comparison REPORT.json ...`: re-render a resolver card with
    benchmark comparisons (the context saved by `training/train_resolver.py` in `card_context.json`)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m model_cards.render", description=main.__doc__)
    parser.add_argument("adapter_dir", type=Path)
    parser.add_argument("--comparison", type=Path, action="append", default=[], help="a --compare report")
    args = parser.parse_args(argv)
    context_file = args.adapter_dir / "card_context.json"
    if not context_file.is_file():
        parser.error(
            f"{context_file} is missing: was {args.adapter_dir} written by training/train_resolver.py?"
        )
    context = json.loads(context_file.read_text(encoding="utf-8"))
    reports = [json.loads(path.read_text(encoding="utf-8")) for path in args.comparison]
    context["benchmark_table"] = comparison_table(reports) if reports else ""
    (args.adapter_dir / "README.md").write_text(render_resolver_card(**context), encoding="utf-8")
    print(f"wrote {args.adapter_dir / 'README.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["TEMPLATES", "comparison_table", "main", "render_card", "render_resolver_card"]
