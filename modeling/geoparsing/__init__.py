"""Geoparsing: text -> toponyms -> gazetteer entities with footprints.

Stages (each replaceable alone): `recognize` (spaCy NER + gazetteer-aware recovery) -> `candidates` (gazetteer
lookup) -> `rank` (features, hand weights, calibrated probabilities with an explicit no-match) -> `resolve_llm`
(a causal LM scores the options of unsure mentions) -> `output` (toponyms, GeoJSON). `Geoparser` runs them all.

Importing this package registers the `transformers` pipeline task "geoparsing": at once if `transformers.pipelines`
is loaded, else as soon as it is (`from transformers import pipeline` loads it). Importing `transformers.pipelines`
takes ~3 s, which the command line, the eval and the workers do not need to pay.
"""

from typing import Any

import wrapt

from modeling.geoparsing.geoparser import Geoparser, open_gazetteer
from modeling.geoparsing.output import to_geojson
from modeling.geoparsing.resolve_llm import LLMResolver
from modeling.geoparsing.types import GeoparsedDoc, Mention, ScoredCandidate, Toponym

_PIPELINE_NAMES = ("GeoparsingPipeline", "register_pipeline")


@wrapt.when_imported("transformers.pipelines")
def _register_with_transformers(_module: Any) -> None:
    from modeling.geoparsing.pipeline import register_pipeline

    register_pipeline()


def __getattr__(name: str) -> Any:
    """`GeoparsingPipeline` and `register_pipeline` import transformers' pipelines: only when asked for."""
    if name in _PIPELINE_NAMES:
        from modeling.geoparsing import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "GeoparsedDoc",
    "Geoparser",
    "GeoparsingPipeline",
    "LLMResolver",
    "Mention",
    "ScoredCandidate",
    "Toponym",
    "open_gazetteer",
    "register_pipeline",
    "to_geojson",
]
