"""The dataset card (README.md) of a Sentinel <-> text instruction dataset, through the shared card generator."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from data_builders.imagery.instructions import InstructionReport


def instruction_card_stats(
    *,
    pretty_name: str,
    patch_size: int,
    rows: int,
    report: InstructionReport,
    source_specs: Sequence[str],
    settings: Mapping[str, Any],
    reader_summary: str = "",
) -> dict[str, Any]:
    """The `stats` that `model_cards.dataset_card.render_dataset_card("instructions", ...)` reads."""
    by_task: Counter = Counter()
    by_language: Counter = Counter()
    for (task, language), n in report.examples.items():
        by_task[task] += n
        by_language[language] += n
    not_made = [
        f"- no `{task}` for {n:,} patch x language: {reason}"
        for (task, reason), n in sorted(report.missing.items())
    ] + [
        f"- {n:,} `{source}` patches left out: {reason}"
        for (source, reason), n in sorted(report.skipped.items())
    ]
    sections = {
        "How pixels and answers were made": (
            f"A centred square crop of each source patch (at most a few pixels of a non-square one), resampled to "
            f"{patch_size} x {patch_size} by exact area averaging, so patch-level labels stay true of the whole "
            "image; nodata is left out of the averages. Units: Sentinel-2 reflectance (DN / 10,000), Sentinel-1 "
            "backscatter in dB, RGB / 255. Place names, distances and directions come from the gazetteer; "
            "geotext answers quote passages verbatim (French answers quote the original language and say so).\n\n"
            "Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()) + "."
        ),
    }
    if not_made:
        sections["Examples not made"] = "\n".join(not_made)
    return {
        "pretty_name": pretty_name,
        "rows": rows,
        "patches": sum(report.patches.values()),
        "patch_size": patch_size,
        "sources": dict(report.patches),
        "by_task": dict(by_task),
        "by_language": dict(by_language),
        "languages": list(settings.get("languages") or sorted(by_language)),
        "source_specs": list(source_specs),
        "data_files": "data/train-*.parquet",
        "sections": sections,
        "report_summary": reader_summary,
    }


def render_card(repo_id: str | None = None, **stats_kwargs: Any) -> str:
    """The README.md text (YAML header with licences, languages and `configs:`, then the card).

    Args:
        repo_id: the Hub id for the loading example (None: `ORG/NAME`).
        **stats_kwargs: the keyword arguments of `instruction_card_stats`.
    """
    from model_cards.dataset_card import render_dataset_card

    return render_dataset_card("instructions", instruction_card_stats(**stats_kwargs), repo_id)


__all__ = ["instruction_card_stats", "render_card"]
