"""Write resolver examples (from `distant`) as a dataset folder with `train` and `validation` splits, and a card."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from data_builders.gazetteer.report import BuildReport
from data_builders.geotext.dataset_io import staged_folder
from data_builders.geotext.distant import SPLITS, DistantSettings, check_splits, example_features
from georeset.errors import BadInputError


def _card(
    counts: dict, kinds: Counter, settings: DistantSettings, sources: Sequence[str], report: str
) -> str:
    split_rows = "".join(
        f"| {s} | {c['examples']:,} | {c['places']:,} | {c['documents']:,} |\n" for s, c in counts.items()
    )
    kind_rows = "".join(f"| `{k}` | {n:,} |\n" for k, n in sorted(kinds.items()))
    data_files = "".join(
        f"  - split: {s}\n    path: data/{s}-*.parquet\n" for s in SPLITS if counts[s]["examples"]
    )
    return f"""---
pretty_name: georeset resolver examples
license: other
tags:
- geoparsing
- toponym-resolution
- georeset
configs:
- config_name: default
  data_files:
{data_files}---

# georeset resolver examples (distant supervision)

Questions in the exact form the georeset geoparser asks its LLM resolver (the text around a mention, marked with
`[[ ]]`, and lettered gazetteer candidates) with the labelled answer, made by `data_builders/geotext/distant.py`
from geotext datasets: {", ".join(f"`{s}`" for s in sources)}. The answer's position among the options is
shuffled. Licences: those of the source geotext datasets.

Splits are by place and by document: a place or document drawn for validation (shares
{settings.validation_place_share:.0%} / {settings.validation_doc_share:.0%}) never answers a training example.

| split | examples | answer places | documents |
|---|---|---|---|
{split_rows}
| kind | examples |
|---|---|
{kind_rows}
Columns: `context`, `mention`, `options` (descriptions), `option_ids` (gazetteer ids), `answer` (index of the
right option), `kind`, `entity_id`, `doc_id`, `source`, `original` (the mention before perturbation),
`ranker_top` (the geoparser's ranker had the answer first), `ranker_margin`, `split`.

## Build report

```
{report}
```
"""


def write_examples(
    examples: Sequence[dict[str, Any]],
    out_dir: str | Path,
    *,
    settings: DistantSettings,
    report: BuildReport,
    sources: Sequence[str] = (),
) -> dict[str, Any]:
    """Write examples into `out_dir` (replaced atomically); returns the split counts.

    Raises:
        BadInputError: no training example, or a split leak.
    """
    from datasets import Dataset

    counts = check_splits(examples, settings)
    if counts["train"]["examples"] == 0:
        raise BadInputError(
            f"no training example could be made for {out_dir}: the input has no usable labelled toponym\n"
            f"{report.summary()}"
        )
    with staged_folder(out_dir) as staging:
        for split in SPLITS:
            rows = [ex for ex in examples if ex["split"] == split]
            if rows:
                Dataset.from_list(rows, features=example_features()).to_parquet(
                    str(staging / "data" / f"{split}-00000-of-00001.parquet")
                )
        kinds = Counter(ex["kind"] for ex in examples)
        summary = {"splits": counts, "kinds": dict(kinds), "report": report.to_dict()}
        (staging / "build_report.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        (staging / "README.md").write_text(
            _card(counts, kinds, settings, sources, report.summary()), encoding="utf-8"
        )
    return counts


__all__ = ["write_examples"]
