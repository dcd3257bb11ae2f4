"""Render model and dataset cards: one place for every card georeset writes.

- `render_geollava_card(config, eval_reports, repo_id)`: a GeoLLaVA checkpoint (`model_cards.model_card`).
- `render_resolver_card(**context)`: a LoRA resolver adapter (`templates/resolver.md.jinja`).
- `render_dataset_card(kind, stats, repo_id)`: the gazetteer, geotext and Sentinel-text datasets
  (`model_cards.dataset_card`).

Front matter is built with huggingface_hub's card classes (`ModelCardData`, `EvalResult`, `DatasetCardData`), so
the `model-index` and dataset metadata are what the Hub validates; bodies come from the Jinja2 templates in
`model_cards/templates/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from model_cards.dataset_card import render_dataset_card
from model_cards.model_card import render_geollava_card
from model_cards.model_index import ResultEntry, eval_results, is_hub_id
from model_cards.references import MODELS, find_reference, georeset_bibtex, hub_model_bibtex
from model_cards.templating import TEMPLATES, render_card

# The resolver card's keys in the order its YAML has always had.
_RESOLVER_YAML_ORDER = ["library_name", "base_model", "license", "pipeline_tag", "tags", "datasets"]


def resolver_entries(context: dict[str, Any]) -> list[ResultEntry]:
    """The model-index entries of a resolver card: validation accuracy per question kind of the adapter
    (`metrics["LoRA <kind>"]`), with the base model without the adapter (`metrics["base <kind>"]`) as baseline."""
    metrics = context.get("metrics") or {}
    datasets = context.get("datasets") or []
    if not datasets:
        return []
    entries = []
    for name, value in metrics.items():
        if not name.startswith("LoRA ") or not isinstance(value, int | float):
            continue
        kind = name.removeprefix("LoRA ")
        base = metrics.get(f"base {kind}")
        entries.append(
            ResultEntry(
                task="toponym-resolution",
                dataset=str(datasets[0]),
                mode=kind,
                metrics={"accuracy": float(value)},
                n=context.get("n_eval_scored"),
                baselines={"base model": {"accuracy": float(base)}} if isinstance(base, int | float) else {},
                split="validation",
            )
        )
    return entries


def render_resolver_card(**context: Any) -> str:
    """The card of a LoRA resolver adapter (see `templates/resolver.md.jinja` for the expected keys); the datasets
    that are Hub ids go into the YAML header, local folders only into the text; the validation accuracies of the
    adapter go into `model-index`."""
    from huggingface_hub import ModelCardData

    base = find_reference(str(context.get("base_model", "")), MODELS)
    citation = [
        georeset_bibtex(),
        *(base.bibtex if base else [hub_model_bibtex(str(context.get("base_model")))]),
    ]
    citation += [
        entry for d in context.get("datasets", []) if (ref := find_reference(str(d))) for entry in ref.bibtex
    ]
    body = render_card("resolver", **{"citation": "\n\n".join(dict.fromkeys(citation)), **context})
    hub_datasets = [d for d in context.get("datasets", []) if is_hub_id(d)]
    results = eval_results(resolver_entries(context))
    data = ModelCardData(
        library_name="peft",
        base_model=context["base_model"],
        license="apache-2.0",
        pipeline_tag="text-generation",
        tags=["georeset", "geoparsing", "toponym-resolution", "lora"],
        datasets=hub_datasets or None,
        model_name=str(context.get("repo_or_path", "resolver")).rstrip("/").rsplit("/", 1)[-1]
        if results
        else None,
        eval_results=results or None,
    )
    return f"---\n{data.to_yaml(original_order=_RESOLVER_YAML_ORDER)}\n---\n{body}"


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


__all__ = [
    "TEMPLATES",
    "comparison_table",
    "main",
    "render_card",
    "render_dataset_card",
    "render_geollava_card",
    "render_resolver_card",
    "resolver_entries",
]
