"""The dataset card (README.md) of a geotext dataset, rendered by georeset's shared card generator: YAML
`configs:` for `load_dataset`, licences per source (`model_cards.dataset_card.GEOTEXT_SOURCES`)."""

from __future__ import annotations

from collections.abc import Mapping

from model_cards.dataset_card import GEOTEXT_SOURCES as SOURCE_LICENSES
from model_cards.dataset_card import LABEL_SOURCE_DOC, render_dataset_card


def render_card(
    *,
    pretty_name: str,
    documents: int,
    toponyms_by_label: Mapping[str, int],
    sources: Mapping[str, int],
    description: str,
    report_summary: str,
    languages: list[str] | None = None,
    repo_id: str | None = None,
) -> str:
    """The README.md text of a geotext dataset folder."""
    from data_builders.geotext.schema import features

    stats = {
        "pretty_name": pretty_name,
        "rows": documents,
        "sources": dict(sources),
        "toponyms_by_label": dict(toponyms_by_label),
        "description": description,
        "report_summary": report_summary,
        "features": features(),
    }
    if languages:
        stats["languages"] = list(languages)
    return render_dataset_card("geotext", stats, repo_id)


__all__ = ["LABEL_SOURCE_DOC", "SOURCE_LICENSES", "render_card"]
