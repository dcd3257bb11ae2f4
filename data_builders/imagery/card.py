"""The dataset card (README.md) of a Sentinel <-> text instruction dataset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from data_builders.imagery.instructions import InstructionReport

# Patch source prefix -> (dataset, licence, terms). Sentinel pixels always carry the Copernicus terms.
SOURCE_LICENCES: dict[str, tuple[str, str, str]] = {
    "bigearthnet": (
        "BigEarthNet (Sumbul et al. 2019; examples shipped by `bigearthnet-common`)",
        "CDLA-Permissive-1.0",
        "https://bigearth.net/ (Community Data License Agreement - Permissive 1.0)",
    ),
    "eolearn": (
        "eo-learn example data, Slovenia (sentinel-hub/eo-learn)",
        "MIT",
        "https://github.com/sentinel-hub/eo-learn (MIT licence)",
    ),
    "eurosat": (
        "EuroSAT (Helber et al. 2019) - EVALUATION ONLY, built with --allow-eval-sources",
        "MIT",
        "https://github.com/phelber/EuroSAT (MIT licence); never use these rows for training",
    ),
    "geotiff": (
        "User-supplied GeoTIFF tiles",
        "see the source",
        "the licence of the files given to --source",
    ),
    "torchgeo": (
        "A TorchGeo dataset's files",
        "see the dataset",
        "the licence of that dataset (see TorchGeo docs)",
    ),
}
COPERNICUS = (
    "Contains modified Copernicus Sentinel data (Copernicus Sentinel data terms: free, full and open access, "
    "https://sentinels.copernicus.eu/documents/247904/690755/Sentinel_Data_Legal_Notice)."
)
TEXT_LICENCES = (
    "Place names and positions come from the georeset gazetteer (GeoNames CC-BY 4.0, Natural Earth public domain, "
    "OpenStreetMap ODbL where used); quoted passages from the geotext datasets given to the build (the embedded "
    "default is the CIA World Factbook, public domain)."
)


def _licence_rows(sources: Sequence[str]) -> list[tuple[str, str, str]]:
    rows = []
    for prefix, row in SOURCE_LICENCES.items():
        if any(source.lower().startswith(prefix) for source in sources):
            rows.append(row)
    return rows


def render_card(
    *,
    pretty_name: str,
    patch_size: int,
    rows: int,
    report: InstructionReport,
    source_specs: Sequence[str],
    settings: Mapping[str, Any],
    reader_summary: str = "",
) -> str:
    """The README.md text: YAML header (licence, languages, `configs:` naming the shards), then the card."""
    patch_sources = sorted(report.patches)
    licences = _licence_rows([*patch_sources, *source_specs]) or [("(none recognised)", "other", "")]
    licence_ids = sorted({row[1] for row in licences})
    licence = licence_ids[0].lower() if len(licence_ids) == 1 and " " not in licence_ids[0] else "other"
    languages = settings.get("languages", ["en"])
    header = [
        "---",
        f"pretty_name: {pretty_name}",
        f"license: {licence}",
        *(["license_name: mixed", "license_details: see Sources and licences"] if licence == "other" else []),
        "language:",
        *[f"- {lang}" for lang in languages],
        "task_categories:",
        "- image-to-text",
        "- visual-question-answering",
        "tags:",
        "- remote-sensing",
        "- sentinel-2",
        "- sentinel-1",
        "- geospatial",
        "- georeset",
        "configs:",
        "- config_name: default",
        "  data_files:",
        "  - split: train",
        "    path: data/train-*.parquet",
        "---",
        "",
    ]
    tasks = sorted({task for task, _ in report.examples})
    count_lines = ["| task | " + " | ".join(languages) + " |", "|---|" + "---|" * len(languages)]
    for task in tasks:
        count_lines.append(
            f"| {task} | "
            + " | ".join(f"{report.examples.get((task, lang), 0):,}" for lang in languages)
            + " |"
        )
    missing = [
        f"- no `{task}` for {n:,} patch x language: {reason}"
        for (task, reason), n in sorted(report.missing.items())
    ]
    skipped = [
        f"- {n:,} `{source}` patches left out: {reason}"
        for (source, reason), n in sorted(report.skipped.items())
    ]
    body = (
        f"""# {pretty_name}

Sentinel-1/-2 patches paired with instructions and answers in {", ".join(languages)}: captions, land-cover
questions, location questions and descriptions grounded in text about the places shown. Each row holds one patch
(pixels in physical units) and one conversation. Built by `georeset imagery build`.

## Sources and licences

| data | licence | terms |
|---|---|---|
"""
        + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in licences)
        + f"""

{COPERNICUS}
{TEXT_LICENCES}

Build sources: {", ".join(f"`{s}`" for s in source_specs) or "(patches given in Python)"}.
Patches by source: {", ".join(f"{s} {n:,}" for s, n in sorted(report.patches.items()))}.

## Counts

{rows:,} examples from {sum(report.patches.values()):,} patches.

"""
        + "\n".join(count_lines)
        + "\n\n"
        + "\n".join(missing + skipped)
        + f"""

## Schema

| column | type | meaning |
|---|---|---|
| id | string | `<source>:<patch id>/<task>/<language>/<n>` |
| patch_id | string | `<source>:<patch id>` (rows of one patch share it) |
| pixels | float32 (bands, {patch_size}, {patch_size}) | Sentinel-2 reflectance (DN / 10,000), Sentinel-1 backscatter in dB, RGB / 255 |
| band_names | list of string | one per band: B01..B12, B8A, VV, VH, or R, G, B |
| sensor | string | s2_l1c, s2_l2a, s1 or rgb |
| gsd_m | float32 | metres per stored pixel (the source grid's, times the resampling factor) |
| footprint_wkt | string | the patch outline in EPSG:4326 ("" without georeferencing) |
| labels | list of string | the patch's land-cover classes as the source names them |
| task | string | caption, land_cover, location or geotext |
| language | string | {", ".join(languages)} |
| messages | list of {{role, content}} | user / assistant turns; the image goes before the first user turn |
| provenance | string (JSON) | source, path, template ids, gazetteer ids, quoted passages (id, document, URL), pixel handling |

Pixels: a centred square crop of the source patch (at most a few pixels of a non-square one), resampled to
{patch_size} x {patch_size} by exact area averaging, so patch-level labels stay true of the whole image; nodata is left
out of the averages (0 where nothing was valid). Place names, distances and directions come from the gazetteer;
geotext answers quote passages verbatim (French answers quote the original language and say so).

Settings: {", ".join(f"{k}={v}" for k, v in settings.items())}.

## How to load

```python
from datasets import load_dataset

rows = load_dataset("THIS_REPO_OR_FOLDER", split="train").with_format("numpy")
row = rows[0]
row["pixels"].shape, row["band_names"], row["messages"]

stream = load_dataset("THIS_REPO_OR_FOLDER", split="train", streaming=True).with_format("numpy")
next(iter(stream))["pixels"]  # float32 (bands, {patch_size}, {patch_size})
```

## Readers' report

```
{reader_summary or "(not given)"}
```
"""
    )
    return "\n".join(header) + body


__all__ = ["COPERNICUS", "SOURCE_LICENCES", "render_card"]
