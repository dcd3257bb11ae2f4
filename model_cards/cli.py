r"""`georeset card render`: write a model or dataset card from a config and eval reports, and push it to the Hub.

```bash
georeset card render --kind geollava --config train_config.json --eval eurosat/report.json slovenia/report.json \
    --repo-id ORG/geollava --out README.md
georeset card render --kind resolver --config outputs/resolver/card_context.json --eval cmp.json --out README.md
georeset card render --kind dataset --dataset-kind gazetteer --config stats.json --repo-id ORG/gazetteer --push
```

`--push` replaces only the README.md of an existing Hub repo (`ModelCard.push_to_hub` / `DatasetCard.push_to_hub`
against `HF_ENDPOINT`, which validates the YAML first); the weights and shards stay as they are.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from georeset.errors import BadInputError, GeoresetError

KINDS = ("geollava", "resolver", "dataset")


def read_mapping(path: Path, what: str) -> dict[str, Any]:
    """A JSON or YAML file holding one mapping.

    Raises:
        BadInputError: the file is missing, does not parse, or holds something else than a mapping.
    """
    if not path.is_file():
        raise BadInputError(f"{what} {path}: no such file")
    import yaml

    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise BadInputError(f"{what} {path}: does not parse ({err})") from err
    if not isinstance(data, dict):
        raise BadInputError(f"{what} {path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def render_from_files(
    kind: str,
    config_path: Path,
    eval_paths: list[Path],
    repo_id: str | None,
    dataset_kind: str | None = None,
) -> str:
    """The card text of `kind` from a config/stats/context file and eval reports.

    Raises:
        BadInputError: unknown kind, unreadable files, or input the renderers refuse.
    """
    if kind not in KINDS:
        raise BadInputError(f"--kind {kind!r}: expected one of {', '.join(KINDS)}")
    config = read_mapping(config_path, "--config")
    reports = [read_mapping(path, "--eval") for path in eval_paths]
    if kind == "geollava":
        from model_cards.model_card import render_geollava_card
        from model_cards.model_index import collect_entries

        collect_entries(reports, [str(p) for p in eval_paths])  # errors that name the report file
        return render_geollava_card(config, reports, repo_id or str(config_path.parent))
    if kind == "resolver":
        import jinja2

        from model_cards.render import comparison_table, render_resolver_card

        if repo_id:
            config["repo_or_path"] = repo_id
        try:
            config["benchmark_table"] = (
                comparison_table(reports) if reports else config.get("benchmark_table", "")
            )
        except KeyError as err:
            raise BadInputError(
                f"--eval: not a `georeset eval geoparsing --compare` report (no {err})"
            ) from err
        try:
            return render_resolver_card(**config)
        except jinja2.UndefinedError as err:
            raise BadInputError(f"--config {config_path}: not a resolver card context ({err})") from err
    from model_cards.dataset_card import render_dataset_card

    if not dataset_kind:
        raise BadInputError("--kind dataset needs --dataset-kind gazetteer|geotext|instructions")
    if reports:
        raise BadInputError("--eval: dataset cards carry no evaluation reports")
    return render_dataset_card(dataset_kind, config, repo_id)


def push_card(text: str, repo_id: str, repo_type: str, token: str | None = None) -> str:
    """Replace the README.md of the Hub repo `repo_id` with `text`; returns the commit URL.

    Raises:
        BadInputError: `repo_id` is not ORG/NAME, the repo does not exist, or the Hub refuses the card's YAML.
        HubUnreachableError: no Hub answers at HF_ENDPOINT (or offline mode is on).
        GeoresetError: any other Hub error.
    """
    from huggingface_hub import DatasetCard, HfApi, ModelCard
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    from georeset.hub.client import check_endpoint
    from model_cards.model_index import is_hub_id

    if not is_hub_id(repo_id):
        raise BadInputError(f"--repo-id {repo_id!r}: pushing needs a Hub id ORG/NAME")
    check_endpoint()
    card = (DatasetCard if repo_type == "dataset" else ModelCard)(text)
    try:
        HfApi(token=token).repo_info(repo_id, repo_type=repo_type)
    except RepositoryNotFoundError as err:
        raise BadInputError(
            f"--repo-id {repo_id}: no such {repo_type} repo on the Hub; push the {repo_type} first, then its card"
        ) from err
    try:
        return str(card.push_to_hub(repo_id, token=token, repo_type=repo_type, commit_message="Update card"))
    except HfHubHTTPError as err:
        raise GeoresetError(f"pushing the card of {repo_id} failed: {err}") from err
    except ValueError as err:  # the Hub's YAML validation
        raise BadInputError(f"the card of {repo_id} does not validate: {err}") from err


def _render(args: argparse.Namespace) -> int:
    text = render_from_files(args.kind, args.config, args.eval, args.repo_id, args.dataset_kind)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_name(f".{args.out.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.out)  # atomic: a reader never sees half a card
        print(f"wrote {args.out}", file=sys.stderr)
    if args.push:
        if not args.repo_id:
            raise BadInputError("--push needs --repo-id ORG/NAME")
        repo_type = "dataset" if args.kind == "dataset" else "model"
        print(
            f"pushed the card to {args.repo_id}: {push_card(text, args.repo_id, repo_type)}", file=sys.stderr
        )
    if not args.out and not args.push:
        sys.stdout.write(text)
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `georeset card`."""
    parser = subparsers.add_parser("card", help="render model and dataset cards, push them to the Hub")
    commands = parser.add_subparsers(dest="card_command", metavar="COMMAND")
    render = commands.add_parser(
        "render",
        help="render a card from a config and eval reports",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    render.add_argument("--kind", required=True, choices=KINDS)
    render.add_argument(
        "--config",
        required=True,
        type=Path,
        help="geollava: the training config (JSON/YAML); resolver: card_context.json; dataset: the build stats",
    )
    render.add_argument(
        "--eval",
        type=Path,
        nargs="+",
        action="extend",
        default=[],
        help="report.json of `georeset eval eo` / `eval geoparsing` (resolver: `--compare` reports)",
    )
    render.add_argument("--repo-id", help="ORG/NAME: the repo the card describes (and --push target)")
    render.add_argument("--dataset-kind", choices=("gazetteer", "geotext", "instructions"))
    render.add_argument("--out", type=Path, help="write the card here (default: print it, unless --push)")
    render.add_argument("--push", action="store_true", help="replace the README.md of --repo-id on the Hub")
    render.set_defaults(func=_render)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


__all__ = ["KINDS", "add_parser", "push_card", "read_mapping", "render_from_files"]
