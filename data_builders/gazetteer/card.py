"""The dataset card (README.md) of a built gazetteer, rendered by georeset's shared card generator.

The YAML `configs:` entry points at `data/*.parquet`, so `load_dataset(DIR)` and `load_dataset("ORG/NAME")` read
the shards without any loading script; the index folder and the build report beside them are ignored by
`datasets` and downloaded by geoparsers. Licences per source live in `model_cards.dataset_card.GAZETTEER_SOURCES`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from model_cards.dataset_card import GAZETTEER_SOURCES as SOURCE_LICENSES
from model_cards.dataset_card import render_dataset_card


def render_card(
    *,
    pretty_name: str,
    rows: int,
    by_source: Mapping[str, int],
    by_feature_type: Mapping[str, int],
    polygons: int,
    languages: Sequence[str],
    source_specs: Sequence[str],
    repo_id: str | None = None,
) -> str:
    """The README.md text of a gazetteer folder."""
    from datasets import Features

    from data_builders.gazetteer.schema import ENTITY_SCHEMA

    stats = {
        "pretty_name": pretty_name,
        "rows": rows,
        "sources": dict(by_source),
        "by_feature_type": dict(by_feature_type),
        "polygons": polygons,
        "languages": list(languages),
        "source_specs": list(source_specs),
        "features": Features.from_arrow_schema(ENTITY_SCHEMA),
    }
    return render_dataset_card("gazetteer", stats, repo_id)


__all__ = ["SOURCE_LICENSES", "render_card"]
